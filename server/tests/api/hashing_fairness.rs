//! The password-hashing queue under a flood: one account's burst is refused
//! (429 `hashing_busy`, or 503 `overloaded` when the whole queue is full)
//! with `Retry-After`, while another account still signs in. That a refusal
//! comes at once, before any waiting, is the queue's unit test
//! (`a_full_queue_refuses_at_once`): admission answers before a hash is
//! queued, so no clock is needed here.

use serde_json::json;

use crate::helpers::{problem, Backend, TestApp, PASSWORD};

const FLOOD: usize = 40;

async fn app(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |vars| {
        // The other account's sign-in comes from another client address,
        // through a trusted proxy; the per-IP request budget is out of the
        // way so only the hashing queue answers.
        vars.insert("TRUSTED_PROXIES".into(), "127.0.0.1/32".into());
        vars.insert("RATE_LIMIT_PER_MINUTE".into(), "100000".into());
        // No lockout in the way of the bursts.
        vars.insert("MAX_LOGIN_ATTEMPTS".into(), "100".into());
    })
    .await
}

async fn a_flood_from_one_account_does_not_keep_others_out(app: TestApp) {
    let flooder = app.signed_up("flora").await;
    app.signed_up("otto").await;

    let body = json!({
        "current_password": "Not-The-Password-1",
        "new_password": "Another-Garden-Path-77",
        "confirm_password": "Another-Garden-Path-77",
    });
    let flood = (0..FLOOD).map(|_| {
        app.post_json(
            "/api/auth/change-password",
            &body,
            Some(&flooder.access_token),
        )
    });
    let other = async {
        let body = json!({ "email": "otto@example.com", "password": PASSWORD });
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", "198.51.100.7")
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let (answers, other) = tokio::join!(futures::future::join_all(flood), other);

    assert_eq!(other.status(), 200, "the other account signs in");
    let mut refused = 0;
    for response in answers {
        let status = response.status().as_u16();
        if status == 401 {
            continue; // evaluated: the current password is wrong
        }
        refused += 1;
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after >= 1);
        let code = if status == 503 {
            "overloaded"
        } else {
            "hashing_busy"
        };
        problem(response, status, code).await;
    }
    // At most PER_ACCOUNT (2) hashes of the account are admitted at once.
    assert!(
        refused >= FLOOD / 2,
        "only {refused} of {FLOOD} were refused"
    );
}

/// The per-account cap of a sign-in is keyed by the address it names, so
/// an address without an account is capped the same way: otherwise a
/// refused third guess would tell that an account exists.
async fn an_unknown_address_is_capped_like_a_known_one(app: TestApp) {
    app.signed_up("kim").await;
    for email in ["kim@example.com", "nobody@example.com"] {
        let burst = (0..12).map(|n| {
            let body = json!({ "email": email, "password": "Wrong-Password-123" });
            app.client
                .post(app.url("/api/auth/login"))
                // A different client address for each: only the account cap applies.
                .header("x-forwarded-for", format!("198.51.100.{}", n + 10))
                .json(&body)
                .send()
        });
        let mut busy = 0;
        for response in futures::future::join_all(burst).await {
            let response = response.unwrap();
            if response.status() == 429 {
                problem(response, 429, "hashing_busy").await;
                busy += 1;
            } else {
                problem(response, 401, "invalid_credentials").await;
            }
        }
        assert!(busy >= 1, "{email}: no sign-in of the burst was refused");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_unknown_address_is_capped_like_a_known_one() {
    an_unknown_address_is_capped_like_a_known_one(app(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_unknown_address_is_capped_like_a_known_one() {
    if let Some(app) = app(Backend::Postgres).await {
        an_unknown_address_is_capped_like_a_known_one(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_flood_from_one_account_does_not_keep_others_out() {
    a_flood_from_one_account_does_not_keep_others_out(app(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_flood_from_one_account_does_not_keep_others_out() {
    if let Some(app) = app(Backend::Postgres).await {
        a_flood_from_one_account_does_not_keep_others_out(app).await;
    }
}
