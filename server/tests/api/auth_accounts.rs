//! Registration, login, lockout and the password rules, over HTTP.

use serde_json::json;

use crate::helpers::{problem, TestApp, PASSWORD};

crate::backend_tests!(
    register_sign_in_and_read_the_profile,
    every_failed_policy_rule_is_reported,
    duplicates_conflict_case_insensitively,
    malformed_input_gets_clear_4xx_errors,
    hostile_strings_never_cause_a_500,
    unknown_email_and_wrong_password_look_the_same,
    five_failures_lock_the_account_until_the_clock_moves_on,
    concurrent_failures_lock_exactly_once,
    a_success_resets_the_failure_count,
    legacy_pbkdf2_hashes_are_upgraded_at_login,
    long_passwords_work_and_are_never_truncated,
    unicode_passwords_are_normalised,
    same_password_gets_different_hashes,
);

async fn register_sign_in_and_read_the_profile(app: TestApp) {
    let response = app.register("  Ada@Example.com ", "Ada_L", PASSWORD).await;
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["email"], "Ada@Example.com");
    assert_eq!(body["username"], "Ada_L");
    let user_id = body["user_id"].as_str().unwrap().to_string();

    // Emails compare case-insensitively.
    let tokens = app.signed_in("ada@EXAMPLE.com", PASSWORD).await;
    assert_eq!(tokens.token_type, "bearer");
    assert_eq!(tokens.expires_in, 15 * 60);

    let me = app.get_authed("/api/auth/me", &tokens.access_token).await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["id"], user_id.as_str());
    assert_eq!(me["roles"], json!(["viewer"]));
    assert_eq!(me["is_active"], true);
    assert_eq!(me["totp_enabled"], false);
    assert!(me["last_login"].is_string());
    assert!(me["created_at"].as_str().unwrap().ends_with('Z'));
}

async fn every_failed_policy_rule_is_reported(app: TestApp) {
    let body = problem(
        app.register("weak@example.com", "weakling", "short").await,
        400,
        "weak_password",
    )
    .await;
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "too_short",
            "missing_uppercase",
            "missing_digit",
            "missing_special"
        ]
    );
    assert!(body["errors"][0]["message"].is_string());
    assert_eq!(body["errors"][0]["field"], "password");

    for common in ["Password123!", "Qwertyuiop2024#"] {
        let body = problem(
            app.register("weak@example.com", "weakling", common).await,
            400,
            "weak_password",
        )
        .await;
        assert_eq!(body["errors"][0]["code"], "common_password", "{common}");
    }
    let body = problem(
        app.register("margaret@example.com", "maggie", "Margaret-Rocks-99")
            .await,
        400,
        "weak_password",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "contains_personal_info");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        0,
        "nothing was created"
    );
}

async fn duplicates_conflict_case_insensitively(app: TestApp) {
    assert_eq!(
        app.register("grace@example.com", "grace", PASSWORD)
            .await
            .status(),
        201
    );
    problem(
        app.register("GRACE@example.com", "other", PASSWORD).await,
        409,
        "email_taken",
    )
    .await;
    problem(
        app.register("new@example.com", "GRACE", PASSWORD).await,
        409,
        "username_taken",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

async fn malformed_input_gets_clear_4xx_errors(app: TestApp) {
    let body = problem(
        app.register("not-an-email", "x", PASSWORD).await,
        400,
        "validation_error",
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "username"]);

    let raw = |body: &'static str, content_type: Option<&'static str>| {
        let mut request = app.client.post(app.url("/api/auth/register")).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    problem(
        raw("{", Some("application/json")).await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    problem(
        raw(
            r#"{"email": 5, "username": "u", "password": "p"}"#,
            Some("application/json"),
        )
        .await
        .unwrap(),
        422,
        "invalid_body",
    )
    .await;
    problem(
        raw(r#"{"email": "a@b.c"}"#, Some("application/json"))
            .await
            .unwrap(),
        422,
        "invalid_body",
    )
    .await;
    problem(
        raw("{}", None).await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;

    // Just over the 64 KiB limit: the whole body fits in the socket buffers,
    // so the client reads the problem+json answer.
    let over = json!({ "email": "a@b.c", "username": "abc", "password": "x".repeat(70 * 1024) });
    problem(
        app.post_json("/api/auth/register", &over, None).await,
        413,
        "payload_too_large",
    )
    .await;
    // A 5 MB body is refused as soon as the limit is passed: the client
    // declares it, sends the first 100 KB and reads the answer (a full
    // upload would race the server closing the connection).
    let answer = oversized_upload(&app, 5 * 1024 * 1024, 100 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

async fn hostile_strings_never_cause_a_500(app: TestApp) {
    let hostile = [
        "' OR '1'='1",
        "\"; DROP TABLE users; --",
        "a\u{0}b@example.com",
        "💥".repeat(400).leak() as &str,
        "\u{202e}evil@example.com",
        "%00%27",
    ];
    for value in hostile {
        for response in [
            app.register(value, value, value).await,
            app.register(&format!("{}@example.com", value.len()), value, PASSWORD)
                .await,
            app.login(value, value).await,
        ] {
            let status = response.status().as_u16();
            assert!((400..500).contains(&status), "{value:?} gave {status}");
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

async fn unknown_email_and_wrong_password_look_the_same(app: TestApp) {
    app.signed_up("henry").await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    let wrong = app.login("henry@example.com", "Wrong-Password-123").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.headers()["www-authenticate"], "Bearer");
    let (unknown, wrong): (serde_json::Value, serde_json::Value) =
        (unknown.json().await.unwrap(), wrong.json().await.unwrap());
    assert_eq!(unknown, wrong);
    assert_eq!(unknown["code"], "invalid_credentials");
}

async fn five_failures_lock_the_account_until_the_clock_moves_on(app: TestApp) {
    app.signed_up("ivy").await;
    for _ in 0..4 {
        problem(
            app.login("ivy@example.com", "Wrong-Password-123").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    let fifth = app.login("ivy@example.com", "Wrong-Password-123").await;
    let retry_after: u64 = fifth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((29 * 60..=30 * 60).contains(&retry_after), "{retry_after}");
    let body = problem(fifth, 429, "account_locked").await;
    assert!(
        body["detail"].as_str().unwrap().contains("30 more minutes"),
        "{body}"
    );

    // Locked even with the right password.
    problem(
        app.login("ivy@example.com", PASSWORD).await,
        429,
        "account_locked",
    )
    .await;

    app.clock.advance(chrono::Duration::minutes(31));
    app.signed_in("ivy@example.com", PASSWORD).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'account_locked'")
            .await,
        1
    );
}

async fn concurrent_failures_lock_exactly_once(app: TestApp) {
    app.signed_up("jack").await;
    // Bursts until the lock: an account has at most 2 hashes in flight, so
    // one burst may be mostly refused at once (429 `hashing_busy`).
    let mut refused = 0;
    let mut locked = false;
    // Small bursts: the per-IP budget (60 a minute) covers eight of them.
    for _ in 0..8 {
        let attempts = (0..6).map(|_| app.login("jack@example.com", "Wrong-Password-123"));
        for response in futures::future::join_all(attempts).await {
            match response.status().as_u16() {
                401 => refused += 1,
                429 => {
                    let body: serde_json::Value = response.json().await.unwrap();
                    let code = body["code"].as_str().unwrap().to_string();
                    assert!(["account_locked", "hashing_busy"].contains(&code.as_str()));
                    locked |= code == "account_locked";
                }
                other => panic!("unexpected {other}"),
            }
        }
        if locked {
            break;
        }
    }
    assert!(locked && refused <= 4, "locked {locked}, refused {refused}");

    assert_eq!(
        app.count("SELECT MAX(failed_login_attempts) FROM users")
            .await,
        5,
        "the count never exceeds the limit"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'account_locked'")
            .await,
        1,
        "locked exactly once"
    );
}

async fn a_success_resets_the_failure_count(app: TestApp) {
    app.signed_up("kate").await;
    for _ in 0..4 {
        app.login("kate@example.com", "Wrong-Password-123").await;
    }
    app.signed_in("kate@example.com", PASSWORD).await;
    assert_eq!(
        app.count("SELECT MAX(failed_login_attempts) FROM users")
            .await,
        0
    );
    for _ in 0..4 {
        problem(
            app.login("kate@example.com", "Wrong-Password-123").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
}

async fn legacy_pbkdf2_hashes_are_upgraded_at_login(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    app.signed_up("liam").await;
    let legacy = app::auth::password::hashing::legacy_pbkdf2_hash("Legacy-Scheme-Pass-7");
    let db = &app.state.db;
    db.execute(Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "UPDATE users SET password_hash = $1",
            _ => "UPDATE users SET password_hash = ?",
        },
        [legacy.into()],
    ))
    .await
    .unwrap();

    problem(
        app.login("liam@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    app.signed_in("liam@example.com", "Legacy-Scheme-Pass-7")
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE password_hash LIKE '$argon2id$%'")
            .await,
        1,
        "re-hashed to Argon2id"
    );
    app.signed_in("liam@example.com", "Legacy-Scheme-Pass-7")
        .await;
}

async fn long_passwords_work_and_are_never_truncated(app: TestApp) {
    let long = format!("Long-{}-9", "a".repeat(57));
    assert_eq!(long.len(), 64);
    assert_eq!(
        app.register("mia@example.com", "mia", &long).await.status(),
        201
    );
    app.signed_in("mia@example.com", &long).await;
    problem(
        app.login("mia@example.com", &long[..63]).await,
        401,
        "invalid_credentials",
    )
    .await;

    let too_long = format!("A1!{}", "b".repeat(1100));
    let body = problem(
        app.login("mia@example.com", &too_long).await,
        400,
        "validation_error",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "too_long");
}

async fn unicode_passwords_are_normalised(app: TestApp) {
    let composed = "P\u{e4}ssw\u{f6}rd \u{dc}mlaut 12!";
    let decomposed = "Pa\u{308}sswo\u{308}rd U\u{308}mlaut 12!";
    assert_eq!(
        app.register("nora@example.com", "nora", composed)
            .await
            .status(),
        201
    );
    app.signed_in("nora@example.com", decomposed).await;
}

async fn same_password_gets_different_hashes(app: TestApp) {
    app.signed_up("olga").await;
    app.signed_up("pete").await;
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT password_hash) FROM users")
            .await,
        2
    );
}

/// Declares a body of `declared` bytes, sends `sent` of them, returns the
/// start of the response.
async fn oversized_upload(app: &TestApp, declared: usize, sent: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/auth/register HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream.write_all(&vec![b' '; sent]).await;
    let mut response = Vec::new();
    let read = stream.read_to_end(&mut response);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
    String::from_utf8_lossy(&response).to_string()
}
