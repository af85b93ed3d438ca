//! Where budgets are counted: the boundary a shared store replaces. One
//! node on its own counts in memory, one bounded GCRA table per budget;
//! several nodes share one count in Redis (`redis_store`).

use std::{collections::HashMap, time::Duration};

use super::{
    bounded::{BoundedLimiter, DEFAULT_MAX_TRACKED_KEYS},
    policy::Budget,
};
use crate::config::Config;

/// Counts requests against named budgets. `spend` either takes one request
/// from `key`'s budget (atomically: one decision, no read-then-write) or
/// says how long to wait.
#[async_trait::async_trait]
pub trait BudgetStore: Send + Sync + 'static {
    async fn spend(&self, budget: Budget, key: &str) -> Result<(), Duration>;

    /// Periodic clean-up of keys whose budget is full again.
    fn forget_idle(&self);

    /// Where budgets are counted right now (for `/readyz`).
    fn status(&self) -> StoreStatus {
        StoreStatus::Local
    }
}

/// Where a node counts its budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreStatus {
    /// In this process: one node on its own (no `REDIS_URL`).
    Local,
    /// In Redis, shared by every node.
    Redis,
    /// `REDIS_URL` is set but Redis does not answer: this node counts
    /// locally until it does.
    RedisUnavailable,
}

impl StoreStatus {
    /// How `/readyz` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreStatus::Local => "local",
            StoreStatus::Redis => "redis",
            StoreStatus::RedisUnavailable => "local_fallback",
        }
    }
}

/// The in-process store: one `BoundedLimiter` per budget.
pub struct InMemoryBudgets {
    tables: HashMap<Budget, BoundedLimiter<String>>,
}

impl InMemoryBudgets {
    pub fn from_config(config: &Config) -> Self {
        Self::with_cap(config, DEFAULT_MAX_TRACKED_KEYS)
    }

    pub fn with_cap(config: &Config, cap: usize) -> Self {
        Self {
            tables: Budget::ALL
                .into_iter()
                .map(|budget| (budget, BoundedLimiter::new(budget.quota(config), cap)))
                .collect(),
        }
    }
}

#[async_trait::async_trait]
impl BudgetStore for InMemoryBudgets {
    async fn spend(&self, budget: Budget, key: &str) -> Result<(), Duration> {
        self.tables[&budget].check(&key.to_string())
    }

    fn forget_idle(&self) {
        for table in self.tables.values() {
            table.forget_idle();
        }
    }
}
