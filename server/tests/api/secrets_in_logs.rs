//! What the server writes to its log never contains a password or a token
//! (ASVS 7.1.1): the real binary, production JSON logs at debug level, a full
//! sign-in round trip, then the whole log is searched; a service method's
//! lines carry its span with the user and session ids. In development, and
//! only there, each email kept in the mailbox is logged with its link.

use std::process::{Command, Stdio};

use serde_json::json;

use crate::{
    helpers::{random_secret, PASSWORD},
    server_binary,
    test_times::Stopwatch,
    wait,
};

/// Waits until the server at `base` answers `/readyz`.
async fn ready(client: &reqwest::Client, base: &str) {
    wait::until("the server answers /readyz", async || {
        match client.get(format!("{base}/readyz")).send().await {
            Ok(response) if response.status() == 200 => Ok(()),
            Ok(response) => Err(response.status().to_string()),
            Err(error) => Err(error.to_string()),
        }
    })
    .await;
}

#[tokio::test]
async fn no_password_or_token_reaches_the_log() {
    let _stopwatch = Stopwatch::start("binary");
    let dir = tempfile::tempdir().unwrap();
    let port = server_binary::free_port();
    let mut child = server_binary::command(dir.path())
        .env("ENVIRONMENT", "production")
        .env("RUST_LOG", "debug")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("JWT_SECRET_KEY", random_secret(48))
        .env("DATABASE_ENCRYPTION_KEY", random_secret(32))
        .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = server_binary::output_lines(&mut child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    ready(&client, &base).await;

    let post = |path: &str, body: serde_json::Value, token: Option<String>| {
        let mut request = client.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let registered = post(
        "/api/auth/register",
        json!({ "email": "log@example.com", "username": "logger", "password": PASSWORD }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(registered.status(), 201);
    let wrong = post(
        "/api/auth/login",
        json!({ "email": "log@example.com", "password": "Not-The-Password-1" }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), 401);
    let tokens: serde_json::Value = post(
        "/api/auth/login",
        json!({ "email": "log@example.com", "password": PASSWORD }),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let me = client
        .get(format!("{base}/api/auth/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let rotated: serde_json::Value = post(
        "/api/auth/refresh",
        json!({ "refresh_token": refresh }),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    post(
        "/api/auth/refresh",
        json!({ "refresh_token": refresh }),
        None,
    )
    .await
    .unwrap();
    // (The replayed refresh token ended that session; a new one signs out.)
    let second: serde_json::Value = post(
        "/api/auth/login",
        json!({ "email": "log@example.com", "password": PASSWORD }),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let second_access = second["access_token"].as_str().unwrap().to_string();
    let logout = post("/api/auth/logout", json!({}), Some(second_access.clone()))
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    // A reset email (and the verification email of the registration) go
    // through the outbox worker, which must not log their links.
    let forgot = post(
        "/api/auth/forgot-password",
        json!({ "email": "log@example.com" }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(forgot.status(), 202);
    // Both emails handled, then the rest of the log up to the server's exit.
    let mut log = Vec::new();
    server_binary::read_until(&lines, &mut log, "both emails handled", |log| {
        log.iter()
            .filter(|line| line.contains("email kept in the email_outbox table"))
            .count()
            >= 2
    });
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    log.extend(lines.iter());
    child.wait().unwrap();
    let log = log.join("\n");

    assert!(
        log.contains("security event"),
        "the log has the audit lines:\n{log}"
    );
    let new_refresh = rotated["refresh_token"].as_str().unwrap();
    for secret in [
        PASSWORD,
        "Not-The-Password-1",
        &access,
        &refresh,
        new_refresh,
        &second_access,
    ] {
        assert!(!log.contains(secret), "the log contains a secret");
    }
    assert!(
        log.contains("email kept in the email_outbox table"),
        "the worker handled the queued emails:\n{log}"
    );
    assert!(!log.contains("token="), "the log contains an emailed link");
    // A service method's log lines carry its span: who, on which session.
    let claims: serde_json::Value = serde_json::from_slice(
        &data_encoding::BASE64URL_NOPAD
            .decode(second_access.split('.').nth(1).unwrap().as_bytes())
            .unwrap(),
    )
    .unwrap();
    let logout_line: serde_json::Value = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["audit"] == "logout")
        .unwrap_or_else(|| panic!("no logout audit line in:\n{log}"));
    assert_eq!(logout_line["span"]["name"], "logout", "{logout_line}");
    assert_eq!(
        logout_line["span"]["user_id"], claims["sub"],
        "{logout_line}"
    );
    assert_eq!(
        logout_line["span"]["session_id"], claims["sid"],
        "{logout_line}"
    );
    // Nor a recognisable fragment of one (a JWT signature, say).
    let signature = access.rsplit('.').next().unwrap();
    assert!(!log.contains(signature));
}

/// Development keeps emails in the mailbox (no SMTP server) and logs each
/// one with its body, so a developer can follow the link from the terminal.
#[tokio::test]
async fn development_logs_each_mailbox_email_with_its_link() {
    let _stopwatch = Stopwatch::start("binary");
    let dir = tempfile::tempdir().unwrap();
    let port = server_binary::free_port();
    let mut child = server_binary::command(dir.path())
        .env("ENVIRONMENT", "development")
        .env("RUST_LOG", "info")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = server_binary::log_lines(child.stdout.take().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let registered = wait::until("the server takes a registration", async || {
        client
            .post(format!("{base}/api/auth/register"))
            .json(&json!({ "email": "dev@example.com", "username": "developer", "password": PASSWORD }))
            .send()
            .await
            .map(|response| response.status())
            .map_err(|error| error.to_string())
    })
    .await;
    assert_eq!(registered, reqwest::StatusCode::CREATED);

    // The worker picks the verification email up; its log entry names the
    // recipient, and the body that follows carries the link.
    let header = "development mailbox (also at /dev/mailbox)";
    let link = format!("{base}/verify-email?token=");
    let mut log = Vec::new();
    server_binary::read_until(&lines, &mut log, "the email's entry with its link", |log| {
        log.iter()
            .skip_while(|line| !line.contains(header))
            .any(|line| line.contains(&link))
    });
    let entry = log
        .iter()
        .skip_while(|line| !line.contains(header))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(entry.contains("to=dev@example.com"), "{entry}");
    assert!(entry.contains("verify-email?token="), "{entry}");
    assert!(!entry.contains(PASSWORD));

    child.kill().unwrap();
    child.wait().unwrap();
}
