//! Values going in and out of the world's methods, in Telegram's vocabulary.

use crate::Phone;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A Telegram user id (the acting account).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `inputChannel` / `inputPeerChannel`: a channel id with the access hash this user received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InputChannel {
    /// The bare channel id.
    pub channel_id: i64,
    /// The access hash the acting user got for it.
    pub access_hash: i64,
}

/// What kind of channel a group is (`channel` flags `megagroup`, `broadcast`, `gigagroup`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A supergroup (`megagroup`): members write, subject to rights.
    #[default]
    Supergroup,
    /// A broadcast channel: only admins post.
    Broadcast,
    /// A broadcast group (`gigagroup`): only admins post.
    Gigagroup,
}

/// One right a group's defaults (or a personal restriction) can ban
/// (`chatBannedRights` flags; the scenario spells them in snake case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// Reading the chat (a full ban).
    ViewMessages,
    /// Sending anything.
    SendMessages,
    /// Sending plain text.
    SendPlain,
    /// Sending media (photos, documents).
    SendMedia,
    /// Sending photos (layer 150's granular `send_photos`).
    SendPhotos,
    /// Sending documents (layer 150's granular `send_docs`).
    SendDocs,
    /// Sending videos (layer 150's granular `send_videos`).
    SendVideos,
    /// Sending links.
    EmbedLinks,
}

/// `chatBannedRights`: `true` means the right is banned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BannedRights {
    /// Cannot read the chat.
    pub view_messages: bool,
    /// Cannot send anything.
    pub send_messages: bool,
    /// Cannot send plain text.
    pub send_plain: bool,
    /// Cannot send media.
    pub send_media: bool,
    /// Cannot send photos (`send_photos`, layer 150:
    /// core.telegram.org/constructor/chatBannedRights).
    #[serde(default)]
    pub send_photos: bool,
    /// Cannot send documents (`send_docs`, layer 150).
    #[serde(default)]
    pub send_docs: bool,
    /// Cannot send videos (`send_videos`, layer 150).
    #[serde(default)]
    pub send_videos: bool,
    /// Cannot send links.
    pub embed_links: bool,
    /// Until when the restriction lasts (`None`: forever).
    pub until_date: Option<DateTime<Utc>>,
}

impl BannedRights {
    /// The rights banned by a scenario list.
    pub fn from_rights(rights: &[Right]) -> Self {
        let mut banned = Self::default();
        for right in rights {
            match right {
                Right::ViewMessages => banned.view_messages = true,
                Right::SendMessages => banned.send_messages = true,
                Right::SendPlain => banned.send_plain = true,
                Right::SendMedia => banned.send_media = true,
                Right::SendPhotos => banned.send_photos = true,
                Right::SendDocs => banned.send_docs = true,
                Right::SendVideos => banned.send_videos = true,
                Right::EmbedLinks => banned.embed_links = true,
            }
        }
        banned
    }

    /// The rights that a kick bans: everything.
    pub fn kicked() -> Self {
        Self {
            view_messages: true,
            send_messages: true,
            send_plain: true,
            send_media: true,
            send_photos: true,
            send_docs: true,
            send_videos: true,
            embed_links: true,
            until_date: None,
        }
    }

    /// The union of two sets of banned rights.
    pub fn union(self, other: Self) -> Self {
        Self {
            view_messages: self.view_messages || other.view_messages,
            send_messages: self.send_messages || other.send_messages,
            send_plain: self.send_plain || other.send_plain,
            send_media: self.send_media || other.send_media,
            send_photos: self.send_photos || other.send_photos,
            send_docs: self.send_docs || other.send_docs,
            send_videos: self.send_videos || other.send_videos,
            embed_links: self.embed_links || other.embed_links,
            until_date: self.until_date.or(other.until_date),
        }
    }
}

/// How a group vanishes at its vanish time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VanishKind {
    /// Admins made it private: the username is gone, non-members get CHANNEL_PRIVATE,
    /// members keep their access, invites keep working.
    BecamePrivate,
    /// The username was released (renamed): resolving it answers
    /// USERNAME_NOT_OCCUPIED; holders of an access hash keep their access.
    UsernameReleased,
    /// Deleted: every call answers CHANNEL_PRIVATE, invites INVITE_HASH_EXPIRED.
    Deleted,
}

/// A channel as one user sees it (`channel`, or `channelForbidden` when `forbidden`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelInfo {
    /// The bare channel id.
    pub id: i64,
    /// The access hash for the acting user.
    pub access_hash: i64,
    /// The title.
    pub title: String,
    /// The public username, if it has one now.
    pub username: Option<String>,
    /// Supergroup, broadcast channel or gigagroup.
    pub kind: ChannelKind,
    /// When the channel was created.
    pub date: DateTime<Utc>,
    /// Members, as Telegram reports it.
    pub participants_count: u32,
    /// The group's default banned rights.
    pub default_banned: BannedRights,
    /// The acting user's personal restriction, if restricted.
    pub my_banned: Option<BannedRights>,
    /// Non-members must join before writing (`join_to_send`).
    pub join_to_send: bool,
    /// Stars each message costs (`send_paid_messages_stars`); `None`: free.
    pub paid_stars: Option<u32>,
    /// Joining needs an admin's approval (`join_request`).
    pub join_request: bool,
    /// Slow mode is on (`slowmode_enabled`).
    pub slowmode_enabled: bool,
    /// Content is protected: forwards are forbidden (`noforwards`).
    pub noforwards: bool,
    /// A legacy basic group: Telegram shows a `chat`, not a `channel`.
    pub basic: bool,
    /// A forum (`channel.forum`).
    pub forum: bool,
    /// The acting user is not a member (`left`).
    pub left: bool,
    /// The acting user is an admin.
    pub admin: bool,
    /// The acting user was kicked: Telegram shows `channelForbidden`.
    pub forbidden: bool,
}

/// The acting user (`user` with `self` set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    /// The user id.
    pub id: UserId,
    /// The user's own access hash.
    pub access_hash: i64,
    /// First name.
    pub first_name: String,
    /// Last name, if any.
    pub last_name: Option<String>,
    /// Username, if any.
    pub username: Option<String>,
    /// Phone number (masked by `Debug`).
    pub phone: Phone,
}

/// What `messages.checkChatInvite` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatInvite {
    /// `chatInviteAlready`: the user is a member.
    Already(ChannelInfo),
    /// `chatInvite`: a preview for a non-member.
    Invite(InvitePreview),
}

/// `chatInvite`: what an invite shows a non-member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitePreview {
    /// The group's title.
    pub title: String,
    /// Supergroup, broadcast channel or gigagroup.
    pub kind: ChannelKind,
    /// A legacy basic group: the `chatInvite` has no `channel` flag.
    pub basic: bool,
    /// Joining sends a request an admin must approve.
    pub request_needed: bool,
    /// The group also has a public username.
    pub public: bool,
    /// Members, as Telegram reports it.
    pub participants_count: u32,
}

/// `forumTopic` (or `forumTopicDeleted` when `deleted`), as
/// `messages.getForumTopicsByID` answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForumTopic {
    /// The topic id (1: General).
    pub id: i32,
    /// The title.
    pub title: String,
    /// Closed: only members who manage topics may post (`forumTopic.closed`).
    pub closed: bool,
    /// No such topic (`forumTopicDeleted`).
    pub deleted: bool,
}

/// The acting user's participant record (`channelParticipant*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Participant {
    /// `channelParticipantAdmin`.
    Admin {
        /// When the user became an admin.
        since: DateTime<Utc>,
    },
    /// `channelParticipantSelf`.
    Member {
        /// When the user joined.
        since: DateTime<Utc>,
    },
    /// `channelParticipantBanned`: kicked (`left`) or restricted while a member.
    Banned {
        /// When the restriction started.
        since: DateTime<Utc>,
        /// Kicked out (no longer a member).
        left: bool,
        /// What is banned.
        rights: BannedRights,
    },
}

/// `channels.channelParticipant`: the participant and the channel as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelParticipant {
    /// The acting user's participant record.
    pub participant: Participant,
    /// The channel (`forbidden` when kicked).
    pub channel: ChannelInfo,
}

/// `channelFull` (with the channel from `messages.chatFull.chats`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelFull {
    /// The channel.
    pub channel: ChannelInfo,
    /// The description.
    pub about: String,
    /// Members, as Telegram reports it.
    pub participants_count: u32,
    /// Slow-mode interval, if enabled.
    pub slowmode_seconds: Option<u32>,
    /// When the acting user may send next under slow mode, if later than now.
    pub slowmode_next_send_date: Option<DateTime<Utc>>,
    /// The last message id the acting user marked read.
    pub read_inbox_max_id: i32,
    /// The newest message id.
    pub top_message_id: i32,
    /// Whether the channel has active stories.
    pub has_stories: bool,
    /// Reactions are disabled (`available_reactions = chatReactionsNone`).
    pub reactions_disabled: bool,
}

/// A text with its formatting entities. Entities are opaque to the world
/// (tg-sim may keep TL-serialized `MessageEntity` bytes here); they come back
/// unchanged in history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextBody {
    /// The text.
    pub text: String,
    /// Formatting entities, opaque.
    pub entities: Vec<u8>,
    /// The caller saw a `url` / `textUrl` entity: the text carries a link even
    /// if no URL is visible in it.
    pub has_link_entity: bool,
    /// Sent without a link preview (`messages.sendMessage` flag `no_webpage`).
    pub no_webpage: bool,
}

impl TextBody {
    /// Plain text without entities.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Whether the text carries a link (a URL in the text or a link entity).
    pub fn has_link(&self) -> bool {
        self.has_link_entity
            || ["http://", "https://", "t.me/", "www."]
                .iter()
                .any(|marker| self.text.contains(marker))
    }
}

/// Which kind of file a media message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// A compressed photo (`inputMediaUploadedPhoto`).
    Photo,
    /// A document (`inputMediaUploadedDocument`).
    Document,
    /// A video: a document with `documentAttributeVideo`
    /// (core.telegram.org/constructor/documentAttributeVideo).
    Video,
}

/// An uploaded file: its size and name are all the world keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedMedia {
    /// Photo or document.
    pub kind: MediaKind,
    /// The file name.
    pub file_name: String,
    /// The file size in bytes.
    pub size: u64,
}

/// What a message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageContent {
    /// A text message.
    Text(TextBody),
    /// A photo or document with a caption.
    Media {
        /// The file.
        media: UploadedMedia,
        /// The caption.
        caption: TextBody,
    },
}

impl MessageContent {
    /// The text or caption.
    pub fn text(&self) -> &TextBody {
        match self {
            Self::Text(body) | Self::Media { caption: body, .. } => body,
        }
    }

    /// Whether the message carries media.
    pub fn is_media(&self) -> bool {
        matches!(self, Self::Media { .. })
    }
}

/// `messageFwdHeader`: where a forwarded message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForwardHeader {
    /// The source channel.
    pub from_channel_id: i64,
    /// The message id in the source channel.
    pub from_message_id: i32,
    /// When the original was posted.
    pub date: DateTime<Utc>,
}

/// A message in a channel's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The message id within the channel.
    pub id: i32,
    /// The channel.
    pub channel_id: i64,
    /// When it was sent.
    pub date: DateTime<Utc>,
    /// The sender (`None`: posted as the channel).
    pub from_user: Option<UserId>,
    /// The acting user sent it.
    pub out: bool,
    /// Text or media.
    pub content: MessageContent,
    /// Set for forwards that keep the author.
    pub forward: Option<ForwardHeader>,
    /// When it was last edited (`message.edit_date`).
    pub edit_date: Option<DateTime<Utc>>,
    /// Messages of one album share it (`message.grouped_id`).
    pub grouped_id: Option<i64>,
    /// Its content is protected: no forwards, no copies (`message.noforwards`,
    /// set on every message of a channel with `noforwards`).
    pub noforwards: bool,
}

/// Which part of a history `messages.getHistory` returns
/// (https://core.telegram.org/method/messages.getHistory): start at the newest
/// message older than `offset_id` (0: the newest), skip `add_offset` elements
/// (negative: move toward newer messages), take `limit` (at most 100), keep only
/// ids in `(min_id, max_id)` (0: no bound).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryPage {
    /// Start below this id (0: from the newest).
    pub offset_id: i32,
    /// Elements to skip; negative values reach newer messages.
    pub add_offset: i32,
    /// How many (at most 100).
    pub limit: u32,
    /// Only ids above this (0: none).
    pub min_id: i32,
    /// Only ids below this (0: none).
    pub max_id: i32,
}

impl HistoryPage {
    /// The `limit` messages right after `after`, oldest first in the channel's order,
    /// the way a client reads a channel forward: `offset_id = after + 1`,
    /// `add_offset = -limit`, `min_id = after`.
    pub fn after(after: i32, limit: u32) -> Self {
        let limit = limit.min(100);
        Self {
            offset_id: after.saturating_add(1),
            add_offset: -i32::try_from(limit).unwrap_or(100),
            limit,
            min_id: after,
            max_id: 0,
        }
    }

    /// The newest `limit` messages.
    pub fn newest(limit: u32) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }
}

/// `messages.channelMessages`: a page of history, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// The messages, newest first.
    pub messages: Vec<Message>,
    /// How many messages the channel has in all.
    pub count: u32,
}

/// `storyItem`: an active story.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoryItem {
    /// The story id.
    pub id: i32,
    /// When it was posted.
    pub date: DateTime<Utc>,
    /// When it expires.
    pub expire_date: DateTime<Utc>,
    /// Its caption.
    pub caption: String,
}

/// `updates.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdatesState {
    /// Events the account caused so far.
    pub pts: i32,
    /// Secret-chat sequence (always 0).
    pub qts: i32,
    /// Update sequence (always 0).
    pub seq: i32,
    /// The server's time.
    pub date: DateTime<Utc>,
    /// Unread count (always 0).
    pub unread_count: i32,
}

/// `auth.sentCode`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentCode {
    /// The hash to pass back to `auth.signIn`.
    pub phone_code_hash: String,
    /// How many digits the code has.
    pub code_length: u32,
}
