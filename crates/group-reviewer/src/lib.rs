//! group-reviewer: audits every group that has a membership, through its
//! responsible account — is the account still a member, may it post, is it
//! banned, is the group gone — updates the catalogue (group status, `can_post`,
//! memberships), keeps every finding in `review_findings`, and prints the operators'
//! summary (`Checked groups: N`, `members: N`, `can post: N`, `marked banned: N`,
//! `marked inaccessible: N`).
//!
//! [`review_once`] is the one-shot command (cron runs it daily); [`run`] is the
//! optional built-in schedule (`reviewer.schedule` when `reviewer.enabled_schedule`).
//! Each account's groups are checked in batches under its lease, paced by
//! governor on the service clock to `reviewer.requests_per_minute`, so the review
//! runs safely next to the other services.

mod account;
mod check;
mod error;
mod pacing;
mod progress;
mod requests;
mod summary;

pub use account::{BUSY_RETRIES, BUSY_RETRY_AFTER};
pub use check::{RESOLVE_ACTION, RIGHTS_ACTION};
pub use error::ReviewError;
pub use pacing::{Pacer, ServiceTime};
pub use progress::{Progress, TerminalProgress};
pub use requests::serve_requests;
pub use summary::{AccountNote, DeferReason, PassedOver, ReviewSummary};

use account::AccountReview;
use futures_util::future::join_all;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tgfleet_domain::{AccountId, Clock};
use tgfleet_runtime::{CronTicker, ServiceContext};
use tgfleet_store::ReviewTarget;
use tgfleet_telegram::AccountRef;

/// The schedule's name in `cron_ticks`.
pub const SCHEDULE_JOB: &str = "group-review";
/// A scheduled review missed by at most this much (a restart just after 03:00)
/// still runs when the service starts.
pub const SCHEDULE_CATCH_UP: Duration = Duration::from_secs(3600);

/// Reviews every group that has a membership, once, and returns the summary
/// (also logged, line by line). Accounts are reviewed side by side, at most the
/// service's unit budget connected at once (each batch takes a unit); a group
/// whose account is busy is retried later in the same run (a bounded number of
/// times), a FloodWait above `joins.flood_wait_short_max_secs` leaves that
/// account's remaining groups for the next run.
///
/// Fails with [`ReviewError::NoUsableAccount`] when no account can work at all
/// (or every group's account is unusable), and [`ReviewError::Store`] when the
/// database fails; [`ReviewError::exit_code`] maps both to the binary's exit code.
pub async fn review_once(
    ctx: &ServiceContext,
    progress: Option<&dyn Progress>,
) -> Result<ReviewSummary, ReviewError> {
    let started = ctx.clock.now();
    if ctx.store.usable_account_count(started).await? == 0 {
        return Err(ReviewError::NoUsableAccount(
            "every account is suspended, resting, unauthorized or deactivated".to_owned(),
        ));
    }
    let targets = ctx.store.review_targets().await?;
    let total = targets.len();
    let run = ctx.store.start_review_run(&ctx.holder, started).await?;
    tracing::info!(groups = total, "Review started: {total} groups to check");
    if let Some(progress) = progress {
        progress.start(total as u64);
    }
    let reviews = by_account(targets)
        .into_iter()
        .map(|(account, queue)| AccountReview::new(ctx, run, account, queue, progress).run());
    let mut summary = ReviewSummary {
        run: Some(run),
        ..ReviewSummary::default()
    };
    for result in join_all(reviews).await {
        summary.merge(result?);
    }
    ctx.store
        .finish_review_run(run, &summary.totals, ctx.clock.now())
        .await?;
    if let Some(progress) = progress {
        progress.finish();
    }
    summary.log();
    let skipped = summary.totals.skipped as usize;
    if total > 0 && skipped == total {
        let reasons: Vec<String> = summary
            .notes
            .iter()
            .map(|note| format!("{}: {}", note.account, note.why))
            .collect();
        return Err(ReviewError::NoUsableAccount(reasons.join("; ")));
    }
    Ok(summary)
}

/// Until shutdown: runs [`review_once`] on `reviewer.schedule` (in
/// `schedule.time_zone`), once per tick fleet-wide, when `reviewer.enabled_schedule`
/// is on, and answers the console's "review now" requests ([`serve_requests`]). A
/// failed review is logged and the next tick tried; only a failure to claim ticks
/// (the database) ends the schedule.
pub async fn run(ctx: ServiceContext) -> anyhow::Result<()> {
    let (scheduled, requested) = tokio::join!(run_schedule(&ctx), serve_requests(&ctx));
    scheduled.and(requested)
}

/// The built-in schedule, when `reviewer.enabled_schedule`.
async fn run_schedule(ctx: &ServiceContext) -> anyhow::Result<()> {
    let reviewer = &ctx.settings.reviewer;
    if !reviewer.enabled_schedule {
        tracing::info!(
            "Review schedule is off (reviewer.enabled_schedule = false); run `group-reviewer --once` from cron, or ask from the console"
        );
        return Ok(());
    }
    let mut ticker = CronTicker::new(
        SCHEDULE_JOB,
        reviewer.schedule.clone(),
        ctx.settings.schedule.time_zone,
        ctx.clock.clone(),
        ctx.store.clone(),
        ctx.holder.clone(),
        SCHEDULE_CATCH_UP,
    );
    tracing::info!(
        schedule = reviewer.schedule.as_str(),
        "Review schedule armed"
    );
    while let Some(tick) = ticker.next(&ctx.shutdown).await? {
        tracing::info!(%tick, "Scheduled review");
        match review_once(ctx, None).await {
            Ok(_) => {}
            Err(error @ ReviewError::NoUsableAccount(_)) => {
                tracing::warn!(%error, "Scheduled review could not run");
            }
            Err(error) => tracing::error!(%error, "Scheduled review failed"),
        }
    }
    Ok(())
}

/// Targets grouped per account, keeping the store's order inside each group.
fn by_account(targets: Vec<ReviewTarget>) -> Vec<(AccountRef, VecDeque<ReviewTarget>)> {
    let mut grouped: Vec<(AccountRef, VecDeque<ReviewTarget>)> = Vec::new();
    let mut index: HashMap<AccountId, usize> = HashMap::new();
    for target in targets {
        let place = *index.entry(target.account_id).or_insert_with(|| {
            grouped.push((
                AccountRef {
                    id: target.account_id,
                    label: target.account_label.clone(),
                },
                VecDeque::new(),
            ));
            grouped.len() - 1
        });
        grouped[place].1.push_back(target);
    }
    grouped
}
