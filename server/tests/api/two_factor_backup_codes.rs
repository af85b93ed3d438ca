//! Backup codes and turning 2FA off over HTTP: a backup code signs in once,
//! even when sent concurrently; new codes need a code and void the old ones;
//! disabling needs the password and a second factor.

use serde_json::json;

use crate::{
    helpers::{problem, TestApp, PASSWORD},
    two_factor::{challenge, code, enrolled, verify_backup},
};

crate::backend_tests!(
    a_backup_code_signs_in_once,
    concurrent_uses_of_one_backup_code_succeed_once,
    regenerating_needs_a_code_and_voids_old_codes,
    disabling_needs_the_password_and_a_code,
);

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
