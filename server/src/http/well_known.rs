//! `/.well-known/*`: what a service that receives Gatehouse tokens reads to
//! verify them on its own, with any JWT library and no shared secret: the
//! public keys (RFC 7517) and the metadata that says where they are (in the
//! shape of OpenID Connect Discovery, holding only what is true today).

use app::auth::signing_keys::JwkSet;
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::IntoResponse,
    Json,
};
use serde::Serialize;

use crate::{
    http::api::{error::ApiError, INTROSPECTION_PATH},
    state::AppState,
};

pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const OPENID_CONFIGURATION_PATH: &str = "/.well-known/openid-configuration";

/// Verifiers cache the key set as RFC 7517 clients do; five minutes bounds
/// how long one can go without seeing a newly published key, while sparing
/// Gatehouse a fetch per token. Key rotation publishes a key at least this
/// long (plus a node's reload interval) before it signs anything
/// (`JWT_KEY_PUBLICATION_SECONDS`). Both documents are
/// public and hold no secret, so shared caches may keep them too.
const CACHEABLE: HeaderValue = HeaderValue::from_static("public, max-age=300");

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "discovery",
    summary = "The public keys access tokens are signed with (RFC 7517 JWK Set).",
    description = "One key per `kid` a valid access token may name, with `alg` and `use: sig`. \
        During a rotation it holds the next key (published before it signs) and retired keys \
        (until the last token they signed has expired). \
        Empty with `JWT_ALGORITHM=HS256`, whose secret is never published: such tokens can only \
        be verified by Gatehouse. Cacheable for five minutes.",
    responses(
        (status = 200, description = "The JWK Set", body = JwkSet, content_type = "application/json",
            headers(("Cache-Control" = String, description = "`public, max-age=300`")))
    )
)]
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, CACHEABLE)],
        Json(state.auth.jwks()),
    )
}

/// Where Gatehouse is, where its keys are, and how a resource server asks
/// whether a token is still good. The authorization, token and userinfo
/// endpoints of OpenID Connect are not offered yet, so they are not named
/// here.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderMetadata {
    /// `PUBLIC_URL`. (Access tokens carry `iss: "gatehouse"`, as the API
    /// contract fixes; see the README.)
    #[schema(example = "https://auth.example.com")]
    issuer: String,
    /// The JWK Set of the token-signing keys.
    #[schema(example = "https://auth.example.com/.well-known/jwks.json")]
    jwks_uri: String,
    /// Token introspection (RFC 7662), for registered resource servers.
    #[schema(example = "https://auth.example.com/api/oauth/introspect")]
    introspection_endpoint: String,
    /// HTTP Basic or the credentials in the form body (RFC 8414).
    #[schema(example = json!(["client_secret_basic", "client_secret_post"]))]
    introspection_endpoint_auth_methods_supported: [&'static str; 2],
    /// The one algorithm access tokens are signed and accepted with
    /// (`JWT_ALGORITHM`); no other is ever accepted.
    #[schema(example = json!(["EdDSA"]))]
    access_token_signing_alg_values_supported: [&'static str; 1],
    /// What a personal API token may be given (`profile:read` and the
    /// permissions of the permission map).
    #[schema(example = json!(["audit:read", "profile:read", "users:read"]))]
    scopes_supported: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "discovery",
    summary = "Provider metadata: the issuer, its public keys, introspection and algorithms.",
    description = "Only what Gatehouse offers today: `issuer` (`PUBLIC_URL`), `jwks_uri`, the \
        introspection endpoint with its client authentication methods, the access-token signing \
        algorithm and the scopes of personal API tokens. The OpenID Connect authorization, token \
        and userinfo endpoints are not offered yet, so they are not named. Cacheable for five \
        minutes.",
    responses(
        (status = 200, description = "The metadata", body = ProviderMetadata, content_type = "application/json",
            headers(("Cache-Control" = String, description = "`public, max-age=300`")))
    )
)]
pub async fn openid_configuration(
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let issuer = state.config.public_url.clone();
    let metadata = ProviderMetadata {
        jwks_uri: format!("{issuer}{JWKS_PATH}"),
        introspection_endpoint: format!("{issuer}{INTROSPECTION_PATH}"),
        introspection_endpoint_auth_methods_supported: [
            "client_secret_basic",
            "client_secret_post",
        ],
        access_token_signing_alg_values_supported: [state.config.jwt_algorithm.name()],
        scopes_supported: state.auth.known_scopes().await?,
        issuer,
    };
    Ok(([(header::CACHE_CONTROL, CACHEABLE)], Json(metadata)))
}
