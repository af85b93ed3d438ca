//! Two-factor endpoints 7–13 of API.md.

use app::{
    auth::second_factor::Factor,
    types::{BackupCodesStatus, TokenPair, TwoFactorSetup},
};
use axum::{extract::State, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    error::ApiError,
    extract::{ApiJson, ClientMeta, CurrentUser},
};
use crate::{http::problem::Problem, state::AppState};

type ApiResult<T> = Result<T, ApiError>;

#[utoipa::path(
    post,
    path = "/api/auth/setup-2fa",
    tag = "two-factor",
    summary = "Start 2FA setup: a new secret, its QR code and backup codes. Nothing is on until verify-2fa-setup.",
    responses(
        (status = 200, description = "The secret (base32), provisioning URI, QR code and backup codes, shown once", body = TwoFactorSetup),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "2FA is already on (`two_factor_already_enabled`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn setup(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<TwoFactorSetup>> {
    Ok(Json(state.auth.setup_two_factor(&principal).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CodeRequest {
    /// A 6-digit TOTP code.
    code: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConfirmSetupRequest {
    /// A 6-digit TOTP code from the new authenticator.
    code: String,
    /// The current password. Needed unless this session signed in within
    /// the last 5 minutes (`REAUTHENTICATION_WINDOW_MINUTES`; a refresh does
    /// not count as a sign-in).
    password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/auth/verify-2fa-setup",
    tag = "two-factor",
    summary = "Turn 2FA on with a code from the newly set-up authenticator; needs the current password unless this session signed in within the last 5 minutes (`REAUTHENTICATION_WINDOW_MINUTES`). Ends every other session, open 2FA challenge and reset link of the account.",
    request_body = ConfirmSetupRequest,
    responses(
        (status = 200, description = "`{totp_enabled: true}`"),
        (status = 400, description = "Wrong code (`invalid_setup_code`) or no setup pending (`two_factor_setup_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong password (`invalid_credentials`), missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An older session without `password` (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "2FA is already on", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn verify_setup(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<ConfirmSetupRequest>,
) -> ApiResult<Json<Value>> {
    state
        .auth
        .confirm_two_factor(&principal, &body.code, body.password.as_deref(), &meta)
        .await?;
    Ok(Json(json!({ "totp_enabled": true })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DisableRequest {
    password: String,
    /// A TOTP code or a backup code.
    code: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/disable-2fa",
    tag = "two-factor",
    summary = "Turn 2FA off; deletes the secret and every backup code.",
    request_body = DisableRequest,
    responses(
        (status = 200, description = "`{totp_enabled: false}`"),
        (status = 400, description = "2FA is off (`two_factor_not_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong password (`invalid_credentials`, counted toward the lockout), wrong code (`invalid_code`) or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks waiting (`overloaded`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Account locked by wrong passwords (`account_locked`), too many wrong codes (`too_many_attempts`), or a password check of this account or address still running (`hashing_busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn disable(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<DisableRequest>,
) -> ApiResult<Json<Value>> {
    state
        .auth
        .disable_two_factor(&principal, &body.password, &body.code, &meta)
        .await?;
    Ok(Json(json!({ "totp_enabled": false })))
}

#[utoipa::path(
    get,
    path = "/api/auth/backup-codes",
    tag = "two-factor",
    summary = "How many backup codes are left (never the codes).",
    responses(
        (status = 200, description = "Remaining and total", body = BackupCodesStatus),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn backup_codes(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> ApiResult<Json<BackupCodesStatus>> {
    Ok(Json(state.auth.backup_codes_status(&principal).await?))
}

#[utoipa::path(
    post,
    path = "/api/auth/regenerate-backup-codes",
    tag = "two-factor",
    summary = "A new set of backup codes for a current TOTP code; every old code stops working.",
    request_body = CodeRequest,
    responses(
        (status = 200, description = "`{backup_codes}`, shown once"),
        (status = 400, description = "2FA is off (`two_factor_not_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong code (`invalid_code`) or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes (`too_many_attempts`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn regenerate_backup_codes(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<CodeRequest>,
) -> ApiResult<Json<Value>> {
    let codes = state
        .auth
        .regenerate_backup_codes(&principal, &body.code, &meta)
        .await?;
    Ok(Json(json!({ "backup_codes": codes.0 })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChallengeCodeRequest {
    challenge_token: String,
    code: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/login/verify-2fa",
    tag = "two-factor",
    summary = "Complete a sign-in with the challenge token and a TOTP code.",
    request_body = ChallengeCodeRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong or reused code (`invalid_code`), or an invalid or expired challenge (`invalid_token`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "5 wrong codes lock 2FA for 15 minutes (`MAX_TWO_FACTOR_ATTEMPTS`, `TWO_FACTOR_LOCKOUT_MINUTES`; `too_many_attempts`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login_with_totp(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<ChallengeCodeRequest>,
) -> ApiResult<Json<TokenPair>> {
    let tokens = state
        .auth
        .complete_challenge(&body.challenge_token, Factor::Totp(&body.code), &meta)
        .await?;
    Ok(Json(tokens))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChallengeBackupCodeRequest {
    challenge_token: String,
    /// Any case; spaces and dashes are ignored.
    backup_code: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/login/verify-backup-code",
    tag = "two-factor",
    summary = "Complete a sign-in with the challenge token and a backup code, which is spent.",
    request_body = ChallengeBackupCodeRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong or used code (`invalid_code`), or an invalid or expired challenge (`invalid_token`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes (`too_many_attempts`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login_with_backup_code(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<ChallengeBackupCodeRequest>,
) -> ApiResult<Json<TokenPair>> {
    let tokens = state
        .auth
        .complete_challenge(
            &body.challenge_token,
            Factor::BackupCode(&body.backup_code),
            &meta,
        )
        .await?;
    Ok(Json(tokens))
}
