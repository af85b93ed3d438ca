//! Lockouts after consecutive failures: of the password (`MAX_LOGIN_ATTEMPTS`
//! for `LOCKOUT_DURATION_MINUTES`) and of the second factor (5 for 15
//! minutes). Counting and locking are one conditional UPDATE, so concurrent
//! failures can neither lose a count nor lock twice: once the lock is set,
//! further failures no longer match the row.

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

/// Which failures are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Password,
    SecondFactor,
}

impl Counter {
    fn columns(self) -> (users::Column, users::Column) {
        match self {
            Self::Password => (
                users::Column::FailedLoginAttempts,
                users::Column::LockedUntil,
            ),
            Self::SecondFactor => (
                users::Column::TotpFailedAttempts,
                users::Column::TotpLockedUntil,
            ),
        }
    }
}

/// Whether the account is locked at `now`, and until when.
pub fn locked_until(user: &users::Model, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    user.locked_until.filter(|until| *until > now)
}

/// Whether second-factor verification is locked at `now`, and until when.
pub fn second_factor_locked_until(
    user: &users::Model,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    user.totp_locked_until.filter(|until| *until > now)
}

pub async fn record_failure(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    counter: Counter,
    now: DateTime<Utc>,
    max_attempts: u32,
    lockout: Duration,
) -> Result<FailureOutcome, AuthError> {
    let (count_column, until_column) = counter.columns();
    let until = now + lockout;
    let lock_expired = Expr::col(until_column).is_not_null();
    // A lock that has run out starts a fresh count.
    let next_count: SimpleExpr = Expr::case(lock_expired, Expr::value(1))
        .finally(Expr::col(count_column).add(1))
        .into();
    let reaches_limit = Expr::expr(next_count.clone()).gte(max_attempts as i32);
    let updated = users::Entity::update_many()
        .col_expr(count_column, next_count)
        .col_expr(
            until_column,
            Expr::case(reaches_limit, Expr::value(until))
                .finally(Expr::value(Option::<DateTime<Utc>>::None))
                .into(),
        )
        .filter(users::Column::Id.eq(user_id))
        .filter(until_column.is_null().or(until_column.lte(now)))
        .exec_with_returning(db)
        .await?;
    let lock = |user: &users::Model| match counter {
        Counter::Password => user.locked_until,
        Counter::SecondFactor => user.totp_locked_until,
    };
    Ok(match updated.first() {
        None => FailureOutcome::AlreadyLocked,
        Some(user) => match lock(user) {
            Some(until) => FailureOutcome::LockedNow { until },
            None => FailureOutcome::Counted,
        },
    })
}

/// A correct second factor clears its count and any expired lock.
pub async fn clear_second_factor_failures(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<(), AuthError> {
    users::Entity::update_many()
        .col_expr(users::Column::TotpFailedAttempts, Expr::value(0))
        .col_expr(
            users::Column::TotpLockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A password reset proves the owner: the failure count and any lock go.
pub async fn clear_password_lockout(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<(), AuthError> {
    users::Entity::update_many()
        .col_expr(users::Column::FailedLoginAttempts, Expr::value(0))
        .col_expr(
            users::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
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
