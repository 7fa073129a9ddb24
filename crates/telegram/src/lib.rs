//! The Telegram port: one async trait for what one account can do
//! ([`TelegramAccount`]), one way to open an account's connection ([`Connector`]),
//! and one error taxonomy ([`TgError`]) with the single table that maps
//! Telegram's RPC error names onto it ([`TgError::from_rpc`]).
//!
//! Services depend on this crate only; the adapters (grammers, the in-process
//! simulator) implement it.

mod error;
mod port;
mod timed;
mod types;

pub use error::{TgError, TgResult};
pub use port::{AccountRef, Connector, TelegramAccount};
pub use timed::{Timed, TimedConnector};
pub use types::{
    BannedRights, ChatKind, ChatRights, InvitePreview, JoinTarget, Me, MediaKind, MemberStatus,
    MessageRef, OutgoingMessage, PeerKind, PeerRef, Resolved, ResolvedChat, SentMessage,
    TextFormat,
};
