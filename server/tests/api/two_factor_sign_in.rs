//! Signing in with 2FA over HTTP: the challenge after the password, a code
//! that works once and only near now, the challenge's expiry, the lock after
//! five wrong codes.

use crate::{
    helpers::{problem, TestApp, Tokens, PASSWORD},
    two_factor::{challenge, code, enrolled, verify_backup, verify_totp},
};

crate::backend_tests!(
    sign_in_with_2fa_goes_through_a_challenge,
    a_code_works_once_and_only_near_now,
    the_challenge_expires_after_ten_minutes,
    five_wrong_codes_lock_2fa_for_fifteen_minutes,
);

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
