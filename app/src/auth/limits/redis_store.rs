//! Budgets every node shares, counted in Redis (`REDIS_URL`): the same GCRA
//! as the in-memory store, decided by one Lua script per check (read the
//! key's theoretical arrival time, refuse or advance it, on Redis's own
//! clock), so a burst spread over several nodes spends one budget.
//!
//! If Redis stops answering, a node neither refuses everything nor lets
//! everything through: it counts in its own memory (`InMemoryBudgets`, the
//! one-node limits), logs the switch once, reports it (`status`, shown by
//! `/readyz`), and tries Redis again at most once per `RETRY_EVERY`, going
//! back to it as soon as it answers.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use redis::{aio::ConnectionManager, aio::ConnectionManagerConfig, Script};

use super::{policy::Budget, store::BudgetStore, InMemoryBudgets, StoreStatus};
use crate::config::Config;

/// How long a check waits for Redis before the node counts locally.
const TIMEOUT: Duration = Duration::from_millis(250);
/// While Redis is away, how often one request tries it again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// GCRA in microseconds. KEYS[1]: the budget key; ARGV[1]: the emission
/// interval (one request's share of the period); ARGV[2]: the burst
/// tolerance (interval × (burst − 1)). Returns 0 when the request is
/// admitted, else the microseconds to wait. The key expires when its
/// budget is full again.
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return math.ceil(wait) end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
return 0
";

/// Redis first, this node's memory when Redis does not answer.
pub struct RedisBudgets {
    connection: ConnectionManager,
    script: Script,
    /// `REDIS_KEY_PREFIX` and `limit:`.
    prefix: String,
    /// Per budget: (interval µs, tolerance µs).
    quotas: Vec<(Budget, u64, u64)>,
    local: InMemoryBudgets,
    state: Arc<Fallback>,
}

/// Whether the node counts locally now, and when it tries Redis again.
struct Fallback {
    local: AtomicBool,
    started: Instant,
    /// Microseconds since `started` before which Redis is not tried.
    retry_at: AtomicU64,
}

impl RedisBudgets {
    /// Connects lazily: a node starts even while Redis is away (counting
    /// locally until it answers). Fails only on a URL Redis cannot use.
    pub fn new(url: &str, config: &Config) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(100));
        let connection = ConnectionManager::new_lazy_with_config(client, manager_config)?;
        let quotas = Budget::ALL
            .into_iter()
            .map(|budget| {
                let quota = budget.quota(config);
                let interval = micros(quota.replenish_interval());
                let burst = u64::from(quota.burst_size().get());
                (budget, interval, interval * (burst - 1))
            })
            .collect();
        Ok(Self {
            connection,
            script: Script::new(GCRA),
            prefix: format!("{}limit:", config.redis_key_prefix),
            quotas,
            local: InMemoryBudgets::from_config(config),
            state: Arc::new(Fallback {
                local: AtomicBool::new(false),
                started: Instant::now(),
                retry_at: AtomicU64::new(0),
            }),
        })
    }

    async fn spend_in_redis(&self, budget: Budget, key: &str) -> redis::RedisResult<u64> {
        let (_, interval, tolerance) = self
            .quotas
            .iter()
            .find(|(b, _, _)| *b == budget)
            .copied()
            .expect("every budget has a quota");
        let mut connection = self.connection.clone();
        let mut invocation = self
            .script
            .key(format!("{}{}:{key}", self.prefix, budget.name()));
        invocation.arg(interval).arg(tolerance);
        let call = invocation.invoke_async(&mut connection);
        match tokio::time::timeout(TIMEOUT, call).await {
            Ok(answer) => answer,
            Err(_) => Err(redis::RedisError::from(std::io::Error::from(
                std::io::ErrorKind::TimedOut,
            ))),
        }
    }
}

impl Fallback {
    fn elapsed(&self) -> u64 {
        micros(self.started.elapsed())
    }

    /// Whether this request should ask Redis (always, unless the node fell
    /// back and the next retry is not due yet).
    fn try_redis(&self) -> bool {
        !self.local.load(Ordering::Acquire)
            || self.elapsed() >= self.retry_at.load(Ordering::Acquire)
    }

    fn redis_answered(&self) {
        if self.local.swap(false, Ordering::AcqRel) {
            tracing::info!("Redis answers again: rate limits are shared across nodes again");
        }
    }

    fn redis_failed(&self, error: &redis::RedisError) {
        self.retry_at
            .store(self.elapsed() + micros(RETRY_EVERY), Ordering::Release);
        if !self.local.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, "Redis does not answer: counting rate limits on this node until it does");
            crate::metrics::limiter_fell_back();
        }
    }
}

#[async_trait::async_trait]
impl BudgetStore for RedisBudgets {
    async fn spend(&self, budget: Budget, key: &str) -> Result<(), Duration> {
        if self.state.try_redis() {
            match self.spend_in_redis(budget, key).await {
                Ok(wait) => {
                    self.state.redis_answered();
                    return match wait {
                        0 => Ok(()),
                        wait => Err(Duration::from_micros(wait)),
                    };
                }
                Err(error) => self.state.redis_failed(&error),
            }
        }
        self.local.spend(budget, key).await
    }

    fn forget_idle(&self) {
        // Redis expires its keys itself; the fallback's table is trimmed.
        self.local.forget_idle();
    }

    fn status(&self) -> StoreStatus {
        if self.state.local.load(Ordering::Acquire) {
            StoreStatus::RedisUnavailable
        } else {
            StoreStatus::Redis
        }
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
