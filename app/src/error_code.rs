//! The one table of failed outcomes: every error code Gatehouse answers
//! with, its HTTP status and the sentence a person reads. The JSON API's
//! problem+json (`code`, `status`, `detail`) and the pages' `PageError`
//! both read it, so a code means the same on both transports. Compiled into
//! the wasm too: a page error travels as codes only and the page turns them
//! back into these sentences (see `page_error`).
//!
//! Which `AuthError` gives which code is decided in `auth/error.rs`, next to
//! the variants. The codes at the end of the table are the pages' own
//! outcomes, which the service never returns.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Defines `ErrorCode` from rows of `Variant = "code", status`, with
/// `ALL`, `as_str` and `status` built from the same rows, so none of them
/// can miss a code.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:literal;)+) => {
        /// A stable, snake_case error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &[ErrorCode] = &[$(Self::$variant,)+];

            /// The code as clients see it (`code` of problem+json).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The HTTP status both transports answer with.
            pub const fn status(self) -> u16 {
                match self {
                    $(Self::$variant => $status,)+
                }
            }

            /// The code named by `text`, if it is one of ours.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// Unknown email or wrong password, deliberately not told apart.
    InvalidCredentials = "invalid_credentials", 401;
    AccountLocked = "account_locked", 429;
    AccountDisabled = "account_disabled", 403;
    EmailNotVerified = "email_not_verified", 403;
    EmailAlreadyVerified = "email_already_verified", 409;
    InvalidResetToken = "invalid_reset_token", 400;
    InvalidVerificationToken = "invalid_verification_token", 400;
    ValidationError = "validation_error", 400;
    WeakPassword = "weak_password", 400;
    PasswordMismatch = "password_mismatch", 400;
    PasswordReused = "password_reused", 400;
    EmailTaken = "email_taken", 409;
    UsernameTaken = "username_taken", 409;
    /// No credentials: no token, or no signed-in session on a page.
    Unauthenticated = "unauthenticated", 401;
    /// A token or session that is malformed, expired or revoked.
    InvalidToken = "invalid_token", 401;
    Forbidden = "forbidden", 403;
    /// A personal API token used for what its scopes do not cover (or for
    /// what only a signed-in session may do, such as changing the password).
    InsufficientScope = "insufficient_scope", 403;
    /// A resource server whose credentials are missing or wrong.
    InvalidClient = "invalid_client", 401;
    ReauthenticationRequired = "reauthentication_required", 403;
    /// A wrong second factor while signing in or confirming an action.
    InvalidCode = "invalid_code", 401;
    /// A code that does not prove a new authenticator was set up right: a
    /// mistake in the form (400), not a failed authentication.
    InvalidSetupCode = "invalid_setup_code", 400;
    TwoFactorAlreadyEnabled = "two_factor_already_enabled", 409;
    TwoFactorNotEnabled = "two_factor_not_enabled", 400;
    TwoFactorSetupRequired = "two_factor_setup_required", 400;
    TooManyAttempts = "too_many_attempts", 429;
    NotFound = "not_found", 404;
    RateLimited = "rate_limited", 429;
    DatabaseUnavailable = "database_unavailable", 503;
    Overloaded = "overloaded", 503;
    HashingBusy = "hashing_busy", 429;
    InternalError = "internal_error", 500;

    // The pages' own outcomes.
    /// A signed-in person re-entering their password: only it can be wrong.
    WrongPassword = "wrong_password", 401;
    /// The pending 2FA step of a sign-in is gone or expired.
    SignInExpired = "sign_in_expired", 401;
    /// A form named an account (by a malformed id) that is not there.
    AccountNotFound = "account_not_found", 404;
    /// A form named a device session (by a malformed id) that is not there.
    DeviceNotFound = "device_not_found", 404;
    /// The browser could not reach the server.
    Network = "network", 503;
    /// Anything else, including a code that is not in this table.
    RequestFailed = "request_failed", 500;
}

impl ErrorCode {
    /// The code of `text`, or the generic failure for a code that is not
    /// ours: text from outside can only ever name one of our sentences.
    pub fn parse_or_unknown(text: &str) -> Self {
        Self::parse(text).unwrap_or(Self::RequestFailed)
    }

    /// The sentence a person reads (and the JSON API's `detail`).
    /// `retry_after` (seconds) fills in the wait where the sentence names
    /// one.
    pub fn message(self, retry_after: Option<u64>) -> String {
        let wait = || minutes(retry_after.unwrap_or(60));
        match self {
            Self::InvalidCredentials => "The email or password is incorrect.".into(),
            Self::AccountLocked => format!(
                "Too many failed sign-ins: this account is locked for {}. \
                 Try again later, or ask an administrator to unlock it.",
                match retry_after.unwrap_or(60).div_ceil(60) {
                    0 | 1 => "1 more minute".to_string(),
                    n => format!("{n} more minutes"),
                }
            ),
            Self::AccountDisabled => "This account is disabled. Contact an administrator.".into(),
            Self::EmailNotVerified => {
                "Please confirm your email address first: open the link we sent you. \
                 No email? Use \"Forgot password\" to get a link that also confirms it."
                    .into()
            }
            Self::EmailAlreadyVerified => "Your email address is already confirmed.".into(),
            Self::InvalidResetToken => {
                "This password reset link is invalid, expired or was already used. \
                 Ask for a new one."
                    .into()
            }
            Self::InvalidVerificationToken => {
                "This confirmation link is invalid, expired or was already used. \
                 Sign in and ask for a new one."
                    .into()
            }
            Self::ValidationError | Self::WeakPassword => "Some fields need attention.".into(),
            Self::PasswordMismatch => "The new password and its confirmation differ.".into(),
            Self::PasswordReused => "Choose a password you have not used recently.".into(),
            Self::EmailTaken => {
                "An account with this email address already exists. Sign in instead?".into()
            }
            Self::UsernameTaken => "This username is taken; choose another.".into(),
            Self::Unauthenticated | Self::InvalidToken => {
                "Your session has ended. Please sign in again.".into()
            }
            Self::Forbidden => "You do not have permission to do this.".into(),
            Self::InsufficientScope => {
                "This API token may not do this: give it the scope it needs, or sign in.".into()
            }
            Self::InvalidClient => "The resource server's credentials are wrong.".into(),
            Self::ReauthenticationRequired => {
                "Enter your current password to confirm it is you.".into()
            }
            Self::InvalidCode => {
                "That code is wrong or was already used. Enter the current code.".into()
            }
            Self::InvalidSetupCode => {
                "That code is wrong. Check that the clock of your authenticator app is right \
                 and enter its current code."
                    .into()
            }
            Self::TwoFactorAlreadyEnabled => "Two-factor authentication is already on.".into(),
            Self::TwoFactorNotEnabled => "Two-factor authentication is off.".into(),
            Self::TwoFactorSetupRequired => "Start the setup again.".into(),
            Self::TooManyAttempts => format!("Too many wrong codes. Try again in {}.", wait()),
            Self::NotFound => "That no longer exists.".into(),
            Self::RateLimited => format!(
                "Too many requests from your network. Wait {} and try again.",
                wait()
            ),
            Self::DatabaseUnavailable => {
                "The service is temporarily unavailable. Try again shortly.".into()
            }
            Self::Overloaded => {
                "Too many sign-ins are being checked right now. Try again in a moment.".into()
            }
            Self::HashingBusy => {
                "Your previous attempt is still being checked. Wait a moment and try again.".into()
            }
            Self::InternalError => "Something went wrong on our side. Please try again.".into(),
            Self::WrongPassword => "That is not your password.".into(),
            Self::SignInExpired => {
                "Your sign-in has expired. Enter your email and password again.".into()
            }
            Self::AccountNotFound => "That account no longer exists.".into(),
            Self::DeviceNotFound => "That device is no longer signed in.".into(),
            Self::Network => {
                "The server could not be reached. Check your connection and try again.".into()
            }
            Self::RequestFailed => "Something went wrong. Please try again.".into(),
        }
    }

    /// The visitor has no (more) session: pages turn this into a redirect
    /// to the sign-in page.
    pub fn is_signed_out(self) -> bool {
        matches!(
            self,
            Self::Unauthenticated | Self::InvalidToken | Self::SignInExpired
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Any string decodes: one that is not a code becomes `RequestFailed`.
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(Self::parse_or_unknown(&text))
    }
}

/// "a minute", "3 minutes": a wait rounded up to whole minutes.
fn minutes(seconds: u64) -> String {
    match seconds.div_ceil(60) {
        0 | 1 => "a minute".to_string(),
        n => format!("{n} minutes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_whole_minutes_rounded_up() {
        assert_eq!(minutes(0), "a minute");
        assert_eq!(minutes(60), "a minute");
        assert_eq!(minutes(61), "2 minutes");
        let message = ErrorCode::RateLimited.message(Some(900));
        assert!(message.contains("15 minutes"), "{message}");
        let locked = ErrorCode::AccountLocked.message(Some(1800));
        assert!(locked.contains("locked for 30 more minutes"), "{locked}");
    }

    #[test]
    fn every_code_round_trips_and_has_a_status_and_a_sentence() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{code}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
            assert!((400..=599).contains(&code.status()), "{code}");
            assert!(code.message(None).ends_with(['.', '?']), "{code}");
            assert!(code.message(Some(120)).len() > 10, "{code}");
        }
        let unique: std::collections::HashSet<_> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(unique.len(), ErrorCode::ALL.len(), "no code string twice");
    }

    #[test]
    fn a_code_that_is_not_ours_is_the_generic_failure() {
        assert_eq!(ErrorCode::parse("call_555_0100_to_unlock"), None);
        let decoded: ErrorCode = serde_json::from_str("\"call_555_0100_to_unlock\"").unwrap();
        assert_eq!(decoded, ErrorCode::RequestFailed);
        assert_eq!(ErrorCode::RequestFailed.status(), 500);
    }
}
