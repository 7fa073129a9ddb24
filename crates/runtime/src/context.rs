//! What every service runs with, and how it records Telegram outcomes.

use crate::{AccountRunner, ServiceClock, Shutdown, UnitBudget};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tgfleet_config::{Service, Settings};
use tgfleet_domain::{AccountId, AccountStatus, Clock, GroupId};
use tgfleet_store::{NewEvent, Store, StoreError};
use tgfleet_telegram::{AccountRef, Connector, TgError};

/// Everything a service needs: its identity, the store, the Telegram connector,
/// the clock, the settings and the shutdown signal.
#[derive(Clone, Debug)]
pub struct ServiceContext {
    /// Which service this is.
    pub service: Service,
    /// The lease holder and cron claimant name of this instance (unique per replica).
    pub holder: String,
    /// The database.
    pub store: Store,
    /// Opens Telegram connections (production: grammers; tests: the in-process world).
    pub connector: Arc<dyn Connector>,
    /// The service's time.
    pub clock: ServiceClock,
    /// The validated configuration.
    pub settings: Arc<Settings>,
    /// Cancelled when the process should stop.
    pub shutdown: Shutdown,
    /// How many units of account work this service runs at once ([`UnitBudget`]).
    pub units: UnitBudget,
}

impl ServiceContext {
    /// A context with a fresh, unique holder name for `service`, alone on its pool
    /// ([`UnitBudget::sized_to_pool`] of `database.max_connections`).
    pub fn new(
        service: Service,
        store: Store,
        connector: Arc<dyn Connector>,
        clock: ServiceClock,
        settings: Arc<Settings>,
        shutdown: Shutdown,
    ) -> Self {
        let units = UnitBudget::sized_to_pool(settings.database.max_connections, 1);
        Self {
            service,
            holder: holder_name(service),
            store,
            connector,
            clock,
            settings,
            shutdown,
            units,
        }
    }

    /// Stops an account that Telegram says can no longer work (a dead or missing key,
    /// deactivated, frozen): its status and the reason are stored, once, and every
    /// service leaves it alone from then on. `None` (and nothing stored) for any
    /// other error. The one place that maps a lost account for every service.
    pub async fn stop_lost_account(
        &self,
        account: &AccountRef,
        error: &TgError,
    ) -> Result<Option<AccountStatus>, StoreError> {
        let Some(status) = error.account_status() else {
            return Ok(None);
        };
        let reason = error.code();
        tracing::error!(account = %account.label, %status, %reason,
            "Account {} is {status} ({reason}): all its work stops", account.label);
        self.store
            .set_account_status(account.id, status, Some(&reason))
            .await?;
        Ok(Some(status))
    }

    /// The same context with another unit budget (services sharing one pool).
    pub fn with_units(mut self, units: UnitBudget) -> Self {
        self.units = units;
        self
    }

    /// Runs account work under leases held by this instance.
    pub fn runner(&self) -> AccountRunner {
        AccountRunner::new(
            self.store.clone(),
            Arc::clone(&self.connector),
            self.clock.clone(),
            self.holder.clone(),
            Duration::from_secs(self.settings.leases.ttl_secs),
        )
        .with_units(self.units.clone())
        .stopping_on(self.shutdown.clone())
    }

    /// The event describing one Telegram call's outcome (`ok` or the error's outcome word).
    pub fn call_event<T>(
        &self,
        account: Option<AccountId>,
        group: Option<GroupId>,
        action: &str,
        result: &Result<T, TgError>,
    ) -> NewEvent {
        let (outcome, flood_wait_secs, detail) = match result {
            Ok(_) => ("ok", None, None),
            Err(error) => (
                error.outcome(),
                error.flood_wait_secs(),
                Some(error.to_string()),
            ),
        };
        NewEvent {
            at: self.clock.now(),
            service: self.service.name().to_owned(),
            account_id: account,
            group_id: group,
            action: action.to_owned(),
            outcome: outcome.to_owned(),
            flood_wait_secs,
            detail,
        }
    }

    /// Records one Telegram call's outcome in the event log and the metrics
    /// (`tgfleet_telegram_calls_total`, `tgfleet_flood_wait_seconds_total`).
    pub async fn record_call<T>(
        &self,
        account: Option<AccountId>,
        group: Option<GroupId>,
        action: &str,
        result: &Result<T, TgError>,
    ) -> Result<(), StoreError> {
        let event = self.call_event(account, group, action, result);
        self.count(&event);
        self.store.record_event(&event).await
    }

    /// Updates the metrics for an event recorded elsewhere (e.g. inside a transaction).
    pub fn count(&self, event: &NewEvent) {
        let service = self.service.name();
        metrics::counter!(
            "tgfleet_telegram_calls_total",
            "service" => service,
            "action" => event.action.clone(),
            "outcome" => event.outcome.clone()
        )
        .increment(1);
        if let Some(secs) = event.flood_wait_secs {
            metrics::counter!(
                "tgfleet_flood_wait_seconds_total",
                "service" => service,
                "action" => event.action.clone()
            )
            .increment(u64::from(secs));
        }
    }
}

/// A lease holder name: `service@host:pid#n`, unique per replica even within one process.
pub fn holder_name(service: Service) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let host = host_name();
    format!(
        "{}@{host}:{}#{}",
        service.name(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// This machine's name (`HOSTNAME`, else `/etc/hostname`, else `localhost`).
pub fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_names_are_unique_per_replica() {
        let a = holder_name(Service::Marketer);
        let b = holder_name(Service::Marketer);
        assert!(a.starts_with("marketer@"), "{a}");
        assert_ne!(a, b);
    }
}
