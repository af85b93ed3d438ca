//! `TestApp::spawn` starts the application on a fresh database and returns a
//! handle with an HTTP client; `backend_tests!` runs a scenario once on
//! SQLite and once on PostgreSQL.

use std::collections::HashMap;

use app::{auth::clock::ManualClock, config::Config};
use base64::Engine;
use rand::RngCore;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use server::{startup::Application, state::AppState};

use crate::{test_times::Stopwatch, wait};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    /// The application's clock; tests move it instead of sleeping.
    pub clock: ManualClock,
    /// The configuration variables the application was started with.
    pub vars: HashMap<String, String>,
    _data_dir: tempfile::TempDir,
    _stopwatch: Stopwatch,
}

impl TestApp {
    /// `None` only when PostgreSQL is unreachable and not required; it is
    /// required by `scripts/check` and on CI (`postgres_required`), where
    /// an unreachable server fails the test instead.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like `spawn`, after `adjust` has changed the configuration variables.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut HashMap<String, String>),
    ) -> Option<Self> {
        let stopwatch = Stopwatch::start(match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        });
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        }
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let database_url = match backend {
            Backend::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("gatehouse.db").display()
            ),
            Backend::Postgres => fresh_postgres_database().await?,
        };
        let mut vars = base_vars(data_dir.path());
        vars.insert("DATABASE_URL".into(), database_url);
        adjust(&mut vars);
        let config =
            Config::from_lookup(|name| vars.get(name).cloned()).expect("valid test config");

        let clock = ManualClock::new(chrono::Utc::now());
        let application = Application::build_with_clock(config, std::sync::Arc::new(clock.clone()))
            .await
            .expect("application starts");
        let address = format!("http://{}", application.address());
        let state = application.state().clone();
        tokio::spawn(application.run_until_stopped(std::future::pending()));

        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        Some(Self {
            address,
            client,
            state,
            clock,
            vars,
            _data_dir: data_dir,
            _stopwatch: stopwatch,
        })
    }

    /// The time the application sees.
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use app::auth::clock::Clock;
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// The published key set (`/.well-known/jwks.json`) as JSON.
    pub async fn jwks(&self) -> serde_json::Value {
        self.get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .expect("the JWKS is JSON")
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    pub async fn register(&self, email: &str, username: &str, password: &str) -> reqwest::Response {
        let body =
            serde_json::json!({ "email": email, "username": username, "password": password });
        self.post_json("/api/auth/register", &body, None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        let body =
            serde_json::json!({ "email": email, "password": password, "device_name": "test" });
        self.post_json("/api/auth/login", &body, None).await
    }

    /// Registers `name` (email `name@example.com`) with `PASSWORD`, signs in
    /// and returns the token pair.
    pub async fn signed_up(&self, name: &str) -> Tokens {
        let email = format!("{name}@example.com");
        let response = self.register(&email, name, PASSWORD).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        self.signed_in(&email, PASSWORD).await
    }

    pub async fn signed_in(&self, email: &str, password: &str) -> Tokens {
        let response = self.login(email, password).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// Gives `name` exactly `roles`, as the operator's command line would.
    pub async fn set_roles_of(&self, name: &str, roles: &[&str]) {
        let auth = &self.state.auth;
        let user = auth
            .find_user_by_email(&format!("{name}@example.com"))
            .await
            .unwrap();
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        let meta = app::auth::RequestMeta::new([127, 0, 0, 1].into(), None, None);
        auth.set_roles(app::auth::admin::Actor::Operator, user.id, &roles, &meta)
            .await
            .unwrap();
    }

    /// Signs up `name`, makes them an administrator as the command line
    /// would, and signs them in.
    pub async fn signed_in_admin(&self, name: &str) -> Tokens {
        self.signed_up(name).await;
        self.set_roles_of(name, &["admin"]).await;
        self.signed_in(&format!("{name}@example.com"), PASSWORD)
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        let body = serde_json::json!({ "refresh_token": refresh_token });
        self.post_json("/api/auth/refresh", &body, None).await
    }

    /// Waits until `sql` counts `expected` (work of the mail worker, say).
    pub async fn wait_for_count(&self, sql: &str, expected: i64) {
        let what = format!("{sql} counts {expected}");
        wait::until(&what, async || match self.count(sql).await {
            count if count == expected => Ok(()),
            count => Err(format!("{count}")),
        })
        .await;
    }

    /// One row count from the application's database.
    pub async fn count(&self, sql: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Statement};
        let db = &self.state.db;
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                sql.to_string(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
            .unwrap()
    }
}

/// A password that meets the policy for any test user.
pub const PASSWORD: &str = "Violet-Harbor-Lamp-42";

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

/// A problem+json body, checked for its shape.
pub async fn problem(response: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(response.status(), status, "expected {status} {code}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    body
}

/// Configuration every test starts from: development, strong random secrets,
/// a random port.
pub fn base_vars(data_dir: &std::path::Path) -> HashMap<String, String> {
    HashMap::from([
        ("ENVIRONMENT".into(), "development".into()),
        ("DATA_DIR".into(), data_dir.display().to_string()),
        ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
        ("JWT_SECRET_KEY".into(), random_secret(48)),
        ("DATABASE_ENCRYPTION_KEY".into(), random_secret(32)),
    ])
}

pub fn random_secret(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    base64::engine::general_purpose::STANDARD.encode(buffer)
}

/// The server to create test databases on; `GATEHOUSE_TEST_POSTGRES_URL`
/// overrides it (without a database name).
fn postgres_server_url() -> String {
    std::env::var("GATEHOUSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Why the PostgreSQL variants must run rather than skip, if they must:
/// `GATEHOUSE_REQUIRE_POSTGRES` (set by `scripts/check`) or `CI` (set by CI
/// services), each any value but empty, `0` or `false`.
fn postgres_required() -> Option<&'static str> {
    let on = |name| std::env::var(name).is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    ["GATEHOUSE_REQUIRE_POSTGRES", "CI"]
        .into_iter()
        .find(|&name| on(name))
}

/// How long to try reaching PostgreSQL: a local server answers in
/// milliseconds, even on a loaded machine.
const POSTGRES_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The first failure to reach PostgreSQL: later tests fail (or skip) at once
/// rather than each waiting out its own timeout.
static POSTGRES_UNREACHABLE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn connect_postgres_admin(server: &str) -> Result<DatabaseConnection, String> {
    if let Some(error) = POSTGRES_UNREACHABLE.get() {
        return Err(error.clone());
    }
    let mut options = ConnectOptions::new(format!("{server}/postgres"));
    options
        .connect_timeout(POSTGRES_CONNECT_TIMEOUT)
        .acquire_timeout(POSTGRES_CONNECT_TIMEOUT);
    Database::connect(options).await.map_err(|error| {
        POSTGRES_UNREACHABLE
            .get_or_init(|| error.to_string())
            .clone()
    })
}

async fn fresh_postgres_database() -> Option<String> {
    let server = postgres_server_url();
    let admin = match connect_postgres_admin(&server).await {
        Ok(admin) => admin,
        Err(error) => match postgres_required() {
            None => {
                eprintln!("PostgreSQL not reachable at {server} ({error}); skipping this test");
                return None;
            }
            Some(variable) => panic!(
                "PostgreSQL is required ({variable} is set) but not reachable at {server}: \
                 {error}. Start it (scripts/check does) or point \
                 GATEHOUSE_TEST_POSTGRES_URL at one."
            ),
        },
    };
    let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    let _ = admin.close().await;
    Some(format!("{server}/{name}"))
}

/// Runs each listed scenario (`async fn name(app: TestApp)`) on SQLite and on
/// PostgreSQL, as `sqlite::name` and `postgres::name`. With `adjusted by f;`
/// first, each app starts with the configuration variables `f(&mut vars)`
/// changed (`f` is a function of the calling module).
#[macro_export]
macro_rules! backend_tests {
    (adjusted by $adjust:ident; $($name:ident),* $(,)?) => {
        $crate::backend_tests!(@spawn super::$adjust; $($name),*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::backend_tests!(@spawn $crate::helpers::unchanged; $($name),*);
    };
    (@spawn $adjust:expr; $($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn_with(
                        $crate::helpers::Backend::Sqlite,
                        $adjust,
                    )
                    .await
                    .expect("SQLite is always available");
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn_with(
                        $crate::helpers::Backend::Postgres,
                        $adjust,
                    )
                    .await
                    {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// The configuration as `base_vars` makes it, for `backend_tests!`.
pub fn unchanged(_: &mut HashMap<String, String>) {}
