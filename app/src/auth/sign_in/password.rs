//! Signing in with email and password.

use sea_orm::{ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::json;

use crate::auth::{
    audit::{AuditAction, AuditEvent},
    device_sessions::SessionKind,
    error::AuthError,
    identity::Email,
    lockout::Counter,
    password::{
        hashing::{HashOwner, Verification},
        Password,
    },
    request::meta::RequestMeta,
    AuthService, OpenedSession,
};
use crate::{
    entities::users,
    metrics::{self, SignInOutcome},
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
    Session(OpenedSession),
    TwoFactorRequired(TwoFactorChallenge),
}

impl AuthService {
    /// API sign-in: email and password → a new API session and its tokens,
    /// or, for an account with 2FA on, a challenge for the second factor.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        input: LoginInput<'_>,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, AuthError> {
        match self.sign_in(input, SessionKind::Api, meta).await? {
            SignIn::TwoFactorRequired(challenge) => Ok(LoginOutcome::TwoFactorRequired(challenge)),
            SignIn::Session(session) => self.issue_tokens(session).await.map(LoginOutcome::Tokens),
        }
    }

    /// Email and password → a session of `kind`, or a 2FA challenge. Both
    /// transports sign in through here.
    ///
    /// An unknown email and a wrong password give the same error after the
    /// same hashing work. For an account, the attempt is reserved before the
    /// hash (`lockout`): a locked account is refused without hashing, even
    /// with the right password, and a right password whose hash ends after a
    /// concurrent failure locked the account is refused too.
    #[tracing::instrument(skip_all, fields(ip = %meta.ip, user_id, session_id))]
    pub async fn sign_in(
        &self,
        input: LoginInput<'_>,
        kind: SessionKind,
        meta: &RequestMeta,
    ) -> Result<SignIn, AuthError> {
        let signed_in = self.check_password_and_open(input, kind, meta).await;
        metrics::sign_in(outcome(&signed_in));
        signed_in
    }

    async fn check_password_and_open(
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

        let user = match &email {
            Some(email) => self.user_with_email(email).await?,
            None => None,
        };
        // Hashing is capped per address named, known or not (HashOwner).
        let owner = HashOwner::for_address(email.as_ref().map(Email::normalized), meta);
        let Some(user) = user else {
            self.hasher().verify(&password, None, owner).await?;
            return Err(self.unknown_email(email.as_ref(), meta).await);
        };
        tracing::Span::current().record("user_id", tracing::field::display(user.id));
        // A place on the hashing threads first: a busy hasher refuses before
        // the attempt is counted, so it never costs an attempt nor flickers
        // a lock.
        let ticket = self.hasher().admit(owner)?;
        let reservation = self.reserve_attempt(user.id, Counter::Password).await?;
        let verification = ticket.verify(&password, Some(&user.password_hash));
        let rehash = match self.evaluate(reservation, verification).await? {
            Verification::Match { rehash } => rehash,
            Verification::Mismatch => {
                let details = json!({ "reason": "wrong_password" });
                return Err(self.settle_failure(reservation, details, meta).await);
            }
        };
        // The right password: the count clears whatever comes next, unless
        // the account was locked meanwhile.
        self.settle_success(reservation).await?;
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
        self.record_sign_in(user.id).await?;
        let session = self
            .open_session(self.db(), user.id, kind, input.device_name, meta)
            .await?;
        self.audit(
            AuditEvent::new(AuditAction::LoginSucceeded)
                .user(user.id)
                .details(json!({ "session_id": session.id, "method": "password" })),
            meta,
        )
        .await?;
        Ok(SignIn::Session(session))
    }

    /// Audits a sign-in for an address without an account; answers exactly
    /// as a wrong password does.
    async fn unknown_email(&self, email: Option<&Email>, meta: &RequestMeta) -> AuthError {
        let details = json!({ "reason": "unknown_email", "email": email.map(Email::normalized) });
        match self
            .audit(
                AuditEvent::new(AuditAction::LoginFailed).details(details),
                meta,
            )
            .await
        {
            Ok(()) => AuthError::InvalidCredentials,
            Err(error) => error,
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
        self.audit(
            AuditEvent::new(AuditAction::PasswordRehashed)
                .user(user.id)
                .details(json!({ "from": scheme, "to": "argon2id" })),
            meta,
        )
        .await
    }
}

/// How a sign-in's password step ended, for `gatehouse_sign_ins_total`.
fn outcome(signed_in: &Result<SignIn, AuthError>) -> SignInOutcome {
    match signed_in {
        Ok(SignIn::Session(_)) => SignInOutcome::Success,
        Ok(SignIn::TwoFactorRequired(_)) => SignInOutcome::TwoFactorRequired,
        Err(AuthError::InvalidCredentials) => SignInOutcome::InvalidCredentials,
        Err(AuthError::AccountLocked { .. }) => SignInOutcome::Locked,
        Err(AuthError::AccountDisabled) => SignInOutcome::Disabled,
        Err(AuthError::EmailNotVerified) => SignInOutcome::EmailNotVerified,
        Err(AuthError::Validation(_)) => SignInOutcome::InvalidInput,
        Err(AuthError::HashingBusy { .. } | AuthError::Overloaded { .. }) => SignInOutcome::Busy,
        Err(_) => SignInOutcome::Error,
    }
}
