//! Join slots: one cron ticker per configured slot; the replica that wins a tick
//! assigns new groups and plans the slot in Postgres, then wakes every executor.

use crate::manager::Manager;
use crate::text;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tgfleet_config::CronSchedule;
use tgfleet_domain::join_policy::SlotEligibility;
use tgfleet_runtime::CronTicker;
use tgfleet_store::SlotPlan;

/// A tick at most this old is still fired at start if no replica fired it (a
/// process restarted shortly after a slot time).
const SLOT_CATCH_UP: Duration = Duration::from_secs(3600);
/// Pause before retrying after a database error.
const RETRY: Duration = Duration::from_secs(30);
/// Attempts at planning one tick before giving it up.
const PLAN_ATTEMPTS: u32 = 5;

/// Fires `schedule`'s ticks this replica wins, until shutdown.
pub(crate) async fn run_slot(manager: Arc<Manager>, schedule: CronSchedule) -> anyhow::Result<()> {
    let ctx = &manager.ctx;
    let mut ticker = CronTicker::new(
        "join-slot",
        schedule.clone(),
        ctx.settings.schedule.time_zone,
        ctx.clock.clone(),
        ctx.store.clone(),
        ctx.holder.clone(),
        SLOT_CATCH_UP,
    );
    loop {
        match ticker.next(&ctx.shutdown).await {
            Ok(Some(tick)) => plan(&manager, &schedule, tick).await,
            Ok(None) => return Ok(()),
            Err(error) => {
                tracing::warn!(schedule = %schedule, %error, "waiting for the next slot failed; retrying");
                tokio::select! {
                    () = ctx.shutdown.cancelled() => return Ok(()),
                    () = ctx.clock.sleep(RETRY) => {}
                }
            }
        }
    }
}

async fn plan(manager: &Manager, schedule: &CronSchedule, tick: DateTime<Utc>) {
    let ctx = &manager.ctx;
    let zone = ctx.settings.schedule.time_zone;
    let limit = manager.rules.max_groups_per_slot;
    tracing::info!("Join slot {} ({schedule}) starts", text::local(tick, zone));
    manager.assign().await;
    for attempt in 1..=PLAN_ATTEMPTS {
        match ctx.store.plan_slot(tick, limit).await {
            Ok(plans) => {
                for plan in &plans {
                    log_plan(plan, limit, manager);
                }
                manager.wake.notify_one();
                return;
            }
            Err(error) if attempt < PLAN_ATTEMPTS => {
                tracing::warn!(%error, "planning the slot failed; retrying");
                ctx.clock.sleep(RETRY).await;
            }
            Err(error) => {
                tracing::error!(%error, "planning the slot failed {PLAN_ATTEMPTS} times; this slot is lost");
            }
        }
    }
}

fn log_plan(plan: &SlotPlan, limit: u32, manager: &Manager) {
    let account = &plan.label;
    let zone = manager.ctx.settings.schedule.time_zone;
    match plan.eligibility {
        SlotEligibility::Joins { wakes_from_rest } => {
            if wakes_from_rest {
                tracing::info!(account = %account, "Rest is over; the account is active again");
            }
            if plan.pending == 0 {
                tracing::info!(account = %account, "No pending groups");
            } else {
                tracing::info!(account = %account, "Processing {} of {} groups (limit {limit} per slot)", plan.planned, plan.pending);
            }
        }
        SlotEligibility::FloodWait { until } => {
            tracing::warn!(account = %account, "Skipping this slot: joins wait for a FloodWait until {} ({} groups pending)", text::local(until, zone), plan.pending)
        }
        SlotEligibility::Resting { until } => {
            tracing::warn!(account = %account, "Skipping this slot: the account rests{} ({} groups pending)", until.map_or_else(String::new, |until| format!(" until {}", text::local(until, zone))), plan.pending)
        }
        SlotEligibility::Excluded => {
            tracing::info!(account = %account, "Skipping this slot: joins are stopped for this account")
        }
    }
}
