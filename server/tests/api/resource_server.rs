//! A resource server in another language verifies Gatehouse tokens from the
//! JWKS alone: `end2end/resource_server/verify.py` (PyJWT's PyJWKClient,
//! installed by scripts/lib/setup.sh) accepts a token of an EdDSA or ES256
//! deployment and rejects one whose claims were changed after signing.

use std::{collections::HashMap, process::Command};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::helpers::TestApp;

const VERIFY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../end2end/resource_server/verify.py"
);

/// Runs the Python verifier: its exit status and what it printed.
async fn python_verifies(jwks_url: String, token: String) -> (bool, String) {
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([VERIFY, &jwks_url, &token])
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

mod eddsa {
    use super::*;

    fn eddsa(vars: &mut HashMap<String, String>) {
        vars.insert("JWT_ALGORITHM".into(), "EdDSA".into());
    }

    crate::backend_tests!(adjusted by eddsa; python_accepts_tokens_and_rejects_tampered_ones);

    async fn python_accepts_tokens_and_rejects_tampered_ones(app: TestApp) {
        super::python_accepts_tokens_and_rejects_tampered_ones(app).await
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
