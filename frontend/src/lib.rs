//! The browser entry point: hydrate the server-rendered page. Nothing else
//! belongs here; every component lives in the `app` crate.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `hydrate_lazy` waits for the current page's chunk (a lazy route) before
    // hydrating it; `hydrate_body` would hydrate an empty route.
    leptos::mount::hydrate_lazy(app::App);
}
