//! The JSON API's errors as problem+json, with the headers clients rely on:
//! `Retry-After` on 429 and 503, `WWW-Authenticate` on 401. A service error
//! is told as the service decided (`AuthError::into_answer`: the code, its
//! status and sentence from `app::error_code`, the fields), exactly as the
//! pages tell it; only request rejections (a body or query this API cannot
//! read) have codes of their own here.

use app::{
    auth::{AuthError, ErrorAnswer},
    error_code::ErrorCode,
};
use axum::{
    extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use crate::http::problem::Problem;

#[derive(Debug)]
pub enum ApiError {
    Service(AuthError),
    Problem(Problem),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::Service(error)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let (status, code, detail) = match &rejection {
            JsonRejection::JsonDataError(error) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("The JSON body has the wrong shape: {}", error.body_text()),
            ),
            JsonRejection::JsonSyntaxError(_) => (
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "The body is not valid JSON.".to_string(),
            ),
            JsonRejection::MissingJsonContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/json.".to_string(),
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The body is larger than this endpoint accepts.".to_string(),
            ),
            other => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("The body could not be read: {}", other.body_text()),
            ),
        };
        Self::Problem(Problem::new(status, code, detail))
    }
}

impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        let (status, code, detail) = match &rejection {
            FormRejection::InvalidFormContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/x-www-form-urlencoded.".to_string(),
            ),
            other => (
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("The form could not be read: {}", other.body_text()),
            ),
        };
        Self::Problem(Problem::new(status, code, detail))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Problem(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            rejection.body_text(),
        ))
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        Self::Service(AuthError::NotFound)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Problem(problem) => problem.into_response(),
            Self::Service(error) => service_error_response(error),
        }
    }
}

fn service_error_response(error: AuthError) -> Response {
    let answer = error.into_answer();
    let mut response = problem(&answer).into_response();
    let headers = response.headers_mut();
    if let Some(seconds) = answer.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if answer.status() == 401 {
        let challenge = match answer.code {
            ErrorCode::InvalidToken => r#"Bearer error="invalid_token""#,
            // A resource server authenticates with HTTP Basic (RFC 7662 §2.1).
            ErrorCode::InvalidClient => r#"Basic realm="gatehouse""#,
            _ => "Bearer",
        };
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    response
}

/// The problem+json body of an answer: a read of the table, nothing added.
fn problem(answer: &ErrorAnswer) -> Problem {
    code_problem(answer.code, answer.retry_after).with_errors(answer.fields.clone())
}

/// The problem for `code`, with its status and sentence from the table (for
/// answers that are not a service's, such as a handler's panic).
pub fn code_problem(code: ErrorCode, retry_after: Option<u64>) -> Problem {
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Problem::new(status, code.as_str(), code.message(retry_after))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every service error reaches an API client as the table says, with the
    /// same answer a page gets (`app::page_error`'s test holds the pages to
    /// the same answers).
    #[tokio::test]
    async fn every_service_error_is_told_as_the_table_says() {
        let walks = AuthError::one_of_each()
            .into_iter()
            .zip(AuthError::one_of_each());
        for (error, same) in walks {
            let answer = same.into_answer();
            let code = answer.code;
            let response = service_error_response(error);
            assert_eq!(response.status().as_u16(), code.status(), "{code}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                crate::http::problem::CONTENT_TYPE
            );
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            assert_eq!(retry_after, answer.retry_after, "{code}");
            assert_eq!(
                response.headers().contains_key(header::WWW_AUTHENTICATE),
                code.status() == 401,
                "{code}"
            );

            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["code"], code.as_str());
            assert_eq!(body["status"], code.status());
            assert_eq!(body["detail"], code.message(answer.retry_after));
            assert_eq!(body["type"], format!("/problems/{code}"));
            let fields: Vec<(&str, &str)> = body["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
                .collect();
            let expected: Vec<(&str, &str)> =
                answer.fields.iter().map(|f| (f.field, f.code)).collect();
            assert_eq!(fields, expected, "{code}");
        }
    }
}
