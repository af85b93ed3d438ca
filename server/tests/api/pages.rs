//! The server-rendered shell: layout, home page, styled 404.

use crate::helpers::TestApp;

crate::backend_tests!(
    home_page_renders_the_site_layout,
    unknown_path_gets_the_styled_404_page,
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
