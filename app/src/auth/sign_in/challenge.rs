//! The second step of a sign-in for accounts with 2FA on. A correct password
//! yields a challenge instead of tokens; the challenge token plus a TOTP or
//! backup code completes the sign-in exactly like a password-only login.
//!
//! A challenge token is `base64url(id ‖ 32 random bytes)`; only an HMAC of
//! the random half is stored. It is not a JWT and no extractor accepts it, so
//! it is useless anywhere but here. It lives `TWO_FACTOR_CHALLENGE_MINUTES`
//! (`Policies`) and is consumed by a conditional UPDATE, so it completes at
//! most one sign-in.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::{
    audit::{AuditAction, AuditEvent},
    device_sessions::SessionKind,
    error::AuthError,
    principal::Factors,
    request::meta::{clean_text, RequestMeta},
    second_factor::Factor,
    AuthService, OpenedSession,
};
use crate::{
    entities::{two_factor_challenges as challenges, users},
    types::{TokenPair, TwoFactorChallenge},
};

const SECRET_LEN: usize = 32;

impl AuthService {
    /// Opens a challenge for a user whose password was right.
    pub(crate) async fn open_challenge(
        &self,
        db: &impl ConnectionTrait,
        user_id: Uuid,
        device_name: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<TwoFactorChallenge, AuthError> {
        let id = Uuid::new_v4();
        let mut secret = [0u8; SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let now = self.now();
        let lifetime = self.policies().challenge_lifetime;
        challenges::Entity::insert(challenges::ActiveModel::from(challenges::Model {
            id,
            user_id,
            secret_hash: hex::encode(self.challenge_mac(&secret).finalize().into_bytes()),
            ip_address: Some(meta.ip.to_string()),
            user_agent: meta.user_agent.clone(),
            device_name: device_name
                .map(|name| clean_text(name, 64))
                .filter(|n| !n.is_empty()),
            created_at: now,
            expires_at: now + lifetime,
            consumed_at: None,
        }))
        .exec_without_returning(db)
        .await?;
        let mut token = id.as_bytes().to_vec();
        token.extend_from_slice(&secret);
        Ok(TwoFactorChallenge {
            requires_2fa: true,
            challenge_token: URL_SAFE_NO_PAD.encode(token),
            expires_in: lifetime.num_seconds().unsigned_abs(),
        })
    }

    /// API: completes a sign-in with the challenge token and a second factor
    /// (`Factor::Totp` or `Factor::BackupCode`); returns the new tokens.
    #[tracing::instrument(skip_all)]
    pub async fn complete_challenge(
        &self,
        challenge_token: &str,
        factor: Factor<'_>,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let session = self
            .complete_challenge_session(challenge_token, factor, SessionKind::Api, meta)
            .await?;
        self.issue_tokens(session).await
    }

    /// Completes a sign-in with the challenge token and a second factor and
    /// opens a session of `kind`. Both transports finish a 2FA sign-in here.
    #[tracing::instrument(skip_all, fields(ip = %meta.ip, user_id, session_id))]
    pub async fn complete_challenge_session(
        &self,
        challenge_token: &str,
        factor: Factor<'_>,
        kind: SessionKind,
        meta: &RequestMeta,
    ) -> Result<OpenedSession, AuthError> {
        let challenge = self.find_challenge(challenge_token).await?;
        let user = users::Entity::find_by_id(challenge.user_id)
            .one(self.db())
            .await?
            .filter(|user| user.is_active && Factors::of(user).any())
            .ok_or(AuthError::InvalidToken)?;
        tracing::Span::current().record("user_id", tracing::field::display(user.id));
        self.verify_second_factor(&user, factor, meta).await?;

        let now = self.now();
        let consumed = challenges::Entity::update_many()
            .col_expr(challenges::Column::ConsumedAt, Expr::value(now))
            .filter(challenges::Column::Id.eq(challenge.id))
            .filter(challenges::Column::ConsumedAt.is_null())
            .filter(challenges::Column::ExpiresAt.gt(now))
            .exec(self.db())
            .await?;
        if consumed.rows_affected != 1 {
            return Err(AuthError::InvalidToken);
        }
        // No sign-in while the password lock holds, even with both factors.
        self.record_sign_in(user.id).await?;
        let session = self
            .open_session(
                self.db(),
                user.id,
                kind,
                challenge.device_name.as_deref(),
                meta,
            )
            .await?;
        let method = match factor {
            Factor::BackupCode(_) => "backup_code",
            _ => "totp",
        };
        self.audit(
            AuditEvent::new(AuditAction::LoginSucceeded)
                .user(user.id)
                .details(json!({ "session_id": session.id, "method": method })),
            meta,
        )
        .await?;
        Ok(session)
    }

    /// The open challenge a token names, if its secret half is right
    /// (compared in constant time).
    async fn find_challenge(&self, token: &str) -> Result<challenges::Model, AuthError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()
            .filter(|b| b.len() == 16 + SECRET_LEN)
            .ok_or(AuthError::InvalidToken)?;
        let (id, secret) = bytes.split_at(16);
        let id = Uuid::from_slice(id).map_err(|_| AuthError::InvalidToken)?;
        let now = self.now();
        let challenge = challenges::Entity::find_by_id(id)
            .filter(challenges::Column::ConsumedAt.is_null())
            .filter(challenges::Column::ExpiresAt.gt(now))
            .one(self.db())
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let stored = hex::decode(&challenge.secret_hash).map_err(AuthError::internal)?;
        self.challenge_mac(secret)
            .verify_slice(&stored)
            .map_err(|_| AuthError::InvalidToken)?;
        Ok(challenge)
    }

    fn challenge_mac(&self, secret: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.keys().challenge_mac.expose_secret())
            .expect("HMAC accepts any key length");
        mac.update(secret);
        mac
    }

    /// Removes challenges that can no longer be used.
    pub(crate) async fn delete_expired_challenges(&self) -> Result<u64, AuthError> {
        let deleted = challenges::Entity::delete_many()
            .filter(challenges::Column::ExpiresAt.lte(self.now()))
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected)
    }
}
