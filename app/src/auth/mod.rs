//! The service layer: every rule of Gatehouse lives here, once. The JSON API
//! and the pages' server functions are thin adapters that read the request,
//! call an `AuthService` method and map `AuthError`.
//!
//! Grouped by concept (docs/ARCHITECTURE.md draws the map):
//! - `accounts`: registration, the profile, password change and what a
//!   change of credentials ends;
//! - `sign_in`: password sign-in, the 2FA challenge, lockout,
//!   re-authentication;
//! - `second_factor`: enrolled factors and their checks (TOTP, backup codes);
//! - `device_sessions`: sessions per device, their tokens, refresh and
//!   revocation;
//! - `recovery`: links sent by email (password reset, email verification);
//! - `admin`: administration, role grants, removing a user's 2FA;
//! - `api_tokens`: personal API tokens and their scopes;
//! - `introspection`: resource servers and token introspection (RFC 7662);
//! - `password`, `identity`: the values and their policies;
//! - `limits`, `permissions`, `audit`, `outbox`, `request`, `crypto`,
//!   `signing_keys`, `clock`: what the rules above are built on.

pub mod account_tokens;
pub mod accounts;
pub mod admin;
pub mod api_tokens;
pub mod audit;
pub mod clock;
pub mod crypto;
pub mod device_sessions;
pub mod error;
pub mod identity;
pub mod ids;
pub mod introspection;
pub mod limits;
pub mod lockout;
pub mod outbox;
pub mod password;
pub mod permissions;
pub mod principal;
pub mod recovery;
pub mod request;
pub mod second_factor;
pub mod sign_in;
pub mod signing_keys;

#[cfg(test)]
mod layering;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

pub use device_sessions::OpenedSession;
pub use error::{AuthError, ErrorAnswer, FieldError};
pub use ids::{SessionId, UserId};
pub use principal::{Account, Caller, Factors, Principal, TokenPrincipal};
pub use request::meta::RequestMeta;

use crate::{
    config::{Config, Policies},
    mail::Mailer,
};
use clock::Clock;
use crypto::keys::Keys;
use device_sessions::{DatabaseSessions, SessionLookup};
use limits::{BudgetStore, InMemoryBudgets, Limits, RedisBudgets};
use password::hashing::{PasswordHasher, QueueLimits};
use signing_keys::SigningKeys;

/// The parts a deployment may replace: where rate-limit budgets are counted
/// and where sessions are looked up. `Seams::default_for` counts in Redis
/// with `REDIS_URL` (several nodes, one budget), otherwise in this node's
/// memory, and asks the database for sessions.
pub struct Seams {
    pub budgets: Arc<dyn BudgetStore>,
    pub sessions: Arc<dyn SessionLookup>,
}

impl Seams {
    pub fn default_for(db: &DatabaseConnection, config: &Config) -> Self {
        Self {
            budgets: budget_store(config),
            sessions: Arc::new(DatabaseSessions::new(db.clone())),
        }
    }
}

fn budget_store(config: &Config) -> Arc<dyn BudgetStore> {
    use secrecy::ExposeSecret;
    let Some(url) = &config.redis_url else {
        return Arc::new(InMemoryBudgets::from_config(config));
    };
    match RedisBudgets::new(url.expose_secret(), config) {
        Ok(shared) => Arc::new(shared),
        // The URL was checked with the configuration; should Redis still
        // refuse it, limits hold on this node rather than not at all.
        Err(error) => {
            tracing::error!(%error, "REDIS_URL cannot be used: counting rate limits on this node");
            Arc::new(InMemoryBudgets::from_config(config))
        }
    }
}

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
    /// Swapped whole when the keys are read again (`signing_keys::rotation`).
    signing_keys: std::sync::RwLock<Arc<SigningKeys>>,
    hasher: PasswordHasher,
    limits: Limits,
    sessions: Arc<dyn SessionLookup>,
    mailer: Mailer,
    /// Wakes the mail worker when a request queued a message.
    mail_wakeup: Notify,
}

impl AuthService {
    /// Reads the token-signing keys (creating the first one with an
    /// asymmetric `JWT_ALGORITHM`). Fails if the configured encryption keys
    /// cannot be used or a stored signing key cannot be read.
    pub async fn new(
        db: DatabaseConnection,
        config: Arc<Config>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AuthError> {
        let seams = Seams::default_for(&db, &config);
        Self::with_seams(db, config, clock, seams).await
    }

    /// Like `new`, with the given seams.
    pub async fn with_seams(
        db: DatabaseConnection,
        config: Arc<Config>,
        clock: Arc<dyn Clock>,
        seams: Seams,
    ) -> Result<Self, AuthError> {
        let keys = Keys::derive(&config)?;
        let signing_keys = SigningKeys::load(&db, &config, &keys.sealer, clock.now()).await?;
        // One hash at a time per core: more would only queue inside the CPU
        // and slow every hash down together.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            inner: Arc::new(Inner {
                keys,
                signing_keys: std::sync::RwLock::new(Arc::new(signing_keys)),
                hasher: PasswordHasher::with_limits(
                    cores,
                    QueueLimits {
                        ipv6_prefix: config.rate_limit_ipv6_prefix,
                        per_account: config.password_hashes_per_account,
                        per_ip: config.password_hashes_per_ip,
                        capacity: cores * config.password_hash_queue_per_thread,
                    },
                ),
                limits: Limits::new(seams.budgets, config.rate_limit_ipv6_prefix),
                sessions: seams.sessions,
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

    /// Lockouts, lifetimes and budgets, as configured.
    pub fn policies(&self) -> &Policies {
        &self.inner.config.policies
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// The rate limits of every door (`limits::policy`).
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Where sessions are checked (`device_sessions::lookup`).
    pub(crate) fn session_lookup(&self) -> &dyn SessionLookup {
        self.inner.sessions.as_ref()
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

    /// Periodic housekeeping: expired sessions and idle rate-limit entries,
    /// and the automatic signing-key rotation when it is due.
    pub async fn housekeeping(&self) -> Result<(), AuthError> {
        let deleted = self.delete_expired_sessions().await?;
        if deleted > 0 {
            tracing::info!(deleted, "expired sessions removed");
        }
        self.delete_expired_challenges().await?;
        self.delete_expired_account_tokens().await?;
        self.delete_old_api_tokens().await?;
        self.delete_old_mail().await?;
        self.inner.limits.forget_idle();
        self.rotate_signing_key_if_due().await?;
        Ok(())
    }

    /// How often `housekeeping` runs.
    pub const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(600);
}
