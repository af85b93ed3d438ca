//! Access tokens (JWTs) and refresh tokens.
//!
//! Access tokens carry the claims of API.md and name their session (`sid`);
//! callers also check that the session is still active, so revocation is
//! immediate. They are signed with `JWT_ALGORITHM` (`signing_keys`), and
//! only that algorithm and its known keys are accepted, with issuer,
//! audience and type checked; expiry is checked against the service clock.
//!
//! Refresh tokens are opaque to clients: `base64url(sid ‖ generation ‖ MAC)`
//! with an HMAC-SHA-256 under a derived key. Nothing about them is stored
//! except the session's current generation: rotation is one conditional
//! UPDATE, and a valid MAC for an older generation proves that a rotated-away
//! token is being replayed.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::Validation;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::{
    crypto::keys::Keys,
    error::AuthError,
    signing_keys::{SigningKeys, LEEWAY_SECONDS},
};

pub const ISSUER: &str = "gatehouse";
pub const AUDIENCE: &str = "gatehouse-api";
pub const ACCESS_TYPE: &str = "access";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub jti: Uuid,
    #[serde(rename = "type")]
    pub token_type: String,
    pub roles: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

pub fn issue_access(
    signing: &SigningKeys,
    user_id: Uuid,
    session_id: Uuid,
    roles: Vec<String>,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<String, AuthError> {
    let claims = AccessClaims {
        sub: user_id,
        sid: session_id,
        jti: Uuid::new_v4(),
        token_type: ACCESS_TYPE.into(),
        roles,
        iat: now.timestamp(),
        exp: (now + lifetime).timestamp(),
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
    };
    signing.sign(&claims, now)
}

pub fn verify_access(
    signing: &SigningKeys,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessClaims, AuthError> {
    // The header names the configured algorithm and a known key, or the
    // token is refused before any signature is checked; the allow-list below
    // is that one algorithm again: `none` and every other one fail.
    let key = signing
        .verifier_for(token, now)
        .ok_or(AuthError::InvalidToken)?;
    let mut validation = Validation::new(signing.algorithm().jsonwebtoken());
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    // Time is checked below against the service clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;

    let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
        .map_err(|_| AuthError::InvalidToken)?
        .claims;
    let now = now.timestamp();
    let fresh = claims.exp + LEEWAY_SECONDS > now && claims.iat - LEEWAY_SECONDS <= now;
    if claims.token_type != ACCESS_TYPE || !fresh {
        return Err(AuthError::InvalidToken);
    }
    Ok(claims)
}

const SID_LEN: usize = 16;
const GEN_LEN: usize = 8;
const MAC_LEN: usize = 32;

pub fn issue_refresh(keys: &Keys, session_id: Uuid, generation: i64) -> String {
    let mut bytes = Vec::with_capacity(SID_LEN + GEN_LEN + MAC_LEN);
    bytes.extend_from_slice(session_id.as_bytes());
    bytes.extend_from_slice(&generation.to_be_bytes());
    let tag = refresh_mac(keys, &bytes).finalize().into_bytes();
    bytes.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The session and generation a refresh token names, if its MAC is valid
/// (compared in constant time).
pub fn verify_refresh(keys: &Keys, token: &str) -> Option<(Uuid, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    if bytes.len() != SID_LEN + GEN_LEN + MAC_LEN {
        return None;
    }
    let (payload, tag) = bytes.split_at(SID_LEN + GEN_LEN);
    refresh_mac(keys, payload).verify_slice(tag).ok()?;
    let session_id = Uuid::from_slice(&payload[..SID_LEN]).ok()?;
    let generation = i64::from_be_bytes(payload[SID_LEN..].try_into().ok()?);
    Some((session_id, generation))
}

fn refresh_mac(keys: &Keys, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(keys.refresh_mac.expose_secret())
        .expect("HMAC accepts any key length");
    mac.update(b"refresh\0");
    mac.update(payload);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        auth::signing_keys::{JwtAlgorithm, KeyPair, Schedule},
        config::Config,
    };

    fn config() -> Config {
        let vars = std::collections::HashMap::from([
            ("JWT_SECRET_KEY", "k".repeat(20) + "Zq8#kP2vLm4!xR7tQw9"),
            (
                "DATABASE_ENCRYPTION_KEY",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            ),
        ]);
        Config::from_lookup(|name| vars.get(name).cloned()).unwrap()
    }

    fn keys() -> Keys {
        Keys::derive(&config()).unwrap()
    }

    fn hs256() -> SigningKeys {
        SigningKeys::shared_secret(&config())
    }

    fn claims(now: DateTime<Utc>) -> serde_json::Value {
        serde_json::json!({
            "sub": Uuid::new_v4(), "sid": Uuid::new_v4(), "jti": Uuid::new_v4(),
            "type": "access", "roles": [], "iat": now.timestamp(),
            "exp": now.timestamp() + 600, "iss": ISSUER, "aud": AUDIENCE,
        })
    }

    #[test]
    fn access_token_round_trip_and_expiry() {
        for signing in [
            hs256(),
            asymmetric(&KeyPair::generate(JwtAlgorithm::EdDsa).unwrap()),
            asymmetric(&KeyPair::generate(JwtAlgorithm::Es256).unwrap()),
        ] {
            let now = Utc::now();
            let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
            let lifetime = Duration::seconds(900);
            let token = issue_access(
                &signing,
                user,
                session,
                vec!["viewer".into()],
                now,
                lifetime,
            )
            .unwrap();
            let claims = verify_access(&signing, &token, now).unwrap();
            assert_eq!((claims.sub, claims.sid), (user, session));
            assert_eq!(claims.token_type, "access");
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), signing.signing_kid(now));
            let later = now + chrono::Duration::seconds(901 + LEEWAY_SECONDS);
            assert!(verify_access(&signing, &token, later).is_err());
        }
    }

    #[test]
    fn alg_none_and_other_types_are_refused() {
        let signing = hs256();
        let now = Utc::now();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims(now).to_string());
        assert!(verify_access(&signing, &format!("{header}.{body}."), now).is_err());

        let mut refresh_typed = claims(now);
        refresh_typed["type"] = "refresh".into();
        let token = signing.sign(&refresh_typed, now).unwrap();
        assert!(verify_access(&signing, &token, now).is_err());
    }

    fn asymmetric(pair: &KeyPair) -> SigningKeys {
        let always = Schedule {
            sign_from: DateTime::<Utc>::MIN_UTC,
            retired_at: None,
        };
        SigningKeys::scheduled(pair.algorithm(), [(pair, always)], Duration::minutes(15)).unwrap()
    }

    #[test]
    fn only_the_configured_algorithm_and_known_keys_verify() {
        let now = Utc::now();
        let ours = KeyPair::generate(JwtAlgorithm::EdDsa).unwrap();
        let signing = asymmetric(&ours);
        assert!(verify_access(&signing, &signing.sign(&claims(now), now).unwrap(), now).is_ok());

        // Another key under our kid, our key under another kid, no kid.
        let theirs = KeyPair::generate(JwtAlgorithm::EdDsa).unwrap();
        for (kid, key) in [
            (Some(ours.kid().to_string()), theirs.encoding_key()),
            (Some("unknown".to_string()), ours.encoding_key()),
            (None, ours.encoding_key()),
        ] {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            header.kid = kid;
            let token = jsonwebtoken::encode(&header, &claims(now), &key).unwrap();
            assert!(verify_access(&signing, &token, now).is_err());
        }
        // The public key as an HMAC secret (alg confusion), and an HS256
        // deployment shown an EdDSA token.
        let public_x = URL_SAFE_NO_PAD.decode(&ours.public_jwk().x).unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(ours.kid().to_string());
        let confused = jsonwebtoken::encode(
            &header,
            &claims(now),
            &jsonwebtoken::EncodingKey::from_secret(&public_x),
        )
        .unwrap();
        assert!(verify_access(&signing, &confused, now).is_err());
        let eddsa_token = signing.sign(&claims(now), now).unwrap();
        assert!(verify_access(&hs256(), &eddsa_token, now).is_err());
    }

    #[test]
    fn refresh_tokens_carry_session_and_generation_under_a_mac() {
        let keys = keys();
        let session = Uuid::new_v4();
        let token = issue_refresh(&keys, session, 7);
        assert_eq!(verify_refresh(&keys, &token), Some((session, 7)));

        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[SID_LEN + GEN_LEN - 1] ^= 1; // claim another generation
        assert_eq!(verify_refresh(&keys, &URL_SAFE_NO_PAD.encode(bytes)), None);
        assert_eq!(verify_refresh(&keys, "not a token"), None);
    }
}
