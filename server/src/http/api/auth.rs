//! `/api/auth/*`: account endpoints 1–6 and 14–17 of API.md. Each handler
//! reads the request and calls one service method; the rules live there.

use app::{
    auth::{
        accounts::{ChangePasswordInput, RegisterInput},
        sign_in::password::LoginInput,
        SessionId,
    },
    types::{ActivityPage, LoginOutcome, RegisteredUser, SessionInfo, TokenPair, UserProfile},
};
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    error::ApiError,
    extract::{ApiJson, ApiPath, ApiQuery, ClientMeta, CurrentCaller, CurrentUser},
};
use crate::{http::problem::Problem, state::AppState};

type ApiResult<T> = Result<T, ApiError>;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
    device_name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    summary = "Sign in with email and password; opens a session for this device.",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in (`TokenPair`), or, with 2FA on, a challenge for the second factor (`TwoFactorChallenge`)", body = LoginOutcome),
        (status = 400, description = "Invalid input (`validation_error`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown email or wrong password (`invalid_credentials`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account disabled (`account_disabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks waiting (`overloaded`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Account locked (`account_locked`) or rate limited (`rate_limited`), or a password check of this account or address still running (`hashing_busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginOutcome>> {
    let input = LoginInput {
        email: &body.email,
        password: &body.password,
        device_name: body.device_name.as_deref(),
    };
    Ok(Json(state.auth.login(input, &meta).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterRequest {
    email: String,
    username: String,
    password: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/register",
    tag = "auth",
    summary = "Create an account (role `viewer`).",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = RegisteredUser),
        (status = 400, description = "Invalid input (`validation_error`) or weak password (`weak_password`), every failed rule listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email (`email_taken`) or username (`username_taken`) already registered", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks waiting (`overloaded`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`), or a password check of this account or address still running (`hashing_busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisteredUser>)> {
    let input = RegisterInput {
        email: &body.email,
        username: &body.username,
        password: &body.password,
    };
    let user = state.auth.register(input, &meta).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    refresh_token: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "auth",
    summary = "Rotate a refresh token.",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair; the presented refresh token stops working", body = TokenPair),
        (status = 401, description = "Invalid, expired, revoked or replayed refresh token (`invalid_token`); a replay revokes the session", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    Ok(Json(state.auth.refresh(&body.refresh_token, &meta).await?))
}

#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    summary = "Sign out this session.",
    responses(
        (status = 200, description = "Signed out: this session's tokens stop working at once"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<Value>> {
    state.auth.logout(&principal, &meta).await?;
    Ok(Json(json!({ "message": "Signed out." })))
}

#[utoipa::path(
    post,
    path = "/api/auth/logout-all",
    tag = "auth",
    summary = "Sign out every session of the caller.",
    responses(
        (status = 200, description = "`{revoked}`: how many sessions were ended, this one included"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn logout_all(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<Value>> {
    let revoked = state.auth.logout_all(&principal, &meta).await?;
    Ok(Json(json!({ "revoked": revoked })))
}

#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    summary = "The signed-in user's profile.",
    description = "Takes an access token, or a personal API token with the scope `profile:read`.",
    responses(
        (status = 200, description = "The caller's profile", body = UserProfile),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token without `profile:read` (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn me(
    State(state): State<AppState>,
    CurrentCaller(caller): CurrentCaller,
) -> ApiResult<Json<UserProfile>> {
    Ok(Json(state.auth.profile_of(&caller).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/change-password",
    tag = "auth",
    summary = "Change the password.",
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Password changed; every other session revoked"),
        (status = 400, description = "`password_mismatch`, `weak_password`, `password_reused` or `validation_error`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong current password (`invalid_credentials`, counted toward the lockout) or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks waiting (`overloaded`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Account locked by wrong passwords (`account_locked`), rate limited (`rate_limited`), or a password check of this account or address still running (`hashing_busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn change_password(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> ApiResult<Json<Value>> {
    let input = ChangePasswordInput {
        current_password: &body.current_password,
        new_password: &body.new_password,
        confirm_password: &body.confirm_password,
    };
    state.auth.change_password(&principal, input, &meta).await?;
    Ok(Json(json!({
        "message": "Password changed. Every other session has been signed out."
    })))
}

#[utoipa::path(
    get,
    path = "/api/auth/sessions",
    tag = "auth",
    summary = "The caller's active sessions (devices).",
    responses(
        (status = 200, description = "Active sessions, most recently used first", body = [SessionInfo]),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn sessions(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    Ok(Json(state.auth.list_sessions(&principal).await?))
}

#[utoipa::path(
    delete,
    path = "/api/auth/sessions/{id}",
    tag = "auth",
    summary = "Revoke one of the caller's sessions.",
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session revoked"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not one of the caller's active sessions (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<StatusCode> {
    state.auth.revoke_session(&principal, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    limit: Option<u64>,
    before: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/auth/activity",
    tag = "auth",
    summary = "The caller's own security events.",
    params(ActivityQuery),
    responses(
        (status = 200, description = "The caller's security events, newest first", body = ActivityPage),
        (status = 400, description = "Bad query (`invalid_query`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn activity(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    ApiQuery(query): ApiQuery<ActivityQuery>,
) -> ApiResult<Json<ActivityPage>> {
    Ok(Json(
        state
            .auth
            .activity(&principal, query.limit, query.before)
            .await?,
    ))
}
