//! activity: keeps accounts looking alive inside their activity windows. Each
//! account runs cycles with random gaps (`activity.cycle_gap_min_secs` to
//! `activity.cycle_gap_max_secs`), planned in `accounts.activity_next_at`, only
//! inside `activity.windows` in the account's time zone. A cycle marks a few
//! joined chats read, views the active stories of a few of them, and reacts to a
//! recent message only when `activity.reactions_enabled` (off by default), within
//! `activity.reactions_per_day`. It never sends a message.
//!
//! The service obeys account status and FloodWaits (`accounts.other_flood_until`),
//! takes an account's lease only for a cycle's few calls, and logs
//! `Loaded N accounts` at start and `Cycle completed` after every cycle.

mod cycle;
mod load;

pub use cycle::{
    CycleReport, CycleStop, HISTORY_ACTION, REACT_ACTION, READ_ACTION, STORIES_ACTION,
    VIEW_STORIES_ACTION,
};
pub use load::{LoadReport, load_accounts};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cycle::{CyclePlan, flood_until, run_cycle};
use rand::rngs::StdRng;
use std::time::Duration;
use tgfleet_domain::Clock;
use tgfleet_domain::activity_policy::{
    cycle_gap, inside_windows, local_day_start, next_cycle_at, opening_spread, reactions_left,
};
use tgfleet_domain::to_delta;
use tgfleet_runtime::{Leased, ServiceContext, WorkError};
use tgfleet_store::{Account, StoreError};
use tgfleet_telegram::{AccountRef, TgError};

/// The longest sleep between two passes over the accounts (new accounts and
/// resumed ones are noticed within this).
pub const POLL: Duration = Duration::from_secs(5 * 60);
/// How long a cycle waits when another service holds the account.
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Runs the activity service until shutdown, with a random generator seeded
/// from the operating system.
pub async fn run(ctx: ServiceContext) -> anyhow::Result<()> {
    Activity::new(ctx, rand::make_rng()).run().await
}

/// The activity service of one replica.
#[derive(Debug)]
pub struct Activity {
    ctx: ServiceContext,
    rng: StdRng,
}

/// What one pass over the accounts did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Cycles run, by account label.
    pub cycles: Vec<(String, CycleReport)>,
    /// When the next pass should run.
    pub wake_at: Option<DateTime<Utc>>,
}

impl Activity {
    /// The service over `ctx`, drawing gaps and choices from `rng`.
    pub fn new(ctx: ServiceContext, rng: StdRng) -> Self {
        Self { ctx, rng }
    }

    /// Loads the accounts, then runs passes until shutdown, sleeping (on the
    /// service clock, holding no lease) until the earliest planned cycle.
    pub async fn run(mut self) -> anyhow::Result<()> {
        load_accounts(&self.ctx).await?;
        tracing::info!("Activity Service initialized");
        while !self.ctx.shutdown.is_cancelled() {
            let pass = self.pass().await?;
            let now = self.ctx.clock.now();
            let wake_at = pass.wake_at.unwrap_or(now).min(now + to_delta(POLL));
            tokio::select! {
                () = self.ctx.shutdown.cancelled() => break,
                () = self.ctx.clock.sleep_until(wake_at) => {}
            }
        }
        Ok(())
    }

    /// One pass: every usable account whose planned cycle is due runs it (inside
    /// its windows), others get a plan. Returns the cycles run and the next wake-up.
    pub async fn pass(&mut self) -> Result<Pass, StoreError> {
        let mut pass = Pass::default();
        for account in self.ctx.store.list_accounts().await? {
            let now = self.ctx.clock.now();
            if account.unavailable_because(now).is_some() {
                continue;
            }
            if let Some(until) = account.other_flood_until.filter(|until| *until > now) {
                wake(&mut pass, until);
                continue;
            }
            if let Some(next) = self.plan_or_run(&account, now, &mut pass).await? {
                wake(&mut pass, next);
            }
        }
        Ok(pass)
    }

    /// Plans the account's next cycle, running the due one first. Returns the
    /// planned time (`None` when another replica moved the plan first).
    async fn plan_or_run(
        &mut self,
        account: &Account,
        now: DateTime<Utc>,
        pass: &mut Pass,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let settings = &self.ctx.settings.activity;
        let windows = &settings.windows;
        let zone = self.zone_of(account);
        let (gap_min, gap_max) = (
            Duration::from_secs(settings.cycle_gap_min_secs),
            Duration::from_secs(settings.cycle_gap_max_secs),
        );
        let spread = opening_spread(&mut self.rng, gap_min);
        let seen = account.activity_next_at;
        let next = match seen {
            Some(at) if at > now => return Ok(Some(at)),
            // Never planned: start within one shortest gap, so accounts do not all start at once.
            None => next_cycle_at(
                now,
                cycle_gap(&mut self.rng, Duration::ZERO, gap_min),
                spread,
                zone,
                windows,
            ),
            Some(_) if !inside_windows(now, zone, windows) => {
                next_cycle_at(now, Duration::ZERO, spread, zone, windows)
            }
            Some(_) => next_cycle_at(
                now,
                cycle_gap(&mut self.rng, gap_min, gap_max),
                spread,
                zone,
                windows,
            ),
        };
        if !self.ctx.store.plan_activity(account.id, seen, next).await? {
            return Ok(None);
        }
        let due = seen.is_some() && inside_windows(now, zone, windows);
        if !due {
            tracing::debug!(account = %account.label, %next, "Next activity cycle planned");
            return Ok(Some(next));
        }
        match self.cycle(account, zone, now).await? {
            Some(report) => {
                pass.cycles.push((account.label.clone(), report));
                Ok(Some(next))
            }
            None => {
                let retry = now + to_delta(BUSY_RETRY_AFTER);
                let moved = self
                    .ctx
                    .store
                    .plan_activity(account.id, Some(next), retry)
                    .await?;
                Ok(moved.then_some(retry))
            }
        }
    }

    /// Runs one cycle for `account` under its lease. `None` when another service
    /// holds the account (or it could not connect for a passing reason).
    async fn cycle(
        &mut self,
        account: &Account,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Option<CycleReport>, StoreError> {
        let settings = &self.ctx.settings.activity;
        let peers = self.ctx.store.activity_peers(account.id).await?;
        let made_today = if settings.reactions_enabled {
            self.ctx
                .store
                .count_account_events(account.id, REACT_ACTION, "ok", local_day_start(now, zone))
                .await?
        } else {
            0
        };
        let left = reactions_left(
            settings.reactions_enabled,
            settings.reactions_per_day,
            made_today,
        );
        let plan = CyclePlan::choose(
            &mut self.rng,
            &peers,
            settings.chats_per_cycle,
            settings.stories_per_cycle,
            left,
        );
        let reference = AccountRef {
            id: account.id,
            label: account.label.clone(),
        };
        let ctx = &self.ctx;
        let outcome = ctx
            .runner()
            .with_account(&reference, async |session| {
                run_cycle(ctx, account.id, session, &plan).await
            })
            .await;
        let report = match outcome {
            Ok(Leased::Done(report)) => report?,
            Ok(Leased::Busy) => {
                tracing::debug!(account = %account.label, "account busy with another service; cycle postponed");
                return Ok(None);
            }
            Err(WorkError::Connect(error)) if error.is_account_fatal() => {
                mark_account_lost(ctx, &reference, &error).await?;
                return Ok(None);
            }
            Err(WorkError::Connect(error)) => {
                tracing::warn!(account = %account.label, %error, "cannot connect now; cycle postponed");
                return Ok(None);
            }
            Err(WorkError::Store(StoreError::LeaseLost { .. }) | WorkError::Panicked(_)) => {
                return Ok(None);
            }
            Err(WorkError::Store(error)) => return Err(error),
        };
        self.after_cycle(&reference, &report, now).await?;
        Ok(Some(report))
    }

    async fn after_cycle(
        &self,
        account: &AccountRef,
        report: &CycleReport,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let ctx = &self.ctx;
        ctx.store.note_activity(account.id, now).await?;
        metrics::counter!("tgfleet_activity_cycles_total").increment(1);
        metrics::counter!("tgfleet_activity_chats_read_total")
            .increment(u64::from(report.chats_read));
        metrics::counter!("tgfleet_activity_stories_viewed_total")
            .increment(u64::from(report.stories_viewed));
        metrics::counter!("tgfleet_activity_reactions_total")
            .increment(u64::from(report.reactions));
        match &report.stopped {
            Some(CycleStop::FloodWait(secs)) => {
                let until = flood_until(now, *secs);
                ctx.store.note_other_flood(account.id, until).await?;
                tracing::warn!(account = %account.label, secs, %until, "FloodWait {secs}s during activity; Sleeping until {until}");
            }
            Some(CycleStop::AccountLost(error)) => mark_account_lost(ctx, account, error).await?,
            None => {}
        }
        tracing::info!(
            account = %account.label,
            chats_read = report.chats_read,
            stories_viewed = report.stories_viewed,
            reactions = report.reactions,
            "Cycle completed: {} chats read, {} stories viewed, {} reactions",
            report.chats_read,
            report.stories_viewed,
            report.reactions
        );
        Ok(())
    }

    /// The account's own time zone, or `schedule.time_zone`.
    fn zone_of(&self, account: &Account) -> Tz {
        let fallback = self.ctx.settings.schedule.time_zone.0;
        match account.time_zone.as_deref().map(str::parse::<Tz>) {
            Some(Ok(zone)) => zone,
            Some(Err(_)) => {
                tracing::warn!(account = %account.label, zone = ?account.time_zone, "unknown time zone; using schedule.time_zone");
                fallback
            }
            None => fallback,
        }
    }
}

/// Stops an account whose session Telegram refuses (see
/// [`ServiceContext::stop_lost_account`]).
pub(crate) async fn mark_account_lost(
    ctx: &ServiceContext,
    account: &AccountRef,
    error: &TgError,
) -> Result<(), StoreError> {
    ctx.stop_lost_account(account, error).await.map(drop)
}

fn wake(pass: &mut Pass, at: DateTime<Utc>) {
    pass.wake_at = Some(pass.wake_at.map_or(at, |current| current.min(at)));
}
