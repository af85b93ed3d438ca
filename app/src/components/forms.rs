//! Form error display shared by every page: a summary announced to screen
//! readers, and messages tied to their fields by id (`<field>-error`).

use leptos::prelude::*;

use crate::page_error::PageError;

/// The form-level message of the last failed submission.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<PageError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            view! { <p class="form-error" role="alert" tabindex="-1">{error.message}</p> }
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
