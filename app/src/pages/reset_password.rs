//! `/reset-password?token=…`: choose a new password with the link from the
//! reset email. Every device is signed out; two-factor authentication stays
//! on, so the next sign-in still asks for a code.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::forms::{FormError, NewPasswordFields},
    error_code::ErrorCode,
    page_error::PageError,
};

#[server(prefix = "/_fn", endpoint = "reset_password")]
pub async fn reset_forgotten_password(
    token: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let meta = browser::public_request_meta(&auth).await?;
            auth.reset_password(&token, &new_password, Some(&confirm_password), &meta)
                .await?;
            // Whoever was signed in here is signed out with every device.
            browser::forget().await?;
            leptos_axum::redirect("/login?reset=1");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetForgottenPassword>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let bad_link = move || {
        error
            .get()
            .is_some_and(|error| error.code == ErrorCode::InvalidResetToken)
    };
    let pending = action.pending();

    view! {
        <Title text="Choose a new password"/>
        <section class="auth-card" aria-labelledby="reset-title">
            <h1 id="reset-title">"Choose a new password"</h1>
            <ActionForm action=action attr:class="form">
                <FormError error=error/>
                <Show when=bad_link>
                    <p><A href="/forgot-password">"Send me a new link"</A></p>
                </Show>
                <input type="hidden" name="token" value=token/>
                <NewPasswordFields error=error/>
                <p class="hint">"Every device signed in to your account will be signed out."</p>
                <button type="submit" aria-disabled=move || pending.get().to_string()>
                    {move || if pending.get() { "Saving…" } else { "Set the new password" }}
                </button>
            </ActionForm>
        </section>
    }
}
