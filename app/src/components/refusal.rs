//! What a page shows when its data was refused: not allowed (403) or not
//! here (404). The server render answers with that status, not a 200, so a
//! refused page is a refusal for browsers, crawlers and tests alike.

use leptos::prelude::*;

use crate::page_error::PageError;

/// The refusal's message; during the server render, the page's status is
/// set from the error when it is a 403 or a 404.
#[component]
pub fn Refusal(error: PageError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if matches!(error.status, 403 | 404) {
        if let (Some(response), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(error.status),
        ) {
            response.set_status(status);
        }
    }
    view! { <p class="form-error" role="alert">{error.message}</p> }
}
