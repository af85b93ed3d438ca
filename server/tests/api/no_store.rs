//! `Cache-Control: no-store` on everything but static assets: API answers
//! (tokens, TOTP secrets, backup codes), pages and server-function answers.

use serde_json::json;

use crate::{
    helpers::{Backend, TestApp, PASSWORD},
    pages_auth::browser,
};

fn no_store(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("cache-control")
        .is_some_and(|value| value == "no-store")
}

#[tokio::test]
async fn secrets_and_pages_are_never_stored_but_assets_are_cacheable() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/gatehouse.css"), "body{}").unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    let root = site.path().display().to_string();
    let app = TestApp::spawn_with(Backend::Sqlite, move |vars| {
        vars.insert("LEPTOS_SITE_ROOT".into(), root);
    })
    .await
    .unwrap();

    // Tokens from a sign-in.
    let response = app.register("nora@example.com", "nora", PASSWORD).await;
    assert!(no_store(&response));
    let response = app.login("nora@example.com", PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert!(no_store(&response), "login tokens");
    let tokens: crate::helpers::Tokens = response.json().await.unwrap();
    let response = app.refresh(&tokens.refresh_token).await;
    assert!(no_store(&response), "refreshed tokens");
    // The TOTP secret of a 2FA set-up.
    let response = app
        .post_json(
            "/api/auth/setup-2fa",
            &json!({}),
            Some(&tokens.access_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(no_store(&response), "2FA set-up");
    // Errors too.
    assert!(no_store(&app.get("/api/auth/me").await));

    // The account page, signed in through the page's server function.
    let client = browser();
    let response = client
        .post(app.url("/_fn/sign_in"))
        .header("origin", &app.address)
        .form(&[
            ("email", "nora@example.com"),
            ("password", PASSWORD),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert!(no_store(&response), "server function answer");
    let page = client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(no_store(&page), "account page");
    assert!(no_store(&app.get("/login").await), "any page");

    // Static assets stay cacheable.
    for path in ["/pkg/gatehouse.css", "/favicon.svg"] {
        let asset = app.get(path).await;
        assert_eq!(asset.status(), 200, "{path}");
        assert!(!no_store(&asset), "{path} is cacheable");
    }
}
