//! Sessions per device: opened at every sign-in (API or browser), checked on
//! every authenticated request, listed, revoked one by one or all at once,
//! and rotated on refresh. Expired rows are removed by a periodic task.

mod lookup;
mod lookup_database;
mod refresh;
mod revocation;
pub mod tokens;

pub use lookup::{ActiveSession, SessionLookup};
pub use lookup_database::DatabaseSessions;
pub(crate) use revocation::revoke_where;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::auth::{
    clock::rfc3339,
    error::AuthError,
    ids::{SessionId, UserId},
    permissions::roles_of,
    principal::Principal,
    request::meta::{clean_text, RequestMeta},
    AuthService,
};
use crate::{
    entities::device_sessions as sessions,
    types::{SessionInfo, TokenPair},
};

const MAX_DEVICE_NAME_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Api,
    Browser,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Browser => "browser",
        }
    }
}

/// A session a sign-in just opened: the browser's cookie session names it,
/// an API client gets its tokens (`issue_tokens`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenedSession {
    pub id: SessionId,
    pub user_id: UserId,
    generation: i64,
}

impl AuthService {
    /// Opens a session for a user who just proved who they are.
    pub(crate) async fn open_session(
        &self,
        db: &impl ConnectionTrait,
        user_id: Uuid,
        kind: SessionKind,
        device_name: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<OpenedSession, AuthError> {
        let now = self.now();
        let session = sessions::Model {
            id: Uuid::new_v4(),
            user_id,
            kind: kind.as_str().to_string(),
            refresh_generation: 0,
            ip_address: Some(meta.ip.to_string()),
            user_agent: meta.user_agent.clone(),
            device_name: device_name
                .map(|name| clean_text(name, MAX_DEVICE_NAME_CHARS))
                .filter(|name| !name.is_empty()),
            created_at: now,
            last_activity: now,
            expires_at: now + self.refresh_ttl(),
            revoked_at: None,
            revoked_reason: None,
        };
        // Names the new session in the span of the sign-in that opened it.
        tracing::Span::current().record("session_id", tracing::field::display(session.id));
        let opened = OpenedSession {
            id: session.id.into(),
            user_id: session.user_id.into(),
            generation: session.refresh_generation,
        };
        sessions::Entity::insert(sessions::ActiveModel::from(session))
            .exec_without_returning(db)
            .await?;
        Ok(opened)
    }

    /// The access and refresh tokens of a session a sign-in just opened,
    /// with the account's current roles. Password sign-in and 2FA
    /// completion both hand tokens out through here.
    pub(crate) async fn issue_tokens(
        &self,
        session: OpenedSession,
    ) -> Result<TokenPair, AuthError> {
        let roles = roles_of(self.db(), session.user_id.as_uuid()).await?;
        self.tokens_for(
            session.user_id.as_uuid(),
            session.id.as_uuid(),
            session.generation,
            roles,
        )
    }

    /// Access and refresh tokens for a session at its current generation.
    pub(crate) fn tokens_for(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        generation: i64,
        roles: Vec<String>,
    ) -> Result<TokenPair, AuthError> {
        let lifetime = self.policies().access_token_lifetime;
        Ok(TokenPair {
            access_token: tokens::issue_access(
                &self.signing_keys(),
                user_id,
                session_id,
                roles,
                self.now(),
                lifetime,
            )?,
            refresh_token: tokens::issue_refresh(self.keys(), session_id, generation),
            token_type: "bearer".into(),
            expires_in: lifetime.num_seconds().unsigned_abs(),
        })
    }

    /// The caller's active sessions, most recently used first.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn list_sessions(
        &self,
        principal: &Principal,
    ) -> Result<Vec<SessionInfo>, AuthError> {
        let now = self.now();
        let rows = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(principal.user_id))
            .filter(sessions::Column::RevokedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(now))
            .order_by_desc(sessions::Column::LastActivity)
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|s| SessionInfo {
                current: SessionId::from(s.id) == principal.session_id,
                id: s.id.to_string(),
                device_name: s.device_name,
                ip_address: s.ip_address,
                user_agent: s.user_agent,
                created_at: rfc3339(s.created_at),
                last_activity: rfc3339(s.last_activity),
                expires_at: rfc3339(s.expires_at),
            })
            .collect())
    }

    fn refresh_ttl(&self) -> Duration {
        self.policies().refresh_token_lifetime
    }

    fn absolute_lifetime(&self) -> Duration {
        self.policies().session_absolute_lifetime
    }
}

fn is_active(session: &sessions::Model, now: DateTime<Utc>) -> bool {
    session.revoked_at.is_none() && session.expires_at > now
}
