//! `/api/auth/tokens`: the caller's personal API tokens. Managing tokens
//! takes a signed-in session (a token cannot make or list tokens); the
//! service holds every rule (scopes, lifetime, re-authentication).

use app::{
    auth::{api_tokens::CreateApiTokenInput, ids::ApiTokenId},
    types::{ApiTokenInfo, NewApiToken},
};
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;

use super::{
    error::ApiError,
    extract::{ApiJson, ApiPath, ClientMeta, CurrentUser},
};
use crate::{http::problem::Problem, state::AppState};

type ApiResult<T> = Result<T, ApiError>;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateTokenRequest {
    /// What the token is for, e.g. `CI deploy` (at most 64 characters).
    name: String,
    /// Days until it expires: 1 to `API_TOKEN_MAX_DAYS` (365).
    expires_in_days: u32,
    /// What it may do: `profile:read` and permissions you hold
    /// (`users:read`, `users:write`, `audit:read`, ...).
    scopes: Vec<String>,
    /// Your current password; not needed within 5 minutes of signing in.
    password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/auth/tokens",
    tag = "api-tokens",
    summary = "Create a personal API token (shown once).",
    description = "Needs the current password, or a sign-in within `REAUTHENTICATION_WINDOW_MINUTES`. \
        The token starts with `gatehouse_pat_`; send it as `Authorization: Bearer <token>` to \
        `GET /api/auth/me` (scope `profile:read`) and the admin endpoints (their permission as a scope, \
        which you must still hold). Every other endpoint refuses it with `insufficient_scope`.",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, description = "The token, shown this once, and its details", body = NewApiToken),
        (status = 400, description = "Invalid name, lifetime or scopes (`validation_error`: `unknown_scope`, `scope_not_held`, `out_of_range`, ...)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong password (`invalid_credentials`, counted toward the lockout), or missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Password needed (`reauthentication_required`), or called with an API token (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks waiting (`overloaded`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Account locked (`account_locked`), rate limited (`rate_limited`), or a password check still running (`hashing_busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<NewApiToken>)> {
    let input = CreateApiTokenInput {
        name: &body.name,
        expires_in_days: body.expires_in_days,
        scopes: &body.scopes,
        password: body.password.as_deref(),
    };
    let token = state
        .auth
        .create_api_token(&principal, input, &meta)
        .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

#[utoipa::path(
    get,
    path = "/api/auth/tokens",
    tag = "api-tokens",
    summary = "The caller's personal API tokens (never their text).",
    responses(
        (status = 200, description = "Tokens not revoked, newest first", body = [ApiTokenInfo]),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Called with an API token (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<Vec<ApiTokenInfo>>> {
    Ok(Json(state.auth.list_api_tokens(&principal).await?))
}

#[utoipa::path(
    delete,
    path = "/api/auth/tokens/{id}",
    tag = "api-tokens",
    summary = "Revoke one of the caller's personal API tokens.",
    params(("id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked: refused from its next use"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Called with an API token (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not one of the caller's tokens (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
    ApiPath(id): ApiPath<ApiTokenId>,
) -> ApiResult<StatusCode> {
    state.auth.revoke_api_token(&principal, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
