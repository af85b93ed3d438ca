//! `/api/admin/*`. The service checks the caller's permission on every call
//! (403 and a `permission_denied` audit event otherwise), so these handlers
//! only translate. A personal API token may call them too, within its
//! scopes (403 `insufficient_scope` beyond them).

use app::{
    auth::{admin::Actor, UserId},
    types::{AdminUser, AdminUserPage, AuditPage},
};
use axum::{extract::State, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    error::ApiError,
    extract::{ApiJson, ApiPath, ApiQuery, ClientMeta, CurrentCaller},
};
use crate::{http::problem::Problem, state::AppState};

type ApiResult<T> = Result<T, ApiError>;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    q: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/api/admin/users",
    tag = "admin",
    summary = "List or search accounts (permission `users:read`).",
    params(UsersQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AdminUserPage),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn list_users(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiQuery(query): ApiQuery<UsersQuery>,
) -> ApiResult<Json<AdminUserPage>> {
    let page = state
        .auth
        .list_users(
            Actor::of(&caller),
            query.q.as_deref(),
            query.limit,
            query.offset,
            &meta,
        )
        .await?;
    Ok(Json(page))
}

#[utoipa::path(
    get,
    path = "/api/admin/users/{id}",
    tag = "admin",
    summary = "One account (permission `users:read`).",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The account", body = AdminUser),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn user_detail(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<AdminUser>> {
    let user = state
        .auth
        .user_detail(Actor::of(&caller), id, &meta)
        .await?;
    Ok(Json(user))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RolesRequest {
    roles: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/api/admin/users/{id}/roles",
    tag = "admin",
    summary = "Replace an account's roles (permission `users:write`).",
    request_body = RolesRequest,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Roles replaced", body = AdminUser),
        (status = 400, description = "Unknown role, or the last administrator would be removed (`validation_error`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied, or a role holding a permission the caller lacks (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn set_roles(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<RolesRequest>,
) -> ApiResult<Json<AdminUser>> {
    let user = state
        .auth
        .set_roles(Actor::of(&caller), id, &body.roles, &meta)
        .await?;
    Ok(Json(user))
}

#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/unlock",
    tag = "admin",
    summary = "Clear a lockout (permission `users:write`).",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Unlocked", body = AdminUser),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn unlock(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<AdminUser>> {
    let user = state
        .auth
        .unlock_user(Actor::of(&caller), id, &meta)
        .await?;
    Ok(Json(user))
}

#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/revoke-sessions",
    tag = "admin",
    summary = "End every session of an account (permission `users:write`).",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "`{revoked}`: sessions ended"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<Value>> {
    let revoked = state
        .auth
        .revoke_user_sessions(Actor::of(&caller), id, &meta)
        .await?;
    Ok(Json(json!({ "revoked": revoked })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordConfirmation {
    /// The acting administrator's own password.
    password: String,
}

#[utoipa::path(
    delete,
    path = "/api/admin/users/{id}/2fa",
    tag = "admin",
    summary = "Remove an account's 2FA (permission `users:write`, with the administrator's own password): the secret and backup codes are deleted, open sign-in challenges end, the event is audited and the user is emailed a notice.",
    request_body = PasswordConfirmation,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "`{totp_enabled: false}`"),
        (status = 400, description = "2FA is off for that account (`two_factor_not_enabled`), or no password (`validation_error`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong password (`invalid_credentials`), missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body lacks `password` (`invalid_body`)", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn remove_two_factor(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<PasswordConfirmation>,
) -> ApiResult<Json<Value>> {
    state
        .auth
        .remove_user_two_factor(Actor::of(&caller), id, &body.password, &meta)
        .await?;
    Ok(Json(json!({ "totp_enabled": false })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    user_id: Option<Uuid>,
    action: Option<String>,
    limit: Option<u64>,
    before: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/admin/audit-log",
    tag = "admin",
    summary = "The audit log, filtered by user and action (permission `audit:read`).",
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit entries, newest first", body = AuditPage),
        (status = 400, description = "Bad query (`invalid_query`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn audit_log(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let page = state
        .auth
        .audit_log(
            Actor::of(&caller),
            query.user_id.map(UserId::from),
            query.action.as_deref(),
            query.limit,
            query.before,
            &meta,
        )
        .await?;
    Ok(Json(page))
}
