//! One posting unit under an account's lease: abandon what a crash left pending,
//! claim a post on fresh counts, pre-check the account's rights, send, complete.

use crate::content;
use crate::convert::{peer_ref, stored_peer};
use crate::plan::{self, Candidate};
use crate::relay::RelayMessage;
use crate::{Marketer, PostOutcome};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use tgfleet_domain::campaign::has_link;
use tgfleet_domain::post_outcome::{Consequence, ContentNeeds, GroupMark, Precheck, precheck};
use tgfleet_domain::relay::{etiquette_skip, noforwards_skip};
use tgfleet_domain::{Clock as _, PostState, VariantId};
use tgfleet_runtime::AccountSession;
use tgfleet_store::{
    Campaign, Claim, ClaimedPost, Lease, NewEvent, PostCompletion, PostingAccount, StoreError,
    Variant,
};
use tgfleet_telegram::{OutgoingMessage, PeerRef, Resolved, TelegramAccount, TgError, TgResult};
use tracing::Instrument as _;

/// At most this many candidates are tried in one unit (pre-check failures move on).
const CANDIDATES_PER_UNIT: usize = 5;

/// What one unit did.
#[derive(Debug, Default)]
pub(crate) struct UnitReport {
    pub(crate) outcomes: Vec<PostOutcome>,
}

/// The claimed post with the rows its claim was decided on.
struct Attempt<'a> {
    account: &'a PostingAccount,
    candidate: &'a Candidate,
    post: ClaimedPost,
    campaign: Campaign,
    variant: Variant,
    strikes: u32,
    /// The group's peer was resolved for this attempt (not read from the store): a
    /// stale peer now means the membership is gone (re-resolved once, never again).
    fresh_peer: std::sync::atomic::AtomicBool,
}

/// What the attempt leaves for the rest of the unit.
enum Next {
    /// Try the next candidate (nothing was sent, the account is not held).
    Continue,
    /// End the unit (sent, or the account must wait).
    Stop,
}

impl Marketer {
    /// Runs one unit for `account` (the caller holds its lease through `session`).
    pub(crate) async fn post_unit(
        &self,
        session: AccountSession<'_>,
        account: &PostingAccount,
        candidates: Vec<Candidate>,
        usable: &HashSet<VariantId>,
    ) -> Result<UnitReport, StoreError> {
        let mut report = UnitReport::default();
        let lease = session.lease;
        let abandoned = self
            .ctx
            .store
            .abandon_pending_of(lease, self.ctx.clock.now())
            .await?;
        for post in abandoned {
            tracing::warn!(post_id = %post,
                "Post {post} of {} was left pending by a crash: outcome unknown, not resent this round",
                account.label);
            report.outcomes.push(PostOutcome::Unknown);
            crate::count_post(PostState::Unknown);
        }
        for candidate in candidates.iter().take(CANDIDATES_PER_UNIT) {
            let now = self.ctx.clock.now();
            let mut fresh = None;
            let claim = self
                .ctx
                .store
                .claim_post(
                    lease,
                    candidate.target.campaign_id,
                    candidate.target.group_id,
                    now,
                    |snapshot| {
                        let decided =
                            plan::decide(snapshot, self.default_zone, usable, &self.rules, now)?;
                        let (campaign, variants) = snapshot.campaign.as_ref()?;
                        let variant = variants.iter().find(|v| v.id == decided.variant)?;
                        let strikes = snapshot.account.as_ref()?.post_strikes;
                        fresh = Some((
                            campaign.clone(),
                            variant.clone(),
                            u32::try_from(strikes).unwrap_or(0),
                        ));
                        Some(decided)
                    },
                )
                .await?;
            let (Claim::Claimed(post), Some((campaign, variant, strikes))) = (claim, fresh) else {
                continue;
            };
            let attempt = Attempt {
                account,
                candidate,
                post,
                campaign,
                variant,
                strikes,
                fresh_peer: std::sync::atomic::AtomicBool::new(false),
            };
            let span = tracing::info_span!(
                "post",
                campaign = %attempt.campaign.name,
                group = %candidate.target.handle,
                post_id = %attempt.post.id,
            );
            let (outcome, next) = self
                .attempt(session.telegram, lease, &attempt)
                .instrument(span)
                .await?;
            report.outcomes.push(outcome);
            if matches!(next, Next::Stop) {
                break;
            }
        }
        Ok(report)
    }

    /// Resolves, pre-checks and sends one claimed post, then completes it.
    async fn attempt(
        &self,
        telegram: &dyn TelegramAccount,
        lease: &Lease,
        attempt: &Attempt<'_>,
    ) -> Result<(PostOutcome, Next), StoreError> {
        let target = &attempt.candidate.target;
        let account = attempt.account;
        let peer = match target.peer.as_ref().and_then(peer_ref) {
            Some(peer) => peer,
            None => match self.resolve_group(telegram, attempt).await? {
                Ok(Some(peer)) => {
                    attempt
                        .fresh_peer
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    peer
                }
                Ok(None) => {
                    let consequence = Consequence::skipped(Precheck::NotMember, self.now());
                    return self.finish(lease, attempt, consequence, None, None).await;
                }
                Err(failure) => return self.fail(lease, attempt, &failure).await,
            },
        };
        let variant = &attempt.variant;
        let media = if variant.kind.has_media() {
            match self.media.load(variant).await {
                Some(bytes) => Some(bytes),
                None => {
                    let failure = TgError::unexpected("MEDIA_UNAVAILABLE");
                    return self.fail(lease, attempt, &failure).await;
                }
            }
        } else {
            None
        };
        let source = if crate::relay::needs_source_peer(&attempt.campaign, variant) {
            match self.source_peer(telegram, account, variant).await? {
                Ok(peer) => Some(peer),
                Err(failure) => return self.fail(lease, attempt, &failure).await,
            }
        } else {
            None
        };
        let mut fallback = false;
        let mut forward_all = None;
        let message = match crate::relay::relay_message(&attempt.campaign, variant, source) {
            RelayMessage::NotRelayed => content::outgoing(variant, media, source),
            RelayMessage::ForwardAll { from, ids } => {
                let first = ids.first().copied().unwrap_or_default();
                forward_all = Some((from, ids));
                Some(OutgoingMessage::Forward {
                    from,
                    message_id: first,
                    drop_author: false,
                })
            }
            RelayMessage::Send {
                message,
                fallback: copied,
            } => {
                fallback = copied;
                Some(message)
            }
            RelayMessage::Refused => {
                let consequence = noforwards_skip(self.now());
                return self.finish(lease, attempt, consequence, None, None).await;
            }
        };
        let Some(mut message) = message else {
            let failure = TgError::unexpected("VARIANT_INCOMPLETE");
            return self.fail(lease, attempt, &failure).await;
        };

        let rights = self.bounded(telegram.rights(&peer)).await;
        self.ctx
            .record_call(Some(account.id), Some(target.group_id), "precheck", &rights)
            .await?;
        let rights = match rights {
            Ok(rights) => rights,
            Err(error) => return self.fail(lease, attempt, &error).await,
        };
        let needs = ContentNeeds {
            kinds: crate::relay::needs(variant),
            links: has_link(&variant.body),
        };
        let now = self.now();
        let verdict = precheck(&rights.write_rights(), needs, now);
        if !verdict.is_clear() {
            let consequence = Consequence::skipped(verdict, now);
            return self
                .finish(
                    lease,
                    attempt,
                    consequence,
                    Some(verdict),
                    rights.slow_mode_secs,
                )
                .await;
        }

        if self
            .crowded_by_fleet(telegram, account.id, target.group_id, &peer)
            .await?
        {
            let consequence = etiquette_skip(now, self.etiquette_recheck());
            return self
                .finish(lease, attempt, consequence, None, rights.slow_mode_secs)
                .await;
        }
        if fallback && let Some(post) = &variant.relay {
            let source = variant
                .source
                .as_ref()
                .map(|source| source.channel.to_string())
                .unwrap_or_default();
            let event = crate::relay::fallback_event(
                self,
                account.id,
                target.group_id,
                &source,
                post.source_message_id,
            );
            self.ctx.store.record_event(&event).await?;
            tracing::info!(group = %target.handle, %source, post = post.source_message_id,
                "{source} forbids forwards: post {} goes to {} as a copy (fallback allowed)",
                post.source_message_id, target.handle);
        }
        if verdict == Precheck::ClearWithoutPreview {
            tracing::info!(group = %target.handle, account = %account.label,
                "No link previews in {} for {}: sent without its preview", target.handle, account.label);
            message = message.without_link_preview();
        }
        let sent = match &forward_all {
            // One call for the album's messages, one random id each (derived from the
            // post's, so a repeat posts nothing new).
            Some((from, ids)) => {
                let random_ids: Vec<i64> = (0i64..)
                    .take(ids.len())
                    .map(|index| attempt.post.random_id.wrapping_add(index))
                    .collect();
                self.bounded_send(async {
                    let sent = telegram.forward(from, ids, &peer, &random_ids).await?;
                    sent.into_iter()
                        .next()
                        .ok_or_else(|| TgError::unexpected("the forward answered no message"))
                })
                .await
            }
            None => {
                self.bounded_send(telegram.send(&peer, &message, attempt.post.random_id))
                    .await
            }
        };
        let now = self.now();
        let consequence = match &sent {
            Ok(_) => Consequence::sent(rights.slow_mode_secs, now),
            Err(error) => self.failed_consequence(error, attempt, now),
        };
        let event = self
            .ctx
            .call_event(Some(account.id), Some(target.group_id), "post", &sent);
        let message_id = sent.as_ref().ok().map(|sent| sent.message_id);
        self.complete(
            lease,
            attempt,
            &consequence,
            message_id,
            rights.slow_mode_secs,
            &event,
        )
        .await?;
        let reported = self.report(attempt, &consequence, None, message_id);
        crate::relay::log_relayed(
            &attempt.campaign,
            variant,
            &target.handle,
            &account.label,
            reported.0,
        );
        Ok(reported)
    }

    /// Resolves the group's handle for this account once and stores the peer; `None`
    /// when the account turns out not to be a member (an invite preview).
    async fn resolve_group(
        &self,
        telegram: &dyn TelegramAccount,
        attempt: &Attempt<'_>,
    ) -> Result<Result<Option<PeerRef>, TgError>, StoreError> {
        let target = &attempt.candidate.target;
        let resolved = self.bounded(telegram.resolve(&target.handle)).await;
        self.ctx
            .record_call(
                Some(attempt.account.id),
                Some(target.group_id),
                "resolve",
                &resolved,
            )
            .await?;
        Ok(match resolved {
            Ok(Resolved::Chat(chat)) => {
                self.ctx
                    .store
                    .save_membership_peer(
                        attempt.account.id,
                        target.group_id,
                        &stored_peer(&chat.peer),
                    )
                    .await?;
                Ok(Some(chat.peer))
            }
            Ok(Resolved::Invite(_)) => Ok(None),
            Err(error) => Err(error),
        })
    }

    /// The account's peer of a forward / copy variant's source channel: stored, or
    /// resolved once and stored. Errors about the source never mark the target group.
    async fn source_peer(
        &self,
        telegram: &dyn TelegramAccount,
        account: &PostingAccount,
        variant: &Variant,
    ) -> Result<Result<PeerRef, TgError>, StoreError> {
        let Some(source) = &variant.source else {
            return Ok(Err(TgError::unexpected("VARIANT_INCOMPLETE")));
        };
        self.source_peer_of(telegram, account.id, &source.channel)
            .await
    }

    /// Completes the post as failed before anything was sent.
    async fn fail(
        &self,
        lease: &Lease,
        attempt: &Attempt<'_>,
        failure: &TgError,
    ) -> Result<(PostOutcome, Next), StoreError> {
        let consequence = self.failed_consequence(failure, attempt, self.now());
        self.finish(lease, attempt, consequence, None, None).await
    }

    async fn finish(
        &self,
        lease: &Lease,
        attempt: &Attempt<'_>,
        consequence: Consequence,
        verdict: Option<Precheck>,
        slow_mode_secs: Option<u32>,
    ) -> Result<(PostOutcome, Next), StoreError> {
        let event = NewEvent {
            at: self.now(),
            service: self.ctx.service.name().to_owned(),
            account_id: Some(attempt.account.id),
            group_id: Some(attempt.candidate.target.group_id),
            action: "post".to_owned(),
            outcome: match consequence.state {
                PostState::Skipped => "precheck_failed",
                _ => "not_sent",
            }
            .to_owned(),
            flood_wait_secs: None,
            detail: consequence.error_code.clone(),
        };
        self.complete(lease, attempt, &consequence, None, slow_mode_secs, &event)
            .await?;
        Ok(self.report(attempt, &consequence, verdict, None))
    }

    fn failed_consequence(
        &self,
        failure: &TgError,
        attempt: &Attempt<'_>,
        now: DateTime<Utc>,
    ) -> Consequence {
        let consequence = self.failure_consequence(failure, attempt.strikes, now);
        if attempt
            .fresh_peer
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            consequence.after_fresh_resolve()
        } else {
            consequence
        }
    }

    /// What `failure` means for a send by an account with `strikes` post strikes.
    pub(crate) fn failure_consequence(
        &self,
        failure: &TgError,
        strikes: u32,
        now: DateTime<Utc>,
    ) -> Consequence {
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Consequence::failed(failure, strikes, &self.strikes, now, &mut *rng)
    }

    async fn complete(
        &self,
        lease: &Lease,
        attempt: &Attempt<'_>,
        consequence: &Consequence,
        telegram_message_id: Option<i32>,
        slow_mode_secs: Option<u32>,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        self.ctx
            .store
            .complete_post(
                lease,
                &PostCompletion {
                    post: attempt.post.id,
                    group: attempt.candidate.target.group_id,
                    consequence,
                    telegram_message_id,
                    slow_mode_secs,
                    event,
                },
                self.now(),
            )
            .await?;
        self.ctx.count(event);
        crate::count_post(consequence.state);
        Ok(())
    }

    /// Logs the attempt's outcome with the seed's greppable words and says whether the
    /// unit may go on to another candidate.
    fn report(
        &self,
        attempt: &Attempt<'_>,
        consequence: &Consequence,
        verdict: Option<Precheck>,
        message_id: Option<i32>,
    ) -> (PostOutcome, Next) {
        let group = &attempt.candidate.target.handle;
        let account = &attempt.account.label;
        let campaign = &attempt.campaign.name;
        let code = consequence.error_code.as_deref().unwrap_or_default();
        match consequence.state {
            PostState::Sent => {
                tracing::info!(%group, %account, %campaign, message_id, round = attempt.post.round,
                    "Sent to {group} by {account} (campaign {campaign})");
                return (PostOutcome::Sent, Next::Stop);
            }
            PostState::Skipped => match verdict {
                Some(Precheck::SlowModeUntil(at)) => {
                    tracing::info!(%group, %account, %campaign,
                        "Slow mode in {group}: {account} may post there from {at}");
                }
                Some(Precheck::RestrictedUntil(until)) => {
                    tracing::warn!(%group, %account, %campaign, reason = code,
                        "Pre-check failed in {group} for {account} ({code}): restricted until {until}, retried then");
                }
                Some(Precheck::RefusesContent(kind)) => {
                    tracing::warn!(%group, %account, %campaign, reason = code, kind = kind.as_str(),
                        "Pre-check failed in {group} for {account} ({code}): the group refuses {}; another variant goes", kind.as_str());
                }
                Some(Precheck::CannotPost(Precheck::TOPIC_CLOSED)) => {
                    tracing::warn!(%group, %account, %campaign, reason = code,
                        "Pre-check failed in {group} for {account} ({code}): the forum's General topic is closed; skipped until a review finds it open");
                }
                _ => {
                    tracing::warn!(%group, %account, %campaign, reason = code,
                        "Pre-check failed in {group} for {account} ({code}): nothing sent");
                }
            },
            PostState::Failed | PostState::Pending | PostState::Unknown => {
                self.report_failure(attempt, consequence);
            }
        }
        let account_held = consequence.ends_unit;
        let outcome = if consequence.state == PostState::Skipped {
            PostOutcome::Skipped
        } else {
            PostOutcome::Failed
        };
        (
            outcome,
            if account_held {
                Next::Stop
            } else {
                Next::Continue
            },
        )
    }

    fn report_failure(&self, attempt: &Attempt<'_>, consequence: &Consequence) {
        let group = &attempt.candidate.target.handle;
        let account = &attempt.account.label;
        let code = consequence.error_code.as_deref().unwrap_or_default();
        if let Some(GroupMark::Banned(_)) = &consequence.group {
            tracing::warn!(%group, %account, reason = code,
                "Write forbidden in {group} for {account} ({code}): the group is off-limits to every account");
        } else if let Some(GroupMark::Inaccessible(_)) = &consequence.group {
            tracing::warn!(%group, %account, reason = code, "Group {group} is inaccessible ({code})");
        } else if let Some(GroupMark::RefusesContent(kind, _)) = &consequence.group {
            tracing::warn!(%group, %account, reason = code, kind = kind.as_str(),
                "Group {group} refuses {} ({code}): its other variants still go", kind.as_str());
        } else if let Some(GroupMark::CannotPost(_)) = &consequence.group {
            tracing::warn!(%group, %account, reason = code,
                "Members cannot post in {group} ({code}): marked cannot-post");
        } else if let Some((status, reason)) = &consequence.account_status {
            tracing::error!(%account, %status, reason = %reason,
                "Account {account} is {status} ({reason}): it stops posting");
        } else if let Some(until) = consequence.post_flood_until {
            tracing::warn!(%account, %group, reason = code,
                "FloodWait posting as {account} ({code}): its posts wait until {until}");
        } else if let Some(at) = consequence.next_send_at {
            tracing::info!(%group, %account, "Slow mode in {group}: {account} may post there from {at}");
        } else {
            tracing::warn!(%group, %account, reason = code, retry_at = ?consequence.retry_at,
                "Post to {group} by {account} failed ({code})");
        }
        if let Some(report) = &consequence.ban_report {
            tracing::warn!(%group, %account, reason = %report.name,
                "Ban answer in {group} for {account} ({}): reported; {} accounts' reports close the group",
                report.name, report.witnesses);
        }
        if let Some(until) = consequence.cooldown_until {
            tracing::warn!(%account, until = %until,
                "Cool-down for {account} until {until}: {} PeerFlood / long FloodWait answers in a row",
                self.strikes.threshold);
        } else if let Some(strikes) = consequence.strikes.filter(|strikes| *strikes > 0) {
            tracing::warn!(%account, strikes,
                "Spam-block strike {strikes} of {} for {account}", self.strikes.threshold);
        }
    }

    /// Bounds a port call by the request timeout (whatever the connector does).
    pub(crate) async fn bounded<T>(&self, call: impl Future<Output = TgResult<T>>) -> TgResult<T> {
        match tokio::time::timeout(self.request_timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(TgError::transient(format!(
                "no answer within {}s",
                self.request_timeout.as_secs()
            ))),
        }
    }

    /// Bounds a send: no answer in time means the request may have gone through, so
    /// the post's outcome is unknown (never a transient retry: at most once).
    pub(crate) async fn bounded_send<T>(
        &self,
        call: impl Future<Output = TgResult<T>>,
    ) -> TgResult<T> {
        match tokio::time::timeout(self.request_timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(TgError::unknown_outcome(format!(
                "send: no answer within {}s",
                self.request_timeout.as_secs()
            ))),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.ctx.clock.now()
    }
}
