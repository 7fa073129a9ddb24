//! The port traits.

use crate::{
    ChannelPost, ChatRights, JoinTarget, Me, MessageRef, OutgoingMessage, PeerRef, Resolved,
    ResolvedChat, SentMessage, TgResult,
};
use async_trait::async_trait;
use std::fmt::Debug;
use tgfleet_domain::{AccountId, GroupHandle};

/// Which account to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRef {
    /// The account's row id.
    pub id: AccountId,
    /// The account's label (session name), for logs.
    pub label: String,
}

/// Opens connections for accounts. Callers must hold the account's lease
/// (invariant 1): a connector never checks leases itself.
#[async_trait]
pub trait Connector: Send + Sync + Debug {
    /// Opens the account's connection, ready for calls.
    async fn connect(&self, account: &AccountRef) -> TgResult<Box<dyn TelegramAccount>>;
}

/// What one connected account can do. Every method is one Telegram request
/// (or a small fixed number of them); none of them sleeps on FloodWait: waits
/// come back as errors and the caller's policy decides.
#[async_trait]
pub trait TelegramAccount: Send + Sync + Debug {
    /// The logged-in user (`users.getUsers([inputUserSelf])`).
    async fn whoami(&self) -> TgResult<Me>;

    /// Resolves a username (`contacts.resolveUsername`) or checks an invite
    /// (`messages.checkChatInvite`).
    async fn resolve(&self, handle: &GroupHandle) -> TgResult<Resolved>;

    /// Joins a public group (`channels.joinChannel`) or imports an invite
    /// (`messages.importChatInvite`). `INVITE_REQUEST_SENT` ([`crate::JoinNote::RequestSent`]) when an admin must approve.
    async fn join(&self, target: &JoinTarget) -> TgResult<ResolvedChat>;

    /// The account's membership and rights in a group, for pre-checks and reviews.
    async fn rights(&self, peer: &PeerRef) -> TgResult<ChatRights>;

    /// Sends a message (text, media with caption, or a forward / copy) with this
    /// `random_id`: a repeated `random_id` never posts twice (Telegram keeps it), so
    /// callers derive it from what must be sent at most once.
    async fn send(
        &self,
        peer: &PeerRef,
        message: &OutgoingMessage,
        random_id: i64,
    ) -> TgResult<SentMessage>;

    /// The most recent messages of a chat, newest first (`messages.getHistory`).
    async fn recent_messages(&self, peer: &PeerRef, limit: u32) -> TgResult<Vec<MessageRef>>;

    /// Up to `limit` posts of a channel right after message `after`, oldest first
    /// (`messages.getHistory` with `offset_id = after + 1`, `add_offset = -limit`,
    /// `min_id = after`): how a relay reads its source, one small page per poll.
    async fn channel_posts(
        &self,
        peer: &PeerRef,
        after: i32,
        limit: u32,
    ) -> TgResult<Vec<ChannelPost>>;

    /// Forwards posts of `from` into `to` (`messages.forwardMessages`, one random id
    /// per message, derived by the caller from what must go at most once). Returns
    /// the new messages, in order.
    async fn forward(
        &self,
        from: &PeerRef,
        ids: &[i32],
        to: &PeerRef,
        random_ids: &[i64],
    ) -> TgResult<Vec<SentMessage>>;

    /// Marks a chat read up to `max_id` (`channels.readHistory`).
    async fn mark_read(&self, peer: &PeerRef, max_id: i32) -> TgResult<()>;

    /// Ids of a peer's active stories (`stories.getPeerStories`).
    async fn active_stories(&self, peer: &PeerRef) -> TgResult<Vec<i32>>;

    /// Marks a peer's stories viewed up to `max_id` (`stories.readStories`).
    async fn view_stories(&self, peer: &PeerRef, max_id: i32) -> TgResult<()>;

    /// Reacts to a message with an emoji (`messages.sendReaction`).
    async fn react(&self, peer: &PeerRef, message_id: i32, emoji: &str) -> TgResult<()>;

    /// Leaves a group (`channels.leaveChannel`).
    async fn leave(&self, peer: &PeerRef) -> TgResult<()>;

    /// Closes the connection. Further calls fail.
    async fn close(&self);
}
