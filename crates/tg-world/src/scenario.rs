//! The TOML scenario format: accounts, groups with their rules, and limits.
//! `scenarios/small.toml` is a documented example.

use crate::Limits;
use crate::derive;
use crate::secret::{AuthKey, Phone, Secret};
use crate::types::{ChannelKind, Right, VanishKind};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// User ids of accounts without an explicit `user_id` are this plus their position (1-based).
pub const DEFAULT_USER_ID_BASE: i64 = 7_000_000_000;
/// Channel ids of groups without an explicit `channel_id` are this plus their position (1-based).
pub const DEFAULT_CHANNEL_ID_BASE: i64 = 1_900_000_000;
/// Slow-mode intervals Telegram accepts (`channels.toggleSlowMode`), besides 0 (off).
pub const SLOW_MODE_VALUES: [u32; 6] = [10, 30, 60, 300, 900, 3600];

/// A whole world: the seed, the reference time, limits, accounts and groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Seeds every derived value (access hashes, auth keys, ban rolls, history).
    /// 0 ..= 2^63-1 (TOML integers are signed).
    #[serde(default)]
    pub seed: u64,
    /// The reference time: pre-existing history and stories are dated before it.
    /// Default 2026-01-01T00:00:00Z (chosen for tests).
    #[serde(default = "default_epoch")]
    pub epoch: DateTime<Utc>,
    /// Rate limits and caps; omitted fields keep their documented defaults.
    #[serde(default)]
    pub limits: Limits,
    /// The accounts.
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
    /// The groups and channels.
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
}

/// One account of the fleet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    /// The label tgfleet knows the account by (its session name). Unique.
    pub label: String,
    /// The phone number, international form. Unique.
    pub phone: Phone,
    /// The login code `auth.signIn` accepts. Default `12345`.
    #[serde(default = "default_code")]
    pub code: Secret,
    /// The 2FA password, if the account has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// The Telegram user id. Default: [`DEFAULT_USER_ID_BASE`] + position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// First name. Default: the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Deactivated from the start: every call answers USER_DEACTIVATED_BAN.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deactivated: bool,
    /// Deactivated from this time on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<DateTime<Utc>>,
    /// The pre-shared session is revoked from the start: AUTH_KEY_UNREGISTERED
    /// until the account logs in again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub revoked: bool,
    /// The pre-shared session is revoked from this time on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// The account starts signed out: its pre-shared key is known to the server
    /// but bound to nobody (AUTH_KEY_UNREGISTERED) until `auth.signIn` (and, with
    /// 2FA, `auth.checkPassword`) logs it in with the scenario's code and password.
    #[serde(default, skip_serializing_if = "is_false")]
    pub signed_out: bool,
    /// Telegram limits the account for spam from this time on (a @SpamBot limit): its
    /// messages to every supergroup are answered USER_BANNED_IN_CHANNEL while the
    /// groups' rights show nothing. Telethon `errors.csv`: USER_BANNED_IN_CHANNEL
    /// "You're banned from sending messages in supergroups/channels"; community
    /// report: <https://github.com/zhukov/webogram/issues/1707> ("Contact SpamBot").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spam_limited_from: Option<DateTime<Utc>>,
    /// Telegram freezes the account from this time on: every method but the
    /// informational ones answers 420 FROZEN_METHOD_INVALID
    /// (<https://core.telegram.org/api/auth#frozen-accounts>; PyroTGFork
    /// `compiler/errors/source/420_FLOOD.tsv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_from: Option<DateTime<Utc>>,
}

/// When a group vanishes, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VanishSpec {
    /// From this time on.
    pub at: DateTime<Utc>,
    /// Became private, username released, or deleted.
    pub how: VanishKind,
}

/// A channel that publishes posts over simulated time (a relay source): post `k`
/// (1-based) goes out at `epoch + k * every_secs`, its kind taken in rotation from
/// `kinds`, its text from the channel's title, `k` and a topic in rotation (chosen for
/// tests: "villa for rent", "market news", "sponsored offer", "beach photo").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishSpec {
    /// Seconds between two posts.
    pub every_secs: u32,
    /// How many posts in all; then the channel is quiet.
    pub count: u32,
    /// The kinds in rotation. Default: text only.
    #[serde(default = "default_publish_kinds")]
    pub kinds: Vec<MediaOrText>,
    /// Every N-th post is edited `edit_after_secs` after it went out (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub edit_every: u32,
    /// Seconds between a post and its edit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub edit_after_secs: u32,
    /// Every N-th post is deleted `delete_after_secs` after it went out (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delete_every: u32,
    /// Seconds between a post and its deletion.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delete_after_secs: u32,
}

/// The kind of a published post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaOrText {
    /// A text post.
    Text,
    /// A photo with a caption.
    Photo,
    /// A document with a caption.
    Document,
    /// A video with a caption.
    Video,
    /// An album: a photo, a video and a photo sent together (one `grouped_id`), the
    /// caption on the first.
    Album,
}

fn default_publish_kinds() -> Vec<MediaOrText> {
    vec![MediaOrText::Text]
}

/// One group or channel with its rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// The public username (5-32 of a-z, 0-9, _), if public. A group needs a
    /// username, an invite, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The invite hash (`t.me/+HASH`), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
    /// The channel id. Default: [`DEFAULT_CHANNEL_ID_BASE`] + position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// The title. Default: the username, or `Group N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Supergroup (default), broadcast or gigagroup.
    #[serde(default, skip_serializing_if = "is_default")]
    pub kind: ChannelKind,
    /// The invite stops working at this time (INVITE_HASH_EXPIRED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_expires_at: Option<DateTime<Utc>>,
    /// Joining sends a request an admin must approve (INVITE_REQUEST_SENT).
    #[serde(default, skip_serializing_if = "is_false")]
    pub approval_required: bool,
    /// Admins approve a join request this many seconds after it was sent.
    /// Default: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_after_secs: Option<u32>,
    /// Rights every member lacks: `send_messages`, `send_plain`, `send_media`, `embed_links`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_banned: Vec<Right>,
    /// Non-members must join before writing (CHAT_GUEST_SEND_FORBIDDEN).
    #[serde(default, skip_serializing_if = "is_false")]
    pub join_to_send: bool,
    /// Stars each message of a non-admin costs (`send_paid_messages_stars`,
    /// core.telegram.org/api/paid-messages); 0: free. A message without
    /// `allow_paid_stars` answers ALLOW_PAYMENT_REQUIRED_X.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub paid_stars: u32,
    /// Slow-mode interval in seconds: 0 (off), 10, 30, 60, 300, 900 or 3600.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub slow_mode_secs: u32,
    /// Admins ban an account after its N-th post here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_after_posts: Option<u32>,
    /// Admins ban an account after each post with this probability (0..=1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_probability: Option<f64>,
    /// Seconds between the offending post and the ban. Default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ban_delay_secs: u32,
    /// An anti-spam bot bans every account this many seconds after it joins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kick_after_join_secs: Option<u32>,
    /// The group vanishes at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vanish: Option<VanishSpec>,
    /// How many active stories the group shows.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stories: u32,
    /// Messages already in the group before the epoch (generated lazily).
    /// Default 50 (chosen for tests).
    #[serde(
        default = "default_history",
        skip_serializing_if = "is_default_history"
    )]
    pub history: u32,
    /// Members, as Telegram reports it. Default 1000 (chosen for tests).
    #[serde(
        default = "default_participants",
        skip_serializing_if = "is_default_participants"
    )]
    pub participants: u32,
    /// Reactions are disabled (REACTION_INVALID).
    #[serde(default, skip_serializing_if = "is_false")]
    pub reactions_disabled: bool,
    /// Content is protected: forwarding from it answers CHAT_FORWARDS_RESTRICTED.
    #[serde(default, skip_serializing_if = "is_false")]
    pub noforwards: bool,
    /// A legacy basic group (a `chat`, not a `channel`: core.telegram.org/api/channel,
    /// "Channels, supergroups, gigagroups and basic groups"), reachable only by
    /// invite: basic groups have no username. `messages.checkChatInvite` shows a
    /// `chatInvite` without the `channel` flag (core.telegram.org/constructor/chatInvite:
    /// `channel` "Whether this is a channel/supergroup or a normal group"; TDLib
    /// td/telegram/DialogInviteLinkManager.cpp reads `is_chat = !chat_invite->channel_`
    /// and logs a basic-group invite with `broadcast`, `public` or `megagroup` as wrong),
    /// and `messages.importChatInvite` makes the user a member of the `chat`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub basic: bool,
    /// A forum supergroup (`channel.forum`, core.telegram.org/api/forum): a message
    /// sent without a topic goes to the General topic (id 1: TDLib
    /// td/telegram/ForumTopicId.h, `ForumTopicId::general()`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forum: bool,
    /// The forum's General topic is closed (`forumTopic.closed`): members who cannot
    /// manage topics may not post to it (TDLib td/telegram/ForumTopicManager.cpp,
    /// `can_send_message_to_forum_topic`), and Telegram answers TOPIC_CLOSED
    /// (PyroTGFork 400_BAD_REQUEST.tsv:620 "This topic was closed, you can't send
    /// messages to it anymore"). Needs `forum`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub general_closed: bool,
    /// Other members write a message every this many seconds from the epoch on (a
    /// group that is not quiet). Default: none (chosen for tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatter_every_secs: Option<u32>,
    /// The channel publishes posts over simulated time (a relay source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish: Option<PublishSpec>,
    /// Accounts (labels) that created the group; they are admins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admins: Vec<String>,
    /// Accounts (labels) that are members from the start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Accounts (labels) banned from the start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub banned: Vec<String>,
    /// Accounts (labels) that, once members, may not send anything (personal restriction).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restricted: Vec<String>,
}

impl GroupSpec {
    /// A public supergroup with every other field at its default.
    pub fn public(username: impl Into<String>) -> Self {
        Self {
            username: Some(username.into()),
            ..Self::empty()
        }
    }

    /// A private supergroup reachable by an invite hash.
    pub fn private(invite: impl Into<String>) -> Self {
        Self {
            invite: Some(invite.into()),
            ..Self::empty()
        }
    }

    fn empty() -> Self {
        Self {
            username: None,
            invite: None,
            channel_id: None,
            title: None,
            kind: ChannelKind::Supergroup,
            invite_expires_at: None,
            approval_required: false,
            approve_after_secs: None,
            default_banned: Vec::new(),
            join_to_send: false,
            paid_stars: 0,
            slow_mode_secs: 0,
            ban_after_posts: None,
            ban_probability: None,
            ban_delay_secs: 0,
            kick_after_join_secs: None,
            vanish: None,
            stories: 0,
            history: default_history(),
            participants: default_participants(),
            reactions_disabled: false,
            noforwards: false,
            basic: false,
            forum: false,
            general_closed: false,
            chatter_every_secs: None,
            publish: None,
            admins: Vec::new(),
            members: Vec::new(),
            banned: Vec::new(),
            restricted: Vec::new(),
        }
    }
}

impl AccountSpec {
    /// An account with a label and phone, every other field at its default.
    pub fn new(label: impl Into<String>, phone: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            phone: Phone::new(phone),
            code: default_code(),
            password: None,
            user_id: None,
            first_name: None,
            last_name: None,
            username: None,
            deactivated: false,
            deactivated_at: None,
            revoked: false,
            revoked_at: None,
            signed_out: false,
            spam_limited_from: None,
            frozen_from: None,
        }
    }
}

/// Why a scenario could not be loaded. Every variant names the field or line.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The TOML did not parse or a field had the wrong type.
    #[error("scenario field `{field}`{line}: {message}")]
    Parse {
        /// The path of the offending field (`groups[3].kind`), or `(document)`.
        field: String,
        /// ` (line N)` when known.
        line: String,
        /// The parser's message.
        message: String,
    },
    /// A field had a value the world cannot accept.
    #[error("scenario field `{field}`: {problem}")]
    Invalid {
        /// The path of the offending field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The scenario could not be written as TOML.
    #[error("cannot write scenario as TOML: {0}")]
    Serialize(String),
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

impl Scenario {
    /// An empty scenario with `seed` and default limits.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            epoch: default_epoch(),
            limits: Limits::default(),
            accounts: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Parses and validates a TOML scenario.
    pub fn from_toml_str(text: &str) -> Result<Self, ScenarioError> {
        let parse_error = |field: String, error: &toml::de::Error| {
            let line = error
                .span()
                .map(|span| format!(" (line {})", line_of(text, span.start)))
                .unwrap_or_default();
            ScenarioError::Parse {
                field,
                line,
                message: error.message().trim().to_owned(),
            }
        };
        let deserializer =
            toml::Deserializer::parse(text).map_err(|e| parse_error("(document)".into(), &e))?;
        let scenario: Self = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let field = e.path().to_string();
            parse_error(field, e.inner())
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Reads, parses and validates a TOML scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// Writes the scenario as TOML; [`Scenario::from_toml_str`] reads it back equal.
    pub fn to_toml_string(&self) -> Result<String, ScenarioError> {
        toml::to_string(self).map_err(|e| ScenarioError::Serialize(e.to_string()))
    }

    /// The user id of the account at `index`.
    pub fn user_id(&self, index: usize) -> i64 {
        self.accounts[index]
            .user_id
            .unwrap_or(DEFAULT_USER_ID_BASE + index as i64 + 1)
    }

    /// The channel id of the group at `index`.
    pub fn channel_id(&self, index: usize) -> i64 {
        self.groups[index]
            .channel_id
            .unwrap_or(DEFAULT_CHANNEL_ID_BASE + index as i64 + 1)
    }

    /// The pre-shared auth key of the account labelled `label`: 256 bytes
    /// derived from the seed and the account's user id. A harness writes it into
    /// the account's stored session; the world (and tg-sim) accept it as that
    /// account's logged-in key.
    pub fn preshared_auth_key(&self, label: &str) -> Option<AuthKey> {
        let index = self.accounts.iter().position(|a| a.label == label)?;
        Some(AuthKey::from_bytes(derive::auth_key_bytes(
            self.seed,
            self.user_id(index),
        )))
    }

    /// Checks everything the types cannot: uniqueness, ranges, references.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.seed > i64::MAX as u64 {
            return Err(invalid("seed", "must be at most 2^63-1"));
        }
        self.validate_limits()?;
        let labels = self.validate_accounts()?;
        self.validate_groups(&labels)
    }

    fn validate_limits(&self) -> Result<(), ScenarioError> {
        let limits = &self.limits;
        for class in crate::MethodClass::ALL {
            let budget = limits.budget(class);
            if budget.calls == 0 {
                return Err(invalid(
                    format!("limits.{}.calls", class.as_str()),
                    "must be at least 1",
                ));
            }
            if budget.per_secs == 0 {
                return Err(invalid(
                    format!("limits.{}.per_secs", class.as_str()),
                    "must be at least 1",
                ));
            }
        }
        if !(limits.flood.growth_factor >= 1.0 && limits.flood.growth_factor.is_finite()) {
            return Err(invalid(
                "limits.flood.growth_factor",
                "must be a finite number of at least 1.0",
            ));
        }
        if limits.flood.max_wait_secs == 0 {
            return Err(invalid("limits.flood.max_wait_secs", "must be at least 1"));
        }
        if limits.peer_flood.window_secs == 0 {
            return Err(invalid(
                "limits.peer_flood.window_secs",
                "must be at least 1",
            ));
        }
        if limits.channels_max == 0 {
            return Err(invalid("limits.channels_max", "must be at least 1"));
        }
        Ok(())
    }

    fn validate_accounts(&self) -> Result<HashSet<&str>, ScenarioError> {
        let mut labels = HashSet::new();
        let mut phones = HashSet::new();
        let mut ids = HashSet::new();
        let mut usernames = HashSet::new();
        for (i, account) in self.accounts.iter().enumerate() {
            let field = |name: &str| format!("accounts[{i}].{name}");
            if account.label.trim().is_empty() {
                return Err(invalid(field("label"), "must not be empty"));
            }
            if !labels.insert(account.label.as_str()) {
                return Err(invalid(
                    field("label"),
                    format!("{:?} is used by another account", account.label),
                ));
            }
            let digits = account.phone.digits();
            if !(5..=15).contains(&digits.len()) {
                return Err(invalid(field("phone"), "must have 5 to 15 digits"));
            }
            if !phones.insert(digits) {
                return Err(invalid(
                    field("phone"),
                    "is used by another account (numbers are compared by digits)",
                ));
            }
            let code = account.code.expose();
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(field("code"), "must be one or more digits"));
            }
            if account
                .password
                .as_ref()
                .is_some_and(|p| p.expose().is_empty())
            {
                return Err(invalid(field("password"), "must not be empty when set"));
            }
            if self.user_id(i) <= 0 || !ids.insert(self.user_id(i)) {
                return Err(invalid(
                    field("user_id"),
                    format!(
                        "{} is not positive or is used by another account",
                        self.user_id(i)
                    ),
                ));
            }
            if let Some(username) = &account.username {
                check_username(username).map_err(|p| invalid(field("username"), p))?;
                if !usernames.insert(username.to_ascii_lowercase()) {
                    return Err(invalid(field("username"), "is used by another account"));
                }
            }
        }
        Ok(labels)
    }

    fn validate_groups(&self, labels: &HashSet<&str>) -> Result<(), ScenarioError> {
        let mut usernames: HashSet<String> = self
            .accounts
            .iter()
            .filter_map(|a| a.username.as_ref().map(|u| u.to_ascii_lowercase()))
            .collect();
        let mut invites = HashSet::new();
        let mut ids = HashSet::new();
        for (i, group) in self.groups.iter().enumerate() {
            let field = |name: &str| format!("groups[{i}].{name}");
            if group.username.is_none() && group.invite.is_none() {
                return Err(invalid(
                    format!("groups[{i}]"),
                    "needs a `username`, an `invite`, or both",
                ));
            }
            if let Some(username) = &group.username {
                check_username(username).map_err(|p| invalid(field("username"), p))?;
                if !usernames.insert(username.to_ascii_lowercase()) {
                    return Err(invalid(
                        field("username"),
                        format!("{username:?} is used by another group or account"),
                    ));
                }
            }
            if let Some(invite) = &group.invite {
                let valid = (1..=64).contains(&invite.len())
                    && invite
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !valid {
                    return Err(invalid(
                        field("invite"),
                        "must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
                    ));
                }
                if !invites.insert(invite.as_str()) {
                    return Err(invalid(field("invite"), "is used by another group"));
                }
            }
            if group.invite_expires_at.is_some() && group.invite.is_none() {
                return Err(invalid(field("invite_expires_at"), "needs an `invite`"));
            }
            let id = self.channel_id(i);
            if id <= 0 || !ids.insert(id) {
                return Err(invalid(
                    field("channel_id"),
                    format!("{id} is not positive or is used by another group"),
                ));
            }
            if group.slow_mode_secs != 0 && !SLOW_MODE_VALUES.contains(&group.slow_mode_secs) {
                return Err(invalid(
                    field("slow_mode_secs"),
                    format!(
                        "{} is not one of Telegram's intervals 0, 10, 30, 60, 300, 900, 3600",
                        group.slow_mode_secs
                    ),
                ));
            }
            if group.ban_after_posts == Some(0) {
                return Err(invalid(field("ban_after_posts"), "must be at least 1"));
            }
            if let Some(p) = group.ban_probability
                && !(0.0..=1.0).contains(&p)
            {
                return Err(invalid(
                    field("ban_probability"),
                    format!("{p} is not between 0 and 1"),
                ));
            }
            if group.basic && (group.username.is_some() || group.invite.is_none()) {
                return Err(invalid(
                    field("basic"),
                    "a basic group has no username and needs an `invite`",
                ));
            }
            if group.basic && (group.kind != ChannelKind::Supergroup || group.forum) {
                return Err(invalid(
                    field("basic"),
                    "a basic group is neither a channel, a gigagroup nor a forum",
                ));
            }
            if group.general_closed && !group.forum {
                return Err(invalid(field("general_closed"), "needs `forum = true`"));
            }
            if group.forum && group.kind != ChannelKind::Supergroup {
                return Err(invalid(field("forum"), "only a supergroup is a forum"));
            }
            if group.approve_after_secs.is_some() && !group.approval_required {
                return Err(invalid(
                    field("approve_after_secs"),
                    "needs `approval_required = true`",
                ));
            }
            for (list_name, list) in [
                ("admins", &group.admins),
                ("members", &group.members),
                ("banned", &group.banned),
                ("restricted", &group.restricted),
            ] {
                for (j, label) in list.iter().enumerate() {
                    if !labels.contains(label.as_str()) {
                        return Err(invalid(
                            format!("groups[{i}].{list_name}[{j}]"),
                            format!("no account is labelled {label:?}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Telegram's username syntax: 5-32 of a-z, 0-9 and _, starting with a letter,
/// not ending with _ (case-insensitive).
pub(crate) fn check_username(name: &str) -> Result<(), String> {
    let valid = (5..=32).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && !name.ends_with('_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a username: 5-32 characters of a-z, 0-9 and _, starting with a letter, not ending with _"
        ))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// 2026-01-01T00:00:00Z.
pub fn default_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
}

fn default_code() -> Secret {
    Secret::new("12345")
}

fn default_history() -> u32 {
    50
}

fn is_default_history(value: &u32) -> bool {
    *value == default_history()
}

fn default_participants() -> u32 {
    1000
}

fn is_default_participants(value: &u32) -> bool {
    *value == default_participants()
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}
