//! `Cache-Control: no-store` on every response except static assets and
//! the public documents of `/.well-known/`.
//!
//! Tokens, TOTP secrets, backup codes and account pages travel in API
//! answers, page renders and server-function answers; rather than list
//! which of those carry a secret (a list that goes stale), nothing is
//! stored by browsers or shared caches unless it is a static asset: the
//! hashed build output under `/pkg/` and the public files at the site root
//! (`public/`, e.g. `/favicon.svg`). One rule, one place. The exception is
//! named here too: the public keys and metadata token verifiers fetch,
//! whose handlers say how long they may be kept (`well_known`).

use super::well_known::{JWKS_PATH, OPENID_CONFIGURATION_PATH};
use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// File types of the public assets served from the site root.
const PUBLIC_ASSET_SUFFIXES: [&str; 5] = [".svg", ".ico", ".png", ".txt", ".webmanifest"];

/// Public documents that set their own `Cache-Control`; they hold no secret.
const PUBLIC_DOCUMENTS: [&str; 2] = [JWKS_PATH, OPENID_CONFIGURATION_PATH];

pub async fn no_store_unless_static(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let cacheable = is_static_asset(path) || PUBLIC_DOCUMENTS.contains(&path);
    let mut response = next.run(request).await;
    if !cacheable {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `/pkg/…`, or a file directly at the site root with a public asset's type.
fn is_static_asset(path: &str) -> bool {
    if path.starts_with("/pkg/") {
        return !path.contains("..");
    }
    let Some(name) = path.strip_prefix('/') else {
        return false;
    };
    !name.contains('/') && PUBLIC_ASSET_SUFFIXES.iter().any(|s| name.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::is_static_asset;

    #[test]
    fn only_build_output_and_public_files_are_static() {
        for path in ["/pkg/gatehouse.wasm", "/pkg/gatehouse.css", "/favicon.svg"] {
            assert!(is_static_asset(path), "{path}");
        }
        for path in [
            "/",
            "/account",
            "/api/auth/login",
            "/api/auth/setup-2fa",
            "/_fn/dev_mailbox",
            "/docs/",
            "/api/favicon.svg",
            "/pkgx/a.css",
        ] {
            assert!(!is_static_asset(path), "{path}");
        }
    }
}
