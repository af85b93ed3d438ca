//! `/register`: create an account. The password policy is shown up front and
//! every failed rule is explained next to the field.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    components::forms::{FieldError, FormError, PasswordPolicyHint},
    page_error::PageError,
};

#[server(prefix = "/_fn", endpoint = "register")]
pub async fn register_account(
    email: String,
    username: String,
    password: String,
) -> Result<(), PageError> {
    use crate::auth::accounts::RegisterInput;
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let meta = browser::public_request_meta(&auth).await?;
            let input = RegisterInput {
                email: &email,
                username: &username,
                password: &password,
            };
            auth.register(input, &meta).await?;
            leptos_axum::redirect("/login?registered=1");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<RegisterAccount>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();

    view! {
        <Title text="Create an account"/>
        <section class="auth-card" aria-labelledby="register-title">
            <h1 id="register-title">"Create an account"</h1>
            <ActionForm action=action attr:class="form">
                <FormError error=error/>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required
                        aria-describedby="email-error"/>
                    <FieldError error=error field="email"/>
                </div>
                <div class="field">
                    <label for="username">"Username"</label>
                    <input id="username" name="username" type="text" autocomplete="username"
                        required
                        aria-describedby="username-hint username-error"/>
                    <p class="hint" id="username-hint">"3 to 32 letters, digits, dots, dashes or underscores."</p>
                    <FieldError error=error field="username"/>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password"
                        required minlength=crate::types::MIN_PASSWORD_CHARS.to_string() aria-describedby="password-hint password-error"/>
                    <PasswordPolicyHint id="password-hint"/>
                    <FieldError error=error field="password"/>
                </div>
                <button type="submit" aria-disabled=move || pending.get().to_string()>
                    {move || if pending.get() { "Creating your account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p>"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}
