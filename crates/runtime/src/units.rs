//! How many accounts a service works at once, sized to the database pool.
//!
//! Every unit of account work ([`crate::AccountRunner::with_account`]: lease,
//! connect, the work, close, release) holds one permit of its service's
//! [`UnitBudget`]. A unit runs its queries one after another, so it needs one pool
//! connection at a time (two for a moment when its lease renewal coincides with a
//! query). The pool keeps [`RESERVED_CONNECTIONS`] for what runs outside units (the
//! services' planning queries, the account gauges); `/health` has a connection of
//! its own. The rest is shared by the services of the process:
//!
//! `units per service = max(1, (database.max_connections - 2) / services in the process)`
//!
//! So queries never wait long for a connection (no "pool timed out"), and at most
//! that many grammers connections are open per service: memory per process is
//! bounded by the budget, not by the number of accounts.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Pool connections kept for work outside units.
pub const RESERVED_CONNECTIONS: u32 = 2;

/// The units one service may run at once.
#[derive(Clone, Debug)]
pub struct UnitBudget {
    limit: usize,
    permits: Arc<Semaphore>,
}

impl UnitBudget {
    /// A budget of `limit` concurrent units (at least one).
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            limit,
            permits: Arc::new(Semaphore::new(limit)),
        }
    }

    /// The budget of one of `services` services sharing a pool of `max_connections`.
    pub fn sized_to_pool(max_connections: u32, services: u32) -> Self {
        let share = max_connections.saturating_sub(RESERVED_CONNECTIONS) / services.max(1);
        Self::new(usize::try_from(share).unwrap_or(usize::MAX))
    }

    /// How many units may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Units running now.
    pub fn in_use(&self) -> usize {
        self.limit - self.permits.available_permits()
    }

    /// Waits for a free unit; the unit is free again when the permit drops.
    pub async fn acquire(&self) -> OwnedSemaphorePermit {
        Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .unwrap_or_else(|_| unreachable!("the unit semaphore is never closed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_shared_after_the_reserve() {
        assert_eq!(UnitBudget::sized_to_pool(10, 1).limit(), 8);
        assert_eq!(UnitBudget::sized_to_pool(10, 4).limit(), 2);
        assert_eq!(UnitBudget::sized_to_pool(40, 4).limit(), 9);
        assert_eq!(UnitBudget::sized_to_pool(2, 4).limit(), 1);
    }

    #[tokio::test]
    async fn permits_bound_the_units_in_use() {
        let budget = UnitBudget::new(2);
        let first = budget.acquire().await;
        let _second = budget.acquire().await;
        assert_eq!(budget.in_use(), 2);
        let third = tokio::time::timeout(std::time::Duration::from_millis(20), budget.acquire());
        assert!(third.await.is_err(), "a third unit must wait");
        drop(first);
        assert_eq!(budget.in_use(), 1);
    }
}
