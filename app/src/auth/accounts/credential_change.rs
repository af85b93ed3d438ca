//! What a change of credentials ends. Enabling 2FA, changing the password and
//! resetting it each end every other way into the account in the same
//! transaction as the change: every other session (with its refresh token),
//! every open 2FA sign-in challenge and every outstanding reset link. So a
//! password that leaked, or a session someone else holds, stops working the
//! moment the owner acts.

use chrono::{DateTime, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::auth::{
    account_tokens::{self, TokenPurpose},
    audit::{AuditAction, AuditEvent},
    device_sessions,
    error::AuthError,
};
use crate::entities::{device_sessions as session_rows, two_factor_challenges as challenges};

/// How much a change ended, for its audit event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ended {
    change: AuditAction,
    user_id: Uuid,
    pub sessions: u64,
    pub challenges: u64,
    pub reset_links: u64,
}

impl Ended {
    pub fn details(self) -> Value {
        json!({
            "sessions_revoked": self.sessions,
            "challenges_ended": self.challenges,
            "reset_links_ended": self.reset_links,
        })
    }

    /// The audit event of the change, with what it ended in its details.
    pub fn event(self) -> AuditEvent {
        AuditEvent::new(self.change)
            .user(self.user_id)
            .details(self.details())
    }
}

/// The change `change` (named so in the audit and as the sessions' revocation
/// reason) ends every session of `user_id` except `keep` (the one making the
/// change; `None` ends them all), every open challenge and every unused
/// reset link, on `db` (the caller's transaction).
pub(crate) async fn end_other_ways_in(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<Uuid>,
    now: DateTime<Utc>,
    change: AuditAction,
) -> Result<Ended, AuthError> {
    let reason = change.as_str();
    let mut condition = session_rows::Column::UserId.eq(user_id);
    if let Some(keep) = keep {
        condition = condition.and(session_rows::Column::Id.ne(keep));
    }
    Ok(Ended {
        change,
        user_id,
        sessions: device_sessions::revoke_where(db, now, condition, reason).await?,
        challenges: end_challenges(db, user_id, now).await?,
        reset_links: account_tokens::spend_all(db, user_id, TokenPurpose::Reset, now).await?,
    })
}

/// Marks every open 2FA challenge of the user consumed: a sign-in that got
/// past the password cannot be finished any more.
pub(crate) async fn end_challenges(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, AuthError> {
    let ended = challenges::Entity::update_many()
        .col_expr(challenges::Column::ConsumedAt, Expr::value(now))
        .filter(challenges::Column::UserId.eq(user_id))
        .filter(challenges::Column::ConsumedAt.is_null())
        .exec(db)
        .await?;
    Ok(ended.rows_affected)
}
