//! `/api/auth/*`: account endpoints 1–6 and 14–17 of API.md. Each handler
//! reads the request and calls one service method; the rules live there.

use app::{
    auth::{
        accounts::{ChangePasswordInput, RegisterInput},
        login::LoginInput,
    },
    types::{ActivityPage, RegisteredUser, SessionInfo, TokenPair, UserProfile},
};
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    error::ApiError,
    extract::{ApiJson, ApiPath, ApiQuery, ClientMeta, CurrentUser},
};
use crate::state::AppState;

type ApiResult<T> = Result<T, ApiError>;

#[derive(Deserialize)]
pub struct LoginRequest {
    email: String,
    password: String,
    device_name: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<TokenPair>> {
    let input = LoginInput {
        email: &body.email,
        password: &body.password,
        device_name: body.device_name.as_deref(),
    };
    Ok(Json(state.auth.login(input, &meta).await?))
}

#[derive(Deserialize)]
pub struct RegisterRequest {
    email: String,
    username: String,
    password: String,
}

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

#[derive(Deserialize)]
pub struct RefreshRequest {
    refresh_token: String,
}

pub async fn refresh(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    Ok(Json(state.auth.refresh(&body.refresh_token, &meta).await?))
}

pub async fn logout(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<Value>> {
    state.auth.logout(&principal, &meta).await?;
    Ok(Json(json!({ "message": "Signed out." })))
}

pub async fn logout_all(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<Value>> {
    let revoked = state.auth.logout_all(&principal, &meta).await?;
    Ok(Json(json!({ "revoked": revoked })))
}

pub async fn me(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<UserProfile>> {
    Ok(Json(state.auth.profile(&principal).await?))
}

#[derive(Deserialize)]
pub struct ChangePasswordRequest {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

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

pub async fn sessions(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    Ok(Json(state.auth.list_sessions(&principal).await?))
}

pub async fn revoke_session(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    state.auth.revoke_session(&principal, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ActivityQuery {
    limit: Option<u64>,
    before: Option<i64>,
}

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
