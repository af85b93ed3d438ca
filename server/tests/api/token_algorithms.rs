//! `JWT_ALGORITHM`: tokens signed with EdDSA or ES256 work end to end, HS256
//! stays the default, and verification accepts only the configured algorithm
//! and Gatehouse's own keys. The RFC 8725 attacks, each over HTTP on both
//! databases and each answered 401 `invalid_token`.

use std::collections::HashMap;

use app::auth::{crypto::secret_box::SecretSealer, signing_keys::KeyPair};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::{problem, TestApp};

/// The header and claims of a token, as any holder can read them.
pub fn parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut next = || {
        let bytes = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    (next(), next())
}

/// Gatehouse's signing key, read from its table and opened with the
/// database encryption key the app was started with: what an insider would
/// need to sign tokens as Gatehouse does.
pub async fn our_key_pair(app: &TestApp) -> KeyPair {
    let rows = app::entities::signing_keys::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one key");
    let row = &rows[0];
    let root: [u8; 32] = STANDARD
        .decode(&app.vars["DATABASE_ENCRYPTION_KEY"])
        .unwrap()
        .try_into()
        .unwrap();
    let pkcs8 = SecretSealer::new(&root)
        .open(
            &row.private_key,
            format!("signing-key:{}", row.kid).as_bytes(),
        )
        .expect("the private key is sealed, bound to its kid");
    let algorithm = app.state.auth.signing_keys().algorithm();
    KeyPair::from_pkcs8(algorithm, pkcs8).unwrap()
}

fn sign(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap()
}

async fn refused(app: &TestApp, token: &str, what: &str) {
    eprintln!("refusing: {what}");
    problem(
        app.get_authed("/api/auth/me", token).await,
        401,
        "invalid_token",
    )
    .await;
}

async fn accepted(app: &TestApp, token: &str) {
    let response = app.get_authed("/api/auth/me", token).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

mod eddsa {
    use super::*;

    fn eddsa(vars: &mut HashMap<String, String>) {
        vars.insert("JWT_ALGORITHM".into(), "EdDSA".into());
    }

    crate::backend_tests!(adjusted by eddsa;
        tokens_are_signed_with_the_published_key,
        headers_that_bring_their_own_key_are_refused_even_when_signed_by_ours,
        the_public_key_as_an_hmac_secret_is_refused,
        alg_none_unknown_kids_and_other_keys_are_refused,
    );

    async fn tokens_are_signed_with_the_published_key(app: TestApp) {
        let tokens = app.signed_up("edna").await;
        accepted(&app, &tokens.access_token).await;
        let (header, claims) = parts(&tokens.access_token);
        assert_eq!(header["alg"], "EdDSA");
        let jwks = app.jwks().await;
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1, "{jwks}");
        assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
        assert_eq!(claims["type"], "access");

        // A refreshed token is signed the same way.
        let refreshed: crate::helpers::Tokens = app
            .refresh(&tokens.refresh_token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(parts(&refreshed.access_token).0["kid"], header["kid"]);
        accepted(&app, &refreshed.access_token).await;

        // The private key is stored sealed, never as plain PKCS#8.
        let ours = our_key_pair(&app).await;
        assert_eq!(ours.kid(), header["kid"]);
    }

    async fn headers_that_bring_their_own_key_are_refused_even_when_signed_by_ours(app: TestApp) {
        let tokens = app.signed_up("jasper").await;
        let (_, claims) = parts(&tokens.access_token);
        let ours = our_key_pair(&app).await;
        let plain = || {
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = Some(ours.kid().to_string());
            header
        };
        // The control: our key, our kid, nothing else — accepted.
        accepted(&app, &sign(&plain(), &claims, &ours.encoding_key())).await;

        let mut jku = plain();
        jku.jku = Some("http://127.0.0.1:9/jwks.json".into());
        let mut x5u = plain();
        x5u.x5u = Some("http://127.0.0.1:9/cert.pem".into());
        let mut jwk = plain();
        jwk.jwk =
            Some(serde_json::from_value(serde_json::to_value(ours.public_jwk()).unwrap()).unwrap());
        for (what, header) in [("jku", jku), ("x5u", x5u), ("jwk", jwk)] {
            refused(&app, &sign(&header, &claims, &ours.encoding_key()), what).await;
        }
    }

    async fn the_public_key_as_an_hmac_secret_is_refused(app: TestApp) {
        let tokens = app.signed_up("hugo").await;
        let (_, claims) = parts(&tokens.access_token);
        let ours = our_key_pair(&app).await;
        let jwk = ours.public_jwk();
        let jwks_text = app
            .get("/.well-known/jwks.json")
            .await
            .text()
            .await
            .unwrap();
        // Every form a public key is known in: raw bytes, the JWK's `x`,
        // the JWK and the published key set as text.
        let secrets: [Vec<u8>; 4] = [
            URL_SAFE_NO_PAD.decode(&jwk.x).unwrap(),
            jwk.x.clone().into_bytes(),
            serde_json::to_vec(jwk).unwrap(),
            jwks_text.into_bytes(),
        ];
        for secret in secrets {
            for kid in [Some(ours.kid().to_string()), None] {
                let mut header = Header::new(Algorithm::HS256);
                header.kid = kid;
                let token = sign(&header, &claims, &EncodingKey::from_secret(&secret));
                refused(&app, &token, "HS256 under the public key").await;
            }
        }
    }

    async fn alg_none_unknown_kids_and_other_keys_are_refused(app: TestApp) {
        let tokens = app.signed_up("nadia").await;
        let (_, claims) = parts(&tokens.access_token);
        let ours = our_key_pair(&app).await;

        for header in [
            format!(r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#, ours.kid()),
            r#"{"alg":"none"}"#.to_string(),
        ] {
            let unsigned = format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            refused(&app, &unsigned, "alg none").await;
        }

        let with_kid = |kid: Option<&str>| {
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = kid.map(str::to_string);
            header
        };
        let stranger = KeyPair::generate(app::auth::signing_keys::JwtAlgorithm::EdDsa).unwrap();
        for (what, header, key) in [
            (
                "unknown kid",
                with_kid(Some("not-a-key-of-ours")),
                ours.encoding_key(),
            ),
            ("no kid", with_kid(None), ours.encoding_key()),
            (
                "another key under our kid",
                with_kid(Some(ours.kid())),
                stranger.encoding_key(),
            ),
            (
                "another key under its own kid",
                with_kid(Some(stranger.kid())),
                stranger.encoding_key(),
            ),
        ] {
            refused(&app, &sign(&header, &claims, &key), what).await;
        }

        // A claim changed after signing (roles raised): the signature fails.
        let mut raised = claims.clone();
        raised["roles"] = serde_json::json!(["admin"]);
        let mut pieces: Vec<String> = tokens.access_token.split('.').map(String::from).collect();
        pieces[1] = URL_SAFE_NO_PAD.encode(raised.to_string());
        refused(&app, &pieces.join("."), "tampered claims").await;
    }
}

mod es256 {
    use super::*;

    fn es256(vars: &mut HashMap<String, String>) {
        vars.insert("JWT_ALGORITHM".into(), "ES256".into());
    }

    crate::backend_tests!(adjusted by es256; es256_tokens_work_and_only_es256_is_accepted);

    async fn es256_tokens_work_and_only_es256_is_accepted(app: TestApp) {
        let tokens = app.signed_up("esme").await;
        accepted(&app, &tokens.access_token).await;
        let (header, claims) = parts(&tokens.access_token);
        assert_eq!(header["alg"], "ES256");
        let jwks = app.jwks().await;
        let key = &jwks["keys"][0];
        assert_eq!(
            (key["kty"].as_str(), key["crv"].as_str()),
            (Some("EC"), Some("P-256"))
        );
        assert!(key["y"].is_string(), "{key}");
        assert_eq!(header["kid"], key["kid"]);

        // An EdDSA token under the ES256 key's kid is not accepted.
        let ed = KeyPair::generate(app::auth::signing_keys::JwtAlgorithm::EdDsa).unwrap();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = key["kid"].as_str().map(str::to_string);
        refused(
            &app,
            &sign(&header, &claims, &ed.encoding_key()),
            "EdDSA under ES256",
        )
        .await;
    }
}

mod hs256 {
    use super::*;

    crate::backend_tests!(hs256_is_the_default_and_refuses_asymmetric_tokens);

    async fn hs256_is_the_default_and_refuses_asymmetric_tokens(app: TestApp) {
        assert!(!app.vars.contains_key("JWT_ALGORITHM"));
        let tokens = app.signed_up("hal").await;
        accepted(&app, &tokens.access_token).await;
        let (header, claims) = parts(&tokens.access_token);
        assert_eq!(header, serde_json::json!({ "typ": "JWT", "alg": "HS256" }));
        assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 0);

        for algorithm in [
            app::auth::signing_keys::JwtAlgorithm::EdDsa,
            app::auth::signing_keys::JwtAlgorithm::Es256,
        ] {
            let pair = KeyPair::generate(algorithm).unwrap();
            let mut header = Header::new(if algorithm.name() == "EdDSA" {
                Algorithm::EdDSA
            } else {
                Algorithm::ES256
            });
            header.kid = Some(pair.kid().to_string());
            let token = sign(&header, &claims, &pair.encoding_key());
            refused(&app, &token, algorithm.name()).await;
        }
    }
}
