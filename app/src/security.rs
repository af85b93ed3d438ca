//! The Content-Security-Policy of the pages. Leptos's inline hydration
//! script carries a per-request nonce (`leptos/nonce`: the server provides
//! one in each request's context); the policy allows exactly that script, our
//! own files, and nothing inline otherwise.

use leptos::{nonce::use_nonce, prelude::use_context};
use leptos_axum::ResponseOptions;

/// The page policy for a given nonce.
pub fn page_policy(nonce: &str) -> String {
    [
        "default-src 'self'".to_string(),
        // The hydration script (nonce), our JS, and wasm compilation.
        format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        "style-src 'self'".into(),
        // QR codes are `data:` SVGs.
        "img-src 'self' data:".into(),
        "connect-src 'self'".into(),
        "form-action 'self'".into(),
        "frame-ancestors 'none'".into(),
        "base-uri 'none'".into(),
        "object-src 'none'".into(),
    ]
    .join("; ")
}

/// Sets the page policy on the response being rendered, when a nonce was
/// provided for this request.
pub fn set_page_content_security_policy() {
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
