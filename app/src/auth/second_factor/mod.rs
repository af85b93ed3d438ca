//! Second factors: what an account has enrolled (`Factors`), and checking
//! one while signing in or confirming an action, under the 2FA lock. TOTP
//! codes (`totp`) and single-use backup codes (`backup_codes`) are the
//! factors today; enrolment and removal are in `enrolment`.
//!
//! A TOTP code is accepted once: its time step is claimed with a conditional
//! UPDATE of `totp_last_step`. A backup code is spent with a conditional
//! UPDATE of its row. `MAX_TWO_FACTOR_ATTEMPTS` wrong factors lock
//! verification for `TWO_FACTOR_LOCKOUT_MINUTES` (`Policies`).

pub mod backup_codes;
pub mod enrolment;
pub mod totp;

use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;
use serde_json::json;
use uuid::Uuid;

use crate::auth::{
    audit::{AuditAction, AuditEvent},
    error::AuthError,
    lockout::Counter,
    request::meta::RequestMeta,
    AuthService,
};
use crate::{entities::users, metrics};

/// A second factor as presented.
#[derive(Debug, Clone, Copy)]
pub enum Factor<'a> {
    Totp(&'a str),
    BackupCode(&'a str),
    /// `disable-2fa` takes either: a 6-digit code is tried as TOTP first.
    Either(&'a str),
}

impl AuthService {
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
            metrics::second_factor_failure();
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

    async fn audit_replay(&self, user_id: Uuid, meta: &RequestMeta) -> Result<(), AuthError> {
        self.audit(
            AuditEvent::new(AuditAction::TwoFactorCodeReplayed).user(user_id),
            meta,
        )
        .await
    }
}

/// Associated data binding a sealed TOTP secret to its user: a ciphertext
/// copied onto another row does not open there.
pub(crate) fn aad(user_id: Uuid) -> Vec<u8> {
    format!("totp:{user_id}").into_bytes()
}
