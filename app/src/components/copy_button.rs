//! "Copy" for a secret shown once (backup codes, a new API token). Copying
//! needs JavaScript, so the button waits for hydration (kept in place,
//! hidden by `needs-js`, so nothing moves); without it the text is there
//! to select.

use leptos::prelude::*;

#[component]
pub fn CopyButton(text: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&text);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" class="button--secondary needs-js" on:click=copy>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
