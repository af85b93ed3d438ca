//! What the server writes to its log never contains a password or a token
//! (ASVS 7.1.1): the real binary, production JSON logs at debug level, a full
//! sign-in round trip, then the whole log is searched. In development, and
//! only there, each email kept in the mailbox is logged with its link.

use std::{
    io::Read,
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::json;

use crate::{
    helpers::{random_secret, PASSWORD},
    server_binary,
};

#[tokio::test]
async fn no_password_or_token_reaches_the_log() {
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
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "server came up");

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
    tokio::time::sleep(Duration::from_millis(500)).await;

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let mut log = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    child.wait().unwrap();

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
    ] {
        assert!(!log.contains(secret), "the log contains a secret");
    }
    assert!(
        log.contains("email kept in the email_outbox table"),
        "the worker handled the queued emails:\n{log}"
    );
    assert!(!log.contains("token="), "the log contains an emailed link");
    // Nor a recognisable fragment of one (a JWT signature, say).
    let signature = access.rsplit('.').next().unwrap();
    assert!(!log.contains(signature));
}

/// Development keeps emails in the mailbox (no SMTP server) and logs each
/// one with its body, so a developer can follow the link from the terminal.
#[tokio::test]
async fn development_logs_each_mailbox_email_with_its_link() {
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
    let mut registered = None;
    for _ in 0..200 {
        if let Ok(response) = client
            .post(format!("{base}/api/auth/register"))
            .json(&json!({ "email": "dev@example.com", "username": "developer", "password": PASSWORD }))
            .send()
            .await
        {
            registered = Some(response.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(registered, Some(reqwest::StatusCode::CREATED));

    // The worker picks the verification email up; its log entry names the
    // recipient, and the body that follows carries the link (an upper bound
    // on the wait, not a timing test).
    let link = format!("{base}/verify-email?token=");
    let entry = tokio::task::spawn_blocking(move || {
        let mut entry: Vec<String> = Vec::new();
        while let Ok(line) = lines.recv_timeout(Duration::from_secs(30)) {
            if entry.is_empty() && !line.contains("development mailbox (also at /dev/mailbox)") {
                continue;
            }
            let done = line.contains(&link);
            entry.push(line);
            if done {
                break;
            }
        }
        entry
    })
    .await
    .unwrap();
    let entry = entry.join("\n");
    assert!(entry.contains("to=dev@example.com"), "{entry}");
    assert!(entry.contains("verify-email?token="), "{entry}");
    assert!(!entry.contains(PASSWORD));

    child.kill().unwrap();
    child.wait().unwrap();
}
