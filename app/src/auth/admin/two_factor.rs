//! An administrator removes a user's two-factor authentication: the way
//! back for a person who lost both their phone and their backup codes.
//!
//! It needs `users:write` and the administrator's own password typed again
//! (a stolen admin session alone cannot strip anyone's second factor). The
//! TOTP secret, the pending setup and every backup code go, open sign-in
//! challenges end, the event is audited with actor and target, and the user
//! is emailed a notice (no token in it) — all in one transaction.

use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::json;

use crate::auth::{
    admin::Actor,
    audit::{AuditAction, AuditEvent},
    error::AuthError,
    ids::UserId,
    permissions::USERS_WRITE,
    principal::Factors,
    request::meta::RequestMeta,
    second_factor::enrolment::remove_totp,
    AuthService,
};
use crate::{
    entities::users,
    mail::templates::{self, TwoFactorRemovedEmail},
};

impl AuthService {
    /// Turns 2FA off for `user_id`. `admin_password` is the acting
    /// administrator's own password; the operator at the command line
    /// (`Actor::Operator`) has none to give.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id(), user_id = %user_id))]
    pub async fn remove_user_two_factor(
        &self,
        actor: Actor<'_>,
        user_id: UserId,
        admin_password: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user_id = user_id.as_uuid();
        self.require_permission(actor, USERS_WRITE, meta).await?;
        if let Some(admin_id) = actor.id() {
            let admin = self.user(admin_id.into()).await?;
            self.reauthenticate(
                &admin,
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
        if !Factors::of(&user).totp {
            return Err(AuthError::TwoFactorNotEnabled);
        }
        let notice = templates::two_factor_removed(&TwoFactorRemovedEmail {
            to: &user.email,
            product: &self.config().totp_issuer,
            settings_link: &format!("{}/account/2fa", self.config().public_url),
        });
        let now = self.now();
        let by = actor.audited();
        let meta = meta.clone();
        let service = self.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    // Someone turned it off meanwhile: `TwoFactorNotEnabled`.
                    let removed = remove_totp(txn, user_id, now)
                        .await?
                        .ok_or(AuthError::TwoFactorNotEnabled)?;
                    AuditEvent::new(AuditAction::TwoFactorRemovedByAdmin)
                        .user(user_id)
                        .by(by)
                        .details(json!({
                            "backup_codes_deleted": removed.backup_codes,
                            "challenges_ended": removed.challenges,
                        }))
                        .record(txn, now, &meta)
                        .await?;
                    service.queue_email(txn, &notice).await
                })
            })
            .await?;
        self.wake_mailer();
        Ok(())
    }
}
