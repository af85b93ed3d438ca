//! A keyed GCRA limiter (`governor`) whose memory stays bounded whatever
//! the number of keys it is shown.
//!
//! governor's keyed limiter remembers every key until `retain_recent` runs
//! (our housekeeping, every ten minutes), so an attacker rotating through
//! addresses grows the table without bound in between. Here the table holds
//! at most `cap` keys (plus, at worst, one per thread inserting at the same
//! instant):
//! - a key already tracked always keeps its own budget;
//! - when the table is full, keys whose budget is full again (idle) are
//!   swept, at most once a second;
//! - a new key that still finds the table full shares one overflow budget
//!   with every other such key until room frees up.
//!
//! The trade-off: while someone floods the limiter with more than `cap`
//! fresh keys a minute, newcomers (the attacker's keys and any genuine new
//! client) are throttled together, as one client. Clients already tracked
//! are unaffected, nothing is ever let through unlimited, and memory stays
//! near `cap` entries (about 100 bytes each).

use std::{
    hash::Hash,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use governor::{
    clock::{Clock as _, DefaultClock},
    middleware::NoOpMiddleware,
    nanos::Nanos,
    state::{
        keyed::{DashMapStateStore, ShrinkableKeyedStateStore},
        InMemoryState, NotKeyed, StateStore,
    },
    NotUntil, Quota, RateLimiter,
};

/// Keys tracked per limiter unless told otherwise: a few megabytes at most.
pub const DEFAULT_MAX_TRACKED_KEYS: usize = 50_000;

/// How often a full table may be swept (a sweep walks the whole table).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The state store: governor's DashMap, plus the overflow cell.
pub struct BoundedStore<K: Hash + Eq + Clone> {
    table: DashMapStateStore<K>,
    overflow: InMemoryState,
    cap: usize,
}

impl<K: Hash + Eq + Clone> StateStore for BoundedStore<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if self.table.len() >= self.cap && !self.table.contains_key(key) {
            return self.overflow.measure_and_replace(&NotKeyed::NonKey, f);
        }
        self.table.measure_and_replace(key, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for BoundedStore<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.table.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(&self.table);
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

type GovernorInstant = <DefaultClock as governor::clock::Clock>::Instant;

/// One keyed budget (a quota per key) with bounded memory.
pub struct BoundedLimiter<K: Hash + Eq + Clone> {
    limiter: RateLimiter<K, BoundedStore<K>, DefaultClock, NoOpMiddleware<GovernorInstant>>,
    cap: usize,
    created: Instant,
    /// Milliseconds after `created` of the last sweep of a full table.
    last_sweep_ms: AtomicU64,
}

impl<K: Hash + Eq + Clone> BoundedLimiter<K> {
    pub fn new(quota: Quota, cap: usize) -> Self {
        let cap = cap.max(1);
        let store = BoundedStore {
            table: DashMapStateStore::default(),
            overflow: InMemoryState::default(),
            cap,
        };
        Self {
            limiter: RateLimiter::new(quota, store, DefaultClock::default()),
            cap,
            created: Instant::now(),
            last_sweep_ms: AtomicU64::new(0),
        }
    }

    /// Spends one request of `key`'s budget, or says how long to wait.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        if self.limiter.len() >= self.cap {
            self.sweep_if_due();
        }
        self.limiter.check_key(key).map_err(wait)
    }

    /// Keys with a budget of their own right now (never more than the cap).
    pub fn tracked_keys(&self) -> usize {
        self.limiter.len()
    }

    /// Forgets keys whose budget is full again.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// One thread sweeps a full table, at most once per `SWEEP_EVERY`.
    fn sweep_if_due(&self) {
        let now_ms = self.created.elapsed().as_millis() as u64;
        let last = self.last_sweep_ms.load(Ordering::Relaxed);
        let due = last == 0 || now_ms.saturating_sub(last) >= SWEEP_EVERY.as_millis() as u64;
        if due
            && self
                .last_sweep_ms
                .compare_exchange(last, now_ms.max(1), Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.limiter.retain_recent();
        }
    }
}

fn wait(not_until: NotUntil<GovernorInstant>) -> Duration {
    not_until
        .wait_time_from(DefaultClock::default().now())
        .max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use std::{net::IpAddr, num::NonZeroU32};

    use super::*;

    fn per_minute(n: u32) -> Quota {
        Quota::per_minute(NonZeroU32::new(n).unwrap())
    }

    fn address(n: u32) -> IpAddr {
        IpAddr::V6(std::net::Ipv6Addr::new(
            0x2001,
            0xdb8,
            (n >> 16) as u16,
            n as u16,
            0,
            0,
            0,
            1,
        ))
    }

    #[test]
    fn a_hundred_thousand_distinct_addresses_stay_within_the_cap() {
        const CAP: usize = 10_000;
        let limiter = BoundedLimiter::new(per_minute(3), CAP);
        let regular = address(u32::MAX);
        limiter.check(&regular).unwrap();
        limiter.check(&regular).unwrap();

        for n in 0..100_000 {
            let _ = limiter.check(&address(n));
            assert!(limiter.tracked_keys() <= CAP);
        }
        assert!(limiter.tracked_keys() <= CAP, "{}", limiter.tracked_keys());

        // A client tracked before the flood keeps its own budget: one left,
        // then refused with a wait.
        limiter.check(&regular).unwrap();
        let wait = limiter.check(&regular).unwrap_err();
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(60));
        // The flooding keys beyond the cap shared one budget: spent.
        assert!(limiter.check(&address(200_000)).is_err());
        // A tracked flooding key is still limited on its own.
        let tracked = address(0);
        let refused = (0..4).filter(|_| limiter.check(&tracked).is_err()).count();
        assert!(refused >= 1);
    }

    #[test]
    fn idle_keys_make_room_again() {
        let limiter = BoundedLimiter::new(Quota::per_second(NonZeroU32::new(1000).unwrap()), 100);
        for n in 0..100 {
            limiter.check(&address(n)).unwrap();
        }
        assert_eq!(limiter.tracked_keys(), 100);
        // Each key's one request refills in 1 ms on governor's own clock;
        // sleeping lasts at least this long, so every key is idle after.
        std::thread::sleep(Duration::from_millis(20));
        // The table is full; the sweep finds every key idle again.
        limiter.check(&address(1_000)).unwrap();
        assert!(limiter.tracked_keys() <= 2, "{}", limiter.tracked_keys());
    }
}
