//! Enrolment needs the owner, and a change of credentials ends every other
//! way in (issue 11, item 7): turning 2FA on needs the current password or a
//! sign-in within the last 5 minutes; enabling 2FA, changing the password
//! and resetting it end every other session, every open 2FA challenge and
//! every outstanding reset link of the account.

use serde_json::json;

use crate::{
    helpers::{problem, TestApp, Tokens, PASSWORD},
    recovery::{emailed_token, forgot, reset, NEW_PASSWORD},
    two_factor::{code, enrolled},
};

crate::backend_tests!(
    enabling_2fa_on_an_old_session_needs_the_password,
    a_refresh_is_not_a_sign_in_but_a_new_sign_in_is,
    the_2fa_page_asks_for_the_password_on_an_old_session,
    a_password_change_ends_other_sessions_challenges_and_reset_links,
    a_reset_ends_every_session_challenge_and_reset_link,
    enabling_2fa_ends_other_sessions_challenges_and_reset_links,
);

/// Longer ago than the 5-minute re-authentication window.
fn past_the_window() -> chrono::Duration {
    chrono::Duration::minutes(6)
}

/// Starts a setup and returns the raw secret.
async fn start_setup(app: &TestApp, token: &str) -> Vec<u8> {
    let response = app
        .post_json("/api/auth/setup-2fa", &json!({}), Some(token))
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    data_encoding::BASE32_NOPAD
        .decode(body["secret"].as_str().unwrap().as_bytes())
        .unwrap()
}

async fn confirm(app: &TestApp, token: &str, body: serde_json::Value) -> reqwest::Response {
    app.post_json("/api/auth/verify-2fa-setup", &body, Some(token))
        .await
}

async fn two_factor_users(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM users WHERE totp_enabled")
        .await
}

async fn enabling_2fa_on_an_old_session_needs_the_password(app: TestApp) {
    let app = &app;
    let tokens = app.signed_up("olga").await;
    let secret = start_setup(app, &tokens.access_token).await;
    app.clock.advance(past_the_window());

    // Someone holding this session (not its owner) cannot add a factor.
    let body = problem(
        confirm(
            app,
            &tokens.access_token,
            json!({ "code": code(app, &secret, 0) }),
        )
        .await,
        403,
        "reauthentication_required",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("password"),
        "{body}"
    );
    assert_eq!(two_factor_users(app).await, 0);

    // A wrong password is refused and changes nothing.
    problem(
        confirm(
            app,
            &tokens.access_token,
            json!({ "code": code(app, &secret, 0), "password": "Not-The-Password-1" }),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(two_factor_users(app).await, 0);

    // The owner types it and 2FA goes on.
    let response = confirm(
        app,
        &tokens.access_token,
        json!({ "code": code(app, &secret, 0), "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(two_factor_users(app).await, 1);
}

async fn a_refresh_is_not_a_sign_in_but_a_new_sign_in_is(app: TestApp) {
    let app = &app;
    let old = app.signed_up("rhea").await;
    let secret = start_setup(app, &old.access_token).await;
    app.clock.advance(past_the_window());

    // A refreshed token is the same old session.
    let refreshed: Tokens = app.refresh(&old.refresh_token).await.json().await.unwrap();
    problem(
        confirm(
            app,
            &refreshed.access_token,
            json!({ "code": code(app, &secret, 0) }),
        )
        .await,
        403,
        "reauthentication_required",
    )
    .await;

    // A sign-in a moment ago counts as proof: no password needed.
    let fresh = app.signed_in("rhea@example.com", PASSWORD).await;
    let response = confirm(
        app,
        &fresh.access_token,
        json!({ "code": code(app, &secret, 0) }),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(two_factor_users(app).await, 1);
}

async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("origin", &app.address)
        .header("referer", app.url("/account/2fa"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn two_factor_page(app: &TestApp, client: &reqwest::Client) -> String {
    let response = client.get(app.url("/account/2fa")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

async fn the_2fa_page_asks_for_the_password_on_an_old_session(app: TestApp) {
    let app = &app;
    app.signed_up("pia").await;
    let client = crate::pages_auth::browser();
    let signed_in = post_form(
        app,
        &client,
        "/_fn/sign_in",
        &[("email", "pia@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert!(signed_in.status().is_redirection());
    let started = post_form(app, &client, "/_fn/start_two_factor_setup", &[]).await;
    assert!(started.status().is_redirection());
    let html = two_factor_page(app, &client).await;
    assert!(
        !html.contains(r#"id="confirm-password""#),
        "a fresh sign-in needs no password: {html}"
    );
    let secret = html
        .split_once(r#"data-testid="totp-secret""#)
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(secret, _)| secret.to_string())
        .unwrap();
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();

    app.clock.advance(past_the_window());
    let html = two_factor_page(app, &client).await;
    assert!(
        html.contains(r#"id="confirm-password""#),
        "the password field is shown: {html}"
    );

    // Without JavaScript: a plain form post without the password is refused.
    let refused = post_form(
        app,
        &client,
        "/_fn/confirm_two_factor_setup",
        &[("code", &code(app, &secret, 0))],
    )
    .await;
    let location = refused.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("__err="), "{location}");
    assert_eq!(two_factor_users(app).await, 0);

    let accepted = post_form(
        app,
        &client,
        "/_fn/confirm_two_factor_setup",
        &[("code", &code(app, &secret, 0)), ("password", PASSWORD)],
    )
    .await;
    let location = accepted.headers()["location"].to_str().unwrap().to_string();
    assert!(!location.contains("__err="), "{location}");
    assert_eq!(two_factor_users(app).await, 1);
}

/// Every way into one account other than the acting session: a second
/// device's tokens, an open 2FA challenge and an emailed reset link.
struct OtherWaysIn {
    device: Option<Tokens>,
    challenge: Option<String>,
    reset_token: String,
}

async fn open_challenge(app: &TestApp, email: &str, password: &str) -> String {
    let body: serde_json::Value = app.login(email, password).await.json().await.unwrap();
    assert_eq!(body["requires_2fa"], true, "{body}");
    body["challenge_token"].as_str().unwrap().to_string()
}

async fn complete(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    let body = json!({ "challenge_token": challenge, "code": code });
    app.post_json("/api/auth/login/verify-2fa", &body, None)
        .await
}

async fn requested_reset(app: &TestApp, email: &str) -> String {
    assert_eq!(forgot(app, email).await.status(), 202);
    emailed_token(app, email, "/reset-password").await
}

/// Checks that none of `ways` works any more (`secret`: the 2FA secret, to
/// try the challenge with a valid code).
async fn assert_all_ended(app: &TestApp, ways: &OtherWaysIn, secret: &[u8]) {
    if let Some(device) = &ways.device {
        problem(
            app.get_authed("/api/auth/me", &device.access_token).await,
            401,
            "invalid_token",
        )
        .await;
        problem(
            app.refresh(&device.refresh_token).await,
            401,
            "invalid_token",
        )
        .await;
    }
    if let Some(challenge) = &ways.challenge {
        app.clock.advance(chrono::Duration::seconds(30));
        problem(
            complete(app, challenge, &code(app, secret, 0)).await,
            401,
            "invalid_token",
        )
        .await;
    }
    problem(
        reset(app, &ways.reset_token, "Amber-Quarry-Sleet-93").await,
        400,
        "invalid_reset_token",
    )
    .await;
}

/// A user with 2FA on, a second device signed in through a challenge, a
/// third sign-in left at its challenge, and a reset link in the mailbox.
async fn with_other_ways_in(app: &TestApp, name: &str) -> (Tokens, Vec<u8>, OtherWaysIn) {
    let user = enrolled(app, name).await;
    let second = open_challenge(app, &user.email, PASSWORD).await;
    let response = complete(app, &second, &code(app, &user.secret, 0)).await;
    assert_eq!(response.status(), 200);
    let device: Tokens = response.json().await.unwrap();
    app.clock.advance(chrono::Duration::seconds(30));
    let challenge = open_challenge(app, &user.email, PASSWORD).await;
    let reset_token = requested_reset(app, &user.email).await;
    (
        user.tokens,
        user.secret,
        OtherWaysIn {
            device: Some(device),
            challenge: Some(challenge),
            reset_token,
        },
    )
}

async fn a_password_change_ends_other_sessions_challenges_and_reset_links(app: TestApp) {
    let app = &app;
    let (current, secret, ways) = with_other_ways_in(app, "carl").await;
    let body = json!({
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    });
    let response = app
        .post_json(
            "/api/auth/change-password",
            &body,
            Some(&current.access_token),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());

    assert_all_ended(app, &ways, &secret).await;
    // The session that made the change goes on.
    let me = app.get_authed("/api/auth/me", &current.access_token).await;
    assert_eq!(me.status(), 200);
}

async fn a_reset_ends_every_session_challenge_and_reset_link(app: TestApp) {
    let app = &app;
    let (current, secret, mut ways) = with_other_ways_in(app, "rosa").await;
    let used = ways.reset_token.clone();
    // A second link; the first one stays outstanding and must die too.
    app.clock.advance(chrono::Duration::seconds(1));
    let newer = requested_reset(app, "rosa@example.com").await;
    assert_ne!(newer, used);
    let response = reset(app, &newer, NEW_PASSWORD).await;
    assert!(response.status().is_success(), "{}", response.status());

    ways.reset_token = used;
    assert_all_ended(app, &ways, &secret).await;
    // A reset ends every session, the one that asked included.
    problem(
        app.get_authed("/api/auth/me", &current.access_token).await,
        401,
        "invalid_token",
    )
    .await;
}

async fn enabling_2fa_ends_other_sessions_challenges_and_reset_links(app: TestApp) {
    let app = &app;
    let user = enrolled(app, "emil").await;
    // A sign-in left at its challenge while 2FA was on...
    let challenge = open_challenge(app, &user.email, PASSWORD).await;
    // ...then 2FA goes off, a second device signs in without it, and a
    // reset link is requested.
    let off = json!({ "password": PASSWORD, "code": code(app, &user.secret, 0) });
    let response = app
        .post_json(
            "/api/auth/disable-2fa",
            &off,
            Some(&user.tokens.access_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    let device = app.signed_in(&user.email, PASSWORD).await;
    let reset_token = requested_reset(app, &user.email).await;

    // Now 2FA goes on again (with the password: this session is older).
    app.clock.advance(chrono::Duration::seconds(30));
    let secret = start_setup(app, &user.tokens.access_token).await;
    let response = confirm(
        app,
        &user.tokens.access_token,
        json!({ "code": code(app, &secret, 0), "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let ways = OtherWaysIn {
        device: Some(device),
        challenge: Some(challenge),
        reset_token,
    };
    assert_all_ended(app, &ways, &secret).await;
    let me = app
        .get_authed("/api/auth/me", &user.tokens.access_token)
        .await;
    assert_eq!(me.status(), 200);
}
