//! `/api/admin/resource-servers`: the services allowed to introspect tokens
//! (permission `resource_servers:write`, held by `admin`). The service
//! checks the permission and keeps only a hash of each secret.

use app::{
    auth::{admin::Actor, ids::ResourceServerId},
    types::{NewResourceServer, ResourceServerInfo},
};
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;

use super::{
    error::ApiError,
    extract::{ApiJson, ApiPath, ClientMeta, CurrentCaller},
};
use crate::{http::problem::Problem, state::AppState};

type ApiResult<T> = Result<T, ApiError>;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateResourceServerRequest {
    /// Which service this is, e.g. `billing-api` (at most 64 characters).
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/admin/resource-servers",
    tag = "admin",
    summary = "Register a resource server that may introspect tokens (permission `resource_servers:write`).",
    request_body = CreateResourceServerRequest,
    responses(
        (status = 201, description = "Its client id and secret, shown this once", body = NewResourceServer),
        (status = 400, description = "Invalid name (`validation_error`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiJson(body): ApiJson<CreateResourceServerRequest>,
) -> ApiResult<(StatusCode, Json<NewResourceServer>)> {
    let created = state
        .auth
        .create_resource_server(Actor::of(&caller), &body.name, &meta)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/api/admin/resource-servers",
    tag = "admin",
    summary = "The registered resource servers (permission `resource_servers:write`).",
    responses(
        (status = 200, description = "Resource servers not revoked, oldest first", body = [ResourceServerInfo]),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
) -> ApiResult<Json<Vec<ResourceServerInfo>>> {
    Ok(Json(
        state
            .auth
            .list_resource_servers(Actor::of(&caller), &meta)
            .await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/admin/resource-servers/{id}",
    tag = "admin",
    summary = "Revoke a resource server (permission `resource_servers:write`).",
    params(("id" = Uuid, Path, description = "Its client id")),
    responses(
        (status = 204, description = "Revoked: its next introspection is refused"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Permission denied (`forbidden`), or an API token without that scope (`insufficient_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource server (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per IP or per account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentCaller(caller): CurrentCaller,
    ApiPath(id): ApiPath<ResourceServerId>,
) -> ApiResult<StatusCode> {
    state
        .auth
        .revoke_resource_server(Actor::of(&caller), id, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
