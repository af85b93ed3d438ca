//! The error a page shows: a stable code, a sentence that says what to do
//! next, the failed fields, and when to retry. Server functions return it;
//! the mapping from the service's `AuthError` is in one place (below), as the
//! JSON API has its own in `server/src/http/api/error.rs`.
//!
//! Only codes cross the wire (`WireError`): the sentences come from
//! `messages` on whichever side reads the error, so an error smuggled
//! into a page's address (Leptos' `__err` parameter) cannot carry text of
//! an attacker's.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

use crate::messages;

/// The longest wait a page names; a larger `retry_after` is someone's
/// invention, not ours.
const MAX_RETRY_AFTER_SECS: u64 = 7 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageFieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(from = "WireError", into = "WireError")]
#[error("{message}")]
pub struct PageError {
    /// The HTTP status a failed server function answers with (set here,
    /// once, with the code).
    pub status: u16,
    pub code: String,
    pub message: String,
    pub fields: Vec<PageFieldError>,
    pub retry_after: Option<u64>,
}

/// What travels: codes and a wait, no sentences.
#[derive(Serialize, Deserialize)]
struct WireError {
    code: String,
    #[serde(default)]
    fields: Vec<WireField>,
    #[serde(default)]
    retry_after: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct WireField {
    field: String,
    code: String,
}

impl From<PageError> for WireError {
    fn from(error: PageError) -> Self {
        Self {
            code: error.code,
            fields: error
                .fields
                .into_iter()
                .map(|f| WireField {
                    field: f.field,
                    code: f.code,
                })
                .collect(),
            retry_after: error.retry_after,
        }
    }
}

impl From<WireError> for PageError {
    fn from(wire: WireError) -> Self {
        let mut error = Self::new(&wire.code).retrying_after(wire.retry_after);
        for field in wire.fields {
            error = error.with_field(&field.field, &field.code);
        }
        error
    }
}

impl PageError {
    /// The error for `code`, with its status and sentence from
    /// `messages`; an unknown code becomes the generic failure.
    pub fn new(code: &str) -> Self {
        let (code, (status, message)) = match messages::describe(code, None) {
            Some(entry) => (code, entry),
            None => (
                messages::UNKNOWN,
                messages::describe(messages::UNKNOWN, None)
                    .expect("the generic failure is in the table"),
            ),
        };
        Self {
            status,
            code: code.to_string(),
            message,
            fields: Vec::new(),
            retry_after: None,
        }
    }

    /// Adds a failed field, its sentence chosen by `code`.
    pub fn with_field(mut self, field: &str, code: &str) -> Self {
        self.fields.push(PageFieldError {
            field: field.to_string(),
            code: code.to_string(),
            message: messages::field_message(field, code),
        });
        self
    }

    /// Sets the wait (in seconds) and the sentence that names it.
    pub fn retrying_after(mut self, seconds: Option<u64>) -> Self {
        self.retry_after = seconds.map(|s| s.min(MAX_RETRY_AFTER_SECS));
        if let Some((_, message)) = messages::describe(&self.code, self.retry_after) {
            self.message = message;
        }
        self
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

    /// The visitor has no (more) session: pages turn this into a redirect
    /// to the sign-in page.
    pub fn is_signed_out(&self) -> bool {
        matches!(self.code.as_str(), "signed_out" | "sign_in_expired")
    }
}

impl FromServerFnError for PageError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Request(_) => Self::new("network"),
            _ => Self::new(messages::UNKNOWN),
        }
    }
}

/// The mapping for an action where a signed-in person re-enters a password
/// in `field`: the account is known, so `invalid_credentials` can only mean
/// that password, and the message says so under the field.
#[cfg(feature = "ssr")]
pub fn reentered_password(field: &'static str) -> impl FnOnce(crate::auth::AuthError) -> PageError {
    move |error| match error {
        crate::auth::AuthError::InvalidCredentials => {
            PageError::new("wrong_password").with_field(field, "invalid_credentials")
        }
        other => other.into(),
    }
}

#[cfg(feature = "ssr")]
impl From<crate::auth::AuthError> for PageError {
    fn from(error: crate::auth::AuthError) -> Self {
        use crate::auth::AuthError::*;
        let retry_after = error.retry_after();
        let page = match error {
            InvalidCredentials => Self::new("invalid_credentials"),
            AccountLocked { .. } => Self::new("account_locked"),
            AccountDisabled => Self::new("account_disabled"),
            EmailNotVerified => Self::new("email_not_verified"),
            EmailAlreadyVerified => Self::new("email_already_verified"),
            InvalidResetToken => Self::new("invalid_reset_token"),
            InvalidVerificationToken => Self::new("invalid_verification_token"),
            Validation(errors) | WeakPassword(errors) => {
                let weak = errors
                    .iter()
                    .any(|f| f.field.contains("password") && f.code != "required");
                let code = if weak {
                    "weak_password"
                } else {
                    "validation_error"
                };
                errors
                    .iter()
                    .fold(Self::new(code), |page, e| page.with_field(e.field, e.code))
            }
            PasswordMismatch => Self::new("password_mismatch"),
            PasswordReused => Self::new("password_reused"),
            EmailTaken => Self::new("email_taken"),
            UsernameTaken => Self::new("username_taken"),
            Unauthenticated | InvalidToken => Self::new("signed_out"),
            Forbidden => Self::new("forbidden"),
            ReauthenticationRequired { .. } => Self::new("reauthentication_required")
                .with_field("password", "reauthentication_required"),
            NotFound => Self::new("not_found"),
            RateLimited { .. } => Self::new("rate_limited"),
            InvalidCode | InvalidSetupCode => Self::new("invalid_code"),
            TwoFactorAlreadyEnabled => Self::new("two_factor_already_enabled"),
            TwoFactorNotEnabled => Self::new("two_factor_not_enabled"),
            TwoFactorSetupRequired => Self::new("two_factor_setup_required"),
            TooManyAttempts { .. } => Self::new("too_many_attempts"),
            Overloaded { .. } => Self::new("overloaded"),
            HashingBusy { .. } => Self::new("hashing_busy"),
            DatabaseUnavailable => Self::new("unavailable"),
            Internal(message) => {
                tracing::error!(error = %message, "internal error in a page");
                Self::new("internal_error")
            }
        };
        page.retrying_after(retry_after)
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use base64::{engine::general_purpose::URL_SAFE, Engine};
    use leptos::server_fn::error::{FromServerFnError, ServerFnUrlError};

    use super::*;

    /// What a page reads from `?__err=…`, as Leptos decodes it.
    fn from_address(json: &str) -> PageError {
        ServerFnUrlError::<PageError>::decode_err(&URL_SAFE.encode(json))
    }

    #[test]
    fn an_error_round_trips_as_codes() {
        let error = PageError::new("rate_limited")
            .retrying_after(Some(300))
            .with_field("email", "invalid_email");
        let decoded = PageError::de(error.ser());
        assert_eq!(decoded, error);
        let wire: serde_json::Value = serde_json::from_slice(&error.ser()).unwrap();
        assert!(wire.get("message").is_none(), "{wire}");
        assert!(wire["fields"][0].get("message").is_none(), "{wire}");
    }

    #[test]
    fn a_crafted_address_cannot_put_its_own_words_on_a_page() {
        let injected = "Your account is compromised: call +1 555 0100 now.";
        let shown = from_address(&format!(
            r#"{{"status":200,"code":"invalid_credentials","message":"{injected}",
                "fields":[{{"field":"email","code":"x","message":"{injected}"}}],
                "retry_after":null}}"#
        ));
        assert_eq!(shown.message, "The email or password is incorrect.");
        assert_eq!(shown.status, 401);
        assert_eq!(shown.field("email").unwrap(), "Check this field.");

        let unknown = from_address(&format!(r#"{{"code":"{injected}"}}"#));
        assert_eq!(unknown.code, messages::UNKNOWN);
        assert!(!unknown.message.contains("555"));

        let long_wait = from_address(r#"{"code":"rate_limited","retry_after":99999999999}"#);
        assert_eq!(long_wait.retry_after, Some(MAX_RETRY_AFTER_SECS));

        let garbage = from_address("not json at all");
        assert!(!garbage.message.contains("not json"));
    }

    #[test]
    fn every_service_error_maps_to_a_code_in_the_table() {
        use crate::auth::{AuthError, FieldError};
        use std::time::Duration;
        let wait = Duration::from_secs(90);
        for error in [
            AuthError::InvalidCredentials,
            AuthError::AccountDisabled,
            AuthError::EmailNotVerified,
            AuthError::RateLimited { retry_after: wait },
            AuthError::TooManyAttempts { retry_after: wait },
            AuthError::Validation(vec![FieldError::new("email", "invalid_email")]),
            AuthError::WeakPassword(vec![FieldError::new("password", "too_short")]),
            AuthError::DatabaseUnavailable,
        ] {
            let page = PageError::from(error);
            assert_ne!(page.code, messages::UNKNOWN, "{page:?}");
            assert!(messages::describe(&page.code, None).is_some());
        }
    }
}
