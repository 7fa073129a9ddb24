//! Values crossing the port.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tgfleet_domain::GroupHandle;
use tgfleet_domain::post_outcome::{MemberStanding, Restrictions, WriteRights};

/// The kind of peer an access hash belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerKind {
    /// A channel or supergroup (`InputPeerChannel`).
    Channel,
    /// A legacy basic group (`InputPeerChat`, no access hash).
    Chat,
    /// A user (`InputPeerUser`).
    User,
}

impl PeerKind {
    /// The text stored in `memberships.peer_kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Chat => "chat",
            Self::User => "user",
        }
    }

    /// The kind for its stored text; `None` for a text this version does not know.
    pub fn from_stored(text: &str) -> Option<Self> {
        [Self::Channel, Self::Chat, Self::User]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// A resolved peer: what is stored per account (memberships.peer_id / access_hash)
/// so that a group is resolved once, never again on every use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeerRef {
    /// Telegram's bare id of the peer (channel id, chat id or user id).
    pub id: i64,
    /// The access hash this account received for the peer (0 for basic groups).
    pub access_hash: i64,
    /// Which input peer constructor the pair belongs to.
    pub kind: PeerKind,
}

/// What a group is, as far as posting goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// A supergroup where members may write (subject to rights).
    Supergroup,
    /// A broadcast channel: only admins post.
    Broadcast,
    /// A gigagroup (broadcast group): only admins post.
    Gigagroup,
    /// A legacy basic group.
    BasicGroup,
}

impl ChatKind {
    /// The text stored in `groups.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Supergroup => "supergroup",
            Self::Broadcast => "channel",
            Self::Gigagroup => "gigagroup",
            Self::BasicGroup => "basic_group",
        }
    }
}

/// A group or channel the account can address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedChat {
    /// The peer reference for this account.
    pub peer: PeerRef,
    /// The title shown in Telegram.
    pub title: String,
    /// Supergroup, channel, …
    pub kind: ChatKind,
    /// The public username, if any.
    pub username: Option<String>,
}

/// What an invite link shows before joining (`chatInvite`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitePreview {
    /// The group's title.
    pub title: String,
    /// Joining sends a request that an admin must approve.
    pub request_needed: bool,
    /// The invite leads to a broadcast channel.
    pub broadcast: bool,
    /// The invite leads to a legacy basic group: the `chatInvite` lacks the `channel`
    /// flag (core.telegram.org/constructor/chatInvite: `channel` "Whether this is a
    /// channel/supergroup or a normal group"; TDLib td/telegram/DialogInviteLinkManager.cpp
    /// reads `is_chat = !chat_invite->channel_`).
    #[serde(default)]
    pub basic_group: bool,
    /// Number of members, as Telegram reports it.
    pub participants: i32,
}

impl InvitePreview {
    /// What the invite leads to.
    pub fn kind(&self) -> ChatKind {
        if self.basic_group {
            ChatKind::BasicGroup
        } else if self.broadcast {
            ChatKind::Broadcast
        } else {
            ChatKind::Supergroup
        }
    }
}

/// The result of resolving a [`GroupHandle`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolved {
    /// A public username, or an invite of a group the account already belongs to.
    Chat(ResolvedChat),
    /// An invite of a group the account is not in yet.
    Invite(InvitePreview),
}

/// What to join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinTarget {
    /// A public group or channel already resolved (`channels.joinChannel`).
    Public(PeerRef),
    /// A private invite hash (`messages.importChatInvite`).
    Invite(String),
}

impl JoinTarget {
    /// The join target for a handle whose public peer (if any) is known.
    pub fn for_handle(handle: &GroupHandle, peer: Option<PeerRef>) -> Option<Self> {
        match (handle, peer) {
            (GroupHandle::Invite(hash), _) => Some(Self::Invite(hash.clone())),
            (GroupHandle::Username(_), Some(peer)) => Some(Self::Public(peer)),
            (GroupHandle::Username(_), None) => None,
        }
    }
}

/// The logged-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// Telegram user id.
    pub user_id: i64,
    /// First name.
    pub first_name: String,
    /// Username, if any.
    pub username: Option<String>,
    /// The phone number in full. Callers must mask it before logging or storing.
    pub phone: Option<String>,
}

/// The account's standing in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// A regular member (possibly restricted, see the banned rights).
    Member,
    /// An admin or the creator.
    Admin,
    /// Not a member.
    Left,
    /// Banned (kicked) from the group.
    Banned,
}

/// Rights that a group's defaults or an admin's restriction remove, one field per
/// flag of `chatBannedRights` (core.telegram.org/constructor/chatBannedRights).
/// `true` means the right is *banned* (Telegram's convention). Adapters fill the
/// granular rights as TDLib reads them ([`BannedRights::as_tdlib_reads`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannedRights {
    /// Cannot read (a ban).
    pub view_messages: bool,
    /// Cannot send anything (the legacy `send_messages`).
    pub send_messages: bool,
    /// Cannot send text messages (`send_plain`).
    pub send_plain: bool,
    /// Cannot send media (the legacy `send_media`: photos, documents, …).
    pub send_media: bool,
    /// Cannot send photos (`send_photos`).
    pub send_photos: bool,
    /// Cannot send videos (`send_videos`).
    #[serde(default)]
    pub send_videos: bool,
    /// Cannot send documents (`send_docs`).
    pub send_docs: bool,
    /// Cannot send music (`send_audios`).
    #[serde(default)]
    pub send_audios: bool,
    /// Cannot send voice notes (`send_voices`).
    #[serde(default)]
    pub send_voices: bool,
    /// Cannot send round videos (`send_roundvideos`).
    #[serde(default)]
    pub send_roundvideos: bool,
    /// Cannot send stickers (`send_stickers`).
    #[serde(default)]
    pub send_stickers: bool,
    /// Cannot send GIFs (`send_gifs`).
    #[serde(default)]
    pub send_gifs: bool,
    /// Cannot send polls (`send_polls`).
    #[serde(default)]
    pub send_polls: bool,
    /// Cannot use inline bots (`send_inline`).
    #[serde(default)]
    pub send_inline: bool,
    /// Cannot send games (`send_games`).
    #[serde(default)]
    pub send_games: bool,
    /// Cannot add link previews (`embed_links`).
    pub embed_links: bool,
    /// Until when a personal restriction lasts (`None`: forever or not applicable).
    pub until: Option<DateTime<Utc>>,
}

impl BannedRights {
    /// The rights as TDLib reads Telegram's `chatBannedRights` flags
    /// (`td/telegram/DialogParticipant.cpp`, `RestrictedRights(chatBannedRights)`
    /// reads the granular flags, which the server sets with a legacy one): a banned
    /// legacy `send_messages` bans every kind, a banned legacy `send_media` every
    /// kind of file; `raw` holds the flags as Telegram sent them.
    pub fn as_tdlib_reads(raw: Self) -> Self {
        let nothing = raw.send_messages;
        let media = nothing || raw.send_media;
        Self {
            send_plain: nothing || raw.send_plain,
            send_media: media,
            send_photos: media || raw.send_photos,
            send_videos: media || raw.send_videos,
            send_docs: media || raw.send_docs,
            send_audios: media || raw.send_audios,
            send_voices: media || raw.send_voices,
            send_roundvideos: media || raw.send_roundvideos,
            send_stickers: media || raw.send_stickers,
            send_gifs: media || raw.send_gifs,
            send_polls: media || raw.send_polls,
            send_inline: media || raw.send_inline,
            send_games: media || raw.send_games,
            embed_links: nothing || raw.embed_links,
            ..raw
        }
    }

    /// The domain's reading of these rights.
    pub fn restrictions(&self) -> Restrictions {
        Restrictions {
            view: self.view_messages,
            send: self.send_messages,
            plain: self.send_plain,
            media: self.send_media,
            photos: self.send_photos,
            videos: self.send_videos,
            docs: self.send_docs,
            audios: self.send_audios,
            voices: self.send_voices,
            round_videos: self.send_roundvideos,
            stickers: self.send_stickers,
            gifs: self.send_gifs,
            polls: self.send_polls,
            inline: self.send_inline,
            games: self.send_games,
            links: self.embed_links,
            until: self.until,
        }
    }
}

/// The membership and posting rights of the account in a group: everything the
/// marketer's pre-check and the reviewer need, from `channels.getParticipant`
/// and `channels.getFullChannel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatRights {
    /// Member, admin, left or banned.
    pub status: MemberStatus,
    /// Supergroup, broadcast channel, …
    pub kind: ChatKind,
    /// The account's personal restriction, if any.
    pub my_banned: Option<BannedRights>,
    /// The group's default banned rights.
    pub default_banned: BannedRights,
    /// Non-members must join before writing.
    pub join_to_send: bool,
    /// Stars each message of a non-admin costs (`send_paid_messages_stars`,
    /// core.telegram.org/api/paid-messages); `None`: free.
    #[serde(default)]
    pub paid_stars: Option<i64>,
    /// Slow-mode interval, if enabled.
    pub slow_mode_secs: Option<u32>,
    /// When this account may send next under slow mode (`None`: now).
    pub slow_mode_next_send_at: Option<DateTime<Utc>>,
    /// The group is a forum (`channel.forum`) whose General topic, where a message
    /// without a topic goes, is closed (`forumTopic.closed` of topic 1, read with
    /// `messages.getForumTopicsByID` as TDLib reads one topic:
    /// td/telegram/ForumTopicManager.cpp, `GetForumTopicQuery`).
    #[serde(default)]
    pub general_topic_closed: bool,
}

impl ChatRights {
    /// The one reading of the account's rights that the marketer's pre-check and the
    /// group-reviewer share (`tgfleet_domain::post_outcome::precheck` judges it):
    /// broadcast channels and gigagroups let only admins post.
    pub fn write_rights(&self) -> WriteRights {
        WriteRights {
            standing: match self.status {
                MemberStatus::Member => MemberStanding::Member,
                MemberStatus::Admin => MemberStanding::Admin,
                MemberStatus::Left => MemberStanding::Left,
                MemberStatus::Banned => MemberStanding::Banned,
            },
            members_write: matches!(self.kind, ChatKind::Supergroup | ChatKind::BasicGroup),
            mine: self
                .my_banned
                .as_ref()
                .map_or_else(Restrictions::default, BannedRights::restrictions),
            defaults: self.default_banned.restrictions(),
            join_to_send: self.join_to_send,
            paid: self.paid_stars.is_some_and(|stars| stars > 0),
            topic_closed: self.general_topic_closed,
            slow_mode_next_send_at: self.slow_mode_next_send_at,
        }
    }
}

/// How a text is formatted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    /// Sent as is.
    #[default]
    Plain,
    /// Markdown (bold, italic, links) converted to message entities.
    Markdown,
    /// HTML (`<b>`, `<i>`, `<a>`) converted to message entities.
    Html,
}

/// Which kind of file a media message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// A compressed photo.
    Photo,
    /// A document (any file).
    Document,
    /// A video (a document with `documentAttributeVideo`).
    Video,
}

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutgoingMessage {
    /// A text message.
    Text {
        /// The text, in `format`.
        text: String,
        /// How `text` is formatted.
        format: TextFormat,
        /// Telegram may show a preview of its first link (`false`: sent with
        /// `no_webpage`, as where the account lacks `embed_links`).
        link_preview: bool,
    },
    /// A photo or document with an optional caption.
    Media {
        /// Photo or document.
        kind: MediaKind,
        /// The file name shown to readers.
        file_name: String,
        /// The file's bytes (shared, so many posts reuse one load).
        bytes: Arc<Vec<u8>>,
        /// The caption, in `format`.
        caption: String,
        /// How `caption` is formatted.
        format: TextFormat,
    },
    /// A channel post copied as the account's own message: its text with its
    /// entities as they were, and its file re-sent by reference (`messages.sendMessage`
    /// or `messages.sendMedia` with `inputMediaPhoto` / `inputMediaDocument`), so it
    /// needs no forward right from the source.
    Copy {
        /// What the post shows.
        content: PostContent,
        /// Telegram may show a preview of the text's first link (`false`: sent with
        /// `no_webpage`, as where the account lacks `embed_links`). A caption has none.
        link_preview: bool,
    },
    /// Channel posts copied as one album of the account's own
    /// (`messages.sendMultiMedia`, one `inputSingleMedia` per file re-sent by
    /// reference, each with its caption and entities).
    Album(Vec<PostContent>),
    /// A post of a source channel: forwarded (keeps the author) or copied (`drop_author`).
    Forward {
        /// The source channel, resolved for this account.
        from: PeerRef,
        /// The message id in the source channel.
        message_id: i32,
        /// Copy instead of forward: the post appears as the account's own.
        drop_author: bool,
    },
}

impl OutgoingMessage {
    /// Whether the message carries media (so the media right matters).
    pub fn has_media(&self) -> bool {
        match self {
            Self::Media { .. } => true,
            Self::Copy { content, .. } => content.media.is_some(),
            Self::Album(_) => true,
            Self::Text { .. } | Self::Forward { .. } => false,
        }
    }

    /// The same message with its link preview off (`no_webpage`): what a text with a
    /// link becomes where the account may not embed links.
    pub fn without_link_preview(self) -> Self {
        match self {
            Self::Text { text, format, .. } => Self::Text {
                text,
                format,
                link_preview: false,
            },
            Self::Copy { content, .. } => Self::Copy {
                content,
                link_preview: false,
            },
            other => other,
        }
    }

    /// Whether the text or caption contains a link (so the embed-links right matters).
    pub fn has_link(&self) -> bool {
        let text = match self {
            Self::Text { text, .. } => text,
            Self::Media { caption, .. } => caption,
            Self::Copy { content, .. } => &content.text,
            Self::Album(_) | Self::Forward { .. } => return false,
        };
        ["http://", "https://", "t.me/", "www."]
            .iter()
            .any(|marker| text.contains(marker))
    }
}

/// A message Telegram accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    /// The new message's id in the group.
    pub message_id: i32,
    /// When Telegram dated it.
    pub date: DateTime<Utc>,
}

/// A message seen in a chat's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    /// The message id.
    pub id: i32,
    /// When it was sent.
    pub date: DateTime<Utc>,
    /// Whether this account sent it.
    pub outgoing: bool,
    /// The user who sent it (`None`: the channel itself, or unknown).
    pub sender: Option<i64>,
}

/// A photo or document as Telegram serves it in a message: re-sent by reference
/// (`inputMediaPhoto` / `inputMediaDocument`), never downloaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// Photo or document.
    pub kind: MediaKind,
    /// `photo.id` / `document.id`.
    pub id: i64,
    /// Its access hash.
    pub access_hash: i64,
    /// Its file reference (may expire; an empty one is valid in tests).
    pub file_reference: Vec<u8>,
}

/// What a channel post shows: what a copy re-sends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostContent {
    /// The text or caption.
    pub text: String,
    /// Its formatting entities, TL-serialized (`Vector<MessageEntity>`), sent back as
    /// they came; empty when none.
    pub entities: Vec<u8>,
    /// The photo or document, if any.
    pub media: Option<MediaRef>,
}

/// A post of a channel, as a relay reads it (`messages.getHistory`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPost {
    /// The message id in the channel.
    pub id: i32,
    /// When it was posted.
    pub date: DateTime<Utc>,
    /// When it was last edited.
    pub edit_date: Option<DateTime<Utc>>,
    /// What it shows.
    pub content: PostContent,
    /// Posts of one album share it.
    pub grouped_id: Option<i64>,
    /// Its content is protected: no forward, no `drop_author` copy.
    pub noforwards: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_channels_do_not_let_members_write() {
        let rights = ChatRights {
            status: MemberStatus::Member,
            kind: ChatKind::Broadcast,
            my_banned: None,
            default_banned: BannedRights {
                send_media: true,
                ..BannedRights::default()
            },
            join_to_send: false,
            paid_stars: None,
            slow_mode_secs: None,
            slow_mode_next_send_at: None,
            general_topic_closed: false,
        };
        let view = rights.write_rights();
        assert!(!view.members_write);
        assert!(view.defaults.media && !view.defaults.send);
        assert_eq!(view.mine, Restrictions::default());
    }

    #[test]
    fn legacy_flags_read_as_every_granular_one() {
        let media = BannedRights::as_tdlib_reads(BannedRights {
            send_media: true,
            ..BannedRights::default()
        });
        assert!(media.send_photos && media.send_videos && media.send_docs && media.send_audios);
        assert!(media.send_voices && media.send_roundvideos && media.send_stickers);
        assert!(media.send_gifs && media.send_polls && media.send_inline && media.send_games);
        assert!(!media.send_plain && !media.embed_links);
        let nothing = BannedRights::as_tdlib_reads(BannedRights {
            send_messages: true,
            ..BannedRights::default()
        });
        assert!(nothing.send_plain && nothing.send_media && nothing.embed_links);
        let videos = BannedRights {
            send_videos: true,
            ..BannedRights::default()
        }
        .restrictions();
        assert!(videos.videos && !videos.photos && !videos.media);
    }

    #[test]
    fn a_text_without_preview_keeps_its_words() {
        let text = OutgoingMessage::Text {
            text: "see https://example.com".into(),
            format: TextFormat::Plain,
            link_preview: true,
        };
        assert_eq!(
            text.without_link_preview(),
            OutgoingMessage::Text {
                text: "see https://example.com".into(),
                format: TextFormat::Plain,
                link_preview: false,
            }
        );
        let copy = OutgoingMessage::Copy {
            content: PostContent {
                text: "see t.me/bali_news".into(),
                ..PostContent::default()
            },
            link_preview: true,
        };
        assert!(copy.has_link());
        assert!(matches!(
            copy.without_link_preview(),
            OutgoingMessage::Copy {
                link_preview: false,
                ..
            }
        ));
    }
}
