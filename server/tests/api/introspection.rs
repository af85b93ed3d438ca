//! Token introspection (RFC 7662) over HTTP: only a registered resource
//! server may ask (a refusal is a 401, audited, and rate limited per IP);
//! an active token is described as it is now, and a signed-out session's
//! token, a revoked or expired API token and anything else are
//! `{"active": false}` at once. Administrators and the operator manage the
//! resource servers.

use std::sync::Arc;

use app::{auth::clock::Clock, config::Config};
use chrono::Duration;
use serde_json::{json, Value};
use server::cli::{run_admin_with_clock, AdminCommand, ResourceServersCommand};

use crate::{
    api_tokens::{audit_rows, made_token},
    helpers::{problem, TestApp},
    rate_limits::app_with,
};

crate::backend_tests!(
    only_a_registered_resource_server_may_introspect,
    an_access_token_is_described_and_is_inactive_once_its_session_ends,
    an_api_token_is_described_with_the_scope_its_owner_still_holds,
    anything_that_is_not_an_active_token_is_only_inactive,
    administrators_register_list_and_revoke_resource_servers,
);

const INTROSPECT: &str = "/api/oauth/introspect";

#[derive(Clone)]
struct ResourceServer {
    client_id: String,
    client_secret: String,
}

/// A resource server registered through the admin API by `admin`.
async fn registered(app: &TestApp, admin: &str, name: &str) -> ResourceServer {
    let response = app
        .post_json(
            "/api/admin/resource-servers",
            &json!({ "name": name }),
            Some(admin),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    ResourceServer {
        client_id: body["info"]["client_id"].as_str().unwrap().into(),
        client_secret: body["client_secret"].as_str().unwrap().into(),
    }
}

async fn introspect_from(
    app: &TestApp,
    server: Option<&ResourceServer>,
    token: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(INTROSPECT))
        .form(&[("token", token)]);
    if let Some(server) = server {
        request = request.basic_auth(&server.client_id, Some(&server.client_secret));
    }
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.unwrap()
}

async fn introspected(app: &TestApp, server: &ResourceServer, token: &str) -> Value {
    let response = introspect_from(app, Some(server), token, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn only_a_registered_resource_server_may_introspect(app: TestApp) {
    let admin = app.signed_in_admin("ada").await;
    let server = registered(&app, &admin.access_token, "billing").await;
    let token = &admin.access_token;

    let response = introspect_from(&app, None, token, None).await;
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Basic realm="gatehouse""#
    );
    problem(response, 401, "invalid_client").await;
    let wrong_secret = ResourceServer {
        client_secret: format!("{}x", server.client_secret),
        ..server.clone()
    };
    let response = introspect_from(&app, Some(&wrong_secret), token, None).await;
    problem(response, 401, "invalid_client").await;
    let unknown = ResourceServer {
        client_id: uuid::Uuid::new_v4().to_string(),
        ..server.clone()
    };
    let response = introspect_from(&app, Some(&unknown), token, None).await;
    problem(response, 401, "invalid_client").await;
    let not_an_id = ResourceServer {
        client_id: "billing".into(),
        ..server.clone()
    };
    let response = introspect_from(&app, Some(&not_an_id), token, None).await;
    problem(response, 401, "invalid_client").await;
    // A user's own access token is no client credential either.
    let response = app
        .client
        .post(app.url(INTROSPECT))
        .bearer_auth(token)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    problem(response, 401, "invalid_client").await;

    let reasons: Vec<Value> = audit_rows(&app, "introspection_refused")
        .await
        .into_iter()
        .map(|row| row.details["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        [
            "no_credentials",
            "invalid_client",
            "invalid_client",
            "invalid_client",
            "no_credentials"
        ]
        .map(Value::from)
    );
    let audited = format!("{:?}", audit_rows(&app, "introspection_refused").await);
    assert!(
        !audited.contains(&server.client_secret[14..]),
        "no secret in the audit log"
    );

    // The credentials in the form body (client_secret_post) work too.
    let response = app
        .client
        .post(app.url(INTROSPECT))
        .form(&[
            ("token", token.as_str()),
            ("client_id", &server.client_id),
            ("client_secret", &server.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["active"], true);

    let response = app
        .client
        .post(app.url(INTROSPECT))
        .basic_auth(&server.client_id, Some(&server.client_secret))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    problem(response, 415, "unsupported_media_type").await;
    let response = app
        .client
        .post(app.url(INTROSPECT))
        .basic_auth(&server.client_id, Some(&server.client_secret))
        .form(&[("nothing", "here")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn an_access_token_is_described_and_is_inactive_once_its_session_ends(app: TestApp) {
    let admin = app.signed_in_admin("bea").await;
    let server = registered(&app, &admin.access_token, "reports").await;
    let user = app.signed_up("cyra").await;
    let (_, claims) = crate::token_algorithms::parts(&user.access_token);

    let described = introspected(&app, &server, &user.access_token).await;
    assert_eq!(described["active"], true);
    assert_eq!(described["token_type"], "access_token");
    assert_eq!(described["sub"], claims["sub"]);
    assert_eq!(described["sid"], claims["sid"]);
    assert_eq!(described["exp"], claims["exp"]);
    assert_eq!(described["username"], "cyra");
    assert_eq!(described["roles"], json!(["viewer"]));
    assert_eq!(
        described["scope"], "content:read profile:read",
        "the viewer's permissions"
    );
    let admins = introspected(&app, &server, &admin.access_token).await;
    let scope = admins["scope"].as_str().unwrap();
    for permission in ["profile:read", "users:read", "users:write", "audit:read"] {
        assert!(
            scope.split(' ').any(|s| s == permission),
            "{permission} in {scope}"
        );
    }

    let response = app
        .post_json("/api/auth/logout", &json!({}), Some(&user.access_token))
        .await;
    assert_eq!(response.status(), 200);
    let after = introspected(&app, &server, &user.access_token).await;
    assert_eq!(
        after,
        json!({ "active": false }),
        "inactive at once, nothing else said"
    );

    // An administrator ends every session of an account: its tokens are
    // inactive at once.
    let other = app.signed_up("dee").await;
    let id = app
        .state
        .auth
        .find_user_by_email("dee@example.com")
        .await
        .unwrap()
        .id;
    let response = app
        .post_json(
            &format!("/api/admin/users/{id}/revoke-sessions"),
            &json!({}),
            Some(&admin.access_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    let after = introspected(&app, &server, &other.access_token).await;
    assert_eq!(after, json!({ "active": false }));
}

async fn an_api_token_is_described_with_the_scope_its_owner_still_holds(app: TestApp) {
    let admin = app.signed_in_admin("eve").await;
    let server = registered(&app, &admin.access_token, "ci").await;
    let created = made_token(
        &app,
        &admin.access_token,
        "deploy",
        &["profile:read", "users:read"],
    )
    .await;
    let token = created["token"].as_str().unwrap();

    let described = introspected(&app, &server, token).await;
    assert_eq!(described["active"], true);
    assert_eq!(described["token_type"], "api_token");
    assert_eq!(described["scope"], "profile:read users:read");
    assert_eq!(described["username"], "eve");
    assert_eq!(described["jti"], created["info"]["id"]);
    assert!(described.get("sid").is_none(), "{described}");

    app.signed_in_admin("eve-peer").await; // the last administrator stays
    app.set_roles_of("eve", &["viewer"]).await;
    let demoted = introspected(&app, &server, token).await;
    assert_eq!(
        demoted["scope"], "profile:read",
        "only what the owner still holds"
    );

    let signed_in = app
        .signed_in("eve@example.com", crate::helpers::PASSWORD)
        .await;
    let id = created["info"]["id"].as_str().unwrap();
    let revoked = app
        .client
        .delete(app.url(&format!("/api/auth/tokens/{id}")))
        .bearer_auth(&signed_in.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        introspected(&app, &server, token).await,
        json!({ "active": false })
    );
}

async fn anything_that_is_not_an_active_token_is_only_inactive(app: TestApp) {
    let admin = app.signed_in_admin("fay").await;
    let server = registered(&app, &admin.access_token, "audit").await;
    let inactive = json!({ "active": false });
    let expired_later = app.signed_up("gil").await;
    for token in [
        "",
        "   ",
        "not.a.token",
        "gatehouse_pat_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        expired_later.refresh_token.as_str(),
        "x".repeat(10_000).as_str(),
    ] {
        assert_eq!(
            introspected(&app, &server, token).await,
            inactive,
            "{token:.20}"
        );
    }
    app.clock.advance(Duration::hours(1));
    assert_eq!(
        introspected(&app, &server, &expired_later.access_token).await,
        inactive,
        "an expired access token"
    );
}

async fn administrators_register_list_and_revoke_resource_servers(app: TestApp) {
    let admin = app.signed_in_admin("hal").await;
    let viewer = app.signed_up("ivy").await;
    let response = app
        .post_json(
            "/api/admin/resource-servers",
            &json!({ "name": "x" }),
            Some(&viewer.access_token),
        )
        .await;
    problem(response, 403, "forbidden").await;
    let response = app
        .post_json(
            "/api/admin/resource-servers",
            &json!({ "name": " " }),
            Some(&admin.access_token),
        )
        .await;
    problem(response, 400, "validation_error").await;

    let server = registered(&app, &admin.access_token, "warehouse").await;
    assert!(server.client_secret.starts_with("gatehouse_rs_"));
    let listed = app
        .get_authed("/api/admin/resource-servers", &admin.access_token)
        .await;
    assert_eq!(listed.status(), 200);
    let listed = listed.text().await.unwrap();
    assert!(
        !listed.contains(&server.client_secret),
        "a secret is shown once"
    );
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["client_id"], server.client_id.as_str());
    assert_eq!(listed[0]["name"], "warehouse");
    assert_eq!(listed[0]["last_used_at"], Value::Null);
    introspected(&app, &server, &admin.access_token).await;
    let listed: Value = app
        .get_authed("/api/admin/resource-servers", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed[0]["last_used_at"].is_string(), "its use is recorded");

    let revoke = || {
        app.client
            .delete(app.url(&format!("/api/admin/resource-servers/{}", server.client_id)))
            .bearer_auth(&admin.access_token)
            .send()
    };
    assert_eq!(revoke().await.unwrap().status(), 204);
    problem(revoke().await.unwrap(), 404, "not_found").await;
    let response = introspect_from(&app, Some(&server), &admin.access_token, None).await;
    problem(response, 401, "invalid_client").await;
    assert_eq!(audit_rows(&app, "resource_server_created").await.len(), 1);
    assert_eq!(audit_rows(&app, "resource_server_revoked").await.len(), 1);

    // The operator does the same from the shell, with no account.
    let clock: Arc<dyn Clock> = Arc::new(app.clock.clone());
    let run = |command| {
        let config = Config::from_lookup(|name| app.vars.get(name).cloned()).unwrap();
        run_admin_with_clock(
            config,
            clock.clone(),
            AdminCommand::ResourceServers(command),
        )
    };
    let printed = run(ResourceServersCommand::Create {
        name: "shell".into(),
    })
    .await
    .unwrap();
    let secret = printed
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .expect("the secret is printed")
        .trim()
        .to_string();
    let client_id = printed
        .lines()
        .find_map(|line| line.strip_prefix("client_id:"))
        .unwrap()
        .trim()
        .to_string();
    let shell = ResourceServer {
        client_id: client_id.clone(),
        client_secret: secret,
    };
    assert_eq!(
        introspected(&app, &shell, &admin.access_token).await["active"],
        true
    );
    let listing = run(ResourceServersCommand::List).await.unwrap();
    assert!(
        listing.contains(&client_id) && listing.contains("shell"),
        "{listing}"
    );
    assert!(!listing.contains(&shell.client_secret));
    run(ResourceServersCommand::Revoke {
        client_id: client_id.clone(),
    })
    .await
    .unwrap();
    let again = run(ResourceServersCommand::Revoke { client_id }).await;
    assert!(again.unwrap_err().contains("no registered resource server"));
    let response = introspect_from(&app, Some(&shell), &admin.access_token, None).await;
    problem(response, 401, "invalid_client").await;
}

/// Refusals from one address: the first `RATE_LIMIT_PER_MINUTE` are 401
/// and audited, the rest of the burst 429 and not written; once the
/// address has spent its introspection budget, even the right credentials
/// from it wait, while another address is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_client_secret_is_rate_limited_per_address() {
    let app = app_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("RATE_LIMIT_PER_MINUTE", "10"),
        ("RATE_LIMIT_INTROSPECTION_PER_MINUTE", "20"),
    ])
    .await;
    let admin = app.signed_in_admin("joan").await;
    let server = registered(&app, &admin.access_token, "target").await;
    let guess = ResourceServer {
        client_secret: "gatehouse_rs_guess".into(),
        ..server.clone()
    };
    let attacker = Some("203.0.113.9");

    let burst = (0..16).map(|_| introspect_from(&app, Some(&guess), &admin.access_token, attacker));
    let statuses: Vec<u16> = futures::future::join_all(burst)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        6,
        "{statuses:?}"
    );
    assert_eq!(audit_rows(&app, "introspection_refused").await.len(), 10);

    for _ in 0..4 {
        let response = introspect_from(&app, Some(&guess), &admin.access_token, attacker).await;
        assert_eq!(response.status(), 429);
    }
    let right = introspect_from(&app, Some(&server), &admin.access_token, attacker).await;
    assert!(right.headers().contains_key("retry-after"));
    problem(right, 429, "rate_limited").await;
    let elsewhere = introspect_from(
        &app,
        Some(&server),
        &admin.access_token,
        Some("198.51.100.4"),
    )
    .await;
    assert_eq!(elsewhere.status(), 200);
}

/// One resource server's budget, whatever addresses it asks from: a
/// concurrent burst gets exactly the budget, and the next request waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_resource_server_has_its_own_budget() {
    let app = app_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("RATE_LIMIT_INTROSPECTION_PER_MINUTE", "5"),
    ])
    .await;
    let admin = app.signed_in_admin("kit").await;
    let busy = registered(&app, &admin.access_token, "busy").await;
    let calm = registered(&app, &admin.access_token, "calm").await;
    let addresses: Vec<String> = (1..=8).map(|n| format!("198.51.100.{n}")).collect();
    let burst = addresses
        .iter()
        .map(|ip| introspect_from(&app, Some(&busy), &admin.access_token, Some(ip)));
    let statuses: Vec<u16> = futures::future::join_all(burst)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
    let late = introspect_from(
        &app,
        Some(&busy),
        &admin.access_token,
        Some("198.51.100.99"),
    )
    .await;
    problem(late, 429, "rate_limited").await;
    let other = introspect_from(
        &app,
        Some(&calm),
        &admin.access_token,
        Some("198.51.100.98"),
    )
    .await;
    assert_eq!(other.status(), 200);
}
