//! Typed readers for configuration variables. Each error names its variable
//! and says what a valid value looks like, on one line. Values are echoed back
//! only for non-secret variables.

use std::{net::SocketAddr, ops::RangeInclusive, str::FromStr};

use ipnet::IpNet;

use super::Environment;
use crate::auth::signing_keys::JwtAlgorithm;

/// A configuration problem: which variable, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(variable: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            variable: variable.into(),
            reason: reason.into(),
        }
    }
}

/// A variable source. Empty or blank values count as unset.
pub(super) struct Vars<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Vars<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { lookup }
    }

    pub fn string(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
    }

    pub fn environment(&self, name: &str) -> Result<Environment, ConfigError> {
        match self.string(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("development") | Some("dev") => Ok(Environment::Development),
            Some("production") | Some("prod") => Ok(Environment::Production),
            Some(other) => Err(ConfigError::new(
                name,
                format!("must be `development` or `production`, got {other:?}"),
            )),
        }
    }

    pub fn jwt_algorithm(&self, name: &str) -> Result<JwtAlgorithm, ConfigError> {
        match self.string(name) {
            None => Ok(JwtAlgorithm::default()),
            Some(value) => JwtAlgorithm::from_setting(&value).ok_or_else(|| {
                ConfigError::new(
                    name,
                    format!("must be HS256, EdDSA or ES256, got {value:?}"),
                )
            }),
        }
    }

    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.string(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError::new(
                name,
                format!("must be true or false, got {other:?}"),
            )),
        }
    }

    pub fn number(
        &self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        let Some(raw) = self.string(name) else {
            return Ok(default);
        };
        let invalid = || {
            ConfigError::new(
                name,
                format!(
                    "must be a whole number from {} to {}, got {raw:?}",
                    range.start(),
                    range.end()
                ),
            )
        };
        let value = raw.parse::<u64>().map_err(|_| invalid())?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(invalid())
        }
    }

    pub fn socket_addr(&self, name: &str, default: &str) -> Result<SocketAddr, ConfigError> {
        let raw = self.string(name).unwrap_or_else(|| default.to_string());
        SocketAddr::from_str(&raw).map_err(|_| {
            ConfigError::new(
                name,
                format!("must be an address and port such as 127.0.0.1:3000, got {raw:?}"),
            )
        })
    }

    /// The issuer appears in the `otpauth://` label before a `:`, so it may
    /// not contain one.
    pub fn totp_issuer(&self, name: &str, default: &str) -> Result<String, ConfigError> {
        let issuer = self.string(name).unwrap_or_else(|| default.to_string());
        if issuer.contains(':') || issuer.chars().count() > 64 {
            return Err(ConfigError::new(
                name,
                "must be at most 64 characters and contain no ':'",
            ));
        }
        Ok(issuer)
    }

    /// A comma-separated list of IP addresses or CIDR networks.
    pub fn ip_nets(&self, name: &str) -> Result<Vec<IpNet>, ConfigError> {
        let Some(raw) = self.string(name) else {
            return Ok(Vec::new());
        };
        raw.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        ConfigError::new(
                            name,
                            format!("{item:?} is not an IP address or CIDR network"),
                        )
                    })
            })
            .collect()
    }

    /// A comma-separated list of exact origins (`scheme://host[:port]`). A
    /// wildcard is refused: credentials must never be shared with any origin.
    pub fn origins(&self, name: &str, default: &str) -> Result<Vec<String>, ConfigError> {
        let raw = self.string(name).unwrap_or_else(|| default.to_string());
        raw.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                let invalid = || {
                    ConfigError::new(
                        name,
                        format!("{item:?} is not an origin such as https://app.example.com"),
                    )
                };
                let url = url::Url::parse(item).map_err(|_| invalid())?;
                let is_bare_origin = matches!(url.scheme(), "http" | "https")
                    && url.host().is_some()
                    && url.path() == "/"
                    && url.query().is_none()
                    && url.fragment().is_none()
                    && url.username().is_empty();
                if !is_bare_origin {
                    return Err(invalid());
                }
                Ok(url.origin().ascii_serialization())
            })
            .collect()
    }
}

/// `PUBLIC_URL`: an http(s) URL without query or fragment; kept without a
/// trailing slash so paths can be appended.
pub(super) fn public_url(name: &str, raw: &str) -> Result<String, ConfigError> {
    let invalid = || {
        ConfigError::new(
            name,
            format!(
                "must be an http:// or https:// URL such as https://auth.example.com, got {raw:?}"
            ),
        )
    };
    let url = url::Url::parse(raw).map_err(|_| invalid())?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !ok {
        return Err(invalid());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// `SMTP_URL`: `smtp://` or `smtps://` with a host. The value is never
/// echoed, because it may hold a password.
/// `REDIS_URL`: `redis://[user:password@]host[:port][/db]` (TLS would
/// need `rediss://`, which this build does not offer).
pub(super) fn redis_url(name: &str, raw: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(raw)
        .map_err(|_| ConfigError::new(name, "must be a URL such as redis://127.0.0.1:6379"))?;
    if url.scheme() != "redis" || url.host().is_none() {
        return Err(ConfigError::new(
            name,
            "must start with redis:// and name a host",
        ));
    }
    Ok(raw.to_string())
}

pub(super) fn smtp_url(name: &str, raw: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(raw).map_err(|_| {
        ConfigError::new(
            name,
            "must be a URL such as smtps://user:password@smtp.example.com",
        )
    })?;
    if !matches!(url.scheme(), "smtp" | "smtps") || url.host().is_none() {
        return Err(ConfigError::new(
            name,
            "must start with smtp:// or smtps:// and name a host",
        ));
    }
    match url.query_pairs().find(|(key, _)| key == "tls") {
        None => {}
        Some((_, value)) if value == "required" || value == "opportunistic" => {}
        Some(_) => {
            return Err(ConfigError::new(
                name,
                "tls= must be `required` or `opportunistic`",
            ))
        }
    }
    // Whatever else lettre would refuse when the mailer is built, refused
    // here, at start, with the usual one line (its error is not echoed: it
    // may quote the URL).
    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(raw)
        .map_err(|_| ConfigError::new(name, "cannot be used as an SMTP URL"))?;
    Ok(raw.to_string())
}

/// `MAIL_FROM`: an address, optionally with a display name
/// (`Gatehouse <no-reply@example.com>`).
pub(super) fn mail_from(name: &str, raw: &str) -> Result<String, ConfigError> {
    raw.parse::<lettre::message::Mailbox>()
        .map(|_| raw.to_string())
        .map_err(|_| {
            ConfigError::new(
                name,
                format!("must be an email address such as Gatehouse <no-reply@example.com>, got {raw:?}"),
            )
        })
}

/// Only the two supported databases; the URL itself is never echoed because
/// it may hold a password.
pub(super) fn database_url(name: &str, url: &str) -> Result<String, ConfigError> {
    let supported = ["sqlite:", "postgres://", "postgresql://"];
    if supported.iter().any(|prefix| url.starts_with(prefix)) {
        Ok(url.to_string())
    } else {
        Err(ConfigError::new(
            name,
            "must start with sqlite:, postgres:// or postgresql://",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls_need_the_redis_scheme_and_a_host() {
        for url in ["redis://127.0.0.1:6379", "redis://:secret@cache.internal/2"] {
            assert!(redis_url("REDIS_URL", url).is_ok(), "{url}");
        }
        for url in [
            "rediss://cache:6380",
            "http://cache",
            "redis://",
            "cache:6379",
        ] {
            assert!(redis_url("REDIS_URL", url).is_err(), "{url}");
        }
    }

    #[test]
    fn smtp_urls_of_every_documented_form_are_accepted() {
        for url in [
            "smtps://user:pass@mail.example.com:465",
            "smtp://user:pass@mail.example.com:587?tls=required",
            "smtp://mail.example.com?tls=opportunistic",
            "smtp://127.0.0.1:2525",
        ] {
            assert_eq!(smtp_url("SMTP_URL", url).as_deref(), Ok(url));
        }
        for url in [
            "http://mail.example.com",
            "smtp://?tls=required",
            "mail.example.com",
        ] {
            let error = smtp_url("SMTP_URL", url).unwrap_err();
            assert!(!error.reason.contains(url), "{error}");
        }
    }

    #[test]
    fn the_public_url_loses_its_trailing_slash() {
        assert_eq!(
            public_url("PUBLIC_URL", "https://auth.example.com/").unwrap(),
            "https://auth.example.com"
        );
        assert_eq!(
            public_url("PUBLIC_URL", "https://example.com/auth/").unwrap(),
            "https://example.com/auth"
        );
        assert!(public_url("PUBLIC_URL", "https://example.com/#x").is_err());
        assert!(public_url("PUBLIC_URL", "javascript:alert(1)").is_err());
    }

    #[test]
    fn the_jwt_algorithm_defaults_to_hs256_and_names_the_allowed_values() {
        let read = |value: Option<&str>| {
            let lookup = |_: &str| value.map(str::to_string);
            Vars::new(&lookup).jwt_algorithm("JWT_ALGORITHM")
        };
        assert_eq!(read(None), Ok(JwtAlgorithm::Hs256));
        assert_eq!(read(Some("EdDSA")), Ok(JwtAlgorithm::EdDsa));
        assert_eq!(read(Some("es256")), Ok(JwtAlgorithm::Es256));
        let error = read(Some("none")).unwrap_err();
        assert_eq!(error.variable, "JWT_ALGORITHM");
        assert!(error.reason.contains("HS256, EdDSA or ES256"), "{error}");
    }

    #[test]
    fn mail_from_takes_an_address_with_or_without_a_name() {
        assert!(mail_from("MAIL_FROM", "Gatehouse <no-reply@example.com>").is_ok());
        assert!(mail_from("MAIL_FROM", "no-reply@example.com").is_ok());
        assert!(mail_from("MAIL_FROM", "no reply").is_err());
    }
}
