//! Which client a request counts as: every `X-Forwarded-For` line from a
//! trusted proxy, nothing from anyone else, `Forwarded` ignored, and IPv6
//! clients budgeted per /64.

use crate::{
    helpers::{problem, TestApp},
    rate_limits::app_with,
};

/// `GET /api/auth/me` (a `Door::Public` route) with these header lines.
async fn me_with(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url("/api/auth/me"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_trusted_proxy_sending_two_forwarded_for_lines_is_read_to_the_last_line() {
    let app = app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    // The client made up the first line (a new address each time); the
    // proxy appended the real address on a second line.
    for n in 1..=3 {
        let spoofed = format!("6.6.6.{n}");
        let response = me_with(
            &app,
            &[
                ("x-forwarded-for", &spoofed),
                ("x-forwarded-for", "198.51.100.7"),
            ],
        )
        .await;
        assert_eq!(response.status(), 401);
    }
    let response = me_with(
        &app,
        &[
            ("x-forwarded-for", "6.6.6.99"),
            ("x-forwarded-for", "198.51.100.7"),
        ],
    )
    .await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 429, "rate_limited").await;
    // Another client behind the proxy has its own budget.
    let other = me_with(&app, &[("x-forwarded-for", "198.51.100.8")]).await;
    assert_eq!(other.status(), 401);
}

#[tokio::test]
async fn an_untrusted_peer_cannot_move_its_bucket_with_either_header() {
    let app = app_with(&[("RATE_LIMIT_PER_MINUTE", "3")]).await;
    let n_lines = ["198.51.100.1", "198.51.100.2"];
    let attempts: [Vec<(&str, &str)>; 3] = [
        vec![
            ("x-forwarded-for", n_lines[0]),
            ("x-forwarded-for", n_lines[1]),
        ],
        vec![("forwarded", "for=198.51.100.3")],
        vec![
            ("forwarded", "for=\"[2001:db8::1]:4711\""),
            ("x-forwarded-for", "198.51.100.4"),
        ],
    ];
    for headers in &attempts {
        assert_eq!(me_with(&app, headers).await.status(), 401);
    }
    let headers = [
        ("x-forwarded-for", "198.51.100.5"),
        ("forwarded", "for=198.51.100.5"),
    ];
    problem(me_with(&app, &headers).await, 429, "rate_limited").await;
}

#[tokio::test]
async fn the_forwarded_header_is_ignored_even_from_a_trusted_proxy() {
    let app = app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    for n in 1..=3 {
        let forwarded = format!("for=198.51.100.{n}");
        assert_eq!(
            me_with(&app, &[("forwarded", &forwarded)]).await.status(),
            401
        );
    }
    // Without X-Forwarded-For the proxy itself is the client: one bucket.
    problem(
        me_with(&app, &[("forwarded", "for=198.51.100.9")]).await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn ipv4_mapped_proxy_hops_match_ipv4_trusted_proxies() {
    let app = app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "2"),
        ("TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/8"),
    ])
    .await;
    // An inner proxy on a dual-stack socket reports itself as
    // ::ffff:10.0.0.2; it is trusted, so the client left of it counts.
    for n in 1..=4 {
        let line = format!("198.51.100.{n}, ::ffff:10.0.0.2");
        assert_eq!(
            me_with(&app, &[("x-forwarded-for", &line)]).await.status(),
            401,
            "client {n} has a budget of its own"
        );
    }
    for _ in 0..2 {
        me_with(&app, &[("x-forwarded-for", "::ffff:198.51.100.1")]).await;
    }
    problem(
        me_with(&app, &[("x-forwarded-for", "198.51.100.1")]).await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn addresses_of_one_ipv6_64_share_one_budget() {
    let app = app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "5"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let app = &app;
    let from =
        |address: String| async move { me_with(app, &[("x-forwarded-for", &address)]).await };
    // Five different addresses of one /64, all at once...
    let first: Vec<_> =
        futures::future::join_all((1..=5).map(|n| from(format!("2001:db8:aa:bb:{n:x}::{n:x}"))))
            .await;
    assert!(first.iter().all(|response| response.status() == 401));
    // ...and every further address of it is refused together.
    let rotated: Vec<_> =
        futures::future::join_all((6..=40).map(|n| from(format!("2001:db8:aa:bb:{n:x}:{n:x}::1"))))
            .await;
    assert!(rotated.iter().all(|response| response.status() == 429));
    // The neighbouring /64 is someone else.
    assert_eq!(from("2001:db8:aa:bc::1".to_string()).await.status(), 401);
}

#[tokio::test]
async fn the_ipv6_prefix_is_configurable() {
    let app = app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "2"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("RATE_LIMIT_IPV6_PREFIX", "48"),
    ])
    .await;
    for address in ["2001:db8:aa:1::1", "2001:db8:aa:2::1"] {
        assert_eq!(
            me_with(&app, &[("x-forwarded-for", address)])
                .await
                .status(),
            401
        );
    }
    problem(
        me_with(&app, &[("x-forwarded-for", "2001:db8:aa:ffff::1")]).await,
        429,
        "rate_limited",
    )
    .await;
}
