//! `/account`: the profile and a security overview. Signed-out visitors are
//! sent to `/login` and come back here afterwards.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};
use serde::{Deserialize, Serialize};

use crate::{components::forms::FormError, page_error::PageError, types::UserProfile};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountSummary {
    pub profile: UserProfile,
    pub active_sessions: usize,
    pub backup_codes_remaining: u64,
    pub password_changed_at: String,
}

#[server(prefix = "/_fn", endpoint = "account_overview")]
pub async fn account_overview() -> Result<AccountSummary, PageError> {
    use crate::{error_code::ErrorCode, page_context as browser};

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let Some(principal) = browser::current_principal(&auth).await? else {
                leptos_axum::redirect("/login?next=/account");
                return Err(PageError::new(ErrorCode::Unauthenticated));
            };
            let profile = auth.profile(&principal).await?;
            let active_sessions = auth.list_sessions(&principal).await?.len();
            let backup_codes = auth.backup_codes_status(&principal).await?;
            Ok(AccountSummary {
                profile,
                active_sessions,
                backup_codes_remaining: backup_codes.remaining,
                password_changed_at: principal
                    .account
                    .password_changed_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        }
        .await,
    )
}

/// For account pages that load nothing else: redirects a signed-out visitor
/// to sign in and come back to `here`.
#[server(prefix = "/_fn", endpoint = "ensure_signed_in")]
pub async fn ensure_signed_in(here: String) -> Result<(), PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let here = browser::safe_next(Some(&here));
            browser::signed_in_or_redirect(&auth, &here).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "resend_verification")]
pub async fn resend_verification_email() -> Result<(), PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/account").await?;
            auth.resend_verification(&principal, &meta).await?;
            leptos_axum::redirect("/account?verification_sent=1");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| account_overview());
    let resend = ServerAction::<ResendVerificationEmail>::new();
    let resend_error = Signal::derive(move || resend.value().get().and_then(Result::err));
    let query = use_query_map();
    let sent = move || query.read().get("verification_sent").is_some();

    view! {
        <Title text="Your account"/>
        <section aria-labelledby="account-title">
            <h1 id="account-title">"Your account"</h1>
            <Suspense fallback=|| view! { <p>"Loading your account…"</p> }>
                {move || overview.get().map(|result| match result {
                    Ok(account) => view! { <Overview account resend resend_error sent/> }.into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Overview(
    account: AccountSummary,
    resend: ServerAction<ResendVerificationEmail>,
    resend_error: Signal<Option<PageError>>,
    sent: impl Fn() -> bool + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let verified = account.profile.email_verified;
    let profile = account.profile;
    let (two_factor, manage_two_factor) = if profile.totp_enabled {
        ("On", "Manage")
    } else {
        ("Off", "Turn on")
    };
    view! {
        <dl class="facts">
            <div><dt>"Username"</dt><dd data-testid="username">{profile.username}</dd></div>
            <div>
                <dt>"Email"</dt>
                <dd>
                    {profile.email} " · "
                    <span data-testid="email-status">{if verified { "confirmed" } else { "not confirmed yet" }}</span>
                    {(!verified).then(|| view! {
                        <Show
                            when=sent
                            fallback=move || view! {
                                <ActionForm action=resend attr:class="inline-form">
                                    <FormError error=resend_error/>
                                    <button type="submit" class="button--link">"Send the confirmation link again"</button>
                                </ActionForm>
                            }
                        >
                            <p class="notice" role="status">"We have sent you a new confirmation link."</p>
                        </Show>
                    })}
                </dd>
            </div>
            <div><dt>"Roles"</dt><dd>{profile.roles.join(", ")}</dd></div>
            <div>
                <dt>"Two-factor authentication"</dt>
                <dd>
                    <span data-testid="two-factor">{two_factor}</span> " · "
                    <A href="/account/2fa">{manage_two_factor}</A>
                </dd>
            </div>
            <div><dt>"Backup codes left"</dt><dd>{account.backup_codes_remaining}</dd></div>
            <div>
                <dt>"Signed-in devices"</dt>
                <dd data-testid="sessions">
                    {account.active_sessions} " · " <A href="/account/sessions">"Manage devices"</A>
                </dd>
            </div>
            <div>
                <dt>"Last sign-in"</dt>
                <dd>
                    <time>{profile.last_login.unwrap_or_else(|| "—".into())}</time> " · "
                    <A href="/account/activity">"See activity"</A>
                </dd>
            </div>
            <div>
                <dt>"Password last changed"</dt>
                <dd>
                    <time>{account.password_changed_at}</time> " · "
                    <A href="/account/password">"Change password"</A>
                </dd>
            </div>
            <div>
                <dt>"API tokens"</dt>
                <dd><A href="/account/tokens">"Manage API tokens"</A></dd>
            </div>
        </dl>
    }
}
