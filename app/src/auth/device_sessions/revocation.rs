//! Ending sessions: one, every other, all of them, or those matching a
//! condition (an administrator, a credential change); and removing old rows.

use chrono::{DateTime, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::auth::principal::Principal;
use crate::auth::{
    audit::{AuditAction, AuditEvent},
    error::AuthError,
    ids::SessionId,
    request::meta::RequestMeta,
    AuthService,
};
use crate::entities::device_sessions as sessions;

impl AuthService {
    /// Signs out the caller's own session.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn logout(&self, principal: &Principal, meta: &RequestMeta) -> Result<(), AuthError> {
        self.revoke_where(sessions::Column::Id.eq(principal.session_id), "logout")
            .await?;
        self.audit(
            AuditEvent::new(AuditAction::Logout)
                .user(principal.user_id)
                .details(json!({ "session_id": principal.session_id })),
            meta,
        )
        .await
    }

    /// Signs out every session of the caller, this one included.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn logout_all(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
    ) -> Result<u64, AuthError> {
        let revoked = self
            .revoke_where(sessions::Column::UserId.eq(principal.user_id), "logout_all")
            .await?;
        self.audit(
            AuditEvent::new(AuditAction::LogoutAll)
                .user(principal.user_id)
                .details(json!({ "revoked": revoked })),
            meta,
        )
        .await?;
        Ok(revoked)
    }

    /// Signs out every other session of the caller, keeping this one.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
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
        self.audit(
            AuditEvent::new(AuditAction::LogoutAll)
                .user(principal.user_id)
                .details(json!({ "revoked": revoked, "kept_current": true })),
            meta,
        )
        .await?;
        Ok(revoked)
    }

    /// Revokes one of the caller's sessions. Another user's session, or one
    /// already ended, is `NotFound`: its existence is none of the caller's
    /// business.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id, revoked = %session_id))]
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        session_id: SessionId,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let session_id = session_id.as_uuid();
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
        self.audit(
            AuditEvent::new(AuditAction::SessionRevoked)
                .user(principal.user_id)
                .details(json!({ "session_id": session_id })),
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
    #[tracing::instrument(skip_all)]
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
