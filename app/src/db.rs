//! The database connection: the embedded SQLite file by default, PostgreSQL
//! when `DATABASE_URL` says so. Migrations run at start and are idempotent.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use secrecy::ExposeSecret;

use crate::config::Config;

/// How long a request may wait for a pooled connection before it fails
/// (and a readiness probe answers 503) rather than hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let url = config.database_url.expose_secret();
    if config.is_sqlite() {
        create_sqlite_parent_dir(url)?;
    }
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(if config.is_sqlite() { 8 } else { 16 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // sqlx's statement log would be noise at best and, with bound
        // values, a leak at worst.
        .sqlx_logging(false);
    if config.is_sqlite() {
        // WAL lets readers proceed during a write; the busy timeout makes
        // concurrent writers queue instead of failing with SQLITE_BUSY.
        options.map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    Database::connect(options).await
}

/// Brings the schema up to date; a no-op when it already is.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// True when the database answers a trivial query in time.
pub async fn is_ready(db: &DatabaseConnection) -> bool {
    let probe = db.execute_unprepared("SELECT 1");
    matches!(
        tokio::time::timeout(ACQUIRE_TIMEOUT, probe).await,
        Ok(Ok(_))
    )
}

/// `sqlite://data/gatehouse.db?mode=rwc` → make sure `data/` exists.
fn create_sqlite_parent_dir(url: &str) -> Result<(), DbErr> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|error| DbErr::Custom(format!("cannot create {}: {error}", dir.display()))),
        _ => Ok(()),
    }
}
