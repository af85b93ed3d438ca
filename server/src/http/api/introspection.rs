//! `POST /api/oauth/introspect` (RFC 7662): a registered resource server
//! asks whether a token it received is active now. The service decides;
//! this reads the form and the client's credentials.

use app::{auth::introspection::ClientCredentials, types::Introspection};
use axum::{extract::State, Json};
use serde::Deserialize;

use super::{
    error::ApiError,
    extract::{ApiForm, BasicCredentials, ClientMeta},
};
use crate::{http::problem::Problem, state::AppState};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct IntrospectionRequest {
    /// The token to check: an access token or a personal API token.
    token: String,
    /// Accepted and ignored: the token's shape says what it is.
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    /// The resource server's id, when not sent with HTTP Basic.
    client_id: Option<String>,
    /// Its secret, when not sent with HTTP Basic.
    client_secret: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/oauth/introspect",
    tag = "discovery",
    summary = "Token introspection for resource servers (RFC 7662).",
    description = "Authenticate as a resource server registered by an administrator \
        (`server admin resource-servers create NAME`, or `POST /api/admin/resource-servers`): \
        HTTP Basic with its `client_id` and `client_secret` (or both in the form). \
        An active access token answers with `sub`, `sid`, `roles` and `scope` as they are now; \
        a token of a signed-out session, a revoked API token, an expired or unknown token \
        all answer `{\"active\": false}` and nothing else.",
    request_body(content = IntrospectionRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Whether the token is active, and what it may do", body = Introspection),
        (status = 400, description = "The form cannot be read (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong resource-server credentials (`invalid_client`); audited", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Basic realm=\"gatehouse\"`"))),
        (status = 415, description = "Not a form (`unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited per resource server or per IP (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("basic" = []))
)]
pub async fn introspect(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    BasicCredentials(basic): BasicCredentials,
    ApiForm(form): ApiForm<IntrospectionRequest>,
) -> Result<Json<Introspection>, ApiError> {
    let posted = form.client_id.as_deref().zip(form.client_secret.as_deref());
    let client = match &basic {
        Some((id, secret)) => Some((id.as_str(), secret.as_str())),
        None => posted,
    }
    .map(|(client_id, client_secret)| ClientCredentials {
        client_id,
        client_secret,
    });
    Ok(Json(
        state.auth.introspect(client, &form.token, &meta).await?,
    ))
}
