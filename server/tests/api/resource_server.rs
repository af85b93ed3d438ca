//! A resource server in another language verifies Gatehouse tokens from the
//! JWKS alone: `end2end/resource_server/verify.py` (PyJWT's PyJWKClient,
//! installed by scripts/lib/setup.sh) accepts a token of an EdDSA or ES256
//! deployment and rejects one whose claims were changed after signing, and
//! accepts tokens from before and after a key rotation; asking Gatehouse
//! as a registered resource server, it refuses a signed-out session's
//! token, which the JWKS alone cannot tell.

use std::{collections::HashMap, process::Command};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::helpers::TestApp;

const VERIFY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../end2end/resource_server/verify.py"
);

/// Runs the Python verifier: its exit status and what it printed.
async fn python_verifies(jwks_url: String, token: String) -> (bool, String) {
    python_runs(vec![jwks_url, token]).await
}

/// The verifier with `args` after the script's path.
async fn python_runs(args: Vec<String>) -> (bool, String) {
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(VERIFY)
            .args(&args)
            .output()
            .expect("python3 runs (scripts/lib/setup.sh installs pyjwt[crypto])")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "PyJWT is missing: run scripts/lib/setup.sh or pip install 'pyjwt[crypto]'\n{stderr}"
    );
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "verify.py failed: {code:?}\n{stderr}"
    );
    (
        code == Some(0),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

async fn python_accepts_tokens_and_rejects_tampered_ones(app: TestApp) {
    let tokens = app.signed_up("pyotr").await;
    let jwks_url = app.url("/.well-known/jwks.json");

    let (accepted, printed) = python_verifies(jwks_url.clone(), tokens.access_token.clone()).await;
    assert!(accepted, "{printed}");
    let claims: serde_json::Value = serde_json::from_str(&printed).unwrap();
    let (_, ours) = crate::token_algorithms::parts(&tokens.access_token);
    assert_eq!(claims["sub"], ours["sub"]);

    let mut pieces: Vec<String> = tokens.access_token.split('.').map(String::from).collect();
    let mut raised = ours.clone();
    raised["roles"] = serde_json::json!(["admin"]);
    pieces[1] = URL_SAFE_NO_PAD.encode(raised.to_string());
    let (accepted, printed) = python_verifies(jwks_url, pieces.join(".")).await;
    assert!(!accepted, "a tampered token is rejected: {printed}");
    assert!(printed.contains("rejected"), "{printed}");
}

/// PyJWT checks times against the real clock, so this rotation happens in
/// the recent past: the deployment's key dates from 1000 s ago, the app's
/// clock is set 700 s back, a token is issued, the key rotated, and the
/// clock moved on past the publication delay (600 s) for a second token.
/// Both are still unexpired in real time, signed by different keys.
async fn python_accepts_tokens_from_before_and_after_a_rotation(app: TestApp) {
    use app::entities::signing_keys;
    use chrono::Duration;
    use sea_orm::{sea_query::Expr, EntityTrait};

    let real_now = app.clock_now();
    signing_keys::Entity::update_many()
        .col_expr(
            signing_keys::Column::SignFrom,
            Expr::value(Some(real_now - Duration::seconds(1000))),
        )
        .col_expr(
            signing_keys::Column::CreatedAt,
            Expr::value(real_now - Duration::seconds(1000)),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
    app.clock.advance(Duration::seconds(-700));
    app.state.auth.reload_signing_keys().await.unwrap();
    let before = app.signed_up("pia").await;

    crate::key_rotation::keys(&app, server::cli::KeysCommand::Rotate)
        .await
        .unwrap();
    app.state.auth.reload_signing_keys().await.unwrap();
    app.clock.advance(Duration::seconds(600));
    let after = app
        .signed_in("pia@example.com", crate::helpers::PASSWORD)
        .await;
    let kid = |token: &str| crate::token_algorithms::parts(token).0["kid"].clone();
    assert_ne!(kid(&before.access_token), kid(&after.access_token));

    let jwks_url = app.url("/.well-known/jwks.json");
    for token in [before.access_token, after.access_token] {
        let (accepted, printed) = python_verifies(jwks_url.clone(), token).await;
        assert!(accepted, "{printed}");
    }
}

/// The verifier as a registered resource server: a live token passes both
/// checks; once its session signs out, the signature still verifies but
/// introspection says it is inactive, and the verifier refuses it.
async fn python_refuses_a_signed_out_token_through_introspection(app: TestApp) {
    let admin = app.signed_in_admin("iris").await;
    let response = app
        .post_json(
            "/api/admin/resource-servers",
            &serde_json::json!({ "name": "python" }),
            Some(&admin.access_token),
        )
        .await;
    assert_eq!(response.status(), 201);
    let server: serde_json::Value = response.json().await.unwrap();
    let user = app.signed_up("otto").await;
    let args = |token: &str| {
        vec![
            app.url("/.well-known/jwks.json"),
            token.to_string(),
            app.url("/api/oauth/introspect"),
            server["info"]["client_id"].as_str().unwrap().to_string(),
            server["client_secret"].as_str().unwrap().to_string(),
        ]
    };

    let (accepted, printed) = python_runs(args(&user.access_token)).await;
    assert!(accepted, "{printed}");
    let claims: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(claims["scope"], "content:read profile:read");

    let response = app
        .post_json(
            "/api/auth/logout",
            &serde_json::json!({}),
            Some(&user.access_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    let (accepted, _) =
        python_verifies(app.url("/.well-known/jwks.json"), user.access_token.clone()).await;
    assert!(accepted, "the signature alone still verifies");
    let (accepted, printed) = python_runs(args(&user.access_token)).await;
    assert!(!accepted, "{printed}");
    assert!(printed.contains("inactive"), "{printed}");
}

mod eddsa {
    use super::*;

    fn eddsa(vars: &mut HashMap<String, String>) {
        vars.insert("JWT_ALGORITHM".into(), "EdDSA".into());
    }

    crate::backend_tests!(adjusted by eddsa;
        python_accepts_tokens_and_rejects_tampered_ones,
        python_accepts_tokens_from_before_and_after_a_rotation,
        python_refuses_a_signed_out_token_through_introspection,
    );

    async fn python_refuses_a_signed_out_token_through_introspection(app: TestApp) {
        super::python_refuses_a_signed_out_token_through_introspection(app).await
    }

    async fn python_accepts_tokens_and_rejects_tampered_ones(app: TestApp) {
        super::python_accepts_tokens_and_rejects_tampered_ones(app).await
    }

    async fn python_accepts_tokens_from_before_and_after_a_rotation(app: TestApp) {
        super::python_accepts_tokens_from_before_and_after_a_rotation(app).await
    }
}

mod es256 {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn python_accepts_es256_tokens_and_rejects_tampered_ones() {
        let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |vars| {
            vars.insert("JWT_ALGORITHM".into(), "ES256".into());
        })
        .await
        .unwrap();
        super::python_accepts_tokens_and_rejects_tampered_ones(app).await
    }
}
