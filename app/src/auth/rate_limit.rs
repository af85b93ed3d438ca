//! Per-IP rate limiting with `governor` (GCRA): `RATE_LIMIT_PER_MINUTE`
//! requests a minute per client IP, then `RateLimited` with the wait until
//! the next request is allowed. Both transports call `check` for the
//! operations API.md limits, so pages and API share one budget per IP.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{clock::Clock as _, DefaultKeyedRateLimiter, Quota};

use super::error::AuthError;

#[derive(Clone)]
pub struct RateLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl RateLimiter {
    pub fn per_minute(requests: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(requests.max(1)).expect("at least 1"));
        Self {
            limiter: Arc::new(governor::RateLimiter::keyed(quota)),
        }
    }

    pub fn check(&self, ip: IpAddr) -> Result<(), AuthError> {
        self.limiter.check_key(&ip).map_err(refused)
    }

    /// Forgets clients whose budget is full again; called by the periodic
    /// clean-up so the table does not grow without bound.
    pub fn forget_idle_clients(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Requests that send email (forgot password, resend verification), on top
/// of the general budget: `per_ip` an hour from one client IP, and
/// `per_address` an hour to one address or account, so nobody can flood a
/// mailbox or use Gatehouse to spam. Addresses without an account are
/// counted too, so a refusal says nothing about who has an account.
#[derive(Clone)]
pub struct MailLimiter {
    per_address: Arc<DefaultKeyedRateLimiter<String>>,
    per_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

/// Emails a minute-by-minute attacker can make us send to one address.
pub const MAILS_PER_ADDRESS_PER_HOUR: u32 = 5;
/// Email-sending requests one client IP may make an hour.
pub const MAIL_REQUESTS_PER_IP_PER_HOUR: u32 = 20;

impl MailLimiter {
    pub fn per_hour(per_address: u32, per_ip: u32) -> Self {
        let quota = |n: u32| Quota::per_hour(NonZeroU32::new(n.max(1)).expect("at least 1"));
        Self {
            per_address: Arc::new(governor::RateLimiter::keyed(quota(per_address))),
            per_ip: Arc::new(governor::RateLimiter::keyed(quota(per_ip))),
        }
    }

    /// `key` names the address or account and the purpose, e.g.
    /// `reset:ann@example.com`. The IP is checked first, so a refused IP
    /// does not spend the address's budget.
    pub fn check(&self, ip: IpAddr, key: &str) -> Result<(), AuthError> {
        self.per_ip.check_key(&ip).map_err(refused)?;
        self.per_address
            .check_key(&key.to_string())
            .map_err(refused)
    }

    pub fn forget_idle_clients(&self) {
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
        self.per_ip.retain_recent();
        self.per_ip.shrink_to_fit();
    }
}

type Instant = <governor::clock::DefaultClock as governor::clock::Clock>::Instant;

fn refused(not_until: governor::NotUntil<Instant>) -> AuthError {
    let now = governor::clock::DefaultClock::default().now();
    AuthError::RateLimited {
        retry_after: not_until.wait_time_from(now).max(Duration::from_secs(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_after_the_budget_is_refused_with_a_wait() {
        let limiter = RateLimiter::per_minute(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            limiter.check(ip).unwrap();
        }
        match limiter.check(ip) {
            Err(AuthError::RateLimited { retry_after }) => {
                assert!(retry_after >= Duration::from_secs(1));
                assert!(retry_after <= Duration::from_secs(20));
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        // Another client has its own budget.
        limiter.check("192.0.2.2".parse().unwrap()).unwrap();
    }

    #[test]
    fn mail_requests_are_limited_per_address_and_per_ip() {
        let limiter = MailLimiter::per_hour(2, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        limiter.check(ip, "reset:a@example.com").unwrap();
        limiter.check(ip, "reset:a@example.com").unwrap();
        assert!(limiter.check(ip, "reset:a@example.com").is_err());
        // The IP's third request was the refused one above.
        assert!(limiter.check(ip, "reset:b@example.com").is_err());
        // Another IP still cannot mail a: the address is out of budget.
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.check(other, "reset:a@example.com").is_err());
        limiter.check(other, "reset:b@example.com").unwrap();
    }
}
