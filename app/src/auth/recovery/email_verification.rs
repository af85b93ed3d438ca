//! Proving an email address: registration emails a link, the link's token
//! marks the address verified, and a signed-in user may ask for a new link
//! (rate limited per account and per IP). With `REQUIRE_EMAIL_VERIFICATION`
//! on, sign-in refuses unverified accounts (see `login::sign_in`).

use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{
    account_tokens::{self, TokenPurpose},
    audit::{AuditAction, AuditEvent},
    error::AuthError,
    ids::UserId,
    principal::Principal,
    request::meta::RequestMeta,
    AuthService,
};
use crate::{entities::users, mail::templates};

impl AuthService {
    /// Queues a verification email for `user_id` at `address` on `db` (the
    /// caller's transaction). Wake the mailer after the commit.
    pub(crate) async fn queue_verification_email(
        &self,
        db: &impl ConnectionTrait,
        user_id: Uuid,
        address: &str,
    ) -> Result<(), AuthError> {
        let lifetime = self.policies().verification_link_lifetime;
        let token = self
            .issue_account_token(db, user_id, TokenPurpose::VerifyEmail, lifetime)
            .await?;
        let email = templates::email_verification(
            address,
            &self.config().totp_issuer,
            &self.public_link("/verify-email", &token),
            lifetime.num_hours().unsigned_abs(),
        );
        self.queue_email(db, &email).await
    }

    /// Marks the address verified with a token from a verification email.
    /// A used, expired, unknown or tampered token is
    /// `InvalidVerificationToken`.
    #[tracing::instrument(skip_all, fields(ip = %meta.ip))]
    pub async fn verify_email(&self, token: &str, meta: &RequestMeta) -> Result<(), AuthError> {
        let found = self
            .find_account_token(TokenPurpose::VerifyEmail, token)
            .await?
            .ok_or(AuthError::InvalidVerificationToken)?;
        let now = self.now();
        let txn = self.db().begin().await?;
        if !account_tokens::spend(&txn, found.id, now).await? {
            return Err(AuthError::InvalidVerificationToken);
        }
        account_tokens::spend_all(&txn, found.user_id, TokenPurpose::VerifyEmail, now).await?;
        users::Entity::update_many()
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(found.user_id))
            .exec(&txn)
            .await?;
        AuditEvent::new(AuditAction::EmailVerified)
            .user(found.user_id)
            .record(&txn, now, meta)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Marks an address verified on the operator's word (the command line's
    /// `admin create-user`: the first administrator must be able to sign in
    /// with `REQUIRE_EMAIL_VERIFICATION` on and before any mail is sent).
    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    pub async fn verify_email_by_operator(
        &self,
        user_id: UserId,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user_id = user_id.as_uuid();
        let now = self.now();
        let txn = self.db().begin().await?;
        account_tokens::spend_all(&txn, user_id, TokenPurpose::VerifyEmail, now).await?;
        let updated = users::Entity::update_many()
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(AuthError::NotFound);
        }
        AuditEvent::new(AuditAction::EmailVerified)
            .user(user_id)
            .details(json!({ "by": "operator" }))
            .record(&txn, now, meta)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Emails the signed-in user a new verification link.
    /// `EmailAlreadyVerified` if there is nothing to prove.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn resend_verification(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user = self.user(principal.user_id).await?;
        if user.email_verified {
            return Err(AuthError::EmailAlreadyVerified);
        }
        self.limits()
            .admit_mail(meta.ip, &format!("verify:{}", user.id))
            .await?;
        let txn = self.db().begin().await?;
        self.queue_verification_email(&txn, user.id, &user.email)
            .await?;
        AuditEvent::new(AuditAction::VerificationEmailSent)
            .user(user.id)
            .details(json!({ "reason": "requested" }))
            .record(&txn, self.now(), meta)
            .await?;
        txn.commit().await?;
        self.wake_mailer();
        Ok(())
    }
}
