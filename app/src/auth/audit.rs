//! The audit log: every security event, with who, when and where. Details are
//! structured and never hold a password, token, code or secret.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::{
    error::AuthError, principal::TokenPrincipal, request::meta::RequestMeta, AuthService,
};
use crate::entities::audit_log;
use crate::types::{AuditEntry, AuditPage};

/// The stable names of audit actions (also what clients filter on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    UserRegistered,
    LoginSucceeded,
    LoginFailed,
    AccountLocked,
    Logout,
    LogoutAll,
    RefreshTokenReused,
    PasswordChanged,
    PasswordRehashed,
    SessionRevoked,
    RoleChanged,
    PermissionDenied,
    AccountUnlocked,
    SessionsRevokedByAdmin,
    TwoFactorEnabled,
    TwoFactorDisabled,
    TwoFactorChallengeFailed,
    TwoFactorLocked,
    TwoFactorCodeReplayed,
    BackupCodeUsed,
    BackupCodesRegenerated,
    PasswordResetRequested,
    PasswordReset,
    VerificationEmailSent,
    EmailVerified,
    TwoFactorRemovedByAdmin,
    ApiTokenCreated,
    ApiTokenRevoked,
    ApiTokenUsed,
    ApiTokenRefused,
    ResourceServerCreated,
    ResourceServerRevoked,
    IntrospectionRefused,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user_registered",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::AccountLocked => "account_locked",
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::PasswordChanged => "password_changed",
            Self::PasswordRehashed => "password_rehashed",
            Self::SessionRevoked => "session_revoked",
            Self::RoleChanged => "role_changed",
            Self::PermissionDenied => "permission_denied",
            Self::AccountUnlocked => "account_unlocked",
            Self::SessionsRevokedByAdmin => "sessions_revoked_by_admin",
            Self::TwoFactorEnabled => "two_factor_enabled",
            Self::TwoFactorDisabled => "two_factor_disabled",
            Self::TwoFactorChallengeFailed => "two_factor_challenge_failed",
            Self::TwoFactorLocked => "two_factor_locked",
            Self::TwoFactorCodeReplayed => "two_factor_code_replayed",
            Self::BackupCodeUsed => "backup_code_used",
            Self::BackupCodesRegenerated => "backup_codes_regenerated",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::VerificationEmailSent => "verification_email_sent",
            Self::EmailVerified => "email_verified",
            Self::TwoFactorRemovedByAdmin => "two_factor_removed_by_admin",
            Self::ApiTokenCreated => "api_token_created",
            Self::ApiTokenRevoked => "api_token_revoked",
            Self::ApiTokenUsed => "api_token_used",
            Self::ApiTokenRefused => "api_token_refused",
            Self::ResourceServerCreated => "resource_server_created",
            Self::ResourceServerRevoked => "resource_server_revoked",
            Self::IntrospectionRefused => "introspection_refused",
        }
    }
}

/// One security event, built fluently and written once:
/// `AuditEvent::new(AuditAction::Logout).user(id).details(json!({..}))`,
/// then `AuthService::audit` on the service's connection, or `record` on the
/// caller's transaction. Without `details` the event has none (`{}`); without
/// `actor` it was done by its user (or by nobody known).
#[derive(Debug, Clone)]
#[must_use = "an audit event is written only by `record` or `AuthService::audit`"]
pub struct AuditEvent {
    action: AuditAction,
    user_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    /// The API token the actor used, added to the details as `api_token`.
    via_token: Option<Value>,
    details: Value,
}

/// Who acted, as the audit log names them: an account (none: the
/// operator), and the personal API token it acted through, if any.
#[derive(Debug, Clone)]
pub struct AuditActor {
    id: Option<Uuid>,
    token: Option<Value>,
}

impl AuditActor {
    pub fn account(id: Option<Uuid>) -> Self {
        Self { id, token: None }
    }

    /// The token's owner, acting through it (named by id and name).
    pub fn token(token: &TokenPrincipal) -> Self {
        Self {
            id: Some(token.user_id.as_uuid()),
            token: Some(serde_json::json!({ "id": token.token_id, "name": token.name })),
        }
    }
}

impl AuditEvent {
    pub fn new(action: AuditAction) -> Self {
        Self {
            action,
            user_id: None,
            actor_id: None,
            via_token: None,
            details: Value::Object(Default::default()),
        }
    }

    /// Who did it (see `actor`), and through which API token.
    pub fn by(mut self, actor: AuditActor) -> Self {
        self.actor_id = actor.id;
        self.via_token = actor.token;
        self
    }

    /// The account the event is about.
    pub fn user(mut self, user_id: impl Into<Option<Uuid>>) -> Self {
        self.user_id = user_id.into();
        self
    }

    /// Who did it, when not the user: an administrator (`None`: the operator).
    pub fn actor(mut self, actor_id: impl Into<Option<Uuid>>) -> Self {
        self.actor_id = actor_id.into();
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// Writes the event at `now` on `db` (the caller's transaction, or any
    /// connection).
    pub async fn record(
        self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let Self {
            action,
            user_id,
            actor_id,
            via_token,
            mut details,
        } = self;
        if let (Some(token), Value::Object(fields)) = (via_token, &mut details) {
            fields.insert("api_token".into(), token);
        }
        tracing::info!(
            audit = action.as_str(),
            user_id = user_id.map(|id| id.to_string()),
            actor_id = actor_id.map(|id| id.to_string()),
            ip = %meta.ip,
            "security event"
        );
        audit_log::Entity::insert(audit_log::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
            actor_id: Set(actor_id),
            action: Set(action.as_str().to_string()),
            details: Set(details),
            ip_address: Set(Some(meta.ip.to_string())),
            user_agent: Set(meta.user_agent.clone()),
            request_id: Set(meta.request_id.clone()),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
        Ok(())
    }
}

impl AuthService {
    /// Writes `event` now, on the service's connection.
    pub(crate) async fn audit(
        &self,
        event: AuditEvent,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        event.record(self.db(), self.now(), meta).await
    }
}

/// The most events one page holds (`limit` is clamped to it; 50 when not
/// given).
pub const MAX_PAGE: u64 = 100;

/// A page of events, newest first, before the event id `before`, for one
/// user and/or one action when given; `next_before` asks for the next page.
/// The user's own activity and the administrators' log both read it.
pub async fn page(
    db: &impl ConnectionTrait,
    user_id: Option<Uuid>,
    action: Option<&str>,
    limit: Option<u64>,
    before: Option<i64>,
) -> Result<AuditPage, AuthError> {
    let limit = limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let mut query = audit_log::Entity::find();
    if let Some(user_id) = user_id {
        query = query.filter(audit_log::Column::UserId.eq(user_id));
    }
    if let Some(action) = action {
        query = query.filter(audit_log::Column::Action.eq(action));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let next_before = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(AuditPage {
        entries: rows
            .into_iter()
            .map(|row| AuditEntry {
                id: row.id,
                user_id: row.user_id.map(|id| id.to_string()),
                actor_id: row.actor_id.map(|id| id.to_string()),
                action: row.action,
                ip_address: row.ip_address,
                user_agent: row.user_agent,
                details: row.details,
                created_at: crate::auth::clock::rfc3339(row.created_at),
            })
            .collect(),
        next_before,
    })
}
