//! What every task of one account-manager replica shares: the context, the join
//! rules, the executor's wake-up and the assignment request.

use crate::text;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tgfleet_config::Settings;
use tgfleet_domain::join_policy::JoinRules;
use tgfleet_runtime::ServiceContext;
use tokio::sync::Notify;

/// The join rules of `[joins]`.
pub fn join_rules(settings: &Settings) -> JoinRules {
    let joins = &settings.joins;
    let (pause_min, pause_max) = joins.pause_range();
    JoinRules {
        max_groups_per_slot: joins.max_groups_per_slot,
        pause_min,
        pause_max,
        flood_wait_short_max: std::time::Duration::from_secs(joins.flood_wait_short_max_secs),
        flood_wait_rest_above: std::time::Duration::from_secs(joins.flood_wait_rest_above_secs),
        transient_retries: joins.transient_retries,
        channels_cap: joins.max_memberships_per_account,
        channels_hold: std::time::Duration::from_secs(joins.channels_hold_hours * 3600),
    }
}

/// One replica's shared state.
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) ctx: ServiceContext,
    pub(crate) rules: JoinRules,
    /// Wakes the executor (a slot was planned, something changed, work finished).
    pub(crate) wake: Notify,
    assign_requested: AtomicBool,
    last_unassigned: AtomicU64,
}

impl Manager {
    pub(crate) fn new(ctx: ServiceContext) -> Arc<Self> {
        let rules = join_rules(&ctx.settings);
        Arc::new(Self {
            ctx,
            rules,
            wake: Notify::new(),
            assign_requested: AtomicBool::new(false),
            last_unassigned: AtomicU64::new(0),
        })
    }

    /// Logs the configuration the replica runs with.
    pub(crate) fn announce(&self) {
        let joins = &self.ctx.settings.joins;
        let slots: Vec<&str> = joins.slots.iter().map(|slot| slot.as_str()).collect();
        tracing::info!(
            holder = %self.ctx.holder,
            "account-manager started: slots {slots:?} in {}, limit {} per slot, pauses {}-{}, \
             FloodWait waited up to {}, rest above {}, cap {} memberships per account",
            self.ctx.settings.schedule.time_zone,
            self.rules.max_groups_per_slot,
            text::duration(self.rules.pause_min),
            text::duration(self.rules.pause_max),
            text::duration(self.rules.flood_wait_short_max),
            text::duration(self.rules.flood_wait_rest_above),
            joins.max_memberships_per_account,
        );
    }

    /// Asks the executor loop to run an assignment at its next turn.
    pub(crate) fn request_assignment(&self) {
        self.assign_requested.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Runs an assignment if one was requested since the last.
    pub(crate) async fn assign_if_requested(&self) {
        if self.assign_requested.swap(false, Ordering::AcqRel) {
            self.assign().await;
        }
    }

    /// Hands over the pending groups of accounts that can no longer join and
    /// assigns every open group without an account.
    pub(crate) async fn assign(&self) {
        let cap = self.ctx.settings.joins.max_memberships_per_account;
        let report = match self.ctx.store.assign_groups(cap).await {
            Ok(report) => report,
            Err(error) => {
                tracing::warn!(%error, "assigning groups failed; retrying at the next change or slot");
                return;
            }
        };
        for (label, count) in &report.handed_over {
            tracing::warn!(account = %label, "Handed {count} pending groups over to other accounts (this account can no longer join)");
        }
        if !report.assigned.is_empty() {
            let spread: Vec<String> = report
                .assigned
                .iter()
                .map(|(label, count)| format!("{label} +{count}"))
                .collect();
            tracing::info!(
                "Assigned {} groups: {}",
                report.assigned_total(),
                spread.join(", ")
            );
        }
        let before = self
            .last_unassigned
            .swap(report.unassigned, Ordering::AcqRel);
        if report.unassigned > 0 && report.unassigned != before {
            tracing::warn!(
                "{} groups wait for an account: no active account may join more (cap {cap})",
                report.unassigned
            );
        }
    }
}
