//! Rate limits: every door has one (`policy`), counted in this node's
//! memory (`store`) or in Redis shared by every node (`redis_store`), per
//! client address as `budget_key` sees it, with memory bounded under
//! address rotation (`bounded`).

pub mod bounded;
pub mod budget_key;
pub mod policy;
pub mod redis_store;
pub mod store;

use std::{net::IpAddr, sync::Arc};

use uuid::Uuid;

pub use budget_key::budget_key;
pub use policy::{Budget, Door};
pub use redis_store::RedisBudgets;
pub use store::{BudgetStore, InMemoryBudgets, StoreStatus};

use super::error::AuthError;
use crate::{config::Config, metrics};

/// The `door` label of a refusal by an email budget.
const MAIL: &str = "mail";

/// The limits of every door, asked by both transports and by the service.
#[derive(Clone)]
pub struct Limits {
    store: Arc<dyn BudgetStore>,
    ipv6_prefix: u8,
}

impl Limits {
    pub fn from_config(config: &Config) -> Self {
        Self::new(
            Arc::new(InMemoryBudgets::from_config(config)),
            config.rate_limit_ipv6_prefix,
        )
    }

    pub fn new(store: Arc<dyn BudgetStore>, ipv6_prefix: u8) -> Self {
        Self { store, ipv6_prefix }
    }

    /// The key of `ip`'s per-IP budgets (see [`budget_key`]).
    pub fn ip_key(&self, ip: IpAddr) -> IpAddr {
        budget_key(ip, self.ipv6_prefix)
    }

    /// A request through `door` from `ip`: spends the door's per-IP budget.
    pub async fn admit_ip(&self, door: Door, ip: IpAddr) -> Result<(), AuthError> {
        let key = self.ip_key(ip).to_string();
        self.spend(door.name(), door.ip_budget(), &key).await
    }

    /// A signed-in operation through `door`: spends the door's budget of
    /// `holder` (`Door::holder_budget` says whose: a session's or an
    /// account's), whatever IP it comes from.
    pub async fn admit_door(&self, door: Door, holder: Uuid) -> Result<(), AuthError> {
        match door.holder_budget() {
            Some(budget) => self.spend(door.name(), budget, &holder.to_string()).await,
            None => Ok(()),
        }
    }

    /// A request that sends email to `address` (a normalised address or an
    /// account, with the purpose, e.g. `reset:ann@example.com`): spends the
    /// IP's mail budget, then the address's share for this IP prefix, then
    /// the address's overall budget. A stranger exhausting their share
    /// leaves the owner's own share intact.
    pub async fn admit_mail(&self, ip: IpAddr, address: &str) -> Result<(), AuthError> {
        let ip_key = self.ip_key(ip).to_string();
        self.spend(MAIL, Budget::MailPerIp, &ip_key).await?;
        self.spend(
            MAIL,
            Budget::MailPerAddressAndIp,
            &format!("{address}|{ip_key}"),
        )
        .await?;
        self.spend(MAIL, Budget::MailPerAddress, address).await
    }

    pub fn forget_idle(&self) {
        self.store.forget_idle();
    }

    /// Where budgets are counted right now.
    pub fn status(&self) -> StoreStatus {
        self.store.status()
    }

    /// Spends one request of `key`'s `budget`; `door` names where the
    /// request came in, for the refusal's metric.
    async fn spend(&self, door: &'static str, budget: Budget, key: &str) -> Result<(), AuthError> {
        self.store.spend(budget, key).await.map_err(|retry_after| {
            metrics::rate_limited(door, budget.name());
            AuthError::RateLimited { retry_after }
        })
    }
}

#[cfg(test)]
mod tests;
