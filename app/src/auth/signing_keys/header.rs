//! The JOSE header of a presented token, checked before any key is chosen
//! (RFC 8725 §2.1, §3.1, §3.10): Gatehouse's tokens carry `alg`, `typ` and,
//! with an asymmetric algorithm, `kid` — nothing else. A header that names a
//! key or where to fetch one (`jwk`, `jku`, `x5u`, `x5c`), marks extensions
//! critical (`crit`), or names any algorithm but the configured one is
//! refused outright: the key always comes from Gatehouse's own key table.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{Map, Value};

use super::algorithm::JwtAlgorithm;

const ALLOWED_MEMBERS: [&str; 3] = ["alg", "typ", "kid"];

/// The header's `kid` (if any) when the header is acceptable for a token
/// signed with `algorithm`; `None` when it is not.
pub(super) fn accepted_kid(token: &str, algorithm: JwtAlgorithm) -> Option<Option<String>> {
    let (encoded, _) = token.split_once('.')?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    if header
        .keys()
        .any(|member| !ALLOWED_MEMBERS.contains(&member.as_str()))
    {
        return None;
    }
    if header.get("alg")?.as_str()? != algorithm.name() {
        return None;
    }
    match header.get("typ") {
        None => {}
        Some(typ) if typ.as_str()?.eq_ignore_ascii_case("JWT") => {}
        Some(_) => return None,
    }
    match header.get("kid") {
        None => Some(None),
        Some(kid) => Some(Some(kid.as_str()?.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &str) -> String {
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(header))
    }

    #[test]
    fn only_the_configured_alg_with_plain_members_is_accepted() {
        let eddsa = JwtAlgorithm::EdDsa;
        assert_eq!(
            accepted_kid(&token(r#"{"typ":"JWT","alg":"EdDSA","kid":"k1"}"#), eddsa),
            Some(Some("k1".into()))
        );
        assert_eq!(
            accepted_kid(&token(r#"{"alg":"HS256"}"#), JwtAlgorithm::Hs256),
            Some(None)
        );
        for refused in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256","kid":"k1"}"#,
            r#"{"alg":"eddsa","kid":"k1"}"#,
            r#"{"alg":"EdDSA","kid":"k1","jku":"https://evil.example/jwks.json"}"#,
            r#"{"alg":"EdDSA","kid":"k1","x5u":"https://evil.example/cert.pem"}"#,
            r#"{"alg":"EdDSA","kid":"k1","jwk":{"kty":"OKP"}}"#,
            r#"{"alg":"EdDSA","kid":"k1","x5c":["MII"]}"#,
            r#"{"alg":"EdDSA","kid":"k1","crit":["exp"]}"#,
            r#"{"alg":"EdDSA","kid":7}"#,
            r#"{"alg":"EdDSA","typ":"JWE"}"#,
            r#"{"kid":"k1"}"#,
            "not json",
        ] {
            assert_eq!(accepted_kid(&token(refused), eddsa), None, "{refused}");
        }
        assert_eq!(accepted_kid("no-dots", eddsa), None);
    }
}
