//! The security policies the service applies: how many failures lock what
//! and for how long, how long each token and link lives, how recent a
//! sign-in must be, how many emails may be caused. Built once with the rest
//! of the configuration and read as `AuthService::policies`, never as a
//! constant of some module. The defaults are Gatehouse's documented values
//! (README, "Configuration"); values without a variable are fixed here.
//!
//! Protocol constants (the JWT issuer and audience, token and nonce sizes)
//! are not policies: they stay with their code.

use std::ops::RangeInclusive;

use chrono::Duration;

use super::parse::{ConfigError, Vars};

/// Consecutive failures that lock, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub max_attempts: u32,
    pub duration: Duration,
}

/// Emails (reset, verification) that requests may cause in an hour
/// (`Limits::admit_mail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailBudgets {
    /// Email-sending requests one client IP (IPv6: prefix) may make.
    pub per_ip: u32,
    /// Emails one IP may cause to one address: a stranger spends only
    /// their own share.
    pub per_address_per_ip: u32,
    /// Emails one address may receive whoever asks, so a mailbox cannot be
    /// flooded from many IPs.
    pub per_address: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    /// `MAX_LOGIN_ATTEMPTS` wrong passwords (sign-in or re-authentication)
    /// lock the account for `LOCKOUT_DURATION_MINUTES`.
    pub password_lockout: Lockout,
    /// `MAX_TWO_FACTOR_ATTEMPTS` wrong second factors (TOTP or backup codes)
    /// lock 2FA verification for `TWO_FACTOR_LOCKOUT_MINUTES`.
    pub second_factor_lockout: Lockout,
    /// `REAUTHENTICATION_WINDOW_MINUTES`: how recent a sign-in stands in for
    /// the password before adding a sign-in factor (OWASP ASVS 3.7.1).
    pub reauthentication_window: Duration,
    /// `TWO_FACTOR_CHALLENGE_MINUTES`: how long the second step of a sign-in
    /// stays open.
    pub challenge_lifetime: Duration,
    /// `ACCESS_TOKEN_EXPIRE_MINUTES`.
    pub access_token_lifetime: Duration,
    /// `REFRESH_TOKEN_EXPIRE_DAYS`: a session ends this long after its last
    /// refresh (or sign-in).
    pub refresh_token_lifetime: Duration,
    /// `SESSION_ABSOLUTE_DAYS`: an API session ends this long after its
    /// sign-in, however often it is refreshed.
    pub session_absolute_lifetime: Duration,
    /// `RESET_TOKEN_EXPIRE_HOURS`: how long a password-reset link works.
    pub reset_link_lifetime: Duration,
    /// How long an email-verification link works.
    pub verification_link_lifetime: Duration,
    /// A session's `last_activity` is written at most this often, so an API
    /// client's every request does not turn into a database write.
    pub activity_resolution: Duration,
    pub mail: MailBudgets,
    /// `JWT_KEY_PUBLICATION_SECONDS`: how long a new signing key is
    /// published before it signs. At least the JWK Set's cache lifetime
    /// (300 s) plus how often nodes read the keys again (60 s).
    pub key_publication_delay: Duration,
    /// `JWT_KEY_ROTATION_DAYS`: rotate the signing key automatically after
    /// it has signed this long (unset or 0: only `server admin keys rotate`).
    pub key_rotation_interval: Option<Duration>,
    /// `API_TOKEN_MAX_DAYS`: the longest a personal API token may live.
    pub api_token_max_lifetime: Duration,
}

const WEEK_MINUTES: u64 = 7 * 24 * 60;

/// The JWK Set's `max-age` (300 s) plus how often a node reads the keys
/// again (60 s): a key published for less could sign a token that a
/// verifier with a fresh cache does not know yet.
const MIN_KEY_PUBLICATION_SECONDS: u64 = 300 + 60;

impl Policies {
    pub(super) fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        Ok(Self {
            password_lockout: Lockout {
                max_attempts: vars.number("MAX_LOGIN_ATTEMPTS", 5, 1..=100)? as u32,
                duration: span(
                    vars,
                    "LOCKOUT_DURATION_MINUTES",
                    30,
                    1..=WEEK_MINUTES,
                    Duration::minutes,
                )?,
            },
            second_factor_lockout: Lockout {
                max_attempts: vars.number("MAX_TWO_FACTOR_ATTEMPTS", 5, 1..=100)? as u32,
                duration: span(
                    vars,
                    "TWO_FACTOR_LOCKOUT_MINUTES",
                    15,
                    1..=WEEK_MINUTES,
                    Duration::minutes,
                )?,
            },
            reauthentication_window: span(
                vars,
                "REAUTHENTICATION_WINDOW_MINUTES",
                5,
                1..=60,
                Duration::minutes,
            )?,
            challenge_lifetime: span(
                vars,
                "TWO_FACTOR_CHALLENGE_MINUTES",
                10,
                1..=60,
                Duration::minutes,
            )?,
            access_token_lifetime: span(
                vars,
                "ACCESS_TOKEN_EXPIRE_MINUTES",
                15,
                1..=1440,
                Duration::minutes,
            )?,
            refresh_token_lifetime: span(
                vars,
                "REFRESH_TOKEN_EXPIRE_DAYS",
                7,
                1..=365,
                Duration::days,
            )?,
            session_absolute_lifetime: span(
                vars,
                "SESSION_ABSOLUTE_DAYS",
                30,
                1..=365,
                Duration::days,
            )?,
            reset_link_lifetime: span(
                vars,
                "RESET_TOKEN_EXPIRE_HOURS",
                1,
                1..=72,
                Duration::hours,
            )?,
            verification_link_lifetime: Duration::hours(48),
            activity_resolution: Duration::seconds(60),
            mail: MailBudgets {
                per_ip: 20,
                per_address_per_ip: 5,
                per_address: 25,
            },
            key_publication_delay: span(
                vars,
                "JWT_KEY_PUBLICATION_SECONDS",
                600,
                MIN_KEY_PUBLICATION_SECONDS..=WEEK_MINUTES * 60,
                Duration::seconds,
            )?,
            key_rotation_interval: match vars.number("JWT_KEY_ROTATION_DAYS", 0, 0..=3650)? {
                0 => None,
                days => Some(Duration::days(days as i64)),
            },
            api_token_max_lifetime: span(
                vars,
                "API_TOKEN_MAX_DAYS",
                365,
                1..=3650,
                Duration::days,
            )?,
        })
    }
}

/// A length of time given in whole `unit`s (`Duration::minutes`, ...).
fn span(
    vars: &Vars,
    name: &str,
    default: u64,
    range: RangeInclusive<u64>,
    unit: fn(i64) -> Duration,
) -> Result<Duration, ConfigError> {
    Ok(unit(vars.number(name, default, range)? as i64))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn policies(vars: &[(&str, &str)]) -> Result<Policies, ConfigError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        let lookup = |name: &str| vars.get(name).map(|value| value.to_string());
        Policies::from_vars(&Vars::new(&lookup))
    }

    #[test]
    fn the_defaults_are_the_documented_values() {
        let defaults = policies(&[]).unwrap();
        let lockout = |max_attempts, minutes| Lockout {
            max_attempts,
            duration: Duration::minutes(minutes),
        };
        assert_eq!(defaults.password_lockout, lockout(5, 30));
        assert_eq!(defaults.second_factor_lockout, lockout(5, 15));
        assert_eq!(defaults.reauthentication_window, Duration::minutes(5));
        assert_eq!(defaults.challenge_lifetime, Duration::minutes(10));
        assert_eq!(defaults.access_token_lifetime, Duration::minutes(15));
        assert_eq!(defaults.refresh_token_lifetime, Duration::days(7));
        assert_eq!(defaults.session_absolute_lifetime, Duration::days(30));
        assert_eq!(defaults.reset_link_lifetime, Duration::hours(1));
        assert_eq!(defaults.verification_link_lifetime, Duration::hours(48));
        assert_eq!(defaults.activity_resolution, Duration::seconds(60));
        assert_eq!(defaults.key_publication_delay, Duration::seconds(600));
        assert_eq!(defaults.key_rotation_interval, None);
        assert_eq!(defaults.api_token_max_lifetime, Duration::days(365));
        let short = policies(&[("API_TOKEN_MAX_DAYS", "10")]).unwrap();
        assert_eq!(short.api_token_max_lifetime, Duration::days(10));
        assert!(policies(&[("API_TOKEN_MAX_DAYS", "0")]).is_err());
        assert_eq!(
            defaults.mail,
            MailBudgets {
                per_ip: 20,
                per_address_per_ip: 5,
                per_address: 25,
            }
        );
    }

    #[test]
    fn the_second_factor_and_reauthentication_policies_are_configurable() {
        let configured = policies(&[
            ("MAX_TWO_FACTOR_ATTEMPTS", "3"),
            ("TWO_FACTOR_LOCKOUT_MINUTES", "60"),
            ("REAUTHENTICATION_WINDOW_MINUTES", "2"),
            ("TWO_FACTOR_CHALLENGE_MINUTES", "4"),
        ])
        .unwrap();
        assert_eq!(configured.second_factor_lockout.max_attempts, 3);
        assert_eq!(
            configured.second_factor_lockout.duration,
            Duration::minutes(60)
        );
        assert_eq!(configured.reauthentication_window, Duration::minutes(2));
        assert_eq!(configured.challenge_lifetime, Duration::minutes(4));

        let rotating = policies(&[
            ("JWT_KEY_PUBLICATION_SECONDS", "360"),
            ("JWT_KEY_ROTATION_DAYS", "30"),
        ])
        .unwrap();
        assert_eq!(rotating.key_publication_delay, Duration::seconds(360));
        assert_eq!(rotating.key_rotation_interval, Some(Duration::days(30)));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (variable, bad) in [
            ("MAX_TWO_FACTOR_ATTEMPTS", "0"),
            ("MAX_TWO_FACTOR_ATTEMPTS", "five"),
            ("TWO_FACTOR_LOCKOUT_MINUTES", "0"),
            ("TWO_FACTOR_LOCKOUT_MINUTES", "10081"),
            ("REAUTHENTICATION_WINDOW_MINUTES", "61"),
            ("REAUTHENTICATION_WINDOW_MINUTES", "-1"),
            ("TWO_FACTOR_CHALLENGE_MINUTES", "0"),
            ("TWO_FACTOR_CHALLENGE_MINUTES", "1.5"),
            ("JWT_KEY_PUBLICATION_SECONDS", "300"),
            ("JWT_KEY_ROTATION_DAYS", "-1"),
        ] {
            let error = policies(&[(variable, bad)]).unwrap_err();
            assert_eq!(error.variable, variable, "{bad:?}");
            assert!(error.reason.contains(bad), "{error}");
        }
    }
}
