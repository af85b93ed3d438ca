//! An administrator removes a user's two-factor authentication: the way
//! back for a person who lost both their phone and their backup codes.
//!
//! It needs `users:write` and the administrator's own password typed again
//! (a stolen admin session alone cannot strip anyone's second factor). The
//! TOTP secret, the pending setup and every backup code go, open sign-in
//! challenges end, the event is audited with actor and target, and the user
//! is emailed a notice (no token in it) — all in one transaction.

use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::{
    admin::Actor,
    audit::{self, AuditAction},
    credential_change,
    error::AuthError,
    permissions::USERS_WRITE,
    request_meta::RequestMeta,
    AuthService,
};
use crate::{
    entities::{backup_codes, users},
    mail::templates::{self, TwoFactorRemovedEmail},
};

impl AuthService {
    /// Turns 2FA off for `user_id`. `admin_password` is the acting
    /// administrator's own password; the operator at the command line
    /// (`Actor::Operator`) has none to give.
    pub async fn remove_user_two_factor(
        &self,
        actor: Actor<'_>,
        user_id: Uuid,
        admin_password: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        self.require_permission(actor, USERS_WRITE, meta).await?;
        if let Actor::User(principal) = actor {
            self.reauthenticate(
                &principal.user,
                "password",
                admin_password,
                "remove_user_two_factor",
                meta,
            )
            .await?;
        }
        let user = users::Entity::find_by_id(user_id)
            .one(self.db())
            .await?
            .ok_or(AuthError::NotFound)?;
        if !user.totp_enabled {
            return Err(AuthError::TwoFactorNotEnabled);
        }
        let notice = templates::two_factor_removed(&TwoFactorRemovedEmail {
            to: &user.email,
            product: &self.config().totp_issuer,
            settings_link: &format!("{}/account/2fa", self.config().public_url),
        });
        let now = self.now();
        let actor_id = actor.id();
        let meta = meta.clone();
        let service = self.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
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
                        // Someone turned it off meanwhile.
                        return Err(AuthError::TwoFactorNotEnabled);
                    }
                    let codes = backup_codes::Entity::delete_many()
                        .filter(backup_codes::Column::UserId.eq(user_id))
                        .exec(txn)
                        .await?;
                    let challenges = credential_change::end_challenges(txn, user_id, now).await?;
                    audit::record_by(
                        txn,
                        now,
                        Some(user_id),
                        actor_id,
                        AuditAction::TwoFactorRemovedByAdmin,
                        json!({
                            "backup_codes_deleted": codes.rows_affected,
                            "challenges_ended": challenges,
                        }),
                        &meta,
                    )
                    .await?;
                    service.queue_email(txn, &notice).await
                })
            })
            .await?;
        self.wake_mailer();
        Ok(())
    }
}
