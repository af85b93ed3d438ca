//! Public keys as JSON Web Keys (RFC 7517), the form `/.well-known/jwks.json`
//! publishes and any JWT library reads. Only public members ever appear here:
//! this type has no field a private key or an HMAC secret could go in.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One public signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicJwk {
    /// `OKP` (Ed25519, RFC 8037) or `EC` (P-256).
    #[schema(example = "OKP")]
    pub kty: String,
    /// `Ed25519` or `P-256`.
    #[schema(example = "Ed25519")]
    pub crv: String,
    /// The public key (Ed25519) or its x coordinate (P-256), base64url.
    pub x: String,
    /// The y coordinate (P-256 only), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// The key's id, as in the `kid` header of the tokens it signs: its RFC
    /// 7638 thumbprint.
    pub kid: String,
    /// `EdDSA` or `ES256`.
    #[schema(example = "EdDSA")]
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub key_use: String,
}

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JwkSet {
    /// Every key a valid token may name; empty with `JWT_ALGORITHM=HS256`,
    /// whose secret is never published.
    pub keys: Vec<PublicJwk>,
}

impl PublicJwk {
    /// An Ed25519 public key (32 bytes).
    pub(super) fn ed25519(public_key: &[u8]) -> Self {
        Self::with_thumbprint("OKP", "Ed25519", public_key, None, "EdDSA")
    }

    /// A P-256 public key as an uncompressed point (`0x04 ‖ x ‖ y`).
    pub(super) fn p256(point: &[u8]) -> Option<Self> {
        let coordinates = point.strip_prefix(&[0x04])?;
        if coordinates.len() != 64 {
            return None;
        }
        let (x, y) = coordinates.split_at(32);
        Some(Self::with_thumbprint("EC", "P-256", x, Some(y), "ES256"))
    }

    fn with_thumbprint(kty: &str, crv: &str, x: &[u8], y: Option<&[u8]>, alg: &str) -> Self {
        let x = URL_SAFE_NO_PAD.encode(x);
        let y = y.map(|y| URL_SAFE_NO_PAD.encode(y));
        // RFC 7638 §3.2: the required members, in lexicographic order, no
        // whitespace. Every value here is a fixed name or base64url, so none
        // needs escaping.
        let canonical = match &y {
            None => format!(r#"{{"crv":"{crv}","kty":"{kty}","x":"{x}"}}"#),
            Some(y) => format!(r#"{{"crv":"{crv}","kty":"{kty}","x":"{x}","y":"{y}"}}"#),
        };
        Self {
            kid: URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())),
            kty: kty.into(),
            crv: crv.into(),
            x,
            y,
            alg: alg.into(),
            key_use: "sig".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8037 appendix A.3: the thumbprint of its Ed25519 example key.
    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        let jwk = PublicJwk::ed25519(&x);
        assert_eq!(jwk.kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        let json = serde_json::to_value(&jwk).unwrap();
        assert_eq!(json["use"], "sig");
        assert_eq!(json["kty"], "OKP");
        assert!(json.get("y").is_none(), "{json}");
    }

    #[test]
    fn a_p256_point_must_be_uncompressed_and_whole() {
        let mut point = vec![0x04];
        point.extend([1u8; 64]);
        let jwk = PublicJwk::p256(&point).unwrap();
        assert_eq!((jwk.kty.as_str(), jwk.crv.as_str()), ("EC", "P-256"));
        assert!(jwk.y.is_some());
        assert!(PublicJwk::p256(&point[..64]).is_none());
        point[0] = 0x02;
        assert!(PublicJwk::p256(&point).is_none());
    }
}
