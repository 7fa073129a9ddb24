//! tg-sim: a simulated Telegram server speaking MTProto 2.0 over loopback, for the real
//! grammers 0.11 client.
//!
//! The wire layer ([`SimServer`]) handles transport framing, encryption with pre-shared auth
//! keys, sessions, containers, acks, compression, salts, pings and `help.getConfig`; a
//! [`Backend`] answers every other RPC call. Faults ([`Faults`]) drop connections, delay
//! answers or fail calls on demand.

pub mod admin;
pub mod backend;
pub mod crypto;
pub mod dc_config;
pub mod demo;
pub mod faults;
pub mod mtproto;
pub mod salts;
pub mod server;
pub mod srp;
pub mod transport;

mod connection;

pub use backend::{Backend, CallContext, ClientInfo, RpcCall, RpcError, RpcResponse};
pub use crypto::{AuthKey, AuthKeyId};
pub use faults::{FaultState, Faults};
pub use server::{ServerConfig, ServerHandle, ServerStats, SimServer};
