//! Access tokens (HS256 JWTs) and refresh tokens.
//!
//! Access tokens carry the claims of API.md and name their session (`sid`);
//! callers also check that the session is still active, so revocation is
//! immediate. Only HS256 is accepted, with issuer, audience and type checked;
//! expiry is checked against the service clock.
//!
//! Refresh tokens are opaque to clients: `base64url(sid ‖ generation ‖ MAC)`
//! with an HMAC-SHA-256 under a derived key. Nothing about them is stored
//! except the session's current generation: rotation is one conditional
//! UPDATE, and a valid MAC for an older generation proves that a rotated-away
//! token is being replayed.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::{crypto::keys::Keys, error::AuthError};

pub const ISSUER: &str = "gatehouse";
pub const AUDIENCE: &str = "gatehouse-api";
pub const ACCESS_TYPE: &str = "access";

/// Clock skew tolerated on `exp` and `iat` (RFC 8725 §3.8: keep it small).
const LEEWAY_SECONDS: i64 = 5;

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
    keys: &Keys,
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
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.jwt_encoding)
        .map_err(AuthError::internal)
}

pub fn verify_access(
    keys: &Keys,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessClaims, AuthError> {
    // The allow-list is exactly HS256: `none` and every other algorithm fail.
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    // Time is checked below against the service clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;

    let claims = jsonwebtoken::decode::<AccessClaims>(token, &keys.jwt_decoding, &validation)
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
    use crate::config::Config;

    fn keys() -> Keys {
        let vars = std::collections::HashMap::from([
            ("JWT_SECRET_KEY", "k".repeat(20) + "Zq8#kP2vLm4!xR7tQw9"),
            (
                "DATABASE_ENCRYPTION_KEY",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            ),
        ]);
        let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
        Keys::derive(&config).unwrap()
    }

    #[test]
    fn access_token_round_trip_and_expiry() {
        let keys = keys();
        let now = Utc::now();
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let lifetime = Duration::seconds(900);
        let token =
            issue_access(&keys, user, session, vec!["viewer".into()], now, lifetime).unwrap();
        let claims = verify_access(&keys, &token, now).unwrap();
        assert_eq!((claims.sub, claims.sid), (user, session));
        assert_eq!(claims.token_type, "access");
        let later = now + chrono::Duration::seconds(901 + LEEWAY_SECONDS);
        assert!(verify_access(&keys, &token, later).is_err());
    }

    #[test]
    fn alg_none_and_other_types_are_refused() {
        let keys = keys();
        let now = Utc::now();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "sub": Uuid::new_v4(), "sid": Uuid::new_v4(), "jti": Uuid::new_v4(),
            "type": "access", "roles": [], "iat": now.timestamp(),
            "exp": now.timestamp() + 600, "iss": ISSUER, "aud": AUDIENCE,
        });
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        assert!(verify_access(&keys, &format!("{header}.{body}."), now).is_err());

        let mut refresh_typed = claims.clone();
        refresh_typed["type"] = "refresh".into();
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &refresh_typed,
            &keys.jwt_encoding,
        )
        .unwrap();
        assert!(verify_access(&keys, &token, now).is_err());
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
