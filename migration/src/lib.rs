//! The whole Gatehouse data model, written once for SQLite and PostgreSQL.
//!
//! Migrations run at server start (`Migrator::up`); a second start finds
//! nothing to do. One file per concept, in the order their foreign keys need.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_users;
mod m20261127_000002_roles;
mod m20261127_000003_password_history;
mod m20261127_000004_sessions;
mod m20261127_000005_two_factor;
mod m20261127_000006_audit_log;
mod m20261127_000007_browser_sessions;
mod m20261127_000008_account_tokens;
mod m20261127_000009_email_outbox;
mod m20261128_000010_signing_keys;
mod m20261202_000011_signing_key_schedule;
mod m20261206_000012_api_tokens;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_users::Migration),
            Box::new(m20261127_000002_roles::Migration),
            Box::new(m20261127_000003_password_history::Migration),
            Box::new(m20261127_000004_sessions::Migration),
            Box::new(m20261127_000005_two_factor::Migration),
            Box::new(m20261127_000006_audit_log::Migration),
            Box::new(m20261127_000007_browser_sessions::Migration),
            Box::new(m20261127_000008_account_tokens::Migration),
            Box::new(m20261127_000009_email_outbox::Migration),
            Box::new(m20261128_000010_signing_keys::Migration),
            Box::new(m20261202_000011_signing_key_schedule::Migration),
            Box::new(m20261206_000012_api_tokens::Migration),
        ]
    }
}
