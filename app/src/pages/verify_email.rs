//! `/verify-email?token=…`: confirm an email address with the link from the
//! verification email. Opening the link changes nothing by itself (mail
//! scanners open links too); the button does.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{components::forms::FormError, page_error::PageError};

#[server(prefix = "/_fn", endpoint = "verify_email")]
pub async fn confirm_email_address(token: String) -> Result<(), PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let meta = browser::public_request_meta(&auth).await?;
            auth.verify_email(&token, &meta).await?;
            leptos_axum::redirect("/verify-email?verified=1");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmailAddress>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let verified = move || query.read().get("verified").is_some();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();

    view! {
        <Title text="Confirm your email address"/>
        <section class="auth-card" aria-labelledby="verify-title">
            <h1 id="verify-title">"Confirm your email address"</h1>
            <Show
                when=verified
                fallback=move || view! {
                    <ActionForm action=action attr:class="form">
                        <FormError error=error/>
                        <input type="hidden" name="token" value=token/>
                        <p>"Confirm that this address is yours to finish setting up your account."</p>
                        <button type="submit" aria-disabled=move || pending.get().to_string()>
                            {move || if pending.get() { "Confirming…" } else { "Confirm my email address" }}
                        </button>
                    </ActionForm>
                }
            >
                <p class="notice" role="status" data-testid="email-verified">
                    "Thank you: your email address is confirmed."
                </p>
                <p><A href="/account">"Go to your account"</A></p>
            </Show>
        </section>
    }
}
