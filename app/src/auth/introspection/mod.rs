//! Token introspection for resource servers (RFC 7662): a service that
//! received a Gatehouse token asks whether it is active *now*. A JWT's
//! signature and expiry say only that it was issued; introspection also
//! asks the token's session (so a signed-out session's token is inactive at
//! once) and the account, and answers with what the token may do today.
//!
//! The asker authenticates as a registered resource server
//! (`resource_servers`). A refusal is audited and spends the `Public`
//! per-IP budget (guessing a secret is as slow as guessing a password);
//! an authenticated server spends its own `Introspection` budget.
//! Whatever is wrong with the token itself, the answer is only
//! `{"active": false}`: nothing tells an unknown token from a revoked one.

pub mod resource_servers;

use serde_json::json;
use uuid::Uuid;

use crate::auth::{
    api_tokens::is_api_token,
    audit::{AuditAction, AuditEvent},
    device_sessions::{tokens, SessionKind},
    error::AuthError,
    limits::Door,
    request::meta::RequestMeta,
    AuthService,
};
use crate::types::Introspection;

/// Anything longer is not a token of ours (and is not hashed or parsed).
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// How a resource server identifies itself (HTTP Basic, or the form's
/// `client_id` and `client_secret`).
#[derive(Clone, Copy)]
pub struct ClientCredentials<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

impl std::fmt::Debug for ClientCredentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

impl AuthService {
    /// Whether `token` is active now, as a resource server is told.
    #[tracing::instrument(skip_all, fields(client_id))]
    pub async fn introspect(
        &self,
        client: Option<ClientCredentials<'_>>,
        token: &str,
        meta: &RequestMeta,
    ) -> Result<Introspection, AuthError> {
        let server = match client {
            Some(client) => {
                self.authenticated_resource_server(client.client_id, client.client_secret)
                    .await?
            }
            None => None,
        };
        let Some(server) = server else {
            self.limits().admit_ip(Door::Public, meta.ip).await?;
            let client_id = client.and_then(|c| Uuid::parse_str(c.client_id.trim()).ok());
            self.audit(
                AuditEvent::new(AuditAction::IntrospectionRefused).details(json!({
                    "client_id": client_id,
                    "reason": if client.is_some() { "invalid_client" } else { "no_credentials" },
                })),
                meta,
            )
            .await?;
            return Err(AuthError::InvalidClient);
        };
        tracing::Span::current().record("client_id", tracing::field::display(server.id));
        self.limits()
            .admit_door(Door::Introspection, server.id)
            .await?;
        self.record_resource_server_use(&server).await?;

        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Ok(Introspection::default());
        }
        if is_api_token(token) {
            self.introspect_api_token(token, meta).await
        } else {
            self.introspect_access_token(token).await
        }
    }

    /// A session's access token: valid signature and claims, and its
    /// session and account still active.
    async fn introspect_access_token(&self, token: &str) -> Result<Introspection, AuthError> {
        let now = self.now();
        let Ok(claims) = tokens::verify_access(&self.signing_keys(), token, now) else {
            return Ok(Introspection::default());
        };
        let Some(session) = self
            .session_lookup()
            .active_session(claims.sid.into(), claims.sub.into(), SessionKind::Api, now)
            .await?
        else {
            return Ok(Introspection::default());
        };
        let scopes = self.scopes_of_roles(&session.roles).await?;
        Ok(Introspection {
            active: true,
            token_type: Some("access_token".into()),
            scope: Some(scopes.join(" ")),
            sub: Some(claims.sub.to_string()),
            username: Some(session.account.username.clone()),
            roles: Some(session.roles),
            sid: Some(claims.sid.to_string()),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            iss: Some(claims.iss),
            aud: Some(claims.aud),
            jti: Some(claims.jti.to_string()),
        })
    }

    /// A personal API token: not revoked or expired, its account active;
    /// its scope is what it was given and its owner still holds.
    async fn introspect_api_token(
        &self,
        text: &str,
        meta: &RequestMeta,
    ) -> Result<Introspection, AuthError> {
        let Some((token, user)) = self.active_api_token(text, meta).await? else {
            return Ok(Introspection::default());
        };
        let held = self.grantable_scopes(user.id.into()).await?;
        let scope: Vec<&str> = token
            .scopes
            .split(' ')
            .filter(|scope| held.iter().any(|h| h == scope))
            .collect();
        Ok(Introspection {
            active: true,
            token_type: Some("api_token".into()),
            scope: Some(scope.join(" ")),
            sub: Some(user.id.to_string()),
            username: Some(user.username),
            exp: Some(token.expires_at.timestamp()),
            iat: Some(token.created_at.timestamp()),
            jti: Some(token.id.to_string()),
            ..Introspection::default()
        })
    }
}
