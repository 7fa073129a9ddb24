//! One join as one unit of work under the account's lease: read the next planned
//! join, look the group up if its peer is unknown, mark the request as started,
//! join, and store the outcome in one fenced transaction. Pauses and FloodWaits
//! become the account's next-join time; nothing here sleeps.

use crate::answer::{chat_facts, outcome_word, peer_ref};
use crate::manager::Manager;
use crate::text;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tgfleet_domain::join_policy::{
    AccountEffect, FloodWaitClass, JoinAnswer, JoinDecision, MembershipEffect, decide_join,
};
use tgfleet_domain::{CannotPost, Clock as _, GroupHandle, GroupStatus};
use tgfleet_runtime::{AccountSession, Leased, WorkError};
use tgfleet_store::{ChatFacts, JoinRecord, NextJoin, StoreError};
use tgfleet_telegram::{
    About, AccountAnswer, AccountRef, CallAnswer, ChatKind, GroupAnswer, JoinNote, JoinTarget,
    MemberStatus, PeerRef, Resolved, TgError,
};
use tracing::Instrument as _;

/// How one unit ended, for the executor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnitReport {
    /// Nothing was due (another replica did it, or the plan changed).
    NothingDue,
    /// A join (or a look-up or check) ran and its outcome is stored.
    Worked {
        /// The account can no longer join: its pending groups must go to others.
        hands_over: bool,
    },
    /// Another holder has the account's lease.
    Busy,
    /// Connecting or the database failed; try again later.
    Failed,
}

/// Runs the account's next due join, if any, with `pause` as the pause after it.
pub(crate) async fn join_once(
    manager: Arc<Manager>,
    account: AccountRef,
    pause: Duration,
) -> UnitReport {
    let ctx = &manager.ctx;
    match ctx.store.next_join(account.id, ctx.clock.now()).await {
        Ok(Some(_)) => {}
        Ok(None) => return UnitReport::NothingDue,
        Err(error) => {
            tracing::warn!(account = %account.label, %error, "reading the next join failed");
            return UnitReport::Failed;
        }
    }
    let worked = ctx
        .runner()
        .with_account(&account, async |session| {
            let unit = JoinUnit {
                manager: &manager,
                account: &account,
                session,
                pause,
            };
            unit.run().await
        })
        .await;
    match worked {
        Ok(Leased::Done(Ok(report))) => report,
        Ok(Leased::Done(Err(error))) | Err(WorkError::Store(error)) => {
            tracing::warn!(account = %account.label, %error, "a join could not be stored; it is checked, not repeated, on the next try");
            UnitReport::Failed
        }
        Ok(Leased::Busy) => UnitReport::Busy,
        Err(WorkError::Connect(error)) => connect_failed(&manager, &account, error).await,
        // Logged in the unit's span; the join is checked, not repeated, on the next try.
        Err(WorkError::Panicked(_)) => UnitReport::Failed,
    }
}

async fn connect_failed(manager: &Manager, account: &AccountRef, error: TgError) -> UnitReport {
    let ctx = &manager.ctx;
    let result: Result<(), TgError> = Err(error.clone());
    if let Err(store_error) = ctx
        .record_call(Some(account.id), None, "connect", &result)
        .await
    {
        tracing::warn!(account = %account.label, error = %store_error, "recording a failed connect failed");
    }
    if !error.is_account_fatal() {
        tracing::warn!(account = %account.label, %error, "connecting failed; joins resume on the next try");
        return UnitReport::Failed;
    }
    metrics::counter!("tgfleet_joins_total", "outcome" => error.outcome()).increment(1);
    match ctx.stop_lost_account(account, &error).await {
        Ok(_) => UnitReport::Worked { hands_over: true },
        Err(store_error) => {
            tracing::warn!(account = %account.label, error = %store_error, "storing the account status failed");
            UnitReport::Failed
        }
    }
}

/// One Telegram answer about the group, ready to be decided on and stored.
struct Attempt {
    /// `resolve`, `join`, `join_check` or `invite_check`.
    action: &'static str,
    result: Result<(), TgError>,
    /// The membership check found the account a member (no join was sent).
    found_member: bool,
    /// The invite check found a basic group: refused before joining.
    basic_group: bool,
    chat: Option<ChatFacts>,
}

impl Attempt {
    fn failed(action: &'static str, error: TgError) -> Self {
        Self {
            action,
            result: Err(error),
            found_member: false,
            basic_group: false,
            chat: None,
        }
    }

    fn already_member(chat: Option<ChatFacts>) -> Self {
        Self {
            action: "join_check",
            result: Ok(()),
            found_member: true,
            basic_group: false,
            chat,
        }
    }

    /// `messages.checkChatInvite` showed a basic group: no join is sent.
    fn basic_group(chat: Option<ChatFacts>) -> Self {
        Self {
            action: "invite_check",
            result: Ok(()),
            found_member: false,
            basic_group: true,
            chat,
        }
    }

    fn answer(&self) -> JoinAnswer<'_> {
        match &self.result {
            Ok(()) if self.basic_group => JoinAnswer::BasicGroup,
            Ok(()) if self.found_member => JoinAnswer::FoundMember,
            Ok(()) => JoinAnswer::Joined,
            Err(error) => JoinAnswer::Refused(error),
        }
    }

    fn outcome(&self) -> &'static str {
        match self.answer() {
            JoinAnswer::FoundMember => "already_member",
            JoinAnswer::BasicGroup => "basic_group",
            _ => outcome_word(&self.result),
        }
    }
}

/// Where the join's peer comes from.
enum Peer {
    /// Known (stored, or just resolved and stored); `None` for an invite.
    Known(Option<PeerRef>),
    /// The look-up failed.
    Failed(Attempt),
}

struct JoinUnit<'a> {
    manager: &'a Manager,
    account: &'a AccountRef,
    session: AccountSession<'a>,
    pause: Duration,
}

impl JoinUnit<'_> {
    async fn run(&self) -> Result<UnitReport, StoreError> {
        let ctx = &self.manager.ctx;
        let Some(next) = ctx
            .store
            .next_join(self.account.id, ctx.clock.now())
            .await?
        else {
            return Ok(UnitReport::NothingDue);
        };
        let span = tracing::info_span!("join", group = %next.handle, group_id = %next.group);
        self.join(next).instrument(span).await
    }

    /// Joins (or checks) `next` and settles the answer, in its `join` span.
    async fn join(&self, next: NextJoin) -> Result<UnitReport, StoreError> {
        let ctx = &self.manager.ctx;
        let label = &self.account.label;
        if next.in_flight {
            tracing::info!(account = %label, "[{}/{}] {}: a previous run may have sent this join; checking membership instead of joining again", next.seq, next.slot_size, next.handle);
            if let Some(attempt) = self.check_in_flight(&next).await {
                return self.settle(&next, attempt).await;
            }
        } else {
            tracing::info!(account = %label, "[{}/{}] {}", next.seq, next.slot_size, next.handle);
        }
        let peer = match self.peer(&next).await? {
            Peer::Known(peer) => peer,
            Peer::Failed(attempt) => return self.settle(&next, attempt).await,
        };
        let Some(target) = JoinTarget::for_handle(&next.handle, peer) else {
            let error = TgError::unexpected("NO_PEER_FOR_USERNAME");
            return self.settle(&next, Attempt::failed("join", error)).await;
        };
        if !next.in_flight {
            ctx.store
                .mark_join_started(self.session.lease, next.group, ctx.clock.now())
                .await?;
        }
        let attempt = match self.session.telegram.join(&target).await {
            Ok(chat) => Attempt {
                action: "join",
                result: Ok(()),
                found_member: false,
                basic_group: false,
                chat: Some(chat_facts(&chat)),
            },
            Err(error) => Attempt::failed("join", error),
        };
        self.settle(&next, attempt).await
    }

    /// A join request may have gone out before a crash: is the account a member?
    /// `None` when it is not (the join is then sent).
    async fn check_in_flight(&self, next: &NextJoin) -> Option<Attempt> {
        let telegram = self.session.telegram;
        if let Some(peer) = next.peer.as_ref().and_then(peer_ref) {
            return match telegram.rights(&peer).await {
                Ok(rights) => match rights.status {
                    MemberStatus::Member | MemberStatus::Admin => {
                        Some(Attempt::already_member(None))
                    }
                    MemberStatus::Banned => Some(Attempt::failed(
                        "join_check",
                        TgError::new(
                            About::Group(GroupAnswer::BannedUs),
                            "found banned when checking the join",
                        ),
                    )),
                    MemberStatus::Left => None,
                },
                Err(error) => Some(Attempt::failed("join_check", error)),
            };
        }
        match &next.handle {
            // A username's peer is stored before its join is sent: no peer, no request.
            GroupHandle::Username(_) => None,
            GroupHandle::Invite(_) => match telegram.resolve(&next.handle).await {
                Ok(Resolved::Chat(chat)) => Some(Attempt::already_member(Some(chat_facts(&chat)))),
                Ok(Resolved::Invite(_)) => None,
                Err(error) => Some(Attempt::failed("join_check", error)),
            },
        }
    }

    /// The peer to join: stored, or resolved once and stored (invariant 6). An invite
    /// is checked first (`messages.checkChatInvite`): one that leads to a legacy basic
    /// group is refused before joining ([`JoinAnswer::BasicGroup`]).
    async fn peer(&self, next: &NextJoin) -> Result<Peer, StoreError> {
        if let Some(peer) = next.peer.as_ref().and_then(peer_ref) {
            return Ok(Peer::Known(Some(peer)));
        }
        if let GroupHandle::Invite(_) = next.handle {
            return Ok(self.check_invite(next).await);
        }
        let ctx = &self.manager.ctx;
        match self.session.telegram.resolve(&next.handle).await {
            Ok(Resolved::Chat(chat)) => {
                let facts = chat_facts(&chat);
                let ok: Result<(), TgError> = Ok(());
                let event = ctx.call_event(Some(self.account.id), Some(next.group), "resolve", &ok);
                ctx.store
                    .record_resolved(
                        self.session.lease,
                        next.group,
                        &facts,
                        &event,
                        ctx.clock.now(),
                    )
                    .await?;
                ctx.count(&event);
                Ok(Peer::Known(Some(chat.peer)))
            }
            Ok(Resolved::Invite(_)) => Ok(Peer::Failed(Attempt::failed(
                "resolve",
                TgError::unexpected("USERNAME_RESOLVED_TO_INVITE"),
            ))),
            Err(error) => Ok(Peer::Failed(Attempt::failed("resolve", error))),
        }
    }

    /// What the invite shows before `messages.importChatInvite`: a basic group (the
    /// `chatInvite` without its `channel` flag, or the basic `chat` itself) is refused;
    /// an error (expired, invalid, a FloodWait) is the join's answer; anything else
    /// goes on to the join.
    async fn check_invite(&self, next: &NextJoin) -> Peer {
        match self.session.telegram.resolve(&next.handle).await {
            Ok(Resolved::Invite(preview)) if preview.basic_group => {
                Peer::Failed(Attempt::basic_group(None))
            }
            Ok(Resolved::Chat(chat)) if chat.kind == ChatKind::BasicGroup => {
                Peer::Failed(Attempt::basic_group(Some(chat_facts(&chat))))
            }
            Ok(Resolved::Invite(_) | Resolved::Chat(_)) => Peer::Known(None),
            Err(error) => Peer::Failed(Attempt::failed("invite_check", error)),
        }
    }

    /// Decides on an answer and stores it with its event, fenced by the lease.
    async fn settle(&self, next: &NextJoin, attempt: Attempt) -> Result<UnitReport, StoreError> {
        let ctx = &self.manager.ctx;
        let now = ctx.clock.now();
        let decision = decide_join(
            attempt.answer(),
            next.history,
            &self.manager.rules,
            now,
            self.pause,
        );
        let mut event = ctx.call_event(
            Some(self.account.id),
            Some(next.group),
            attempt.action,
            &attempt.result,
        );
        attempt.outcome().clone_into(&mut event.outcome);
        let error = match &attempt.result {
            Err(error) => Some(error.to_string()),
            Ok(()) => decision.unsupported.map(|why| why.as_str().to_owned()),
        };
        let record = JoinRecord {
            group: next.group,
            decision: &decision,
            chat: attempt.chat.as_ref(),
            error: error.as_deref(),
        };
        ctx.store
            .record_join(self.session.lease, &record, &event, now)
            .await?;
        ctx.count(&event);
        metrics::counter!("tgfleet_joins_total", "outcome" => attempt.outcome()).increment(1);
        self.log_outcome(next, &attempt, &decision, now);
        if let Some(pause_end) = self.pause_end(&attempt, &decision) {
            if ctx
                .store
                .next_join(self.account.id, pause_end)
                .await?
                .is_some()
            {
                tracing::info!(account = %self.account.label, "Sleeping {} before next join", text::duration(self.pause));
            } else {
                tracing::info!(account = %self.account.label, "No more joins planned in this slot");
            }
        }
        Ok(UnitReport::Worked {
            hands_over: decision.hands_over(),
        })
    }

    /// When the regular pause (not a FloodWait or a retry back-off) ends.
    fn pause_end(&self, attempt: &Attempt, decision: &JoinDecision) -> Option<DateTime<Utc>> {
        let waited = attempt.result.as_ref().err().and_then(TgError::wait);
        match (waited, decision.membership, decision.account) {
            (Some(_), _, _) | (_, MembershipEffect::RetryInSlot, _) => None,
            (_, _, AccountEffect::NextJoinAt(at)) => Some(at),
            _ => None,
        }
    }

    fn log_outcome(
        &self,
        next: &NextJoin,
        attempt: &Attempt,
        decision: &JoinDecision,
        now: DateTime<Utc>,
    ) {
        let account = &self.account.label;
        let group = &next.handle;
        let action = attempt.action;
        let error = attempt.result.as_ref().err();
        let zone = self.manager.ctx.settings.schedule.time_zone;
        let rules = &self.manager.rules;
        let Some(error) = error else {
            match attempt.answer() {
                JoinAnswer::FoundMember => {
                    tracing::info!(account = %account, "Already a member of {group}: marked joined")
                }
                JoinAnswer::BasicGroup => {
                    let why = decision
                        .unsupported
                        .map(CannotPost::as_str)
                        .unwrap_or_default();
                    tracing::warn!(account = %account, "Not joining {group}: its invite leads to a {why}; no account joins it")
                }
                _ => tracing::info!(account = %account, "Successfully joined {group}"),
            }
            return;
        };
        match error.about {
            About::Join(JoinNote::AlreadyMember) => {
                tracing::info!(account = %account, "Already a member of {group}: marked joined")
            }
            About::Join(JoinNote::RequestSent) => {
                tracing::info!(account = %account, "Join request sent to {group}; an admin must approve it")
            }
            _ if decision.group == Some(GroupStatus::Inaccessible) => {
                tracing::warn!(account = %account, "{group} is inaccessible ({error}): marked inaccessible, moving on")
            }
            _ if decision.group == Some(GroupStatus::Banned) => {
                tracing::warn!(account = %account, "Banned in {group} ({error}): the group is off-limits to every account")
            }
            About::Account(AccountAnswer::TooManyChannels)
                if matches!(decision.account, AccountEffect::JoinFloodUntil(_)) =>
            {
                tracing::warn!(account = %account, "CHANNELS_TOO_MUCH on {group} below the cap of {}: Telegram's anti-abuse hold; no joins until {}", rules.channels_cap, text::local(until(decision, now), zone))
            }
            About::Account(AccountAnswer::TooManyChannels) => {
                tracing::error!(account = %account, "CHANNELS_TOO_MUCH on {group}: this account stops joining; its pending groups go to other accounts")
            }
            _ if error.is_account_fatal() => {
                tracing::error!(account = %account, "Account lost on {group} ({error}): its joins stop; its pending groups go to other accounts")
            }
            About::Call(CallAnswer::Wait(_, secs)) => {
                match rules.classify_flood_wait(Duration::from_secs(u64::from(secs))) {
                    FloodWaitClass::Short => {
                        tracing::warn!(account = %account, "FloodWait {secs}s on {action}, waiting; {group} stays pending for a later slot")
                    }
                    FloodWaitClass::Long => {
                        tracing::warn!(account = %account, "FloodWait {secs}s on {action}: not waiting; no joins until {}", text::local(until(decision, now), zone))
                    }
                    FloodWaitClass::Rest => {
                        tracing::error!(account = %account, "CRITICAL: FloodWait {secs}s on {action}: the account rests until {}", text::local(until(decision, now), zone))
                    }
                }
            }
            About::Account(AccountAnswer::SpamLimited) => {
                tracing::warn!(account = %account, "PeerFlood on {group} ({error}): the account is spam-limited; its slot ends here")
            }
            About::Call(CallAnswer::Transient | CallAnswer::UnknownOutcome) => {
                match decision.membership {
                    MembershipEffect::RetryInSlot => {
                        tracing::warn!(account = %account, "Transient error on {group} ({error}); retry {}/{} in {}", next.history.transient_failures + 1, rules.transient_retries, text::duration(tgfleet_domain::join_policy::TRANSIENT_BACKOFF))
                    }
                    _ => {
                        tracing::warn!(account = %account, "Transient error on {group} ({error}); retries used up, left pending for a later slot")
                    }
                }
            }
            _ => {
                tracing::warn!(account = %account, "Joining {group} failed ({error}): attempt recorded, moving on to the next group")
            }
        }
    }
}

fn until(decision: &JoinDecision, now: DateTime<Utc>) -> DateTime<Utc> {
    match decision.account {
        AccountEffect::NextJoinAt(at)
        | AccountEffect::JoinFloodUntil(at)
        | AccountEffect::RestUntil(at) => at,
        _ => now,
    }
}
