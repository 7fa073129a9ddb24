//! One keep-alive cycle of one account: mark a few joined chats read, view the
//! active stories of a few of them, and maybe react to one recent message. The
//! choices are made before the lease is taken; under the lease only the few
//! calls run. Nothing here ever sends a message.

use chrono::{DateTime, Utc};
use rand::RngExt;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use std::ops::ControlFlow;
use tgfleet_domain::{AccountId, GroupId};
use tgfleet_runtime::{AccountSession, ServiceContext};
use tgfleet_store::{ActivityPeer, StoreError};
use tgfleet_telegram::{PeerKind, PeerRef, TelegramAccount, TgError};

/// The event-log action of a reaction (counted against `activity.reactions_per_day`).
pub const REACT_ACTION: &str = "react";
/// The event-log action of reading a chat's recent messages.
pub const HISTORY_ACTION: &str = "history";
/// The event-log action of marking a chat read.
pub const READ_ACTION: &str = "read";
/// The event-log action of listing a peer's active stories.
pub const STORIES_ACTION: &str = "stories";
/// The event-log action of marking stories viewed.
pub const VIEW_STORIES_ACTION: &str = "view_stories";

/// Recent messages read per chat.
const RECENT_MESSAGES: u32 = 10;
/// The chance that a cycle reacts, when reactions are enabled and under the cap.
const REACTION_CHANCE: f64 = 1.0 / 3.0;
/// Reactions an account uses.
const EMOJIS: [&str; 5] = ["👍", "❤", "🔥", "👏", "😁"];

/// What a cycle will do, chosen before the lease is taken.
#[derive(Clone, Debug)]
pub(crate) struct CyclePlan {
    chats: Vec<ActivityPeer>,
    story_peers: Vec<ActivityPeer>,
    reaction: Option<&'static str>,
}

impl CyclePlan {
    /// Picks up to `chats` chats to read and `stories` peers to view at random,
    /// and whether to react (only if `reactions_left > 0`).
    pub(crate) fn choose(
        rng: &mut StdRng,
        peers: &[ActivityPeer],
        chats: u32,
        stories: u32,
        reactions_left: u32,
    ) -> Self {
        let pick = |rng: &mut StdRng, n: u32| -> Vec<ActivityPeer> {
            peers.sample(rng, n as usize).cloned().collect()
        };
        let chats = pick(rng, chats);
        let story_peers = pick(rng, stories);
        let reaction =
            (reactions_left > 0 && !chats.is_empty() && rng.random_bool(REACTION_CHANCE))
                .then(|| EMOJIS.choose(rng).copied())
                .flatten();
        Self {
            chats,
            story_peers,
            reaction,
        }
    }
}

/// What a cycle did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// Chats marked read.
    pub chats_read: u32,
    /// Stories viewed.
    pub stories_viewed: u32,
    /// Reactions sent.
    pub reactions: u32,
    /// Why the cycle stopped early, if it did.
    pub stopped: Option<CycleStop>,
}

/// Why a cycle stopped before its plan was done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CycleStop {
    /// Telegram asked the account to wait this many seconds.
    FloodWait(u32),
    /// The account's session is gone.
    AccountLost(TgError),
}

/// Runs a planned cycle's calls on the connected account, logging each outcome.
pub(crate) async fn run_cycle(
    ctx: &ServiceContext,
    account: AccountId,
    session: AccountSession<'_>,
    plan: &CyclePlan,
) -> Result<CycleReport, StoreError> {
    let mut cycle = Cycle {
        ctx,
        account,
        telegram: session.telegram,
        reaction: plan.reaction,
        report: CycleReport::default(),
    };
    for chat in &plan.chats {
        if cycle.read_chat(chat).await?.is_break() {
            return Ok(cycle.report);
        }
    }
    for peer in &plan.story_peers {
        if cycle.view_stories(peer).await?.is_break() {
            return Ok(cycle.report);
        }
    }
    Ok(cycle.report)
}

/// What to do after a call.
enum Step<T> {
    /// It worked: go on with its value.
    Go(T),
    /// It failed for this peer only: skip to the next peer.
    Skip,
    /// FloodWait or a lost session: end the cycle.
    Stop,
}

/// The value of a [`Step::Go`], or leave the current peer (skip) or the cycle (stop).
macro_rules! go {
    ($step:expr) => {
        match $step {
            Step::Go(value) => value,
            Step::Skip => return Ok(ControlFlow::Continue(())),
            Step::Stop => return Ok(ControlFlow::Break(())),
        }
    };
}

struct Cycle<'a> {
    ctx: &'a ServiceContext,
    account: AccountId,
    telegram: &'a dyn TelegramAccount,
    reaction: Option<&'static str>,
    report: CycleReport,
}

impl Cycle<'_> {
    /// Reads a chat's recent messages, marks them read, and spends the cycle's
    /// reaction (if any) on the newest message from someone else.
    async fn read_chat(&mut self, chat: &ActivityPeer) -> Result<ControlFlow<()>, StoreError> {
        let peer = peer_of(chat);
        let recent = self.telegram.recent_messages(&peer, RECENT_MESSAGES).await;
        let messages = go!(self.outcome(chat.group_id, HISTORY_ACTION, recent).await?);
        let Some(newest) = messages.iter().map(|m| m.id).max() else {
            return Ok(ControlFlow::Continue(()));
        };
        let read = self.telegram.mark_read(&peer, newest).await;
        go!(self.outcome(chat.group_id, READ_ACTION, read).await?);
        self.report.chats_read += 1;
        let target = messages.iter().find(|m| !m.outgoing);
        if let (Some(emoji), Some(message)) = (self.reaction, target) {
            self.reaction = None;
            let reacted = self.telegram.react(&peer, message.id, emoji).await;
            go!(self.outcome(chat.group_id, REACT_ACTION, reacted).await?);
            self.report.reactions += 1;
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Lists a peer's active stories and marks them viewed.
    async fn view_stories(
        &mut self,
        story_peer: &ActivityPeer,
    ) -> Result<ControlFlow<()>, StoreError> {
        let peer = peer_of(story_peer);
        let listed = self.telegram.active_stories(&peer).await;
        let ids = go!(self
            .outcome(story_peer.group_id, STORIES_ACTION, listed)
            .await?);
        let Some(newest) = ids.iter().copied().max() else {
            return Ok(ControlFlow::Continue(()));
        };
        let viewed = self.telegram.view_stories(&peer, newest).await;
        go!(self
            .outcome(story_peer.group_id, VIEW_STORIES_ACTION, viewed)
            .await?);
        self.report.stories_viewed += u32::try_from(ids.len()).unwrap_or(u32::MAX);
        Ok(ControlFlow::Continue(()))
    }

    /// Logs a call's outcome in the event log and says how to go on (a FloodWait
    /// or a lost session is noted in the report).
    async fn outcome<T>(
        &mut self,
        group: GroupId,
        action: &str,
        result: Result<T, TgError>,
    ) -> Result<Step<T>, StoreError> {
        self.ctx
            .record_call(Some(self.account), Some(group), action, &result)
            .await?;
        Ok(match result {
            Ok(value) => Step::Go(value),
            Err(error) if error.flood_wait_secs().is_some() => {
                let secs = error.flood_wait_secs().unwrap_or_default();
                self.report.stopped = Some(CycleStop::FloodWait(secs));
                Step::Stop
            }
            Err(error) if error.is_account_fatal() => {
                self.report.stopped = Some(CycleStop::AccountLost(error));
                Step::Stop
            }
            Err(error) => {
                tracing::debug!(%error, action, "activity call failed; moving on");
                Step::Skip
            }
        })
    }
}

fn peer_of(peer: &ActivityPeer) -> PeerRef {
    PeerRef {
        id: peer.peer.id,
        access_hash: peer.peer.access_hash,
        kind: match peer.peer.kind.as_str() {
            "chat" => PeerKind::Chat,
            "user" => PeerKind::User,
            _ => PeerKind::Channel,
        },
    }
}

/// When a cycle at `now` stopped on a FloodWait of `secs`, until when the account waits.
pub(crate) fn flood_until(now: DateTime<Utc>, secs: u32) -> DateTime<Utc> {
    now + chrono::TimeDelta::seconds(i64::from(secs))
}
