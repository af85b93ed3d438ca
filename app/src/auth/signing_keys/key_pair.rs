//! One asymmetric signing key: its private half as PKCS#8 DER (what is sealed
//! at rest and what jsonwebtoken signs with) and its public half as a JWK.
//! Keys are generated with ring, the library jsonwebtoken itself signs and
//! verifies with.

use jsonwebtoken::{DecodingKey, EncodingKey};
use ring::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use secrecy::{ExposeSecret, SecretSlice};

use super::{algorithm::JwtAlgorithm, jwk::PublicJwk};
use crate::auth::error::AuthError;

/// `Debug` names the algorithm and the kid, never the private key.
pub struct KeyPair {
    algorithm: JwtAlgorithm,
    pkcs8: SecretSlice<u8>,
    public: PublicJwk,
}

impl KeyPair {
    /// A fresh key from the operating system's CSPRNG. HS256 has no key
    /// pair: its key is `JWT_SECRET_KEY`.
    pub fn generate(algorithm: JwtAlgorithm) -> Result<Self, AuthError> {
        let rng = SystemRandom::new();
        let document = match algorithm {
            JwtAlgorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng),
            JwtAlgorithm::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            }
            JwtAlgorithm::Hs256 => {
                return Err(AuthError::internal("HS256 has no key pair to generate"))
            }
        }
        .map_err(|_| AuthError::internal("signing key generation failed"))?;
        Self::from_pkcs8(algorithm, SecretSlice::from(document.as_ref().to_vec()))
    }

    /// A key read back from storage; its public half (and so its kid) is
    /// computed from the private half, never taken on trust.
    pub fn from_pkcs8(algorithm: JwtAlgorithm, pkcs8: SecretSlice<u8>) -> Result<Self, AuthError> {
        let unusable = || AuthError::internal("a stored signing key is not a valid private key");
        let der = pkcs8.expose_secret();
        let public = match algorithm {
            JwtAlgorithm::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|_| unusable())?;
                PublicJwk::ed25519(pair.public_key().as_ref())
            }
            JwtAlgorithm::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &SystemRandom::new(),
                )
                .map_err(|_| unusable())?;
                PublicJwk::p256(pair.public_key().as_ref()).ok_or_else(unusable)?
            }
            JwtAlgorithm::Hs256 => return Err(unusable()),
        };
        Ok(Self {
            algorithm,
            pkcs8,
            public,
        })
    }

    pub fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }

    pub fn kid(&self) -> &str {
        &self.public.kid
    }

    pub fn public_jwk(&self) -> &PublicJwk {
        &self.public
    }

    /// The private key, PKCS#8 DER: only for sealing it.
    pub(super) fn pkcs8(&self) -> &[u8] {
        self.pkcs8.expose_secret()
    }

    /// What jsonwebtoken signs with.
    pub fn encoding_key(&self) -> EncodingKey {
        match self.algorithm {
            JwtAlgorithm::Es256 => EncodingKey::from_ec_der(self.pkcs8()),
            _ => EncodingKey::from_ed_der(self.pkcs8()),
        }
    }

    /// What jsonwebtoken verifies with: the public half only.
    pub fn decoding_key(&self) -> Result<DecodingKey, AuthError> {
        let key = match &self.public.y {
            Some(y) => DecodingKey::from_ec_components(&self.public.x, y),
            None => DecodingKey::from_ed_components(&self.public.x),
        };
        key.map_err(AuthError::internal)
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.public.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_what_their_public_half_verifies() {
        for algorithm in [JwtAlgorithm::EdDsa, JwtAlgorithm::Es256] {
            let pair = KeyPair::generate(algorithm).unwrap();
            let claims = serde_json::json!({ "sub": "someone" });
            let token = jsonwebtoken::encode(
                &jsonwebtoken::Header::new(algorithm.jsonwebtoken()),
                &claims,
                &pair.encoding_key(),
            )
            .unwrap();
            let mut validation = jsonwebtoken::Validation::new(algorithm.jsonwebtoken());
            validation.required_spec_claims.clear();
            validation.validate_exp = false;
            let decoded = jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &pair.decoding_key().unwrap(),
                &validation,
            )
            .unwrap();
            assert_eq!(decoded.claims, claims);
            assert_eq!(pair.public_jwk().alg, algorithm.name());
        }
    }

    #[test]
    fn a_stored_key_reads_back_with_the_same_kid_and_debug_hides_it() {
        let pair = KeyPair::generate(JwtAlgorithm::Es256).unwrap();
        let again = KeyPair::from_pkcs8(
            JwtAlgorithm::Es256,
            SecretSlice::from(pair.pkcs8().to_vec()),
        )
        .unwrap();
        assert_eq!(again.kid(), pair.kid());
        assert_ne!(
            KeyPair::generate(JwtAlgorithm::Es256).unwrap().kid(),
            pair.kid()
        );
        // An Ed25519 key is not a P-256 key, and garbage is no key at all.
        let ed = KeyPair::generate(JwtAlgorithm::EdDsa).unwrap();
        let ed_der = SecretSlice::from(ed.pkcs8().to_vec());
        assert!(KeyPair::from_pkcs8(JwtAlgorithm::Es256, ed_der).is_err());
        assert!(KeyPair::from_pkcs8(JwtAlgorithm::EdDsa, SecretSlice::from(vec![1; 48])).is_err());

        let debug = format!("{pair:?}");
        assert!(debug.contains(pair.kid()), "{debug}");
        assert!(!debug.contains("pkcs8"), "{debug}");
    }
}
