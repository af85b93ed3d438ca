//! The `signing_keys` table: the first key of an algorithm is created once
//! however many nodes start together, every later start reads it back, a
//! change of `JWT_ALGORITHM` gets its own key (and refuses the old one's
//! tokens), and a key sealed under a retired encryption key is resealed.

use std::{collections::HashMap, sync::Arc};

use app::{
    auth::{sign_in::password::LoginInput, AuthError, AuthService, RequestMeta},
    config::Config,
    types::LoginOutcome,
};

use crate::helpers::{random_secret, TestApp, PASSWORD};

crate::backend_tests!(
    nodes_starting_together_create_one_key_and_restarts_keep_it,
    a_key_sealed_under_a_previous_encryption_key_is_resealed,
);

/// A node of the same deployment as `app` (same database and secrets),
/// with `changes` applied to its configuration.
async fn node(app: &TestApp, changes: &[(&str, &str)]) -> Result<AuthService, AuthError> {
    let mut vars: HashMap<String, String> = app.vars.clone();
    for (name, value) in changes {
        vars.insert(name.to_string(), value.to_string());
    }
    let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
    AuthService::new(
        app.state.db.clone(),
        Arc::new(config),
        Arc::new(app.clock.clone()),
    )
    .await
}

/// An access token from signing `name` in on `node`.
async fn signed_in_on(node: &AuthService, name: &str) -> String {
    let input = LoginInput {
        email: &format!("{name}@example.com"),
        password: PASSWORD,
        device_name: None,
    };
    let meta = RequestMeta::new([127, 0, 0, 1].into(), None, None);
    match node.login(input, &meta).await.unwrap() {
        LoginOutcome::Tokens(tokens) => tokens.access_token,
        LoginOutcome::TwoFactorRequired(_) => panic!("no 2FA here"),
    }
}

fn kid(node: &AuthService) -> String {
    node.signing_keys()
        .signing_kid(node.now())
        .unwrap()
        .to_string()
}

async fn nodes_starting_together_create_one_key_and_restarts_keep_it(app: TestApp) {
    // The app itself runs HS256: nothing in the table yet.
    assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 0);
    let eddsa = [("JWT_ALGORITHM", "EdDSA")];
    let nodes = futures::future::join_all((0..4).map(|_| node(&app, &eddsa))).await;
    let kids: Vec<String> = nodes.iter().map(|n| kid(n.as_ref().unwrap())).collect();
    assert!(kids.iter().all(|k| *k == kids[0]), "{kids:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 1);

    let restarted = node(&app, &eddsa).await.unwrap();
    assert_eq!(kid(&restarted), kids[0]);
    assert_eq!(restarted.jwks().keys.len(), 1);

    // A token of one node is good on another: they share the key.
    app.signed_up("nico").await;
    let token = signed_in_on(nodes[0].as_ref().unwrap(), "nico").await;
    restarted.authenticate(&token).await.unwrap();

    // ES256 gets a key of its own; only it is published, and EdDSA tokens
    // are refused there.
    let es256 = node(&app, &[("JWT_ALGORITHM", "ES256")]).await.unwrap();
    assert_ne!(kid(&es256), kids[0]);
    let published = &es256.jwks().keys;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].alg, "ES256");
    assert!(matches!(
        es256.authenticate(&token).await,
        Err(AuthError::InvalidToken)
    ));
    // Back to EdDSA: the same EdDSA key as before.
    assert_eq!(kid(&node(&app, &eddsa).await.unwrap()), kids[0]);
    assert_eq!(app.count("SELECT COUNT(*) FROM signing_keys").await, 2);
}

async fn a_key_sealed_under_a_previous_encryption_key_is_resealed(app: TestApp) {
    let eddsa = ("JWT_ALGORITHM", "EdDSA");
    let before = node(&app, &[eddsa]).await.unwrap();
    let sealed = "SELECT COUNT(*) FROM signing_keys WHERE private_key LIKE";
    assert_eq!(app.count(&format!("{sealed} 'v1:%'")).await, 1);

    let old_key = format!("1:{}", app.vars["DATABASE_ENCRYPTION_KEY"]);
    let new_key = random_secret(32);
    let rotated = [
        eddsa,
        ("DATABASE_ENCRYPTION_KEY", new_key.as_str()),
        ("DATABASE_ENCRYPTION_KEY_VERSION", "2"),
        ("DATABASE_ENCRYPTION_PREVIOUS_KEYS", old_key.as_str()),
    ];
    let after = node(&app, &rotated).await.unwrap();
    assert_eq!(kid(&after), kid(&before));
    assert_eq!(app.count(&format!("{sealed} 'v2:%'")).await, 1);

    // Now the old encryption key can go.
    let without_old = [
        eddsa,
        ("DATABASE_ENCRYPTION_KEY", new_key.as_str()),
        ("DATABASE_ENCRYPTION_KEY_VERSION", "2"),
    ];
    assert_eq!(kid(&node(&app, &without_old).await.unwrap()), kid(&before));
    // Without the key it was sealed under, the server refuses to start
    // rather than quietly replace the key every verifier knows.
    let other_key = random_secret(32);
    let Err(error) = node(&app, &[eddsa, ("DATABASE_ENCRYPTION_KEY", &other_key)]).await else {
        panic!("started with a signing key it cannot open");
    };
    let error = error.to_string();
    assert!(error.contains("cannot be opened"), "{error}");
}
