//! The fleet's health as `/health` reports it, and the account gauges of `/metrics`.

use crate::telemetry::{HealthCheck, HealthReport};
use crate::{ServiceClock, Shutdown};
use async_trait::async_trait;
use std::time::Duration;
use tgfleet_domain::Clock;
use tgfleet_store::Store;

/// Healthy when the database answers and at least one account can work.
#[derive(Clone, Debug)]
pub struct FleetHealth {
    store: Store,
    clock: ServiceClock,
}

impl FleetHealth {
    /// Checks `store`, counting usable accounts at `clock`'s time.
    pub fn new(store: Store, clock: ServiceClock) -> Self {
        Self { store, clock }
    }
}

#[async_trait]
impl HealthCheck for FleetHealth {
    async fn check(&self) -> HealthReport {
        let probe = async {
            self.store.ping().await?;
            self.store.usable_account_count(self.clock.now()).await
        };
        let reasons = match tokio::time::timeout(Duration::from_secs(3), probe).await {
            Err(_) => vec!["database: no answer within 3s".to_owned()],
            Ok(Err(error)) => vec![format!("database: {error}")],
            Ok(Ok(0)) => vec![
                "accounts: no usable account (all suspended, resting, unauthorized or deactivated)"
                    .to_owned(),
            ],
            Ok(Ok(_)) => Vec::new(),
        };
        HealthReport::from_reasons(reasons)
    }
}

/// Keeps the `tgfleet_accounts{status}` gauges current until shutdown.
pub fn spawn_account_gauges(store: Store, every: Duration, shutdown: Shutdown) {
    tokio::spawn(async move {
        loop {
            if let Ok(counts) = store.account_counts_by_status().await {
                for (status, count) in counts {
                    metrics::gauge!("tgfleet_accounts", "status" => status.as_str())
                        .set(count as f64);
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::HealthStatus;
    use sqlx::PgPool;
    use tgfleet_store::NewAccount;

    #[sqlx::test(migrations = "../../migrations")]
    async fn degraded_without_accounts_ok_with_one(pool: PgPool) {
        let store = Store::from_pool(pool);
        let health = FleetHealth::new(store.clone(), ServiceClock::System);
        let empty = health.check().await;
        assert_eq!(empty.status, HealthStatus::Degraded);
        assert!(
            empty.reasons[0].starts_with("accounts: no usable account"),
            "{empty:?}"
        );

        store
            .create_account(&NewAccount {
                label: "acc1".into(),
                ..NewAccount::default()
            })
            .await
            .unwrap();
        assert_eq!(health.check().await, HealthReport::from_reasons(Vec::new()));
    }
}
