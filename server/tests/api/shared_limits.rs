//! Rate limits shared through Redis (`REDIS_URL`): two nodes on one Redis
//! spend one budget, exactly, under a concurrent burst; a node whose Redis
//! stops answering keeps limiting on its own, says so on `/readyz`, and
//! goes back to Redis once it answers again.

use std::process::{Child, Command, Stdio};

use crate::{
    helpers::{problem, Backend, TestApp},
    server_binary::free_port,
    wait,
};

/// The Redis every machine and CI runs.
const SHARED_REDIS: &str = "redis://127.0.0.1:6379";

async fn node(redis_url: &str, prefix: &str, per_minute: &str) -> TestApp {
    let (url, prefix, per_minute) = (
        redis_url.to_string(),
        prefix.to_string(),
        per_minute.to_string(),
    );
    TestApp::spawn_with(Backend::Sqlite, move |vars| {
        vars.insert("REDIS_URL".into(), url);
        vars.insert("REDIS_KEY_PREFIX".into(), prefix);
        vars.insert("RATE_LIMIT_PER_MINUTE".into(), per_minute);
        vars.insert("TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await
    .unwrap()
}

/// `GET /api/auth/me` (the public door) from `client`, without a token:
/// 401 while the budget lasts, 429 after.
async fn me_from(app: &TestApp, client: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/auth/me"))
        .header("x-forwarded-for", client)
        .send()
        .await
        .unwrap()
}

async fn readyz(app: &TestApp) -> serde_json::Value {
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn unique_prefix() -> String {
    format!("gatehouse-test-{}:", uuid::Uuid::new_v4())
}

/// The keys under `prefix` in the Redis at `port`.
fn redis_keys(port: u16, prefix: &str) -> Vec<String> {
    let output = Command::new("redis-cli")
        .args([
            "-p",
            &port.to_string(),
            "--scan",
            "--pattern",
            &format!("{prefix}*"),
        ])
        .output()
        .expect("redis-cli runs (scripts/lib/setup.sh installs redis-tools)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_redis_spend_one_budget_exactly() {
    let prefix = unique_prefix();
    let a = node(SHARED_REDIS, &prefix, "10").await;
    let b = node(SHARED_REDIS, &prefix, "10").await;
    assert_eq!(readyz(&a).await["rate_limits"], "redis");

    let client = "203.0.113.50";
    let burst = (0..16).map(|n| me_from(if n % 2 == 0 { &a } else { &b }, client));
    let statuses: Vec<u16> = futures::future::join_all(burst)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        6,
        "{statuses:?}"
    );
    for app in [&a, &b] {
        let late = me_from(app, client).await;
        assert!(late.headers().contains_key("retry-after"));
        problem(late, 429, "rate_limited").await;
    }
    assert_eq!(
        me_from(&b, "203.0.113.51").await.status(),
        401,
        "another client's own budget"
    );
    let keys = redis_keys(6379, &prefix);
    assert!(
        keys.iter().any(|k| k.ends_with("public_ip:203.0.113.50")),
        "{keys:?}"
    );
}

/// A private Redis this test may stop and start again.
struct PrivateRedis {
    child: Child,
}

impl PrivateRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/lib/setup.sh installs it)");
        wait::until_blocking("the private Redis answers", || {
            let ping = Command::new("redis-cli")
                .args(["-p", &port.to_string(), "ping"])
                .output();
            match ping {
                Ok(out) if out.stdout.starts_with(b"PONG") => Ok(()),
                other => Err(format!("{other:?}")),
            }
        });
        Self { child }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_keeps_limiting_on_its_own_while_redis_is_away_and_returns_to_it() {
    let port = free_port();
    let mut redis = PrivateRedis::start(port);
    let prefix = unique_prefix();
    let app = node(&format!("redis://127.0.0.1:{port}"), &prefix, "5").await;
    assert_eq!(me_from(&app, "198.51.100.20").await.status(), 401);
    assert_eq!(readyz(&app).await["rate_limits"], "redis");
    assert_eq!(redis_keys(port, &prefix).len(), 1, "counted in Redis");

    redis.stop();
    // Neither refused wholesale nor unlimited: five answers, then 429.
    let client = "198.51.100.21";
    for _ in 0..5 {
        assert_eq!(me_from(&app, client).await.status(), 401);
    }
    problem(me_from(&app, client).await, 429, "rate_limited").await;
    let degraded = readyz(&app).await;
    assert_eq!(degraded["status"], "ready", "the node still serves");
    assert_eq!(degraded["rate_limits"], "local_fallback");
    assert_eq!(degraded["degraded"], serde_json::json!(["redis"]));

    let _redis = PrivateRedis::start(port);
    let what = "the node counts in Redis again";
    wait::until(what, async || {
        me_from(&app, "198.51.100.22").await;
        match readyz(&app).await["rate_limits"].as_str() {
            Some("redis") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let keys = redis_keys(port, &prefix);
    assert!(
        keys.iter().any(|k| k.ends_with("public_ip:198.51.100.22")),
        "{keys:?}"
    );
}
