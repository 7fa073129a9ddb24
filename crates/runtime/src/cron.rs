//! Cron schedules that fire once per tick fleet-wide.
//!
//! Ticks are computed with croner (the parser tokio-cron-scheduler uses) in the
//! configured time zone through chrono-tz, and waited for through the
//! [`ServiceClock`], so the same ticker runs on the wall clock, on paused tokio
//! time in tests and on the demo's scaled clock. tokio-cron-scheduler itself is not
//! used: it fixes a zone's UTC offset when a job is created (so slots drift by an
//! hour across a DST change) and only reads the wall clock. Each tick is claimed in
//! `cron_ticks`; only the replica whose claim succeeds fires it.

use crate::{ServiceClock, Shutdown};
use chrono::{DateTime, Utc};
use std::time::Duration;
use tgfleet_config::{CronSchedule, TimeZone};
use tgfleet_domain::Clock;
use tgfleet_store::{Store, StoreError};

/// Waits for the ticks of one schedule that this instance wins.
#[derive(Debug)]
pub struct CronTicker {
    key: String,
    schedule: CronSchedule,
    zone: TimeZone,
    clock: ServiceClock,
    store: Store,
    holder: String,
    catch_up: Duration,
    last: Option<DateTime<Utc>>,
}

impl CronTicker {
    /// A ticker for `schedule` in `zone`, claiming ticks as `holder` under the name
    /// `job` (e.g. `join-slot`). At start, the latest tick at most `catch_up` old is
    /// still fired if nobody fired it (a process restarted just after a tick).
    pub fn new(
        job: &str,
        schedule: CronSchedule,
        zone: TimeZone,
        clock: ServiceClock,
        store: Store,
        holder: impl Into<String>,
        catch_up: Duration,
    ) -> Self {
        Self {
            key: format!("{job} {}", schedule.as_str()),
            schedule,
            zone,
            clock,
            store,
            holder: holder.into(),
            catch_up,
            last: None,
        }
    }

    /// The schedule's key in `cron_ticks`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Waits for the next tick this instance claims and returns its scheduled time;
    /// `None` once `shutdown` is cancelled or the schedule has no further tick.
    pub async fn next(&mut self, shutdown: &Shutdown) -> Result<Option<DateTime<Utc>>, StoreError> {
        loop {
            let Some(tick) = self.next_candidate() else {
                return Ok(None);
            };
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return Ok(None),
                () = self.clock.sleep_until(tick) => {}
            }
            self.last = Some(tick);
            if self
                .store
                .claim_cron_tick(&self.key, tick, &self.holder)
                .await?
            {
                return Ok(Some(tick));
            }
            tracing::debug!(schedule = %self.key, %tick, "tick already fired by another replica");
        }
    }

    fn next_candidate(&self) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        match self.last {
            Some(last) => self.schedule.next_after(last.max(now), self.zone),
            None => {
                let catch_up = chrono::TimeDelta::from_std(self.catch_up).unwrap_or_default();
                self.schedule
                    .latest_at_or_before(now, self.zone)
                    .filter(|latest| now - *latest <= catch_up)
                    .or_else(|| self.schedule.next_after(now, self.zone))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::PgPool;

    fn jakarta() -> TimeZone {
        TimeZone(chrono_tz::Asia::Jakarta)
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[sqlx::test(migrations = "../../migrations")]
    async fn fires_at_local_time_once_across_replicas(pool: PgPool) {
        let store = Store::for_paused_time(pool).await.unwrap();
        tokio::time::pause();
        // 08:00 in Jakarta (UTC+7) is 01:00 UTC.
        let clock = ServiceClock::virtual_at(at("2026-01-10T01:00:00Z"));
        let schedule = CronSchedule::parse("0 9 * * *").unwrap();
        let shutdown = Shutdown::new();
        let first = CronTicker::new(
            "join-slot",
            schedule.clone(),
            jakarta(),
            clock.clone(),
            store.clone(),
            "am-1",
            Duration::from_secs(600),
        );
        let second = CronTicker::new(
            "join-slot",
            schedule,
            jakarta(),
            clock.clone(),
            store,
            "am-2",
            Duration::from_secs(600),
        );

        let race = |mut ticker: CronTicker, shutdown: Shutdown| async move {
            tokio::select! {
                tick = ticker.next(&shutdown) => tick.unwrap(),
                () = tokio::time::sleep(Duration::from_secs(3 * 3600)) => None,
            }
        };
        let (a, b) = tokio::join!(
            race(first, shutdown.clone()),
            race(second, shutdown.clone())
        );
        let nine_am = Some(at("2026-01-10T02:00:00Z"));
        assert!(
            (a == nine_am && b.is_none()) || (b == nine_am && a.is_none()),
            "exactly one replica fires 09:00 Jakarta: {a:?} {b:?}"
        );
        assert!(clock.now() >= at("2026-01-10T02:00:00Z"));
    }

    #[sqlx::test(migrations = "../../migrations")]
    async fn catches_up_a_recent_tick_but_not_an_old_one(pool: PgPool) {
        let store = Store::for_paused_time(pool).await.unwrap();
        tokio::time::pause();
        let schedule = CronSchedule::parse("0 9 * * *").unwrap();
        let shutdown = Shutdown::new();

        let five_past = ServiceClock::virtual_at(at("2026-01-10T02:05:00Z"));
        let mut recent = CronTicker::new(
            "join-slot",
            schedule.clone(),
            jakarta(),
            five_past,
            store.clone(),
            "am-1",
            Duration::from_secs(600),
        );
        assert_eq!(
            recent.next(&shutdown).await.unwrap(),
            Some(at("2026-01-10T02:00:00Z"))
        );

        let an_hour_late = ServiceClock::virtual_at(at("2026-01-11T03:00:00Z"));
        let mut late = CronTicker::new(
            "join-slot",
            schedule,
            jakarta(),
            an_hour_late.clone(),
            store,
            "am-1",
            Duration::from_secs(600),
        );
        assert_eq!(
            late.next(&shutdown).await.unwrap(),
            Some(at("2026-01-12T02:00:00Z"))
        );
        assert!(an_hour_late.now() >= at("2026-01-12T02:00:00Z"));
    }

    #[sqlx::test(migrations = "../../migrations")]
    async fn shutdown_ends_the_wait(pool: PgPool) {
        let store = Store::for_paused_time(pool).await.unwrap();
        tokio::time::pause();
        let clock = ServiceClock::virtual_at(at("2026-01-10T03:00:00Z"));
        let shutdown = Shutdown::new();
        let mut ticker = CronTicker::new(
            "review",
            CronSchedule::parse("0 3 * * *").unwrap(),
            jakarta(),
            clock,
            store,
            "gr-1",
            Duration::ZERO,
        );
        shutdown.cancel();
        assert_eq!(ticker.next(&shutdown).await.unwrap(), None);
    }
}
