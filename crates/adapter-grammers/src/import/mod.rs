//! Reading the session files operators have today, so their accounts can join the
//! fleet without logging in again:
//!
//! | format            | what it is                                                              |
//! |-------------------|-------------------------------------------------------------------------|
//! | Telethon file     | SQLite, `sessions(dc_id, server_address, port, auth_key, takeout_id)`   |
//! | Telethon string   | `1` + urlsafe base64 of `>B4sH256s` (IPv4) or `>B16sH256s` (IPv6)       |
//! | Pyrogram file     | SQLite, `sessions(dc_id, [api_id,] test_mode, auth_key, date, user_id, is_bot)` |
//! | kurigram file     | Pyrogram's, plus `server_address` and `port` (kurigram 2.2, schema 7)   |
//! | Pyrogram string   | urlsafe base64 of `>BI?256sQ?` (2.x), `>B?256sQ?` or `>B?256sI?` (older) |
//! | grammers file     | SQLite (grammers 0.8+), `dc_home(dc_id)`, `dc_option(dc_id, ipv4, ipv6, auth_key)` |
//! | grammers binary   | grammers-session 0.4 – 0.7's TL-serialized `session` (see `grammers_binary`) |
//! | tdata             | Telegram Desktop's folder, every account in it (see [`tdata`])          |
//! | tdata zip         | such a folder in a zip archive (see [`tdata_zip`])                      |
//!
//! Pyrogram keeps no server address: Telegram's known address of the DC is used
//! (grammers' table). Test-server and bot sessions are refused (Telethon records
//! neither flag: see `sqlite`). The label of an imported account is the file's stem.
//! A `<stem>.json` sidecar and a folder's `2fa.txt` add the device parameters and
//! the 2FA password (`sidecar`). SQLite files are opened read-only; the queries here
//! read operators' files, not tgfleet's database.

#[cfg(feature = "fixtures")]
pub mod fixtures;
mod grammers_binary;
mod sidecar;
mod sqlite;
mod strings;
pub mod tdata;
pub mod tdata_zip;

use grammers_session::SessionData;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use tgfleet_domain::mask_phone;
use tgfleet_store::{AUTH_KEY_BYTES, DeviceParams, SessionImport, StoredSession};

/// Which kind of file or string a session came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionFormat {
    /// Telethon's `.session` SQLite file.
    TelethonFile,
    /// Telethon's `StringSession`.
    TelethonString,
    /// Pyrogram's `.session` SQLite file.
    PyrogramFile,
    /// kurigram's `.session` SQLite file (Pyrogram's with the server address).
    KurigramFile,
    /// Pyrogram's session string.
    PyrogramString,
    /// grammers' SQLite session file.
    GrammersFile,
    /// grammers' older binary session file.
    GrammersBinary,
    /// An account of Telegram Desktop's `tdata` folder.
    Tdata,
}

impl SessionFormat {
    /// The value stored in `account_sessions.source`.
    pub fn source(self) -> &'static str {
        match self {
            Self::TelethonFile => "telethon-file",
            Self::TelethonString => "telethon-string",
            Self::PyrogramFile => "pyrogram-file",
            Self::KurigramFile => "kurigram-file",
            Self::PyrogramString => "pyrogram-string",
            Self::GrammersFile | Self::GrammersBinary => "grammers",
            Self::Tdata => "tdata",
        }
    }
}

impl fmt::Display for SessionFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TelethonFile => "Telethon file",
            Self::TelethonString => "Telethon string",
            Self::PyrogramFile => "Pyrogram file",
            Self::KurigramFile => "kurigram file",
            Self::PyrogramString => "Pyrogram string",
            Self::GrammersFile => "grammers file",
            Self::GrammersBinary => "grammers binary file",
            Self::Tdata => "tdata",
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
    /// The device parameters of a JSON sidecar, if there was one.
    pub device: Option<DeviceParams>,
    /// The 2FA password of a sidecar or `2fa.txt`, if there was one.
    pub password: Option<SecretString>,
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
            .field("device", &self.device)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
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

    /// The session as the store imports it.
    pub fn to_import(&self) -> SessionImport {
        SessionImport {
            label: self.label.clone(),
            session: self.to_stored(),
            phone_masked: self.phone_masked.clone(),
            telegram_user_id: self.user_id,
            device: self.device.clone(),
            password: self.password.clone(),
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
    /// Files that are sessions of no known format, or broken, and entries that look
    /// like session files but cannot be read (dangling symlinks, loops, folders).
    pub problems: Vec<ImportProblem>,
    /// Entries of a folder that are not session files at all, with the reason.
    pub skipped: Vec<ImportProblem>,
}

/// Extensions read when scanning a folder; a single file is read whatever its name.
pub const SESSION_EXTENSIONS: [&str; 6] = ["session", "sqlite", "db", "bin", "txt", "string"];

/// Reads one file, or every session file of a folder (not recursing).
pub fn scan(path: &Path) -> Result<Scan, ImportProblem> {
    scan_with_progress(path, |_, _| {})
}

/// [`scan`], calling `progress(done, total)` after each session file of a folder.
pub fn scan_with_progress(
    path: &Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<Scan, ImportProblem> {
    let problem = |reason: String| ImportProblem {
        file: path.to_owned(),
        reason,
    };
    let metadata = std::fs::metadata(path).map_err(|err| problem(unreadable(path, &err)))?;
    let mut scan = Scan::default();
    if !metadata.is_dir() {
        let two_fa = path.parent().map(|dir| dir.join(sidecar::TWO_FA_FILE));
        match read_with_sidecars(path, two_fa.as_deref().filter(|file| file.is_file())) {
            Ok(session) => scan.sessions.push(session),
            Err(reason) => scan.problems.push(problem(reason)),
        }
        return Ok(scan);
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|err| problem(unreadable(path, &err)))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    let stems: HashSet<String> = entries
        .iter()
        .filter(|entry| is_session_name(entry))
        .filter_map(|entry| entry.file_stem()?.to_str().map(str::to_owned))
        .collect();
    let two_fa = path.join(sidecar::TWO_FA_FILE);
    let two_fa = two_fa.is_file().then_some(two_fa);
    let mut files = Vec::new();
    for entry in entries {
        let name = file_name(&entry);
        let skip = |reason: &str| ImportProblem {
            file: entry.clone(),
            reason: reason.to_owned(),
        };
        if name.starts_with('.') {
            scan.skipped.push(skip("a hidden file"));
            continue;
        }
        let target = match std::fs::metadata(&entry) {
            Ok(target) => target,
            Err(err) => {
                let reason = unreadable(&entry, &err);
                scan.problems.push(ImportProblem {
                    file: entry,
                    reason,
                });
                continue;
            }
        };
        let sidecar = Some(&entry) == two_fa.as_ref()
            || (has_extension(&entry, "json")
                && entry
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .is_some_and(|stem| stems.contains(stem)));
        if target.is_dir() {
            if is_session_name(&entry) {
                scan.problems.push(skip(
                    "a folder, not a session file (folders are not searched)",
                ));
            } else {
                scan.skipped
                    .push(skip("a folder (folders are not searched)"));
            }
        } else if is_session_name(&entry) {
            files.push(entry);
        } else if !sidecar {
            scan.skipped.push(skip("not a session file"));
        }
    }
    let total = files.len();
    for (done, file) in files.into_iter().enumerate() {
        match read_with_sidecars(&file, two_fa.as_deref()) {
            Ok(session) => scan.sessions.push(session),
            Err(reason) => scan.problems.push(ImportProblem { file, reason }),
        }
        progress(done + 1, total);
    }
    Ok(scan)
}

fn has_extension(file: &Path, wanted: &str) -> bool {
    file.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| extension.eq_ignore_ascii_case(wanted))
}

fn is_session_name(file: &Path) -> bool {
    file_name(file) != sidecar::TWO_FA_FILE
        && SESSION_EXTENSIONS
            .iter()
            .any(|extension| has_extension(file, extension))
}

/// Why an entry cannot be read; for a symlink, whether it dangles or loops.
fn unreadable(entry: &Path, err: &std::io::Error) -> String {
    let is_link = std::fs::symlink_metadata(entry).is_ok_and(|meta| meta.file_type().is_symlink());
    if !is_link {
        return io_reason(err);
    }
    let mut seen = HashSet::new();
    let mut current = entry.to_path_buf();
    loop {
        if !seen.insert(current.clone()) {
            return "a symlink loop (it leads back to itself)".to_owned();
        }
        let Ok(next) = std::fs::read_link(&current) else {
            break;
        };
        let next = match current.parent() {
            Some(dir) if next.is_relative() => dir.join(next),
            _ => next,
        };
        if std::fs::symlink_metadata(&next).is_err() {
            return format!(
                "a dangling symlink (its target {} does not exist)",
                next.display()
            );
        }
        current = next;
    }
    format!("a symlink that cannot be followed: {}", io_reason(err))
}

/// Reads a session file and its sidecars: `<stem>.json` beside it, and `two_fa`
/// (a folder's `2fa.txt`) when the JSON holds no password.
fn read_with_sidecars(file: &Path, two_fa: Option<&Path>) -> Result<ParsedSession, String> {
    let mut session = read_file(file)?;
    let json = file.with_extension("json");
    if json.is_file() {
        let extra = sidecar::read(&json)?;
        session.device = extra.device;
        session.password = extra.password;
        session.user_id = session.user_id.or(extra.user_id);
        session.phone_masked = session
            .phone_masked
            .or_else(|| extra.phone.map(|phone| mask_phone(&phone)));
    }
    if session.password.is_none()
        && let Some(two_fa) = two_fa
    {
        session.password = sidecar::read_two_fa(two_fa)?;
    }
    Ok(session)
}

/// Every account of the `tdata` folder `dir`, opened with `passcode` (empty: none).
/// Labels: `PREFIX_N` with `label_prefix`, else the folder's name (its parent's when
/// it is called `tdata`), with `_N` when it holds several accounts (N from 1).
/// Each account gets Telegram Desktop's `api_id` and version as device parameters.
pub fn scan_tdata(
    dir: &Path,
    passcode: &SecretString,
    label_prefix: Option<&str>,
) -> Result<Scan, tdata::TdataError> {
    let found = tdata::read(dir, passcode)?;
    let base = match label_prefix {
        Some(prefix) => prefix.to_owned(),
        None => {
            let named = if file_name(dir).eq_ignore_ascii_case("tdata") {
                dir.canonicalize()
                    .ok()
                    .and_then(|dir| dir.parent().map(Path::to_path_buf))
            } else {
                Some(dir.to_path_buf())
            };
            named.map_or_else(|| "tdata".to_owned(), |dir| file_name(&dir))
        }
    };
    let several = label_prefix.is_some() || found.accounts.len() + found.problems.len() > 1;
    let mut scan = Scan::default();
    for (position, account) in found.accounts.into_iter().enumerate() {
        let label = if several {
            format!("{base}_{}", position + 1)
        } else {
            base.clone()
        };
        let file = dir.join(format!("{}s", tdata::file_part(account.index)));
        let checked = label_of(Path::new(&format!("{label}.tdata")))
            .and_then(|label| Ok((label, known_dc_address(account.dc_id)?)));
        match checked {
            Ok((label, server_address)) => scan.sessions.push(ParsedSession {
                file,
                label,
                format: SessionFormat::Tdata,
                dc_id: account.dc_id,
                server_address,
                auth_key: account.auth_key,
                user_id: Some(account.user_id),
                phone_masked: None,
                device: Some(DeviceParams {
                    api_id: Some(tdata::TDESKTOP_API_ID),
                    app_version: Some(found.app_version.clone()),
                    source: format!("tdata (Telegram Desktop {})", found.app_version),
                    ..DeviceParams::default()
                }),
                password: None,
            }),
            Err(reason) => scan.problems.push(ImportProblem { file, reason }),
        }
    }
    for reason in found.problems {
        scan.problems.push(ImportProblem {
            file: dir.to_path_buf(),
            reason,
        });
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
        device: None,
        password: None,
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

/// The last component of a path, for messages.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
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
