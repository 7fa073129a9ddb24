//! marketer: posts campaign messages after a write-permission pre-check, within
//! windows, caps and gaps (docs/design.md, "Behaviour").
//!
//! [`run`] is the service. It loops over passes ([`Marketer::pass`]): every account
//! whose own rules allow a post (windows in its zone, caps, gaps, FloodWait,
//! cool-down) and that has a ready (campaign, group) runs one unit under its lease:
//! claim the post on fresh counts, pre-check the rights, send, complete. Accounts
//! work concurrently (at most the service's unit budget at once), each
//! sequentially; an account whose targets had nothing ready is not read again
//! before its wake-up time, a change notification, or the idle bound. Between passes it sleeps until the earliest
//! time something may become eligible (bounded, one minute by default), or until a
//! change notification (a campaign created or resumed, a variant added, a join).
//! Claims a crash left pending are resolved at start, periodically, and by the next
//! holder of the account: they become `unknown` and are never resent in their round.
//! One-off sends and connectivity checks asked for through the console run in a
//! pass of their own after each campaign pass (`oneoff`).

mod content;
mod convert;
mod oneoff;
mod plan;
mod relay;
mod unit;

pub use relay::RelayReport;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use futures_util::StreamExt as _;
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tgfleet_domain::post_outcome::StrikeRules;
use tgfleet_domain::posting::{PostingRules, Verdict};
use tgfleet_domain::{AccountId, PostState};
use tgfleet_runtime::{Leased, ServiceContext, WorkError};
use tgfleet_store::{ChangeListener, PostingAccount, StoreError};
use tgfleet_telegram::{AccountRef, TgError};

/// The longest sleep between two passes when nothing is due (a safety net for missed
/// notifications).
pub const DEFAULT_MAX_IDLE: Duration = Duration::from_secs(60);
/// How long a (campaign, group) waits after a transient failure.
pub const TRANSIENT_RETRY: Duration = Duration::from_secs(300);
/// How long an account waits after its connection failed for a passing reason.
const CONNECT_RETRY: TimeDelta = TimeDelta::minutes(1);
/// How soon to look again at an account another replica holds.
const BUSY_RETRY: TimeDelta = TimeDelta::seconds(5);

/// Runs the marketer until `ctx.shutdown` is cancelled.
pub async fn run(ctx: ServiceContext) -> anyhow::Result<()> {
    Marketer::new(ctx).run().await
}

/// How one post attempt ended (the `outcome` label of `tgfleet_posts_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostOutcome {
    /// Telegram accepted it.
    Sent,
    /// The pre-check said no; nothing was sent.
    Skipped,
    /// Telegram refused it (or it could not be prepared).
    Failed,
    /// A crash left it pending; it became unknown.
    Unknown,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Accounts whose rules allowed a post and that had a ready (campaign, group).
    pub units: usize,
    /// Posts sent.
    pub sent: usize,
    /// Posts skipped by the pre-check.
    pub skipped: usize,
    /// Posts refused or not prepared.
    pub failed: usize,
    /// Pending posts found abandoned (now unknown).
    pub unknown: usize,
    /// Accounts another replica held.
    pub busy: usize,
    /// The earliest time something may become eligible (`None`: nothing planned).
    pub next_wake: Option<DateTime<Utc>>,
}

impl PassReport {
    fn wake_at(&mut self, at: Option<DateTime<Utc>>) {
        if let Some(at) = at {
            self.next_wake = Some(self.next_wake.map_or(at, |wake| wake.min(at)));
        }
    }

    fn merged(mut self, other: Self) -> Self {
        self.units += other.units;
        self.sent += other.sent;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.unknown += other.unknown;
        self.busy += other.busy;
        self.wake_at(other.next_wake);
        self
    }

    fn add(&mut self, outcome: PostOutcome) {
        match outcome {
            PostOutcome::Sent => self.sent += 1,
            PostOutcome::Skipped => self.skipped += 1,
            PostOutcome::Failed => self.failed += 1,
            PostOutcome::Unknown => self.unknown += 1,
        }
    }
}

/// One marketer replica: its rules, its randomness, its caches.
#[derive(Debug)]
pub struct Marketer {
    ctx: ServiceContext,
    rules: PostingRules,
    strikes: StrikeRules,
    default_zone: Tz,
    request_timeout: Duration,
    max_idle: Duration,
    rng: Mutex<ChaCha8Rng>,
    media: content::MediaFiles,
    /// When each account whose connection failed for a passing reason (network,
    /// timeout, a FloodWait on connecting) may be tried again. Kept in memory only, as
    /// the one exception to "plans live in Postgres": nothing was sent, no lease is
    /// held meanwhile, and losing it (a restart, another replica) costs at most one
    /// early connect attempt per account and process, which fails the same way and
    /// sets the back-off again. Posting plans (posts, retries, flood-untils,
    /// cool-downs) are all stored.
    connect_retry: Mutex<HashMap<AccountId, DateTime<Utc>>>,
    /// Accounts whose targets had nothing ready, and when to read them again: a
    /// pass reads an account's targets only when something may have changed (its
    /// wake-up time came, or a change notification cleared this).
    nothing_ready_until: Mutex<HashMap<AccountId, DateTime<Utc>>>,
}

impl Marketer {
    /// A replica with the settings of `ctx` and a randomly seeded generator.
    pub fn new(ctx: ServiceContext) -> Self {
        Self::with_rng(ctx, rand::make_rng())
    }

    /// A replica whose randomness (cool-down lengths) comes from `seed`.
    pub fn with_seed(ctx: ServiceContext, seed: u64) -> Self {
        Self::with_rng(ctx, ChaCha8Rng::seed_from_u64(seed))
    }

    fn with_rng(ctx: ServiceContext, rng: ChaCha8Rng) -> Self {
        let posting = &ctx.settings.posting;
        let secs = |secs: u64| TimeDelta::seconds(i64::try_from(secs).unwrap_or(i64::MAX));
        let rules = PostingRules {
            windows: posting.windows.clone(),
            per_day: posting.per_day,
            per_hour: posting.per_hour,
            min_gap_account: secs(posting.min_gap_account_secs),
            min_gap_chat: secs(posting.min_gap_chat_secs),
            // A pre-check and a send, each bounded by the request timeout.
            window_margin: secs(ctx.settings.telegram.request_timeout_secs.saturating_mul(2)),
        };
        let strikes = StrikeRules {
            threshold: posting.spam_block_threshold,
            flood_wait_short_max: secs(posting.flood_wait_short_max_secs),
            cooldown_min: secs(posting.cooldown_min_secs),
            cooldown_max: secs(posting.cooldown_max_secs),
            transient_retry: secs(TRANSIENT_RETRY.as_secs()),
        };
        Self {
            default_zone: ctx.settings.schedule.time_zone.0,
            request_timeout: Duration::from_secs(ctx.settings.telegram.request_timeout_secs),
            rules,
            strikes,
            max_idle: DEFAULT_MAX_IDLE,
            rng: Mutex::new(rng),
            media: content::MediaFiles::default(),
            connect_retry: Mutex::new(HashMap::new()),
            nothing_ready_until: Mutex::new(HashMap::new()),
            ctx,
        }
    }

    /// The longest sleep between passes when nothing is due (default one minute).
    pub fn with_max_idle(mut self, max_idle: Duration) -> Self {
        self.max_idle = max_idle;
        self
    }

    /// The service loop: recover, then passes until shutdown.
    pub async fn run(&self) -> anyhow::Result<()> {
        let mut listener = self.listen().await;
        let accounts = self.ctx.store.posting_accounts(self.now()).await?;
        tracing::info!(holder = %self.ctx.holder, "Marketer started: {} accounts may post", accounts.len());
        self.recover().await?;
        let ttl =
            TimeDelta::seconds(i64::try_from(self.ctx.settings.leases.ttl_secs).unwrap_or(120));
        let mut next_sweep = self.now() + ttl;
        while !self.ctx.shutdown.is_cancelled() {
            let report = match self.pass_remembering(true).await {
                Ok(report) => report,
                Err(error) => {
                    tracing::error!(%error, "Posting pass failed; trying again shortly");
                    PassReport {
                        next_wake: Some(self.now() + TimeDelta::seconds(10)),
                        ..PassReport::default()
                    }
                }
            };
            // One-off sends and checks run after the campaign pass, never alongside it:
            // one connection per account in this process too.
            let report = match self.oneoff_pass().await {
                Ok(oneoff) => report.merged(oneoff),
                Err(error) => {
                    tracing::error!(%error, "One-off pass failed; trying again shortly");
                    report
                }
            };
            let now = self.now();
            if now >= next_sweep {
                if let Err(error) = self.recover().await {
                    tracing::error!(%error, "Resolving abandoned posts failed");
                }
                if listener.is_none() {
                    listener = self.listen().await;
                }
                next_sweep = now + ttl;
            }
            let idle = now + TimeDelta::from_std(self.max_idle).unwrap_or(TimeDelta::minutes(1));
            let wake = report
                .next_wake
                .unwrap_or(idle)
                .min(idle)
                .min(next_sweep)
                .max(now + TimeDelta::seconds(1));
            tracing::debug!(?report, %wake, "Pass done");
            tokio::select! {
                () = self.ctx.shutdown.cancelled() => break,
                () = self.ctx.clock.sleep_until(wake) => {}
                change = next_change(&mut listener) => match change {
                    Ok(table) => {
                        tracing::debug!(%table, "Woken by a change");
                        self.nothing_ready_until.lock().unwrap_or_else(PoisonError::into_inner).clear();
                    }
                    Err(error) => {
                        tracing::warn!(%error, "Lost the change notifications; polling until they return");
                        listener = None;
                    }
                },
            }
        }
        tracing::info!("Marketer stopped");
        Ok(())
    }

    /// Listens for changes (campaigns, variants, memberships, accounts, groups), or
    /// polls only (until the next attempt) when the database refuses.
    async fn listen(&self) -> Option<ChangeListener> {
        match self.ctx.store.listen_changes().await {
            Ok(listener) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, "Cannot listen for changes; polling until the next attempt");
                None
            }
        }
    }

    /// Turns pending posts whose account's lease lapsed at least one lease TTL ago into
    /// `unknown` (a crash between claim and completion). Returns how many.
    pub async fn recover(&self) -> Result<usize, StoreError> {
        let ttl = Duration::from_secs(self.ctx.settings.leases.ttl_secs);
        let swept = self.ctx.store.sweep_stale_pending(self.now(), ttl).await?;
        for (post, account) in &swept {
            tracing::warn!(post_id = %post, %account,
                "Post {post} of {account} was left pending by a crash: outcome unknown, not resent this round");
            count_post(PostState::Unknown);
        }
        Ok(swept.len())
    }

    /// One pass over the accounts: each that may post runs one unit, concurrently.
    /// Every account's targets are read afresh.
    pub async fn pass(&self) -> Result<PassReport, StoreError> {
        self.pass_remembering(false).await
    }

    /// A pass of the service loop: with `remember`, an account whose targets had
    /// nothing ready is not read again before its wake-up time, a change
    /// notification or the idle bound.
    async fn pass_remembering(&self, remember: bool) -> Result<PassReport, StoreError> {
        match self.read_relays().await {
            Ok(read) if read != RelayReport::default() => {
                tracing::debug!(?read, "Relay sources read")
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "Reading relay sources failed"),
        }
        let now = self.now();
        let active = self.ctx.store.active_campaigns(now).await?;
        let usable = self.media.usable(&active).await;
        let campaigns = plan::Campaigns::new(active, &usable);
        let mut report = PassReport::default();
        report.wake_at(self.ctx.store.next_relay_poll().await?);
        if campaigns.is_empty() {
            return Ok(report);
        }
        let accounts = self.ctx.store.posting_accounts(now).await?;
        let units: Vec<_> = accounts
            .iter()
            .map(|account| self.work_account(account, &campaigns, &usable, remember))
            .collect();
        let steps: Vec<Result<Step, StoreError>> = futures_util::stream::iter(units)
            .buffer_unordered(self.ctx.units.limit())
            .collect()
            .await;
        for step in steps {
            match step? {
                Step::Wait(at) => report.wake_at(at),
                Step::Busy => {
                    report.busy += 1;
                    report.wake_at(Some(self.now() + BUSY_RETRY));
                }
                Step::Worked(outcomes) => {
                    report.units += 1;
                    for outcome in outcomes {
                        report.add(outcome);
                    }
                    report.wake_at(Some(self.now()));
                }
            }
        }
        Ok(report)
    }

    async fn work_account(
        &self,
        account: &PostingAccount,
        campaigns: &plan::Campaigns,
        usable: &HashSet<tgfleet_domain::VariantId>,
        remember: bool,
    ) -> Result<Step, StoreError> {
        let now = self.now();
        if let Some(retry) = self.connect_retry_at(account.id).filter(|at| *at > now) {
            return Ok(Step::Wait(Some(retry)));
        }
        let zone = plan::zone_of(account, self.default_zone);
        match plan::account_ready(account, zone, &self.rules, now) {
            Verdict::Ready(()) => {}
            verdict => return Ok(Step::Wait(verdict.wake_at(now))),
        }
        if remember && let Some(until) = self.nothing_ready(account.id).filter(|until| *until > now)
        {
            return Ok(Step::Wait(Some(until)));
        }
        let since = now - campaigns.longest_interval();
        let (targets, content) = self
            .ctx
            .store
            .posting_targets(account.id, now, since)
            .await?;
        let (candidates, wake) = plan::candidates(targets, &content, campaigns, &self.rules, now);
        if candidates.is_empty() {
            if !remember {
                return Ok(Step::Wait(wake));
            }
            // A join or a review may open a target without a notification: look
            // again within the idle bound at the latest.
            let idle = now + TimeDelta::from_std(self.max_idle).unwrap_or(TimeDelta::minutes(1));
            let until = wake.map_or(idle, |wake| wake.min(idle));
            self.nothing_ready_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(account.id, until);
            return Ok(Step::Wait(Some(until)));
        }
        let account_ref = AccountRef {
            id: account.id,
            label: account.label.clone(),
        };
        let worked = self
            .ctx
            .runner()
            .with_account(&account_ref, async |session| {
                self.post_unit(session, account, candidates, usable).await
            })
            .await;
        match worked {
            Ok(Leased::Busy) => Ok(Step::Busy),
            Ok(Leased::Done(Ok(report))) => Ok(Step::Worked(report.outcomes)),
            Ok(Leased::Done(Err(error))) | Err(WorkError::Store(error)) => {
                tracing::error!(account = %account.label, %error, "Posting unit failed");
                Ok(Step::Worked(Vec::new()))
            }
            Err(WorkError::Connect(error)) => {
                self.connect_failed(account, &error).await?;
                Ok(Step::Wait(self.connect_retry_at(account.id)))
            }
            // Logged in the unit's span; the account is tried again next pass.
            Err(WorkError::Panicked(_)) => Ok(Step::Worked(Vec::new())),
        }
    }

    /// A connection that failed: a lost session or a deactivated account stops the
    /// account (status), anything else waits a minute (or the FloodWait).
    async fn connect_failed(
        &self,
        account: &PostingAccount,
        error: &TgError,
    ) -> Result<(), StoreError> {
        let reference = AccountRef {
            id: account.id,
            label: account.label.clone(),
        };
        if self
            .ctx
            .stop_lost_account(&reference, error)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let wait = error
            .wait()
            .and_then(|wait| TimeDelta::from_std(wait).ok())
            .unwrap_or(CONNECT_RETRY)
            .max(CONNECT_RETRY);
        let retry = self.now() + wait;
        tracing::warn!(account = %account.label, %error, "Connecting {} failed ({error}); retrying from {retry}", account.label);
        self.connect_retry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(account.id, retry);
        Ok(())
    }

    fn nothing_ready(&self, account: AccountId) -> Option<DateTime<Utc>> {
        self.nothing_ready_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&account)
            .copied()
    }

    fn connect_retry_at(&self, account: AccountId) -> Option<DateTime<Utc>> {
        self.connect_retry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&account)
            .copied()
    }
}

/// What a pass did with one account.
enum Step {
    /// Nothing to do before this time (`None`: nothing planned).
    Wait(Option<DateTime<Utc>>),
    /// Another replica holds the account.
    Busy,
    /// A unit ran.
    Worked(Vec<PostOutcome>),
}

/// The next change notification (the changed table), or never when not listening.
async fn next_change(listener: &mut Option<ChangeListener>) -> Result<String, StoreError> {
    match listener {
        Some(active) => active.recv().await,
        None => std::future::pending().await,
    }
}

/// Counts a post outcome in `tgfleet_posts_total{outcome}`.
pub(crate) fn count_post(state: PostState) {
    metrics::counter!("tgfleet_posts_total", "outcome" => state.as_str()).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    #[allow(
        dead_code,
        clippy::diverging_sub_expression,
        unreachable_code,
        reason = "compiled, never run: it proves the service future is Send"
    )]
    fn the_service_future_is_send(ctx: ServiceContext) {
        assert_send(run(ctx));
    }
}
