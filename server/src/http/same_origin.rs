//! CSRF defence for the pages (ASVS 4.2.2, 13.2.6). Pages authenticate with a
//! cookie, so a state-changing request to their server functions must come
//! from our own origin: the browser's `Origin` header (or, lacking it,
//! `Sec-Fetch-Site`) must say so. SameSite=Lax on the cookie is the second
//! line. The JSON API is not affected: bearer tokens are never sent by a
//! browser on its own.

use axum::{
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::problem::Problem;

/// Where Leptos server functions are mounted (`#[server(prefix = ...)]`).
pub const SERVER_FN_PREFIX: &str = "/_fn/";

pub async fn check(request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state
        && request.uri().path().starts_with(SERVER_FN_PREFIX)
        && !is_same_origin(request.headers())
    {
        tracing::warn!("refused a cross-origin request to a server function");
        return Problem::new(
            StatusCode::FORBIDDEN,
            "cross_origin_request",
            "This request did not come from a Gatehouse page.",
        )
        .into_response();
    }
    next.run(request).await
}

fn is_same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = text(header::ORIGIN.as_str()) {
        let host = text(header::HOST.as_str()).unwrap_or_default();
        return url::Url::parse(origin).is_ok_and(|url| {
            let authority = match (url.host_str(), url.port()) {
                (Some(name), Some(port)) => format!("{name}:{port}"),
                (Some(name), None) => name.to_string(),
                _ => return false,
            };
            !host.is_empty() && authority.eq_ignore_ascii_case(host)
        });
    }
    match text("sec-fetch-site") {
        Some(site) => matches!(site, "same-origin" | "none"),
        // Not a browser: nothing ambient (no cookie sent on its own) to abuse.
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn origin_must_match_the_host() {
        assert!(is_same_origin(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("origin", "https://evil.test"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("origin", "null"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!is_same_origin(&headers(&[(
            "sec-fetch-site",
            "cross-site"
        )])));
        assert!(is_same_origin(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
    }
}
