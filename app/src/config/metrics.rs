//! `METRICS_ADDR` and `METRICS_TOKEN`: whether and where `GET /metrics` is
//! served. Neither set (the default): nowhere. `METRICS_ADDR`: on a listener
//! of its own, so the public port never shows it. `METRICS_TOKEN`: only to
//! a request bearing the token (on the main port, or on `METRICS_ADDR` when
//! both are set).

use std::{fmt, net::SocketAddr};

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{parse::Vars, ConfigError, Environment};

/// Characters a production token must have at least: as strong as a
/// 128-bit random value written in hex.
pub const MIN_TOKEN_CHARS: usize = 32;

#[derive(Debug, Default)]
pub struct MetricsConfig {
    /// `METRICS_ADDR`: a listener of its own for `/metrics`.
    pub addr: Option<SocketAddr>,
    /// `METRICS_TOKEN`: the bearer token a scrape must present.
    pub token: Option<MetricsToken>,
}

impl MetricsConfig {
    /// Whether metrics are recorded and served at all.
    pub fn enabled(&self) -> bool {
        self.addr.is_some() || self.token.is_some()
    }

    /// Whether the main port serves `/metrics` (behind the token): only
    /// when there is a token and no listener of its own.
    pub fn on_main_port(&self) -> bool {
        self.addr.is_none() && self.token.is_some()
    }

    pub(super) fn from_vars(
        vars: &Vars,
        environment: Environment,
        site_addr: SocketAddr,
        warnings: &mut Vec<String>,
    ) -> Result<Self, ConfigError> {
        let addr = vars
            .string("METRICS_ADDR")
            .map(|raw| metrics_addr(&raw, site_addr))
            .transpose()?;
        let token = vars
            .string("METRICS_TOKEN")
            .map(|raw| MetricsToken::parse(raw, environment, warnings))
            .transpose()?;
        Ok(Self { addr, token })
    }
}

fn metrics_addr(raw: &str, site_addr: SocketAddr) -> Result<SocketAddr, ConfigError> {
    let addr: SocketAddr = raw.parse().map_err(|_| {
        ConfigError::new(
            "METRICS_ADDR",
            format!("must be an address and port such as 127.0.0.1:9464, got {raw:?}"),
        )
    })?;
    // Port 0 picks a free port for each, so only a fixed port can clash.
    if addr == site_addr && addr.port() != 0 {
        return Err(ConfigError::new(
            "METRICS_ADDR",
            "must differ from LEPTOS_SITE_ADDR: metrics get a listener of their own",
        ));
    }
    Ok(addr)
}

/// The scrape token. Its `Debug` never shows it; it is compared in
/// constant time.
pub struct MetricsToken(SecretString);

impl MetricsToken {
    /// Printable ASCII only (it travels in an `Authorization` header); at
    /// least [`MIN_TOKEN_CHARS`] in production. The value is never echoed.
    fn parse(
        raw: String,
        environment: Environment,
        warnings: &mut Vec<String>,
    ) -> Result<Self, ConfigError> {
        if !raw.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(ConfigError::new(
                "METRICS_TOKEN",
                "must be printable ASCII without spaces, e.g. the output of `openssl rand -hex 32`",
            ));
        }
        if raw.len() < MIN_TOKEN_CHARS {
            let reason = format!(
                "must be at least {MIN_TOKEN_CHARS} characters, e.g. the output of \
                 `openssl rand -hex 32`"
            );
            if environment == Environment::Production {
                return Err(ConfigError::new("METRICS_TOKEN", reason));
            }
            warnings.push(format!("METRICS_TOKEN is weak: in production it {reason}"));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// Whether `presented` is the token. Both sides are hashed first, so
    /// the comparison takes the same time whatever their lengths.
    pub fn matches(&self, presented: &str) -> bool {
        let expected = Sha256::digest(self.0.expose_secret().as_bytes());
        let presented = Sha256::digest(presented.as_bytes());
        expected.ct_eq(&presented).into()
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const SITE: &str = "127.0.0.1:3000";

    fn parsed(
        environment: Environment,
        pairs: &[(&str, &str)],
    ) -> (Result<MetricsConfig, ConfigError>, Vec<String>) {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| map.get(name).cloned();
        let vars = Vars::new(&lookup);
        let mut warnings = Vec::new();
        let config =
            MetricsConfig::from_vars(&vars, environment, SITE.parse().unwrap(), &mut warnings);
        (config, warnings)
    }

    #[test]
    fn metrics_are_off_unless_configured() {
        let (config, _) = parsed(Environment::Production, &[]);
        let config = config.unwrap();
        assert!(!config.enabled());
        assert!(!config.on_main_port());
    }

    #[test]
    fn a_listener_of_its_own_keeps_metrics_off_the_main_port() {
        let token = "t".repeat(40);
        let (config, _) = parsed(
            Environment::Production,
            &[
                ("METRICS_ADDR", "127.0.0.1:9464"),
                ("METRICS_TOKEN", &token),
            ],
        );
        let config = config.unwrap();
        assert!(config.enabled());
        assert!(!config.on_main_port());
        assert_eq!(config.addr, Some("127.0.0.1:9464".parse().unwrap()));
    }

    #[test]
    fn a_bad_address_or_the_sites_own_is_refused() {
        for addr in ["localhost", "9464", SITE] {
            let (config, _) = parsed(Environment::Development, &[("METRICS_ADDR", addr)]);
            assert_eq!(config.unwrap_err().variable, "METRICS_ADDR", "{addr}");
        }
    }

    #[test]
    fn production_refuses_a_short_token_without_echoing_it() {
        let (config, _) = parsed(
            Environment::Production,
            &[("METRICS_TOKEN", "hunter2-hunter2")],
        );
        let error = config.unwrap_err();
        assert_eq!(error.variable, "METRICS_TOKEN");
        assert!(!error.reason.contains("hunter2"), "{error}");

        let (config, warnings) = parsed(
            Environment::Development,
            &[("METRICS_TOKEN", "hunter2-hunter2")],
        );
        assert!(config.unwrap().on_main_port());
        assert!(warnings.iter().all(|w| !w.contains("hunter2")));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn a_token_that_cannot_travel_in_a_header_is_refused() {
        let spaced = format!("{} {}", "a".repeat(20), "b".repeat(20));
        let (config, _) = parsed(Environment::Production, &[("METRICS_TOKEN", &spaced)]);
        assert_eq!(config.unwrap_err().variable, "METRICS_TOKEN");
    }

    #[test]
    fn the_token_matches_itself_only_and_never_prints() {
        let token = "0123456789abcdef0123456789abcdef";
        let (config, _) = parsed(Environment::Production, &[("METRICS_TOKEN", token)]);
        let config = config.unwrap();
        let stored = config.token.as_ref().unwrap();
        assert!(stored.matches(token));
        assert!(!stored.matches("0123456789abcdef0123456789abcdeF"));
        assert!(!stored.matches(&token[..31]));
        assert!(!stored.matches(""));
        assert!(!format!("{config:?}").contains(token));
    }
}
