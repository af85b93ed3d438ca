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
        self.limiter.check_key(&ip).map_err(|not_until| {
            let now = governor::clock::DefaultClock::default().now();
            AuthError::RateLimited {
                retry_after: not_until.wait_time_from(now).max(Duration::from_secs(1)),
            }
        })
    }

    /// Forgets clients whose budget is full again; called by the periodic
    /// clean-up so the table does not grow without bound.
    pub fn forget_idle_clients(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
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
}
