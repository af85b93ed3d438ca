//! Two-factor authentication over HTTP: setup, the sign-in challenge, backup
//! codes, lockout, disabling, secrets at rest and a QR code that scans.

use serde_json::json;

use crate::helpers::{problem, TestApp, Tokens, PASSWORD};

crate::backend_tests!(
    setup_then_a_valid_code_turns_2fa_on,
    a_repeated_setup_replaces_the_pending_secret,
    the_secret_is_stored_only_encrypted,
    sign_in_with_2fa_goes_through_a_challenge,
    a_code_works_once_and_only_near_now,
    the_challenge_expires_after_ten_minutes,
    five_wrong_codes_lock_2fa_for_fifteen_minutes,
    a_backup_code_signs_in_once,
    concurrent_uses_of_one_backup_code_succeed_once,
    regenerating_needs_a_code_and_voids_old_codes,
    disabling_needs_the_password_and_a_code,
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

async fn challenge(app: &TestApp, email: &str) -> String {
    let response = app.login(email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["requires_2fa"], true, "{body}");
    body["challenge_token"].as_str().unwrap().to_string()
}

async fn verify_totp(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    let body = json!({ "challenge_token": challenge, "code": code });
    app.post_json("/api/auth/login/verify-2fa", &body, None)
        .await
}

async fn verify_backup(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
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

async fn the_secret_is_stored_only_encrypted(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let user = enrolled(&app, "vic").await;
    let db = &app.state.db;
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT totp_secret, totp_pending_secret FROM users",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get("", "totp_secret").unwrap();
    let pending: Option<String> = row.try_get("", "totp_pending_secret").unwrap();
    assert!(pending.is_none());
    assert!(stored.starts_with("v1:"), "{stored}");
    let base32 = data_encoding::BASE32_NOPAD.encode(&user.secret);
    let hex = user
        .secret
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert!(!stored.contains(&base32) && !stored.to_lowercase().contains(&hex));
    // Backup codes are stored only as keyed hashes.
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT code_hash FROM backup_codes",
        ))
        .await
        .unwrap();
    let hashes: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "code_hash").unwrap())
        .collect();
    assert_eq!(hashes.len(), 10);
    for backup in &user.backup_codes {
        assert!(hashes.iter().all(|h| !h.contains(backup.as_str())));
    }
}

async fn sign_in_with_2fa_goes_through_a_challenge(app: TestApp) {
    let user = enrolled(&app, "wes").await;
    let response = app.login(&user.email, PASSWORD).await;
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["requires_2fa"], true);
    assert_eq!(body["expires_in"], 600);
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    let challenge = body["challenge_token"].as_str().unwrap().to_string();

    // The challenge token is good for nothing else.
    problem(
        app.get_authed("/api/auth/me", &challenge).await,
        401,
        "invalid_token",
    )
    .await;
    problem(app.refresh(&challenge).await, 401, "invalid_token").await;

    let response = verify_totp(&app, &challenge, &code(&app, &user.secret, 0)).await;
    assert_eq!(response.status(), 200);
    let tokens: Tokens = response.json().await.unwrap();
    assert_eq!(
        app.get_authed("/api/auth/me", &tokens.access_token)
            .await
            .status(),
        200
    );
    // The session shows up like any other.
    let sessions: Vec<serde_json::Value> = app
        .get_authed("/api/auth/sessions", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2);
    // A challenge completes one sign-in only.
    app.clock.advance(chrono::Duration::seconds(30));
    problem(
        verify_totp(&app, &challenge, &code(&app, &user.secret, 0)).await,
        401,
        "invalid_token",
    )
    .await;
    drop(user.tokens);
}

async fn a_code_works_once_and_only_near_now(app: TestApp) {
    let user = enrolled(&app, "xia").await;
    let now_code = code(&app, &user.secret, 0);
    let first = challenge(&app, &user.email).await;
    assert_eq!(verify_totp(&app, &first, &now_code).await.status(), 200);

    let second = challenge(&app, &user.email).await;
    problem(
        verify_totp(&app, &second, &now_code).await,
        401,
        "invalid_code",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor_code_replayed'")
            .await,
        1,
        "the replay is logged"
    );
    // Three steps away is refused; one step ahead is accepted.
    problem(
        verify_totp(&app, &second, &code(&app, &user.secret, 3)).await,
        401,
        "invalid_code",
    )
    .await;
    assert_eq!(
        verify_totp(&app, &second, &code(&app, &user.secret, 1))
            .await
            .status(),
        200
    );
}

async fn the_challenge_expires_after_ten_minutes(app: TestApp) {
    let user = enrolled(&app, "yan").await;
    let challenge = challenge(&app, &user.email).await;
    app.clock
        .advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
    problem(
        verify_totp(&app, &challenge, &code(&app, &user.secret, 0)).await,
        401,
        "invalid_token",
    )
    .await;
}

async fn five_wrong_codes_lock_2fa_for_fifteen_minutes(app: TestApp) {
    let user = enrolled(&app, "zed").await;
    let challenge = challenge(&app, &user.email).await;
    for _ in 0..4 {
        problem(
            verify_totp(&app, &challenge, "000000").await,
            401,
            "invalid_code",
        )
        .await;
    }
    let fifth = verify_totp(&app, &challenge, "000000").await;
    let retry_after: u64 = fifth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((14 * 60..=15 * 60).contains(&retry_after), "{retry_after}");
    problem(fifth, 429, "too_many_attempts").await;
    // Locked even for the right code, or a backup code.
    problem(
        verify_totp(&app, &challenge, &code(&app, &user.secret, 0)).await,
        429,
        "too_many_attempts",
    )
    .await;
    problem(
        verify_backup(&app, &challenge, &user.backup_codes[0]).await,
        429,
        "too_many_attempts",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor_locked'")
            .await,
        1
    );

    app.clock.advance(chrono::Duration::minutes(16));
    let fresh = challenge_again(&app, &user.email).await;
    assert_eq!(
        verify_totp(&app, &fresh, &code(&app, &user.secret, 0))
            .await
            .status(),
        200
    );
}

async fn challenge_again(app: &TestApp, email: &str) -> String {
    challenge(app, email).await
}

async fn a_backup_code_signs_in_once(app: TestApp) {
    let user = enrolled(&app, "ada2").await;
    let backup = &user.backup_codes[3];
    // Any case, with a dash and spaces.
    let typed = format!(" {}-{} ", backup[..4].to_lowercase(), &backup[4..]);
    let first = challenge(&app, &user.email).await;
    let response = verify_backup(&app, &first, &typed).await;
    assert_eq!(response.status(), 200);

    let second = challenge(&app, &user.email).await;
    problem(
        verify_backup(&app, &second, backup).await,
        401,
        "invalid_code",
    )
    .await;

    let status: serde_json::Value = app
        .get_authed("/api/auth/backup-codes", &user.tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status, json!({ "remaining": 9, "total": 10 }));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'backup_code_used'")
            .await,
        1
    );
}

async fn concurrent_uses_of_one_backup_code_succeed_once(app: TestApp) {
    let user = enrolled(&app, "boris").await;
    // Four, so the replays (failures) stay under the 2FA lock's five;
    // `burst_lockout` covers a burst that reaches it.
    let mut challenges = Vec::new();
    for _ in 0..4 {
        challenges.push(challenge(&app, &user.email).await);
    }
    let backup = user.backup_codes[0].clone();
    let attempts = challenges.iter().map(|c| verify_backup(&app, c, &backup));
    let responses = futures::future::join_all(attempts).await;
    let successes = responses.iter().filter(|r| r.status() == 200).count();
    assert_eq!(successes, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM backup_codes WHERE used_at IS NOT NULL")
            .await,
        1
    );
}

async fn regenerating_needs_a_code_and_voids_old_codes(app: TestApp) {
    let user = enrolled(&app, "cyrus").await;
    let token = &user.tokens.access_token;
    problem(
        app.post_json(
            "/api/auth/regenerate-backup-codes",
            &json!({ "code": "123456" }),
            Some(token),
        )
        .await,
        401,
        "invalid_code",
    )
    .await;
    let body = json!({ "code": code(&app, &user.secret, 0) });
    let response = app
        .post_json("/api/auth/regenerate-backup-codes", &body, Some(token))
        .await;
    assert_eq!(response.status(), 200);
    let fresh: Vec<String> = serde_json::from_value(
        response.json::<serde_json::Value>().await.unwrap()["backup_codes"].clone(),
    )
    .unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !user.backup_codes.contains(c)));

    let old = challenge(&app, &user.email).await;
    problem(
        verify_backup(&app, &old, &user.backup_codes[0]).await,
        401,
        "invalid_code",
    )
    .await;
    assert_eq!(verify_backup(&app, &old, &fresh[0]).await.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'backup_codes_regenerated'")
            .await,
        1
    );
}

async fn disabling_needs_the_password_and_a_code(app: TestApp) {
    let user = enrolled(&app, "dinah").await;
    let token = &user.tokens.access_token;
    let disable = |password: &str, code: &str| {
        let body = json!({ "password": password, "code": code });
        let token = token.clone();
        let app = &app;
        async move {
            app.post_json("/api/auth/disable-2fa", &body, Some(&token))
                .await
        }
    };
    problem(
        disable("Wrong-Password-123", &code(&app, &user.secret, 0)).await,
        401,
        "invalid_credentials",
    )
    .await;
    problem(disable(PASSWORD, "").await, 401, "invalid_code").await;
    problem(disable(PASSWORD, "999999").await, 401, "invalid_code").await;

    // A backup code works as the second factor too.
    let response = disable(PASSWORD, &user.backup_codes[1]).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["totp_enabled"], false);
    assert_eq!(app.count("SELECT COUNT(*) FROM backup_codes").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE totp_secret IS NOT NULL")
            .await,
        0
    );
    // Sign-in is password-only again.
    app.signed_in(&user.email, PASSWORD).await;
    problem(
        disable(PASSWORD, &code(&app, &user.secret, 0)).await,
        400,
        "two_factor_not_enabled",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor_disabled'")
            .await,
        1
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

/// Rotating `DATABASE_ENCRYPTION_KEY`: secrets and backup codes written under
/// the old key version keep working once the old key is listed in
/// `DATABASE_ENCRYPTION_PREVIOUS_KEYS`, and not without it.
#[tokio::test]
async fn secrets_written_before_a_key_rotation_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("rotate.db").display()
    );
    let old_key = crate::helpers::random_secret(32);
    let new_key = crate::helpers::random_secret(32);
    let jwt = crate::helpers::random_secret(48);
    let start = |vars: Vec<(&'static str, String)>| {
        let database = database.clone();
        let jwt = jwt.clone();
        TestApp::spawn_with(crate::helpers::Backend::Sqlite, move |config| {
            config.insert("DATABASE_URL".into(), database);
            config.insert("JWT_SECRET_KEY".into(), jwt);
            for (key, value) in vars {
                config.insert(key.into(), value);
            }
        })
    };

    let before = start(vec![("DATABASE_ENCRYPTION_KEY", old_key.clone())])
        .await
        .unwrap();
    let user = enrolled(&before, "rota").await;

    let rotated = start(vec![
        ("DATABASE_ENCRYPTION_KEY", new_key.clone()),
        ("DATABASE_ENCRYPTION_KEY_VERSION", "2".into()),
        ("DATABASE_ENCRYPTION_PREVIOUS_KEYS", format!("1:{old_key}")),
    ])
    .await
    .unwrap();
    // Each application has its own clock: move past the step used at setup.
    rotated.clock.advance(chrono::Duration::seconds(90));
    let first = challenge(&rotated, &user.email).await;
    let at = |app: &TestApp| code(app, &user.secret, 0);
    assert_eq!(
        verify_totp(&rotated, &first, &at(&rotated)).await.status(),
        200
    );
    let second = challenge(&rotated, &user.email).await;
    assert_eq!(
        verify_backup(&rotated, &second, &user.backup_codes[0])
            .await
            .status(),
        200
    );

    // Without the old key the old secret cannot be opened: refused, never
    // accepted, never a plaintext fallback.
    let forgotten = start(vec![
        ("DATABASE_ENCRYPTION_KEY", new_key.clone()),
        ("DATABASE_ENCRYPTION_KEY_VERSION", "2".into()),
    ])
    .await
    .unwrap();
    let third = challenge(&forgotten, &user.email).await;
    forgotten.clock.advance(chrono::Duration::seconds(60));
    let status = verify_backup(&forgotten, &third, &user.backup_codes[1])
        .await
        .status();
    assert_eq!(status, 401);
}
