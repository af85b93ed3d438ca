//! The keys access tokens are signed and verified with (`JWT_ALGORITHM`).
//!
//! - `HS256` (the default): one HMAC key, `JWT_SECRET_KEY`; nothing is
//!   published and tokens carry no `kid`.
//! - `EdDSA` / `ES256`: Gatehouse generates the key pair itself on first start
//!   and keeps it in the `signing_keys` table (`store`), the private half
//!   sealed with the database encryption key. Every token names its key in
//!   the `kid` header, and the public keys are published as a JWK Set
//!   (`/.well-known/jwks.json`), so any service verifies tokens with an
//!   off-the-shelf JWT library and no secret.
//!
//! The keys are read once, when the service is built: no request reads the
//! table. Verification accepts exactly the configured algorithm and, with an
//! asymmetric one, only the kids in the table (`header` refuses the rest).
//! The table holds several keys with a state each, ready for rotation
//! (`active` signs; `next` and `retired` would verify only).

mod algorithm;
mod header;
mod jwk;
mod key_pair;
mod store;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use serde::Serialize;

pub use algorithm::JwtAlgorithm;
pub use jwk::{JwkSet, PublicJwk};
pub use key_pair::KeyPair;

use crate::{
    auth::{crypto::secret_box::SecretSealer, error::AuthError},
    config::Config,
};

pub struct SigningKeys {
    algorithm: JwtAlgorithm,
    /// The kid new tokens name (none with HS256) and the key they are signed with.
    signing_kid: Option<String>,
    signing_key: EncodingKey,
    verifiers: Verifiers,
    published: JwkSet,
}

enum Verifiers {
    /// HS256: the shared secret.
    Shared(DecodingKey),
    /// Asymmetric: the public key of every kid in the table.
    ByKid(HashMap<String, DecodingKey>),
}

impl SigningKeys {
    /// The keys of the configured algorithm: for HS256 derived from the
    /// configuration alone, otherwise read from (or first created in) the
    /// `signing_keys` table.
    pub async fn load(
        db: &impl ConnectionTrait,
        config: &Config,
        sealer: &SecretSealer,
        now: DateTime<Utc>,
    ) -> Result<Self, AuthError> {
        match config.jwt_algorithm {
            JwtAlgorithm::Hs256 => Ok(Self::shared_secret(config)),
            algorithm => {
                let (signing_kid, pairs) =
                    store::load_or_create(db, algorithm, sealer, now).await?;
                Self::from_pairs(algorithm, &signing_kid, &pairs)
            }
        }
    }

    /// HS256 under `JWT_SECRET_KEY`.
    pub(crate) fn shared_secret(config: &Config) -> Self {
        let secret = config.jwt_secret.expose_secret().as_bytes();
        Self {
            algorithm: JwtAlgorithm::Hs256,
            signing_kid: None,
            signing_key: EncodingKey::from_secret(secret),
            verifiers: Verifiers::Shared(DecodingKey::from_secret(secret)),
            published: JwkSet::default(),
        }
    }

    /// Asymmetric keys: `pairs` (those of `algorithm`) all verify and are
    /// published; the one named `signing_kid` signs.
    pub(crate) fn from_pairs(
        algorithm: JwtAlgorithm,
        signing_kid: &str,
        pairs: &[KeyPair],
    ) -> Result<Self, AuthError> {
        let signer = pairs
            .iter()
            .find(|pair| pair.kid() == signing_kid && pair.algorithm() == algorithm)
            .ok_or_else(|| AuthError::internal("the signing key is not among the keys"))?;
        let mut verifiers = HashMap::with_capacity(pairs.len());
        for pair in pairs.iter().filter(|pair| pair.algorithm() == algorithm) {
            verifiers.insert(pair.kid().to_string(), pair.decoding_key()?);
        }
        Ok(Self {
            algorithm,
            signing_kid: Some(signing_kid.to_string()),
            signing_key: signer.encoding_key(),
            published: JwkSet {
                keys: pairs
                    .iter()
                    .filter(|pair| pair.algorithm() == algorithm)
                    .map(|pair| pair.public_jwk().clone())
                    .collect(),
            },
            verifiers: Verifiers::ByKid(verifiers),
        })
    }

    pub fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }

    /// The kid new tokens carry (`None` with HS256).
    pub fn signing_kid(&self) -> Option<&str> {
        self.signing_kid.as_deref()
    }

    /// The public keys, as `/.well-known/jwks.json` serves them.
    pub fn jwks(&self) -> &JwkSet {
        &self.published
    }

    /// A JWT of `claims`, signed with the active key and naming its kid.
    pub(crate) fn sign(&self, claims: &impl Serialize) -> Result<String, AuthError> {
        let mut header = Header::new(self.algorithm.jsonwebtoken());
        header.kid = self.signing_kid.clone();
        jsonwebtoken::encode(&header, claims, &self.signing_key).map_err(AuthError::internal)
    }

    /// The key to verify `token` with, if its header is acceptable: the
    /// configured algorithm, no member but `alg`, `typ` and `kid`, and
    /// (asymmetric) a kid Gatehouse knows. The signature is not checked here.
    pub(crate) fn verifier_for(&self, token: &str) -> Option<&DecodingKey> {
        let kid = header::accepted_kid(token, self.algorithm)?;
        match &self.verifiers {
            Verifiers::Shared(key) => Some(key),
            Verifiers::ByKid(keys) => keys.get(kid?.as_str()),
        }
    }
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("algorithm", &self.algorithm)
            .field("signing_kid", &self.signing_kid)
            .field(
                "kids",
                &self
                    .published
                    .keys
                    .iter()
                    .map(|k| &k.kid)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
