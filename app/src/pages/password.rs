//! `/account/password`: change the password, with the policy shown up front
//! and each failed rule explained next to its field. Every other device is
//! signed out; this one stays.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::forms::{FieldError, FormError, NewPasswordFields},
    page_error::PageError,
};

#[server(prefix = "/_fn", endpoint = "change_password")]
pub async fn change_my_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), PageError> {
    use crate::auth::accounts::ChangePasswordInput;
    use crate::page_context as browser;

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/account/password").await?;
            let input = ChangePasswordInput {
                current_password: &current_password,
                new_password: &new_password,
                confirm_password: &confirm_password,
            };
            auth.change_password(&principal, input, &meta)
                .await
                .map_err(crate::page_error::reentered_password("current_password"))?;
            leptos_axum::redirect("/account/password?changed=1");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let action = ServerAction::<ChangeMyPassword>::new();
    let query = use_query_map();
    let changed = move || query.read().get("changed").is_some();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();
    let signed_in = Resource::new(
        || (),
        |_| super::account::ensure_signed_in("/account/password".into()),
    );

    view! {
        <Title text="Change password"/>
        // Waits (SsrMode::Async) so a signed-out visitor gets a redirect.
        <Suspense>{move || signed_in.get().map(|_| ())}</Suspense>
        <section class="auth-card" aria-labelledby="password-title">
            <h1 id="password-title">"Change password"</h1>
            <Show when=changed>
                <p class="notice" role="status">
                    "Password changed. Every other device has been signed out."
                </p>
            </Show>
            <ActionForm action=action attr:class="form">
                <FormError error=error/>
                <div class="field">
                    <label for="current_password">"Current password"</label>
                    <input id="current_password" name="current_password" type="password"
                        autocomplete="current-password" required aria-describedby="current_password-error"/>
                    <FieldError error=error field="current_password"/>
                </div>
                <NewPasswordFields error=error/>
                <button type="submit" aria-disabled=move || pending.get().to_string()>
                    {move || if pending.get() { "Changing…" } else { "Change password" }}
                </button>
            </ActionForm>
        </section>
    }
}
