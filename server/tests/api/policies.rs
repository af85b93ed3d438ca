//! Policies come from the configuration: with the 2FA lock, the challenge
//! lifetime and the re-authentication window set away from their defaults,
//! the service applies the configured values.

use std::collections::HashMap;

use serde_json::json;

use crate::{
    helpers::{problem, TestApp, PASSWORD},
    two_factor::{code, enrolled},
};

crate::backend_tests!(
    adjusted by configured_policies;
    the_configured_number_of_wrong_codes_locks_2fa_for_the_configured_time,
    a_challenge_lives_as_configured,
    the_reauthentication_window_is_as_configured,
);

/// Each away from its default (5 codes, 15 minutes, 10 minutes, 5 minutes).
fn configured_policies(vars: &mut HashMap<String, String>) {
    for (name, value) in [
        ("MAX_TWO_FACTOR_ATTEMPTS", "3"),
        ("TWO_FACTOR_LOCKOUT_MINUTES", "2"),
        ("TWO_FACTOR_CHALLENGE_MINUTES", "4"),
        ("REAUTHENTICATION_WINDOW_MINUTES", "2"),
    ] {
        vars.insert(name.into(), value.into());
    }
}

/// Signs in with the password; returns the 2FA challenge.
async fn challenge(app: &TestApp, email: &str) -> serde_json::Value {
    let response = app.login(email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["requires_2fa"], true, "{body}");
    body
}

async fn verify(app: &TestApp, challenge: &serde_json::Value, code: &str) -> reqwest::Response {
    let body = json!({ "challenge_token": challenge["challenge_token"], "code": code });
    app.post_json("/api/auth/login/verify-2fa", &body, None)
        .await
}

async fn the_configured_number_of_wrong_codes_locks_2fa_for_the_configured_time(app: TestApp) {
    let user = enrolled(&app, "tess").await;
    let first = challenge(&app, &user.email).await;
    for _ in 0..2 {
        problem(verify(&app, &first, "000000").await, 401, "invalid_code").await;
    }
    let third = verify(&app, &first, "000000").await;
    let retry_after: u64 = third.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=120).contains(&retry_after), "{retry_after}");
    problem(third, 429, "too_many_attempts").await;
    problem(
        verify(&app, &first, &code(&app, &user.secret, 0)).await,
        429,
        "too_many_attempts",
    )
    .await;
    let activity: serde_json::Value = app
        .get_authed("/api/auth/activity", &user.tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    let locks: Vec<&serde_json::Value> = activity["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["action"] == "two_factor_locked")
        .collect();
    assert_eq!(locks.len(), 1, "{activity}");
    assert_eq!(locks[0]["details"]["failed_attempts"], 3);

    // Two minutes, not fifteen.
    app.clock.advance(chrono::Duration::minutes(2));
    let fresh = challenge(&app, &user.email).await;
    let response = verify(&app, &fresh, &code(&app, &user.secret, 0)).await;
    assert_eq!(response.status(), 200);
}

async fn a_challenge_lives_as_configured(app: TestApp) {
    let user = enrolled(&app, "uma").await;
    let challenge = challenge(&app, &user.email).await;
    assert_eq!(challenge["expires_in"], 4 * 60);
    app.clock
        .advance(chrono::Duration::minutes(4) + chrono::Duration::seconds(1));
    problem(
        verify(&app, &challenge, &code(&app, &user.secret, 0)).await,
        401,
        "invalid_token",
    )
    .await;
}

async fn the_reauthentication_window_is_as_configured(app: TestApp) {
    let tokens = app.signed_up("vera").await;
    let response = app
        .post_json(
            "/api/auth/setup-2fa",
            &json!({}),
            Some(&tokens.access_token),
        )
        .await;
    let body: serde_json::Value = response.json().await.unwrap();
    let secret = data_encoding::BASE32_NOPAD
        .decode(body["secret"].as_str().unwrap().as_bytes())
        .unwrap();
    // Within the default 5 minutes, but past the configured 2.
    app.clock
        .advance(chrono::Duration::minutes(2) + chrono::Duration::seconds(1));
    let confirm = json!({ "code": code(&app, &secret, 0) });
    problem(
        app.post_json(
            "/api/auth/verify-2fa-setup",
            &confirm,
            Some(&tokens.access_token),
        )
        .await,
        403,
        "reauthentication_required",
    )
    .await;
}
