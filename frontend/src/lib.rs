//! The browser entry point: hydrate the server-rendered page. Nothing else
//! belongs here; every component lives in the `app` crate.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
