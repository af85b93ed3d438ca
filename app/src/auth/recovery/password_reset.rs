//! Password recovery: "forgot password" emails a single-use link, and the
//! link's token sets a new password.
//!
//! - `forgot_password` answers the same whatever the address, and does
//!   comparable work for an address without an account (a token is made and
//!   hashed, the email rendered, one transaction written), so neither the
//!   answer nor its timing tells who has an account. Requests are limited
//!   per IP, per address per IP prefix and per address
//!   (`Limits::admit_mail`).
//! - `reset_password` applies the password policy and history rule (the
//!   same code as `change_password`), then, in one transaction, spends the
//!   token with a conditional UPDATE, stores the password, ends every
//!   session, open 2FA challenge and other reset link of the user
//!   (`credential_change`), clears a login lockout, marks the address verified
//!   (the link reached it), writes the audit event and queues a notice to
//!   the address. It never touches two-factor authentication: a user with
//!   2FA on still needs it to sign in.

use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use crate::auth::{
    account_tokens::{self, TokenPurpose},
    accounts::credential_change,
    audit::{AuditAction, AuditEvent},
    error::AuthError,
    identity::{normalize_loosely, Email},
    lockout::{self, Counter},
    request::meta::RequestMeta,
    AuthService,
};
use crate::{
    entities::users,
    mail::templates::{self, PasswordChangedEmail, ResetEmail},
    user_agent::browser_name,
};

impl AuthService {
    /// Starts a password reset for `email`. Always `Ok(())` (unless rate
    /// limited or the database fails): for an active account a reset link
    /// valid `RESET_TOKEN_EXPIRE_HOURS` (`Policies`) is emailed; for any
    /// other address nothing is sent.
    #[tracing::instrument(skip_all, fields(ip = %meta.ip))]
    pub async fn forgot_password(&self, email: &str, meta: &RequestMeta) -> Result<(), AuthError> {
        let parsed = Email::parse(email).ok();
        let address_key = match &parsed {
            Some(email) => email.normalized().to_string(),
            None => normalize_loosely(email).chars().take(320).collect(),
        };
        self.limits()
            .admit_mail(meta.ip, &format!("reset:{address_key}"))
            .await?;

        let user = match &parsed {
            Some(email) => self.user_with_email(email).await?,
            None => None,
        }
        .filter(|user| user.is_active);

        let ttl = self.policies().reset_link_lifetime;
        let browser = browser_of(meta);
        let render = |to: &str, token: &str| {
            templates::password_reset(&ResetEmail {
                to,
                product: &self.config().totp_issuer,
                link: &self.public_link("/reset-password", token),
                valid_minutes: ttl.num_minutes().unsigned_abs(),
                ip: meta.ip,
                browser: &browser,
            })
        };
        let now = self.now();
        let txn = self.db().begin().await?;
        match user {
            Some(user) => {
                let token = self
                    .issue_account_token(&txn, user.id, TokenPurpose::Reset, ttl)
                    .await?;
                self.queue_email(&txn, &render(&user.email, &token)).await?;
                AuditEvent::new(AuditAction::PasswordResetRequested)
                    .user(user.id)
                    .details(json!({ "account": true }))
                    .record(&txn, now, meta)
                    .await?;
            }
            None => {
                // The same work as above, minus what would reach anyone.
                let token = self.new_account_token();
                let _ = self.account_token_hash(TokenPurpose::Reset, &token);
                let _ = render(&address_key, &token);
                AuditEvent::new(AuditAction::PasswordResetRequested)
                    .details(json!({ "account": false, "email": address_key }))
                    .record(&txn, now, meta)
                    .await?;
            }
        }
        txn.commit().await?;
        self.wake_mailer();
        Ok(())
    }

    /// Sets a new password with a reset token from `forgot_password`'s email.
    /// A used, expired, unknown or tampered token is `InvalidResetToken`;
    /// a `confirm_password` that differs is `PasswordMismatch` (forms send
    /// one, API clients may).
    #[tracing::instrument(skip_all, fields(ip = %meta.ip))]
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        confirm_password: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let found = self
            .find_account_token(TokenPurpose::Reset, token)
            .await?
            .ok_or(AuthError::InvalidResetToken)?;
        let user = users::Entity::find_by_id(found.user_id)
            .one(self.db())
            .await?
            .filter(|user| user.is_active)
            .ok_or(AuthError::InvalidResetToken)?;
        if confirm_password.is_some_and(|confirm| confirm != new_password) {
            return Err(AuthError::PasswordMismatch);
        }
        let hash = self
            .hash_new_password(&user, "new_password", new_password, meta)
            .await?;

        let now = self.now();
        let txn = self.db().begin().await?;
        // Exactly one of any concurrent uses gets past this line; the others
        // roll back without changing anything.
        if !account_tokens::spend(&txn, found.id, now).await? {
            return Err(AuthError::InvalidResetToken);
        }
        self.store_password(&txn, user.id, hash, now).await?;
        lockout::clear_lockout(&txn, user.id, Counter::Password).await?;
        users::Entity::update_many()
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .filter(users::Column::Id.eq(user.id))
            .exec(&txn)
            .await?;
        // Every session (this request has none), every open 2FA challenge
        // and every other reset link.
        let ended = credential_change::end_other_ways_in(
            &txn,
            user.id,
            None,
            now,
            AuditAction::PasswordReset,
        )
        .await?;
        let mut details = ended.details();
        details["lockout_cleared"] = json!(user.locked_until.is_some());
        ended
            .event()
            .details(details)
            .record(&txn, now, meta)
            .await?;
        let notice = templates::password_changed(&PasswordChangedEmail {
            to: &user.email,
            product: &self.config().totp_issuer,
            forgot_link: &format!("{}/forgot-password", self.config().public_url),
            ip: meta.ip,
            browser: &browser_of(meta),
        });
        self.queue_email(&txn, &notice).await?;
        txn.commit().await?;
        self.wake_mailer();
        Ok(())
    }

    /// `PUBLIC_URL` + `path` + `?token=…` (the token is base64url: nothing
    /// to escape).
    pub(crate) fn public_link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.config().public_url)
    }
}

/// "Firefox on Linux", for the emails.
fn browser_of(meta: &RequestMeta) -> String {
    meta.user_agent
        .as_deref()
        .map_or_else(|| "an unknown browser".to_string(), browser_name)
}
