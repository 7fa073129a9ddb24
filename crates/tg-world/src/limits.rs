//! Rate limits and caps. Telegram publishes few exact numbers; each default
//! says where its value comes from: Telegram's documentation, community
//! observations (Telethon / Pyrogram / TDLib issue threads and operator
//! reports), or "chosen for tests".

use serde::{Deserialize, Serialize};

/// A per-account budget for one class of methods: at most `calls` calls per
/// `per_secs` seconds, refilled continuously (a token bucket holding `calls`).
/// Every call counts, refused ones included, as Telegram counts requests.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Calls allowed in a burst and per window.
    pub calls: u32,
    /// The window, in seconds.
    pub per_secs: u32,
}

impl Budget {
    /// A budget of `calls` per `per_secs`.
    pub const fn new(calls: u32, per_secs: u32) -> Self {
        Self { calls, per_secs }
    }
}

/// How FLOOD_WAIT grows when an account keeps exceeding a budget. The first
/// wait is the time until the budget has room again; calls during a wait
/// answer the remaining seconds without escalating; the next violation after
/// a wait multiplies the wait by `growth_factor`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FloodPolicy {
    /// Each repeated violation multiplies the wait by this factor.
    /// Default 2.0: community observations report waits escalating on repeated
    /// violations; the exact factor is chosen for tests.
    pub growth_factor: f64,
    /// The longest wait ever answered. Default 86 400 s: community observations
    /// of FLOOD_WAIT on joins and resolves of up to about a day.
    pub max_wait_secs: u32,
    /// A violation this long after the previous one starts the escalation over.
    /// Default 86 400 s: chosen for tests.
    pub reset_after_secs: u32,
}

impl Default for FloodPolicy {
    fn default() -> Self {
        Self {
            growth_factor: 2.0,
            max_wait_secs: 86_400,
            reset_after_secs: 86_400,
        }
    }
}

/// When a burst of sends gets the account spam-limited (PEER_FLOOD).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeerFloodPolicy {
    /// Sends allowed within `window_secs`; the next one is answered PEER_FLOOD.
    /// Default 30: community observations of fresh accounts being spam-limited
    /// after a few dozen messages in a short time; exact value chosen for tests.
    pub max_sends: u32,
    /// The sliding window, in seconds. Default 600: chosen for tests.
    pub window_secs: u32,
    /// How long the account stays spam-limited. Default 21 600 s (6 h):
    /// community observations say spam limits last hours to days; chosen for tests.
    pub block_secs: u32,
}

impl Default for PeerFloodPolicy {
    fn default() -> Self {
        Self {
            max_sends: 30,
            window_secs: 600,
            block_secs: 21_600,
        }
    }
}

/// Every rate limit and cap of the world. Each field may be overridden in the
/// scenario's `[limits]` table; omitted fields keep their defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// `channels.joinChannel`, `messages.importChatInvite`, `channels.leaveChannel`.
    /// Default 20 per hour: community observations of FLOOD_WAIT on joins after
    /// about twenty joins in a short period.
    pub join: Budget,
    /// `contacts.resolveUsername`, `messages.checkChatInvite`.
    /// Default 200 per day: community observations of resolveUsername flooding
    /// after about two hundred calls a day (the resolve loop of docs/design.md).
    pub resolve: Budget,
    /// `messages.sendMessage`, `messages.sendMedia`, `messages.forwardMessages`.
    /// Default 20 per minute: Telegram's Bots FAQ (20 messages per minute in one
    /// group), which operators observe for user accounts too.
    pub send: Budget,
    /// `channels.readHistory`. Default 120 per minute: chosen for tests (undocumented).
    pub read: Budget,
    /// `messages.sendReaction`. Default 20 per minute: chosen for tests (undocumented).
    pub react: Budget,
    /// `messages.getHistory` (and dialogs). Default 60 per minute: community
    /// observations of FLOOD_WAIT at tens of history calls a minute.
    pub history: Budget,
    /// `stories.getPeerStories`, `stories.readStories`. Default 60 per minute:
    /// chosen for tests (undocumented).
    pub stories: Budget,
    /// `users.getUsers`, `updates.getState`, `channels.getParticipant`,
    /// `channels.getFullChannel`. Default 200 per minute: chosen for tests.
    pub info: Budget,
    /// How FLOOD_WAIT escalates.
    pub flood: FloodPolicy,
    /// Spam-like bursts of sends.
    pub peer_flood: PeerFloodPolicy,
    /// Memberships in channels and supergroups before CHANNELS_TOO_MUCH.
    /// Default 500: Telegram's documented limit for accounts without Premium.
    pub channels_max: u32,
    /// New memberships in any 24 hours before CHANNELS_TOO_MUCH *below* the cap:
    /// Telegram's anti-abuse answers it to accounts far from 500 channels
    /// (community report: https://github.com/tdlib/td/issues/1139, "Total chat count
    /// is less than 200"); the number is undocumented. Default 0: off.
    pub channels_per_day: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            join: Budget::new(20, 3_600),
            resolve: Budget::new(200, 86_400),
            send: Budget::new(20, 60),
            read: Budget::new(120, 60),
            react: Budget::new(20, 60),
            history: Budget::new(60, 60),
            stories: Budget::new(60, 60),
            info: Budget::new(200, 60),
            flood: FloodPolicy::default(),
            peer_flood: PeerFloodPolicy::default(),
            channels_max: 500,
            channels_per_day: 0,
        }
    }
}

/// The classes of methods that share one budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodClass {
    /// Joins, invite imports and leaves.
    Join,
    /// Username and invite look-ups.
    Resolve,
    /// Messages, media and forwards.
    Send,
    /// Marking chats read.
    Read,
    /// Reactions.
    React,
    /// History (and dialogs).
    History,
    /// Stories.
    Stories,
    /// Cheap informational calls.
    Info,
}

impl MethodClass {
    /// Every class, in a fixed order (index = position).
    pub const ALL: [Self; 8] = [
        Self::Join,
        Self::Resolve,
        Self::Send,
        Self::Read,
        Self::React,
        Self::History,
        Self::Stories,
        Self::Info,
    ];

    /// The class's position in [`MethodClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The lower-case name used in counters and scenario keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Resolve => "resolve",
            Self::Send => "send",
            Self::Read => "read",
            Self::React => "react",
            Self::History => "history",
            Self::Stories => "stories",
            Self::Info => "info",
        }
    }
}

impl Limits {
    /// The budget of a method class.
    pub fn budget(&self, class: MethodClass) -> Budget {
        match class {
            MethodClass::Join => self.join,
            MethodClass::Resolve => self.resolve,
            MethodClass::Send => self.send,
            MethodClass::Read => self.read,
            MethodClass::React => self.react,
            MethodClass::History => self.history,
            MethodClass::Stories => self.stories,
            MethodClass::Info => self.info,
        }
    }

    /// Limits so generous that no test meets them unless it sets one on purpose.
    pub fn unlimited() -> Self {
        let wide = Budget::new(1_000_000, 1);
        Self {
            join: wide,
            resolve: wide,
            send: wide,
            read: wide,
            react: wide,
            history: wide,
            stories: wide,
            info: wide,
            flood: FloodPolicy::default(),
            peer_flood: PeerFloodPolicy {
                max_sends: u32::MAX,
                ..PeerFloodPolicy::default()
            },
            channels_max: 500,
            channels_per_day: 0,
        }
    }
}
