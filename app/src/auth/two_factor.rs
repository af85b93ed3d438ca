//! Two-factor authentication: setup with a QR code, confirmation with a first
//! code, backup codes (status, regeneration), disabling, and the factor checks
//! the sign-in challenge uses.
//!
//! The TOTP secret exists only sealed (AES-256-GCM, bound to the user id) in
//! `users.totp_secret`, or `totp_pending_secret` until confirmed. A code is
//! accepted once: its time step is claimed with a conditional UPDATE of
//! `totp_last_step`. A backup code is spent with a conditional UPDATE of its
//! row. Five wrong factors lock verification for 15 minutes.

use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};
use secrecy::ExposeSecret;
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditAction},
    backup_codes, credential_change,
    error::AuthError,
    lockout::Counter,
    request_meta::RequestMeta,
    totp, AuthService, Principal,
};
use crate::{
    entities::{backup_codes as backup_code_rows, users},
    types::{BackupCodesStatus, TwoFactorEnrollment, TwoFactorSetup},
};

/// Wrong second factors before verification locks (API.md).
pub const MAX_SECOND_FACTOR_ATTEMPTS: u32 = 5;
pub const SECOND_FACTOR_LOCK_MINUTES: i64 = 15;

/// A second factor as presented.
#[derive(Debug, Clone, Copy)]
pub enum Factor<'a> {
    Totp(&'a str),
    BackupCode(&'a str),
    /// `disable-2fa` takes either: a 6-digit code is tried as TOTP first.
    Either(&'a str),
}

impl AuthService {
    /// Starts (or restarts) setup: a fresh secret and backup codes. Nothing is
    /// on until `confirm_two_factor` receives a valid code.
    pub async fn setup_two_factor(
        &self,
        principal: &Principal,
    ) -> Result<TwoFactorSetup, AuthError> {
        let user = self.user(principal.user_id).await?;
        if user.totp_enabled {
            return Err(AuthError::TwoFactorAlreadyEnabled);
        }
        let secret = totp::generate_secret();
        let sealed = self.keys().sealer.seal(&secret, &aad(user.id))?;
        let codes = backup_codes::generate(
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
    pub async fn pending_two_factor_setup(
        &self,
        principal: &Principal,
    ) -> Result<Option<TwoFactorEnrollment>, AuthError> {
        let user = self.user(principal.user_id).await?;
        let Some(pending) = user
            .totp_pending_secret
            .as_ref()
            .filter(|_| !user.totp_enabled)
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
    pub async fn confirm_two_factor(
        &self,
        principal: &Principal,
        code: &str,
        password: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user = self.user(principal.user_id).await?;
        if user.totp_enabled {
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
        let keep_session = principal.session_id;
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
                        "two_factor_enabled",
                    )
                    .await?;
                    audit::record(
                        txn,
                        now,
                        Some(user_id),
                        AuditAction::TwoFactorEnabled,
                        ended.details(),
                        &meta,
                    )
                    .await
                })
            })
            .await?;
        Ok(())
    }

    /// Turns 2FA off: needs the password and a TOTP or backup code. The
    /// secret, every backup code and open sign-in challenges go
    /// (`remove_totp`).
    pub async fn disable_two_factor(
        &self,
        principal: &Principal,
        password: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user = self.user(principal.user_id).await?;
        if !user.totp_enabled {
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
                    audit::record(
                        txn,
                        now,
                        Some(user_id),
                        AuditAction::TwoFactorDisabled,
                        json!({}),
                        &meta,
                    )
                    .await
                })
            })
            .await?;
        Ok(())
    }

    pub async fn backup_codes_status(
        &self,
        principal: &Principal,
    ) -> Result<BackupCodesStatus, AuthError> {
        let codes = backup_code_rows::Entity::find()
            .filter(backup_code_rows::Column::UserId.eq(principal.user_id));
        let total = codes.clone().count(self.db()).await?;
        let remaining = codes
            .filter(backup_code_rows::Column::UsedAt.is_null())
            .count(self.db())
            .await?;
        Ok(BackupCodesStatus { remaining, total })
    }

    /// A new set of backup codes for a current TOTP code; the old set stops
    /// working.
    pub async fn regenerate_backup_codes(
        &self,
        principal: &Principal,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<Vec<String>, AuthError> {
        let user = self.user(principal.user_id).await?;
        if !user.totp_enabled {
            return Err(AuthError::TwoFactorNotEnabled);
        }
        self.verify_second_factor(&user, Factor::Totp(code), meta)
            .await?;
        let codes = backup_codes::generate(
            self.config().backup_codes_count as usize,
            self.config().backup_code_length as usize,
        );
        let rows = self.backup_code_rows(user.id, &codes);
        let now = self.now();
        let user_id = user.id;
        let count = codes.len();
        let meta = meta.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    replace_backup_codes(txn, user_id, rows).await?;
                    audit::record(
                        txn,
                        now,
                        Some(user_id),
                        AuditAction::BackupCodesRegenerated,
                        json!({ "count": count }),
                        &meta,
                    )
                    .await
                })
            })
            .await?;
        Ok(codes)
    }

    /// Checks a second factor of a user with 2FA on, counting failures and
    /// locking verification after too many. On success the factor is spent:
    /// the TOTP step can not be used again, the backup code is used up.
    pub(crate) async fn verify_second_factor(
        &self,
        user: &users::Model,
        factor: Factor<'_>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        // Reserved before the code is checked, so concurrent guesses over
        // any number of challenges evaluate at most the limit (`lockout`).
        let reservation = self.reserve_attempt(user.id, Counter::SecondFactor).await?;
        let accepted = match factor {
            Factor::Totp(code) => self.spend_totp(user, code, meta).await?,
            Factor::BackupCode(code) => self.spend_backup_code(user, code, meta).await?,
            Factor::Either(code) => {
                self.spend_totp(user, code, meta).await?
                    || self.spend_backup_code(user, code, meta).await?
            }
        };
        if accepted {
            // Refused if a concurrent wrong code locked verification first;
            // the factor stays spent (an attacker's burst is under way).
            self.settle_success(reservation).await
        } else {
            Err(self.settle_failure(reservation, json!({}), meta).await)
        }
    }

    /// True if `code` is the TOTP of a step not used before; claims the step.
    async fn spend_totp(
        &self,
        user: &users::Model,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<bool, AuthError> {
        let Some(sealed) = &user.totp_secret else {
            return Ok(false);
        };
        let secret = self.keys().sealer.open(sealed, &aad(user.id))?;
        let now = self.now().timestamp();
        let Some(step) = totp::verify(secret.expose_secret(), code, now, user.totp_last_step)
        else {
            if totp::verify(secret.expose_secret(), code, now, None).is_some() {
                self.audit_replay(user.id, meta).await?;
            }
            return Ok(false);
        };
        let claimed = users::Entity::update_many()
            .col_expr(users::Column::TotpLastStep, Expr::value(step))
            .filter(users::Column::Id.eq(user.id))
            .filter(
                users::Column::TotpLastStep
                    .is_null()
                    .or(users::Column::TotpLastStep.lt(step)),
            )
            .exec(self.db())
            .await?;
        if claimed.rows_affected == 0 {
            // A concurrent request used this very code first.
            self.audit_replay(user.id, meta).await?;
        }
        Ok(claimed.rows_affected == 1)
    }

    /// True if `code` is an unused backup code of the user; spends it.
    async fn spend_backup_code(
        &self,
        user: &users::Model,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<bool, AuthError> {
        let Some(normalized) =
            backup_codes::normalize(code, self.config().backup_code_length as usize)
        else {
            return Ok(false);
        };
        // One candidate hash per known key version; the stored hash names its
        // version, so codes made before a key rotation still work.
        let candidates: Vec<String> = self
            .keys()
            .backup_code_keys
            .iter()
            .map(|(version, key)| stored_hash(*version, key.expose_secret(), &normalized))
            .collect();
        let now = self.now();
        let spent = backup_code_rows::Entity::update_many()
            .col_expr(backup_code_rows::Column::UsedAt, Expr::value(now))
            .filter(backup_code_rows::Column::UserId.eq(user.id))
            .filter(backup_code_rows::Column::CodeHash.is_in(candidates))
            .filter(backup_code_rows::Column::UsedAt.is_null())
            .exec(self.db())
            .await?;
        if spent.rows_affected != 1 {
            return Ok(false);
        }
        let remaining = backup_code_rows::Entity::find()
            .filter(backup_code_rows::Column::UserId.eq(user.id))
            .filter(backup_code_rows::Column::UsedAt.is_null())
            .count(self.db())
            .await?;
        audit::record(
            self.db(),
            now,
            Some(user.id),
            AuditAction::BackupCodeUsed,
            json!({ "remaining": remaining }),
            meta,
        )
        .await?;
        Ok(true)
    }

    async fn audit_replay(&self, user_id: Uuid, meta: &RequestMeta) -> Result<(), AuthError> {
        audit::record(
            self.db(),
            self.now(),
            Some(user_id),
            AuditAction::TwoFactorCodeReplayed,
            json!({}),
            meta,
        )
        .await
    }

    fn backup_code_rows(
        &self,
        user_id: Uuid,
        codes: &[String],
    ) -> Vec<backup_code_rows::ActiveModel> {
        let (version, key) = &self.keys().backup_code_keys[0];
        let now = self.now();
        codes
            .iter()
            .map(|code| backup_code_rows::ActiveModel {
                id: Set(Uuid::new_v4()),
                user_id: Set(user_id),
                code_hash: Set(stored_hash(*version, key.expose_secret(), code)),
                used_at: Set(None),
                created_at: Set(now),
            })
            .collect()
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
    let challenges = super::credential_change::end_challenges(txn, user_id, now).await?;
    Ok(Some(RemovedTotp {
        backup_codes,
        challenges,
    }))
}

async fn replace_backup_codes(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    rows: Vec<backup_code_rows::ActiveModel>,
) -> Result<(), AuthError> {
    backup_code_rows::Entity::delete_many()
        .filter(backup_code_rows::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if !rows.is_empty() {
        backup_code_rows::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// `v{version}:{hex HMAC}`: the key version travels with the hash.
fn stored_hash(version: u32, key: &[u8; 32], normalized: &str) -> String {
    format!("v{version}:{}", backup_codes::hash(key, normalized))
}

/// Associated data binding a sealed TOTP secret to its user: a ciphertext
/// copied onto another row does not open there.
fn aad(user_id: Uuid) -> Vec<u8> {
    format!("totp:{user_id}").into_bytes()
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
