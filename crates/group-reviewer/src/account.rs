//! One account's share of a review: its groups, checked in batches under the
//! account's lease (released between batches so other services get the
//! account), paced by governor, with FloodWaits, busy leases and dead sessions
//! handled without ever waiting while the lease is held.

use crate::check::{CheckOutcome, check_group, stored_peer};
use crate::pacing::{Pacer, check_cost};
use crate::progress::Progress;
use crate::summary::{DeferReason, PassedOver, ReviewSummary};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::VecDeque;
use std::time::Duration;
use tgfleet_domain::{AccountStatus, Clock, ReviewVerdict, to_delta};
use tgfleet_runtime::{AccountSession, Leased, ServiceContext, WorkError};
use tgfleet_store::{
    CatalogueFacts, ERROR_FINDING, Lease, ReviewFinding, ReviewRunId, ReviewTarget, StoreError,
};
use tgfleet_telegram::{AccountRef, TgError};
use tracing::Instrument as _;

/// How long to wait before asking again for an account another service holds.
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(20);
/// How many times a busy (or unreachable) account is asked again before its
/// remaining groups are left for the next run (30 × 20 s: ten minutes).
pub const BUSY_RETRIES: u32 = 30;

/// How a batch under the lease ended.
enum BatchEnd {
    /// No group left.
    Emptied,
    /// The batch's request budget is spent.
    BudgetSpent,
    /// Telegram asked for a wait (already recorded on the account).
    FloodWait,
    /// The account cannot work any more.
    AccountFatal(TgError),
}

/// Reviews one account's groups.
pub(crate) struct AccountReview<'a> {
    ctx: &'a ServiceContext,
    run: ReviewRunId,
    account: AccountRef,
    queue: VecDeque<ReviewTarget>,
    pacer: Pacer,
    progress: Option<&'a dyn Progress>,
    summary: ReviewSummary,
}

impl<'a> AccountReview<'a> {
    pub(crate) fn new(
        ctx: &'a ServiceContext,
        run: ReviewRunId,
        account: AccountRef,
        queue: VecDeque<ReviewTarget>,
        progress: Option<&'a dyn Progress>,
    ) -> Self {
        Self {
            ctx,
            run,
            account,
            queue,
            pacer: Pacer::new(ctx.clock.clone(), ctx.settings.reviewer.requests_per_minute),
            progress,
            summary: ReviewSummary::default(),
        }
    }

    /// FloodWaits up to this long are waited out (outside the lease); longer
    /// ones defer the account's remaining groups to the next run.
    fn short_flood_max(&self) -> TimeDelta {
        TimeDelta::seconds(
            i64::try_from(self.ctx.settings.joins.flood_wait_short_max_secs).unwrap_or(i64::MAX),
        )
    }

    /// Checks every queued group, or notes why some were passed over. Fails only
    /// when the database fails.
    pub(crate) async fn run(mut self) -> Result<ReviewSummary, StoreError> {
        let runner = self.ctx.runner();
        let mut retries = 0;
        while !self.queue.is_empty() {
            if self.ctx.shutdown.is_cancelled() {
                self.pass_over_rest(PassedOver::Deferred(DeferReason::Shutdown));
                break;
            }
            let now = self.ctx.clock.now();
            let Some(account) = self.ctx.store.account_by_id(self.account.id).await? else {
                self.pass_over_rest(PassedOver::Skipped("no longer exists".into()));
                break;
            };
            if let Some(reason) = account.unavailable_because(now) {
                self.pass_over_rest(PassedOver::Skipped(reason));
                break;
            }
            if let Some(until) = account.other_flood_until.filter(|until| *until > now) {
                if until - now > self.short_flood_max() {
                    self.pass_over_rest(PassedOver::Deferred(DeferReason::FloodWait { until }));
                    break;
                }
                tracing::info!(account = %self.account.label, %until, "Sleeping until the FloodWait ends (review)");
                self.wait_until(until).await;
                continue;
            }
            let budget = self.pacer.take_batch().await;
            let account = self.account.clone();
            let outcome = runner
                .with_account(&account, async |session| self.batch(session, budget).await)
                .await;
            let retry = match outcome {
                Ok(Leased::Done(Ok(end))) => match end {
                    BatchEnd::Emptied | BatchEnd::BudgetSpent | BatchEnd::FloodWait => None,
                    BatchEnd::AccountFatal(error) => {
                        self.account_lost(&error).await?;
                        break;
                    }
                },
                Ok(Leased::Done(Err(StoreError::LeaseLost { .. })))
                | Err(WorkError::Store(StoreError::LeaseLost { .. })) => Some(DeferReason::Busy),
                Ok(Leased::Done(Err(error))) | Err(WorkError::Store(error)) => return Err(error),
                Ok(Leased::Busy) => {
                    self.summary.busy_retries += 1;
                    Some(DeferReason::Busy)
                }
                Err(WorkError::Connect(error)) if error.is_account_fatal() => {
                    self.account_lost(&error).await?;
                    break;
                }
                Err(WorkError::Connect(error)) => Some(DeferReason::Unreachable(error.to_string())),
                Err(error @ WorkError::Panicked(_)) => {
                    Some(DeferReason::Unreachable(error.to_string()))
                }
            };
            match retry {
                None => retries = 0,
                Some(reason) if retries >= BUSY_RETRIES => {
                    self.pass_over_rest(PassedOver::Deferred(reason));
                    break;
                }
                Some(reason) => {
                    retries += 1;
                    tracing::debug!(account = %self.account.label, %reason, retries, "account not available now; retrying later");
                    self.wait_until(self.ctx.clock.now() + to_delta(BUSY_RETRY_AFTER))
                        .await;
                }
            }
        }
        Ok(self.summary)
    }

    /// Checks queued groups under the lease until the budget is spent.
    async fn batch(
        &mut self,
        session: AccountSession<'_>,
        budget: u32,
    ) -> Result<BatchEnd, StoreError> {
        let mut left = budget;
        while let Some(target) = self.queue.pop_front() {
            let cost = check_cost(target.peer.is_none());
            if cost > left {
                self.queue.push_front(target);
                return Ok(BatchEnd::BudgetSpent);
            }
            left -= cost;
            let now = self.ctx.clock.now();
            let mut calls = Vec::new();
            let span =
                tracing::info_span!("check", group = %target.handle, group_id = %target.group_id);
            let outcome = check_group(session.telegram, &target, now, &mut |action, result| {
                calls.push((action, result.clone()));
            })
            .instrument(span)
            .await;
            for (action, result) in &calls {
                self.ctx
                    .record_call(
                        Some(target.account_id),
                        Some(target.group_id),
                        action,
                        result,
                    )
                    .await?;
            }
            match outcome {
                CheckOutcome::FloodWait(secs) => {
                    self.flood_wait(secs, now).await?;
                    self.queue.push_front(target);
                    return Ok(BatchEnd::FloodWait);
                }
                CheckOutcome::AccountFatal(error) => {
                    self.queue.push_front(target);
                    return Ok(BatchEnd::AccountFatal(error));
                }
                CheckOutcome::Verdict(seen) => {
                    let finding = ReviewFinding {
                        run: self.run,
                        group_id: target.group_id,
                        account_id: target.account_id,
                        at: now,
                        verdict: Some(seen.verdict),
                        peer: seen.resolved.as_ref().map(stored_peer),
                        chat: seen.facts,
                        slow_mode_secs: seen.slow_mode_secs,
                        next_send_at: seen.next_send_at,
                        detail: seen.detail,
                    };
                    self.record(session.lease, &target, &finding).await?;
                }
                CheckOutcome::Failed { resolved, detail } => {
                    let finding = ReviewFinding {
                        run: self.run,
                        group_id: target.group_id,
                        account_id: target.account_id,
                        at: now,
                        verdict: None,
                        peer: resolved.as_ref().map(stored_peer),
                        chat: CatalogueFacts::default(),
                        slow_mode_secs: None,
                        next_send_at: None,
                        detail: Some(detail),
                    };
                    self.record(session.lease, &target, &finding).await?;
                }
            }
        }
        Ok(BatchEnd::Emptied)
    }

    async fn record(
        &mut self,
        lease: &Lease,
        target: &ReviewTarget,
        finding: &ReviewFinding,
    ) -> Result<(), StoreError> {
        let recorded = self
            .ctx
            .store
            .record_review_finding(lease, finding, self.ctx.clock.now())
            .await?;
        self.summary.count(finding.verdict, &recorded);
        let word = finding
            .verdict
            .map_or(ERROR_FINDING, ReviewVerdict::finding);
        metrics::counter!("tgfleet_reviews_total", "finding" => word).increment(1);
        if let Some(progress) = self.progress {
            progress.checked(&target.handle, word);
        }
        let (group, account) = (&target.handle, &self.account.label);
        let changed = recorded.status_after != recorded.status_before;
        match finding.verdict {
            Some(ReviewVerdict::Banned) if changed => {
                tracing::warn!(%group, %account, "Marked banned: {group} banned {account}");
            }
            Some(ReviewVerdict::Inaccessible) if changed => {
                let detail = finding.detail.as_deref().unwrap_or("inaccessible");
                tracing::warn!(%group, %account, "Marked inaccessible: {group} ({detail})");
            }
            None => {
                let detail = finding.detail.as_deref().unwrap_or("unknown error");
                tracing::warn!(%group, %account, "Review of {group} failed: {detail}");
            }
            Some(verdict) => {
                tracing::debug!(%group, %account, finding = verdict.finding(), can_post = recorded.can_post, "Reviewed {group}");
            }
        }
        Ok(())
    }

    async fn flood_wait(&mut self, secs: u32, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.summary.flood_waits += 1;
        let until = now + TimeDelta::seconds(i64::from(secs));
        self.ctx
            .store
            .note_other_flood(self.account.id, until)
            .await?;
        let left = self.queue.len() + 1;
        if TimeDelta::seconds(i64::from(secs)) > self.short_flood_max() {
            tracing::warn!(account = %self.account.label, secs, "FloodWait {secs}s during the review: {left} groups of {} wait for the next run", self.account.label);
        } else {
            tracing::info!(account = %self.account.label, secs, "FloodWait {secs}s during the review: resuming after the wait");
        }
        Ok(())
    }

    /// The session is gone: record it on the account and pass over its groups.
    async fn account_lost(&mut self, error: &TgError) -> Result<(), StoreError> {
        let status = self
            .ctx
            .stop_lost_account(&self.account, error)
            .await?
            .unwrap_or(AccountStatus::Unauthorized);
        let reason = error.code();
        self.pass_over_rest(PassedOver::Skipped(format!("{status}: {reason}")));
        Ok(())
    }

    fn pass_over_rest(&mut self, why: PassedOver) {
        let groups = u32::try_from(self.queue.len()).unwrap_or(u32::MAX);
        self.queue.clear();
        if let Some(progress) = self.progress {
            progress.passed_over(u64::from(groups));
        }
        tracing::warn!(account = %self.account.label, groups, "Not reviewed now: {groups} groups of {} ({why})", self.account.label);
        self.summary.pass_over(&self.account.label, groups, why);
    }

    /// Waits on the service clock (never under a lease), or until shutdown.
    async fn wait_until(&self, deadline: DateTime<Utc>) {
        tokio::select! {
            () = self.ctx.shutdown.cancelled() => {}
            () = self.ctx.clock.sleep_until(deadline) => {}
        }
    }
}
