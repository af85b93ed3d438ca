//! The one policy that says which budget each kind of operation spends.
//! Both transports name the door a request comes through and ask
//! `Limits` (never their own list of budgets):
//!
//! | Door       | per client IP (IPv6: per prefix)          | per holder, once known                                |
//! |------------|--------------------------------------------|-------------------------------------------------------|
//! | `Public`   | `RATE_LIMIT_PER_MINUTE` (60)               | —                                                     |
//! | `SignedIn` | `RATE_LIMIT_SIGNED_IN_IP_PER_MINUTE` (600) | per session: `RATE_LIMIT_SIGNED_IN_PER_MINUTE` (120)  |
//! | `Admin`    | as `SignedIn` (one bucket)                 | per account: also `RATE_LIMIT_ADMIN_PER_MINUTE` (30)  |
//! | `Introspection` | `RATE_LIMIT_INTROSPECTION_PER_MINUTE` (6000) | per resource server: the same again          |
//!
//! The signed-in budget is a session's, not the account's: someone holding
//! a stolen session can use up only that session's budget, never the
//! owner's, so the owner's "sign out everywhere" and password change still
//! get through. Admin work is bounded per account, however many sessions.
//!
//! A resource server whose credentials are refused also spends the
//! `Public` per-IP budget, so guessing a client secret is as slow as
//! guessing a password.
//!
//! Emails (reset, verification) have budgets of their own on top
//! (`Policies::mail`): per IP, per address per IP prefix, per address
//! overall.

use std::num::NonZeroU32;

use governor::Quota;

use crate::config::Config;

/// Where a request comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// Open to anyone: sign-in, 2FA step, registration, refresh, recovery,
    /// verification (`/api/auth/*` and the public page server functions).
    Public,
    /// Anything a signed-in account does (the account's page server
    /// functions, an API call with its access token).
    SignedIn,
    /// Administration: `/api/admin/*`, the admin pages; every operation
    /// that needs a permission.
    Admin,
    /// Token introspection by resource servers (`/api/oauth/introspect`):
    /// services asking on behalf of their own callers, at service rates.
    Introspection,
}

/// One named budget. A shared store (e.g. Redis) keeps one counter per
/// budget and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    PublicPerIp,
    SignedInPerIp,
    PerSession,
    AdminPerAccount,
    IntrospectionPerIp,
    IntrospectionPerClient,
    MailPerIp,
    MailPerAddressAndIp,
    MailPerAddress,
}

impl Budget {
    pub const ALL: [Budget; 9] = [
        Budget::PublicPerIp,
        Budget::SignedInPerIp,
        Budget::PerSession,
        Budget::AdminPerAccount,
        Budget::IntrospectionPerIp,
        Budget::IntrospectionPerClient,
        Budget::MailPerIp,
        Budget::MailPerAddressAndIp,
        Budget::MailPerAddress,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Budget::PublicPerIp => "public_ip",
            Budget::SignedInPerIp => "signed_in_ip",
            Budget::PerSession => "session",
            Budget::AdminPerAccount => "admin_account",
            Budget::IntrospectionPerIp => "introspection_ip",
            Budget::IntrospectionPerClient => "introspection_client",
            Budget::MailPerIp => "mail_ip",
            Budget::MailPerAddressAndIp => "mail_address_ip",
            Budget::MailPerAddress => "mail_address",
        }
    }

    /// The quota of this budget under `config`.
    pub fn quota(self, config: &Config) -> Quota {
        let per_minute = |n: u32| Quota::per_minute(at_least_one(n));
        let per_hour = |n: u32| Quota::per_hour(at_least_one(n));
        match self {
            Budget::PublicPerIp => per_minute(config.rate_limit_per_minute),
            Budget::SignedInPerIp => per_minute(config.rate_limit_signed_in_ip_per_minute),
            Budget::PerSession => per_minute(config.rate_limit_signed_in_per_minute),
            Budget::AdminPerAccount => per_minute(config.rate_limit_admin_per_minute),
            Budget::IntrospectionPerIp | Budget::IntrospectionPerClient => {
                per_minute(config.rate_limit_introspection_per_minute)
            }
            Budget::MailPerIp => per_hour(config.policies.mail.per_ip),
            Budget::MailPerAddressAndIp => per_hour(config.policies.mail.per_address_per_ip),
            Budget::MailPerAddress => per_hour(config.policies.mail.per_address),
        }
    }
}

impl Door {
    /// The `door` label of `gatehouse_rate_limited_total`.
    pub fn name(self) -> &'static str {
        match self {
            Door::Public => "public",
            Door::SignedIn => "signed_in",
            Door::Admin => "admin",
            Door::Introspection => "introspection",
        }
    }

    /// The per-IP budget a request through this door spends before anything
    /// else is done.
    pub fn ip_budget(self) -> Budget {
        match self {
            Door::Public => Budget::PublicPerIp,
            Door::SignedIn | Door::Admin => Budget::SignedInPerIp,
            Door::Introspection => Budget::IntrospectionPerIp,
        }
    }

    /// The budget spent once the holder is known: a session's (or an API
    /// token's) for `SignedIn`, an account's for `Admin`, a resource
    /// server's for `Introspection`. An admin operation is also a
    /// signed-in one: it has already spent `PerSession` when its session
    /// was authenticated.
    pub fn holder_budget(self) -> Option<Budget> {
        match self {
            Door::Public => None,
            Door::SignedIn => Some(Budget::PerSession),
            Door::Admin => Some(Budget::AdminPerAccount),
            Door::Introspection => Some(Budget::IntrospectionPerClient),
        }
    }
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("at least 1")
}
