//! Extractors: handlers never parse headers themselves.
//!
//! - `ClientMeta`: client IP (through `TRUSTED_PROXIES` only), user agent
//!   and request id.
//! - `CurrentUser`: a valid access token whose session is still active.
//! - `CurrentCaller`: that, or a valid personal API token.
//! - `BasicCredentials`: a resource server's client id and secret.
//! - `ApiJson` / `ApiForm` / `ApiQuery`: axum's, with rejections as
//!   problem+json.

use std::net::SocketAddr;

use app::auth::{AuthError, Caller, Principal, RequestMeta};
use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts},
    http::{header, request::Parts},
};

use super::error::ApiError;
use crate::state::AppState;

pub struct ClientMeta(pub RequestMeta);

/// Who is asking, from the request's parts.
pub fn request_meta(parts: &Parts, state: &AppState) -> RequestMeta {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    RequestMeta::from_http(peer, &parts.headers, &state.config.trusted_proxies)
}

impl FromRequestParts<AppState> for ClientMeta {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(request_meta(parts, state)))
    }
}

/// A signed-in session's access token, for what only a session may do (a
/// personal API token is refused with `insufficient_scope`).
pub struct CurrentUser(pub Principal);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        Ok(Self(state.auth.authenticate_session_bearer(token).await?))
    }
}

/// A session's access token or a personal API token, for the operations a
/// token may do within its scopes (the service checks them).
pub struct CurrentCaller(pub Caller);

impl FromRequestParts<AppState> for CurrentCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let meta = request_meta(parts, state);
        Ok(Self(state.auth.authenticate_caller(token, &meta).await?))
    }
}

/// The credential of `Authorization: Bearer <credential>`.
fn bearer(parts: &Parts) -> Result<&str, AuthError> {
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Unauthenticated)?;
    header
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or(AuthError::InvalidToken)
}

/// HTTP Basic credentials (RFC 7617), as a resource server sends its
/// client id and secret (each form-urlencoded first, RFC 6749 §2.3.1).
/// `None` without an `Authorization: Basic` header; a header that is not
/// valid Basic gives empty credentials, which no server has.
pub struct BasicCredentials(pub Option<(String, String)>);

impl FromRequestParts<AppState> for BasicCredentials {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self(None));
        };
        let Some((scheme, encoded)) = value.to_str().ok().and_then(|v| v.split_once(' ')) else {
            return Ok(Self(Some(Default::default())));
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return Ok(Self(None));
        }
        use base64::{engine::general_purpose::STANDARD, Engine};
        let credentials = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| {
                let (id, secret) = text.split_once(':')?;
                Some((form_decoded(id)?, form_decoded(secret)?))
            })
            .unwrap_or_default();
        Ok(Self(Some(credentials)))
    }
}

fn form_decoded(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub struct ApiForm<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);
