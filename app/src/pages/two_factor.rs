//! `/account/2fa`: turn two-factor authentication on (QR code and the secret
//! as text, then a first code), see the backup codes once (copy, download),
//! make a new set, or turn 2FA off with the password and a code.
//!
//! Every step is a plain form post that works without JavaScript: the page is
//! rendered from the service's state each time (the pending setup included),
//! and new backup codes wait, sealed, in the cookie session until the next
//! render shows them (`page_context::shown_once`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::{
    components::{
        copy_button::CopyButton,
        forms::{FieldError, FormError, ReauthenticationField},
    },
    page_error::PageError,
    types::{BackupCodesStatus, TwoFactorEnrollment},
};

const HERE: &str = "/account/2fa";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TwoFactorState {
    pub enabled: bool,
    pub backup_codes: BackupCodesStatus,
    /// A setup started but not confirmed yet.
    pub pending: Option<TwoFactorEnrollment>,
    /// Backup codes made just now: this is the one time they are shown.
    pub new_backup_codes: Option<Vec<String>>,
    /// Turning 2FA on needs the current password: this session signed in
    /// too long ago (`auth::sign_in::reauthentication`).
    #[serde(default)]
    pub needs_password: bool,
}

#[server(prefix = "/_fn", endpoint = "two_factor_settings")]
pub async fn two_factor_settings() -> Result<TwoFactorState, PageError> {
    use crate::page_context::{self as browser, shown_once};

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let principal = browser::signed_in_or_redirect(&auth, HERE).await?;
            let enabled = principal.account.factors.totp;
            Ok(TwoFactorState {
                enabled,
                backup_codes: auth.backup_codes_status(&principal).await?,
                pending: auth.pending_two_factor_setup(&principal).await?,
                new_backup_codes: if enabled {
                    shown_once::take(&auth, &principal).await?
                } else {
                    None
                },
                needs_password: !auth.signed_in_recently(&principal),
            })
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "start_two_factor_setup")]
pub async fn start_two_factor_setup() -> Result<(), PageError> {
    use crate::page_context::{self as browser, shown_once};

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let principal = browser::signed_in_or_redirect(&auth, HERE).await?;
            let setup = auth.setup_two_factor(&principal).await?;
            shown_once::keep(
                &auth,
                &principal,
                &setup.backup_codes,
                shown_once::When::AfterConfirmation,
            )
            .await
        }
        .await,
    )
}

/// `password`: the current password, asked for when the session signed in
/// too long ago (absent from the form otherwise).
#[server(prefix = "/_fn", endpoint = "confirm_two_factor_setup")]
pub async fn confirm_two_factor_setup(
    code: String,
    password: Option<String>,
) -> Result<(), PageError> {
    use crate::page_context::{self as browser, shown_once};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action(HERE).await?;
            auth.confirm_two_factor(&principal, &code, password.as_deref(), &meta)
                .await
                .map_err(crate::page_error::reentered_password("password"))?;
            shown_once::release_pending().await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "regenerate_backup_codes")]
pub async fn regenerate_my_backup_codes(code: String) -> Result<(), PageError> {
    use crate::page_context::{self as browser, shown_once};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action(HERE).await?;
            let codes = auth
                .regenerate_backup_codes(&principal, &code, &meta)
                .await?;
            shown_once::keep(&auth, &principal, &codes.0, shown_once::When::Now).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "disable_two_factor")]
pub async fn disable_my_two_factor(password: String, code: String) -> Result<(), PageError> {
    use crate::page_context::{self as browser, shown_once};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action(HERE).await?;
            auth.disable_two_factor(&principal, &password, &code, &meta)
                .await
                .map_err(crate::page_error::reentered_password("password"))?;
            shown_once::discard().await
        }
        .await,
    )
}

#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let start = ServerAction::<StartTwoFactorSetup>::new();
    let confirm = ServerAction::<ConfirmTwoFactorSetup>::new();
    let regenerate = ServerAction::<RegenerateMyBackupCodes>::new();
    let disable = ServerAction::<DisableMyTwoFactor>::new();
    let settings = Resource::new(
        move || {
            (
                start.version().get(),
                confirm.version().get(),
                regenerate.version().get(),
                disable.version().get(),
            )
        },
        |_| two_factor_settings(),
    );
    let actions = Actions {
        start,
        confirm,
        regenerate,
        disable,
    };

    view! {
        <Title text="Two-factor authentication"/>
        <section class="settings" aria-labelledby="two-factor-title">
            <h1 id="two-factor-title">"Two-factor authentication"</h1>
            <p>
                "With two-factor authentication on, signing in needs a code from an \
                 authenticator app on your phone as well as your password."
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || settings.get().map(|result| match result {
                    Ok(settings) => view! { <Settings settings actions/> }.into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                })}
            </Suspense>
            <p><A href="/account">"Back to your account"</A></p>
        </section>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    start: ServerAction<StartTwoFactorSetup>,
    confirm: ServerAction<ConfirmTwoFactorSetup>,
    regenerate: ServerAction<RegenerateMyBackupCodes>,
    disable: ServerAction<DisableMyTwoFactor>,
}

/// The last error of one action, for the form that dispatched it.
fn error_of<S>(action: ServerAction<S>) -> Signal<Option<PageError>>
where
    S: leptos::server_fn::ServerFn<Error = PageError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

#[component]
fn Settings(settings: TwoFactorState, actions: Actions) -> impl IntoView {
    if let Some(codes) = settings.new_backup_codes {
        return view! { <NewBackupCodes codes/> }.into_any();
    }
    if settings.enabled {
        return view! { <Enabled status=settings.backup_codes actions/> }.into_any();
    }
    let needs_password = settings.needs_password;
    match settings.pending {
        Some(enrollment) => view! { <Enroll enrollment needs_password actions/> }.into_any(),
        None => view! { <Disabled start=actions.start/> }.into_any(),
    }
}

#[component]
fn Disabled(start: ServerAction<StartTwoFactorSetup>) -> impl IntoView {
    let error = error_of(start);
    view! {
        <p>"Status: " <strong data-testid="two-factor-status">"Off"</strong></p>
        <ActionForm action=start attr:class="form">
            <FormError error=error/>
            <button type="submit" aria-disabled=move || start.pending().get().to_string()>
                "Set up two-factor authentication"
            </button>
        </ActionForm>
    }
}

#[component]
fn Enroll(
    enrollment: TwoFactorEnrollment,
    needs_password: bool,
    actions: Actions,
) -> impl IntoView {
    let confirm = actions.confirm;
    let error = error_of(confirm);
    let pending = confirm.pending();
    view! {
        <ol class="steps">
            <li>
                <h2>"Scan this code with your authenticator app"</h2>
                <img class="qr-code" src=enrollment.qr_code_url width="240" height="240"
                    alt="QR code for your authenticator app; the key below holds the same secret"/>
                <p>"Cannot scan it? Enter this key in the app instead:"</p>
                <p><code class="secret" data-testid="totp-secret">{enrollment.secret}</code></p>
            </li>
            <li>
                <h2>"Enter the 6-digit code the app shows"</h2>
                <ActionForm action=confirm attr:class="form">
                    <FormError error=error/>
                    <div class="field">
                        <label for="confirm-code">"Code from the app"</label>
                        <input id="confirm-code" name="code" type="text" inputmode="numeric"
                            autocomplete="one-time-code" required pattern="[0-9 ]{6,7}"
                            aria-describedby="code-error"/>
                        <FieldError error=error field="code"/>
                    </div>
                    {needs_password.then(|| view! { <ReauthenticationField error id="confirm-password"/> })}
                    <button type="submit" aria-disabled=move || pending.get().to_string()>
                        {move || if pending.get() { "Checking…" } else { "Turn on two-factor authentication" }}
                    </button>
                </ActionForm>
            </li>
        </ol>
        <ActionForm action=actions.start attr:class="inline-form">
            <button type="submit" class="button--secondary">"Start over with a new key"</button>
        </ActionForm>
    }
}

#[component]
fn NewBackupCodes(codes: Vec<String>) -> impl IntoView {
    let text = format!(
        "Gatehouse backup codes\nEach code signs you in once when you cannot use your \
         authenticator app.\n\n{}\n",
        codes.join("\n")
    );
    let download = format!(
        "data:text/plain;charset=utf-8,{}",
        crate::url_path::encode_query_value(&text)
    );
    view! {
        <div class="backup-codes" role="region" aria-labelledby="backup-codes-title">
            <h2 id="backup-codes-title">"Save your backup codes"</h2>
            <p class="notice" role="status">
                "Two-factor authentication is on. If you lose your phone, each of these codes \
                 signs you in once. Keep them somewhere safe: this is the only time they are shown."
            </p>
            <ul class="code-list" data-testid="backup-codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
            <p class="actions">
                <a class="button" href=download download="gatehouse-backup-codes.txt">"Download (.txt)"</a>
                <CopyButton text/>
            </p>
            // A full page load (`rel=external`), with or without JavaScript:
            // the codes are gone from the next render.
            <p><a href=HERE rel="external">"I have saved my codes"</a></p>
        </div>
    }
}

#[component]
fn Enabled(status: BackupCodesStatus, actions: Actions) -> impl IntoView {
    let regenerate = actions.regenerate;
    let disable = actions.disable;
    let regenerate_error = error_of(regenerate);
    let disable_error = error_of(disable);
    view! {
        <p>"Status: " <strong data-testid="two-factor-status">"On"</strong></p>
        <h2>"Backup codes"</h2>
        <p data-testid="backup-codes-left">
            {format!("{} of {} backup codes left.", status.remaining, status.total)}
        </p>
        <ActionForm action=regenerate attr:class="form">
            <FormError error=regenerate_error/>
            <p class="hint">"A new set replaces every old code."</p>
            <div class="field">
                <label for="regenerate-code">"Code from your authenticator app"</label>
                <input id="regenerate-code" name="code" type="text" inputmode="numeric"
                    autocomplete="one-time-code" required/>
            </div>
            <button type="submit" class="button--secondary"
                aria-disabled=move || regenerate.pending().get().to_string()>
                "Make new backup codes"
            </button>
        </ActionForm>
        <h2>"Turn off two-factor authentication"</h2>
        <ActionForm action=disable attr:class="form">
            <FormError error=disable_error/>
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password"
                    autocomplete="current-password" required aria-describedby="password-error"/>
                <FieldError error=disable_error field="password"/>
            </div>
            <div class="field">
                <label for="disable-code">"Code from your app, or a backup code"</label>
                <input id="disable-code" name="code" type="text" autocomplete="one-time-code" required/>
            </div>
            <button type="submit" class="button--danger"
                aria-disabled=move || disable.pending().get().to_string()>
                "Turn off two-factor authentication"
            </button>
        </ActionForm>
    }
}
