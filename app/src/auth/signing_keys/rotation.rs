//! Rotating the asymmetric signing keys without signing anyone out.
//!
//! `rotate` stores the next key: published at once, signing only after
//! `JWT_KEY_PUBLICATION_SECONDS`, by when every verifier that caches the
//! JWK Set (five minutes) has fetched it. The key it replaces stays
//! published until the last token it signed has expired. Each node reloads
//! the keys from the table every `RELOAD_INTERVAL` (one small query), so it
//! knows a key stored by another node or by `server admin keys rotate` well
//! before that key signs; when it signs is decided by the clock.
//! `JWT_KEY_ROTATION_DAYS` makes the periodic housekeeping rotate on its own.

use std::{sync::Arc, time::Duration};

use super::{grace, store, KeyListing, Rotation, SigningKeys};
use crate::auth::{error::AuthError, AuthService};

impl AuthService {
    /// How often each node reads the keys again. The publication delay is
    /// at least this plus the JWK Set's cache lifetime.
    pub const SIGNING_KEYS_RELOAD_INTERVAL: Duration = Duration::from_secs(60);

    /// The keys access tokens are signed and verified with, and the public
    /// ones `/.well-known/jwks.json` publishes.
    pub fn signing_keys(&self) -> Arc<SigningKeys> {
        self.inner
            .signing_keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The public keys trusted now.
    pub fn jwks(&self) -> super::JwkSet {
        self.signing_keys().jwks(self.now())
    }

    /// Reads the keys from the table again (a rotation made elsewhere).
    pub async fn reload_signing_keys(&self) -> Result<(), AuthError> {
        if !self.config().jwt_algorithm.is_asymmetric() {
            return Ok(());
        }
        let keys =
            SigningKeys::load(self.db(), self.config(), &self.keys().sealer, self.now()).await?;
        *self
            .inner
            .signing_keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(keys);
        Ok(())
    }

    /// Stores the next signing key (unless one is already waiting) and
    /// starts publishing it.
    pub async fn rotate_signing_key(&self) -> Result<Rotation, AuthError> {
        let algorithm = self.config().jwt_algorithm;
        if !algorithm.is_asymmetric() {
            return Err(AuthError::Internal(
                "rotation needs JWT_ALGORITHM=EdDSA or ES256: an HS256 key is JWT_SECRET_KEY"
                    .into(),
            ));
        }
        let delay = self.policies().key_publication_delay;
        let rotation =
            store::rotate(self.db(), algorithm, &self.keys().sealer, self.now(), delay).await?;
        if let Rotation::Scheduled { kid, sign_from } = &rotation {
            tracing::info!(kid, sign_from = %sign_from, "signing key rotation scheduled");
        }
        self.reload_signing_keys().await?;
        Ok(rotation)
    }

    /// Every stored key of the configured algorithm, newest first.
    pub async fn list_signing_keys(&self) -> Result<Vec<KeyListing>, AuthError> {
        let algorithm = self.config().jwt_algorithm;
        if !algorithm.is_asymmetric() {
            return Ok(Vec::new());
        }
        store::list(self.db(), algorithm, self.now(), grace(self.config())).await
    }

    /// The automatic schedule (`JWT_KEY_ROTATION_DAYS`), run by the
    /// housekeeping of every node: the first to find the key due rotates,
    /// the others find the rotation pending (or lose the insert) and do
    /// nothing.
    pub(crate) async fn rotate_signing_key_if_due(&self) -> Result<(), AuthError> {
        let algorithm = self.config().jwt_algorithm;
        let Some(interval) = self.policies().key_rotation_interval else {
            return Ok(());
        };
        if algorithm.is_asymmetric()
            && store::due_for_rotation(self.db(), algorithm, self.now(), interval).await?
        {
            self.rotate_signing_key().await?;
        }
        Ok(())
    }
}
