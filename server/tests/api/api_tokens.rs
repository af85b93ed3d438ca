//! Personal API tokens over HTTP: made only after re-authentication and
//! shown once (only a keyed hash is stored), limited to scopes the owner
//! holds, accepted only where a scope says so and while the owner still has
//! the permission, refused (and audited) once revoked or expired, and each
//! use audited with the token's name, once, even in a burst.

use app::entities::audit_log;
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{problem, TestApp, PASSWORD};

crate::backend_tests!(
    making_a_token_needs_a_recent_sign_in_or_the_password,
    a_token_is_shown_once_and_only_its_keyed_hash_is_stored,
    scopes_lifetimes_and_names_are_checked_and_nothing_is_made_on_refusal,
    a_token_reaches_only_what_its_scopes_name,
    an_admin_scope_holds_only_while_the_owner_keeps_the_permission,
    revoked_and_expired_tokens_are_refused_and_audited,
    a_burst_of_uses_is_audited_once_with_the_token_name,
    an_admin_action_through_a_token_names_it_in_the_audit_log,
);

/// `POST /api/auth/tokens` as the session `access` would.
pub(crate) async fn create_token(app: &TestApp, access: &str, body: Value) -> reqwest::Response {
    app.post_json("/api/auth/tokens", &body, Some(access)).await
}

/// A token named `name` with `scopes`, made within the sign-in window.
pub(crate) async fn made_token(app: &TestApp, access: &str, name: &str, scopes: &[&str]) -> Value {
    let body = json!({ "name": name, "expires_in_days": 30, "scopes": scopes });
    let response = create_token(app, access, body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

fn text(created: &Value) -> String {
    created["token"].as_str().unwrap().to_string()
}

pub(crate) async fn audit_rows(app: &TestApp, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn token_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM api_tokens").await
}

async fn making_a_token_needs_a_recent_sign_in_or_the_password(app: TestApp) {
    let tokens = app.signed_up("rhea").await;
    app.clock.advance(Duration::minutes(6));
    let body = |password: Option<&str>| json!({ "name": "ci", "expires_in_days": 30, "scopes": ["profile:read"], "password": password });

    let response = create_token(&app, &tokens.access_token, body(None)).await;
    problem(response, 403, "reauthentication_required").await;
    let response = create_token(&app, &tokens.access_token, body(Some("Wrong-Password-1"))).await;
    problem(response, 401, "invalid_credentials").await;
    assert_eq!(token_count(&app).await, 0, "nothing made on refusal");

    let response = create_token(&app, &tokens.access_token, body(Some(PASSWORD))).await;
    assert_eq!(response.status(), 201);
    assert_eq!(token_count(&app).await, 1);
    assert_eq!(audit_rows(&app, "api_token_created").await.len(), 1);
}

async fn a_token_is_shown_once_and_only_its_keyed_hash_is_stored(app: TestApp) {
    let tokens = app.signed_up("sage").await;
    let created = made_token(&app, &tokens.access_token, "deploy", &["profile:read"]).await;
    let token = text(&created);
    assert!(token.starts_with("gatehouse_pat_"), "{token}");
    assert_eq!(created["info"]["name"], "deploy");
    assert_eq!(created["info"]["scopes"], json!(["profile:read"]));
    assert_eq!(created["info"]["hint"], token[token.len() - 4..]);

    let listed = app
        .get_authed("/api/auth/tokens", &tokens.access_token)
        .await;
    assert_eq!(listed.status(), 200);
    let listed = listed.text().await.unwrap();
    assert!(!listed.contains(&token), "the list never shows a token");
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], created["info"]["id"]);
    assert_eq!(listed[0]["last_used_at"], Value::Null);

    let secret_part = &token["gatehouse_pat_".len()..];
    let stored = app
        .count(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash LIKE '%{secret_part}%' \
             OR token_hash = '{token}'"
        ))
        .await;
    assert_eq!(stored, 0, "only a keyed hash is stored");
    let audit = format!("{:?}", audit_log::Entity::find().all(&app.state.db).await);
    assert!(!audit.contains(secret_part), "the audit log holds no token");
}

async fn scopes_lifetimes_and_names_are_checked_and_nothing_is_made_on_refusal(app: TestApp) {
    let tokens = app.signed_up("tess").await;
    let access = &tokens.access_token;
    let cases = [
        (
            json!({"name": "x", "expires_in_days": 30, "scopes": ["users:read"]}),
            "scope_not_held",
        ),
        (
            json!({"name": "x", "expires_in_days": 30, "scopes": ["nope:read"]}),
            "unknown_scope",
        ),
        (
            json!({"name": "x", "expires_in_days": 30, "scopes": ["*"]}),
            "unknown_scope",
        ),
        (
            json!({"name": "x", "expires_in_days": 0, "scopes": ["profile:read"]}),
            "out_of_range",
        ),
        (
            json!({"name": "x", "expires_in_days": 366, "scopes": ["profile:read"]}),
            "out_of_range",
        ),
        (
            json!({"name": "  ", "expires_in_days": 30, "scopes": ["profile:read"]}),
            "required",
        ),
        (
            json!({"name": "a\u{7}b", "expires_in_days": 30, "scopes": ["profile:read"]}),
            "invalid_token_name",
        ),
        (
            json!({"name": "x".repeat(65), "expires_in_days": 30, "scopes": ["profile:read"]}),
            "invalid_token_name",
        ),
    ];
    for (body, code) in cases {
        let response = create_token(&app, access, body.clone()).await;
        let problem = problem(response, 400, "validation_error").await;
        let codes = problem["errors"].to_string();
        assert!(codes.contains(code), "{body} gives {code}: {codes}");
    }
    let response = create_token(&app, access, json!({"name": "x", "scopes": []})).await;
    problem(response, 422, "invalid_body").await;
    assert_eq!(token_count(&app).await, 0);
}

async fn a_token_reaches_only_what_its_scopes_name(app: TestApp) {
    let admin = app.signed_in_admin("una").await;
    let profile = text(&made_token(&app, &admin.access_token, "me", &["profile:read"]).await);
    let users = text(&made_token(&app, &admin.access_token, "users", &["users:read"]).await);

    let me = app.get_authed("/api/auth/me", &profile).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["username"], "una");
    let response = app.get_authed("/api/admin/users", &profile).await;
    problem(response, 403, "insufficient_scope").await;

    let response = app.get_authed("/api/auth/me", &users).await;
    problem(response, 403, "insufficient_scope").await;
    let response = app.get_authed("/api/admin/users", &users).await;
    assert_eq!(response.status(), 200);
    let response = app.get_authed("/api/admin/audit-log", &users).await;
    problem(response, 403, "insufficient_scope").await;

    // What only a signed-in session may do refuses any token.
    for path in [
        "/api/auth/sessions",
        "/api/auth/tokens",
        "/api/auth/backup-codes",
    ] {
        let response = app.get_authed(path, &profile).await;
        problem(response, 403, "insufficient_scope").await;
    }
    let body = json!({ "current_password": PASSWORD, "new_password": "Another-Harbor-Lamp-43" });
    let response = app
        .post_json("/api/auth/change-password", &body, Some(&profile))
        .await;
    problem(response, 403, "insufficient_scope").await;
    let made = json!({ "name": "more", "expires_in_days": 30, "scopes": ["profile:read"] });
    problem(
        create_token(&app, &profile, made).await,
        403,
        "insufficient_scope",
    )
    .await;
    assert_eq!(token_count(&app).await, 2, "a token cannot make tokens");

    let response = app
        .get_authed("/api/auth/me", "gatehouse_pat_not-a-token")
        .await;
    problem(response, 401, "invalid_token").await;
}

async fn an_admin_scope_holds_only_while_the_owner_keeps_the_permission(app: TestApp) {
    let admin = app.signed_in_admin("vale").await;
    let token = text(&made_token(&app, &admin.access_token, "report", &["users:read"]).await);
    assert_eq!(
        app.get_authed("/api/admin/users", &token).await.status(),
        200
    );

    app.signed_in_admin("vale-peer").await; // the last administrator stays
    app.set_roles_of("vale", &["viewer"]).await;
    let response = app.get_authed("/api/admin/users", &token).await;
    problem(response, 403, "forbidden").await;
    assert!(!audit_rows(&app, "permission_denied").await.is_empty());
}

async fn revoked_and_expired_tokens_are_refused_and_audited(app: TestApp) {
    let tokens = app.signed_up("wren").await;
    let created = made_token(&app, &tokens.access_token, "old", &["profile:read"]).await;
    let token = text(&created);
    let id = created["info"]["id"].as_str().unwrap();
    let revoke = || {
        app.client
            .delete(app.url(&format!("/api/auth/tokens/{id}")))
            .bearer_auth(&tokens.access_token)
            .send()
    };
    assert_eq!(revoke().await.unwrap().status(), 204);
    problem(revoke().await.unwrap(), 404, "not_found").await;
    problem(
        app.get_authed("/api/auth/me", &token).await,
        401,
        "invalid_token",
    )
    .await;
    let listed: Value = app
        .get_authed("/api/auth/tokens", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]), "a revoked token leaves the list");

    let body = json!({ "name": "short", "expires_in_days": 1, "scopes": ["profile:read"] });
    let short = create_token(&app, &tokens.access_token, body).await;
    let short: Value = short.json().await.unwrap();
    assert_eq!(
        app.get_authed("/api/auth/me", &text(&short)).await.status(),
        200
    );
    let other = app.signed_up("xeno").await;
    let theirs = app
        .client
        .delete(app.url(&format!(
            "/api/auth/tokens/{}",
            short["info"]["id"].as_str().unwrap()
        )))
        .bearer_auth(&other.access_token)
        .send()
        .await
        .unwrap();
    problem(theirs, 404, "not_found").await;
    let bad_id = app
        .client
        .delete(app.url("/api/auth/tokens/not-a-uuid"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status(), 404);
    app.clock.advance(Duration::days(1) + Duration::seconds(1));
    let response = app.get_authed("/api/auth/me", &text(&short)).await;
    problem(response, 401, "invalid_token").await;

    let reasons: Vec<Value> = audit_rows(&app, "api_token_refused")
        .await
        .into_iter()
        .map(|row| row.details["reason"].clone())
        .collect();
    assert_eq!(reasons, [json!("revoked"), json!("expired")]);
}

async fn a_burst_of_uses_is_audited_once_with_the_token_name(app: TestApp) {
    let tokens = app.signed_up("yara").await;
    let token = text(
        &made_token(
            &app,
            &tokens.access_token,
            "nightly backup",
            &["profile:read"],
        )
        .await,
    );
    let burst = (0..16).map(|_| app.get_authed("/api/auth/me", &token));
    for response in futures::future::join_all(burst).await {
        assert_eq!(response.status(), 200);
    }
    let used = audit_rows(&app, "api_token_used").await;
    assert_eq!(used.len(), 1, "one use audited for the burst");
    assert_eq!(used[0].details["api_token"]["name"], "nightly backup");

    let listed: Value = app
        .get_authed("/api/auth/tokens", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["last_used_ip"], "127.0.0.1");
    assert!(listed[0]["last_used_at"].is_string());

    app.clock.advance(Duration::hours(2));
    assert_eq!(app.get_authed("/api/auth/me", &token).await.status(), 200);
    assert_eq!(audit_rows(&app, "api_token_used").await.len(), 2);
}

async fn an_admin_action_through_a_token_names_it_in_the_audit_log(app: TestApp) {
    let admin = app.signed_in_admin("zane").await;
    app.signed_up("target").await;
    let token = text(&made_token(&app, &admin.access_token, "ops bot", &["users:write"]).await);
    let target = app
        .state
        .auth
        .find_user_by_email("target@example.com")
        .await
        .unwrap();
    let response = app
        .post_json(
            &format!("/api/admin/users/{}/revoke-sessions", target.id),
            &json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::UserId.eq(target.id.as_uuid()))
        .all(&app.state.db)
        .await
        .unwrap();
    let by_token: Vec<_> = rows
        .iter()
        .filter(|row| row.details.get("api_token").is_some())
        .collect();
    assert_eq!(by_token.len(), 1, "{rows:?}");
    assert_eq!(by_token[0].details["api_token"]["name"], "ops bot");
    assert!(by_token[0].actor_id.is_some(), "the owner is the actor");
}

/// `API_TOKEN_MAX_DAYS` bounds the lifetime a token may be given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_maximum_lifetime_bounds_new_tokens() {
    let app = crate::rate_limits::app_with(&[("API_TOKEN_MAX_DAYS", "10")]).await;
    let tokens = app.signed_up("max").await;
    let body =
        |days: u32| json!({ "name": "ci", "expires_in_days": days, "scopes": ["profile:read"] });
    let response = create_token(&app, &tokens.access_token, body(11)).await;
    let refused = problem(response, 400, "validation_error").await;
    assert!(
        refused["errors"].to_string().contains("1 to 10 days"),
        "{refused}"
    );
    let response = create_token(&app, &tokens.access_token, body(10)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(token_count(&app).await, 1);
}
