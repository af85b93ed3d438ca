//! Form error display shared by every page: a summary announced to screen
//! readers, and messages tied to their fields by id (`<field>-error`).

use leptos::prelude::*;

use crate::page_error::PageError;

/// The form-level message of the last failed submission. Focus moves to it
/// (the error summary pattern): with JavaScript when the error arrives, and
/// without through `autofocus` on the page rendered after the form post.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<PageError>>) -> impl IntoView {
    let summary = NodeRef::<leptos::html::P>::new();
    Effect::new(move || {
        if let (Some(_), Some(summary)) = (error.get(), summary.get()) {
            let _ = summary.focus();
        }
    });
    move || {
        error.get().map(|error| {
            view! {
                <p node_ref=summary class="form-error" role="alert" tabindex="-1" autofocus>
                    {error.message}
                </p>
            }
        })
    }
}

/// The message for one field, with the id its input's `aria-describedby`
/// names.
#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<PageError>>,
    field: &'static str,
) -> impl IntoView {
    let message = move || error.get().and_then(|error| error.field(field));
    view! {
        <p class="field-error" id=format!("{field}-error") aria-live="polite">
            {message}
        </p>
    }
}

/// What a new password must be, said once for every form that sets one.
#[component]
pub fn PasswordPolicyHint(
    id: &'static str,
    /// A change also refuses the last few passwords.
    #[prop(optional)]
    changing: bool,
) -> impl IntoView {
    let history = if changing {
        " Not one of your last five passwords either."
    } else {
        ""
    };
    view! {
        <p class="hint" id=id>
            {format!(
                "At least {} characters, with an uppercase letter, a digit and a special \
                 character. Not a common password, and not your username or email name.{history}",
                crate::types::MIN_PASSWORD_CHARS
            )}
        </p>
    }
}

/// A new password and its confirmation, with the policy shown: the same
/// fields wherever a password is set anew (a change, a reset).
#[component]
pub fn NewPasswordFields(#[prop(into)] error: Signal<Option<PageError>>) -> impl IntoView {
    view! {
        <div class="field">
            <label for="new_password">"New password"</label>
            <input id="new_password" name="new_password" type="password"
                autocomplete="new-password" required
                minlength=crate::types::MIN_PASSWORD_CHARS.to_string()
                aria-describedby="new_password-hint new_password-error"/>
            <PasswordPolicyHint id="new_password-hint" changing=true/>
            <FieldError error=error field="new_password"/>
        </div>
        <div class="field">
            <label for="confirm_password">"Confirm the new password"</label>
            <input id="confirm_password" name="confirm_password" type="password"
                autocomplete="new-password" required aria-describedby="confirm_password-error"/>
            <FieldError error=error field="confirm_password"/>
        </div>
    }
}

/// The current password, asked for when the session signed in too long ago
/// to stand in for it (`auth::sign_in::reauthentication`). `id` names the
/// input; its hint is `<id>-hint`, its error `password-error`.
#[component]
pub fn ReauthenticationField(
    #[prop(into)] error: Signal<Option<PageError>>,
    id: &'static str,
) -> impl IntoView {
    let hint = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>"Your current password"</label>
            <p class="hint" id=hint.clone()>"You signed in a while ago: confirm it is you."</p>
            <input id=id name="password" type="password" autocomplete="current-password" required
                aria-describedby=format!("{hint} password-error")/>
            <FieldError error=error field="password"/>
        </div>
    }
}
