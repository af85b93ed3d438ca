//! `GET /metrics`: off unless configured; behind `METRICS_TOKEN` on the main
//! port, or on `METRICS_ADDR`'s own listener and nowhere else. A scrape
//! counts sign-ins, lockouts and requests by route template, and never
//! shows an id, an email or a token.
//!
//! The recorder is one per process and every application of this test
//! binary records into it, so in-process tests compare values before and
//! after and allow for other tests' work (`at least`); the real binary, a
//! process of its own, checks exact counts.

use std::{
    collections::{BTreeMap, HashMap},
    process::Stdio,
};

use serde_json::json;

use crate::{
    helpers::{problem, random_secret, Backend, TestApp, PASSWORD},
    server_binary,
    test_times::Stopwatch,
    two_factor::{challenge, enrolled, verify_totp},
    wait,
};

crate::backend_tests!(
    adjusted by with_token;
    a_scrape_counts_sign_ins_and_requests_by_route_template,
    wrong_second_factors_and_their_lock_are_counted,
);

/// Metrics behind a token of this test's own; the second wrong code locks.
fn with_token(vars: &mut HashMap<String, String>) {
    vars.insert("METRICS_TOKEN".into(), random_secret(32));
    vars.insert("MAX_TWO_FACTOR_ATTEMPTS".into(), "2".into());
}

async fn a_scrape_counts_sign_ins_and_requests_by_route_template(app: TestApp) {
    let before = Scrape::of(&app).await;

    let tokens = app.signed_up("mira").await;
    let wrong = app.login("mira@example.com", "Wrong-Harbor-Lamp-42").await;
    assert_eq!(wrong.status(), 401);
    let someone = uuid::Uuid::new_v4().to_string();
    let forbidden = app
        .get_authed(&format!("/api/admin/users/{someone}"), &tokens.access_token)
        .await;
    assert_eq!(forbidden.status(), 403);

    let after = Scrape::of(&app).await;
    for (family, kind) in [
        ("gatehouse_http_requests_total", "counter"),
        ("gatehouse_http_request_duration_seconds", "histogram"),
        ("gatehouse_sign_ins_total", "counter"),
        ("gatehouse_lockouts_total", "counter"),
        ("gatehouse_second_factor_failures_total", "counter"),
        ("gatehouse_password_hash_queue_depth", "gauge"),
        ("gatehouse_password_hash_wait_seconds", "histogram"),
        ("gatehouse_mail_outbox_depth", "gauge"),
    ] {
        assert!(
            after.text.contains(&format!("# TYPE {family} {kind}\n")),
            "{family} is listed as a {kind}:\n{}",
            after.text
        );
    }

    let grew = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    let sign_ins = "gatehouse_sign_ins_total";
    assert!(grew(sign_ins, &[("outcome", "success")]) >= 1.0);
    assert!(grew(sign_ins, &[("outcome", "invalid_credentials")]) >= 1.0);
    let requests = "gatehouse_http_requests_total";
    let login = [("route", "/api/auth/login"), ("method", "POST")];
    assert!(grew(requests, &[login[0], login[1], ("status", "200")]) >= 1.0);
    assert!(grew(requests, &[login[0], login[1], ("status", "401")]) >= 1.0);
    let timed = "gatehouse_http_request_duration_seconds_count";
    assert!(grew(timed, &login) >= 2.0);
    // Registering, signing in, the wrong password: three hashes.
    assert!(grew("gatehouse_password_hash_wait_seconds_count", &[]) >= 3.0);

    // The route's template, never the path with its id.
    let user_detail = [
        ("route", "/api/admin/users/{id}"),
        ("method", "GET"),
        ("status", "403"),
    ];
    assert!(grew(requests, &user_detail) >= 1.0, "{}", after.text);
    for secret in [
        someone.as_str(),
        "mira@example.com",
        PASSWORD,
        &tokens.access_token,
        &tokens.refresh_token,
        &app.vars["METRICS_TOKEN"],
    ] {
        assert!(!after.text.contains(secret), "{secret} in:\n{}", after.text);
    }
}

async fn wrong_second_factors_and_their_lock_are_counted(app: TestApp) {
    let user = enrolled(&app, "vera").await;
    let before = Scrape::of(&app).await;
    let challenge = challenge(&app, &user.email).await;
    problem(
        verify_totp(&app, &challenge, "000000").await,
        401,
        "invalid_code",
    )
    .await;
    problem(
        verify_totp(&app, &challenge, "000000").await,
        429,
        "too_many_attempts",
    )
    .await;

    let after = Scrape::of(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    let sign_ins = "gatehouse_sign_ins_total";
    assert!(grew(sign_ins, &[("outcome", "two_factor_required")]) >= 1.0);
    assert!(grew("gatehouse_second_factor_failures_total", &[]) >= 2.0);
    let lockouts = "gatehouse_lockouts_total";
    assert!(grew(lockouts, &[("counter", "second_factor")]) >= 1.0);
    assert!(!after.text.contains(&challenge));
}

#[tokio::test]
async fn a_refusal_by_a_rate_limit_is_counted_by_door_and_budget() {
    let app = TestApp::spawn_with(Backend::Sqlite, |vars| {
        with_token(vars);
        vars.insert("RATE_LIMIT_PER_MINUTE".into(), "1".into());
    })
    .await
    .unwrap();
    let before = Scrape::of(&app).await;
    let body = json!({ "email": "rita@example.com", "password": PASSWORD });
    let _ = app.post_json("/api/auth/login", &body, None).await;
    let refused = app.post_json("/api/auth/login", &body, None).await;
    problem(refused, 429, "rate_limited").await;

    let after = Scrape::of(&app).await;
    let labels = [("door", "public"), ("budget", "public_ip")];
    let name = "gatehouse_rate_limited_total";
    assert!(after.value(name, &labels) - before.value(name, &labels) >= 1.0);
}

#[tokio::test]
async fn without_configuration_there_is_no_metrics_route() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(!body.contains("# TYPE gatehouse_"), "{body}");
}

#[tokio::test]
async fn a_missing_or_wrong_token_gets_401() {
    let app = TestApp::spawn_with(Backend::Sqlite, with_token)
        .await
        .unwrap();
    let token = app.vars["METRICS_TOKEN"].clone();
    let scrape = |authorization: Option<String>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send()
    };

    let missing = scrape(None).await.unwrap();
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    problem(missing, 401, "unauthenticated").await;
    for wrong in [
        format!("Bearer {}", random_secret(32)),
        format!("Bearer {}", &token[..token.len() - 1]),
        format!("Bearer {token}x"),
        format!("Basic {token}"),
        token.clone(),
    ] {
        let refused = scrape(Some(wrong.clone())).await.unwrap();
        problem(refused, 401, "invalid_token").await;
    }

    let scraped = scrape(Some(format!("bearer {token}"))).await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
}

/// The real binary, so its recorder is its own and counts are exact:
/// `METRICS_ADDR` serves `/metrics` there, without a token, and the main
/// port has no such route.
#[tokio::test]
async fn metrics_addr_serves_exact_counts_on_its_own_listener_only() {
    let _stopwatch = Stopwatch::start("binary");
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (server_binary::free_port(), server_binary::free_port());
    let _server = KillOnDrop(
        server_binary::command(dir.path())
            .env("ENVIRONMENT", "development")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("MAX_LOGIN_ATTEMPTS", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let metrics_url = format!("http://127.0.0.1:{metrics_port}/metrics");
    let client = reqwest::Client::new();
    wait::until("the server answers /readyz", async || {
        match client.get(format!("{base}/readyz")).send().await {
            Ok(response) if response.status() == 200 => Ok(()),
            Ok(response) => Err(response.status().to_string()),
            Err(error) => Err(error.to_string()),
        }
    })
    .await;

    let post = |path: &str, body: serde_json::Value| {
        client.post(format!("{base}{path}")).json(&body).send()
    };
    let registered = post(
        "/api/auth/register",
        json!({ "email": "otto@example.com", "username": "otto", "password": PASSWORD }),
    )
    .await
    .unwrap();
    assert_eq!(registered.status(), 201);
    let login = |password: &'static str| {
        post(
            "/api/auth/login",
            json!({ "email": "otto@example.com", "password": password }),
        )
    };
    assert_eq!(login(PASSWORD).await.unwrap().status(), 200);
    // Three wrong passwords: two refused, the third locks the account; the
    // right one is then refused too, without a hash.
    let mut statuses = Vec::new();
    for password in [
        "Wrong-Harbor-Lamp-42",
        "Wrong-Harbor-Lamp-42",
        "Wrong-Harbor-Lamp-42",
        PASSWORD,
    ] {
        statuses.push(login(password).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429, 429]);

    let main_port = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(main_port.status(), 404);
    let response = client.get(&metrics_url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let scrape = Scrape::from(response.text().await.unwrap());

    let count = |name: &str, labels: &[(&str, &str)]| scrape.value(name, labels);
    let sign_ins = "gatehouse_sign_ins_total";
    assert_eq!(count(sign_ins, &[("outcome", "success")]), 1.0);
    assert_eq!(count(sign_ins, &[("outcome", "invalid_credentials")]), 2.0);
    assert_eq!(count(sign_ins, &[("outcome", "locked")]), 2.0);
    let lockouts = "gatehouse_lockouts_total";
    assert_eq!(count(lockouts, &[("counter", "password")]), 1.0);
    assert_eq!(count(lockouts, &[("counter", "second_factor")]), 0.0);
    let requests = "gatehouse_http_requests_total";
    let login_route = [("route", "/api/auth/login"), ("method", "POST")];
    for (status, expected) in [("200", 1.0), ("401", 2.0), ("429", 2.0)] {
        let labels = [login_route[0], login_route[1], ("status", status)];
        assert_eq!(count(requests, &labels), expected, "{status}");
    }
    assert_eq!(
        count(
            "gatehouse_http_request_duration_seconds_count",
            &login_route
        ),
        5.0
    );
    // Registering, the right password, three wrong ones; the locked
    // attempt is refused before hashing.
    assert_eq!(
        count("gatehouse_password_hash_wait_seconds_count", &[]),
        5.0
    );
    assert_eq!(count("gatehouse_password_hash_queue_depth", &[]), 0.0);
    for secret in ["otto@example.com", PASSWORD] {
        assert!(!scrape.text.contains(secret), "{secret}:\n{}", scrape.text);
    }
}

/// A bad `METRICS_ADDR` or a short `METRICS_TOKEN` in production stops the
/// server at start with one line naming it (the token never echoed), as
/// any bad configuration does.
#[test]
fn bad_metrics_settings_stop_the_server() {
    let weak = "hunter2-hunter2-hunter2";
    for (variable, value) in [
        ("METRICS_ADDR", "localhost"),
        ("METRICS_TOKEN", weak),
        ("METRICS_TOKEN", "tab\tseparated-0123456789abcdef0123456789"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = server_binary::command(dir.path())
            .env("ENVIRONMENT", "production")
            .env("JWT_SECRET_KEY", random_secret(48))
            .env("DATABASE_ENCRYPTION_KEY", random_secret(32))
            .env("PUBLIC_URL", "https://auth.example.com")
            .env(variable, value)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(78), "{output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr:?}");
        assert!(stderr.contains(variable), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

/// Stops the server however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One scrape's text and its samples.
struct Scrape {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    async fn of(app: &TestApp) -> Self {
        let response = app.get_authed("/metrics", &app.vars["METRICS_TOKEN"]).await;
        assert_eq!(response.status(), 200);
        Self::from(response.text().await.unwrap())
    }

    /// The sample of `name` with exactly `labels`; 0 if there is none yet.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples
            .iter()
            .find(|(sample, labels, _)| sample == name && *labels == wanted)
            .map_or(0.0, |(_, _, value)| *value)
    }
}

impl From<String> for Scrape {
    fn from(text: String) -> Self {
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').expect("a sample line");
                let value: f64 = value.parse().expect("a number");
                match series.split_once('{') {
                    None => (series.to_string(), BTreeMap::new(), value),
                    Some((name, labels)) => {
                        let labels = labels.strip_suffix('}').expect("closed labels");
                        (name.to_string(), parse_labels(labels), value)
                    }
                }
            })
            .collect();
        Self { text, samples }
    }
}

/// `a="x",b="y"` (our values hold no quotes or backslashes).
fn parse_labels(mut rest: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while let Some((key, after)) = rest.split_once("=\"") {
        let (value, after) = after.split_once('"').expect("a quoted value");
        labels.insert(key.to_string(), value.to_string());
        rest = after.strip_prefix(',').unwrap_or(after);
    }
    labels
}
