//! What personal API tokens, resource servers and token introspection show
//! their users. A token's or a secret's text appears only in the answer
//! that creates it, and never in `Debug` output.

use serde::{Deserialize, Serialize};

use super::REDACTED;

/// A personal API token as its owner sees it in the list (never its text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTokenInfo {
    pub id: String,
    pub name: String,
    /// The token's last four characters, to tell tokens apart.
    #[cfg_attr(feature = "ssr", schema(example = "x7qa"))]
    pub hint: String,
    /// What it may do, sorted.
    #[cfg_attr(feature = "ssr", schema(example = json!(["profile:read", "users:read"])))]
    pub scopes: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    /// Past `expires_at`: listed until it is cleaned up, never accepted.
    pub expired: bool,
}

/// A token just made: the one time its text is shown.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    /// Send it as `Authorization: Bearer <token>`. Starts with
    /// `gatehouse_pat_`, so secret scanners can find a leaked one.
    pub token: String,
    pub info: ApiTokenInfo,
}

/// A service allowed to introspect tokens (RFC 7662).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ResourceServerInfo {
    /// Its `client_id` for HTTP Basic authentication.
    pub client_id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A resource server just registered: the one time its secret is shown.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewResourceServer {
    /// `client_secret` for HTTP Basic authentication; starts with
    /// `gatehouse_rs_`.
    pub client_secret: String,
    pub info: ResourceServerInfo,
}

/// The answer of token introspection (RFC 7662 §2.2). An inactive token
/// (unknown, expired, revoked, of a signed-out session, of a disabled
/// account, or not a token at all) is `{"active": false}` and nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Introspection {
    pub active: bool,
    /// `access_token` (a session's JWT) or `api_token` (a personal token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// What the token may do now: space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The account's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The account's roles now (access tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The device session (access tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl std::fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiToken")
            .field("token", &REDACTED)
            .field("info", &self.info)
            .finish()
    }
}

impl std::fmt::Debug for NewResourceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewResourceServer")
            .field("client_secret", &REDACTED)
            .field("info", &self.info)
            .finish()
    }
}
