//! The JSON API's one mapping from service errors (and request rejections)
//! to problem+json, with the headers clients rely on: `Retry-After` on 429 and 503,
//! `WWW-Authenticate` on 401.

use app::auth::{AuthError, FieldError};
use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
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
    use AuthError::*;
    let retry_after = error.retry_after();
    let problem = match error {
        InvalidCredentials => Problem::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "The email or password is incorrect.",
        ),
        AccountLocked { retry_after, .. } => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "account_locked",
            format!(
                "The account is locked after too many failed sign-ins. Try again in {}.",
                minutes(retry_after.as_secs())
            ),
        ),
        AccountDisabled => Problem::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "This account is disabled. Contact an administrator.",
        ),
        EmailNotVerified => Problem::new(
            StatusCode::FORBIDDEN,
            "email_not_verified",
            "Confirm your email address first: open the link in the verification email.",
        ),
        EmailAlreadyVerified => Problem::new(
            StatusCode::CONFLICT,
            "email_already_verified",
            "The email address is already verified.",
        ),
        InvalidResetToken => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_reset_token",
            "The reset token is invalid, expired or was already used; request a new one.",
        ),
        InvalidVerificationToken => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_verification_token",
            "The verification token is invalid, expired or was already used; request a new one.",
        ),
        Validation(errors) => Problem::new(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "Some fields are not valid.",
        )
        .with_errors(errors),
        WeakPassword(errors) => Problem::new(
            StatusCode::BAD_REQUEST,
            "weak_password",
            "The password does not meet the password policy.",
        )
        .with_errors(errors),
        PasswordMismatch => Problem::new(
            StatusCode::BAD_REQUEST,
            "password_mismatch",
            "The new password and its confirmation differ.",
        )
        .with_errors(vec![FieldError::new("confirm_password", "password_mismatch")]),
        PasswordReused => Problem::new(
            StatusCode::BAD_REQUEST,
            "password_reused",
            "Choose a password you have not used recently.",
        ),
        EmailTaken => Problem::new(
            StatusCode::CONFLICT,
            "email_taken",
            "An account with this email address already exists.",
        ),
        UsernameTaken => Problem::new(
            StatusCode::CONFLICT,
            "username_taken",
            "This username is taken.",
        ),
        Unauthenticated => Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Send an access token: Authorization: Bearer <token>.",
        ),
        InvalidToken => Problem::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The token is invalid, expired or revoked.",
        ),
        Forbidden => Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You do not have permission to do this.",
        ),
        NotFound => Problem::new(StatusCode::NOT_FOUND, "not_found", "Not found."),
        ReauthenticationRequired { window_minutes } => Problem::new(
            StatusCode::FORBIDDEN,
            "reauthentication_required",
            format!(
                "Confirm it is you: send your current password in `password`, or sign in \
                 again (a sign-in within the last {window_minutes} minutes is enough)."
            ),
        )
        .with_errors(vec![FieldError::new("password", "reauthentication_required")]),
        InvalidCode => Problem::new(
            StatusCode::UNAUTHORIZED,
            "invalid_code",
            "The code is wrong, expired or was already used.",
        ),
        InvalidSetupCode => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_code",
            "The code does not match; check the authenticator app's clock and try the current code.",
        ),
        TwoFactorAlreadyEnabled => Problem::new(
            StatusCode::CONFLICT,
            "two_factor_already_enabled",
            "Two-factor authentication is already on.",
        ),
        TwoFactorNotEnabled => Problem::new(
            StatusCode::BAD_REQUEST,
            "two_factor_not_enabled",
            "Two-factor authentication is off for this account.",
        ),
        TwoFactorSetupRequired => Problem::new(
            StatusCode::BAD_REQUEST,
            "two_factor_setup_required",
            "Start the setup first (POST /api/auth/setup-2fa).",
        ),
        TooManyAttempts { retry_after } => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "Too many wrong codes. Try again in {}.",
                minutes(retry_after.as_secs())
            ),
        ),
        RateLimited { .. } => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests from this address; slow down.",
        ),
        Overloaded { .. } => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Too many password checks are waiting; try again in a moment (see Retry-After).",
        ),
        HashingBusy { .. } => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "hashing_busy",
            "Another password check for this account or address is still running; \
             wait for it before sending more (see Retry-After).",
        ),
        DatabaseUnavailable => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "The service is temporarily unavailable; try again shortly.",
        ),
        Internal(message) => {
            // Logged inside the request span, so the log line carries the
            // request id that the client sees in `x-request-id`.
            tracing::error!(error = %message, "internal error");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on our side. Quote the x-request-id header when reporting it.",
            )
        }
    };

    let status = problem.status;
    let code = problem.code;
    let mut response = problem.into_response();
    let headers = response.headers_mut();
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if status == 401 {
        let challenge = if code == "invalid_token" {
            r#"Bearer error="invalid_token""#
        } else {
            "Bearer"
        };
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    response
}

/// "27 minutes", "1 minute", "less than a minute".
fn minutes(seconds: u64) -> String {
    match seconds.div_ceil(60) {
        0 | 1 if seconds < 60 => "less than a minute".to_string(),
        1 => "1 minute".to_string(),
        n => format!("{n} minutes"),
    }
}
