//! Integration tests: the real application, in-process on a random port, over
//! HTTP, against a fresh database per test — a temporary SQLite file and a
//! freshly created PostgreSQL database.

mod helpers;
mod server_binary;

mod admin;
mod auth_accounts;
mod auth_sessions;
mod auth_tokens;
mod burst_lockout;
mod config_startup;
mod docs;
mod health;
mod mail_delivery;
mod migrations;
mod pages;
mod pages_auth;
mod pages_two_factor;
mod rate_limits;
mod recovery;
mod secrets_in_logs;
mod two_factor;
