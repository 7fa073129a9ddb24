//! tg-sim: a simulated Telegram server speaking MTProto 2.0 over loopback, for the real
//! grammers 0.11 client and other clients of layers 229–230 (Telethon 1.45).
//!
//! # Layers
//!
//! * [`transport`] — the TCP transports, told apart by their first bytes: full (length,
//!   sequence number, CRC32), abridged, intermediate and padded intermediate.
//! * [`crypto`] — MTProto 2.0 AES-IGE with pre-shared 256-byte auth keys ([`AuthKey`]); no
//!   key exchange is offered, so an unknown key (or an unencrypted message) gets transport
//!   error `-404`, which grammers reports as `InvocationError::Transport(BadStatus { status: 404 })`.
//! * [`mtproto`] — messages, `msg_container`, `gzip_packed`, `rpc_result`, server message ids.
//! * `connection` — one task per connection: sessions (`new_session_created`), acks, pings
//!   (`ping_delay_disconnect` closes the connection when no ping follows), salts
//!   ([`salts`]: any salt is accepted, `get_future_salts` is answered bare), bad-message
//!   notifications (msg_id parity and time window, seq_no parity), `destroy_session`,
//!   `rpc_drop_answer`, unwrapping of `invokeWithLayer` / `initConnection` /
//!   `invokeWithoutUpdates` / `invokeAfterMsg(s)`, `help.getConfig` ([`dc_config`]), faults.
//! * [`server`] — [`SimServer`]: bind, key registry, fault switches, statistics, shutdown.
//!
//! # The seam
//!
//! Everything else is a [`Backend`]:
//!
//! ```text
//! pub trait Backend: Send + Sync + 'static {
//!     fn handle(&self, ctx: &CallContext, call: &RpcCall) -> Result<Vec<u8>, RpcError>;
//!     fn find_auth_key(&self, id: AuthKeyId) -> Option<AuthKey> { None }
//! }
//! ```
//!
//! [`CallContext::auth_key_id`] names the key the call arrived on; a backend binds that key to
//! a user when `auth.signIn` / `auth.checkPassword` succeed and looks the user up on every
//! later call (answering `401 AUTH_KEY_UNREGISTERED` for keys signed in as nobody).
//! [`RpcCall::serve`] decodes a typed function and serializes the typed answer; errors are
//! [`RpcError`]s with Telegram's names and values (`RpcError::flood_wait(31)` is
//! `420 FLOOD_WAIT_31`), and calls a backend does not serve are
//! [`RpcError::method_invalid`]. [`srp`] holds the server side of 2FA login and [`demo`] a
//! small backend built on all of it.
//!
//! # The world
//!
//! [`WorldBackend`] serves a [`tg_world::World`] (module [`world_backend`]: every method the
//! tgfleet port uses, in the TL shapes real Telegram sends, the world's rules surfacing as
//! Telegram's RPC errors, logins of signed-out accounts with SRP 2FA), reading time from a
//! [`SimClock`]: [`ScaledClock`] (`epoch + (real_now - epoch) * scale`, the formula of
//! tgfleet's scaled service clock) or [`ManualClock`] in tests. [`provision`] writes a Telethon
//! string session per scenario account plus `accounts.json` for `tgfleet accounts import`;
//! [`generate`] builds scenarios from tg-world's generator for `tg-sim generate`.
//!
//! # Faults
//!
//! [`Faults`] (via [`ServerHandle::faults`], or the [`admin`] HTTP endpoint of the binary)
//! drop every connection, refuse the next N connections, drop the connection of the next N
//! calls, delay every answer, or fail the next N calls with `500 INTERNAL`. The admin endpoint
//! also serves the world's ledger (`GET /ledger`): every message, join, leave and reaction the
//! world accepted, for harnesses that compare it with a database.

pub mod admin;
pub mod backend;
pub mod clock;
pub mod crypto;
pub mod dc_config;
pub mod demo;
pub mod faults;
pub mod generate;
pub mod mtproto;
pub mod provision;
pub mod salts;
pub mod server;
pub mod srp;
pub mod transport;
pub mod world_backend;

mod connection;
mod shapes;

pub use backend::{
    Backend, CallContext, ClientInfo, RpcCall, RpcError, RpcResponse, SERVED_LAYERS,
};
pub use clock::{ManualClock, ScaledClock, SimClock};
pub use crypto::{AuthKey, AuthKeyId};
pub use faults::{FaultState, Faults};
pub use server::{ServerConfig, ServerHandle, ServerStats, SimServer};
pub use world_backend::{SharedWorld, WorldBackend};
