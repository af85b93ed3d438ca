//! The error a page shows: a stable code, a sentence that says what to do
//! next, the failed fields, and when to retry. Server functions return it.
//! A service error becomes one by reading the answer the service decides
//! (`AuthError::into_answer`), the same answer the JSON API sends; codes,
//! statuses and sentences are all in the one table of `error_code`.
//!
//! Only codes cross the wire (`WireError`): the sentences come from that
//! table on whichever side reads the error, so an error smuggled into a
//! page's address (Leptos' `__err` parameter) cannot carry text of an
//! attacker's.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

use crate::{error_code::ErrorCode, messages};

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
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<PageFieldError>,
    pub retry_after: Option<u64>,
}

/// What travels: codes and a wait, no sentences. A code that is not ours
/// decodes as the generic failure.
#[derive(Serialize, Deserialize)]
struct WireError {
    code: ErrorCode,
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
        let mut error = Self::new(wire.code).retrying_after(wire.retry_after);
        for field in wire.fields {
            error = error.with_field(&field.field, &field.code);
        }
        error
    }
}

impl PageError {
    /// The error for `code`, with its status and sentence from the table.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            status: code.status(),
            code,
            message: code.message(None),
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
        self.message = self.code.message(self.retry_after);
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
        self.code.is_signed_out()
    }
}

impl FromServerFnError for PageError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Request(_) => Self::new(ErrorCode::Network),
            _ => Self::new(ErrorCode::RequestFailed),
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
            PageError::new(ErrorCode::WrongPassword).with_field(field, "invalid_credentials")
        }
        other => other.into(),
    }
}

/// The answer the service decided, with nothing of the pages' own: the
/// JSON API sends the same code, status and fields.
#[cfg(feature = "ssr")]
impl From<crate::auth::AuthError> for PageError {
    fn from(error: crate::auth::AuthError) -> Self {
        let answer = error.into_answer();
        answer
            .fields
            .iter()
            .fold(Self::new(answer.code), |page, f| {
                page.with_field(f.field, f.code)
            })
            .retrying_after(answer.retry_after)
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
        let error = PageError::new(ErrorCode::RateLimited)
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
        assert_eq!(unknown.code, ErrorCode::RequestFailed);
        assert!(!unknown.message.contains("555"));

        let long_wait = from_address(r#"{"code":"rate_limited","retry_after":99999999999}"#);
        assert_eq!(long_wait.retry_after, Some(MAX_RETRY_AFTER_SECS));

        let garbage = from_address("not json at all");
        assert!(!garbage.message.contains("not json"));
    }

    /// Both transports read `AuthError::into_answer` (the JSON API's
    /// problem is checked against it in `server/src/http/api/error.rs`), so
    /// a page shows the same code, status and fields as the API sends.
    #[test]
    fn every_service_error_gives_a_page_the_same_answer_as_the_api() {
        use crate::auth::AuthError;
        use std::collections::HashSet;

        let mut codes = HashSet::new();
        // Two walks, as the mappings consume the error.
        let walks = AuthError::one_of_each()
            .into_iter()
            .zip(AuthError::one_of_each());
        for (error, same) in walks {
            let (code, status) = (error.code(), error.status());
            let answer = same.into_answer();
            let page = PageError::from(error);
            assert_eq!((page.code, page.status), (code, status), "{page:?}");
            assert_eq!((answer.code, answer.status()), (code, status));
            assert_eq!(page.message, answer.message(), "{code}");
            assert!(!page.message.is_empty(), "{code}");
            let page_fields: Vec<_> = page.fields.iter().map(|f| (&*f.field, &*f.code)).collect();
            let api_fields: Vec<_> = answer.fields.iter().map(|f| (f.field, f.code)).collect();
            assert_eq!(page_fields, api_fields, "{code}");
            assert_eq!(page.retry_after, answer.retry_after, "{code}");
            assert!(codes.insert(code), "{code} is the code of two variants");
        }

        // Every code of the table is a service error's (walked above) or a
        // page's own outcome: a variant missing from the walk shows here.
        let page_only = [
            ErrorCode::WrongPassword,
            ErrorCode::SignInExpired,
            ErrorCode::AccountNotFound,
            ErrorCode::DeviceNotFound,
            ErrorCode::Network,
            ErrorCode::RequestFailed,
        ];
        for code in ErrorCode::ALL {
            assert!(
                codes.contains(code) != page_only.contains(code),
                "{code} must be either a service error's code or a page's own"
            );
        }
    }

    #[test]
    fn the_fields_the_api_names_reach_the_page() {
        use crate::auth::AuthError;
        let mismatch = PageError::from(AuthError::PasswordMismatch);
        assert_eq!(
            mismatch.field("confirm_password").unwrap(),
            "Type the same new password twice."
        );
        let reauthenticate = PageError::from(AuthError::ReauthenticationRequired);
        assert_eq!(
            reauthenticate.field("password").unwrap(),
            "Enter your current password."
        );
    }
}
