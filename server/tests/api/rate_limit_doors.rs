//! Every door has a limit: the signed-in page server functions and
//! `/api/admin/*` per client IP, per session (signed in) and per account
//! (admin), whatever address they come from, with the same 429 answer as
//! the public doors.

use crate::helpers::{problem, Backend, TestApp, PASSWORD};

/// Runs `scenario(app)` on SQLite and PostgreSQL, with these variables and
/// a trusted proxy at 127.0.0.1 (so tests can choose the client address).
macro_rules! on_both_databases {
    ($name:ident, $vars:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = super::spawn(crate::helpers::Backend::Sqlite, $vars).await;
                super::$name(app.expect("SQLite is always available")).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = super::spawn(crate::helpers::Backend::Postgres, $vars).await {
                    super::$name(app).await;
                }
            }
        }
    };
}

on_both_databases!(
    a_signed_in_page_function_is_limited_per_session_across_addresses,
    &[("RATE_LIMIT_SIGNED_IN_PER_MINUTE", "6")]
);
on_both_databases!(
    a_stolen_session_cannot_use_up_the_owners_budget,
    &[("RATE_LIMIT_SIGNED_IN_PER_MINUTE", "6")]
);
on_both_databases!(
    the_admin_api_is_limited_per_account_across_addresses,
    &[("RATE_LIMIT_ADMIN_PER_MINUTE", "4")]
);
on_both_databases!(
    signed_in_doors_are_limited_per_ip_before_authentication,
    &[("RATE_LIMIT_SIGNED_IN_IP_PER_MINUTE", "5")]
);
on_both_databases!(
    admin_pages_and_the_admin_api_share_one_budget_per_account,
    &[("RATE_LIMIT_ADMIN_PER_MINUTE", "4")]
);
on_both_databases!(normal_use_stays_below_the_default_budgets, &[]);

async fn spawn(backend: Backend, vars: &[(&str, &str)]) -> Option<TestApp> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([("TRUSTED_PROXIES".to_string(), "127.0.0.1".to_string())])
        .collect();
    TestApp::spawn_with(backend, move |config| config.extend(vars)).await
}

/// A hydrated page's client: keeps cookies, calls server functions with
/// our origin and gets errors back as JSON with their status.
fn page_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    from: &str,
) -> reqwest::Response {
    client
        .post(app.url(endpoint))
        .header("origin", &app.address)
        .header("x-forwarded-for", from)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Signs `name` up through the API and in through the sign-in page.
async fn signed_in_browser(app: &TestApp, name: &str) -> reqwest::Client {
    app.signed_up(name).await;
    let client = page_client();
    let email = format!("{name}@example.com");
    let response = call(
        app,
        &client,
        "/_fn/sign_in",
        &[("email", &email), ("password", PASSWORD)],
        "192.0.2.1",
    )
    .await;
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    client
}

async fn assert_429_with_retry_after(response: reqwest::Response) {
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{body}");
}

async fn a_signed_in_page_function_is_limited_per_session_across_addresses(app: TestApp) {
    let ann = signed_in_browser(&app, "ann").await;
    let bob = signed_in_browser(&app, "bob").await;
    // Six calls, each from another address: all answered.
    for n in 1..=6 {
        let response = call(
            &app,
            &ann,
            "/_fn/my_sessions",
            &[],
            &format!("198.51.100.{n}"),
        )
        .await;
        assert_eq!(response.status(), 200, "call {n}");
    }
    // The seventh, from yet another address, is over the session's budget.
    let response = call(&app, &ann, "/_fn/my_sessions", &[], "203.0.113.50").await;
    assert_eq!(response.status(), 429);
    assert_429_with_retry_after(response).await;
    // Every signed-in function shares it, the API too.
    let response = call(&app, &ann, "/_fn/my_activity", &[], "203.0.113.51").await;
    assert_eq!(response.status(), 429);
    // Another account (from the same addresses) is unaffected.
    let response = call(&app, &bob, "/_fn/my_sessions", &[], "198.51.100.1").await;
    assert_eq!(response.status(), 200);
}

/// Someone holding a stolen session spends its budget to the last request:
/// the owner's own session still has its budget, and signs everyone out.
async fn a_stolen_session_cannot_use_up_the_owners_budget(app: TestApp) {
    let owner = app.signed_up("olga").await;
    let stolen = app.signed_in("olga@example.com", PASSWORD).await;
    let mut refused = 0;
    for _ in 0..10 {
        let response = app.get_authed("/api/auth/me", &stolen.access_token).await;
        refused += usize::from(response.status() == 429);
    }
    assert_eq!(refused, 4, "the stolen session is held to its budget");
    let response = app
        .post_json(
            "/api/auth/logout-all",
            &serde_json::json!({}),
            Some(&owner.access_token),
        )
        .await;
    assert_eq!(response.status(), 200, "the owner is not held to it");
    let response = app.get_authed("/api/auth/me", &stolen.access_token).await;
    assert_eq!(response.status(), 401, "and the stolen session is over");
}

async fn admin_get(app: &TestApp, path: &str, token: &str, from: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap()
}

async fn the_admin_api_is_limited_per_account_across_addresses(app: TestApp) {
    let root = app.signed_in_admin("root").await;
    let deputy = app.signed_in_admin("deputy").await;
    // A burst of admin calls from many addresses: exactly the budget (4)
    // is answered, the rest refused.
    let burst = futures::future::join_all((1..=30).map(|n| {
        let path = if n % 2 == 0 {
            "/api/admin/users"
        } else {
            "/api/admin/audit-log"
        };
        let from = format!("198.51.100.{n}");
        let token = root.access_token.clone();
        let app = &app;
        async move { admin_get(app, path, &token, &from).await }
    }))
    .await;
    let answered = burst.iter().filter(|r| r.status() == 200).count();
    let refused: Vec<_> = burst.into_iter().filter(|r| r.status() == 429).collect();
    assert_eq!(answered, 4);
    assert_eq!(refused.len(), 26);
    for response in refused.into_iter().take(1) {
        assert_429_with_retry_after(response).await;
    }
    // Writes are admin operations too.
    let id = uuid::Uuid::new_v4();
    let response = app
        .client
        .post(app.url(&format!("/api/admin/users/{id}/unlock")))
        .bearer_auth(&root.access_token)
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    problem(response, 429, "rate_limited").await;
    // The other administrator has a budget of their own.
    let response = admin_get(
        &app,
        "/api/admin/users",
        &deputy.access_token,
        "198.51.100.1",
    )
    .await;
    assert_eq!(response.status(), 200);
}

async fn admin_pages_and_the_admin_api_share_one_budget_per_account(app: TestApp) {
    let api = app.signed_in_admin("root").await;
    let browser = page_client();
    let response = call(
        &app,
        &browser,
        "/_fn/sign_in",
        &[("email", "root@example.com"), ("password", PASSWORD)],
        "192.0.2.1",
    )
    .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    // Two admin page calls and two API calls, from four addresses...
    for n in 1..=2 {
        let from = format!("198.51.100.{n}");
        let response = call(&app, &browser, "/_fn/admin_users", &[], &from).await;
        assert_eq!(response.status(), 200);
        let from = format!("198.51.100.{}", n + 10);
        let response = admin_get(&app, "/api/admin/users", &api.access_token, &from).await;
        assert_eq!(response.status(), 200);
    }
    // ...spend the account's admin budget in either transport.
    let response = call(&app, &browser, "/_fn/admin_users", &[], "203.0.113.1").await;
    assert_eq!(response.status(), 429);
    assert_429_with_retry_after(response).await;
    let response = admin_get(&app, "/api/admin/users", &api.access_token, "203.0.113.2").await;
    problem(response, 429, "rate_limited").await;
    // Signed-in pages that are not administration still work.
    let response = call(&app, &browser, "/_fn/my_sessions", &[], "203.0.113.3").await;
    assert_eq!(response.status(), 200);
}

async fn signed_in_doors_are_limited_per_ip_before_authentication(app: TestApp) {
    // Nobody signed in: the admin API and a signed-in page function answer
    // 401 until the IP's budget (5, shared by both) is spent.
    for _ in 0..3 {
        let response = app
            .client
            .get(app.url("/api/admin/users"))
            .header("x-forwarded-for", "203.0.113.7")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let stranger = page_client();
    for _ in 0..2 {
        let response = call(&app, &stranger, "/_fn/my_sessions", &[], "203.0.113.7").await;
        assert_ne!(response.status(), 429);
    }
    let response = app
        .client
        .get(app.url("/api/admin/users"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 429, "rate_limited").await;
    let response = call(&app, &stranger, "/_fn/my_sessions", &[], "203.0.113.7").await;
    assert_eq!(response.status(), 429);
    // Another address is unaffected.
    let response = call(&app, &stranger, "/_fn/my_sessions", &[], "203.0.113.8").await;
    assert_ne!(response.status(), 429);
}

async fn normal_use_stays_below_the_default_budgets(app: TestApp) {
    // A busy person: 30 page views (each renders the header and the page,
    // each a signed-in function) and 20 API calls within a minute.
    let ann = signed_in_browser(&app, "ann").await;
    let api = app.signed_in("ann@example.com", PASSWORD).await;
    for path in ["/account", "/account/sessions", "/account/activity"].repeat(10) {
        let response = ann
            .get(app.url(path))
            .header("x-forwarded-for", "192.0.2.1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    for _ in 0..20 {
        let response = app.get_authed("/api/auth/me", &api.access_token).await;
        assert_eq!(response.status(), 200);
    }
}
