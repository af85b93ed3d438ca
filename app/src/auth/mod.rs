//! The service layer: every rule of Gatehouse lives here, once. The JSON API
//! and the pages' server functions are thin adapters that read the request,
//! call an `AuthService` method and map `AuthError`.
//!
//! One file per concept: identity values, passwords (policy and hashing),
//! tokens, sessions, lockout, accounts, login, permissions, audit, rate
//! limiting.

pub mod account_tokens;
pub mod accounts;
pub mod admin;
pub mod admin_two_factor;
pub mod audit;
pub mod backup_codes;
pub mod challenge;
pub mod client_ip;
pub mod clock;
pub(crate) mod credential_change;
pub mod error;
pub mod identity;
pub mod keys;
pub mod limits;
pub mod lockout;
pub mod login;
pub mod outbox;
pub mod password;
pub mod permissions;
pub mod reauthentication;
pub mod recovery;
pub mod request_meta;
pub(crate) mod role_grants;
pub mod secret_box;
pub mod sessions;
pub mod tokens;
pub mod totp;
pub mod two_factor;
pub mod verification;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

pub use error::{AuthError, ErrorAnswer, FieldError};
pub use request_meta::RequestMeta;
pub use sessions::Principal;

use crate::{config::Config, mail::Mailer};
use clock::Clock;
use keys::Keys;
use limits::Limits;
use password::hashing::{PasswordHasher, QueueLimits};

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
    limits: Limits,
    mailer: Mailer,
    /// Wakes the mail worker when a request queued a message.
    mail_wakeup: Notify,
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
                hasher: PasswordHasher::with_limits(
                    cores,
                    QueueLimits {
                        ipv6_prefix: config.rate_limit_ipv6_prefix,
                        per_account: config.password_hashes_per_account,
                        per_ip: config.password_hashes_per_ip,
                        capacity: cores * config.password_hash_queue_per_thread,
                    },
                ),
                limits: Limits::from_config(&config),
                mailer: Mailer::from_config(&config).map_err(AuthError::Internal)?,
                mail_wakeup: Notify::new(),
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

    /// The rate limits of every door (`limits::policy`).
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    pub(crate) fn mail_wakeup(&self) -> &Notify {
        &self.inner.mail_wakeup
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
        self.delete_expired_account_tokens().await?;
        self.delete_old_mail().await?;
        self.inner.limits.forget_idle();
        Ok(())
    }

    /// How often `housekeeping` runs.
    pub const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(600);
}
