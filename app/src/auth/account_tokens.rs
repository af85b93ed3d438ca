//! Single-use tokens sent by email: password reset and email verification.
//!
//! A token is 32 random bytes, base64url. Only HMAC-SHA-256(key, purpose ‖
//! token) is stored, under a key derived for this purpose alone, so the
//! table cannot be turned into working links and a token of one purpose is
//! useless for the other. A presented token is found by the hash of what was
//! presented: the database compares hashes of attacker input, never the
//! secret itself, so the lookup leaks nothing useful through timing.
//!
//! A token is spent by a conditional UPDATE of `used_at` (unused and not
//! expired), inside the transaction that does what the token allows, so of
//! any number of concurrent uses exactly one wins.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::{error::AuthError, AuthService};
use crate::entities::account_tokens;

const TOKEN_BYTES: usize = 32;
/// Anything longer than a token can be is refused before hashing.
const MAX_TOKEN_CHARS: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    Reset,
    VerifyEmail,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::VerifyEmail => "verify_email",
        }
    }
}

impl AuthService {
    /// Makes a token for `user_id` valid `ttl` from now, stores its hash on
    /// `db` (the caller's transaction) and returns the token for the email.
    pub(crate) async fn issue_account_token(
        &self,
        db: &impl ConnectionTrait,
        user_id: Uuid,
        purpose: TokenPurpose,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let token = self.new_account_token();
        let now = self.now();
        account_tokens::Entity::insert(account_tokens::ActiveModel::from(account_tokens::Model {
            id: Uuid::new_v4(),
            user_id,
            purpose: purpose.as_str().to_string(),
            token_hash: self.account_token_hash(purpose, &token),
            expires_at: now + ttl,
            used_at: None,
            created_at: now,
        }))
        .exec_without_returning(db)
        .await?;
        Ok(token)
    }

    /// A fresh random token (also made, and thrown away, for addresses
    /// without an account, so both cost the same).
    pub(crate) fn new_account_token(&self) -> String {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The unused, unexpired token of `purpose` that `presented` is, if any.
    pub(crate) async fn find_account_token(
        &self,
        purpose: TokenPurpose,
        presented: &str,
    ) -> Result<Option<account_tokens::Model>, AuthError> {
        let presented = presented.trim();
        if presented.is_empty() || presented.len() > MAX_TOKEN_CHARS {
            return Ok(None);
        }
        let now = self.now();
        Ok(account_tokens::Entity::find()
            .filter(
                account_tokens::Column::TokenHash.eq(self.account_token_hash(purpose, presented)),
            )
            .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
            .filter(account_tokens::Column::UsedAt.is_null())
            .filter(account_tokens::Column::ExpiresAt.gt(now))
            .one(self.db())
            .await?)
    }

    pub(crate) fn account_token_hash(&self, purpose: TokenPurpose, token: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.keys().account_token_mac.expose_secret())
            .expect("HMAC accepts any key length");
        mac.update(purpose.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(token.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Removes tokens that expired a day ago or more (kept a little for
    /// diagnosis).
    pub(crate) async fn delete_expired_account_tokens(&self) -> Result<u64, AuthError> {
        let deleted = account_tokens::Entity::delete_many()
            .filter(account_tokens::Column::ExpiresAt.lte(self.now() - Duration::days(1)))
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected)
    }
}

/// Spends the token `id` if it is still unused and unexpired at `now`;
/// `false` when a concurrent use (or the clock) got there first.
pub(crate) async fn spend(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AuthError> {
    let spent = account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
        .filter(account_tokens::Column::Id.eq(id))
        .filter(account_tokens::Column::UsedAt.is_null())
        .filter(account_tokens::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// Spends every other outstanding token of `purpose` for the user: once a
/// link has done its job, older links for the same thing stop working.
pub(crate) async fn spend_all(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<u64, AuthError> {
    let spent = account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
        .filter(account_tokens::Column::UserId.eq(user_id))
        .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(account_tokens::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(spent.rows_affected)
}
