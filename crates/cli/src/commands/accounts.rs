//! `tgfleet accounts list | suspend | resume | login | import | check | export`

use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::{CliError, Context};
use clap::Subcommand;
use std::collections::HashMap;
use std::path::PathBuf;
use tgfleet_domain::AccountId;
use tgfleet_store::SessionSummary;

/// `tgfleet accounts ...`
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// List the fleet (phones masked; sessions are never shown).
    List,
    /// Take an account out of service until resumed.
    Suspend {
        /// The account's label (its session name).
        label: String,
        /// Why, kept in accounts.status_reason.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Put a suspended or resting account back to work.
    Resume {
        /// The account's label.
        label: String,
    },
    /// Sign an account in with a login code (and its 2FA password), creating it if new.
    /// Asks without echo on a terminal; otherwise reads one line of stdin per answer.
    Login {
        /// The account's label.
        label: String,
        /// The account's phone number in international form (shown only masked).
        #[arg(long)]
        phone: String,
    },
    /// Import session files: a file, every .session/.sqlite/.db/.txt/.string file of a
    /// folder (Telethon, Pyrogram and kurigram files and strings, grammers files, each
    /// with its NAME.json sidecar and the folder's 2fa.txt), or a Telegram Desktop tdata
    /// folder. The label is the file's stem. One key and one Telegram user live under
    /// one label: a second label is refused, even with --replace.
    Import {
        /// A session file, a folder of them (e.g. sessions/), or a tdata folder.
        path: PathBuf,
        /// Overwrite an account's different stored session instead of refusing.
        #[arg(long)]
        replace: bool,
        /// tdata: label the accounts PREFIX_1, PREFIX_2, … (default: the folder's name).
        #[arg(long, value_name = "PREFIX")]
        label: Option<String>,
        /// tdata: read the local passcode from this file's first line (otherwise it is
        /// asked without echo on a terminal).
        #[arg(long, value_name = "FILE")]
        passcode_file: Option<PathBuf>,
    },
    /// Ask Telegram who each active account is (under its lease); store unauthorized
    /// and deactivated accounts as such.
    Check,
    /// Write sessions out as Telethon or Pyrogram strings: one mode-0600 file per
    /// account in --out DIR (never overwritten), or stdout only with --stdout.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["label", "all"])))]
    #[command(group(clap::ArgGroup::new("to").required(true).args(["out", "stdout"])))]
    Export {
        /// The account's label.
        label: Option<String>,
        /// Every account that has a session.
        #[arg(long)]
        all: bool,
        /// The string format to write.
        #[arg(long, value_enum)]
        format: super::accounts_export::ExportFormat,
        /// The folder to write LABEL.txt / LABEL.string files into.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print `LABEL<TAB>STRING` lines on stdout instead (the strings are secrets).
        #[arg(long)]
        stdout: bool,
    },
}

/// Runs an `accounts` subcommand.
pub async fn run(context: &Context, command: AccountsCommand) -> Result<(), CliError> {
    match command {
        AccountsCommand::List => list(context).await,
        AccountsCommand::Suspend { label, reason } => {
            let store = context.store().await?;
            let reason = reason.unwrap_or_else(|| "suspended by the operator".to_owned());
            let change = store.suspend_account(&label, Some(&reason)).await?;
            if change.from == change.to {
                print_line(&format!("Account {label} is already suspended."));
            } else {
                print_line(&format!(
                    "Account {label}: {} -> {}.",
                    change.from, change.to
                ));
            }
            Ok(())
        }
        AccountsCommand::Resume { label } => {
            let store = context.store().await?;
            let change = store.resume_account(&label).await?;
            print_line(&format!(
                "Account {label}: {} -> {}.",
                change.from, change.to
            ));
            Ok(())
        }
        AccountsCommand::Login { label, phone } => {
            super::accounts_login::run(context, &label, &phone).await
        }
        AccountsCommand::Import {
            path,
            replace,
            label,
            passcode_file,
        } => {
            let options = super::accounts_import::ImportOptions {
                replace,
                label,
                passcode_file,
            };
            super::accounts_import::run(context, &path, &options).await
        }
        AccountsCommand::Check => super::accounts_check::run(context).await,
        AccountsCommand::Export {
            label,
            all: _,
            format,
            out,
            stdout: _,
        } => {
            let destination = out.map_or(
                super::accounts_export::Destination::Stdout,
                super::accounts_export::Destination::Folder,
            );
            super::accounts_export::run(context, label.as_deref(), format, &destination).await
        }
    }
}

async fn list(context: &Context) -> Result<(), CliError> {
    let store = context.store().await?;
    let accounts = store.list_accounts().await?;
    let sessions: HashMap<AccountId, SessionSummary> = store
        .session_summaries()
        .await?
        .into_iter()
        .map(|summary| (summary.account_id, summary))
        .collect();
    let mut table = Table::new(&[
        ("LABEL", Align::Left),
        ("STATUS", Align::Left),
        ("PHONE", Align::Left),
        ("SESSION", Align::Left),
        ("DC", Align::Right),
        ("DEVICE", Align::Left),
        ("REST UNTIL", Align::Left),
        ("LAST ACTIVITY", Align::Left),
        ("REASON", Align::Left),
    ]);
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| context.local_time(at)).unwrap_or_default()
    };
    for account in &accounts {
        let session = sessions.get(&account.id);
        table.row(vec![
            account.label.clone(),
            account.status.to_string(),
            account.phone_masked.clone().unwrap_or_default(),
            session.map_or_else(|| "none".to_owned(), |s| s.source.clone()),
            session.map(|s| s.dc_id.to_string()).unwrap_or_default(),
            session
                .map(|s| {
                    s.device_source
                        .clone()
                        .unwrap_or_else(|| "picked at first connection".to_owned())
                })
                .unwrap_or_default(),
            time(account.rest_until),
            time(account.last_activity),
            account.status_reason.clone().unwrap_or_default(),
        ]);
    }
    if !table.is_empty() {
        print(&table.render());
    }
    print_line(&format!("{} account(s)", accounts.len()));
    Ok(())
}
