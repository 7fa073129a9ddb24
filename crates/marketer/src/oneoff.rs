//! One-off sends (`POST /api/v1/messages`) and connectivity checks of one account
//! (`POST /api/v1/accounts/{label}/check`), carried out under the account's lease.
//!
//! The console only writes request rows; [`Marketer::oneoff_pass`] takes them up.
//! A send follows a campaign post's rules: the account's windows, caps and gaps, the
//! group's chat gap, slow mode and in-flight rule, decided again on fresh rows when
//! it is claimed; the same pre-check of the account's rights; recorded `pending`
//! before it is sent with a `random_id` derived from the request's idempotency key;
//! a send without an answer is `unknown`, never retried. A check is one `whoami`
//! over the account's one connection; an account that may not connect (suspended,
//! unauthorized, out of service) is answered without connecting.

use crate::convert::{peer_ref, stored_peer, text_format};
use crate::plan::{account_ready, zone_of};
use crate::{Marketer, PassReport, PostOutcome};
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use tgfleet_domain::campaign::{Content, has_link};
use tgfleet_domain::post_outcome::{Consequence, ContentNeeds, Precheck, precheck};
use tgfleet_domain::posting::{MessageSnapshot, Verdict, message_verdict};
use tgfleet_domain::{AccountId, GroupStatus, MembershipState, PostState, VariantContent};
use tgfleet_runtime::{AccountSession, Leased, WorkError};
use tgfleet_store::{
    DueMessage, Lease, MessageClaim, MessageDecision, NewEvent, PostCompletion, PostingAccount,
    StoreError,
};
use tgfleet_telegram::{
    AccountRef, MediaKind, OutgoingMessage, Resolved, TelegramAccount, TgError,
};

/// At most this many one-off sends are tried in one unit.
const MESSAGES_PER_UNIT: usize = 5;

/// One account's one-off work.
#[derive(Debug, Default)]
struct Work {
    messages: Vec<DueMessage>,
    check: bool,
}

impl Marketer {
    /// One pass over the open one-off sends and connectivity checks: every account
    /// with a send ready by its rules, or a check asked for, runs one unit under its
    /// lease (concurrently, within the unit budget). Run it apart from
    /// [`Marketer::pass`], never alongside: a process holds one connection per account.
    pub async fn oneoff_pass(&self) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        let due = self.ctx.store.due_messages().await?;
        let checks = self.ctx.store.open_account_checks().await?;
        if due.is_empty() && checks.is_empty() {
            return Ok(report);
        }
        let now = self.now();
        let accounts: HashMap<AccountId, PostingAccount> = self
            .ctx
            .store
            .posting_accounts(now)
            .await?
            .into_iter()
            .map(|account| (account.id, account))
            .collect();
        let mut work: BTreeMap<AccountId, Work> = BTreeMap::new();
        for check in checks {
            if accounts.contains_key(&check.account_id) {
                work.entry(check.account_id).or_default().check = true;
            } else {
                self.refuse_check(check.account_id).await?;
            }
        }
        for message in due {
            // An account that may not post now keeps its sends waiting.
            let Some(account) = accounts.get(&message.request.account_id) else {
                continue;
            };
            match self.message_decision(Some(account), Some(&message), now) {
                (MessageDecision::Wait, wake) => report.wake_at(wake),
                _ => work.entry(account.id).or_default().messages.push(message),
            }
        }
        let units: Vec<_> = work
            .into_iter()
            .filter_map(|(id, work)| Some((accounts.get(&id)?, work)))
            .map(|(account, work)| self.oneoff_account(account, work))
            .collect();
        let steps: Vec<Result<Option<Vec<PostOutcome>>, StoreError>> =
            futures_util::stream::iter(units)
                .buffer_unordered(self.ctx.units.limit())
                .collect()
                .await;
        for step in steps {
            match step? {
                Some(outcomes) => {
                    report.units += 1;
                    for outcome in outcomes {
                        report.add(outcome);
                    }
                    report.wake_at(Some(self.now()));
                }
                None => {
                    report.busy += 1;
                    report.wake_at(Some(self.now() + crate::BUSY_RETRY));
                }
            }
        }
        Ok(report)
    }

    /// Answers an account's checks without connecting: its status forbids a connection.
    async fn refuse_check(&self, account: AccountId) -> Result<(), StoreError> {
        let status = self
            .ctx
            .store
            .account_by_id(account)
            .await?
            .map_or_else(|| "gone".to_owned(), |account| account.status.to_string());
        let reason = format!(
            "not checked: the account is {status}, and only an active or resting account is connected"
        );
        self.ctx
            .store
            .refuse_account_checks(account, &self.ctx.holder, &reason, self.now())
            .await?;
        Ok(())
    }

    /// Whether a send may be claimed now (and when to look again if not): the group
    /// must still take it, the account's and the group's rules must allow it.
    fn message_decision(
        &self,
        account: Option<&PostingAccount>,
        due: Option<&DueMessage>,
        now: DateTime<Utc>,
    ) -> (MessageDecision, Option<DateTime<Utc>>) {
        let (Some(account), Some(due)) = (account, due) else {
            return (MessageDecision::Wait, None);
        };
        let chat = &due.chat;
        if chat.group_status != GroupStatus::Active {
            let reason = format!("GROUP_{}", chat.group_status.as_str().to_uppercase());
            return (MessageDecision::Skip(reason), None);
        }
        if !chat.can_post {
            return (MessageDecision::Skip("CANNOT_POST".to_owned()), None);
        }
        if chat.membership != Some(MembershipState::Joined) {
            return (MessageDecision::Skip("NOT_MEMBER".to_owned()), None);
        }
        let zone = zone_of(account, self.default_zone);
        if let verdict @ (Verdict::Wait { .. } | Verdict::Blocked(_)) =
            account_ready(account, zone, &self.rules, now)
        {
            return (MessageDecision::Wait, verdict.wake_at(now));
        }
        let snapshot = MessageSnapshot {
            slow_mode_until: chat.next_send_at,
            chat_last_post: chat.chat_last_post,
            in_flight: chat.in_flight,
            retry_at: due.request.post.as_ref().and_then(|post| post.retry_at),
        };
        match message_verdict(&snapshot, &self.rules, now) {
            Verdict::Ready(()) => (MessageDecision::Claim, Some(now)),
            verdict => (MessageDecision::Wait, verdict.wake_at(now)),
        }
    }

    /// Runs one account's unit; `None` when another process holds the account.
    async fn oneoff_account(
        &self,
        account: &PostingAccount,
        work: Work,
    ) -> Result<Option<Vec<PostOutcome>>, StoreError> {
        let reference = AccountRef {
            id: account.id,
            label: account.label.clone(),
        };
        let worked = self
            .ctx
            .runner()
            .with_account(&reference, async |session| {
                self.oneoff_unit(session, account, &work).await
            })
            .await;
        match worked {
            Ok(Leased::Busy) => Ok(None),
            Ok(Leased::Done(Ok(outcomes))) => Ok(Some(outcomes)),
            Ok(Leased::Done(Err(error))) | Err(WorkError::Store(error)) => {
                tracing::error!(account = %account.label, %error, "One-off unit failed");
                Ok(Some(Vec::new()))
            }
            Err(WorkError::Connect(error)) => {
                if work.check {
                    let detail = format!("connecting failed: {error}");
                    self.ctx
                        .store
                        .refuse_account_checks(account.id, &self.ctx.holder, &detail, self.now())
                        .await?;
                }
                self.connect_failed(account, &error).await?;
                Ok(Some(Vec::new()))
            }
            Err(WorkError::Panicked(_)) => Ok(Some(Vec::new())),
        }
    }

    /// Under the lease: abandons what a crash left pending, answers the checks, then
    /// claims and sends the account's ready one-off sends.
    async fn oneoff_unit(
        &self,
        session: AccountSession<'_>,
        account: &PostingAccount,
        work: &Work,
    ) -> Result<Vec<PostOutcome>, StoreError> {
        let lease = session.lease;
        let mut outcomes = Vec::new();
        for post in self.ctx.store.abandon_pending_of(lease, self.now()).await? {
            tracing::warn!(post_id = %post,
                "Post {post} of {} was left pending by a crash: outcome unknown, not resent",
                account.label);
            outcomes.push(PostOutcome::Unknown);
            crate::count_post(PostState::Unknown);
        }
        if work.check {
            self.answer_check(session.telegram, lease, account).await?;
        }
        for message in work.messages.iter().take(MESSAGES_PER_UNIT) {
            let now = self.now();
            let request = &message.request;
            let claim = self
                .ctx
                .store
                .claim_message(lease, request.id, request.group_id, now, |snapshot| {
                    self.message_decision(snapshot.account.as_ref(), snapshot.due.as_ref(), now)
                        .0
                })
                .await?;
            match claim {
                MessageClaim::Claimed { post, due } => {
                    let outcome = self
                        .send_message(session.telegram, lease, account, post, &due)
                        .await?;
                    outcomes.push(outcome);
                }
                MessageClaim::Skipped(_) => {
                    tracing::warn!(message = %request.id, group = %request.group_handle, account = %account.label,
                        "Message {} to {} skipped: the group no longer takes it from {}",
                        request.id, request.group_handle, account.label);
                    outcomes.push(PostOutcome::Skipped);
                }
                MessageClaim::Declined => {}
            }
        }
        Ok(outcomes)
    }

    /// `whoami` over the account's connection; the answer names the user id and
    /// username, never the phone.
    async fn answer_check(
        &self,
        telegram: &dyn TelegramAccount,
        lease: &Lease,
        account: &PostingAccount,
    ) -> Result<(), StoreError> {
        let me = self.bounded(telegram.whoami()).await;
        self.ctx
            .record_call(Some(account.id), None, "check", &me)
            .await?;
        let (ok, detail) = match &me {
            Ok(me) => (
                true,
                format!(
                    "connected: user {}{}",
                    me.user_id,
                    me.username
                        .as_deref()
                        .map(|name| format!(" (@{name})"))
                        .unwrap_or_default()
                ),
            ),
            Err(error) => (false, format!("whoami failed: {error}")),
        };
        tracing::info!(account = %account.label, ok, "Checked {}: {detail}", account.label);
        self.ctx
            .store
            .answer_account_checks(lease, ok, &detail, self.now())
            .await?;
        Ok(())
    }

    /// Resolves (once), pre-checks and sends a claimed one-off send, then completes it.
    async fn send_message(
        &self,
        telegram: &dyn TelegramAccount,
        lease: &Lease,
        account: &PostingAccount,
        post: tgfleet_domain::PostId,
        due: &DueMessage,
    ) -> Result<PostOutcome, StoreError> {
        let request = &due.request;
        let group = request.group_id;
        let done = |consequence: Consequence, message_id, slow_mode, event| Completed {
            consequence,
            message_id,
            slow_mode,
            event,
        };
        let failed = |error: &TgError| {
            let consequence = self.failure_consequence(error, account_strikes(account), self.now());
            let event = self.not_sent_event(account, due, &consequence);
            done(consequence, None, None, event)
        };
        let peer = match due.chat.peer.as_ref().and_then(peer_ref) {
            Some(peer) => Some(peer),
            None => {
                let resolved = self.bounded(telegram.resolve(&request.group_handle)).await;
                self.ctx
                    .record_call(Some(account.id), Some(group), "resolve", &resolved)
                    .await?;
                match resolved {
                    Ok(Resolved::Chat(chat)) => {
                        self.ctx
                            .store
                            .save_membership_peer(account.id, group, &stored_peer(&chat.peer))
                            .await?;
                        Some(chat.peer)
                    }
                    Ok(Resolved::Invite(_)) => None,
                    Err(error) => {
                        return self
                            .complete_message(lease, post, due, failed(&error))
                            .await;
                    }
                }
            }
        };
        let Some(peer) = peer else {
            let consequence = Consequence::skipped(Precheck::NotMember, self.now());
            let event = self.not_sent_event(account, due, &consequence);
            return self
                .complete_message(lease, post, due, done(consequence, None, None, event))
                .await;
        };
        let Some(message) = outgoing(&request.content, request.format, &request.content_hash).await
        else {
            let error = TgError::unexpected("MEDIA_UNAVAILABLE");
            return self
                .complete_message(lease, post, due, failed(&error))
                .await;
        };
        let rights = self.bounded(telegram.rights(&peer)).await;
        self.ctx
            .record_call(Some(account.id), Some(group), "precheck", &rights)
            .await?;
        let rights = match rights {
            Ok(rights) => rights,
            Err(error) => {
                return self
                    .complete_message(lease, post, due, failed(&error))
                    .await;
            }
        };
        let kind = request.content.kind();
        let needs = ContentNeeds {
            kinds: kind.needs(),
            links: has_link(request.content.body()),
        };
        let now = self.now();
        let verdict = precheck(&rights.write_rights(), needs, now);
        if !verdict.is_clear() {
            let mut consequence = Consequence::skipped(verdict, now);
            if let Precheck::RefusesContent(_) = verdict {
                // A campaign has other variants for the group; a one-off send has
                // only its own content: refused for good.
                consequence.retry_at = None;
            }
            let event = self.not_sent_event(account, due, &consequence);
            return self
                .complete_message(
                    lease,
                    post,
                    due,
                    done(consequence, None, rights.slow_mode_secs, event),
                )
                .await;
        }
        let message = if verdict == Precheck::ClearWithoutPreview {
            message.without_link_preview()
        } else {
            message
        };
        let sent = self
            .bounded_send(telegram.send(&peer, &message, request.random_id()))
            .await;
        let now = self.now();
        let consequence = match &sent {
            Ok(_) => Consequence::sent(rights.slow_mode_secs, now),
            Err(error) => self.failure_consequence(error, account_strikes(account), now),
        };
        let event = self
            .ctx
            .call_event(Some(account.id), Some(group), "message", &sent);
        let message_id = sent.as_ref().ok().map(|sent| sent.message_id);
        self.complete_message(
            lease,
            post,
            due,
            done(consequence, message_id, rights.slow_mode_secs, event),
        )
        .await
    }

    fn not_sent_event(
        &self,
        account: &PostingAccount,
        due: &DueMessage,
        consequence: &Consequence,
    ) -> NewEvent {
        NewEvent {
            at: self.now(),
            service: self.ctx.service.name().to_owned(),
            account_id: Some(account.id),
            group_id: Some(due.request.group_id),
            action: "message".to_owned(),
            outcome: match consequence.state {
                PostState::Skipped => "precheck_failed",
                _ => "not_sent",
            }
            .to_owned(),
            flood_wait_secs: None,
            detail: consequence.error_code.clone(),
        }
    }

    /// Completes the send's post (fenced by the lease) and logs the outcome.
    async fn complete_message(
        &self,
        lease: &Lease,
        post: tgfleet_domain::PostId,
        due: &DueMessage,
        completed: Completed,
    ) -> Result<PostOutcome, StoreError> {
        let consequence = &completed.consequence;
        self.ctx
            .store
            .complete_post(
                lease,
                &PostCompletion {
                    post,
                    group: due.request.group_id,
                    consequence,
                    telegram_message_id: completed.message_id,
                    slow_mode_secs: completed.slow_mode,
                    event: &completed.event,
                },
                self.now(),
            )
            .await?;
        self.ctx.count(&completed.event);
        crate::count_post(consequence.state);
        let request = &due.request;
        let group = &request.group_handle;
        let account = &request.account_label;
        let code = consequence.error_code.as_deref().unwrap_or_default();
        Ok(match consequence.state {
            PostState::Sent => {
                tracing::info!(message = %request.id, %group, %account, message_id = completed.message_id,
                    "Sent message {} to {group} by {account}", request.id);
                PostOutcome::Sent
            }
            PostState::Skipped => {
                tracing::warn!(message = %request.id, %group, %account, reason = code,
                    "Pre-check failed in {group} for {account} ({code}): message {} not sent", request.id);
                PostOutcome::Skipped
            }
            PostState::Unknown => {
                tracing::warn!(message = %request.id, %group, %account, reason = code,
                    "Message {} to {group} by {account}: outcome unknown ({code}), never resent", request.id);
                PostOutcome::Unknown
            }
            PostState::Failed | PostState::Pending => {
                tracing::warn!(message = %request.id, %group, %account, reason = code, retry_at = ?consequence.retry_at,
                    "Message {} to {group} by {account} failed ({code})", request.id);
                PostOutcome::Failed
            }
        })
    }
}

/// What a send attempt leaves to record.
struct Completed {
    consequence: Consequence,
    message_id: Option<i32>,
    slow_mode: Option<u32>,
    event: NewEvent,
}

fn account_strikes(account: &PostingAccount) -> u32 {
    u32::try_from(account.post_strikes).unwrap_or(0)
}

/// The message on the wire: the text, or the file (read now and checked against the
/// content hash it was requested with) with its caption.
async fn outgoing(
    content: &VariantContent,
    format: tgfleet_domain::BodyFormat,
    content_hash: &str,
) -> Option<OutgoingMessage> {
    let kind = match content {
        VariantContent::Text(text) => {
            return Some(OutgoingMessage::Text {
                text: text.as_str().to_owned(),
                format: text_format(format),
                link_preview: true,
            });
        }
        VariantContent::Photo { .. } => MediaKind::Photo,
        VariantContent::Document { .. } => MediaKind::Document,
        VariantContent::Forward(_) | VariantContent::Copy(_) => return None,
    };
    let path = content.media_path()?;
    let bytes = tokio::fs::read(path).await.ok()?;
    let hash = Content {
        kind: content.kind(),
        format,
        body: content.body(),
        media: Some(&bytes),
        source: None,
    }
    .hash();
    if hash != content_hash {
        tracing::error!(
            path,
            "The file of a one-off send changed since it was requested"
        );
        return None;
    }
    Some(OutgoingMessage::Media {
        kind,
        file_name: Path::new(path).file_name().map_or_else(
            || path.to_owned(),
            |name| name.to_string_lossy().into_owned(),
        ),
        bytes: Arc::new(bytes),
        caption: content.body().to_owned(),
        format: text_format(format),
    })
}
