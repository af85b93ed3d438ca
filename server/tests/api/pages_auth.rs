//! Signing in through the pages: server functions over HTTP as a browser
//! without JavaScript posts them, the cookie session, the same-origin check,
//! and the rules the pages share with the JSON API.

use crate::helpers::{problem, TestApp, PASSWORD};

crate::backend_tests!(
    a_page_sign_in_opens_a_browser_session_the_api_can_end,
    a_signed_out_visitor_is_sent_to_sign_in,
    a_cross_origin_post_is_refused,
    page_failures_count_toward_the_same_lockout,
    a_failed_server_function_is_a_4xx_not_a_500,
);

/// A client that keeps cookies, asks for HTML and does not follow
/// redirects: a browser without JavaScript whose every hop the test checks.
pub(crate) fn browser() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("accept", "text/html".parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
    origin: &str,
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("origin", origin)
        .header("accept", "text/html")
        .header("referer", app.url("/login"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn a_page_sign_in_opens_a_browser_session_the_api_can_end(app: TestApp) {
    let api = app.signed_up("paula").await;
    let client = browser();
    let response = post_form(
        &app,
        &client,
        "/_fn/sign_in",
        &[
            ("email", "paula@example.com"),
            ("password", PASSWORD),
            ("next", "/account"),
        ],
        &app.address,
    )
    .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/account");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("gatehouse="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "not Secure in development");
    let id = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("gatehouse=");
    assert!(id.len() >= 22, "at least 128 random bits: {id}");

    let page = client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("paula"), "{html}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE kind = 'browser' AND revoked_at IS NULL")
            .await,
        1,
        "the page sign-in is a device in the list"
    );

    // "Sign out everywhere" from the API ends the browser session too.
    let response = app
        .post_json(
            "/api/auth/logout-all",
            &serde_json::json!({}),
            Some(&api.access_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = client.get(app.url("/account")).send().await.unwrap();
    assert!(page.status().is_redirection(), "{}", page.status());
    assert_eq!(page.headers()["location"], "/login?next=/account");
}

async fn a_signed_out_visitor_is_sent_to_sign_in(app: TestApp) {
    for (path, next) in [
        ("/account", "/account"),
        ("/account/sessions", "/account/sessions"),
        ("/account/password", "/account/password"),
        ("/account/activity", "/account/activity"),
        ("/account/2fa", "/account/2fa"),
        ("/account/tokens", "/account/tokens"),
        ("/admin/users", "/admin/users"),
    ] {
        let page = browser().get(app.url(path)).send().await.unwrap();
        assert!(page.status().is_redirection(), "{path}: {}", page.status());
        assert_eq!(
            page.headers()["location"],
            format!("/login?next={next}"),
            "{path}"
        );
    }
}

async fn a_cross_origin_post_is_refused(app: TestApp) {
    app.signed_up("quill").await;
    let response = post_form(
        &app,
        &browser(),
        "/_fn/sign_in",
        &[("email", "quill@example.com"), ("password", PASSWORD)],
        "https://evil.test",
    )
    .await;
    problem(response, 403, "cross_origin_request").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE kind = 'browser'")
            .await,
        0
    );
}

async fn page_failures_count_toward_the_same_lockout(app: TestApp) {
    app.signed_up("rhea").await;
    let client = browser();
    for _ in 0..5 {
        let response = post_form(
            &app,
            &client,
            "/_fn/sign_in",
            &[
                ("email", "rhea@example.com"),
                ("password", "Wrong-Password-123"),
            ],
            &app.address,
        )
        .await;
        assert!(response.status().is_redirection() || response.status().is_client_error());
    }
    // The API sees the lock the page failures caused.
    problem(
        app.login("rhea@example.com", PASSWORD).await,
        429,
        "account_locked",
    )
    .await;
}

/// What the hydrated page sends (no `Accept: text/html`): a wrong password is
/// a 401 carrying the page error, never a 500.
async fn a_failed_server_function_is_a_4xx_not_a_500(app: TestApp) {
    app.signed_up("sara").await;
    let response = reqwest::Client::new()
        .post(app.url("/_fn/sign_in"))
        .header("origin", &app.address)
        .form(&[
            ("email", "sara@example.com"),
            ("password", "Wrong-Password-123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_credentials", "{body}");

    for _ in 0..4 {
        reqwest::Client::new()
            .post(app.url("/_fn/sign_in"))
            .header("origin", &app.address)
            .form(&[
                ("email", "sara@example.com"),
                ("password", "Wrong-Password-123"),
            ])
            .send()
            .await
            .unwrap();
    }
    let locked = reqwest::Client::new()
        .post(app.url("/_fn/sign_in"))
        .header("origin", &app.address)
        .form(&[("email", "sara@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    let body: serde_json::Value = locked.json().await.unwrap();
    assert_eq!(body["code"], "account_locked");
}
