//! Access tokens, refresh rotation and reuse detection, logout.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::json;

use crate::helpers::{problem, TestApp};

crate::backend_tests!(
    refresh_rotates_and_a_replayed_token_revokes_the_session,
    concurrent_refreshes_yield_at_most_one_success,
    access_tokens_expire_with_the_clock,
    logout_takes_effect_at_once,
    only_real_access_tokens_are_accepted,
);

async fn refresh_rotates_and_a_replayed_token_revokes_the_session(app: TestApp) {
    let first = app.signed_up("quinn").await;
    let response = app.refresh(&first.refresh_token).await;
    assert_eq!(response.status(), 200);
    let second: crate::helpers::Tokens = response.json().await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        app.get_authed("/api/auth/me", &second.access_token)
            .await
            .status(),
        200
    );

    // The rotated-away token is replayed: treated as theft.
    problem(
        app.refresh(&first.refresh_token).await,
        401,
        "invalid_token",
    )
    .await;
    problem(
        app.refresh(&second.refresh_token).await,
        401,
        "invalid_token",
    )
    .await;
    problem(
        app.get_authed("/api/auth/me", &second.access_token).await,
        401,
        "invalid_token",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'refresh_token_reused'")
            .await,
        1
    );

    // A forged or garbled token changes nothing and says the same.
    problem(app.refresh("garbage").await, 401, "invalid_token").await;
}

async fn concurrent_refreshes_yield_at_most_one_success(app: TestApp) {
    let tokens = app.signed_up("rosa").await;
    let attempts = (0..16).map(|_| app.refresh(&tokens.refresh_token));
    let responses = futures::future::join_all(attempts).await;
    let successes = responses.iter().filter(|r| r.status() == 200).count();
    assert!(successes <= 1, "{successes} successes");
    assert!(responses
        .iter()
        .all(|r| r.status() == 200 || r.status() == 401));
}

async fn access_tokens_expire_with_the_clock(app: TestApp) {
    let tokens = app.signed_up("sam").await;
    app.clock.advance(chrono::Duration::minutes(14));
    assert_eq!(
        app.get_authed("/api/auth/me", &tokens.access_token)
            .await
            .status(),
        200
    );
    app.clock.advance(chrono::Duration::minutes(2));
    let response = app.get_authed("/api/auth/me", &tokens.access_token).await;
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    problem(response, 401, "invalid_token").await;

    // The refresh token still works for 7 days (sliding), then not.
    let renewed = app.refresh(&tokens.refresh_token).await;
    assert_eq!(renewed.status(), 200);
    let renewed: crate::helpers::Tokens = renewed.json().await.unwrap();
    app.clock
        .advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    problem(
        app.refresh(&renewed.refresh_token).await,
        401,
        "invalid_token",
    )
    .await;
}

async fn logout_takes_effect_at_once(app: TestApp) {
    let tokens = app.signed_up("tara").await;
    let response = app
        .post_json("/api/auth/logout", &json!({}), Some(&tokens.access_token))
        .await;
    assert_eq!(response.status(), 200);
    problem(
        app.get_authed("/api/auth/me", &tokens.access_token).await,
        401,
        "invalid_token",
    )
    .await;
    problem(
        app.refresh(&tokens.refresh_token).await,
        401,
        "invalid_token",
    )
    .await;
}

async fn only_real_access_tokens_are_accepted(app: TestApp) {
    let app = &app;
    let tokens = app.signed_up("uma").await;
    let me = |token: String| async move { app.get_authed("/api/auth/me", &token).await };

    let response = app.get("/api/auth/me").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    problem(response, 401, "unauthenticated").await;

    // A refresh token is not an access token.
    problem(me(tokens.refresh_token.clone()).await, 401, "invalid_token").await;

    // alg=none with the real claims.
    let claims = tokens.access_token.split('.').nth(1).unwrap().to_string();
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    problem(
        me(format!("{none_header}.{claims}.")).await,
        401,
        "invalid_token",
    )
    .await;

    // Validly signed, but for another audience, or of another type.
    let secret = app.vars["JWT_SECRET_KEY"].clone();
    let decoded: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&claims).unwrap()).unwrap();
    for (field, value) in [
        ("aud", "someone-else"),
        ("type", "refresh"),
        ("iss", "evil"),
    ] {
        let mut forged = decoded.clone();
        forged[field] = value.into();
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &forged,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        problem(me(token).await, 401, "invalid_token").await;
    }
    // HS512 with the same key is still refused: only HS256 is allowed.
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &decoded,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    problem(me(token).await, 401, "invalid_token").await;

    assert_eq!(me(tokens.access_token).await.status(), 200);
}
