//! Account recovery over HTTP, asking for a reset link: the same answer for
//! every address, so nobody learns who has an account, and rate limits. The
//! helpers here read tokens from the development mailbox, the way a user
//! reads the email: by following the link in its text. The reset itself is
//! in `recovery_reset`, email verification in `email_verification`.

use serde_json::json;

use crate::helpers::{problem, TestApp};

crate::backend_tests!(
    forgot_password_says_the_same_for_every_address,
    forgot_password_is_limited_per_address_and_per_ip,
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

pub(crate) async fn reset_token_for(app: &TestApp, email: &str) -> String {
    assert_eq!(forgot(app, email).await.status(), 202);
    emailed_token(app, email, "/reset-password").await
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
