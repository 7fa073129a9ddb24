//! Works the planned joins on every replica: accounts whose next join is due run
//! concurrently (at most the service's unit budget at once, read from the store
//! no more than that many at a time), one join at a time per account; the loop then sleeps until the
//! earliest next join, a wake-up (a slot was planned, something changed) or
//! shutdown. Busy accounts (another replica holds the lease) are retried shortly.

use crate::manager::Manager;
use crate::unit::{UnitReport, join_once};
use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use std::collections::HashMap;
use std::sync::Arc;
use tgfleet_domain::{AccountId, Clock as _};
use tgfleet_telegram::AccountRef;
use tokio::task::{Id, JoinSet};

/// The longest sleep between two looks at the plans (NOTIFY can be missed while
/// the listening connection reconnects).
const RECHECK: TimeDelta = TimeDelta::minutes(5);
/// When another holder has an account, or nothing was due after all.
const BUSY_RETRY: TimeDelta = TimeDelta::seconds(10);
/// After a failed connect or a database error.
const FAILURE_RETRY: TimeDelta = TimeDelta::minutes(1);

struct Working {
    units: JoinSet<UnitReport>,
    accounts: HashMap<Id, AccountId>,
    retry_at: HashMap<AccountId, DateTime<Utc>>,
}

impl Working {
    fn finished(&mut self, manager: &Manager, id: Id, report: Option<UnitReport>) {
        let Some(account) = self.accounts.remove(&id) else {
            return;
        };
        let now = manager.ctx.clock.now();
        tracing::debug!(account_id = %account, ?report, "join unit finished");
        match report {
            Some(UnitReport::Worked { hands_over }) => {
                if hands_over {
                    manager.request_assignment();
                }
            }
            Some(UnitReport::Busy | UnitReport::NothingDue) => {
                self.retry_at.insert(account, now + BUSY_RETRY);
            }
            Some(UnitReport::Failed) | None => {
                self.retry_at.insert(account, now + FAILURE_RETRY);
            }
        }
    }
}

/// Runs until shutdown, then waits for the joins in progress to be stored.
pub(crate) async fn run_executor(manager: Arc<Manager>, mut rng: StdRng) -> anyhow::Result<()> {
    let ctx = &manager.ctx;
    let mut working = Working {
        units: JoinSet::new(),
        accounts: HashMap::new(),
        retry_at: HashMap::new(),
    };
    let limit = ctx.units.limit();
    while !ctx.shutdown.is_cancelled() {
        manager.assign_if_requested().await;
        let now = ctx.clock.now();
        let mut wake_at = now + RECHECK;
        working.retry_at.retain(|_, at| *at > now);
        if let Some(retry) = working.retry_at.values().min() {
            wake_at = wake_at.min(*retry);
        }
        let free = limit.saturating_sub(working.accounts.len());
        if free > 0 {
            let skip: Vec<AccountId> = working
                .accounts
                .values()
                .chain(working.retry_at.keys())
                .copied()
                .collect();
            let free = u32::try_from(free).unwrap_or(u32::MAX);
            match ctx.store.join_queue(now, free, &skip).await {
                Ok(queue) => {
                    if let Some(next) = queue.next_due_at {
                        wake_at = wake_at.min(next);
                    }
                    for joiner in queue.due {
                        let account = AccountRef {
                            id: joiner.account,
                            label: joiner.label,
                        };
                        let pause = manager.rules.pause(&mut rng);
                        let handle =
                            working
                                .units
                                .spawn(join_once(manager.clone(), account, pause));
                        working.accounts.insert(handle.id(), joiner.account);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "reading the join plans failed; retrying in a minute");
                    wake_at = now + FAILURE_RETRY;
                }
            }
        }
        tokio::select! {
            biased;
            () = ctx.shutdown.cancelled() => break,
            Some(done) = working.units.join_next_with_id(), if !working.units.is_empty() => {
                match done {
                    Ok((id, report)) => working.finished(&manager, id, Some(report)),
                    Err(error) => {
                        tracing::error!(%error, "a join task failed");
                        working.finished(&manager, error.id(), None);
                    }
                }
            }
            () = manager.wake.notified() => {}
            () = ctx.clock.sleep_until(wake_at) => {}
        }
    }
    while let Some(done) = working.units.join_next().await {
        if let Err(error) = done {
            tracing::error!(%error, "a join task failed during shutdown");
        }
    }
    Ok(())
}
