//! The server-rendered shell: layout, home page, styled 404.

use crate::helpers::TestApp;

crate::backend_tests!(
    home_page_renders_the_site_layout,
    unknown_path_gets_the_styled_404_page,
    security_headers_are_on_every_response,
);

async fn home_page_renders_the_site_layout(app: TestApp) {
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    for expected in [
        "<!DOCTYPE html>",
        "<title>Gatehouse</title>",
        r#"<header class="site-header""#,
        r#"<main id="main""#,
        r#"<footer class="site-footer""#,
        r#"href="/pkg/gatehouse.css""#,
        "/pkg/gatehouse.js",
        "Self-hosted sign-in and account security",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in:\n{html}");
    }
}

async fn unknown_path_gets_the_styled_404_page(app: TestApp) {
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
    assert!(
        html.contains("<title>Page not found · Gatehouse</title>"),
        "{html}"
    );
    assert!(html.contains(r#"<header class="site-header""#), "{html}");
}

async fn security_headers_are_on_every_response(app: TestApp) {
    for path in [
        "/",
        "/no/such/page",
        "/healthz",
        "/api/auth/me",
        "/api/openapi.json",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS in development"
        );
    }

    // Pages allow exactly their own inline script, by a per-request nonce.
    let nonce_of = |policy: &str| {
        policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .map(str::to_string)
    };
    let page = app.get("/").await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = nonce_of(&policy).expect("a nonce in the page policy");
    assert!(nonce.len() >= 16);
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries it"
    );
    let again = app.get("/").await;
    let other = nonce_of(again.headers()["content-security-policy"].to_str().unwrap()).unwrap();
    assert_ne!(nonce, other, "a fresh nonce per response");

    let missing = app.get("/no/such/page").await;
    let policy = missing.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        nonce_of(&policy).is_some(),
        "the 404 page hydrates too: {policy}"
    );

    // JSON gets a deny-everything policy.
    let api = app.get("/api/auth/me").await;
    assert!(api.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
}

#[tokio::test]
async fn production_adds_hsts() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |vars| {
        vars.insert("ENVIRONMENT".into(), "production".into());
        vars.insert("PUBLIC_URL".into(), "https://auth.example.com".into());
    })
    .await
    .unwrap();
    let response = app.get("/healthz").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
}
