//! Per-IP rate limit, `Retry-After`, trusted proxies, CORS.

use crate::helpers::{problem, Backend, TestApp};

/// A SQLite app with these configuration variables changed.
pub(crate) async fn app_with(vars: &[(&str, &str)]) -> TestApp {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    TestApp::spawn_with(Backend::Sqlite, move |config| config.extend(vars))
        .await
        .unwrap()
}

async fn me_from(app: &TestApp, forwarded_for: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/auth/me"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
}

/// A budget of 6 a minute refills one request every 10 s: however slow the
/// machine, the seven requests come before the refill (60 a minute refilled
/// one each second, which a loaded machine could outlast).
#[tokio::test]
async fn the_request_over_the_budget_gets_429_with_retry_after() {
    let app = app_with(&[("RATE_LIMIT_PER_MINUTE", "6")]).await;
    for _ in 0..6 {
        assert_eq!(app.get("/api/auth/me").await.status(), 401);
    }
    let response = app.get("/api/auth/me").await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    problem(response, 429, "rate_limited").await;
    // Operational endpoints are not limited.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_change_the_bucket() {
    let app = app_with(&[("RATE_LIMIT_PER_MINUTE", "3")]).await;
    for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(me_from(&app, ip).await.status(), 401);
    }
    problem(me_from(&app, "198.51.100.4").await, 429, "rate_limited").await;
}

#[tokio::test]
async fn a_trusted_proxy_forwards_the_client_address() {
    let app = app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    for _ in 0..3 {
        assert_eq!(me_from(&app, "198.51.100.1").await.status(), 401);
    }
    problem(me_from(&app, "198.51.100.1").await, 429, "rate_limited").await;
    assert_eq!(
        me_from(&app, "198.51.100.2").await.status(),
        401,
        "another client has its own budget"
    );
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = app_with(&[("CORS_ORIGINS", "https://app.example.com")]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(allowed
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let foreign = preflight("https://evil.test").await.unwrap();
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

/// A server function as the hydrated page calls it (form-encoded, our own
/// origin, no `Accept: text/html`, so errors come back as JSON).
async fn page_call(app: &TestApp, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(endpoint))
        .header("origin", &app.address)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn public_page_actions_share_the_per_ip_budget_with_the_api() {
    let app = app_with(&[("RATE_LIMIT_PER_MINUTE", "3")]).await;
    let wrong_sign_in = [
        ("email", "nobody@example.com"),
        ("password", "Wrong-Password-123"),
    ];
    // Page sign-ins spend the address's budget...
    for _ in 0..3 {
        assert_eq!(
            page_call(&app, "/_fn/sign_in", &wrong_sign_in)
                .await
                .status(),
            401
        );
    }
    // ...which the JSON API shares,
    problem(app.get("/api/auth/me").await, 429, "rate_limited").await;

    // and every page action open to anyone is refused before it does
    // anything, with the same answer as the API.
    let password = "Copper-Kite-Lamp-42";
    let public_actions: [(&str, Vec<(&str, &str)>); 6] = [
        ("/_fn/sign_in", wrong_sign_in.to_vec()),
        ("/_fn/sign_in_second_factor", vec![("code", "123456")]),
        (
            "/_fn/register",
            vec![
                ("email", "new@example.com"),
                ("username", "newcomer"),
                ("password", password),
            ],
        ),
        ("/_fn/forgot_password", vec![("email", "new@example.com")]),
        (
            "/_fn/reset_password",
            vec![
                ("token", "not-a-token"),
                ("new_password", password),
                ("confirm_password", password),
            ],
        ),
        ("/_fn/verify_email", vec![("token", "not-a-token")]),
    ];
    for (endpoint, form) in public_actions {
        let response = page_call(&app, endpoint, &form).await;
        assert_eq!(response.status(), 429, "{endpoint}");
        assert!(response.headers().contains_key("retry-after"), "{endpoint}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "rate_limited", "{endpoint}: {body}");
    }
    // Nothing was done: no account was made, no email queued, no session
    // opened.
    for table in ["users", "email_outbox", "sessions"] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
}
