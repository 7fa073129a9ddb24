//! `tgfleet accounts list | suspend | resume | login | import | check`

use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::{CliError, Context};
use clap::Subcommand;
use std::path::PathBuf;

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
    /// Import session files: a file, or every .session/.sqlite/.db/.txt/.string file of a
    /// folder (Telethon and Pyrogram files and strings, grammers files). The label is the
    /// file's stem.
    Import {
        /// A session file or a folder of them (e.g. sessions/).
        path: PathBuf,
        /// Overwrite an account's different stored session instead of refusing.
        #[arg(long)]
        replace: bool,
    },
    /// Ask Telegram who each active account is (under its lease); store unauthorized
    /// and deactivated accounts as such.
    Check,
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
        AccountsCommand::Import { path, replace } => {
            super::accounts_import::run(context, &path, replace).await
        }
        AccountsCommand::Check => super::accounts_check::run(context).await,
    }
}

async fn list(context: &Context) -> Result<(), CliError> {
    let store = context.store().await?;
    let accounts = store.list_accounts().await?;
    let mut table = Table::new(&[
        ("LABEL", Align::Left),
        ("STATUS", Align::Left),
        ("PHONE", Align::Left),
        ("REST UNTIL", Align::Left),
        ("LAST ACTIVITY", Align::Left),
        ("REASON", Align::Left),
    ]);
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| context.local_time(at)).unwrap_or_default()
    };
    for account in &accounts {
        table.row(vec![
            account.label.clone(),
            account.status.to_string(),
            account.phone_masked.clone().unwrap_or_default(),
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
