//! Account lockout after `MAX_LOGIN_ATTEMPTS` consecutive failures, for
//! `LOCKOUT_DURATION_MINUTES`. Counting and locking are one conditional
//! UPDATE, so concurrent failures can neither lose a count nor lock twice:
//! once `locked_until` is set, further failures no longer match the row.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Expr, SimpleExpr},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::error::AuthError;
use crate::entities::users;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Counted; the account is not locked.
    Counted,
    /// This failure locked the account (exactly one request sees this).
    LockedNow { until: DateTime<Utc> },
    /// The account was already locked by a concurrent failure.
    AlreadyLocked,
}

/// Whether the account is locked at `now`, and until when.
pub fn locked_until(user: &users::Model, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    user.locked_until.filter(|until| *until > now)
}

pub async fn record_failure(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
    max_attempts: u32,
    lockout: Duration,
) -> Result<FailureOutcome, AuthError> {
    let until = now + lockout;
    let lock_expired = Expr::col(users::Column::LockedUntil).is_not_null();
    // A lock that has run out starts a fresh count.
    let next_count: SimpleExpr = Expr::case(lock_expired, Expr::value(1))
        .finally(Expr::col(users::Column::FailedLoginAttempts).add(1))
        .into();
    let reaches_limit = Expr::expr(next_count.clone()).gte(max_attempts as i32);
    let updated = users::Entity::update_many()
        .col_expr(users::Column::FailedLoginAttempts, next_count)
        .col_expr(
            users::Column::LockedUntil,
            Expr::case(reaches_limit, Expr::value(until))
                .finally(Expr::value(Option::<DateTime<Utc>>::None))
                .into(),
        )
        .filter(users::Column::Id.eq(user_id))
        .filter(
            users::Column::LockedUntil
                .is_null()
                .or(users::Column::LockedUntil.lte(now)),
        )
        .exec_with_returning(db)
        .await?;
    Ok(match updated.first() {
        None => FailureOutcome::AlreadyLocked,
        Some(user) => match user.locked_until {
            Some(until) => FailureOutcome::LockedNow { until },
            None => FailureOutcome::Counted,
        },
    })
}

/// A successful sign-in clears the count and any expired lock.
pub async fn record_success(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    users::Entity::update_many()
        .col_expr(users::Column::FailedLoginAttempts, Expr::value(0))
        .col_expr(
            users::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(users::Column::LastLogin, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
