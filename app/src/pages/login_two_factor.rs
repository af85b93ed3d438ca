//! `/login/2fa`: the second step of signing in, with a code from the
//! authenticator app or, via a plain link that works without JavaScript, a
//! backup code. The pending challenge lives in the cookie session.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::forms::{FieldError, FormError},
    page_error::PageError,
    url_path::encode_query_value,
};

#[server(prefix = "/_fn", endpoint = "sign_in_second_factor")]
pub async fn sign_in_second_factor(
    code: String,
    method: Option<String>,
    next: Option<String>,
) -> Result<(), PageError> {
    use crate::auth::{device_sessions::SessionKind, second_factor::Factor};
    use crate::{error_code::ErrorCode, page_context as browser};

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let meta = browser::public_request_meta(&auth).await?;
            let Some(challenge) = browser::pending_challenge().await? else {
                leptos_axum::redirect("/login");
                return Err(PageError::new(ErrorCode::SignInExpired));
            };
            let factor = match method.as_deref() {
                Some("backup") => Factor::BackupCode(&code),
                _ => Factor::Totp(&code),
            };
            let session = auth
                .complete_challenge_session(&challenge, factor, SessionKind::Browser, &meta)
                .await
                .map_err(|error| match error {
                    crate::auth::AuthError::InvalidToken => {
                        PageError::new(ErrorCode::SignInExpired)
                    }
                    other => other.into(),
                })?;
            browser::establish(&session).await?;
            leptos_axum::redirect(&browser::safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn LoginTwoFactorPage() -> impl IntoView {
    let action = ServerAction::<SignInSecondFactor>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let backup = move || query.read().get("method").as_deref() == Some("backup");
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();
    let switch_href = move || {
        let next = next();
        let method = if backup() { "totp" } else { "backup" };
        format!(
            "/login/2fa?method={method}&next={}",
            encode_query_value(&next)
        )
    };

    view! {
        <Title text="Two-factor authentication"/>
        <section class="auth-card" aria-labelledby="two-factor-title">
            <h1 id="two-factor-title">"Two-factor authentication"</h1>
            <p>
                {move || if backup() {
                    "Enter one of your backup codes. Each code works once."
                } else {
                    "Enter the 6-digit code from your authenticator app."
                }}
            </p>
            <ActionForm action=action attr:class="form">
                <FormError error=error/>
                <input type="hidden" name="next" value=next/>
                <input type="hidden" name="method" value=move || if backup() { "backup" } else { "totp" }/>
                <div class="field">
                    <label for="code">{move || if backup() { "Backup code" } else { "Authentication code" }}</label>
                    <input id="code" name="code" type="text" required autocomplete="one-time-code"
                        inputmode=move || if backup() { "text" } else { "numeric" }
                        aria-describedby="code-error"/>
                    <FieldError error=error field="code"/>
                </div>
                <button type="submit" aria-disabled=move || pending.get().to_string()>
                    {move || if pending.get() { "Checking…" } else { "Continue" }}
                </button>
            </ActionForm>
            <p>
                <A href=switch_href>
                    {move || if backup() { "Use the authenticator app instead" } else { "Use a backup code instead" }}
                </A>
            </p>
        </section>
    }
}
