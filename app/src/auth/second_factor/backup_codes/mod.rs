//! Backup codes: the values (`codes`) and the service that makes, counts,
//! replaces and spends them.

pub mod codes;

use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};
use secrecy::ExposeSecret;
use serde_json::json;
use uuid::Uuid;

use crate::auth::{
    audit::{AuditAction, AuditEvent},
    error::AuthError,
    principal::Factors,
    request::meta::RequestMeta,
    second_factor::Factor,
    AuthService, Principal,
};
use crate::{
    entities::{backup_codes as backup_code_rows, users},
    types::BackupCodes,
    types::BackupCodesStatus,
};

impl AuthService {
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
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
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn regenerate_backup_codes(
        &self,
        principal: &Principal,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<BackupCodes, AuthError> {
        let user = self.user(principal.user_id).await?;
        if !Factors::of(&user).totp {
            return Err(AuthError::TwoFactorNotEnabled);
        }
        self.verify_second_factor(&user, Factor::Totp(code), meta)
            .await?;
        let codes = codes::generate(
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
                    AuditEvent::new(AuditAction::BackupCodesRegenerated)
                        .user(user_id)
                        .details(json!({ "count": count }))
                        .record(txn, now, &meta)
                        .await
                })
            })
            .await?;
        Ok(BackupCodes(codes))
    }

    /// True if `code` is an unused backup code of the user; spends it.
    pub(super) async fn spend_backup_code(
        &self,
        user: &users::Model,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<bool, AuthError> {
        let Some(normalized) = codes::normalize(code, self.config().backup_code_length as usize)
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
        self.audit(
            AuditEvent::new(AuditAction::BackupCodeUsed)
                .user(user.id)
                .details(json!({ "remaining": remaining })),
            meta,
        )
        .await?;
        Ok(true)
    }

    pub(super) fn backup_code_rows(
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

pub(super) async fn replace_backup_codes(
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
    format!("v{version}:{}", codes::hash(key, normalized))
}
