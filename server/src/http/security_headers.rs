//! Security headers on every response (ASVS 14.4): no MIME sniffing, no
//! framing, a same-origin referrer policy (it keeps the `Origin` header on
//! form posts, which the CSRF check reads), HSTS in production, and a
//! deny-everything Content-Security-Policy for any response that did not set
//! its own (JSON, files). Pages set a nonce-based policy while rendering
//! (`app::security`); the API docs get one that Swagger UI can live with.

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};

const DEFAULT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
pub const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'";
const HSTS: &str = "max-age=63072000; includeSubDomains";

pub async fn add(production: bool, request: Request, next: Next) -> Response {
    let docs = request.uri().path().starts_with("/docs");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set_default(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(headers, header::X_FRAME_OPTIONS, "DENY");
    set_default(headers, header::REFERRER_POLICY, "same-origin");
    set_default(
        headers,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    let policy = if docs { DOCS_POLICY } else { DEFAULT_POLICY };
    set_default(headers, header::CONTENT_SECURITY_POLICY, policy);
    if production {
        set_default(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}

fn set_default(headers: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
    headers
        .entry(name)
        .or_insert_with(|| HeaderValue::from_static(value));
}
