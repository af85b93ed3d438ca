//! Extractors: handlers never parse headers themselves.
//!
//! - `ClientMeta`: client IP (through `TRUSTED_PROXIES` only), user agent
//!   and request id.
//! - `CurrentUser`: a valid bearer token whose session is still active.
//! - `ApiJson` / `ApiQuery`: axum's, with rejections as problem+json.

use std::net::SocketAddr;

use app::auth::{AuthError, Principal, RequestMeta};
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

pub struct CurrentUser(pub Principal);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(AuthError::Unauthenticated)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or(AuthError::InvalidToken)?;
        Ok(Self(state.auth.authenticate(token).await?))
    }
}

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);
