//! The service layer: every rule of Gatehouse lives here, once. The JSON API
//! and the pages' server functions are thin adapters that read the request,
//! call an `AuthService` method and map `AuthError`.
//!
//! One file per concept: identity values, passwords (policy and hashing),
//! tokens, sessions, lockout, accounts, login, permissions, audit, rate
//! limiting.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod backup_codes;
pub mod challenge;
pub mod client_ip;
pub mod clock;
pub mod error;
pub mod identity;
pub mod keys;
pub mod lockout;
pub mod login;
pub mod password;
pub mod permissions;
pub mod rate_limit;
pub mod request_meta;
pub mod secret_box;
pub mod sessions;
pub mod tokens;
pub mod totp;
pub mod two_factor;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

pub use error::{AuthError, FieldError};
pub use request_meta::RequestMeta;
pub use sessions::Principal;

use crate::config::Config;
use clock::Clock;
use keys::Keys;
use password::hashing::PasswordHasher;
use rate_limit::RateLimiter;

/// Cheap to clone; shared by every request of both transports.
#[derive(Clone)]
pub struct AuthService {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    config: Arc<Config>,
    clock: Arc<dyn Clock>,
    keys: Keys,
    hasher: PasswordHasher,
    rate_limiter: RateLimiter,
}

impl AuthService {
    /// Fails only if the configured encryption keys cannot be used.
    pub fn new(
        db: DatabaseConnection,
        config: Arc<Config>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AuthError> {
        // One hash at a time per core: more would only queue inside the CPU
        // and slow every hash down together.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            inner: Arc::new(Inner {
                keys: Keys::derive(&config)?,
                hasher: PasswordHasher::new(cores),
                rate_limiter: RateLimiter::per_minute(config.rate_limit_per_minute),
                db,
                config,
                clock,
            }),
        })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.inner.rate_limiter
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    pub(crate) fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// Periodic housekeeping: expired sessions and idle rate-limit entries.
    pub async fn housekeeping(&self) -> Result<(), AuthError> {
        let deleted = self.delete_expired_sessions().await?;
        if deleted > 0 {
            tracing::info!(deleted, "expired sessions removed");
        }
        self.delete_expired_challenges().await?;
        self.inner.rate_limiter.forget_idle_clients();
        Ok(())
    }

    /// How often `housekeeping` runs.
    pub const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(600);
}
