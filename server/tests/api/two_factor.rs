//! Two-factor authentication over HTTP, setting it up: a secret, a QR code
//! that scans and backup codes, on only once a code confirms them. The
//! helpers here enrol a user for the other 2FA tests (`two_factor_*`).

use serde_json::json;

use crate::helpers::{problem, TestApp, Tokens, PASSWORD};

crate::backend_tests!(
    setup_then_a_valid_code_turns_2fa_on,
    a_repeated_setup_replaces_the_pending_secret,
);

/// A user with 2FA on: their tokens, secret and backup codes.
pub(crate) struct Enrolled {
    pub(crate) tokens: Tokens,
    pub(crate) secret: Vec<u8>,
    pub(crate) backup_codes: Vec<String>,
    pub(crate) email: String,
}

/// The TOTP of `secret` at the application's current time plus `steps`,
/// computed independently of the server with `totp-rs`.
pub(crate) fn code(app: &TestApp, secret: &[u8], steps: i64) -> String {
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, secret.to_vec());
    let time = app.clock_now().timestamp() + steps * 30;
    totp.generate(time as u64)
}

async fn setup(app: &TestApp, token: &str) -> serde_json::Value {
    let response = app
        .post_json("/api/auth/setup-2fa", &json!({}), Some(token))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub(crate) async fn enrolled(app: &TestApp, name: &str) -> Enrolled {
    let tokens = app.signed_up(name).await;
    let body = setup(app, &tokens.access_token).await;
    let secret = data_encoding::BASE32_NOPAD
        .decode(body["secret"].as_str().unwrap().as_bytes())
        .unwrap();
    let confirm = json!({ "code": code(app, &secret, 0) });
    let response = app
        .post_json(
            "/api/auth/verify-2fa-setup",
            &confirm,
            Some(&tokens.access_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    // The setup code used this step; later codes come from later steps.
    app.clock.advance(chrono::Duration::seconds(30));
    Enrolled {
        tokens,
        secret,
        backup_codes: serde_json::from_value(body["backup_codes"].clone()).unwrap(),
        email: format!("{name}@example.com"),
    }
}

pub(crate) async fn challenge(app: &TestApp, email: &str) -> String {
    let response = app.login(email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["requires_2fa"], true, "{body}");
    body["challenge_token"].as_str().unwrap().to_string()
}

pub(crate) async fn verify_totp(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    let body = json!({ "challenge_token": challenge, "code": code });
    app.post_json("/api/auth/login/verify-2fa", &body, None)
        .await
}

pub(crate) async fn verify_backup(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    let body = json!({ "challenge_token": challenge, "backup_code": code });
    app.post_json("/api/auth/login/verify-backup-code", &body, None)
        .await
}

async fn setup_then_a_valid_code_turns_2fa_on(app: TestApp) {
    let app = &app;
    let tokens = app.signed_up("tess").await;
    let body = setup(app, &tokens.access_token).await;
    let secret_text = body["secret"].as_str().unwrap();
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_text.as_bytes())
        .unwrap();
    assert!(secret.len() * 8 >= 160, "at least 160 bits");
    assert_eq!(
        body["provisioning_uri"],
        format!(
            "otpauth://totp/GLAD%20Labs:tess@example.com?secret={secret_text}&issuer=GLAD%20Labs&algorithm=SHA1&digits=6&period=30"
        )
    );
    assert!(body["qr_code_url"]
        .as_str()
        .unwrap()
        .starts_with("data:image/svg+xml;base64,"));
    let codes: Vec<String> = serde_json::from_value(body["backup_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    for backup in &codes {
        assert_eq!(backup.len(), 8);
        assert!(
            backup
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
            "{backup}"
        );
    }

    let me = |token: String| async move {
        let me: serde_json::Value = app
            .get_authed("/api/auth/me", &token)
            .await
            .json()
            .await
            .unwrap();
        me["totp_enabled"].as_bool().unwrap()
    };
    assert!(
        !me(tokens.access_token.clone()).await,
        "not on before verification"
    );
    let wrong = json!({ "code": "000000" });
    problem(
        app.post_json(
            "/api/auth/verify-2fa-setup",
            &wrong,
            Some(&tokens.access_token),
        )
        .await,
        400,
        "invalid_setup_code",
    )
    .await;
    let right = json!({ "code": code(app, &secret, 0) });
    let response = app
        .post_json(
            "/api/auth/verify-2fa-setup",
            &right,
            Some(&tokens.access_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["totp_enabled"], true);
    assert!(me(tokens.access_token.clone()).await);

    problem(
        app.post_json(
            "/api/auth/setup-2fa",
            &json!({}),
            Some(&tokens.access_token),
        )
        .await,
        409,
        "two_factor_already_enabled",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor_enabled'")
            .await,
        1
    );
}

async fn a_repeated_setup_replaces_the_pending_secret(app: TestApp) {
    let tokens = app.signed_up("uri").await;
    let decode = |body: &serde_json::Value| {
        data_encoding::BASE32_NOPAD
            .decode(body["secret"].as_str().unwrap().as_bytes())
            .unwrap()
    };
    let first = decode(&setup(&app, &tokens.access_token).await);
    let second = decode(&setup(&app, &tokens.access_token).await);
    assert_ne!(first, second);
    let stale = json!({ "code": code(&app, &first, 0) });
    problem(
        app.post_json(
            "/api/auth/verify-2fa-setup",
            &stale,
            Some(&tokens.access_token),
        )
        .await,
        400,
        "invalid_setup_code",
    )
    .await;
    let fresh = json!({ "code": code(&app, &second, 0) });
    let response = app
        .post_json(
            "/api/auth/verify-2fa-setup",
            &fresh,
            Some(&tokens.access_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM backup_codes").await,
        10,
        "one set only"
    );
}

/// The QR code decodes, with a real decoder, to exactly the provisioning URI.
#[tokio::test]
async fn the_qr_code_scans_to_the_provisioning_uri() {
    use base64::Engine;
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    let tokens = app.signed_up("quentin").await;
    let body = setup(&app, &tokens.access_token).await;
    let svg = base64::engine::general_purpose::STANDARD
        .decode(
            body["qr_code_url"]
                .as_str()
                .unwrap()
                .trim_start_matches("data:image/svg+xml;base64,"),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let svg_path = dir.path().join("qr.svg");
    let png_path = dir.path().join("qr.png");
    std::fs::write(&svg_path, svg).unwrap();
    let converted = std::process::Command::new("rsvg-convert")
        .args(["--width", "480", "--background-color", "white", "-o"])
        .arg(&png_path)
        .arg(&svg_path)
        .status()
        .expect("rsvg-convert (librsvg2-bin) is installed by scripts/check");
    assert!(converted.success());
    let decoded = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&png_path)
        .output()
        .expect("zbarimg (zbar-tools) is installed by scripts/check");
    assert!(decoded.status.success(), "{decoded:?}");
    let text = String::from_utf8(decoded.stdout).unwrap();
    let found: Vec<&str> = text.lines().collect();
    assert_eq!(found, [body["provisioning_uri"].as_str().unwrap()]);
}
