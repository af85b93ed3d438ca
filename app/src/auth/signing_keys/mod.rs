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
//! The keys are read when the service is built and again every
//! `RELOAD_INTERVAL` (`rotation`): no request reads the table. Which key
//! signs and which are published is decided per request by the service
//! clock (`schedule`), so a rotation switches every node at the same moment.
//! Verification accepts exactly the configured algorithm and, with an
//! asymmetric one, only the kids of keys trusted at that moment (`header`
//! refuses the rest).

mod algorithm;
mod header;
mod jwk;
mod key_pair;
mod rotation;
mod schedule;
mod store;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use serde::Serialize;

pub use algorithm::JwtAlgorithm;
pub use jwk::{JwkSet, PublicJwk};
pub use key_pair::KeyPair;
pub use schedule::{KeyState, Schedule};
pub use store::{KeyListing, Rotation};

use crate::{
    auth::{crypto::secret_box::SecretSealer, error::AuthError},
    config::Config,
};

/// Clock skew tolerated on `exp` and `iat` (RFC 8725 §3.8: keep it small);
/// a retired key stays trusted this much longer than its last token's life.
pub const LEEWAY_SECONDS: i64 = 5;

pub struct SigningKeys {
    algorithm: JwtAlgorithm,
    keys: Keys,
}

enum Keys {
    /// HS256: the shared secret signs and verifies.
    Shared {
        signing: EncodingKey,
        verifying: DecodingKey,
    },
    /// Asymmetric: the keys still trusted, newest generation first, each
    /// signing, published and verifying as its schedule says at the time
    /// of the request.
    Scheduled {
        keys: Vec<ScheduledKey>,
        grace: Duration,
    },
}

struct ScheduledKey {
    kid: String,
    schedule: Schedule,
    signing: EncodingKey,
    verifying: DecodingKey,
    public: PublicJwk,
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
                let grace = grace(config);
                let pairs = store::load_or_create(db, algorithm, sealer, now, grace).await?;
                Self::scheduled(
                    algorithm,
                    pairs.iter().map(|(pair, schedule)| (pair, *schedule)),
                    grace,
                )
            }
        }
    }

    /// HS256 under `JWT_SECRET_KEY`.
    pub(crate) fn shared_secret(config: &Config) -> Self {
        let secret = config.jwt_secret.expose_secret().as_bytes();
        Self {
            algorithm: JwtAlgorithm::Hs256,
            keys: Keys::Shared {
                signing: EncodingKey::from_secret(secret),
                verifying: DecodingKey::from_secret(secret),
            },
        }
    }

    /// Asymmetric keys of `algorithm` (pairs of another are ignored), newest
    /// generation first, with their schedules.
    pub(crate) fn scheduled<'a>(
        algorithm: JwtAlgorithm,
        pairs: impl IntoIterator<Item = (&'a KeyPair, Schedule)>,
        grace: Duration,
    ) -> Result<Self, AuthError> {
        let mut keys = Vec::new();
        for (pair, schedule) in pairs {
            if pair.algorithm() != algorithm {
                continue;
            }
            keys.push(ScheduledKey {
                kid: pair.kid().to_string(),
                schedule,
                signing: pair.encoding_key(),
                verifying: pair.decoding_key()?,
                public: pair.public_jwk().clone(),
            });
        }
        Ok(Self {
            algorithm,
            keys: Keys::Scheduled { keys, grace },
        })
    }

    pub fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }

    /// The kid tokens signed at `now` carry (`None` with HS256).
    pub fn signing_kid(&self, now: DateTime<Utc>) -> Option<&str> {
        match &self.keys {
            Keys::Shared { .. } => None,
            Keys::Scheduled { .. } => self.signer(now).map(|key| key.kid.as_str()),
        }
    }

    /// The public keys trusted at `now`, as `/.well-known/jwks.json` serves
    /// them: the next key as soon as it is stored, retired ones until their
    /// last token has expired.
    pub fn jwks(&self, now: DateTime<Utc>) -> JwkSet {
        JwkSet {
            keys: self.trusted(now).map(|key| key.public.clone()).collect(),
        }
    }

    /// A JWT of `claims`, signed with the key active at `now` and naming its kid.
    pub(crate) fn sign(
        &self,
        claims: &impl Serialize,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        let mut header = Header::new(self.algorithm.jsonwebtoken());
        let key = match &self.keys {
            Keys::Shared { signing, .. } => signing,
            Keys::Scheduled { .. } => {
                let signer = self
                    .signer(now)
                    .ok_or_else(|| AuthError::internal("no signing key is active"))?;
                header.kid = Some(signer.kid.clone());
                &signer.signing
            }
        };
        jsonwebtoken::encode(&header, claims, key).map_err(AuthError::internal)
    }

    /// The key to verify `token` with at `now`, if its header is acceptable:
    /// the configured algorithm, no member but `alg`, `typ` and `kid`, and
    /// (asymmetric) the kid of a key trusted at `now`. The signature is not
    /// checked here.
    pub(crate) fn verifier_for(&self, token: &str, now: DateTime<Utc>) -> Option<&DecodingKey> {
        let kid = header::accepted_kid(token, self.algorithm)?;
        match &self.keys {
            Keys::Shared { verifying, .. } => Some(verifying),
            Keys::Scheduled { .. } => {
                let kid = kid?;
                self.trusted(now)
                    .find(|key| key.kid == kid)
                    .map(|key| &key.verifying)
            }
        }
    }

    fn signer(&self, now: DateTime<Utc>) -> Option<&ScheduledKey> {
        match &self.keys {
            Keys::Shared { .. } => None,
            Keys::Scheduled { keys, grace } => keys
                .iter()
                .find(|key| key.schedule.state(now, *grace) == KeyState::Active),
        }
    }

    fn trusted(&self, now: DateTime<Utc>) -> impl Iterator<Item = &ScheduledKey> {
        let (keys, grace) = match &self.keys {
            Keys::Shared { .. } => (&[][..], Duration::zero()),
            Keys::Scheduled { keys, grace } => (&keys[..], *grace),
        };
        keys.iter()
            .filter(move |key| key.schedule.state(now, grace) != KeyState::Expired)
    }
}

/// How long a key stays trusted after it stops signing: the life of the
/// last token it signed, plus the clock leeway.
pub fn grace(config: &Config) -> Duration {
    config.policies.access_token_lifetime + Duration::seconds(LEEWAY_SECONDS)
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = match &self.keys {
            Keys::Shared { .. } => Vec::new(),
            Keys::Scheduled { keys, .. } => keys.iter().map(|key| key.kid.as_str()).collect(),
        };
        f.debug_struct("SigningKeys")
            .field("algorithm", &self.algorithm)
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}
