//! API sessions end `SESSION_ABSOLUTE_DAYS` (default 30) after sign-in,
//! however often they are refreshed.

use chrono::Duration;

use crate::{
    backend_tests,
    helpers::{problem, TestApp},
};

async fn refreshing_never_outlives_the_absolute_lifetime(app: TestApp) {
    let mut tokens = app.signed_up("abe").await;
    // A refresh every 4 days (the refresh token lasts 7) keeps the session
    // going until day 28.
    for _ in 0..7 {
        app.clock.advance(Duration::days(4));
        let response = app.refresh(&tokens.refresh_token).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        tokens = response.json().await.unwrap();
    }
    assert_eq!(
        app.get_authed("/api/auth/me", &tokens.access_token)
            .await
            .status(),
        200
    );

    // Day 30 and a minute: the refresh is refused and the session is over.
    app.clock.advance(Duration::days(2) + Duration::minutes(1));
    problem(
        app.refresh(&tokens.refresh_token).await,
        401,
        "invalid_token",
    )
    .await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM sessions WHERE revoked_reason = 'absolute_lifetime_reached'"
        )
        .await,
        1
    );
    problem(
        app.refresh(&tokens.refresh_token).await,
        401,
        "invalid_token",
    )
    .await;
    // Signing in again starts a new session.
    let fresh = app
        .signed_in("abe@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(app.refresh(&fresh.refresh_token).await.status(), 200);
}

backend_tests!(refreshing_never_outlives_the_absolute_lifetime);
