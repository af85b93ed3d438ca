//! The queue in front of the password-hashing threads. A hash is the one
//! expensive thing an anonymous client can make the server do, so:
//!
//! - at most `capacity` hashes are admitted (waiting or running); past that
//!   a request is refused at once (`AuthError::Overloaded`, 503) instead of
//!   waiting behind work it cannot see the end of;
//! - one account, and one client IP, may have at most `per_account` /
//!   `per_ip` hashes admitted at once; more are refused at once
//!   (`AuthError::HashingBusy`, 429), so no one fills the queue;
//! - a free thread takes the waiting hash whose owner (account and IP) used
//!   the fewest hashes recently, so a flood from one account or IP runs only
//!   when nobody else is waiting, and everyone else keeps the threads;
//! - no owner runs on every thread at once (with two threads or more): a
//!   hash is not preempted, so a flood that held them all would make the
//!   next person wait for a whole hash; one thread is always left to others;
//! - a hash whose requester went away (the HTTP request was dropped) is
//!   removed before it starts.
//!
//! The number admitted and each hash's wait for a thread are recorded
//! (`gatehouse_password_hash_queue_depth`, `..._wait_seconds`); a server
//! process has one queue, so the gauge is its.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::auth::{error::AuthError, limits::budget_key, request::meta::RequestMeta};
use crate::metrics;

/// Hashes admitted per hashing thread: a few each, so a full queue waits
/// well under a second, yet a short burst of sign-ins is not refused.
pub const QUEUED_PER_THREAD: usize = 4;
/// Hashes one account may have admitted at once (a double submit passes).
pub const PER_ACCOUNT: usize = 2;
/// Hashes one client IP (IPv6: one /64) may have admitted at once: a few
/// people behind one NAT can sign in together, one address cannot take
/// over the queue.
pub const PER_IP: usize = 4;
/// What a refused client is told to wait: a hash takes ~20 ms, so the queue
/// has turned over many times by then.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Recent use is forgotten by half every this long.
const USAGE_HALF_LIFE: Duration = Duration::from_secs(10);
/// Owners whose recent use is remembered; beyond this the least used are
/// forgotten (fairness degrades to first come, first served; memory stays
/// bounded under address rotation).
const MAX_TRACKED_OWNERS: usize = 4096;

/// Who a hash is for: the caps and the fair order key on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashOwner {
    /// The account, when the request names a known one.
    pub account: Option<Uuid>,
    /// The client address as the service sees it (through trusted proxies).
    pub ip: IpAddr,
}

impl HashOwner {
    pub fn new(account: Option<Uuid>, meta: &RequestMeta) -> Self {
        Self {
            account,
            ip: meta.ip,
        }
    }

    /// A sign-in is keyed by the normalised address it names, whether an
    /// account has it or not: keyed by account id, a third concurrent
    /// guess would be refused for a real account only, telling which
    /// addresses have one.
    pub fn for_address(normalized_email: Option<&str>, meta: &RequestMeta) -> Self {
        use sha2::{Digest, Sha256};
        let account = normalized_email.map(|email| {
            let digest = Sha256::digest(email.as_bytes());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            Uuid::from_bytes(bytes)
        });
        Self::new(account, meta)
    }
}

/// The bounds of the queue (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    pub capacity: usize,
    pub per_account: usize,
    pub per_ip: usize,
    /// IPv6 clients share a cap per prefix of this length, as they share
    /// rate-limit budgets (`RATE_LIMIT_IPV6_PREFIX`).
    pub ipv6_prefix: u8,
}

impl QueueLimits {
    pub fn for_threads(threads: usize) -> Self {
        Self {
            capacity: threads.max(1) * QUEUED_PER_THREAD,
            per_account: PER_ACCOUNT,
            per_ip: PER_IP,
            ipv6_prefix: 64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum UsageKey {
    Account(Uuid),
    Ip(IpAddr),
}

/// Hashes started recently, decaying by half every `USAGE_HALF_LIFE`.
#[derive(Clone, Copy)]
struct Usage {
    hashes: f64,
    at: Instant,
}

impl Usage {
    fn now(self, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.hashes * 0.5f64.powf(elapsed / USAGE_HALF_LIFE.as_secs_f64())
    }
}

/// A job computes on a hashing thread and returns how to deliver its
/// result, which happens after its slot is released (so the requester's next
/// hash is never refused because of the one that just finished).
pub(super) type Job = Box<dyn FnOnce() -> Box<dyn FnOnce() + Send> + Send>;

struct Waiting {
    order: u64,
    owner: HashOwner,
    /// When it was queued: the wait for a thread is measured from here.
    queued_at: Instant,
    abandoned: Arc<AtomicBool>,
    job: Job,
}

#[derive(Default)]
struct State {
    waiting: Vec<Waiting>,
    admitted: usize,
    per_account: HashMap<Uuid, usize>,
    per_ip: HashMap<IpAddr, usize>,
    /// Hashes running now, per owner key.
    running: HashMap<UsageKey, usize>,
    usage: HashMap<UsageKey, Usage>,
    next_order: u64,
}

/// The shared state; rayon's threads run what `take_next` hands them.
pub(super) struct HashQueue {
    limits: QueueLimits,
    /// Hashes one owner (account or IP) may have running at once: all
    /// threads but one.
    running_per_owner: usize,
    state: Mutex<State>,
}

/// Held by the waiting request: dropping it (the request went away)
/// abandons the hash if it has not started yet.
pub(super) struct AbandonOnDrop(Arc<AtomicBool>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A place in the queue, counted against the capacity and the owner's caps
/// from admission on. Dropped without work, it frees the place.
pub(super) struct Admission {
    queue: Arc<HashQueue>,
    /// `None` once the work is submitted (the waiting job holds the place).
    owner: Option<HashOwner>,
}

impl Admission {
    /// Queues `job` in this place. The caller then asks a thread to
    /// `run_next`.
    pub(super) fn submit(mut self, job: Job) -> AbandonOnDrop {
        let owner = self.owner.take().expect("an admission is submitted once");
        let abandoned = Arc::new(AtomicBool::new(false));
        let mut state = self.queue.lock();
        let order = state.next_order;
        state.next_order += 1;
        state.waiting.push(Waiting {
            order,
            owner,
            queued_at: Instant::now(),
            abandoned: Arc::clone(&abandoned),
            job,
        });
        AbandonOnDrop(abandoned)
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.take() {
            self.queue.lock().release(owner);
        }
    }
}

impl HashQueue {
    pub(super) fn new(limits: QueueLimits, threads: usize) -> Self {
        Self {
            limits,
            running_per_owner: threads.saturating_sub(1).max(1),
            state: Mutex::default(),
        }
    }

    /// Takes a place in the queue for `owner`, or refuses at once. The
    /// work comes later (`Admission::submit`), so a caller can be admitted
    /// before it commits to anything else (a lockout attempt), and a refusal
    /// here costs it nothing.
    pub(super) fn admit(self: &Arc<Self>, owner: HashOwner) -> Result<Admission, AuthError> {
        let owner = HashOwner {
            ip: budget_key(owner.ip, self.limits.ipv6_prefix),
            ..owner
        };
        let mut state = self.lock();
        if state.admitted >= self.limits.capacity {
            return Err(AuthError::Overloaded {
                retry_after: RETRY_AFTER,
            });
        }
        let account_full = owner.account.is_some_and(|account| {
            state.per_account.get(&account).copied().unwrap_or(0) >= self.limits.per_account
        });
        let ip_full = state.per_ip.get(&owner.ip).copied().unwrap_or(0) >= self.limits.per_ip;
        if account_full || ip_full {
            return Err(AuthError::HashingBusy {
                retry_after: RETRY_AFTER,
            });
        }
        state.admitted += 1;
        metrics::password_hash_queue_depth(state.admitted);
        if let Some(account) = owner.account {
            *state.per_account.entry(account).or_default() += 1;
        }
        *state.per_ip.entry(owner.ip).or_default() += 1;
        Ok(Admission {
            queue: Arc::clone(self),
            owner: Some(owner),
        })
    }

    /// Runs the fairest waiting job, if any. Called once per admitted job,
    /// so every job that is not abandoned runs.
    /// A thread keeps taking work until nothing waiting may run: a job held
    /// back because its owner already runs elsewhere is taken by the thread
    /// that finishes that owner's hash.
    pub(super) fn run_next(&self) {
        while let Some(waiting) = self.take_next() {
            metrics::password_hash_waited(waiting.queued_at.elapsed());
            let deliver = (waiting.job)();
            {
                let mut state = self.lock();
                state.release(waiting.owner);
                for key in keys(waiting.owner) {
                    decrement(&mut state.running, key);
                }
            }
            deliver();
        }
    }

    /// Hashes admitted and not finished (waiting or running).
    #[cfg(test)]
    pub(super) fn admitted(&self) -> usize {
        self.lock().admitted
    }

    fn take_next(&self) -> Option<Waiting> {
        let mut state = self.lock();
        let now = Instant::now();
        let (abandoned, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut state.waiting)
            .into_iter()
            .partition(|w| w.abandoned.load(Ordering::Relaxed));
        state.waiting = kept;
        for gone in abandoned {
            state.release(gone.owner);
        }
        let may_run = |owner: HashOwner| {
            keys(owner)
                .all(|key| state.running.get(&key).copied().unwrap_or(0) < self.running_per_owner)
        };
        let index = state
            .waiting
            .iter()
            .enumerate()
            .filter(|(_, w)| may_run(w.owner))
            .min_by(|(_, a), (_, b)| {
                let (ua, ub) = (
                    state.recent_use(a.owner, now),
                    state.recent_use(b.owner, now),
                );
                ua.total_cmp(&ub).then(a.order.cmp(&b.order))
            })
            .map(|(index, _)| index)?;
        let next = state.waiting.swap_remove(index);
        state.count_use(next.owner, now);
        for key in keys(next.owner) {
            *state.running.entry(key).or_default() += 1;
        }
        Some(next)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic never happens while the lock is held (jobs run outside it).
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

fn keys(owner: HashOwner) -> impl Iterator<Item = UsageKey> {
    owner
        .account
        .map(UsageKey::Account)
        .into_iter()
        .chain(std::iter::once(UsageKey::Ip(owner.ip)))
}

impl State {
    fn release(&mut self, owner: HashOwner) {
        self.admitted -= 1;
        metrics::password_hash_queue_depth(self.admitted);
        if let Some(account) = owner.account {
            decrement(&mut self.per_account, account);
        }
        decrement(&mut self.per_ip, owner.ip);
    }

    /// The owner's account or IP, whichever hashed more recently.
    fn recent_use(&self, owner: HashOwner, now: Instant) -> f64 {
        keys(owner)
            .filter_map(|key| self.usage.get(&key))
            .map(|usage| usage.now(now))
            .fold(0.0, f64::max)
    }

    fn count_use(&mut self, owner: HashOwner, now: Instant) {
        if self.usage.len() >= MAX_TRACKED_OWNERS {
            self.usage.retain(|_, usage| usage.now(now) >= 1.0);
            if self.usage.len() >= MAX_TRACKED_OWNERS {
                self.usage.clear();
            }
        }
        for key in keys(owner) {
            let usage = self.usage.entry(key).or_insert(Usage {
                hashes: 0.0,
                at: now,
            });
            *usage = Usage {
                hashes: usage.now(now) + 1.0,
                at: now,
            };
        }
    }
}

fn decrement<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: K) {
    if let Some(count) = counts.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(&key);
        }
    }
}
