//! Rotating the signing key without a sign-out (`server admin keys rotate`,
//! `JWT_KEY_ROTATION_DAYS`): the next key is published before it signs,
//! signs from a moment every node agrees on, and the key it replaces stays
//! published (and accepted) until the last token it signed has expired.
//! Time moves on the app's clock; the verifier below caches the JWK Set as
//! RFC 7517 clients do.

use std::{collections::HashMap, sync::Arc};

use app::{
    auth::{crypto::secret_box::SecretSealer, signing_keys::KeyPair},
    config::Config,
    entities::signing_keys,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{jwk::JwkSet, DecodingKey, Validation};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use server::cli::{run_admin_with_clock, AdminCommand, KeysCommand};

use crate::{
    helpers::{problem, TestApp},
    token_algorithms::parts,
};

fn eddsa(vars: &mut HashMap<String, String>) {
    vars.insert("JWT_ALGORITHM".into(), "EdDSA".into());
}

fn eddsa_rotating_daily(vars: &mut HashMap<String, String>) {
    eddsa(vars);
    vars.insert("JWT_KEY_ROTATION_DAYS".into(), "1".into());
}

crate::backend_tests!(adjusted by eddsa;
    a_rotation_publishes_first_signs_later_and_retires_the_old_key_after_its_tokens,
);

mod automatic {
    use super::*;

    crate::backend_tests!(adjusted by eddsa_rotating_daily;
        the_housekeeping_rotates_once_when_the_key_is_due,
    );
}

/// `server admin keys ...` run in-process on the app's database and clock,
/// as another process (the operator's shell) would.
pub async fn keys(app: &TestApp, command: KeysCommand) -> Result<String, String> {
    let config = Config::from_lookup(|name| app.vars.get(name).cloned()).unwrap();
    run_admin_with_clock(
        config,
        Arc::new(app.clock.clone()),
        AdminCommand::Keys(command),
    )
    .await
}

fn kid_of(token: &str) -> String {
    parts(token).0["kid"].as_str().unwrap().to_string()
}

async fn published_kids(app: &TestApp) -> Vec<String> {
    let jwks = app.jwks().await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_string())
        .collect()
}

/// The line `keys list` prints for `kid`.
fn line_of<'a>(listing: &'a str, kid: &str) -> &'a str {
    listing
        .lines()
        .find(|line| line.starts_with(kid))
        .unwrap_or_else(|| panic!("{kid} in\n{listing}"))
}

/// A resource server verifying from the JWK Set alone, caching it the way
/// RFC 7517 clients do: fetched once, kept for its `max-age` (on the app's
/// clock), fetched again early only for a kid it does not hold.
struct CachingVerifier {
    cached: Option<(DateTime<Utc>, Duration, JwkSet)>,
    /// Early fetches: a token named a kid the cache did not hold.
    unknown_kid_fetches: usize,
}

impl CachingVerifier {
    fn new() -> Self {
        Self {
            cached: None,
            unknown_kid_fetches: 0,
        }
    }

    async fn fetch(&mut self, app: &TestApp) {
        let response = app.get("/.well-known/jwks.json").await;
        let cache_control = response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_string();
        let max_age = cache_control
            .split(',')
            .find_map(|part| part.trim().strip_prefix("max-age="))
            .and_then(|seconds| seconds.parse().ok())
            .expect("a max-age");
        let set: JwkSet = response.json().await.unwrap();
        self.cached = Some((app.clock_now(), Duration::seconds(max_age), set));
    }

    async fn verify(&mut self, app: &TestApp, token: &str) -> Result<Value, String> {
        let now = app.clock_now();
        if self
            .cached
            .as_ref()
            .is_none_or(|(fetched, max_age, _)| now >= *fetched + *max_age)
        {
            self.fetch(app).await;
        }
        let kid = kid_of(token);
        if self.cached.as_ref().unwrap().2.find(&kid).is_none() {
            self.unknown_kid_fetches += 1;
            self.fetch(app).await;
        }
        let jwk = self
            .cached
            .as_ref()
            .unwrap()
            .2
            .find(&kid)
            .ok_or("unknown kid")?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
        let mut validation = Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.set_issuer(&["gatehouse"]);
        validation.set_audience(&["gatehouse-api"]);
        jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| e.to_string())
    }
}

/// A stored key, opened as an insider could: to sign with a retired one.
async fn stored_key(app: &TestApp, kid: &str) -> KeyPair {
    let row = signing_keys::Entity::find()
        .filter(signing_keys::Column::Kid.eq(kid))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let root: [u8; 32] = STANDARD
        .decode(&app.vars["DATABASE_ENCRYPTION_KEY"])
        .unwrap()
        .try_into()
        .unwrap();
    let pkcs8 = SecretSealer::new(&root)
        .open(&row.private_key, format!("signing-key:{kid}").as_bytes())
        .unwrap();
    KeyPair::from_pkcs8(app.state.auth.signing_keys().algorithm(), pkcs8).unwrap()
}

async fn stored_state(app: &TestApp, kid: &str) -> String {
    signing_keys::Entity::find_by_id(kid.to_string())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .state
}

async fn a_rotation_publishes_first_signs_later_and_retires_the_old_key_after_its_tokens(
    app: TestApp,
) {
    let mut verifier = CachingVerifier::new();
    let before = app.signed_up("rosa").await;
    let old_kid = kid_of(&before.access_token);
    verifier.verify(&app, &before.access_token).await.unwrap();
    let listing = keys(&app, KeysCommand::List).await.unwrap();
    assert!(
        line_of(&listing, &old_kid).contains(" active "),
        "{listing}"
    );

    // The operator rotates from the shell; the running node learns of it
    // when it reads the keys again (every minute in production).
    let rotated = keys(&app, KeysCommand::Rotate).await.unwrap();
    assert!(rotated.contains("600 s from now"), "{rotated}");
    app.state.auth.reload_signing_keys().await.unwrap();
    let published = published_kids(&app).await;
    assert_eq!(published.len(), 2, "both keys are published at once");
    let new_kid = published.into_iter().find(|kid| *kid != old_kid).unwrap();
    assert!(rotated.contains(&new_kid), "{rotated}");
    let again = keys(&app, KeysCommand::Rotate).await.unwrap();
    assert!(again.contains("already pending"), "{again}");
    assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 2);

    // Until the publication delay has passed, the old key still signs.
    let waiting = app
        .signed_in("rosa@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(kid_of(&waiting.access_token), old_kid);
    let listing = keys(&app, KeysCommand::List).await.unwrap();
    assert!(line_of(&listing, &new_kid).contains(" next "), "{listing}");
    app.clock.advance(Duration::seconds(599));
    let waiting = app
        .signed_in("rosa@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(kid_of(&waiting.access_token), old_kid);

    // Then the new one signs, on every node at the same moment (the clock
    // decides, nothing is written first).
    app.clock.advance(Duration::seconds(1));
    let after = app
        .signed_in("rosa@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(kid_of(&after.access_token), new_kid);
    let refreshed: crate::helpers::Tokens = app
        .refresh(&after.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kid_of(&refreshed.access_token), new_kid);

    // Tokens from before and after verify, here and for the caching
    // verifier, which never met a kid it had not already been shown.
    for token in [&before.access_token, &after.access_token] {
        let response = app.get_authed("/api/auth/me", token).await;
        assert_eq!(response.status(), 200);
        verifier.verify(&app, token).await.unwrap();
    }
    assert_eq!(verifier.unknown_kid_fetches, 0);
    let listing = keys(&app, KeysCommand::List).await.unwrap();
    assert!(
        line_of(&listing, &old_kid).contains(" retired "),
        "{listing}"
    );
    assert!(
        line_of(&listing, &new_kid).contains(" active "),
        "{listing}"
    );
    app.state.auth.reload_signing_keys().await.unwrap();
    assert_eq!(stored_state(&app, &old_kid).await, "retired");
    assert_eq!(stored_state(&app, &new_kid).await, "active");

    // The old key stays published until its last token has expired: its
    // retirement + the access-token lifetime (15 minutes) + 5 s leeway.
    app.clock.advance(Duration::seconds(15 * 60 + 4));
    assert_eq!(published_kids(&app).await.len(), 2);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(published_kids(&app).await, vec![new_kid.clone()]);
    let listing = keys(&app, KeysCommand::List).await.unwrap();
    assert!(
        line_of(&listing, &old_kid).contains(" expired "),
        "{listing}"
    );

    // Now even a fresh token signed with the old key is refused, by
    // Gatehouse and by the verifier once its cache has expired.
    let (_, mut claims) = parts(&refreshed.access_token);
    let now = app.clock_now().timestamp();
    claims["iat"] = now.into();
    claims["exp"] = (now + 600).into();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(old_kid.clone());
    let old_key = stored_key(&app, &old_kid).await;
    let late = jsonwebtoken::encode(&header, &claims, &old_key.encoding_key()).unwrap();
    problem(
        app.get_authed("/api/auth/me", &late).await,
        401,
        "invalid_token",
    )
    .await;
    app.clock.advance(Duration::seconds(300));
    assert!(verifier.verify(&app, &late).await.is_err());
    app.clock.advance(Duration::seconds(-300));
    // A node started now does not even read it.
    app.state.auth.reload_signing_keys().await.unwrap();
    assert_eq!(app.state.auth.jwks().keys.len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 2);
}

async fn the_housekeeping_rotates_once_when_the_key_is_due(app: TestApp) {
    let first = kid_of(&app.signed_up("otto").await.access_token);
    app.state.auth.housekeeping().await.unwrap();
    assert_eq!(published_kids(&app).await, vec![first.clone()]);

    // A day later every node's housekeeping finds the key due; one
    // rotation results, published at once and signing 600 s later.
    app.clock.advance(Duration::days(1));
    for _ in 0..3 {
        app.state.auth.housekeeping().await.unwrap();
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 2);
    assert_eq!(published_kids(&app).await.len(), 2);
    let token = app
        .signed_in("otto@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(kid_of(&token.access_token), first);
    app.clock.advance(Duration::seconds(600));
    let token = app
        .signed_in("otto@example.com", crate::helpers::PASSWORD)
        .await;
    assert_ne!(kid_of(&token.access_token), first);
    app.state.auth.housekeeping().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 2);
}

/// With HS256 there is nothing to list or rotate, and the commands say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_has_no_keys_to_rotate() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    let listing = keys(&app, KeysCommand::List).await.unwrap();
    assert!(listing.contains("HS256"), "{listing}");
    let refused = keys(&app, KeysCommand::Rotate).await.unwrap_err();
    assert!(refused.contains("EdDSA or ES256"), "{refused}");
    assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 0);
}
