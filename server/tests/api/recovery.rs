//! Account recovery and email verification over HTTP: the reset link works
//! once and expires, tells nobody who has an account, signs every device
//! out, lifts a lockout, keeps 2FA; verification links; the setting that
//! refuses unverified accounts; rate limits. Tokens are read from the
//! development mailbox, the way a user reads the email: by following the
//! link in its text.

use serde_json::json;

use crate::{
    helpers::{problem, Backend, TestApp, PASSWORD},
    two_factor::{code, enrolled},
};

crate::backend_tests!(
    a_reset_link_sets_a_new_password_once,
    concurrent_uses_of_one_reset_link_succeed_once,
    a_reset_link_expires,
    a_tampered_or_foreign_token_is_refused,
    forgot_password_says_the_same_for_every_address,
    a_reset_signs_every_device_out_and_lifts_a_lockout,
    a_reset_applies_the_password_policy_and_history,
    a_reset_keeps_two_factor_on,
    registration_sends_a_link_that_verifies_the_address,
    forgot_password_is_limited_per_address_and_per_ip,
    resending_the_verification_email_is_limited,
);

pub(crate) const NEW_PASSWORD: &str = "Copper-Meadow-Kite-77";

/// The token of the newest emailed link to `path` (e.g. `/reset-password`)
/// sent to `to`, as the user would click it.
pub(crate) async fn emailed_token(app: &TestApp, to: &str, path: &str) -> String {
    let messages = app.state.auth.dev_mailbox(Some(200)).await.unwrap();
    messages
        .iter()
        .filter(|m| m.to == to)
        .find_map(|m| link_token(&m.text_body, path))
        .unwrap_or_else(|| panic!("no {path} link to {to} in {messages:#?}"))
}

/// The `token` of the first link to `path` in an email's text.
pub(crate) fn link_token(text: &str, path: &str) -> Option<String> {
    let marker = format!("{path}?token=");
    let start = text.find(&marker)? + marker.len();
    Some(
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}

pub(crate) async fn forgot(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json(
        "/api/auth/forgot-password",
        &json!({ "email": email }),
        None,
    )
    .await
}

pub(crate) async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    let body = json!({ "token": token, "new_password": password });
    app.post_json("/api/auth/reset-password", &body, None).await
}

async fn reset_token_for(app: &TestApp, email: &str) -> String {
    assert_eq!(forgot(app, email).await.status(), 202);
    emailed_token(app, email, "/reset-password").await
}

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

async fn forgot_password_says_the_same_for_every_address(app: TestApp) {
    app.signed_up("kim").await;
    let before = app.count("SELECT COUNT(*) FROM email_outbox").await;
    let mut answers = Vec::new();
    for email in ["kim@example.com", "nobody@example.com", "not an address"] {
        let response = forgot(&app, email).await;
        let status = response.status();
        let content_type = response.headers()["content-type"].clone();
        let body = response.bytes().await.unwrap();
        answers.push((status, content_type, body));
    }
    assert_eq!(answers[0].0, 202);
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    // Only the real account got an email.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM email_outbox").await,
        before + 1
    );
    // A disabled account gets none either.
    let db = &app.state.db;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("UPDATE users SET is_active = false WHERE username = 'kim'")
        .await
        .unwrap();
    let response = forgot(&app, "kim@example.com").await;
    assert_eq!(response.status(), 202);
    assert_eq!(response.bytes().await.unwrap(), answers[0].2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM email_outbox").await,
        before + 1
    );
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

async fn registration_sends_a_link_that_verifies_the_address(app: TestApp) {
    let tokens = app.signed_up("vera").await;
    let me = |app: &TestApp| {
        let token = tokens.access_token.clone();
        let app_url = app.url("/api/auth/me");
        let client = app.client.clone();
        async move {
            client
                .get(app_url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(me(&app).await["email_verified"], false);
    let mail = app.state.auth.dev_mailbox(None).await.unwrap();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("Confirm your email address"));
    assert!(mail[0].html_body.contains("/verify-email?token="));
    let token = emailed_token(&app, "vera@example.com", "/verify-email").await;
    // The worker hands it to the development mailbox: `kept`, not `sent`.
    for _ in 0..200 {
        if app
            .count("SELECT COUNT(*) FROM email_outbox WHERE status = 'kept'")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let mail = app.state.auth.dev_mailbox(None).await.unwrap();
    assert_eq!(mail[0].status, "kept");
    assert!(mail[0].sent_at.is_some());

    let response = app
        .post_json("/api/auth/verify-email", &json!({ "token": token }), None)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(me(&app).await["email_verified"], true);
    // Single use.
    let response = app
        .post_json("/api/auth/verify-email", &json!({ "token": token }), None)
        .await;
    problem(response, 400, "invalid_verification_token").await;
    // Nothing left to prove.
    let response = app
        .post_json(
            "/api/auth/resend-verification",
            &json!({}),
            Some(&tokens.access_token),
        )
        .await;
    problem(response, 409, "email_already_verified").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'email_verified'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_verification_can_be_required_for_sign_in() {
    verification_can_be_required_for_sign_in(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_verification_can_be_required_for_sign_in() {
    verification_can_be_required_for_sign_in(Backend::Postgres).await;
}

async fn verification_can_be_required_for_sign_in(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |vars| {
        vars.insert("REQUIRE_EMAIL_VERIFICATION".into(), "true".into());
    })
    .await
    else {
        return;
    };
    let response = app.register("uma@example.com", "uma", PASSWORD).await;
    assert_eq!(response.status(), 201);
    problem(
        app.login("uma@example.com", PASSWORD).await,
        403,
        "email_not_verified",
    )
    .await;
    // Only the right password learns that.
    problem(
        app.login("uma@example.com", "Wrong-Password-123").await,
        401,
        "invalid_credentials",
    )
    .await;
    let token = emailed_token(&app, "uma@example.com", "/verify-email").await;
    let response = app
        .post_json("/api/auth/verify-email", &json!({ "token": token }), None)
        .await;
    assert_eq!(response.status(), 200);
    app.signed_in("uma@example.com", PASSWORD).await;
}

async fn forgot_password_is_limited_per_address_and_per_ip(app: TestApp) {
    // Per address, known or not: 5 an hour.
    for _ in 0..5 {
        assert_eq!(forgot(&app, "nobody@example.com").await.status(), 202);
    }
    let response = forgot(&app, "nobody@example.com").await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 429, "rate_limited").await;
    // Per IP: 20 an hour whatever the address (6 used above).
    for n in 0..14 {
        let response = forgot(&app, &format!("someone{n}@example.com")).await;
        assert_eq!(response.status(), 202);
    }
    problem(
        forgot(&app, "someone-else@example.com").await,
        429,
        "rate_limited",
    )
    .await;
}

async fn resending_the_verification_email_is_limited(app: TestApp) {
    let tokens = app.signed_up("nora").await;
    let empty = json!({});
    let resend = || {
        app.post_json(
            "/api/auth/resend-verification",
            &empty,
            Some(&tokens.access_token),
        )
    };
    for _ in 0..5 {
        assert_eq!(resend().await.status(), 202);
    }
    problem(resend().await, 429, "rate_limited").await;
    // Registration's email and five more.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM email_outbox WHERE subject LIKE 'Confirm%'")
            .await,
        6
    );
    // Any of the links verifies; then all the others are spent.
    let token = emailed_token(&app, "nora@example.com", "/verify-email").await;
    let response = app
        .post_json("/api/auth/verify-email", &json!({ "token": token }), None)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM account_tokens WHERE used_at IS NULL")
            .await,
        0
    );
    // Without a token: 401.
    let response = app
        .post_json("/api/auth/resend-verification", &json!({}), None)
        .await;
    problem(response, 401, "unauthenticated").await;
}

#[tokio::test]
async fn the_dev_mailbox_exists_only_in_development() {
    let app = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("ENVIRONMENT".into(), "production".into());
        vars.insert("PUBLIC_URL".into(), "https://auth.example.com".into());
    })
    .await
    .unwrap();
    assert!(matches!(
        app.state.auth.dev_mailbox(None).await,
        Err(app::auth::AuthError::NotFound)
    ));
    // Links in emails start with PUBLIC_URL.
    app.signed_up("pia").await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mail = app::entities::email_outbox::Entity::find()
        .filter(app::entities::email_outbox::Column::Recipient.eq("pia@example.com"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(mail[0]
        .text_body
        .contains("https://auth.example.com/verify-email?token="));
    // The page is a 404 that shows nothing of the mail.
    let page = app.get("/dev/mailbox").await;
    assert_eq!(page.status(), 404);
    let html = page.text().await.unwrap();
    assert!(!html.contains("pia@example.com"), "{html}");
    assert!(!html.contains("token="), "{html}");
}
