//! `/login`: sign in with email and password; with 2FA on, continue at
//! `/login/2fa`. A real HTML form: it works before hydration and without
//! JavaScript, and updates in place when JavaScript runs.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::forms::{FieldError, FormError},
    page_error::PageError,
};

#[server(prefix = "/_fn", endpoint = "sign_in")]
pub async fn sign_in_with_password(
    email: String,
    password: String,
    device_name: Option<String>,
    next: Option<String>,
) -> Result<(), PageError> {
    use crate::auth::{
        device_sessions::SessionKind,
        sign_in::password::{LoginInput, SignIn},
    };
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let meta = browser::public_request_meta(&auth).await?;
            let input = LoginInput {
                email: &email,
                password: &password,
                device_name: device_name.as_deref(),
            };
            let next = browser::safe_next(next.as_deref());
            match auth.sign_in(input, SessionKind::Browser, &meta).await? {
                SignIn::Session(session) => {
                    browser::establish(&session).await?;
                    leptos_axum::redirect(&next);
                }
                SignIn::TwoFactorRequired(challenge) => {
                    browser::keep_challenge(&challenge.challenge_token).await?;
                    leptos_axum::redirect(&format!(
                        "/login/2fa?next={}",
                        crate::url_path::encode_query_value(&next)
                    ));
                }
            }
            Ok(())
        }
        .await,
    )
}

/// What the devices list will call this browser unless it is given a name
/// ("Chrome on Linux"), read from the user agent.
#[server(prefix = "/_fn", endpoint = "device_hint")]
pub async fn device_hint() -> Result<String, PageError> {
    let parts: Option<http::request::Parts> = use_context();
    let user_agent = parts
        .as_ref()
        .and_then(|parts| parts.headers.get(http::header::USER_AGENT))
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    Ok(crate::user_agent::browser_name(user_agent))
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignInWithPassword>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let registered = move || query.read().get("registered").is_some();
    let reset = move || query.read().get("reset").is_some();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();
    let hint = Resource::new(|| (), |_| device_hint());
    let placeholder = move || hint.get().and_then(Result::ok).unwrap_or_default();

    view! {
        <Title text="Sign in"/>
        <section class="auth-card" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in"</h1>
            <Show when=registered>
                <p class="notice" role="status">
                    "Your account is ready. Sign in to continue. We have also emailed you a link \
                     to confirm your address."
                </p>
            </Show>
            <Show when=reset>
                <p class="notice" role="status">
                    "Your password is changed and every device was signed out. Sign in with the new password."
                </p>
            </Show>
            <ActionForm action=action attr:class="form">
                <FormError error=error/>
                <input type="hidden" name="next" value=next/>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required
                        aria-describedby="email-error"/>
                    <FieldError error=error field="email"/>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password"
                        autocomplete="current-password" required aria-describedby="password-error"/>
                    <FieldError error=error field="password"/>
                </div>
                <div class="field">
                    <label for="device_name">"Name this device " <span class="optional">"(optional)"</span></label>
                    // The suggestion arrives with the page (Suspense): a
                    // placeholder, so an untouched field keeps it unnamed.
                    <Suspense>
                        <input id="device_name" name="device_name" type="text" maxlength="64"
                            autocomplete="off" placeholder=placeholder aria-describedby="device_name-hint"/>
                    </Suspense>
                    <p class="hint" id="device_name-hint">"Shown in your list of signed-in devices."</p>
                </div>
                <button type="submit" aria-disabled=move || pending.get().to_string()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p><A href="/forgot-password">"Forgot your password?"</A></p>
            <p>"No account yet? " <A href="/register">"Create one"</A></p>
        </section>
    }
}
