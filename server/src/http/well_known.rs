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

use crate::state::AppState;

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

/// Where Gatehouse is and where its keys are. The authorization, token and
/// userinfo endpoints of OpenID Connect are not offered yet, so they are not
/// named here.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderMetadata {
    /// `PUBLIC_URL`.
    #[schema(example = "https://auth.example.com")]
    issuer: String,
    /// The JWK Set of the token-signing keys.
    #[schema(example = "https://auth.example.com/.well-known/jwks.json")]
    jwks_uri: String,
}

#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "discovery",
    summary = "Provider metadata: the issuer and where its public keys are.",
    description = "Only what Gatehouse offers today: `issuer` (`PUBLIC_URL`) and `jwks_uri`. \
        The OpenID Connect authorization endpoints are not offered yet. Cacheable for five minutes.",
    responses(
        (status = 200, description = "The metadata", body = ProviderMetadata, content_type = "application/json",
            headers(("Cache-Control" = String, description = "`public, max-age=300`")))
    )
)]
pub async fn openid_configuration(State(state): State<AppState>) -> impl IntoResponse {
    let issuer = state.config.public_url.clone();
    let jwks_uri = format!("{issuer}{JWKS_PATH}");
    (
        [(header::CACHE_CONTROL, CACHEABLE)],
        Json(ProviderMetadata { issuer, jwks_uri }),
    )
}
