//! Resetting a password with an emailed link over HTTP: the link works once
//! and expires, signs every device out, lifts a lockout, applies the
//! password policy and keeps 2FA.

use serde_json::json;

use crate::{
    helpers::{problem, TestApp, PASSWORD},
    recovery::{emailed_token, reset, reset_token_for, NEW_PASSWORD},
    two_factor::{code, enrolled},
};

crate::backend_tests!(
    a_reset_link_sets_a_new_password_once,
    concurrent_uses_of_one_reset_link_succeed_once,
    a_reset_link_expires,
    a_tampered_or_foreign_token_is_refused,
    a_reset_signs_every_device_out_and_lifts_a_lockout,
    a_reset_applies_the_password_policy_and_history,
    a_reset_keeps_two_factor_on,
);

async fn a_reset_link_sets_a_new_password_once(app: TestApp) {
    app.signed_up("rosa").await;
    let response = app
        .client
        .post(app.url("/api/auth/forgot-password"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Firefox/140.0",
        )
        .json(&json!({ "email": "Rosa@Example.com " }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);

    let mail = app.state.auth.dev_mailbox(None).await.unwrap();
    let reset_mail = mail
        .iter()
        .find(|m| m.subject.contains("Reset"))
        .expect("a reset email");
    assert_eq!(reset_mail.to, "rosa@example.com");
    assert_eq!(reset_mail.subject, "Reset your GLAD Labs password");
    for body in [&reset_mail.text_body, &reset_mail.html_body] {
        assert!(body.contains("http://localhost:3000/reset-password?token="));
        assert!(body.contains("GLAD Labs"));
        assert!(body.contains("127.0.0.1"), "the requester's IP");
        assert!(body.contains("Firefox on Linux"), "the requester's browser");
        assert!(body.contains("1 hour"));
    }
    let token = emailed_token(&app, "rosa@example.com", "/reset-password").await;
    // Only a keyed hash is stored.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM account_tokens WHERE token_hash = '{token}'"
        ))
        .await,
        0
    );

    let response = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(response.status(), 200);
    problem(
        app.login("rosa@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    app.signed_in("rosa@example.com", NEW_PASSWORD).await;
    // The owner hears of the reset.
    let mail = app.state.auth.dev_mailbox(None).await.unwrap();
    let notice = mail
        .iter()
        .find(|m| m.subject == "Your GLAD Labs password was changed")
        .expect("a notice of the reset");
    assert_eq!(notice.to, "rosa@example.com");
    assert!(notice
        .text_body
        .contains("http://localhost:3000/forgot-password"));
    assert!(!notice.text_body.contains("token="));

    // Single use.
    problem(
        reset(&app, &token, "Another-Fine-Password-9").await,
        400,
        "invalid_reset_token",
    )
    .await;
    for action in ["password_reset_requested", "password_reset"] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
            ))
            .await,
            1,
            "{action}"
        );
    }
}

async fn concurrent_uses_of_one_reset_link_succeed_once(app: TestApp) {
    app.signed_up("cato").await;
    let token = reset_token_for(&app, "cato@example.com").await;
    let passwords: Vec<String> = (0..8).map(|n| format!("Copper-Meadow-Kite-7{n}")).collect();
    let responses =
        futures::future::join_all(passwords.iter().map(|p| reset(&app, &token, p))).await;
    let winners: Vec<usize> = responses
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status() == 200)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one reset wins");
    for response in responses.into_iter().filter(|r| r.status() != 200) {
        // Losers: the link was spent, or the account's share of the
        // hashing queue was taken (at most 2 hashes in flight).
        if response.status() == 429 {
            problem(response, 429, "hashing_busy").await;
        } else {
            problem(response, 400, "invalid_reset_token").await;
        }
    }
    app.signed_in("cato@example.com", &passwords[winners[0]])
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'password_reset'")
            .await,
        1
    );
}

async fn a_reset_link_expires(app: TestApp) {
    app.signed_up("ezra").await;
    let token = reset_token_for(&app, "ezra@example.com").await;
    app.clock.advance(chrono::Duration::minutes(61));
    problem(
        reset(&app, &token, NEW_PASSWORD).await,
        400,
        "invalid_reset_token",
    )
    .await;
    app.signed_in("ezra@example.com", PASSWORD).await;

    // A fresh link, used within the hour, works.
    let token = reset_token_for(&app, "ezra@example.com").await;
    app.clock.advance(chrono::Duration::minutes(59));
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 200);
}

async fn a_tampered_or_foreign_token_is_refused(app: TestApp) {
    app.signed_up("tara").await;
    let token = reset_token_for(&app, "tara@example.com").await;
    let mut tampered = token.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let verify = emailed_token(&app, "tara@example.com", "/verify-email").await;
    for bad in [
        tampered.as_str(),
        "",
        "not-a-token",
        "' OR 1=1 --",
        &"A".repeat(5000),
        // A verification token is not a reset token.
        verify.as_str(),
    ] {
        problem(
            reset(&app, bad, NEW_PASSWORD).await,
            400,
            "invalid_reset_token",
        )
        .await;
    }
    // A missing field is the usual 422.
    let response = app
        .post_json("/api/auth/reset-password", &json!({ "token": token }), None)
        .await;
    problem(response, 422, "invalid_body").await;
    // And a reset token does not verify an address.
    let response = app
        .post_json("/api/auth/verify-email", &json!({ "token": token }), None)
        .await;
    problem(response, 400, "invalid_verification_token").await;
    // The real one still works.
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 200);
}

async fn a_reset_signs_every_device_out_and_lifts_a_lockout(app: TestApp) {
    let first = app.signed_up("lena").await;
    let second = app.signed_in("lena@example.com", PASSWORD).await;
    for _ in 0..5 {
        app.login("lena@example.com", "Wrong-Password-123").await;
    }
    problem(
        app.login("lena@example.com", PASSWORD).await,
        429,
        "account_locked",
    )
    .await;

    let token = reset_token_for(&app, "lena@example.com").await;
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 200);

    for tokens in [&first, &second] {
        problem(
            app.get_authed("/api/auth/me", &tokens.access_token).await,
            401,
            "invalid_token",
        )
        .await;
        problem(
            app.refresh(&tokens.refresh_token).await,
            401,
            "invalid_token",
        )
        .await;
    }
    let tokens = app.signed_in("lena@example.com", NEW_PASSWORD).await;
    let me: serde_json::Value = app
        .get_authed("/api/auth/me", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    // The link reached the address, which proves it.
    assert_eq!(me["email_verified"], true);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM users WHERE failed_login_attempts = 0 AND locked_until IS NULL"
        )
        .await,
        1
    );
}

async fn a_reset_applies_the_password_policy_and_history(app: TestApp) {
    app.signed_up("omar").await;
    let token = reset_token_for(&app, "omar@example.com").await;
    let body = problem(reset(&app, &token, "short").await, 400, "weak_password").await;
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));
    problem(
        reset(&app, &token, "Password123!").await,
        400,
        "weak_password",
    )
    .await;
    problem(reset(&app, &token, PASSWORD).await, 400, "password_reused").await;
    let mismatch = json!({
        "token": token,
        "new_password": NEW_PASSWORD,
        "confirm_password": "Copper-Meadow-Kite-78",
    });
    let response = app
        .post_json("/api/auth/reset-password", &mismatch, None)
        .await;
    problem(response, 400, "password_mismatch").await;
    // A refused password does not spend the link.
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 200);

    // The password before is in the history now too.
    let token = reset_token_for(&app, "omar@example.com").await;
    problem(reset(&app, &token, PASSWORD).await, 400, "password_reused").await;
    problem(
        reset(&app, &token, NEW_PASSWORD).await,
        400,
        "password_reused",
    )
    .await;
}

async fn a_reset_keeps_two_factor_on(app: TestApp) {
    let user = enrolled(&app, "tess").await;
    let token = reset_token_for(&app, &user.email).await;
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 200);

    let response = app.login(&user.email, NEW_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["requires_2fa"], true, "{body}");
    assert!(body.get("access_token").is_none());
    let challenge = body["challenge_token"].as_str().unwrap();
    let response = app
        .post_json(
            "/api/auth/login/verify-2fa",
            &json!({ "challenge_token": challenge, "code": code(&app, &user.secret, 0) }),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
}
