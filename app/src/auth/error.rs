//! The one error type of the service layer, and the one decision of what a
//! client is told about it (`AuthError::code`, `AuthError::into_answer`):
//! the stable code, whose status and sentence are in the table of
//! `crate::error_code`, the failed fields and the wait. Both transports read
//! that answer and add nothing of their own: the JSON API turns it into
//! problem+json (`server/src/http/api/error.rs`), the pages into a
//! `PageError`. Variants carry what a client may be told, never a secret,
//! and never whether an unknown account exists.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DbErr;

use crate::error_code::ErrorCode;

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
    /// A personal API token used beyond its scopes, or where only a
    /// signed-in session may act.
    #[error("insufficient scope")]
    InsufficientScope,
    /// A resource server's id or secret is missing or wrong.
    #[error("invalid client credentials")]
    InvalidClient,
    /// Adding a sign-in factor needs the current password, or a sign-in
    /// within the re-authentication window (`reauthentication.rs`).
    #[error("re-authentication required")]
    ReauthenticationRequired,
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

    /// The stable code a client is told, whichever transport it uses; the
    /// code's status and sentence are in `ErrorCode`.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::AccountLocked { .. } => ErrorCode::AccountLocked,
            Self::AccountDisabled => ErrorCode::AccountDisabled,
            Self::EmailNotVerified => ErrorCode::EmailNotVerified,
            Self::EmailAlreadyVerified => ErrorCode::EmailAlreadyVerified,
            Self::InvalidResetToken => ErrorCode::InvalidResetToken,
            Self::InvalidVerificationToken => ErrorCode::InvalidVerificationToken,
            Self::Validation(_) => ErrorCode::ValidationError,
            Self::WeakPassword(_) => ErrorCode::WeakPassword,
            Self::PasswordMismatch => ErrorCode::PasswordMismatch,
            Self::PasswordReused => ErrorCode::PasswordReused,
            Self::EmailTaken => ErrorCode::EmailTaken,
            Self::UsernameTaken => ErrorCode::UsernameTaken,
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::InvalidToken => ErrorCode::InvalidToken,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::InsufficientScope => ErrorCode::InsufficientScope,
            Self::InvalidClient => ErrorCode::InvalidClient,
            Self::ReauthenticationRequired => ErrorCode::ReauthenticationRequired,
            Self::InvalidCode => ErrorCode::InvalidCode,
            Self::InvalidSetupCode => ErrorCode::InvalidSetupCode,
            Self::TwoFactorAlreadyEnabled => ErrorCode::TwoFactorAlreadyEnabled,
            Self::TwoFactorNotEnabled => ErrorCode::TwoFactorNotEnabled,
            Self::TwoFactorSetupRequired => ErrorCode::TwoFactorSetupRequired,
            Self::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Self::NotFound => ErrorCode::NotFound,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::DatabaseUnavailable => ErrorCode::DatabaseUnavailable,
            Self::Overloaded { .. } => ErrorCode::Overloaded,
            Self::HashingBusy { .. } => ErrorCode::HashingBusy,
            Self::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// The HTTP status both transports answer with.
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// What a client is told. An internal error's cause is logged here, in
    /// the request's span, and never told.
    pub fn into_answer(self) -> ErrorAnswer {
        let code = self.code();
        let retry_after = self.retry_after();
        let fields = match self {
            Self::Validation(fields) | Self::WeakPassword(fields) => fields,
            // The one field a client must fix, named on both transports.
            Self::PasswordMismatch => {
                vec![FieldError::new("confirm_password", "password_mismatch")]
            }
            Self::ReauthenticationRequired => {
                vec![FieldError::new("password", "reauthentication_required")]
            }
            Self::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                Vec::new()
            }
            _ => Vec::new(),
        };
        ErrorAnswer {
            code,
            fields,
            retry_after,
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

/// What a client is told about a failed action, the same on both
/// transports: a code (with its status and sentence), the failed fields,
/// and the seconds to wait before retrying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAnswer {
    pub code: ErrorCode,
    pub fields: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

impl ErrorAnswer {
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The sentence for the code, naming the wait where it has one.
    pub fn message(&self) -> String {
        self.code.message(self.retry_after)
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

impl AuthError {
    /// One error of every variant, for the tests that hold both transports
    /// to the table. Built as a chain through a `match` without a wildcard:
    /// a new variant does not compile until it has an arm here, and it is
    /// walked once the arm before it names it (add it to the chain, not
    /// only to the match).
    #[doc(hidden)]
    pub fn one_of_each() -> Vec<AuthError> {
        use AuthError::*;
        let wait = Duration::from_secs(90);
        let fields = || vec![FieldError::new("password", "too_short")];
        let mut all = Vec::new();
        let mut next = Some(InvalidCredentials);
        while let Some(error) = next {
            next = match &error {
                InvalidCredentials => Some(AccountLocked {
                    until: Utc::now(),
                    retry_after: wait,
                }),
                AccountLocked { .. } => Some(AccountDisabled),
                AccountDisabled => Some(EmailNotVerified),
                EmailNotVerified => Some(EmailAlreadyVerified),
                EmailAlreadyVerified => Some(InvalidResetToken),
                InvalidResetToken => Some(InvalidVerificationToken),
                InvalidVerificationToken => {
                    Some(Validation(vec![FieldError::new("email", "invalid_email")]))
                }
                Validation(_) => Some(WeakPassword(fields())),
                WeakPassword(_) => Some(PasswordMismatch),
                PasswordMismatch => Some(PasswordReused),
                PasswordReused => Some(EmailTaken),
                EmailTaken => Some(UsernameTaken),
                UsernameTaken => Some(Unauthenticated),
                Unauthenticated => Some(InvalidToken),
                InvalidToken => Some(Forbidden),
                Forbidden => Some(InsufficientScope),
                InsufficientScope => Some(InvalidClient),
                InvalidClient => Some(ReauthenticationRequired),
                ReauthenticationRequired => Some(InvalidCode),
                InvalidCode => Some(InvalidSetupCode),
                InvalidSetupCode => Some(TwoFactorAlreadyEnabled),
                TwoFactorAlreadyEnabled => Some(TwoFactorNotEnabled),
                TwoFactorNotEnabled => Some(TwoFactorSetupRequired),
                TwoFactorSetupRequired => Some(TooManyAttempts { retry_after: wait }),
                TooManyAttempts { .. } => Some(NotFound),
                NotFound => Some(RateLimited { retry_after: wait }),
                RateLimited { .. } => Some(DatabaseUnavailable),
                DatabaseUnavailable => Some(Overloaded { retry_after: wait }),
                Overloaded { .. } => Some(HashingBusy { retry_after: wait }),
                HashingBusy { .. } => Some(Internal("an example".into())),
                Internal(_) => None,
            };
            all.push(error);
        }
        all
    }
}
