//! Sessions per device, password change, activity, clean-up.

use serde_json::json;

use crate::helpers::{problem, TestApp, PASSWORD};

crate::backend_tests!(
    sessions_are_listed_with_the_current_one_marked,
    a_user_revokes_their_own_sessions_only,
    logout_all_ends_every_session,
    change_password_enforces_every_rule_and_signs_out_other_devices,
    activity_lists_own_events_newest_first_in_pages,
    expired_sessions_are_cleaned_up,
    audit_log_and_details_hold_no_secrets,
);

async fn sessions_are_listed_with_the_current_one_marked(app: TestApp) {
    let phone = app.signed_up("vera").await;
    let laptop = app.signed_in("vera@example.com", PASSWORD).await;
    let response = app
        .get_authed("/api/auth/sessions", &laptop.access_token)
        .await;
    assert_eq!(response.status(), 200);
    let sessions: Vec<serde_json::Value> = response.json().await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    for session in &sessions {
        assert_eq!(session["ip_address"], "127.0.0.1");
        assert_eq!(session["device_name"], "test");
        for field in ["id", "created_at", "last_activity", "expires_at"] {
            assert!(session[field].is_string(), "{field}");
        }
    }
    drop(phone);
}

async fn a_user_revokes_their_own_sessions_only(app: TestApp) {
    let phone = app.signed_up("walt").await;
    let laptop = app.signed_in("walt@example.com", PASSWORD).await;
    let stranger = app.signed_up("xena").await;

    let list: Vec<serde_json::Value> = app
        .get_authed("/api/auth/sessions", &laptop.access_token)
        .await
        .json()
        .await
        .unwrap();
    let phone_id = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Someone else cannot see or end it.
    let path = format!("/api/auth/sessions/{phone_id}");
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&stranger.access_token)
        .send()
        .await
        .unwrap();
    problem(response, 404, "not_found").await;
    assert_eq!(
        app.get_authed("/api/auth/me", &phone.access_token)
            .await
            .status(),
        200
    );

    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&laptop.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    problem(
        app.get_authed("/api/auth/me", &phone.access_token).await,
        401,
        "invalid_token",
    )
    .await;
    assert_eq!(
        app.get_authed("/api/auth/me", &laptop.access_token)
            .await
            .status(),
        200
    );

    let response = app
        .client
        .delete(app.url("/api/auth/sessions/not-a-uuid"))
        .bearer_auth(&laptop.access_token)
        .send()
        .await
        .unwrap();
    problem(response, 404, "not_found").await;
}

async fn logout_all_ends_every_session(app: TestApp) {
    let one = app.signed_up("yuri").await;
    let two = app.signed_in("yuri@example.com", PASSWORD).await;
    let response = app
        .post_json("/api/auth/logout-all", &json!({}), Some(&one.access_token))
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["revoked"], 2);
    for token in [&one.access_token, &two.access_token] {
        problem(
            app.get_authed("/api/auth/me", token).await,
            401,
            "invalid_token",
        )
        .await;
    }
}

async fn change_password_enforces_every_rule_and_signs_out_other_devices(app: TestApp) {
    let app = &app;
    let here = app.signed_up("zoe").await;
    let elsewhere = app.signed_in("zoe@example.com", PASSWORD).await;
    let change = |current: &str, new: &str, confirm: &str| {
        let body = json!({ "current_password": current, "new_password": new, "confirm_password": confirm });
        let token = here.access_token.clone();
        async move {
            app.post_json("/api/auth/change-password", &body, Some(&token))
                .await
        }
    };
    let next = "Amber-Canyon-River-77";

    problem(
        change("Wrong-Password-123", next, next).await,
        401,
        "invalid_credentials",
    )
    .await;
    problem(
        change(PASSWORD, next, "Amber-Canyon-River-78").await,
        400,
        "password_mismatch",
    )
    .await;
    problem(change(PASSWORD, "weak", "weak").await, 400, "weak_password").await;
    problem(
        change(PASSWORD, PASSWORD, PASSWORD).await,
        400,
        "password_reused",
    )
    .await;

    let response = change(PASSWORD, next, next).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.get_authed("/api/auth/me", &here.access_token)
            .await
            .status(),
        200
    );
    problem(
        app.get_authed("/api/auth/me", &elsewhere.access_token)
            .await,
        401,
        "invalid_token",
    )
    .await;
    problem(
        app.login("zoe@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    app.signed_in("zoe@example.com", next).await;

    // The password before is still remembered.
    problem(
        change(next, PASSWORD, PASSWORD).await,
        400,
        "password_reused",
    )
    .await;
}

async fn activity_lists_own_events_newest_first_in_pages(app: TestApp) {
    let tokens = app.signed_up("abby").await;
    app.login("abby@example.com", "Wrong-Password-123").await;
    app.signed_up("other").await;

    let page: serde_json::Value = app
        .get_authed("/api/auth/activity?limit=2", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["login_failed", "login_succeeded"]);
    let before = page["next_before"].as_i64().unwrap();

    let rest: serde_json::Value = app
        .get_authed(
            &format!("/api/auth/activity?limit=2&before={before}"),
            &tokens.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = rest["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user_registered"], "only the caller's own events");

    problem(
        app.get_authed("/api/auth/activity?limit=lots", &tokens.access_token)
            .await,
        400,
        "invalid_query",
    )
    .await;
}

async fn expired_sessions_are_cleaned_up(app: TestApp) {
    app.signed_up("bert").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    app.state.auth.housekeeping().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    app.clock.advance(chrono::Duration::days(8));
    app.state.auth.housekeeping().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
}

async fn audit_log_and_details_hold_no_secrets(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let tokens = app.signed_up("cleo").await;
    app.login("cleo@example.com", "Wrong-Password-123").await;
    let refreshed = app.refresh(&tokens.refresh_token).await;
    assert_eq!(refreshed.status(), 200);
    app.refresh(&tokens.refresh_token).await;

    let db = &app.state.db;
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT action, details, user_agent FROM audit_log",
        ))
        .await
        .unwrap();
    let actions: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "action").unwrap())
        .collect();
    for expected in [
        "user_registered",
        "login_succeeded",
        "login_failed",
        "refresh_token_reused",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    let everything = format!("{:?}", rows);
    for secret in [
        PASSWORD,
        "Wrong-Password-123",
        &tokens.refresh_token,
        &tokens.access_token,
    ] {
        assert!(!everything.contains(secret), "audit log leaks a secret");
    }
}
