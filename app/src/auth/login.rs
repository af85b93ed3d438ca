//! Signing in with email and password.

use sea_orm::{ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::json;

use super::{
    audit::{self, AuditAction},
    error::AuthError,
    identity::Email,
    lockout::{self, FailureOutcome},
    password::{
        hashing::{HashOwner, Verification},
        Password,
    },
    permissions::roles_of,
    request_meta::RequestMeta,
    sessions::SessionKind,
    AuthService,
};
use crate::{
    entities::{sessions, users},
    types::{LoginOutcome, TwoFactorChallenge},
};

pub struct LoginInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub device_name: Option<&'a str>,
}

/// The result of a correct password: a session, or the second step.
#[derive(Debug)]
pub enum SignIn {
    Session(sessions::Model),
    TwoFactorRequired(TwoFactorChallenge),
}

impl AuthService {
    /// API sign-in: email and password → a new API session and its tokens,
    /// or, for an account with 2FA on, a challenge for the second factor.
    pub async fn login(
        &self,
        input: LoginInput<'_>,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, AuthError> {
        match self.sign_in(input, SessionKind::Api, meta).await? {
            SignIn::TwoFactorRequired(challenge) => Ok(LoginOutcome::TwoFactorRequired(challenge)),
            SignIn::Session(session) => {
                let roles = roles_of(self.db(), session.user_id).await?;
                self.tokens_for(
                    session.user_id,
                    session.id,
                    session.refresh_generation,
                    roles,
                )
                .map(LoginOutcome::Tokens)
            }
        }
    }

    /// Email and password → a session of `kind`, or a 2FA challenge. Both
    /// transports sign in through here.
    ///
    /// An unknown email and a wrong password give the same error after the
    /// same hashing work. A locked account is refused before any hashing,
    /// even with the right password.
    #[tracing::instrument(skip_all, fields(ip = %meta.ip))]
    pub async fn sign_in(
        &self,
        input: LoginInput<'_>,
        kind: SessionKind,
        meta: &RequestMeta,
    ) -> Result<SignIn, AuthError> {
        let password = Password::parse("password", input.password)
            .map_err(|error| AuthError::Validation(vec![error]))?;
        // A malformed email cannot belong to an account; it still costs a
        // hash, so it cannot be told apart from an unknown one by timing.
        let email = Email::parse(input.email).ok();
        let now = self.now();

        let user = match &email {
            Some(email) => self.user_with_email(email).await?,
            None => None,
        };
        if let Some(until) = user.as_ref().and_then(|u| lockout::locked_until(u, now)) {
            return Err(AuthError::locked(until, now));
        }

        let verification = self
            .hasher()
            .verify(
                &password,
                user.as_ref().map(|u| u.password_hash.as_str()),
                HashOwner::for_address(email.as_ref().map(Email::normalized), meta),
            )
            .await?;
        let (user, rehash) = match (user, verification) {
            (Some(user), Verification::Match { rehash }) => (user, rehash),
            (user, _) => return Err(self.failed_login(user, email.as_ref(), meta).await),
        };
        if !user.is_active {
            return Err(AuthError::AccountDisabled);
        }
        // Told only to someone who knows the password, so it reveals nothing
        // about which addresses have accounts.
        if self.config().require_email_verification && !user.email_verified {
            return Err(AuthError::EmailNotVerified);
        }

        if rehash {
            self.upgrade_hash(&user, &password, meta).await?;
        }
        if user.totp_enabled {
            let challenge = self
                .open_challenge(self.db(), user.id, input.device_name, meta)
                .await?;
            return Ok(SignIn::TwoFactorRequired(challenge));
        }
        lockout::record_success(self.db(), user.id, now).await?;
        let session = self
            .open_session(self.db(), user.id, kind, input.device_name, meta)
            .await?;
        audit::record(
            self.db(),
            now,
            Some(user.id),
            AuditAction::LoginSucceeded,
            json!({ "session_id": session.id, "method": "password" }),
            meta,
        )
        .await?;
        Ok(SignIn::Session(session))
    }

    /// Counts the failure, audits it, and says what to answer.
    async fn failed_login(
        &self,
        user: Option<users::Model>,
        email: Option<&Email>,
        meta: &RequestMeta,
    ) -> AuthError {
        let now = self.now();
        let Some(user) = user else {
            let details =
                json!({ "reason": "unknown_email", "email": email.map(Email::normalized) });
            return match audit::record(
                self.db(),
                now,
                None,
                AuditAction::LoginFailed,
                details,
                meta,
            )
            .await
            {
                Ok(()) => AuthError::InvalidCredentials,
                Err(error) => error,
            };
        };
        let config = self.config();
        let lockout_duration =
            chrono::Duration::from_std(config.lockout_duration).expect("duration within range");
        let outcome = match lockout::record_failure(
            self.db(),
            user.id,
            lockout::Counter::Password,
            now,
            config.max_login_attempts,
            lockout_duration,
        )
        .await
        {
            Ok(outcome) => outcome,
            Err(error) => return error,
        };
        let recorded = audit::record(
            self.db(),
            now,
            Some(user.id),
            AuditAction::LoginFailed,
            json!({ "reason": "wrong_password" }),
            meta,
        )
        .await;
        if let Err(error) = recorded {
            return error;
        }
        match outcome {
            FailureOutcome::Counted => AuthError::InvalidCredentials,
            FailureOutcome::LockedNow { until } => {
                let details = json!({
                    "locked_until": super::sessions::rfc3339(until),
                    "failed_attempts": config.max_login_attempts,
                });
                match audit::record(
                    self.db(),
                    now,
                    Some(user.id),
                    AuditAction::AccountLocked,
                    details,
                    meta,
                )
                .await
                {
                    Ok(()) => AuthError::locked(until, now),
                    Err(error) => error,
                }
            }
            FailureOutcome::AlreadyLocked => {
                let until = users::Entity::find_by_id(user.id)
                    .one(self.db())
                    .await
                    .ok()
                    .flatten()
                    .and_then(|u| lockout::locked_until(&u, now));
                match until {
                    Some(until) => AuthError::locked(until, now),
                    None => AuthError::InvalidCredentials,
                }
            }
        }
    }

    /// Replaces a legacy or outdated hash with Argon2id after a successful
    /// sign-in, when the plain password is at hand.
    async fn upgrade_hash(
        &self,
        user: &users::Model,
        password: &Password,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let new_hash = self
            .hasher()
            .hash(password, HashOwner::new(Some(user.id), meta))
            .await?;
        let scheme = user
            .password_hash
            .split('$')
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let mut active = user.clone().into_active_model();
        active.password_hash = Set(new_hash);
        active.updated_at = Set(self.now());
        users::Entity::update(active).exec(self.db()).await?;
        audit::record(
            self.db(),
            self.now(),
            Some(user.id),
            AuditAction::PasswordRehashed,
            json!({ "from": scheme, "to": "argon2id" }),
            meta,
        )
        .await
    }
}
