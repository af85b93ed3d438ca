//! `/forgot-password`: ask for a password reset link. The answer is the same
//! whether or not an account uses the address, so the page never tells.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::forms::{FieldError, FormError},
    page_error::PageError,
};

#[server(prefix = "/_fn", endpoint = "forgot_password")]
pub async fn request_password_reset(email: String) -> Result<(), PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let meta = browser::public_request_meta(&auth).await?;
            auth.forgot_password(&email, &meta).await?;
            leptos_axum::redirect("/forgot-password?sent=1");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();

    view! {
        <Title text="Forgot your password"/>
        <section class="auth-card" aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Forgot your password?"</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p>"Enter the email address of your account and we will send you a link to choose a new password."</p>
                    <ActionForm action=action attr:class="form">
                        <FormError error=error/>
                        <div class="field">
                            <label for="email">"Email"</label>
                            <input id="email" name="email" type="email" autocomplete="email" required
                                aria-describedby="email-error"/>
                            <FieldError error=error field="email"/>
                        </div>
                        <button type="submit" aria-disabled=move || pending.get().to_string()>
                            {move || if pending.get() { "Sending…" } else { "Send the link" }}
                        </button>
                    </ActionForm>
                }
            >
                // The same sentence as the JSON API's answer.
                <p class="notice" role="status" data-testid="reset-sent">
                    {crate::types::FORGOT_PASSWORD_MESSAGE}
                    " No email after a few minutes? Check your spam folder, or ask again."
                </p>
            </Show>
            <p><A href="/login">"Back to sign in"</A></p>
        </section>
    }
}
