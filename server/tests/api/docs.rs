//! The OpenAPI document and the interactive documentation, served locally.

use crate::helpers::TestApp;

crate::backend_tests!(
    the_openapi_document_covers_every_endpoint,
    interactive_docs_are_served_without_a_cdn,
);

const ENDPOINTS: &[(&str, &str)] = &[
    ("post", "/api/auth/login"),
    ("post", "/api/auth/register"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/logout"),
    ("get", "/api/auth/me"),
    ("post", "/api/auth/change-password"),
    ("post", "/api/auth/logout-all"),
    ("get", "/api/auth/sessions"),
    ("delete", "/api/auth/sessions/{id}"),
    ("get", "/api/auth/activity"),
    ("post", "/api/auth/forgot-password"),
    ("post", "/api/auth/reset-password"),
    ("post", "/api/auth/verify-email"),
    ("post", "/api/auth/resend-verification"),
    ("post", "/api/auth/setup-2fa"),
    ("post", "/api/auth/verify-2fa-setup"),
    ("post", "/api/auth/disable-2fa"),
    ("get", "/api/auth/backup-codes"),
    ("post", "/api/auth/regenerate-backup-codes"),
    ("post", "/api/auth/login/verify-2fa"),
    ("post", "/api/auth/login/verify-backup-code"),
    ("get", "/api/admin/users"),
    ("get", "/api/admin/users/{id}"),
    ("put", "/api/admin/users/{id}/roles"),
    ("post", "/api/admin/users/{id}/unlock"),
    ("post", "/api/admin/users/{id}/revoke-sessions"),
    ("delete", "/api/admin/users/{id}/2fa"),
    ("get", "/api/admin/audit-log"),
    ("get", "/api/admin/resource-servers"),
    ("post", "/api/admin/resource-servers"),
    ("delete", "/api/admin/resource-servers/{id}"),
    ("post", "/api/auth/tokens"),
    ("get", "/api/auth/tokens"),
    ("delete", "/api/auth/tokens/{id}"),
    ("post", "/api/oauth/introspect"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/.well-known/openid-configuration"),
];

async fn the_openapi_document_covers_every_endpoint(app: TestApp) {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for (method, path) in ENDPOINTS {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    assert_eq!(
        doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        ENDPOINTS.len(),
        "nothing undocumented or stale"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(problem[field].is_object(), "Problem.{field}");
    }
}

async fn interactive_docs_are_served_without_a_cdn(app: TestApp) {
    let client = reqwest::Client::new(); // follows the /docs → /docs/ redirect
    let page = client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "no asset from another host:\n{html}"
    );
    let css = client
        .get(app.url("/docs/swagger-ui.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    let config = client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    let script = config.text().await.unwrap();
    assert!(script.contains("/api/openapi.json"), "{script}");
}
