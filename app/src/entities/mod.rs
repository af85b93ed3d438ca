//! SeaORM entities, one per table of `migration/`. Plain data: the rules that
//! govern them live in the service layer (`crate::auth`).

pub mod account_tokens;
pub mod api_tokens;
pub mod audit_log;
pub mod backup_codes;
pub mod cookie_sessions;
pub mod device_sessions;
pub mod email_outbox;
pub mod password_history;
pub mod resource_servers;
pub mod role_permissions;
pub mod signing_keys;
pub mod two_factor_challenges;
pub mod user_roles;
pub mod users;
