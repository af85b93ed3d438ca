//! The password lockout and the 2FA lock under concurrent bursts: an attempt
//! is reserved before its password is hashed (or its code checked), so a
//! burst evaluates at most the limit, whatever arrives at once, and a right
//! answer evaluated after the lock signs nobody in.
//!
//! Each burst stays under the default per-IP budget (60 a minute), so what
//! refuses the extra guesses is the lock, not the rate limiter.

use futures::future::join_all;
use serde_json::json;

use crate::{
    helpers::{problem, TestApp, PASSWORD},
    pages_auth::browser,
    two_factor::{code, enrolled},
    wait,
};

crate::backend_tests!(
    adjusted by hashing_without_caps;
    a_burst_of_wrong_passwords_with_the_right_one_last_signs_in_nobody,
    the_right_password_in_the_middle_of_a_burst_never_outlives_the_lock,
    a_page_burst_evaluates_at_most_the_limit,
    a_burst_of_wrong_codes_over_several_challenges_evaluates_at_most_five,
    a_burst_of_wrong_current_passwords_locks_the_account,
    a_wrong_password_when_disabling_2fa_counts_toward_the_lock,
    a_wrong_current_password_on_the_page_counts_too,
    an_attempt_the_hasher_cannot_evaluate_is_not_counted,
);

/// These bursts test the lockout's reservation, so every guess may reach
/// the hashing threads at once; the hashing caps, which by default refuse
/// most of such a burst earlier (429 `hashing_busy`), have tests of their
/// own (`hashing_fairness.rs`).
fn hashing_without_caps(vars: &mut std::collections::HashMap<String, String>) {
    for name in [
        "PASSWORD_HASH_QUEUE_PER_THREAD",
        "PASSWORD_HASHES_PER_ACCOUNT",
        "PASSWORD_HASHES_PER_IP",
    ] {
        vars.insert(name.into(), "1000".into());
    }
}

/// `MAX_LOGIN_ATTEMPTS` by default.
const LIMIT: i64 = 5;
const WRONG: &str = "Wrong-Password-123";

async fn count_action(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND user_id IS NOT NULL"
    ))
    .await
}

/// Password checks that failed against the account: sign-ins and
/// re-authentications alike.
async fn evaluated_failures(app: &TestApp) -> i64 {
    count_action(app, "login_failed").await
}

/// Attempts reserved in the current lock window, of the only user: each was
/// (or is being) evaluated.
async fn reserved(app: &TestApp, column: &str) -> i64 {
    app.count(&format!("SELECT MAX({column}) FROM users")).await
}

/// A burst with the right answer in it evaluated exactly the limit: `LIMIT`
/// reserved, of which the wrong ones were audited — all of them, or all
/// but the right answer when it was among the first `LIMIT` (and then
/// refused, because a wrong one locked the account before it finished).
fn assert_limit_evaluated(reserved: i64, failures: i64, limit: i64, statuses: &[u16]) {
    assert_eq!(reserved, limit, "{statuses:?}");
    assert!(
        (limit - 1..=limit).contains(&failures),
        "{failures} failures audited: {statuses:?}"
    );
}

/// Waits (while a burst is in flight) until `limit` attempts are reserved.
async fn once_reserved(app: &TestApp, column: &str, limit: i64) {
    let what = format!("the burst reaches {limit} attempts");
    wait::until(&what, async || match reserved(app, column).await {
        n if n >= limit => Ok(()),
        n => Err(format!("{n} reserved")),
    })
    .await;
}

async fn registered(app: &TestApp, name: &str) -> String {
    let email = format!("{name}@example.com");
    let response = app.register(&email, name, PASSWORD).await;
    assert_eq!(response.status(), 201);
    email
}

/// 30 wrong guesses at once, and the right password sent last, while the
/// burst is still in flight, as soon as the limit is reserved: nobody signs
/// in, exactly the limit is hashed, one lock; the right password afterwards
/// is refused too, until the lock ends.
async fn a_burst_of_wrong_passwords_with_the_right_one_last_signs_in_nobody(app: TestApp) {
    let email = registered(&app, "burst").await;
    let burst = join_all((0..30).map(|_| app.login(&email, WRONG)));
    let last = async {
        once_reserved(&app, "failed_login_attempts", LIMIT).await;
        app.login(&email, PASSWORD).await
    };
    let (mut responses, last) = futures::join!(burst, last);
    responses.push(last);
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_limit_evaluated(
        reserved(&app, "failed_login_attempts").await,
        evaluated_failures(&app).await,
        LIMIT,
        &statuses,
    );
    assert_eq!(count_action(&app, "account_locked").await, 1);
    assert_eq!(count_action(&app, "login_succeeded").await, 0);

    problem(app.login(&email, PASSWORD).await, 429, "account_locked").await;
    app.clock.advance(chrono::Duration::minutes(31));
    app.signed_in(&email, PASSWORD).await;
}

/// The right password among wrong ones, all at once. What must hold: at most
/// one sign-in; it was decided while the account was unlocked (a success
/// whose hash ends after the lock is refused); nobody else signs in; each
/// lock window evaluates at most the limit (a success starts a fresh count,
/// as it does one request at a time, so with a success at most
/// `2 × LIMIT − 1` failures); the account locks at most once, and exactly
/// once when nobody signed in; while it is locked the right password is
/// refused. (When the right password was itself the attempt that reached
/// the limit, it lifts its own lock on success, and the guesses refused
/// meanwhile were never evaluated: then no lock remains, as one request at
/// a time would have it.)
async fn the_right_password_in_the_middle_of_a_burst_never_outlives_the_lock(app: TestApp) {
    let email = registered(&app, "middle").await;
    let passwords = std::iter::repeat_n(WRONG, 15)
        .chain([PASSWORD])
        .chain(std::iter::repeat_n(WRONG, 15));
    let responses = join_all(passwords.map(|password| app.login(&email, password))).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    let signed_in = statuses.iter().filter(|s| **s == 200).count() as i64;
    assert!(
        statuses.iter().all(|s| [200, 401, 429].contains(s)),
        "{statuses:?}"
    );
    assert!(signed_in <= 1, "{statuses:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, signed_in);
    assert_eq!(count_action(&app, "login_succeeded").await, signed_in);
    let failures = evaluated_failures(&app).await;
    if signed_in == 0 {
        let reserved = reserved(&app, "failed_login_attempts").await;
        assert_limit_evaluated(reserved, failures, LIMIT, &statuses);
    } else {
        assert!(failures < 2 * LIMIT, "{failures} {statuses:?}");
    }
    let locks = count_action(&app, "account_locked").await;
    if signed_in == 0 {
        assert_eq!(locks, 1, "{statuses:?}");
    } else {
        assert!(locks <= 1, "{statuses:?}");
    }
    if locks == 1 {
        problem(app.login(&email, PASSWORD).await, 429, "account_locked").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, signed_in);
    }
}

/// The page transport shares the rule: a burst on `/_fn/sign_in` with the
/// right password sent last (once the limit is reserved) opens no browser session and hashes at most the
/// limit.
async fn a_page_burst_evaluates_at_most_the_limit(app: TestApp) {
    let email = registered(&app, "pageburst").await;
    let client = browser();
    let post = |password: &'static str| {
        client
            .post(app.url("/_fn/sign_in"))
            .header("origin", &app.address)
            .header("accept", "text/html")
            .form(&[("email", email.as_str()), ("password", password)])
            .send()
    };
    let burst = join_all((0..30).map(|_| post(WRONG)));
    let last = async {
        once_reserved(&app, "failed_login_attempts", LIMIT).await;
        post(PASSWORD).await
    };
    let (mut responses, last) = futures::join!(burst, last);
    responses.push(last);
    let statuses: Vec<u16> = responses
        .into_iter()
        .map(|response| response.unwrap().status().as_u16())
        .collect();
    assert!(
        statuses.iter().all(|s| (300..500).contains(s)),
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_limit_evaluated(
        reserved(&app, "failed_login_attempts").await,
        evaluated_failures(&app).await,
        LIMIT,
        &statuses,
    );
    assert_eq!(count_action(&app, "account_locked").await, 1);
    problem(app.login(&email, PASSWORD).await, 429, "account_locked").await;
}

/// 32 wrong codes (TOTP and backup) spread over four challenges, the right
/// TOTP sent last, once the limit is reserved: nobody signs in, at most five codes are checked, one
/// lock; a right code after the lock is refused, on a fresh challenge too.
async fn a_burst_of_wrong_codes_over_several_challenges_evaluates_at_most_five(app: TestApp) {
    let user = enrolled(&app, "codes").await;
    let mut challenges = Vec::new();
    for _ in 0..4 {
        challenges.push(challenge(&app, &user.email).await);
    }
    let right = code(&app, &user.secret, 0);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let signed_in_before = count_action(&app, "login_succeeded").await;

    let mut requests = Vec::new();
    for i in 0..32 {
        let challenge = &challenges[i % challenges.len()];
        requests.push(if i % 2 == 0 {
            verify(&app, challenge, "totp", wrong)
        } else {
            verify(&app, challenge, "backup", "ZZZZZZZZ")
        });
    }
    let last = async {
        once_reserved(&app, "totp_failed_attempts", 5).await;
        verify(&app, &challenges[0], "totp", &right).await
    };
    let (mut responses, last) = futures::join!(join_all(requests), last);
    responses.push(last);
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(
        count_action(&app, "login_succeeded").await,
        signed_in_before,
        "{statuses:?}"
    );
    assert_limit_evaluated(
        reserved(&app, "totp_failed_attempts").await,
        count_action(&app, "two_factor_challenge_failed").await,
        5,
        &statuses,
    );
    assert_eq!(count_action(&app, "two_factor_locked").await, 1);

    // The right code, after the lock, on a fresh challenge: refused.
    let fresh = challenge(&app, &user.email).await;
    problem(
        verify(&app, &fresh, "totp", &right).await,
        429,
        "too_many_attempts",
    )
    .await;
    problem(
        verify(&app, &fresh, "backup", &user.backup_codes[0]).await,
        429,
        "too_many_attempts",
    )
    .await;
    assert_eq!(
        count_action(&app, "login_succeeded").await,
        signed_in_before
    );
    assert_eq!(reserved(&app, "totp_failed_attempts").await, 5);
    assert!(count_action(&app, "two_factor_challenge_failed").await <= 5);
}

/// A thief holding a session cannot guess the current password without
/// bound: 30 wrong current passwords at once on password change are hashed
/// at most the limit times, audited, and lock the account, after which the
/// right one is refused (429 with `Retry-After`) and sign-in too.
async fn a_burst_of_wrong_current_passwords_locks_the_account(app: TestApp) {
    let app = &app;
    let tokens = app.signed_up("thief").await;
    let token = tokens.access_token.as_str();
    let change = |current: &'static str| {
        let body = json!({
            "current_password": current,
            "new_password": "Another-Secret-Walk-77",
            "confirm_password": "Another-Secret-Walk-77",
        });
        async move {
            app.post_json("/api/auth/change-password", &body, Some(token))
                .await
        }
    };
    let responses = join_all((0..30).map(|_| change(WRONG))).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(evaluated_failures(app).await, LIMIT, "{statuses:?}");
    assert_eq!(count_action(app, "account_locked").await, 1);

    let refused = change(PASSWORD).await;
    assert!(refused.headers().contains_key("retry-after"));
    problem(refused, 429, "account_locked").await;
    assert_eq!(count_action(app, "password_changed").await, 0);
    problem(
        app.login("thief@example.com", PASSWORD).await,
        429,
        "account_locked",
    )
    .await;
    assert_eq!(evaluated_failures(app).await, LIMIT);
}

/// Disabling 2FA re-checks the password through the same lock: wrong ones
/// are audited and the fifth locks the account.
async fn a_wrong_password_when_disabling_2fa_counts_toward_the_lock(app: TestApp) {
    let user = enrolled(&app, "disabler").await;
    let token = user.tokens.access_token.as_str();
    for attempt in 1..=LIMIT {
        let body = json!({ "password": WRONG, "code": code(&app, &user.secret, 0) });
        let response = app
            .post_json("/api/auth/disable-2fa", &body, Some(token))
            .await;
        if attempt < LIMIT {
            problem(response, 401, "invalid_credentials").await;
        } else {
            problem(response, 429, "account_locked").await;
        }
    }
    assert_eq!(evaluated_failures(&app).await, LIMIT);
    assert_eq!(count_action(&app, "account_locked").await, 1);
    let body = json!({ "password": PASSWORD, "code": code(&app, &user.secret, 0) });
    problem(
        app.post_json("/api/auth/disable-2fa", &body, Some(token))
            .await,
        429,
        "account_locked",
    )
    .await;
    assert_eq!(count_action(&app, "two_factor_disabled").await, 0);
}

/// The page transport re-authenticates through the same helper: wrong
/// current passwords on `/_fn/change_password` are audited and lock the
/// account for the API too.
async fn a_wrong_current_password_on_the_page_counts_too(app: TestApp) {
    let email = registered(&app, "pagethief").await;
    let client = browser();
    let post = |path: &'static str, form: Vec<(&'static str, &str)>| {
        client
            .post(app.url(path))
            .header("origin", &app.address)
            .header("accept", "text/html")
            .form(&form)
            .send()
    };
    let signed_in = post(
        "/_fn/sign_in",
        vec![("email", email.as_str()), ("password", PASSWORD)],
    )
    .await
    .unwrap();
    assert!(signed_in.status().is_redirection());
    for _ in 0..LIMIT + 1 {
        let form = vec![
            ("current_password", WRONG),
            ("new_password", "Another-Secret-Walk-77"),
            ("confirm_password", "Another-Secret-Walk-77"),
        ];
        let status = post("/_fn/change_password", form).await.unwrap().status();
        assert!(
            status.is_redirection() || status.is_client_error(),
            "{status}"
        );
    }
    assert_eq!(evaluated_failures(&app).await, LIMIT);
    assert_eq!(count_action(&app, "account_locked").await, 1);
    assert_eq!(count_action(&app, "password_changed").await, 0);
    problem(app.login(&email, PASSWORD).await, 429, "account_locked").await;
}

/// A reserved attempt whose hash could not run (here: a stored hash of an
/// unsupported scheme; in production, a refused hashing job) is released:
/// a failing server does not lock its users out.
async fn an_attempt_the_hasher_cannot_evaluate_is_not_counted(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let email = registered(&app, "unhashable").await;
    app.state
        .db
        .execute_unprepared("UPDATE users SET password_hash = '$md5$c2FsdA$aGFzaA'")
        .await
        .unwrap();
    for _ in 0..LIMIT + 2 {
        let status = app.login(&email, PASSWORD).await.status();
        assert_ne!(status, 429, "no lock from unevaluated attempts");
    }
    assert_eq!(reserved(&app, "failed_login_attempts").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE locked_until IS NOT NULL")
            .await,
        0
    );
    assert_eq!(count_action(&app, "account_locked").await, 0);
}

async fn challenge(app: &TestApp, email: &str) -> String {
    let response = app.login(email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["challenge_token"].as_str().unwrap().to_string()
}

async fn verify(app: &TestApp, challenge: &str, kind: &str, code: &str) -> reqwest::Response {
    let (path, body) = match kind {
        "totp" => (
            "/api/auth/login/verify-2fa",
            json!({ "challenge_token": challenge, "code": code }),
        ),
        _ => (
            "/api/auth/login/verify-backup-code",
            json!({ "challenge_token": challenge, "backup_code": code }),
        ),
    };
    app.post_json(path, &body, None).await
}
