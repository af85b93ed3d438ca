//! Administration over HTTP, permission checks, and the admin command line.

use app::auth::{admin::Actor, RequestMeta};
use serde_json::json;

use crate::helpers::{problem, Backend, TestApp, PASSWORD};

crate::backend_tests!(
    a_viewer_is_refused_and_the_refusal_is_audited,
    an_admin_lists_and_searches_users,
    a_demoted_admin_loses_access_at_once,
    roles_must_exist_and_the_last_admin_stays,
    an_admin_unlocks_an_account_and_ends_its_sessions,
    the_audit_log_filters_by_user_and_action,
);

async fn user_id(app: &TestApp, token: &str) -> String {
    let me: serde_json::Value = app
        .get_authed("/api/auth/me", token)
        .await
        .json()
        .await
        .unwrap();
    me["id"].as_str().unwrap().to_string()
}

async fn a_viewer_is_refused_and_the_refusal_is_audited(app: TestApp) {
    let viewer = app.signed_up("vince").await;
    for path in ["/api/admin/users", "/api/admin/audit-log"] {
        problem(
            app.get_authed(path, &viewer.access_token).await,
            403,
            "forbidden",
        )
        .await;
    }
    problem(app.get("/api/admin/users").await, 401, "unauthenticated").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'permission_denied'")
            .await,
        2
    );
}

async fn an_admin_lists_and_searches_users(app: TestApp) {
    let root = app.signed_in_admin("root").await;
    app.signed_up("alice_w").await;
    app.signed_up("bob").await;

    let page: serde_json::Value = app
        .get_authed("/api/admin/users", &root.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 3);
    let page: serde_json::Value = app
        .get_authed("/api/admin/users?q=ALICE", &root.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["users"][0]["username"], "alice_w");
    // `_` and `%` are literal in a search.
    let page: serde_json::Value = app
        .get_authed("/api/admin/users?q=%25", &root.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0);
    let page: serde_json::Value = app
        .get_authed("/api/admin/users?limit=1&offset=1", &root.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["users"].as_array().unwrap().len(), 1);

    let id = page["users"][0]["id"].as_str().unwrap();
    let detail = app
        .get_authed(&format!("/api/admin/users/{id}"), &root.access_token)
        .await;
    assert_eq!(detail.status(), 200);
    let missing = format!("/api/admin/users/{}", uuid::Uuid::new_v4());
    problem(
        app.get_authed(&missing, &root.access_token).await,
        404,
        "not_found",
    )
    .await;
}

async fn a_demoted_admin_loses_access_at_once(app: TestApp) {
    let root = app.signed_in_admin("root").await;
    let deputy = app.signed_up("deputy").await;
    let deputy_id = user_id(&app, &deputy.access_token).await;
    let set_roles = |roles: serde_json::Value| {
        app.client
            .put(app.url(&format!("/api/admin/users/{deputy_id}/roles")))
            .bearer_auth(&root.access_token)
            .json(&json!({ "roles": roles }))
            .send()
    };

    let promoted = set_roles(json!(["admin", "editor"])).await.unwrap();
    assert_eq!(promoted.status(), 200);
    let body: serde_json::Value = promoted.json().await.unwrap();
    assert_eq!(body["roles"], json!(["admin", "editor"]));
    // /me reads the current roles with the session, whatever the token says.
    let roles_in_me = || async {
        let me: serde_json::Value = app
            .get_authed("/api/auth/me", &deputy.access_token)
            .await
            .json()
            .await
            .unwrap();
        me["roles"].clone()
    };
    assert_eq!(roles_in_me().await, json!(["admin", "editor"]));
    assert_eq!(
        app.get_authed("/api/admin/users", &deputy.access_token)
            .await
            .status(),
        200
    );

    assert_eq!(set_roles(json!(["viewer"])).await.unwrap().status(), 200);
    assert_eq!(roles_in_me().await, json!(["viewer"]));
    // The deputy's token is unchanged, but permissions are checked against
    // the database on every call.
    problem(
        app.get_authed("/api/admin/users", &deputy.access_token)
            .await,
        403,
        "forbidden",
    )
    .await;
}

async fn roles_must_exist_and_the_last_admin_stays(app: TestApp) {
    let root = app.signed_in_admin("root").await;
    let root_id = user_id(&app, &root.access_token).await;
    let put = |roles: serde_json::Value| {
        app.client
            .put(app.url(&format!("/api/admin/users/{root_id}/roles")))
            .bearer_auth(&root.access_token)
            .json(&json!({ "roles": roles }))
            .send()
    };
    let body = problem(
        put(json!(["superuser"])).await.unwrap(),
        400,
        "validation_error",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "unknown_role");
    let body = problem(
        put(json!(["viewer"])).await.unwrap(),
        400,
        "validation_error",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "last_admin");
    assert_eq!(
        app.get_authed("/api/admin/users", &root.access_token)
            .await
            .status(),
        200
    );
}

async fn an_admin_unlocks_an_account_and_ends_its_sessions(app: TestApp) {
    let root = app.signed_in_admin("root").await;
    let user = app.signed_up("locked").await;
    let id = user_id(&app, &user.access_token).await;
    for _ in 0..5 {
        app.login("locked@example.com", "Wrong-Password-123").await;
    }
    problem(
        app.login("locked@example.com", PASSWORD).await,
        429,
        "account_locked",
    )
    .await;

    let app = &app;
    let token = root.access_token.clone();
    let post = |path: String| {
        let token = token.clone();
        async move { app.post_json(&path, &json!({}), Some(&token)).await }
    };
    let unlocked = post(format!("/api/admin/users/{id}/unlock")).await;
    assert_eq!(unlocked.status(), 200);
    let again = app.signed_in("locked@example.com", PASSWORD).await;

    let revoked = post(format!("/api/admin/users/{id}/revoke-sessions")).await;
    let body: serde_json::Value = revoked.json().await.unwrap();
    assert_eq!(body["revoked"], 2);
    for token in [&user.access_token, &again.access_token] {
        problem(
            app.get_authed("/api/auth/me", token).await,
            401,
            "invalid_token",
        )
        .await;
    }
}

async fn the_audit_log_filters_by_user_and_action(app: TestApp) {
    let root = app.signed_in_admin("root").await;
    let root_id = user_id(&app, &root.access_token).await;
    let user = app.signed_up("eve").await;
    let eve_id = user_id(&app, &user.access_token).await;

    let page: serde_json::Value = app
        .get_authed(
            &format!("/api/admin/audit-log?user_id={eve_id}"),
            &root.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["login_succeeded", "user_registered"]);

    let page: serde_json::Value = app
        .get_authed(
            "/api/admin/audit-log?action=role_changed",
            &root.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let entry = &page["entries"][0];
    assert_eq!(entry["user_id"], root_id.as_str());
    assert!(
        entry["actor_id"].is_null(),
        "granted by the operator, not a user"
    );
    assert_eq!(entry["details"]["to"], json!(["admin"]));

    problem(
        app.get_authed("/api/admin/audit-log?user_id=nope", &root.access_token)
            .await,
        400,
        "invalid_query",
    )
    .await;
}

/// `server admin create-user` makes the first administrator from the shell.
#[tokio::test]
async fn the_command_line_creates_the_first_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let vars = crate::helpers::base_vars(dir.path());
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
        command.env_clear().current_dir(dir.path()).args(args);
        for (key, value) in &vars {
            command.env(key, value);
        }
        command.env("DATABASE_URL", &database);
        if let Some(password) = password {
            command.env("GATEHOUSE_ADMIN_PASSWORD", password);
        }
        command.output().unwrap()
    };

    let weak = run(
        &[
            "admin",
            "create-user",
            "--email",
            "root@example.com",
            "--username",
            "root",
        ],
        Some("weak"),
    );
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));

    let created = run(
        &[
            "admin",
            "create-user",
            "--email",
            "root@example.com",
            "--username",
            "root",
        ],
        Some(PASSWORD),
    );
    assert!(created.status.success(), "{created:?}");
    assert!(String::from_utf8_lossy(&created.stdout).contains("admin"));

    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.extend(vars.clone());
        config.insert("DATABASE_URL".into(), database.clone());
    })
    .await
    .unwrap();
    let root = app.signed_in("root@example.com", PASSWORD).await;
    let me: serde_json::Value = app
        .get_authed("/api/auth/me", &root.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true, "the operator vouched for it");
    assert_eq!(
        app.get_authed("/api/admin/users", &root.access_token)
            .await
            .status(),
        200
    );

    let viewer = app.signed_up("someone").await;
    drop(viewer);
    let promoted = run(
        &[
            "admin",
            "promote",
            "--email",
            "someone@example.com",
            "--role",
            "editor",
        ],
        None,
    );
    assert!(promoted.status.success(), "{promoted:?}");
    let someone = app.signed_in("someone@example.com", PASSWORD).await;
    let me: serde_json::Value = app
        .get_authed("/api/auth/me", &someone.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["editor", "viewer"]));
}

/// The permission map is data: a permission granted at run time applies at
/// once, on every node.
#[tokio::test]
async fn permissions_can_be_extended_at_run_time() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let tokens = app.signed_up("editor").await;
    let id: app::auth::UserId = user_id(&app, &tokens.access_token).await.parse().unwrap();
    let auth = &app.state.auth;
    let meta = RequestMeta::new([127, 0, 0, 1].into(), None, None);
    auth.set_roles(Actor::Operator, id, &["editor".to_string()], &meta)
        .await
        .unwrap();

    assert!(auth.has_permission(id, "content:write").await.unwrap());
    assert!(!auth.has_permission(id, "reports:read").await.unwrap());
    auth.grant_permission("editor", "reports:read")
        .await
        .unwrap();
    auth.grant_permission("editor", "reports:read")
        .await
        .unwrap(); // idempotent
    assert!(auth.has_permission(id, "reports:read").await.unwrap());
    assert!(!auth.has_permission(id, "users:read").await.unwrap());
}

/// Found by schemathesis: an offset beyond the database's signed 64-bit range
/// crashed the handler. It is clamped now, and a page past the end is empty.
#[tokio::test]
async fn an_absurd_offset_is_an_empty_page_not_a_crash() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let root = app.signed_in_admin("root").await;
    let response = app
        .get_authed(
            "/api/admin/users?offset=9223372036854775808",
            &root.access_token,
        )
        .await;
    assert_eq!(response.status(), 200);
    let page: serde_json::Value = response.json().await.unwrap();
    assert_eq!(page["users"], json!([]));
    assert_eq!(page["total"], 1);
}
