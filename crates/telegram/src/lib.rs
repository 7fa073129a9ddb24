//! The Telegram port: one async trait for what one account can do
//! ([`TelegramAccount`]), one way to open an account's connection ([`Connector`]),
//! and the errors of its calls: [`TgError`], the domain's classification of who an
//! answer is about, with the one table from RPC names ([`TgError::from_rpc`]).
//!
//! Services depend on this crate only; the adapters (grammers, the in-process
//! simulator) implement it.

mod port;
mod timed;
mod types;

pub use port::{AccountRef, Connector, TelegramAccount};
pub use tgfleet_domain::tg_error::{
    About, AccountAnswer, CallAnswer, ContentKind, GroupAnswer, JoinNote, MembershipAnswer,
    TgError, TgResult, WaitKind,
};
pub use timed::{Timed, TimedConnector};
pub use types::{
    BannedRights, ChannelPost, ChatKind, ChatRights, InvitePreview, JoinTarget, Me, MediaKind,
    MediaRef, MemberStatus, MessageRef, OutgoingMessage, PeerKind, PeerRef, PostContent, Resolved,
    ResolvedChat, SentMessage, TextFormat,
};
