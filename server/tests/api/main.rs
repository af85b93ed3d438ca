//! Integration tests: the real application, in-process on a random port, over
//! HTTP, against a fresh database per test — a temporary SQLite file and a
//! freshly created PostgreSQL database.

mod helpers;
mod server_binary;
mod test_times;
mod wait;

mod admin;
mod admin_owner_rules;
mod api_tokens;
mod auth_accounts;
mod auth_sessions;
mod auth_tokens;
mod burst_lockout;
mod client_address;
mod config_startup;
mod debug_output;
mod dev_mailbox_loopback;
mod docs;
mod email_normalisation;
mod email_verification;
mod hashing_fairness;
mod health;
mod introspection;
mod key_rotation;
mod mail_delivery;
mod metrics;
mod migrations;
mod no_store;
mod owner_rules;
mod pages;
mod pages_auth;
mod pages_two_factor;
mod policies;
mod rate_limit_doors;
mod rate_limits;
mod recovery;
mod recovery_budget;
mod recovery_reset;
mod resource_server;
mod safe_redirects;
mod secrets_in_logs;
mod session_lifetime;
mod session_lookup_seam;
mod shared_limits;
mod signing_keys_at_rest;
mod startup_log;
mod token_algorithms;
mod two_factor;
mod two_factor_at_rest;
mod two_factor_backup_codes;
mod two_factor_sign_in;
mod well_known;
