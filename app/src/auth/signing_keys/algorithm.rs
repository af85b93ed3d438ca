//! `JWT_ALGORITHM`: the one algorithm access tokens are signed and verified
//! with. There is no list: a deployment accepts exactly what it signs with
//! (RFC 8725 §3.1).

use jsonwebtoken::Algorithm;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JwtAlgorithm {
    /// HMAC-SHA-256 under `JWT_SECRET_KEY`: only holders of the secret can
    /// verify, and they could mint tokens too. The default.
    #[default]
    Hs256,
    /// Ed25519 (RFC 8037).
    EdDsa,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
    Es256,
}

impl JwtAlgorithm {
    /// The configuration value, case-insensitively: `HS256`, `EdDSA`, `ES256`.
    pub fn from_setting(value: &str) -> Option<Self> {
        match value.to_ascii_uppercase().as_str() {
            "HS256" => Some(Self::Hs256),
            "EDDSA" => Some(Self::EdDsa),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }

    /// The `alg` value of RFC 7518 (what a token header and a JWK say).
    pub fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
        }
    }

    pub(crate) fn jsonwebtoken(self) -> Algorithm {
        match self {
            Self::Hs256 => Algorithm::HS256,
            Self::EdDsa => Algorithm::EdDSA,
            Self::Es256 => Algorithm::ES256,
        }
    }

    /// Whether anyone may verify with a published public key (and Gatehouse
    /// keeps the private key in the `signing_keys` table).
    pub fn is_asymmetric(self) -> bool {
        self != Self::Hs256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_case_insensitively_and_named_as_rfc_7518_does() {
        for (setting, algorithm) in [
            ("HS256", JwtAlgorithm::Hs256),
            ("hs256", JwtAlgorithm::Hs256),
            ("EdDSA", JwtAlgorithm::EdDsa),
            ("eddsa", JwtAlgorithm::EdDsa),
            ("ES256", JwtAlgorithm::Es256),
        ] {
            assert_eq!(JwtAlgorithm::from_setting(setting), Some(algorithm));
        }
        for refused in ["none", "RS256", "HS512", "Ed25519", ""] {
            assert_eq!(JwtAlgorithm::from_setting(refused), None, "{refused}");
        }
        assert_eq!(JwtAlgorithm::EdDsa.name(), "EdDSA");
        assert_eq!(JwtAlgorithm::default(), JwtAlgorithm::Hs256);
    }
}
