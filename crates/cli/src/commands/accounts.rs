//! `tgfleet accounts list | suspend | resume`

use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::{CliError, Context};
use clap::Subcommand;

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
