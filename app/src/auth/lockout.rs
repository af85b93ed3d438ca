//! Lockouts after consecutive failures: of the password (`MAX_LOGIN_ATTEMPTS`
//! for `LOCKOUT_DURATION_MINUTES`) and of the second factor
//! (`MAX_TWO_FACTOR_ATTEMPTS` for `TWO_FACTOR_LOCKOUT_MINUTES`). Sign-in,
//! the 2FA challenge and re-authentication all go through the three steps
//! here.
//!
//! 1. `reserve_attempt`, BEFORE the password is hashed or the code checked:
//!    one conditional UPDATE counts the attempt, only on a row that is not
//!    locked (a lock that has run out starts a fresh count). Attempts in
//!    flight therefore count toward the limit, and a burst evaluates at most
//!    the limit, however many requests arrive at once. The attempt that
//!    reaches the limit sets the lock in the same statement; later ones are
//!    refused without any hashing.
//! 2. `settle_failure`: audits the failure; the attempt that set the lock
//!    audits the lock (exactly one request holds it).
//! 3. `settle_success`: clears the count with a conditional UPDATE, only while
//!    the row is unlocked — or locked by this very attempt, which reached the
//!    limit and turned out right. A success whose evaluation ends after a
//!    concurrent attempt set the lock matches no row and is refused.
//!
//! Callers take their place on the hashing threads before reserving, so a
//! busy hasher refuses before anything is counted. An attempt that still
//! could not be evaluated (an error while hashing) is released
//! (`evaluate`). One abandoned between 1 and 3 (a dropped request) stays
//! counted as a failure, and a lock it set stands until it runs out: the
//! safe side.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Expr, SimpleExpr},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, UpdateMany,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::auth::{
    audit::{AuditAction, AuditEvent},
    error::AuthError,
    request::meta::RequestMeta,
    AuthService,
};
use crate::{config::Lockout, entities::users, metrics};

/// Which failures are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Passwords: sign-in and re-authentication.
    Password,
    /// TOTP and backup codes.
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

    fn lock_of(self, user: &users::Model) -> Option<DateTime<Utc>> {
        match self {
            Self::Password => user.locked_until,
            Self::SecondFactor => user.totp_locked_until,
        }
    }

    /// What a locked account answers (429 with `Retry-After`).
    fn refusal(self, until: DateTime<Utc>, now: DateTime<Utc>) -> AuthError {
        match self {
            Self::Password => AuthError::locked(until, now),
            Self::SecondFactor => {
                let seconds = (until - now).num_seconds().max(1).unsigned_abs();
                AuthError::TooManyAttempts {
                    retry_after: std::time::Duration::from_secs(seconds),
                }
            }
        }
    }

    /// The `counter` label of `gatehouse_lockouts_total`.
    fn name(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::SecondFactor => "second_factor",
        }
    }

    fn audit_actions(self) -> (AuditAction, AuditAction) {
        match self {
            Self::Password => (AuditAction::LoginFailed, AuditAction::AccountLocked),
            Self::SecondFactor => (
                AuditAction::TwoFactorChallengeFailed,
                AuditAction::TwoFactorLocked,
            ),
        }
    }
}

/// An attempt counted before its evaluation; settle it with
/// `settle_failure` or `settle_success`.
#[derive(Debug, Clone, Copy)]
#[must_use = "a reserved attempt is settled as a failure or a success"]
pub struct Reservation {
    user_id: Uuid,
    counter: Counter,
    /// The lock this attempt set by reaching the limit, as stored.
    lock: Option<DateTime<Utc>>,
}

impl AuthService {
    fn lockout_policy(&self, counter: Counter) -> Lockout {
        match counter {
            Counter::Password => self.policies().password_lockout,
            Counter::SecondFactor => self.policies().second_factor_lockout,
        }
    }

    /// Counts an attempt before it is evaluated, or refuses it (429) while
    /// the account is locked.
    pub(crate) async fn reserve_attempt(
        &self,
        user_id: Uuid,
        counter: Counter,
    ) -> Result<Reservation, AuthError> {
        let Lockout {
            max_attempts,
            duration: lock_for,
        } = self.lockout_policy(counter);
        let now = self.now();
        let (count_column, until_column) = counter.columns();
        // Only an expired lock is non-null on a row the filter lets through.
        let lock_expired = Expr::col(until_column).is_not_null();
        let next_count: SimpleExpr = Expr::case(lock_expired, Expr::value(1))
            .finally(Expr::col(count_column).add(1))
            .into();
        let reaches_limit = Expr::expr(next_count.clone()).gte(max_attempts as i32);
        let reserved = users::Entity::update_many()
            .col_expr(count_column, next_count)
            .col_expr(
                until_column,
                Expr::case(reaches_limit, Expr::value(now + lock_for))
                    .finally(Expr::value(Option::<DateTime<Utc>>::None))
                    .into(),
            )
            .filter(users::Column::Id.eq(user_id))
            .filter(until_column.is_null().or(until_column.lte(now)))
            .exec_with_returning(self.db())
            .await?;
        match reserved.first() {
            Some(user) => Ok(Reservation {
                user_id,
                counter,
                lock: counter.lock_of(user),
            }),
            None => Err(self.refused(user_id, counter).await?),
        }
    }

    /// The evaluation failed: audits it (with `details`), and the lock if
    /// this attempt set it. Returns what to answer.
    pub(crate) async fn settle_failure(
        &self,
        reservation: Reservation,
        details: Value,
        meta: &RequestMeta,
    ) -> AuthError {
        let Reservation {
            user_id,
            counter,
            lock,
        } = reservation;
        let now = self.now();
        let (failed, locked) = counter.audit_actions();
        if let Err(error) = self
            .audit(AuditEvent::new(failed).user(user_id).details(details), meta)
            .await
        {
            return error;
        }
        let Some(until) = lock else {
            return match counter {
                Counter::Password => AuthError::InvalidCredentials,
                Counter::SecondFactor => AuthError::InvalidCode,
            };
        };
        metrics::lockout(counter.name());
        let details = json!({
            "locked_until": crate::auth::clock::rfc3339(until),
            "failed_attempts": self.lockout_policy(counter).max_attempts,
        });
        match self
            .audit(AuditEvent::new(locked).user(user_id).details(details), meta)
            .await
        {
            Ok(()) => counter.refusal(until, now),
            Err(error) => error,
        }
    }

    /// Runs the evaluation of a reserved attempt. If it could not run at all
    /// (an error, e.g. the hasher refused the work), nothing was evaluated,
    /// so the attempt is released: it stops counting, and a lock it set
    /// goes, rather than locking an account out for a busy server.
    pub(crate) async fn evaluate<T>(
        &self,
        reservation: Reservation,
        evaluation: impl std::future::Future<Output = Result<T, AuthError>>,
    ) -> Result<T, AuthError> {
        match evaluation.await {
            Ok(value) => Ok(value),
            Err(error) => {
                if let Err(release) = self.release(reservation).await {
                    tracing::warn!(%release, "an unevaluated attempt stays counted");
                }
                Err(error)
            }
        }
    }

    /// Takes back an attempt that was never evaluated: one off the count of
    /// a still-unlocked row, or the lock this attempt set.
    async fn release(&self, reservation: Reservation) -> Result<(), AuthError> {
        let (count_column, until_column) = reservation.counter.columns();
        let held = match reservation.lock {
            Some(own) => until_column.eq(own),
            None => until_column.is_null(),
        };
        users::Entity::update_many()
            .col_expr(count_column, Expr::col(count_column).sub(1))
            .col_expr(until_column, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(users::Column::Id.eq(reservation.user_id))
            .filter(count_column.gt(0))
            .filter(held)
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// The evaluation succeeded: clears the count unless a concurrent
    /// attempt locked the account meanwhile, in which case it is refused.
    pub(crate) async fn settle_success(&self, reservation: Reservation) -> Result<(), AuthError> {
        let Reservation {
            user_id,
            counter,
            lock,
        } = reservation;
        let now = self.now();
        let until_column = counter.columns().1;
        let mut unlocked = until_column.is_null().or(until_column.lte(now));
        if let Some(own) = lock {
            unlocked = unlocked.or(until_column.eq(own));
        }
        let cleared = clearing(user_id, counter)
            .filter(unlocked)
            .exec(self.db())
            .await?;
        if cleared.rows_affected == 1 {
            Ok(())
        } else {
            Err(self.refused(user_id, counter).await?)
        }
    }

    /// A sign-in completed through the second factor: refused if the
    /// password lock was set since the password step, else recorded.
    pub(crate) async fn record_sign_in(&self, user_id: Uuid) -> Result<(), AuthError> {
        let now = self.now();
        let recorded = users::Entity::update_many()
            .col_expr(users::Column::LastLogin, Expr::value(now))
            .filter(users::Column::Id.eq(user_id))
            .filter(
                users::Column::LockedUntil
                    .is_null()
                    .or(users::Column::LockedUntil.lte(now)),
            )
            .exec(self.db())
            .await?;
        if recorded.rows_affected == 1 {
            Ok(())
        } else {
            Err(self.refused(user_id, Counter::Password).await?)
        }
    }

    /// The answer for an attempt on a locked account. The read only words
    /// the answer (`Retry-After`); the decision was the UPDATE's.
    async fn refused(&self, user_id: Uuid, counter: Counter) -> Result<AuthError, AuthError> {
        let now = self.now();
        let until = users::Entity::find_by_id(user_id)
            .one(self.db())
            .await?
            .and_then(|user| counter.lock_of(&user))
            .filter(|until| *until > now)
            // Lifted in between: the client may retry at once.
            .unwrap_or(now + Duration::seconds(1));
        Ok(counter.refusal(until, now))
    }
}

/// Lifts `counter`'s lock and zeroes its failure count, whatever their
/// state, on `db` (the caller's transaction or the service's connection):
/// a password reset proved the owner, or an administrator unlocked the
/// account.
pub async fn clear_lockout(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    counter: Counter,
) -> Result<(), AuthError> {
    clearing(user_id, counter).exec(db).await?;
    Ok(())
}

/// The UPDATE that zeroes `counter`'s failures of `user_id` and lifts its
/// lock; `settle_success` adds its condition.
fn clearing(user_id: Uuid, counter: Counter) -> UpdateMany<users::Entity> {
    let (count_column, until_column) = counter.columns();
    users::Entity::update_many()
        .col_expr(count_column, Expr::value(0))
        .col_expr(until_column, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(users::Column::Id.eq(user_id))
}
