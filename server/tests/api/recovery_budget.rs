//! A stranger cannot lock an owner out of password resets by spending the
//! address's budget: each requesting IP (IPv6: /64) has its own share of
//! it, under an overall per-address cap that bounds mailbox flooding.

use serde_json::json;

use crate::helpers::{problem, Backend, TestApp};

async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |vars| {
        vars.insert("TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_owner_can_still_reset_after_a_stranger_spent_their_share() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    the_owner_can_still_reset_after_a_stranger_spent_their_share(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_owner_can_still_reset_after_a_stranger_spent_their_share() {
    if let Some(app) = spawn(Backend::Postgres).await {
        the_owner_can_still_reset_after_a_stranger_spent_their_share(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_address_gets_a_bounded_number_of_emails_from_many_ips() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    an_address_gets_a_bounded_number_of_emails_from_many_ips(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_address_gets_a_bounded_number_of_emails_from_many_ips() {
    if let Some(app) = spawn(Backend::Postgres).await {
        an_address_gets_a_bounded_number_of_emails_from_many_ips(app).await;
    }
}

async fn forgot_from(app: &TestApp, email: &str, from: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/forgot-password"))
        .header("x-forwarded-for", from)
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap()
}

async fn resets_queued_for(app: &TestApp, email: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM email_outbox WHERE recipient = '{email}' \
         AND text_body LIKE '%/reset-password?token=%'"
    ))
    .await
}

async fn the_owner_can_still_reset_after_a_stranger_spent_their_share(app: TestApp) {
    app.signed_up("olga").await;
    let email = "olga@example.com";
    // A stranger bursts 30 requests for Olga's address from addresses of
    // one IPv6 /64: one share of 5, the rest refused.
    let burst = futures::future::join_all((1..=30).map(|n| {
        let from = format!("2001:db8:66:1::{n:x}");
        let app = &app;
        async move { forgot_from(app, email, &from).await.status() }
    }))
    .await;
    assert_eq!(burst.iter().filter(|s| s.as_u16() == 202).count(), 5);
    assert_eq!(burst.iter().filter(|s| s.as_u16() == 429).count(), 25);
    problem(
        forgot_from(&app, email, "2001:db8:66:1::ffff").await,
        429,
        "rate_limited",
    )
    .await;
    assert_eq!(resets_queued_for(&app, email).await, 5);

    // Olga, from her own address, still gets her link.
    let response = forgot_from(&app, email, "198.51.100.7").await;
    assert_eq!(response.status(), 202);
    assert_eq!(resets_queued_for(&app, email).await, 6);
}

async fn an_address_gets_a_bounded_number_of_emails_from_many_ips(app: TestApp) {
    app.signed_up("pia").await;
    let email = "pia@example.com";
    let mut accepted = 0;
    for n in 1..=40 {
        let response = forgot_from(&app, email, &format!("203.0.113.{n}")).await;
        if response.status() == 202 {
            accepted += 1;
        } else {
            problem(response, 429, "rate_limited").await;
        }
    }
    // The overall cap: 25 an hour, whatever the number of IPs.
    assert_eq!(accepted, 25);
    assert_eq!(resets_queued_for(&app, email).await, 25);
}
