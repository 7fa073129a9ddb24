//! Session files for the fleet, written by `tg-sim --provision-dir DIR` and read by
//! `tgfleet accounts import DIR`.
//!
//! * `DIR/<label>.txt` (mode 0600): the account's Telethon string session pointing at tg-sim:
//!   `'1'` followed by the URL-safe base64 (with padding) of the big-endian struct
//!   `>B4sH256s` — DC id, IPv4 address bytes, port, the 256-byte auth key (`>B16sH256s` for
//!   an IPv6 address). Every scenario account gets one; a signed-out account's key is known
//!   to tg-sim but bound to nobody until `auth.signIn`.
//! * `DIR/accounts.json` (mode 0600): [`ProvisionIndex`] — the server address, the DC id and per
//!   account its label, masked phone, user id, `signed_out` flag and session file name.
//!   No keys, codes or passwords.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use serde::{Deserialize, Serialize};
use tg_world::Scenario;

/// The version prefix of Telethon's string sessions.
pub const TELETHON_VERSION: char = '1';
/// The name of the index file.
pub const INDEX_FILE: &str = "accounts.json";

/// What a Telethon string session holds. `Debug` does not print the key.
#[derive(Clone, PartialEq, Eq)]
pub struct TelethonSession {
    /// The DC the session belongs to.
    pub dc_id: u8,
    /// The server address.
    pub address: SocketAddr,
    /// The 256-byte auth key.
    pub auth_key: [u8; 256],
}

impl fmt::Debug for TelethonSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelethonSession")
            .field("dc_id", &self.dc_id)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl TelethonSession {
    /// The string session: `'1'` + URL-safe base64 of `>B4sH256s` (or `>B16sH256s`).
    pub fn encode(&self) -> String {
        let mut packed = vec![self.dc_id];
        match self.address.ip() {
            IpAddr::V4(ip) => packed.extend_from_slice(&ip.octets()),
            IpAddr::V6(ip) => packed.extend_from_slice(&ip.octets()),
        }
        packed.extend_from_slice(&self.address.port().to_be_bytes());
        packed.extend_from_slice(&self.auth_key);
        format!("{TELETHON_VERSION}{}", URL_SAFE.encode(packed))
    }

    /// Parses a string session (surrounding whitespace is ignored).
    pub fn decode(text: &str) -> Result<Self, SessionStringError> {
        let text = text.trim();
        let body = text
            .strip_prefix(TELETHON_VERSION)
            .ok_or(SessionStringError::Version)?;
        let packed = URL_SAFE
            .decode(body)
            .map_err(|_| SessionStringError::Base64)?;
        let ip_len = match packed.len() {
            263 => 4,
            275 => 16,
            other => return Err(SessionStringError::Length(other)),
        };
        let ip = &packed[1..1 + ip_len];
        let ip = match ip_len {
            4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(ip).expect("4 bytes"))),
            _ => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(ip).expect("16 bytes"))),
        };
        let port = u16::from_be_bytes([packed[1 + ip_len], packed[2 + ip_len]]);
        let auth_key = <[u8; 256]>::try_from(&packed[3 + ip_len..]).expect("256 bytes");
        Ok(Self {
            dc_id: packed[0],
            address: SocketAddr::new(ip, port),
            auth_key,
        })
    }
}

/// Why a string session did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionStringError {
    /// It does not start with `1`.
    #[error("not a Telethon string session: it must start with '{TELETHON_VERSION}'")]
    Version,
    /// The rest is not URL-safe base64.
    #[error("not a Telethon string session: the text after the version is not URL-safe base64")]
    Base64,
    /// The decoded struct has the wrong size.
    #[error("not a Telethon string session: {0} bytes decoded, expected 263 (IPv4) or 275 (IPv6)")]
    Length(usize),
}

/// `accounts.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionIndex {
    /// Where clients reach tg-sim (`127.0.0.1:PORT`, or the `--advertise` address).
    pub server: SocketAddr,
    /// The DC id in every session.
    pub dc_id: u8,
    /// One entry per scenario account, in scenario order.
    pub accounts: Vec<ProvisionedAccount>,
}

/// One account of `accounts.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionedAccount {
    /// The scenario label (the session name tgfleet uses).
    pub label: String,
    /// The phone number, masked (`+62*********01`).
    pub phone_masked: String,
    /// The Telegram user id.
    pub user_id: i64,
    /// The key is not signed in yet: log in with `tgfleet accounts login LABEL --phone ...`.
    pub signed_out: bool,
    /// The session file, relative to the directory (`<label>.txt`).
    pub session_file: String,
}

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// A label cannot be a file name.
    #[error(
        "scenario field `accounts[{index}].label`: {label:?} cannot name a session file (use letters, digits, `-`, `_` and `.`, not starting with `.`)"
    )]
    Label {
        /// The account's position.
        index: usize,
        /// The label.
        label: String,
    },
    /// The address has no IP a session can store.
    #[error("cannot provision sessions for {0}: the server address must be IPv4 or IPv6")]
    Address(SocketAddr),
    /// The DC id does not fit a session.
    #[error("cannot provision sessions: DC id {0} does not fit in a byte")]
    DcId(i32),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
}

/// Writes a session file per scenario account and `accounts.json` into `dir` (created if
/// missing), for a tg-sim reachable at `address` as DC `dc_id`. Checks every label before
/// writing anything.
pub fn provision(
    dir: &Path,
    scenario: &Scenario,
    address: SocketAddr,
    dc_id: i32,
) -> Result<ProvisionIndex, ProvisionError> {
    let dc_id = u8::try_from(dc_id).map_err(|_| ProvisionError::DcId(dc_id))?;
    for (index, account) in scenario.accounts.iter().enumerate() {
        if !is_file_name(&account.label) {
            return Err(ProvisionError::Label {
                index,
                label: account.label.clone(),
            });
        }
    }
    fs::create_dir_all(dir).map_err(|source| ProvisionError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut accounts = Vec::with_capacity(scenario.accounts.len());
    for (index, account) in scenario.accounts.iter().enumerate() {
        let key = scenario
            .preshared_auth_key(&account.label)
            .expect("every scenario account has a pre-shared key");
        let session = TelethonSession {
            dc_id,
            address,
            auth_key: *key.expose_bytes(),
        };
        let session_file = format!("{}.txt", account.label);
        write_file_private(&dir.join(&session_file), session.encode().as_bytes())?;
        accounts.push(ProvisionedAccount {
            label: account.label.clone(),
            phone_masked: account.phone.masked(),
            user_id: scenario.user_id(index),
            signed_out: account.signed_out,
            session_file,
        });
    }
    let index = ProvisionIndex {
        server: address,
        dc_id,
        accounts,
    };
    let json = serde_json::to_vec_pretty(&index).expect("the index serializes");
    write_file_private(&dir.join(INDEX_FILE), &json)?;
    Ok(index)
}

/// Whether a label is safe as a file name in the provisioning directory.
fn is_file_name(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('.')
        && label
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Writes `contents` to `path`, readable and writable by the owner only.
pub fn write_file_private(path: &Path, contents: &[u8]) -> Result<(), ProvisionError> {
    let io_error = |source| ProvisionError::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path).map_err(io_error)?;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io_error)?;
        file.write_all(contents).map_err(io_error)
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path).map_err(io_error)?;
        file.write_all(contents).map_err(io_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(address: &str) -> TelethonSession {
        let mut auth_key = [0u8; 256];
        for (i, byte) in auth_key.iter_mut().enumerate() {
            *byte = i as u8;
        }
        TelethonSession {
            dc_id: 2,
            address: address.parse().unwrap(),
            auth_key,
        }
    }

    #[test]
    fn string_sessions_have_telethons_layout_and_round_trip() {
        let ipv4 = session("127.0.0.1:4431");
        let text = ipv4.encode();
        assert_eq!(
            text.len(),
            353,
            "'1' + 352 base64 characters, as Telethon checks"
        );
        assert!(text.starts_with('1'));
        let packed = URL_SAFE.decode(&text[1..]).unwrap();
        assert_eq!(&packed[..7], &[2, 127, 0, 0, 1, 0x11, 0x4f]);
        assert_eq!(TelethonSession::decode(&format!("{text}\n")).unwrap(), ipv4);

        let ipv6 = session("[::1]:4431");
        assert_eq!(TelethonSession::decode(&ipv6.encode()).unwrap(), ipv6);
        assert!(!format!("{ipv4:?}").contains("auth_key"));
    }

    #[test]
    fn malformed_string_sessions_say_why() {
        assert_eq!(
            TelethonSession::decode("2abc"),
            Err(SessionStringError::Version)
        );
        assert_eq!(
            TelethonSession::decode("1***"),
            Err(SessionStringError::Base64)
        );
        assert_eq!(
            TelethonSession::decode("1AAAA"),
            Err(SessionStringError::Length(3))
        );
    }

    #[test]
    fn labels_must_be_plain_file_names() {
        for good in ["ayu", "acc0001", "team-a.7", "pénélope"] {
            assert!(is_file_name(good), "{good}");
        }
        for bad in ["", ".", "..", ".hidden", "a/b", "a\\b", "a b", "x\0"] {
            assert!(!is_file_name(bad), "{bad:?}");
        }
    }
}
