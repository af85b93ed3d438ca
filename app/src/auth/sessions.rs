//! Sessions per device: opened at every sign-in (API or browser), checked on
//! every authenticated request, listed, revoked one by one or all at once,
//! and rotated on refresh. Expired rows are removed by a periodic task.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, RelationDef,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditAction},
    error::AuthError,
    permissions::roles_of,
    request_meta::{clean_text, RequestMeta},
    tokens, AuthService,
};
use crate::{
    entities::{sessions, user_roles, users},
    types::{SessionInfo, TokenPair},
};

/// `last_activity` is written at most this often per session, so an API
/// client's every request does not turn into a database write.
const ACTIVITY_RESOLUTION_SECONDS: i64 = 60;
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

/// An authenticated caller: a verified access token whose session is active,
/// with the account and its roles (sorted) as they were read in the same
/// query.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub user: users::Model,
    pub roles: Vec<String>,
    /// When this session's owner proved who they are: the session's
    /// `created_at`, which a refresh does not move.
    pub signed_in_at: DateTime<Utc>,
}

/// One row of the principal query: the session and one role of its account
/// (the roles are LEFT JOINed, so an account without roles gives one row
/// with none).
struct SessionWithRole {
    session: sessions::Model,
    role: Option<String>,
}

impl FromQueryResult for SessionWithRole {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            session: sessions::Model::from_query_result(row, prefix)?,
            role: row.try_get("", "role")?,
        })
    }
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
    ) -> Result<sessions::Model, AuthError> {
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
        sessions::Entity::insert(sessions::ActiveModel::from(session.clone()))
            .exec_without_returning(db)
            .await?;
        Ok(session)
    }

    /// Access and refresh tokens for a session at its current generation.
    pub(crate) fn tokens_for(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        generation: i64,
        roles: Vec<String>,
    ) -> Result<TokenPair, AuthError> {
        let lifetime = self.config().access_token_ttl;
        Ok(TokenPair {
            access_token: tokens::issue_access(
                self.keys(),
                user_id,
                session_id,
                roles,
                self.now(),
                lifetime,
            )?,
            refresh_token: tokens::issue_refresh(self.keys(), session_id, generation),
            token_type: "bearer".into(),
            expires_in: lifetime.as_secs(),
        })
    }

    /// Verifies a bearer token and that its session is still active.
    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, AuthError> {
        let claims = tokens::verify_access(self.keys(), access_token, self.now())?;
        let principal = self
            .principal_for(claims.sid, claims.sub, SessionKind::Api)
            .await?;
        self.admit_signed_in(principal).await
    }

    /// The signed-in user of a browser, whose cookie session names the
    /// `sessions` row (so that "sign out everywhere" ends it too).
    pub async fn authenticate_browser(
        &self,
        session_id: Uuid,
        user_id: Uuid,
    ) -> Result<Principal, AuthError> {
        let principal = self
            .principal_for(session_id, user_id, SessionKind::Browser)
            .await?;
        self.admit_signed_in(principal).await
    }

    /// Every authenticated request spends its session's signed-in budget
    /// (`Door::SignedIn`), whichever transport and address it comes from.
    /// Per session, not per account: someone holding a stolen session can
    /// exhaust only that session's budget, never the owner's, so "sign out
    /// everywhere" and a password change always get through.
    async fn admit_signed_in(&self, principal: Principal) -> Result<Principal, AuthError> {
        self.limits()
            .admit_door(super::limits::Door::SignedIn, principal.session_id)
            .await?;
        Ok(principal)
    }

    /// The principal of an active session of `kind`. One query reads the
    /// session, its account and the account's current roles together: this
    /// runs on every authenticated request, so a role taken away counts at
    /// once without a second round trip.
    async fn principal_for(
        &self,
        session_id: Uuid,
        user_id: Uuid,
        kind: SessionKind,
    ) -> Result<Principal, AuthError> {
        let now = self.now();
        let roles_of_session: RelationDef = sessions::Entity::belongs_to(user_roles::Entity)
            .from(sessions::Column::UserId)
            .to(user_roles::Column::UserId)
            .into();
        let rows = sessions::Entity::find_by_id(session_id)
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::Kind.eq(kind.as_str()))
            .find_also_related(users::Entity)
            .join(JoinType::LeftJoin, roles_of_session)
            .column_as(user_roles::Column::Role, "role")
            .into_model::<SessionWithRole, users::Model>()
            .all(self.db())
            .await?;
        let mut roles: Vec<String> = rows
            .iter()
            .filter_map(|(row, _)| row.role.clone())
            .collect();
        roles.sort();
        roles.dedup();
        let (session, user) = rows
            .into_iter()
            .next()
            .and_then(|(row, user)| Some((row.session, user?)))
            .filter(|(session, user)| is_active(session, now) && user.is_active)
            .ok_or(AuthError::InvalidToken)?;
        if now - session.last_activity > Duration::seconds(ACTIVITY_RESOLUTION_SECONDS) {
            sessions::Entity::update_many()
                .col_expr(sessions::Column::LastActivity, Expr::value(now))
                .filter(sessions::Column::Id.eq(session.id))
                .exec(self.db())
                .await?;
        }
        Ok(Principal {
            user_id: session.user_id,
            session_id: session.id,
            user,
            roles,
            signed_in_at: session.created_at,
        })
    }

    /// Rotates a refresh token. The conditional UPDATE lets exactly one of
    /// any number of concurrent uses win; a valid token of an older
    /// generation is a replay, which revokes the session (RFC 9700 §4.14).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let (session_id, generation) =
            tokens::verify_refresh(self.keys(), refresh_token).ok_or(AuthError::InvalidToken)?;
        let now = self.now();
        let rotated = sessions::Entity::update_many()
            .col_expr(
                sessions::Column::RefreshGeneration,
                Expr::col(sessions::Column::RefreshGeneration).add(1),
            )
            .col_expr(sessions::Column::LastActivity, Expr::value(now))
            .col_expr(
                sessions::Column::ExpiresAt,
                Expr::value(now + self.refresh_ttl()),
            )
            .filter(sessions::Column::Id.eq(session_id))
            .filter(sessions::Column::Kind.eq(SessionKind::Api.as_str()))
            .filter(sessions::Column::RefreshGeneration.eq(generation))
            .filter(sessions::Column::RevokedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(now))
            .filter(sessions::Column::CreatedAt.gt(now - self.absolute_lifetime()))
            .exec(self.db())
            .await?;

        let session = sessions::Entity::find_by_id(session_id)
            .one(self.db())
            .await?;
        if rotated.rows_affected == 1 {
            let session = session.ok_or(AuthError::InvalidToken)?;
            let roles = roles_of(self.db(), session.user_id).await?;
            return self.tokens_for(session.user_id, session.id, generation + 1, roles);
        }
        if let Some(session) = session.as_ref().filter(|s| {
            is_active(s, now)
                && s.refresh_generation == generation
                && s.created_at <= now - self.absolute_lifetime()
        }) {
            // Past its absolute lifetime: the session ends here.
            self.revoke_where(
                sessions::Column::Id.eq(session.id),
                "absolute_lifetime_reached",
            )
            .await?;
            return Err(AuthError::InvalidToken);
        }
        if let Some(session) =
            session.filter(|s| s.revoked_at.is_none() && s.refresh_generation > generation)
        {
            self.revoke_where(sessions::Column::Id.eq(session.id), "refresh_token_reused")
                .await?;
            audit::record(
                self.db(),
                now,
                Some(session.user_id),
                AuditAction::RefreshTokenReused,
                json!({ "session_id": session.id, "presented_generation": generation }),
                meta,
            )
            .await?;
        }
        Err(AuthError::InvalidToken)
    }

    /// Signs out the caller's own session.
    pub async fn logout(&self, principal: &Principal, meta: &RequestMeta) -> Result<(), AuthError> {
        self.revoke_where(sessions::Column::Id.eq(principal.session_id), "logout")
            .await?;
        audit::record(
            self.db(),
            self.now(),
            Some(principal.user_id),
            AuditAction::Logout,
            json!({ "session_id": principal.session_id }),
            meta,
        )
        .await
    }

    /// Signs out every session of the caller, this one included.
    pub async fn logout_all(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
    ) -> Result<u64, AuthError> {
        let revoked = self
            .revoke_where(sessions::Column::UserId.eq(principal.user_id), "logout_all")
            .await?;
        audit::record(
            self.db(),
            self.now(),
            Some(principal.user_id),
            AuditAction::LogoutAll,
            json!({ "revoked": revoked }),
            meta,
        )
        .await?;
        Ok(revoked)
    }

    /// Signs out every other session of the caller, keeping this one.
    pub async fn logout_others(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
    ) -> Result<u64, AuthError> {
        let revoked = self
            .revoke_where(
                sessions::Column::UserId
                    .eq(principal.user_id)
                    .and(sessions::Column::Id.ne(principal.session_id)),
                "logout_others",
            )
            .await?;
        audit::record(
            self.db(),
            self.now(),
            Some(principal.user_id),
            AuditAction::LogoutAll,
            json!({ "revoked": revoked, "kept_current": true }),
            meta,
        )
        .await?;
        Ok(revoked)
    }

    /// The caller's active sessions, most recently used first.
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
                current: s.id == principal.session_id,
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

    /// Revokes one of the caller's sessions. Another user's session, or one
    /// already ended, is `NotFound`: its existence is none of the caller's
    /// business.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        session_id: Uuid,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let revoked = self
            .revoke_where(
                sessions::Column::Id
                    .eq(session_id)
                    .and(sessions::Column::UserId.eq(principal.user_id)),
                "revoked_by_user",
            )
            .await?;
        if revoked == 0 {
            return Err(AuthError::NotFound);
        }
        audit::record(
            self.db(),
            self.now(),
            Some(principal.user_id),
            AuditAction::SessionRevoked,
            json!({ "session_id": session_id }),
            meta,
        )
        .await
    }

    /// Revokes the active sessions matching `condition`; returns how many.
    pub(crate) async fn revoke_where(
        &self,
        condition: sea_orm::sea_query::SimpleExpr,
        reason: &str,
    ) -> Result<u64, AuthError> {
        revoke_where(self.db(), self.now(), condition, reason).await
    }

    /// Deletes sessions that expired, and revoked ones older than a refresh
    /// lifetime; returns how many rows went.
    pub async fn delete_expired_sessions(&self) -> Result<u64, AuthError> {
        let now = self.now();
        let deleted = sessions::Entity::delete_many()
            .filter(
                sessions::Column::ExpiresAt
                    .lte(now)
                    .or(sessions::Column::RevokedAt.lte(now - self.refresh_ttl())),
            )
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected)
    }

    fn refresh_ttl(&self) -> Duration {
        Duration::from_std(self.config().refresh_token_ttl).expect("lifetime within range")
    }

    fn absolute_lifetime(&self) -> Duration {
        Duration::from_std(self.config().session_absolute_lifetime).expect("lifetime within range")
    }
}

/// Revokes the active sessions matching `condition` on `db` (which may be a
/// transaction).
pub(crate) async fn revoke_where(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    condition: sea_orm::sea_query::SimpleExpr,
    reason: &str,
) -> Result<u64, AuthError> {
    let result = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .col_expr(sessions::Column::RevokedReason, Expr::value(reason))
        .filter(condition)
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

fn is_active(session: &sessions::Model, now: DateTime<Utc>) -> bool {
    session.revoked_at.is_none() && session.expires_at > now
}

pub(crate) fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
