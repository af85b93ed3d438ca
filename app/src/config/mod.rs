//! Configuration in one place: every variable of API.md's Configuration
//! section is read here (the environment, and `.env` if present), parsed into
//! a typed value and validated at start. Nothing else in Gatehouse reads the
//! environment.
//!
//! A bad value stops the server with a one-line message naming the variable.
//! In development, missing secrets are generated once and kept in the data
//! folder (see [`dev_secrets`]); in production they must be supplied.

mod dev_secrets;
mod metrics;
mod parse;
mod policies;
mod secrets;

use std::{net::SocketAddr, path::PathBuf};

use ipnet::IpNet;
use secrecy::{SecretBox, SecretString};

pub use metrics::{MetricsConfig, MetricsToken};
pub use parse::ConfigError;
use parse::Vars;
pub use policies::{Lockout, MailBudgets, Policies};

use crate::auth::{
    password::hash_queue::{PER_ACCOUNT, PER_IP, QUEUED_PER_THREAD},
    signing_keys::JwtAlgorithm,
};

/// `ENVIRONMENT`: development is forgiving (generated secrets, readable
/// logs); production refuses anything unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    /// The value of `ENVIRONMENT` that selects it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Production => "production",
        }
    }
}

/// Where the compiled site (wasm, js, css, assets) is served from. cargo-leptos
/// sets these variables when it runs the server; the defaults match its layout.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub output_name: String,
    pub site_root: String,
    pub pkg_dir: String,
    pub reload_port: u32,
}

/// An encryption key and the version it is known by.
pub type VersionedKey = (u32, SecretBox<[u8; 32]>);

/// The validated configuration. Secrets are wrapped so `Debug` cannot print them.
#[derive(Debug)]
pub struct Config {
    pub environment: Environment,
    pub debug: bool,
    pub site_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: SecretString,
    pub jwt_secret: SecretString,
    /// `JWT_ALGORITHM`: what access tokens are signed (and only accepted)
    /// with. `HS256` uses `JWT_SECRET_KEY`; `EdDSA` and `ES256` use a key
    /// pair Gatehouse generates and publishes at `/.well-known/jwks.json`.
    pub jwt_algorithm: JwtAlgorithm,
    pub encryption_key: SecretBox<[u8; 32]>,
    /// `DATABASE_ENCRYPTION_KEY_VERSION`: the version new values are written
    /// under. Bump it when the key changes.
    pub encryption_key_version: u32,
    /// `DATABASE_ENCRYPTION_PREVIOUS_KEYS`: `version:key` pairs still read
    /// (never written) after a rotation.
    pub previous_encryption_keys: Vec<VersionedKey>,
    /// Lockouts, lifetimes and budgets (`policies`), read by the service
    /// as `AuthService::policies`.
    pub policies: Policies,
    pub totp_issuer: String,
    pub backup_codes_count: u32,
    pub backup_code_length: u32,
    pub rate_limit_per_minute: u32,
    /// `RATE_LIMIT_SIGNED_IN_PER_MINUTE`: operations one signed-in account
    /// may make a minute, whatever its address (pages and API).
    pub rate_limit_signed_in_per_minute: u32,
    /// `RATE_LIMIT_SIGNED_IN_IP_PER_MINUTE`: signed-in and admin requests
    /// one client IP may make a minute (several people may share an IP).
    pub rate_limit_signed_in_ip_per_minute: u32,
    /// `RATE_LIMIT_ADMIN_PER_MINUTE`: admin operations one account may make
    /// a minute (on top of the signed-in budget).
    pub rate_limit_admin_per_minute: u32,
    /// `RATE_LIMIT_INTROSPECTION_PER_MINUTE`: token introspections one
    /// resource server (and one client IP) may make a minute.
    pub rate_limit_introspection_per_minute: u32,
    /// `RATE_LIMIT_IPV6_PREFIX`: IPv6 clients share per-IP budgets per
    /// network of this prefix length (32 to 128).
    pub rate_limit_ipv6_prefix: u8,
    /// `PASSWORD_HASH_QUEUE_PER_THREAD`: password hashes admitted (waiting
    /// or running) per hashing thread; past that, 503 `overloaded`.
    pub password_hash_queue_per_thread: usize,
    /// `PASSWORD_HASHES_PER_ACCOUNT`: password hashes one account (or one
    /// address being signed in to) may have queued or running at once.
    pub password_hashes_per_account: usize,
    /// `PASSWORD_HASHES_PER_IP`: the same for one client IP (IPv6: prefix).
    pub password_hashes_per_ip: usize,
    pub trusted_proxies: Vec<IpNet>,
    pub cors_origins: Vec<String>,
    /// `PUBLIC_URL`: where users reach Gatehouse (scheme, host, optional
    /// path; no trailing slash). Links in emails start with it.
    pub public_url: String,
    /// `SMTP_URL` (may hold a password): `smtp://` (with `?tls=required` or
    /// `?tls=opportunistic` for STARTTLS) or `smtps://`. Unset: emails stay
    /// in the outbox table, the development mailbox.
    pub smtp_url: Option<SecretString>,
    /// `REDIS_URL` (may hold a password): where every node counts the rate
    /// limits together. Unset: this node counts them in its own memory.
    pub redis_url: Option<SecretString>,
    /// `REDIS_KEY_PREFIX`: what every key Gatehouse writes in Redis starts
    /// with, so several deployments can share one Redis.
    pub redis_key_prefix: String,
    /// `MAIL_FROM`: the sender of every email, `Name <address>` or an address.
    pub mail_from: String,
    /// `REQUIRE_EMAIL_VERIFICATION`: sign-in refuses accounts whose address
    /// is not verified yet.
    pub require_email_verification: bool,
    /// `METRICS_ADDR`, `METRICS_TOKEN`: whether and where `/metrics` is
    /// served (off unless one is set).
    pub metrics: MetricsConfig,
    pub site: SiteConfig,
    /// Things worth telling the operator once logging is up (e.g. that a
    /// development secret was generated). Never contains a secret.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads `.env` (if present) and the process environment; variables
    /// already set in the environment win over `.env`.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(error) if error.not_found() => {}
            Err(error) => return Err(ConfigError::new(".env", format!("cannot be read: {error}"))),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source; tests pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(&lookup);
        let mut warnings = Vec::new();

        let environment = vars.environment("ENVIRONMENT")?;
        let production = environment == Environment::Production;
        let data_dir = PathBuf::from(vars.string("DATA_DIR").unwrap_or_else(|| "data".into()));
        let site_addr = vars.socket_addr("LEPTOS_SITE_ADDR", "127.0.0.1:3000")?;

        let database_url = match vars.string("DATABASE_URL") {
            Some(url) => parse::database_url("DATABASE_URL", &url)?,
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("gatehouse.db").display()
            ),
        };

        let (jwt_secret, encryption_key) =
            secrets::load(&vars, environment, &data_dir, &mut warnings)?;
        let encryption_key_version =
            vars.number("DATABASE_ENCRYPTION_KEY_VERSION", 1, 1..=10_000)? as u32;
        let previous_encryption_keys = secrets::previous_keys(&vars, encryption_key_version)?;

        let public_url = match vars.string("PUBLIC_URL") {
            Some(url) => parse::public_url("PUBLIC_URL", &url)?,
            None if production => {
                return Err(ConfigError::new(
                    "PUBLIC_URL",
                    "is required in production: the https:// address users reach Gatehouse at \
                     (links in emails start with it)",
                ))
            }
            None => "http://localhost:3000".to_string(),
        };
        let smtp_url = vars
            .string("SMTP_URL")
            .map(|url| parse::smtp_url("SMTP_URL", &url))
            .transpose()?;
        let redis_url = vars
            .string("REDIS_URL")
            .map(|url| parse::redis_url("REDIS_URL", &url))
            .transpose()?;
        let mail_from = match vars.string("MAIL_FROM") {
            Some(from) => parse::mail_from("MAIL_FROM", &from)?,
            None if production && smtp_url.is_some() => {
                return Err(ConfigError::new(
                    "MAIL_FROM",
                    "is required in production when SMTP_URL is set, e.g. \
                     Gatehouse <no-reply@example.com>",
                ))
            }
            None => "Gatehouse <gatehouse@localhost>".to_string(),
        };
        if smtp_url.is_none() {
            warnings.push(if production {
                "SMTP_URL is not set: emails (password reset, verification) are kept in the \
                 email_outbox table and not delivered"
                    .to_string()
            } else {
                "SMTP_URL is not set: emails go to the development mailbox at /dev/mailbox"
                    .to_string()
            });
        }

        let metrics = MetricsConfig::from_vars(&vars, environment, site_addr, &mut warnings)?;

        Ok(Self {
            environment,
            debug: vars.boolean("DEBUG", false)?,
            site_addr,
            database_url: SecretString::from(database_url),
            jwt_secret,
            jwt_algorithm: vars.jwt_algorithm("JWT_ALGORITHM")?,
            encryption_key,
            encryption_key_version,
            previous_encryption_keys,
            policies: Policies::from_vars(&vars)?,
            totp_issuer: vars.totp_issuer("TOTP_ISSUER_NAME", "GLAD Labs")?,
            backup_codes_count: vars.number("BACKUP_CODES_COUNT", 10, 1..=50)? as u32,
            backup_code_length: vars.number("BACKUP_CODE_LENGTH", 8, 6..=32)? as u32,
            rate_limit_per_minute: vars.number("RATE_LIMIT_PER_MINUTE", 60, 1..=1_000_000_000)?
                as u32,
            rate_limit_signed_in_per_minute: vars.number(
                "RATE_LIMIT_SIGNED_IN_PER_MINUTE",
                120,
                1..=1_000_000_000,
            )? as u32,
            rate_limit_signed_in_ip_per_minute: vars.number(
                "RATE_LIMIT_SIGNED_IN_IP_PER_MINUTE",
                600,
                1..=1_000_000_000,
            )? as u32,
            rate_limit_admin_per_minute: vars.number(
                "RATE_LIMIT_ADMIN_PER_MINUTE",
                30,
                1..=1_000_000_000,
            )? as u32,
            rate_limit_introspection_per_minute: vars.number(
                "RATE_LIMIT_INTROSPECTION_PER_MINUTE",
                6000,
                1..=1_000_000_000,
            )? as u32,
            rate_limit_ipv6_prefix: vars.number("RATE_LIMIT_IPV6_PREFIX", 64, 32..=128)? as u8,
            password_hash_queue_per_thread: vars.number(
                "PASSWORD_HASH_QUEUE_PER_THREAD",
                QUEUED_PER_THREAD as u64,
                1..=1_000,
            )? as usize,
            password_hashes_per_account: vars.number(
                "PASSWORD_HASHES_PER_ACCOUNT",
                PER_ACCOUNT as u64,
                1..=1_000,
            )? as usize,
            password_hashes_per_ip: vars.number(
                "PASSWORD_HASHES_PER_IP",
                PER_IP as u64,
                1..=1_000,
            )? as usize,
            trusted_proxies: vars.ip_nets("TRUSTED_PROXIES")?,
            cors_origins: vars.origins(
                "CORS_ORIGINS",
                "http://localhost:3000,http://localhost:3001",
            )?,
            public_url,
            smtp_url: smtp_url.map(SecretString::from),
            redis_url: redis_url.map(SecretString::from),
            redis_key_prefix: vars
                .string("REDIS_KEY_PREFIX")
                .unwrap_or_else(|| "gatehouse:".to_string()),
            mail_from,
            require_email_verification: vars.boolean("REQUIRE_EMAIL_VERIFICATION", false)?,
            metrics,
            site: SiteConfig {
                output_name: vars
                    .string("LEPTOS_OUTPUT_NAME")
                    .unwrap_or_else(|| "gatehouse".into()),
                site_root: vars
                    .string("LEPTOS_SITE_ROOT")
                    .unwrap_or_else(|| "target/site".into()),
                pkg_dir: vars
                    .string("LEPTOS_SITE_PKG_DIR")
                    .unwrap_or_else(|| "pkg".into()),
                reload_port: vars.number("LEPTOS_RELOAD_PORT", 3001, 1..=65535)? as u32,
            },
            data_dir,
            warnings: if production {
                warnings
            } else {
                warnings
                    .into_iter()
                    .chain(std::iter::once(
                        "ENVIRONMENT is development: never expose this server to the internet"
                            .to_string(),
                    ))
                    .collect()
            },
        })
    }

    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Whether `DATABASE_URL` names a SQLite database (the embedded default).
    pub fn is_sqlite(&self) -> bool {
        use secrecy::ExposeSecret;
        self.database_url.expose_secret().starts_with("sqlite:")
    }
}
