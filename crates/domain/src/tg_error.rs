//! Who a Telegram answer is about: the one classification every service reads.
//!
//! An error from Telegram is about the **call** (wait, transient, unknown outcome),
//! the **account** (spam limit, frozen, dead key, …), the account's **membership**
//! (not a member, restricted, stale peer), a **content kind** the group refuses, or
//! the **group** itself. Only answers about the group may close it for the whole
//! fleet (invariant 4). The table from RPC name to class is [`rpc_table`].

pub mod rpc_table;

use std::fmt;
use std::time::Duration;

/// Result of a Telegram call.
pub type TgResult<T> = Result<T, TgError>;

/// A Telegram error: what it is about, and the name it came with (the RPC name,
/// or a short description for errors below the RPC layer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TgError {
    /// Who the answer is about.
    pub about: About,
    /// The RPC name (`PEER_FLOOD`) or a description (`network: connection reset`).
    pub name: String,
}

/// Who or what an answer is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum About {
    /// This call only.
    Call(CallAnswer),
    /// The account, everywhere.
    Account(AccountAnswer),
    /// The account's membership of this group.
    Membership(MembershipAnswer),
    /// The group refuses this kind of content (from everyone who is not an admin).
    Content(ContentKind),
    /// The group itself.
    Group(GroupAnswer),
    /// The source of a forward refuses it: its content is protected (`noforwards`,
    /// core.telegram.org/api/content-protection: it "disables message forwards";
    /// `CHAT_FORWARDS_RESTRICTED`). About that
    /// post of the source channel, never the target group nor the account: the
    /// post is not sent in its round, as a relay skips a post it reads with
    /// `noforwards` (`crate::relay::relay_send`).
    Source,
    /// A join that did not fail: a request was sent, or the account was in already.
    Join(JoinNote),
    /// Nothing the table knows.
    Unexpected,
}

/// An answer about the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallAnswer {
    /// Wait this long before this kind of call.
    Wait(WaitKind, u32),
    /// Network trouble or a server failure before anything happened: retry later.
    Transient,
    /// The request went out and no answer came back (or Telegram says it saw this
    /// `random_id` before): it may have been executed. Never repeat it blindly.
    UnknownOutcome,
}

/// Which wait Telegram asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitKind {
    /// `FLOOD_WAIT_X` and other `*_WAIT_X` / `*_DELAY_X`: the account's rate budget.
    Flood,
    /// `SLOWMODE_WAIT_X`: the group's slow mode, for this account.
    SlowMode,
    /// `FLOOD_PREMIUM_WAIT_X`: the upload throttle of non-premium accounts.
    Upload,
}

/// An answer about the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountAnswer {
    /// Telegram limited the account for spam (`PEER_FLOOD`, and `USER_BANNED_IN_CHANNEL`
    /// after a clean pre-check): a strike, and a cool-down at the threshold.
    SpamLimited,
    /// The account is frozen: it may only read its own data.
    Frozen,
    /// Not (or no longer) logged in.
    Unauthorized,
    /// The auth key is dead (revoked, unregistered, used twice): a new login is needed.
    DeadKey,
    /// Telegram deleted or banned the account.
    Deactivated,
    /// The account is in too many channels and supergroups.
    TooManyChannels,
}

/// An answer about the account's membership of one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipAnswer {
    /// The account is not a member.
    NotMember,
    /// The account is personally restricted (until a date its rights show).
    Restricted,
    /// The stored peer does not work for this account: resolve it again, once.
    PeerStale,
    /// Non-members must join before writing.
    JoinFirst,
}

/// A kind of content a group may refuse (granular rights, layer 150+).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentKind {
    /// Text messages (`send_plain`).
    Plain,
    /// Any media (the legacy `send_media`).
    Media,
    /// Photos (`send_photos`).
    Photos,
    /// Videos (`send_videos`).
    Videos,
    /// Documents (`send_docs`).
    Docs,
    /// Music (`send_audios`).
    Audios,
    /// Voice notes (`send_voices`).
    Voices,
    /// Round videos (`send_roundvideos`).
    RoundVideos,
    /// Stickers (`send_stickers`).
    Stickers,
    /// GIFs (`send_gifs`).
    Gifs,
    /// Polls (`send_polls`).
    Polls,
    /// Inline bot results (`send_inline`).
    Inline,
    /// Games (`send_games`).
    Games,
    /// Link previews (`embed_links`).
    LinkPreviews,
    /// The group charges Stars per message (`send_paid_messages_stars`).
    Paid,
}

impl ContentKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Plain,
        Self::Media,
        Self::Photos,
        Self::Videos,
        Self::Docs,
        Self::Audios,
        Self::Voices,
        Self::RoundVideos,
        Self::Stickers,
        Self::Gifs,
        Self::Polls,
        Self::Inline,
        Self::Games,
        Self::LinkPreviews,
        Self::Paid,
    ];

    /// The text stored in Postgres (`group_content_refusals.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Media => "media",
            Self::Photos => "photos",
            Self::Videos => "videos",
            Self::Docs => "docs",
            Self::Audios => "audios",
            Self::Voices => "voices",
            Self::RoundVideos => "roundvideos",
            Self::Stickers => "stickers",
            Self::Gifs => "gifs",
            Self::Polls => "polls",
            Self::Inline => "inline",
            Self::Games => "games",
            Self::LinkPreviews => "link_previews",
            Self::Paid => "paid",
        }
    }

    /// The kind for its stored text.
    pub fn from_stored(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.as_str() == text)
    }
}

/// An answer about the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupAnswer {
    /// The group's admins removed this account (kicked, banned): the group's
    /// moderation has spoken, no other account may work around it.
    BannedUs,
    /// Members may not write at all (only admins post).
    WriteForbidden,
    /// Telegram banned the group: inaccessible for everyone.
    BannedByTelegram,
    /// The group, its username or its invite does not exist (any more).
    Gone,
    /// The topic (in a forum, the General topic) is closed.
    TopicClosed,
}

/// A join answer that is not a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinNote {
    /// The join awaits an admin's approval.
    RequestSent,
    /// The account was a member already.
    AlreadyMember,
}

impl TgError {
    /// An error about `about`, named `name`.
    pub fn new(about: About, name: impl Into<String>) -> Self {
        Self {
            about,
            name: name.into(),
        }
    }

    /// Classifies an RPC error as grammers reports it: `code`, `name` with the number
    /// split off into `value` (`FLOOD_WAIT_31` → `FLOOD_WAIT`, 31).
    pub fn from_rpc(code: i32, name: &str, value: Option<u32>) -> Self {
        Self::new(rpc_table::classify(code, name, value), name)
    }

    /// `FLOOD_WAIT_X`.
    pub fn flood_wait(secs: u32) -> Self {
        Self::new(
            About::Call(CallAnswer::Wait(WaitKind::Flood, secs)),
            "FLOOD_WAIT",
        )
    }

    /// Network trouble or a timeout before the request went out.
    pub fn transient(detail: impl Into<String>) -> Self {
        Self::new(About::Call(CallAnswer::Transient), detail)
    }

    /// The request went out and its fate is unknown.
    pub fn unknown_outcome(detail: impl Into<String>) -> Self {
        Self::new(About::Call(CallAnswer::UnknownOutcome), detail)
    }

    /// Anything the table does not know, by name.
    pub fn unexpected(name: impl Into<String>) -> Self {
        Self::new(About::Unexpected, name)
    }

    /// The wait Telegram asked for (FloodWait, slow mode, upload throttle).
    pub fn wait(&self) -> Option<Duration> {
        match self.about {
            About::Call(CallAnswer::Wait(_, secs)) => Some(Duration::from_secs(u64::from(secs))),
            _ => None,
        }
    }

    /// The seconds of an account FloodWait (`FLOOD_WAIT_X`), the only wait that holds
    /// the account's other calls.
    pub fn flood_wait_secs(&self) -> Option<u32> {
        match self.about {
            About::Call(CallAnswer::Wait(WaitKind::Flood, secs)) => Some(secs),
            _ => None,
        }
    }

    /// Whether this is a network or server failure that may be retried.
    pub fn is_transient(&self) -> bool {
        self.about == About::Call(CallAnswer::Transient)
    }

    /// The account status an answer about the account leads to, if it stops the account.
    pub fn account_status(&self) -> Option<crate::AccountStatus> {
        use crate::AccountStatus;
        match self.about {
            About::Account(AccountAnswer::Unauthorized | AccountAnswer::DeadKey) => {
                Some(AccountStatus::Unauthorized)
            }
            About::Account(AccountAnswer::Deactivated) => Some(AccountStatus::Deactivated),
            About::Account(AccountAnswer::Frozen) => Some(AccountStatus::Frozen),
            _ => None,
        }
    }

    /// Whether this answer about the account may be about the group instead:
    /// `USER_BANNED_IN_CHANNEL` ("You're banned from sending messages in
    /// supergroups/channels", Telethon errors.csv:488) is in the common case the
    /// account-wide spam limit (Telegram's apps show the @SpamBot alert for it), but an
    /// admin's ban in that one group answers the same. Evidence about the group decides
    /// (`post_outcome::BanReport`).
    pub fn may_be_about_the_group(&self) -> bool {
        self.about == About::Account(AccountAnswer::SpamLimited)
            && self.name == "USER_BANNED_IN_CHANNEL"
    }

    /// Whether the account itself can no longer work.
    pub fn is_account_fatal(&self) -> bool {
        self.account_status().is_some()
    }

    /// The code stored in `posts.error_code` and `events`: the RPC name with its value.
    pub fn code(&self) -> String {
        match self.about {
            About::Call(CallAnswer::Wait(_, secs)) => format!("{}_{secs}", self.name),
            About::Call(CallAnswer::Transient) => format!("TRANSIENT: {}", self.name),
            About::Call(CallAnswer::UnknownOutcome) => format!("UNKNOWN_OUTCOME: {}", self.name),
            _ => self.name.clone(),
        }
    }

    /// The outcome word stored in the event log (`events.outcome`) and used as a metrics label.
    pub fn outcome(&self) -> &'static str {
        match self.about {
            About::Call(CallAnswer::Wait(WaitKind::SlowMode, _)) => "slow_mode",
            About::Call(CallAnswer::Wait(_, _)) => "flood_wait",
            About::Call(CallAnswer::Transient) => "transient",
            About::Call(CallAnswer::UnknownOutcome) => "unknown_outcome",
            About::Account(AccountAnswer::SpamLimited) => "peer_flood",
            About::Account(AccountAnswer::Frozen) => "frozen",
            About::Account(AccountAnswer::Unauthorized | AccountAnswer::DeadKey) => "unauthorized",
            About::Account(AccountAnswer::Deactivated) => "deactivated",
            About::Account(AccountAnswer::TooManyChannels) => "too_many_channels",
            About::Membership(MembershipAnswer::NotMember) => "not_member",
            About::Membership(MembershipAnswer::Restricted) => "restricted",
            About::Membership(MembershipAnswer::PeerStale) => "peer_stale",
            About::Membership(MembershipAnswer::JoinFirst) => "join_first",
            About::Content(_) => "content_refused",
            About::Group(GroupAnswer::BannedUs) => "banned",
            About::Group(GroupAnswer::WriteForbidden) => "write_forbidden",
            About::Group(GroupAnswer::BannedByTelegram | GroupAnswer::Gone) => "inaccessible",
            About::Group(GroupAnswer::TopicClosed) => "topic_closed",
            About::Source => "source_protected",
            About::Join(JoinNote::RequestSent) => "join_requested",
            About::Join(JoinNote::AlreadyMember) => "already_member",
            About::Unexpected => "other",
        }
    }
}

impl fmt::Display for TgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.outcome(), self.code())
    }
}

impl std::error::Error for TgError {}
