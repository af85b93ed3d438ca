//! Email verification over HTTP: registration sends a link that verifies
//! the address, once; the setting that refuses unverified accounts; resends
//! are limited; the development mailbox exists only in development.

use serde_json::json;

use crate::{
    helpers::{problem, Backend, TestApp, PASSWORD},
    recovery::emailed_token,
};

crate::backend_tests!(
    registration_sends_a_link_that_verifies_the_address,
    resending_the_verification_email_is_limited,
);

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
    app.wait_for_count("SELECT COUNT(*) FROM email_outbox WHERE status = 'kept'", 1)
        .await;
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
