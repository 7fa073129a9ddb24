//! Reading the session files operators have today, so their accounts can join the
//! fleet without logging in again:
//!
//! | format            | what it is                                                              |
//! |-------------------|-------------------------------------------------------------------------|
//! | Telethon file     | SQLite, `sessions(dc_id, server_address, port, auth_key, takeout_id)`   |
//! | Telethon string   | `1` + urlsafe base64 of `>B4sH256s` (IPv4) or `>B16sH256s` (IPv6)       |
//! | Pyrogram file     | SQLite, `sessions(dc_id, [api_id,] test_mode, auth_key, date, user_id, is_bot)` |
//! | Pyrogram string   | urlsafe base64 of `>BI?256sQ?` (2.x), `>B?256sQ?` or `>B?256sI?` (older) |
//! | grammers file     | SQLite (grammers 0.8+), `dc_home(dc_id)`, `dc_option(dc_id, ipv4, ipv6, auth_key)` |
//! | grammers binary   | grammers-session 0.4 – 0.7's TL-serialized `session` (see `grammers_binary`) |
//!
//! Pyrogram keeps no server address: Telegram's known address of the DC is used
//! (grammers' table). Test-server and bot sessions are refused. The label of an
//! imported account is the file's stem. SQLite files are opened read-only; the
//! queries here read operators' files, not tgfleet's database.

#[cfg(feature = "fixtures")]
pub mod fixtures;
mod grammers_binary;
mod sqlite;
mod strings;

use grammers_session::SessionData;
use secrecy::{ExposeSecret, SecretBox};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use tgfleet_store::{AUTH_KEY_BYTES, StoredSession};

/// Which kind of file or string a session came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionFormat {
    /// Telethon's `.session` SQLite file.
    TelethonFile,
    /// Telethon's `StringSession`.
    TelethonString,
    /// Pyrogram's `.session` SQLite file.
    PyrogramFile,
    /// Pyrogram's session string.
    PyrogramString,
    /// grammers' SQLite session file.
    GrammersFile,
    /// grammers' older binary session file.
    GrammersBinary,
}

impl SessionFormat {
    /// The value stored in `account_sessions.source`.
    pub fn source(self) -> &'static str {
        match self {
            Self::TelethonFile => "telethon-file",
            Self::TelethonString => "telethon-string",
            Self::PyrogramFile => "pyrogram-file",
            Self::PyrogramString => "pyrogram-string",
            Self::GrammersFile | Self::GrammersBinary => "grammers",
        }
    }
}

impl fmt::Display for SessionFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TelethonFile => "Telethon file",
            Self::TelethonString => "Telethon string",
            Self::PyrogramFile => "Pyrogram file",
            Self::PyrogramString => "Pyrogram string",
            Self::GrammersFile => "grammers file",
            Self::GrammersBinary => "grammers binary file",
        })
    }
}

/// A session read from an operator's file. `Debug` never shows the auth key.
pub struct ParsedSession {
    /// The file it came from.
    pub file: PathBuf,
    /// The account label: the file's stem.
    pub label: String,
    /// What the file was.
    pub format: SessionFormat,
    /// The home data centre.
    pub dc_id: i32,
    /// `ip:port` of the home DC.
    pub server_address: SocketAddr,
    /// The 256-byte auth key.
    pub auth_key: SecretBox<[u8; AUTH_KEY_BYTES]>,
    /// Telegram's user id, when the file records it.
    pub user_id: Option<i64>,
    /// The account's phone, masked, when the file records it.
    pub phone_masked: Option<String>,
}

impl fmt::Debug for ParsedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedSession")
            .field("file", &self.file)
            .field("label", &self.label)
            .field("format", &self.format)
            .field("dc_id", &self.dc_id)
            .field("server_address", &self.server_address)
            .field("auth_key", &"[REDACTED]")
            .field("user_id", &self.user_id)
            .field("phone_masked", &self.phone_masked)
            .finish()
    }
}

impl ParsedSession {
    /// The session as the store keeps it.
    pub fn to_stored(&self) -> StoredSession {
        StoredSession {
            dc_id: self.dc_id,
            server_address: self.server_address.to_string(),
            auth_key: SecretBox::new(Box::new(*self.auth_key.expose_secret())),
            source: self.format.source().to_owned(),
        }
    }
}

/// A file that could not be imported, and why (never quoting its contents).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportProblem {
    /// The file.
    pub file: PathBuf,
    /// Why.
    pub reason: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.reason)
    }
}

/// What was found under a path.
#[derive(Debug, Default)]
pub struct Scan {
    /// Sessions read successfully, ordered by file name.
    pub sessions: Vec<ParsedSession>,
    /// Files that are sessions of no known format, or broken.
    pub problems: Vec<ImportProblem>,
    /// Files in a folder that are not session files at all (by extension).
    pub skipped: Vec<PathBuf>,
}

/// Extensions read when scanning a folder; a single file is read whatever its name.
pub const SESSION_EXTENSIONS: [&str; 6] = ["session", "sqlite", "db", "bin", "txt", "string"];

/// Reads one file, or every session file of a folder (not recursing).
pub fn scan(path: &Path) -> Result<Scan, ImportProblem> {
    let problem = |reason: String| ImportProblem {
        file: path.to_owned(),
        reason,
    };
    let metadata = std::fs::metadata(path).map_err(|err| problem(io_reason(&err)))?;
    let mut scan = Scan::default();
    if !metadata.is_dir() {
        match read_file(path) {
            Ok(session) => scan.sessions.push(session),
            Err(reason) => scan.problems.push(problem(reason)),
        }
        return Ok(scan);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|err| problem(io_reason(&err)))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|file| file.is_file())
        .collect();
    files.sort();
    for file in files {
        let hidden = file
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with('.'));
        let extension = file
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if hidden || !SESSION_EXTENSIONS.contains(&extension.as_str()) {
            scan.skipped.push(file);
            continue;
        }
        match read_file(&file) {
            Ok(session) => scan.sessions.push(session),
            Err(reason) => scan.problems.push(ImportProblem { file, reason }),
        }
    }
    Ok(scan)
}

/// What a reader found in a file, before the label is attached.
pub(crate) struct Found {
    pub format: SessionFormat,
    pub dc_id: i32,
    pub server_address: SocketAddr,
    pub auth_key: SecretBox<[u8; AUTH_KEY_BYTES]>,
    pub user_id: Option<i64>,
    pub phone_masked: Option<String>,
}

/// Reads one session file: SQLite or grammers binary (by their first bytes), or a
/// session string.
pub fn read_file(file: &Path) -> Result<ParsedSession, String> {
    let label = label_of(file)?;
    let bytes = std::fs::read(file).map_err(|err| io_reason(&err))?;
    let found = if bytes.starts_with(sqlite::HEADER) {
        sqlite::read(file)?
    } else if grammers_binary::is_grammers_binary(&bytes) {
        grammers_binary::read(&bytes)?
    } else {
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            "neither an SQLite session file nor a session string (not UTF-8 text)".to_owned()
        })?;
        strings::read(text)?
    };
    Ok(ParsedSession {
        file: file.to_owned(),
        label,
        format: found.format,
        dc_id: found.dc_id,
        server_address: found.server_address,
        auth_key: found.auth_key,
        user_id: found.user_id,
        phone_masked: found.phone_masked,
    })
}

/// The account label of a file: its stem, which must be a valid label.
fn label_of(file: &Path) -> Result<String, String> {
    let stem = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .ok_or_else(|| "the file name is not valid UTF-8".to_owned())?;
    let valid = (1..=64).contains(&stem.len())
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(stem.to_owned())
    } else {
        Err(format!(
            "the file name {stem:?} is not a valid account label (1-64 characters of A-Z, a-z, 0-9, _, . and -)"
        ))
    }
}

fn io_reason(err: &std::io::Error) -> String {
    format!("cannot read: {}", err.kind())
}

/// A 256-byte auth key, or why not.
pub(crate) fn auth_key(bytes: &[u8]) -> Result<SecretBox<[u8; AUTH_KEY_BYTES]>, String> {
    if bytes.is_empty() {
        return Err("the session has no auth key (it never connected)".to_owned());
    }
    SecretBox::try_init_with(|| <[u8; AUTH_KEY_BYTES]>::try_from(bytes)).map_err(|_| {
        format!(
            "the auth key has {} bytes, expected {AUTH_KEY_BYTES}",
            bytes.len()
        )
    })
}

/// Telegram's production address of a data centre (Pyrogram stores none).
pub(crate) fn known_dc_address(dc_id: i32) -> Result<SocketAddr, String> {
    SessionData::default()
        .dc_options
        .get(&dc_id)
        .map(|option| SocketAddr::V4(option.ipv4))
        .ok_or_else(|| format!("unknown data centre {dc_id} (Telegram has 1-5)"))
}

/// `ip` and `port` as a socket address, or why not.
pub(crate) fn socket_address(ip: IpAddr, port: i64) -> Result<SocketAddr, String> {
    let port = u16::try_from(port)
        .ok()
        .filter(|port| *port != 0)
        .ok_or_else(|| format!("invalid port {port}"))?;
    Ok(SocketAddr::new(ip, port))
}

/// Checks a data centre id is plausible.
pub(crate) fn dc_id(value: i64) -> Result<i32, String> {
    i32::try_from(value)
        .ok()
        .filter(|dc| (1..=1000).contains(dc))
        .ok_or_else(|| format!("invalid data centre id {value}"))
}
