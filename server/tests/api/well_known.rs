//! `/.well-known/jwks.json` and `/.well-known/openid-configuration`: a
//! verifier that knows nothing but the published key set accepts Gatehouse
//! tokens and rejects tampered ones; HS256 publishes no key; both documents
//! are cacheable for five minutes.

use std::collections::HashMap;

use jsonwebtoken::{
    decode, decode_header, errors::ErrorKind, jwk::JwkSet, DecodingKey, Validation,
};
use serde_json::Value;

use crate::helpers::TestApp;

const JWKS: &str = "/.well-known/jwks.json";

async fn cacheable_json(app: &TestApp, path: &str) -> reqwest::Response {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert_eq!(response.headers()["content-type"], "application/json");
    response
}

/// What a resource server with only the key set does: find the token's key
/// by `kid`, insist on that key's algorithm, check issuer, audience and
/// type. The README's Rust snippet, word for word.
fn verify(jwks: &JwkSet, token: &str) -> jsonwebtoken::errors::Result<serde_json::Value> {
    let kid = decode_header(token)?.kid.ok_or(ErrorKind::InvalidToken)?;
    let jwk = jwks.find(&kid).ok_or(ErrorKind::InvalidToken)?;
    let alg = jwk
        .common
        .key_algorithm
        .ok_or(ErrorKind::InvalidAlgorithm)?;
    let mut validation = Validation::new(alg.to_string().parse()?); // EdDSA or ES256
    validation.set_issuer(&["gatehouse"]);
    validation.set_audience(&["gatehouse-api"]);
    let claims =
        decode::<serde_json::Value>(token, &DecodingKey::from_jwk(jwk)?, &validation)?.claims;
    if claims["type"] != "access" {
        return Err(ErrorKind::InvalidToken.into());
    }
    Ok(claims)
}

fn tampered(token: &str) -> String {
    let mut pieces: Vec<&str> = token.split('.').collect();
    let (_, claims) = crate::token_algorithms::parts(token);
    let mut raised = claims.clone();
    raised["roles"] = serde_json::json!(["admin"]);
    let body = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        raised.to_string(),
    );
    pieces[1] = &body;
    pieces.join(".")
}

async fn a_verifier_with_only_the_key_set_accepts_tokens_and_rejects_tampered_ones(app: TestApp) {
    let tokens = app.signed_up("vera").await;
    let jwks: JwkSet = cacheable_json(&app, JWKS).await.json().await.unwrap();
    let raw: Value = app.get(JWKS).await.json().await.unwrap();
    let key = &raw["keys"][0];
    for member in ["kty", "crv", "x", "kid", "alg"] {
        assert!(key[member].is_string(), "{member} in {key}");
    }
    assert_eq!(key["use"], "sig");
    for private in ["d", "k", "p", "q"] {
        assert!(key.get(private).is_none(), "no private member {private}");
    }

    let claims = verify(&jwks, &tokens.access_token).expect("accepted");
    assert_eq!(claims["type"], "access");
    assert!(verify(&jwks, &tampered(&tokens.access_token)).is_err());
    let mut bad_signature = tokens.access_token.clone();
    let last = bad_signature.pop().unwrap();
    bad_signature.push(if last == 'A' { 'B' } else { 'A' });
    assert!(verify(&jwks, &bad_signature).is_err());
}

mod eddsa {
    use super::*;

    fn eddsa(vars: &mut HashMap<String, String>) {
        vars.insert("JWT_ALGORITHM".into(), "EdDSA".into());
        vars.insert("PUBLIC_URL".into(), "https://auth.example.com/".into());
    }

    crate::backend_tests!(adjusted by eddsa;
        a_verifier_with_only_the_key_set_accepts_tokens_and_rejects_tampered_ones,
        the_metadata_names_the_issuer_and_the_key_set,
    );

    async fn a_verifier_with_only_the_key_set_accepts_tokens_and_rejects_tampered_ones(
        app: TestApp,
    ) {
        super::a_verifier_with_only_the_key_set_accepts_tokens_and_rejects_tampered_ones(app).await
    }

    async fn the_metadata_names_the_issuer_and_the_key_set(app: TestApp) {
        let response = cacheable_json(&app, "/.well-known/openid-configuration").await;
        let metadata: Value = response.json().await.unwrap();
        let scopes = metadata["scopes_supported"].as_array().expect("scopes");
        assert!(scopes.contains(&"profile:read".into()), "{scopes:?}");
        assert!(scopes.contains(&"users:read".into()), "{scopes:?}");
        assert!(!scopes.contains(&"*".into()), "the wildcard is no scope");
        let mut rest = metadata.clone();
        rest.as_object_mut().unwrap().remove("scopes_supported");
        assert_eq!(
            rest,
            serde_json::json!({
                "issuer": "https://auth.example.com",
                "jwks_uri": "https://auth.example.com/.well-known/jwks.json",
                "introspection_endpoint": "https://auth.example.com/api/oauth/introspect",
                "introspection_endpoint_auth_methods_supported":
                    ["client_secret_basic", "client_secret_post"],
                "access_token_signing_alg_values_supported": ["EdDSA"],
            }),
            "only what is true today: no authorization endpoint yet"
        );
    }
}

mod es256 {
    use super::*;

    fn es256(vars: &mut HashMap<String, String>) {
        vars.insert("JWT_ALGORITHM".into(), "ES256".into());
    }

    crate::backend_tests!(adjusted by es256;
        a_verifier_with_only_the_key_set_accepts_tokens_and_rejects_tampered_ones,
    );

    async fn a_verifier_with_only_the_key_set_accepts_tokens_and_rejects_tampered_ones(
        app: TestApp,
    ) {
        super::a_verifier_with_only_the_key_set_accepts_tokens_and_rejects_tampered_ones(app).await
    }
}

mod hs256 {
    use super::*;

    crate::backend_tests!(hs256_publishes_an_empty_key_set);

    async fn hs256_publishes_an_empty_key_set(app: TestApp) {
        let body = cacheable_json(&app, JWKS).await.text().await.unwrap();
        assert_eq!(body, r#"{"keys":[]}"#);
        let metadata: Value = cacheable_json(&app, "/.well-known/openid-configuration")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            metadata["jwks_uri"],
            "http://localhost:3000/.well-known/jwks.json"
        );
        assert_eq!(
            metadata["access_token_signing_alg_values_supported"],
            serde_json::json!(["HS256"])
        );
    }
}
