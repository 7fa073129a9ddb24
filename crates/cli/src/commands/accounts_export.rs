//! `tgfleet accounts export LABEL|--all --format telethon-string|pyrogram-string
//! (--out DIR | --stdout)`: sessions out again as the strings other libraries read.
//! Files are created with mode 0600 and never overwritten; a session reaches stdout
//! only with `--stdout`.

use crate::output::{print, print_line};
use crate::wiring::session_cipher;
use crate::{CliError, Context};
use clap::ValueEnum;
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use tgfleet_adapter_grammers::export::{PyrogramFields, pyrogram_string, telethon_string};
use tgfleet_store::{Account, StoredSession};

/// The string formats `accounts export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Telethon's StringSession (`LABEL.txt`): keeps the server address.
    TelethonString,
    /// Pyrogram's and kurigram's session string (`LABEL.string`): keeps no server
    /// address (Telegram's address of the DC is assumed on import).
    PyrogramString,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            Self::TelethonString => "txt",
            Self::PyrogramString => "string",
        }
    }
}

/// Where exported sessions go.
#[derive(Debug)]
pub enum Destination {
    /// One `LABEL.<ext>` file per account in this folder (created if missing).
    Folder(PathBuf),
    /// `LABEL<TAB>STRING` lines on stdout, asked for explicitly.
    Stdout,
}

/// Exports the session of `label` (or of every account with one when `None`).
pub async fn run(
    context: &Context,
    label: Option<&str>,
    format: ExportFormat,
    destination: &Destination,
) -> Result<(), CliError> {
    let cipher = session_cipher(&context.settings)?;
    let store = context.store().await?;
    let accounts = match label {
        Some(label) => vec![
            store
                .account_by_label(label)
                .await?
                .ok_or_else(|| CliError::Failed(format!("account {label:?} not found")))?,
        ],
        None => store.list_accounts().await?,
    };
    if let Destination::Folder(dir) = destination {
        std::fs::create_dir_all(dir)
            .map_err(|err| CliError::Failed(format!("{}: {err}", dir.display())))?;
    }
    let default_api_id = context.settings.telegram.api_id;
    let (mut written, mut failed) = (0, 0);
    for account in &accounts {
        let Some(session) = store.load_session(account.id, &cipher).await? else {
            if label.is_some() {
                eprintln!(
                    "not exported: {}: the account has no session",
                    account.label
                );
                failed += 1;
            }
            continue;
        };
        let api_id = store
            .load_device(account.id)
            .await?
            .and_then(|device| device.api_id)
            .or(default_api_id);
        let result =
            encode(account, &session, format, api_id).and_then(|string| match destination {
                Destination::Stdout => {
                    print(&format!("{}\t{}\n", account.label, string.expose_secret()));
                    Ok(())
                }
                Destination::Folder(dir) => write_private(dir, account, format, &string),
            });
        match result {
            Ok(()) => written += 1,
            Err(reason) => {
                eprintln!("not exported: {}: {reason}", account.label);
                failed += 1;
            }
        }
    }
    if let Destination::Folder(dir) = destination {
        print_line(&format!(
            "Exported {written} session(s) to {} (mode 0600); {failed} not exported.",
            dir.display()
        ));
    }
    if failed > 0 {
        return Err(CliError::Reported);
    }
    Ok(())
}

fn encode(
    account: &Account,
    session: &StoredSession,
    format: ExportFormat,
    api_id: Option<i32>,
) -> Result<SecretString, String> {
    let dc_id = u8::try_from(session.dc_id)
        .map_err(|_| format!("data centre {} does not fit the format", session.dc_id))?;
    let key = session.auth_key.expose_secret();
    match format {
        ExportFormat::TelethonString => {
            let address: SocketAddr = session
                .server_address
                .parse()
                .map_err(|_| "the stored server address is not ip:port".to_owned())?;
            Ok(telethon_string(dc_id, address, key))
        }
        ExportFormat::PyrogramString => {
            let api_id = api_id
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| {
                    "a Pyrogram string needs an api_id: set telegram.api_id (TG_API_ID)".to_owned()
                })?;
            Ok(pyrogram_string(
                &PyrogramFields {
                    dc_id,
                    api_id,
                    user_id: account.telegram_user_id.unwrap_or(0),
                    test_mode: false,
                    is_bot: false,
                },
                key,
            ))
        }
    }
}

/// Creates `DIR/LABEL.<ext>` with mode 0600; an existing file is never overwritten.
fn write_private(
    dir: &Path,
    account: &Account,
    format: ExportFormat,
    string: &SecretString,
) -> Result<(), String> {
    let path = dir.join(format!("{}.{}", account.label, format.extension()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::AlreadyExists => {
                format!("{} exists; it is never overwritten", path.display())
            }
            _ => format!("{}: {err}", path.display()),
        })?;
    file.write_all(string.expose_secret().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|err| format!("{}: {err}", path.display()))
}
