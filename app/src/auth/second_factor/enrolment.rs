//! Turning TOTP on and off: setup with a QR code, confirmation with a first
//! code, disabling, and the removal an administrator can also trigger.
//!
//! The TOTP secret exists only sealed (AES-256-GCM, bound to the user id) in
//! `users.totp_secret`, or `totp_pending_secret` until confirmed.

use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::{aad, backup_codes::replace_backup_codes, Factor};
use crate::auth::principal::Factors;
use crate::auth::{
    accounts::credential_change,
    audit::{AuditAction, AuditEvent},
    error::AuthError,
    request::meta::RequestMeta,
    second_factor::backup_codes,
    second_factor::totp,
    AuthService, Principal,
};
use crate::{
    entities::{backup_codes as backup_code_rows, users},
    types::{TwoFactorEnrollment, TwoFactorSetup},
};

impl AuthService {
    /// Starts (or restarts) setup: a fresh secret and backup codes. Nothing is
    /// on until `confirm_two_factor` receives a valid code.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn setup_two_factor(
        &self,
        principal: &Principal,
    ) -> Result<TwoFactorSetup, AuthError> {
        let user = self.user(principal.user_id).await?;
        if Factors::of(&user).totp {
            return Err(AuthError::TwoFactorAlreadyEnabled);
        }
        let secret = totp::generate_secret();
        let sealed = self.keys().sealer.seal(&secret, &aad(user.id))?;
        let codes = backup_codes::codes::generate(
            self.config().backup_codes_count as usize,
            self.config().backup_code_length as usize,
        );
        let rows = self.backup_code_rows(user.id, &codes);
        let now = self.now();
        let user_id = user.id;
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    users::Entity::update_many()
                        .col_expr(users::Column::TotpPendingSecret, Expr::value(sealed))
                        .col_expr(users::Column::UpdatedAt, Expr::value(now))
                        .filter(users::Column::Id.eq(user_id))
                        .filter(users::Column::TotpEnabled.eq(false))
                        .exec(txn)
                        .await?;
                    replace_backup_codes(txn, user_id, rows).await
                })
            })
            .await?;

        let enrollment = self.enrollment(&user, &secret)?;
        Ok(TwoFactorSetup {
            secret: enrollment.secret,
            provisioning_uri: enrollment.provisioning_uri,
            qr_code_url: enrollment.qr_code_url,
            backup_codes: codes,
        })
    }

    /// The setup in progress, if any: the same secret, URI and QR code again,
    /// for a settings page rendered anew (a form post without JavaScript).
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn pending_two_factor_setup(
        &self,
        principal: &Principal,
    ) -> Result<Option<TwoFactorEnrollment>, AuthError> {
        let user = self.user(principal.user_id).await?;
        let Some(pending) = user
            .totp_pending_secret
            .as_ref()
            .filter(|_| !Factors::of(&user).totp)
        else {
            return Ok(None);
        };
        let secret = self.keys().sealer.open(pending, &aad(user.id))?;
        self.enrollment(&user, secret.expose_secret()).map(Some)
    }

    fn enrollment(
        &self,
        user: &users::Model,
        secret: &[u8],
    ) -> Result<TwoFactorEnrollment, AuthError> {
        let uri = totp::provisioning_uri(&self.config().totp_issuer, &user.email, secret);
        Ok(TwoFactorEnrollment {
            secret: totp::encode_base32(secret),
            qr_code_url: qr_data_url(&uri)?,
            provisioning_uri: uri,
        })
    }

    /// Turns 2FA on once a code from the new authenticator checks out. Adding
    /// a factor needs the owner: the current password (`password`) or a
    /// recent sign-in (`require_recent_authentication`). In the same
    /// transaction every other session, open challenge and reset link of the
    /// account ends (`credential_change`).
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn confirm_two_factor(
        &self,
        principal: &Principal,
        code: &str,
        password: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user = self.user(principal.user_id).await?;
        if Factors::of(&user).totp {
            return Err(AuthError::TwoFactorAlreadyEnabled);
        }
        let pending = user
            .totp_pending_secret
            .clone()
            .ok_or(AuthError::TwoFactorSetupRequired)?;
        self.require_recent_authentication(principal, password, "enable_two_factor", meta)
            .await?;
        let secret = self.keys().sealer.open(&pending, &aad(user.id))?;
        let step = totp::verify(secret.expose_secret(), code, self.now().timestamp(), None)
            .ok_or(AuthError::InvalidSetupCode)?;
        let now = self.now();
        let user_id = user.id;
        let keep_session = principal.session_id.as_uuid();
        let meta = meta.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    // Conditional on the very pending secret just checked: a
                    // setup restarted meanwhile wins, and this confirmation
                    // fails.
                    let enabled = users::Entity::update_many()
                        .col_expr(users::Column::TotpEnabled, Expr::value(true))
                        .col_expr(users::Column::TotpSecret, Expr::value(pending.clone()))
                        .col_expr(
                            users::Column::TotpPendingSecret,
                            Expr::value(Option::<String>::None),
                        )
                        .col_expr(users::Column::TotpLastStep, Expr::value(step))
                        .col_expr(users::Column::UpdatedAt, Expr::value(now))
                        .filter(users::Column::Id.eq(user_id))
                        .filter(users::Column::TotpEnabled.eq(false))
                        .filter(users::Column::TotpPendingSecret.eq(pending))
                        .exec(txn)
                        .await?;
                    if enabled.rows_affected != 1 {
                        return Err(AuthError::TwoFactorSetupRequired);
                    }
                    let ended = credential_change::end_other_ways_in(
                        txn,
                        user_id,
                        Some(keep_session),
                        now,
                        AuditAction::TwoFactorEnabled,
                    )
                    .await?;
                    ended.event().record(txn, now, &meta).await
                })
            })
            .await?;
        Ok(())
    }

    /// Turns 2FA off: needs the password and a TOTP or backup code. The
    /// secret, every backup code and open sign-in challenges go
    /// (`remove_totp`).
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn disable_two_factor(
        &self,
        principal: &Principal,
        password: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user = self.user(principal.user_id).await?;
        if !Factors::of(&user).totp {
            return Err(AuthError::TwoFactorNotEnabled);
        }
        self.reauthenticate(&user, "password", password, "disable_two_factor", meta)
            .await?;
        self.verify_second_factor(&user, Factor::Either(code), meta)
            .await?;
        let now = self.now();
        let user_id = user.id;
        let meta = meta.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    remove_totp(txn, user_id, now)
                        .await?
                        .ok_or(AuthError::TwoFactorNotEnabled)?;
                    AuditEvent::new(AuditAction::TwoFactorDisabled)
                        .user(user_id)
                        .record(txn, now, &meta)
                        .await
                })
            })
            .await?;
        Ok(())
    }
}

/// What went with a removed TOTP factor.
pub(crate) struct RemovedTotp {
    pub backup_codes: u64,
    pub challenges: u64,
}

/// Turns TOTP off for `user_id` inside `txn`, whoever asks (the owner, an
/// administrator): the secret, a pending setup, the replay step, every
/// backup code and every open sign-in challenge go. `None` when 2FA was
/// already off (a concurrent removal won).
pub(crate) async fn remove_totp(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<RemovedTotp>, AuthError> {
    let removed = users::Entity::update_many()
        .col_expr(users::Column::TotpEnabled, Expr::value(false))
        .col_expr(
            users::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            users::Column::TotpPendingSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            users::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::TotpEnabled.eq(true))
        .exec(txn)
        .await?;
    if removed.rows_affected != 1 {
        return Ok(None);
    }
    let backup_codes = backup_code_rows::Entity::delete_many()
        .filter(backup_code_rows::Column::UserId.eq(user_id))
        .exec(txn)
        .await?
        .rows_affected;
    let challenges =
        crate::auth::accounts::credential_change::end_challenges(txn, user_id, now).await?;
    Ok(Some(RemovedTotp {
        backup_codes,
        challenges,
    }))
}

/// A QR code of the provisioning URI as an SVG `data:` URL.
fn qr_data_url(uri: &str) -> Result<String, AuthError> {
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M)
        .map_err(AuthError::internal)?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}
