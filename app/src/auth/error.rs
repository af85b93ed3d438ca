//! The one error type of the service layer. Each transport maps it once: the
//! JSON API to problem+json (`server/src/http/api/error.rs`), the pages to
//! their own error type. Variants carry what a client may be told, never a
//! secret, and never whether an unknown account exists.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DbErr;

/// One failed input rule: which field, a stable code, and a sentence a person
/// can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    /// The error `code` on `field`, with the sentence both transports show
    /// for it (`crate::messages`, where pages read it too).
    pub fn new(field: &'static str, code: &'static str) -> Self {
        Self {
            field,
            code,
            message: crate::messages::field_message(field, code),
        }
    }

    /// With a message naming details that only the JSON API shows (a page
    /// shows the code's sentence: only codes reach it).
    pub fn detailed(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown email or wrong password: deliberately indistinguishable.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("account locked until {until}")]
    AccountLocked {
        until: DateTime<Utc>,
        retry_after: Duration,
    },
    #[error("account disabled")]
    AccountDisabled,
    /// `REQUIRE_EMAIL_VERIFICATION` is on and the address is not verified.
    /// Said only after the right password.
    #[error("email address not verified")]
    EmailNotVerified,
    #[error("email address already verified")]
    EmailAlreadyVerified,
    /// A password-reset token that is unknown, tampered with, expired or
    /// already used (deliberately not told apart).
    #[error("invalid or expired reset token")]
    InvalidResetToken,
    /// The same for an email-verification token.
    #[error("invalid or expired verification token")]
    InvalidVerificationToken,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("password does not meet the policy")]
    WeakPassword(Vec<FieldError>),
    #[error("new password and confirmation differ")]
    PasswordMismatch,
    #[error("password was used recently")]
    PasswordReused,
    #[error("email already registered")]
    EmailTaken,
    #[error("username already taken")]
    UsernameTaken,
    /// No credentials were presented.
    #[error("authentication required")]
    Unauthenticated,
    /// A token was presented but is malformed, expired, revoked or of the
    /// wrong type.
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("permission denied")]
    Forbidden,
    /// Adding a sign-in factor needs the current password, or a sign-in
    /// within the last `window_minutes` (`reauthentication.rs`).
    #[error("re-authentication required")]
    ReauthenticationRequired { window_minutes: i64 },
    /// A wrong second factor while signing in or confirming an action.
    #[error("invalid code")]
    InvalidCode,
    /// The code does not prove the new authenticator was set up correctly.
    #[error("invalid setup code")]
    InvalidSetupCode,
    #[error("two-factor authentication is already on")]
    TwoFactorAlreadyEnabled,
    #[error("two-factor authentication is off")]
    TwoFactorNotEnabled,
    #[error("no two-factor setup is pending")]
    TwoFactorSetupRequired,
    /// Too many wrong second factors: verification is locked for a while.
    #[error("too many attempts")]
    TooManyAttempts { retry_after: Duration },
    #[error("not found")]
    NotFound,
    #[error("too many requests")]
    RateLimited { retry_after: Duration },
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    /// The password-hashing queue is full: answered at once (503) rather
    /// than queued behind work of unknown length.
    #[error("too busy to check passwords right now")]
    Overloaded { retry_after: Duration },
    /// This account or client IP already has its share of password hashes
    /// in progress (429).
    #[error("too many password checks in progress")]
    HashingBusy { retry_after: Duration },
    /// Anything unexpected. The message is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AuthError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }

    /// The account is locked until `until`, as seen at `now`.
    pub fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let seconds = (until - now).num_seconds().max(1).unsigned_abs();
        Self::AccountLocked {
            until,
            retry_after: Duration::from_secs(seconds),
        }
    }

    /// Seconds a client should wait before retrying, for 429 answers.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::AccountLocked { retry_after, .. }
            | Self::RateLimited { retry_after }
            | Self::TooManyAttempts { retry_after }
            | Self::Overloaded { retry_after }
            | Self::HashingBusy { retry_after } => Some(retry_after.as_secs().max(1)),
            _ => None,
        }
    }
}

impl From<DbErr> for AuthError {
    fn from(error: DbErr) -> Self {
        match error {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::DatabaseUnavailable,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<sea_orm::TransactionError<AuthError>> for AuthError {
    fn from(error: sea_orm::TransactionError<AuthError>) -> Self {
        match error {
            sea_orm::TransactionError::Connection(error) => error.into(),
            sea_orm::TransactionError::Transaction(error) => error,
        }
    }
}
