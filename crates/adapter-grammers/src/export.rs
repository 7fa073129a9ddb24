//! Sessions out again, as the strings other libraries read, so operators are never
//! locked in: Telethon's `StringSession` and Pyrogram's (and kurigram's) session
//! string, the same layouts [`crate::import`] reads.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use secrecy::SecretString;
use std::net::{IpAddr, SocketAddr};
use tgfleet_store::AUTH_KEY_BYTES;

/// Telethon's `StringSession`: `1` + urlsafe base64 (padded) of `>B4sH256s` (IPv4)
/// or `>B16sH256s` (IPv6): DC id, address, port, auth key.
pub fn telethon_string(
    dc_id: u8,
    address: SocketAddr,
    auth_key: &[u8; AUTH_KEY_BYTES],
) -> SecretString {
    let mut bytes = vec![dc_id];
    match address.ip() {
        IpAddr::V4(ip) => bytes.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => bytes.extend_from_slice(&ip.octets()),
    }
    bytes.extend_from_slice(&address.port().to_be_bytes());
    bytes.extend_from_slice(auth_key);
    SecretString::from(format!("1{}", URL_SAFE.encode(bytes)))
}

/// What a Pyrogram session string records besides the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PyrogramFields {
    /// Home data centre.
    pub dc_id: u8,
    /// The application id (`api_id`).
    pub api_id: u32,
    /// Telegram's user id (0 when unknown).
    pub user_id: i64,
    /// A test-server session.
    pub test_mode: bool,
    /// A bot session.
    pub is_bot: bool,
}

/// Pyrogram 2.x's (and kurigram's) session string: urlsafe base64 without padding of
/// `>BI?256sQ?` (dc_id, api_id, test_mode, auth_key, user_id, is_bot).
pub fn pyrogram_string(fields: &PyrogramFields, auth_key: &[u8; AUTH_KEY_BYTES]) -> SecretString {
    let mut bytes = vec![fields.dc_id];
    bytes.extend_from_slice(&fields.api_id.to_be_bytes());
    bytes.push(u8::from(fields.test_mode));
    bytes.extend_from_slice(auth_key);
    bytes.extend_from_slice(&(fields.user_id as u64).to_be_bytes());
    bytes.push(u8::from(fields.is_bot));
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
}
