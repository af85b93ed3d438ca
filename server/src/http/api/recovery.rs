//! `/api/auth/*` for account recovery and email verification: forgot and
//! reset password, verify email, resend the verification email. Each
//! handler reads the request and calls one service method; the rules (no
//! enumeration, single use, rate limits per address and IP) live there.

use app::types::FORGOT_PASSWORD_MESSAGE;
use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};

use super::{
    error::ApiError,
    extract::{ApiJson, ClientMeta, CurrentUser},
};
use crate::{http::problem::Problem, state::AppState};

type ApiResult<T> = Result<T, ApiError>;

/// A sentence for the user.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageResponse {
    message: &'static str,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ForgotPasswordRequest {
    email: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/forgot-password",
    tag = "recovery",
    summary = "Email a password-reset link, if the address has an account.",
    description = "Always 202 with the same body, whether or not the address has an account, so \
        the answer tells nothing about who has one. For an active account an email with a \
        single-use link `{PUBLIC_URL}/reset-password?token=…` is queued; it is valid \
        `RESET_TOKEN_EXPIRE_HOURS`. Limited per address and per IP.",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "Accepted (the same for every address)", body = MessageResponse),
        (status = 400, description = "Malformed JSON (`malformed_json`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong JSON shape (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests for this address or from this IP (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn forgot_password(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<ForgotPasswordRequest>,
) -> ApiResult<(StatusCode, Json<MessageResponse>)> {
    state.auth.forgot_password(&body.email, &meta).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MessageResponse {
            message: FORGOT_PASSWORD_MESSAGE,
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetPasswordRequest {
    /// The `token` of the emailed link.
    token: String,
    new_password: String,
    /// Optional: when sent, it must equal `new_password`.
    confirm_password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/auth/reset-password",
    tag = "recovery",
    summary = "Set a new password with the token of a reset email.",
    description = "The token works once. The password policy and history rule apply. Every \
        session of the account is signed out and a login lockout is lifted. Two-factor \
        authentication is not changed: if it is on, the next sign-in still asks for it.",
    request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Password changed; every session signed out", body = MessageResponse),
        (status = 400, description = "Invalid, expired or used token (`invalid_reset_token`); `password_mismatch`, `weak_password`, `password_reused` or `validation_error`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong JSON shape (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks waiting (`overloaded`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`), or a password check of this account or address still running (`hashing_busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn reset_password(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> ApiResult<Json<MessageResponse>> {
    state
        .auth
        .reset_password(
            &body.token,
            &body.new_password,
            body.confirm_password.as_deref(),
            &meta,
        )
        .await?;
    Ok(Json(MessageResponse {
        message:
            "Password changed. Every session has been signed out; sign in with the new password.",
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyEmailRequest {
    /// The `token` of the emailed link.
    token: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/verify-email",
    tag = "recovery",
    summary = "Confirm the email address with the token of a verification email.",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, description = "The address is verified", body = MessageResponse),
        (status = 400, description = "Invalid, expired or used token (`invalid_verification_token`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong JSON shape (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn verify_email(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> ApiResult<Json<MessageResponse>> {
    state.auth.verify_email(&body.token, &meta).await?;
    Ok(Json(MessageResponse {
        message: "Email address verified.",
    }))
}

#[utoipa::path(
    post,
    path = "/api/auth/resend-verification",
    tag = "recovery",
    summary = "Email the caller a new verification link.",
    responses(
        (status = 202, description = "A verification email is queued", body = MessageResponse),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The address is already verified (`email_already_verified`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests for this account or from this IP (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn resend_verification(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<(StatusCode, Json<MessageResponse>)> {
    state.auth.resend_verification(&principal, &meta).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MessageResponse {
            message: "A new verification link is on its way.",
        }),
    ))
}
