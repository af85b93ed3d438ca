//! The error a page shows: a stable code, a sentence that says what to do
//! next, the failed fields, and when to retry. Server functions return it;
//! the mapping from the service's `AuthError` is in one place (below), as the
//! JSON API has its own in `server/src/http/api/error.rs`.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageFieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct PageError {
    /// The HTTP status a failed server function answers with (set here,
    /// once, with the code).
    pub status: u16,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub fields: Vec<PageFieldError>,
    pub retry_after: Option<u64>,
}

impl PageError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    /// An error about one form field.
    pub fn for_field(status: u16, code: &str, field: &str, message: &str) -> Self {
        let mut error = Self::new(status, code, message);
        error.fields.push(PageFieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
        error
    }

    /// The message for one form field, if that field failed.
    pub fn field(&self, name: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| f.field == name)
            .map(|f| f.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }
}

impl FromServerFnError for PageError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Request(_) => Self::new(
                503,
                "network",
                "The server could not be reached. Check your connection and try again.",
            ),
            _ => Self::new(
                500,
                "request_failed",
                "Something went wrong. Please try again.",
            ),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::auth::AuthError> for PageError {
    fn from(error: crate::auth::AuthError) -> Self {
        use crate::auth::AuthError::*;
        let retry_after = error.retry_after();
        let minutes = |seconds: u64| match seconds.div_ceil(60) {
            0 | 1 => "a minute".to_string(),
            n => format!("{n} minutes"),
        };
        let mut page = match error {
            InvalidCredentials => Self::new(
                401,
                "invalid_credentials",
                "The email or password is incorrect.",
            ),
            AccountLocked { retry_after, .. } => Self::new(
                429,
                "account_locked",
                format!(
                    "Too many failed sign-ins: this account is locked for {}. \
                     Try again later, or ask an administrator to unlock it.",
                    match retry_after.as_secs().div_ceil(60) {
                        0 | 1 => "1 more minute".to_string(),
                        n => format!("{n} more minutes"),
                    }
                ),
            ),
            AccountDisabled => Self::new(
                403,
                "account_disabled",
                "This account is disabled. Contact an administrator.",
            ),
            EmailNotVerified => Self::new(
                403,
                "email_not_verified",
                "Please confirm your email address first: open the link we sent you. \
                 No email? Use \"Forgot password\" to get a link that also confirms it.",
            ),
            EmailAlreadyVerified => Self::new(
                409,
                "email_already_verified",
                "Your email address is already confirmed.",
            ),
            InvalidResetToken => Self::new(
                400,
                "invalid_reset_token",
                "This password reset link is invalid, expired or was already used. \
                 Ask for a new one.",
            ),
            InvalidVerificationToken => Self::new(
                400,
                "invalid_verification_token",
                "This confirmation link is invalid, expired or was already used. \
                 Sign in and ask for a new one.",
            ),
            Validation(errors) | WeakPassword(errors) => {
                let mut page = Self::new(400, "validation_error", "Some fields need attention.");
                page.fields = errors
                    .into_iter()
                    .map(|e| PageFieldError {
                        field: e.field.to_string(),
                        code: e.code.to_string(),
                        message: e.message,
                    })
                    .collect();
                if page
                    .fields
                    .iter()
                    .any(|f| f.field.contains("password") && f.code != "required")
                {
                    page.code = "weak_password".into();
                }
                page
            }
            PasswordMismatch => Self::new(
                400,
                "password_mismatch",
                "The new password and its confirmation differ.",
            ),
            PasswordReused => Self::new(
                400,
                "password_reused",
                "Choose a password you have not used recently.",
            ),
            EmailTaken => Self::new(
                409,
                "email_taken",
                "An account with this email address already exists. Sign in instead?",
            ),
            UsernameTaken => Self::new(
                409,
                "username_taken",
                "This username is taken; choose another.",
            ),
            Unauthenticated | InvalidToken => Self::new(
                401,
                "signed_out",
                "Your session has ended. Please sign in again.",
            ),
            Forbidden => Self::new(403, "forbidden", "You do not have permission to do this."),
            NotFound => Self::new(404, "not_found", "That no longer exists."),
            RateLimited { retry_after } => Self::new(
                429,
                "rate_limited",
                format!(
                    "Too many requests from your network. Wait {} and try again.",
                    minutes(retry_after.as_secs())
                ),
            ),
            InvalidCode | InvalidSetupCode => Self::new(
                401,
                "invalid_code",
                "That code is wrong or was already used. Enter the current code.",
            ),
            TwoFactorAlreadyEnabled => Self::new(
                409,
                "two_factor_already_enabled",
                "Two-factor authentication is already on.",
            ),
            TwoFactorNotEnabled => Self::new(
                400,
                "two_factor_not_enabled",
                "Two-factor authentication is off.",
            ),
            TwoFactorSetupRequired => {
                Self::new(400, "two_factor_setup_required", "Start the setup again.")
            }
            TooManyAttempts { retry_after } => Self::new(
                429,
                "too_many_attempts",
                format!(
                    "Too many wrong codes. Try again in {}.",
                    minutes(retry_after.as_secs())
                ),
            ),
            Overloaded { .. } => Self::new(
                503,
                "overloaded",
                "Too many sign-ins are being checked right now. Try again in a moment.",
            ),
            HashingBusy { .. } => Self::new(
                429,
                "hashing_busy",
                "Your previous attempt is still being checked. Wait a moment and try again.",
            ),
            DatabaseUnavailable => Self::new(
                503,
                "unavailable",
                "The service is temporarily unavailable. Try again shortly.",
            ),
            Internal(message) => {
                tracing::error!(error = %message, "internal error in a page");
                Self::new(
                    500,
                    "internal_error",
                    "Something went wrong on our side. Please try again.",
                )
            }
        };
        page.retry_after = retry_after;
        page
    }
}
