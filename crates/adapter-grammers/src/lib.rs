//! The production Telegram port over grammers-client 0.11, with sessions stored in Postgres.
//!
//! * [`GrammersConnector`] opens an account's connection: its session from
//!   `account_sessions` ([`PgSession`], the auth key sealed at rest), its SOCKS5 proxy,
//!   one grammers sender pool per connection with automatic FloodWait sleeps off
//!   (`NoRetries`), updates never consumed, the pool runner's panics contained to the
//!   account. Callers hold the account's lease; the connector does not check it.
//! * Every port method is a raw TL request; a call whose connection died is retried
//!   once on a fresh connection after a short, growing pause; RPC errors are never
//!   retried and map onto the port through [`map_invocation_error`] and the one RPC
//!   table (`TgError::from_rpc`).
//! * [`login`] signs an account in (code, 2FA password); [`import`] reads operators'
//!   Telethon, Pyrogram, kurigram and grammers session files and strings, JSON
//!   sidecars and Telegram Desktop `tdata`; [`export`] writes Telethon and Pyrogram
//!   session strings.
//!
//! Nothing here logs or prints an auth key, the api_hash, a phone number or a password.

mod account;
mod connector;
mod convert;
mod device;
mod error;
pub mod export;
pub mod import;
pub mod login;
mod pool;
mod send;
mod session;
#[cfg(feature = "fixtures")]
pub mod testing;

pub use account::ReconnectBackoff;
pub use connector::{DEFAULT_UPLOAD_TIMEOUT, GrammersConfig, GrammersConnector, check_proxy_url};
pub use error::map_invocation_error;
pub use session::{PgSession, SessionError};
