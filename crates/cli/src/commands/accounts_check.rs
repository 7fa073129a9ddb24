//! `tgfleet accounts check`

use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::wiring::production_connector;
use crate::{CliError, Context};
use tgfleet_config::Service;
use tgfleet_domain::{AccountStatus, Clock};
use tgfleet_runtime::{AccountRunner, Leased, ServiceClock, WorkError, holder_name};
use tgfleet_store::{Account, Store, StoreError, WhoamiOutcome};
use tgfleet_telegram::{AccountRef, TgError};

/// How checking one account ended.
enum Checked {
    Recorded(WhoamiOutcome),
    Busy(String),
    Failed(String),
}

/// Runs `whoami` for every active account under its lease, stores what it finds
/// (user id and last activity, or status `unauthorized` / `deactivated` with the
/// reason) and prints a summary. Exit code 1 when an account could not be checked.
pub async fn run(context: &Context) -> Result<(), CliError> {
    let store = context.store().await?;
    let connector = production_connector(&context.settings, store.clone())?;
    let runner = AccountRunner::new(
        store.clone(),
        connector,
        context.clock(),
        holder_name(Service::All).replacen("tgfleet", "tgfleet-accounts-check", 1),
        context.settings.leases.ttl(),
    );
    let accounts: Vec<Account> = store
        .list_accounts()
        .await?
        .into_iter()
        .filter(|account| account.status == AccountStatus::Active)
        .collect();
    let mut table = Table::new(&[
        ("LABEL", Align::Left),
        ("PHONE", Align::Left),
        ("RESULT", Align::Left),
        ("DETAIL", Align::Left),
    ]);
    let (mut ok, mut unauthorized, mut deactivated, mut busy, mut failed) = (0, 0, 0, 0, 0);
    for account in &accounts {
        let checked = check(&runner, &store, account, &context.clock()).await?;
        let (result, detail) = match checked {
            Checked::Recorded(WhoamiOutcome::SignedIn { user_id }) => {
                ok += 1;
                ("ok", format!("Telegram user {user_id}"))
            }
            Checked::Recorded(WhoamiOutcome::Unauthorized(reason)) => {
                unauthorized += 1;
                ("unauthorized", reason)
            }
            Checked::Recorded(WhoamiOutcome::Deactivated(reason)) => {
                deactivated += 1;
                ("deactivated", reason)
            }
            Checked::Busy(holder) => {
                busy += 1;
                ("busy", format!("leased by {holder}; not checked"))
            }
            Checked::Failed(reason) => {
                failed += 1;
                ("failed", reason)
            }
        };
        table.row(vec![
            account.label.clone(),
            account.phone_masked.clone().unwrap_or_default(),
            result.to_owned(),
            detail,
        ]);
    }
    if !table.is_empty() {
        print(&table.render());
    }
    print_line(&format!(
        "Checked {} active account(s): {ok} ok, {unauthorized} unauthorized, {deactivated} deactivated, {busy} busy, {failed} failed.",
        accounts.len()
    ));
    if failed > 0 {
        return Err(CliError::Reported);
    }
    Ok(())
}

/// One account under [`AccountRunner`]: lease, connect, whoami, record (fenced by the
/// lease), close, release. An account refused at connect time (no session, revoked,
/// deactivated) gets its status stored after the lease is released: a status change
/// that any later check would repeat.
async fn check(
    runner: &AccountRunner,
    store: &Store,
    account: &Account,
    clock: &ServiceClock,
) -> Result<Checked, CliError> {
    let target = AccountRef {
        id: account.id,
        label: account.label.clone(),
    };
    let worked = runner
        .with_account(&target, async |session| {
            let outcome = match session.telegram.whoami().await {
                Ok(me) => WhoamiOutcome::SignedIn {
                    user_id: me.user_id,
                },
                Err(error) => match refusal(error) {
                    Ok(outcome) => outcome,
                    Err(other) => return Ok(Checked::Failed(other.to_string())),
                },
            };
            store
                .record_whoami(session.lease, &outcome, clock.now())
                .await?;
            Ok::<_, StoreError>(Checked::Recorded(outcome))
        })
        .await;
    match worked {
        Ok(Leased::Done(checked)) => Ok(checked?),
        Ok(Leased::Busy) => {
            let current = store.lease_of(account.id).await?;
            Ok(Checked::Busy(
                current.map(|lease| lease.holder).unwrap_or_default(),
            ))
        }
        Err(WorkError::Connect(error)) => match refusal(error) {
            Ok(outcome) => {
                let (status, reason) = match &outcome {
                    WhoamiOutcome::Deactivated(reason) => (AccountStatus::Deactivated, reason),
                    WhoamiOutcome::Unauthorized(reason) => (AccountStatus::Unauthorized, reason),
                    WhoamiOutcome::SignedIn { .. } => unreachable!("a refusal is never signed in"),
                };
                store
                    .set_account_status(account.id, status, Some(reason))
                    .await?;
                Ok(Checked::Recorded(outcome))
            }
            Err(other) => Ok(Checked::Failed(other.to_string())),
        },
        Err(WorkError::Store(error)) => Err(error.into()),
        Err(error @ WorkError::Panicked(_)) => Ok(Checked::Failed(error.to_string())),
    }
}

/// Unauthorized (a missing or dead key) and Deactivated are findings to store;
/// anything else is a failed check.
fn refusal(error: TgError) -> Result<WhoamiOutcome, TgError> {
    match error.account_status() {
        Some(AccountStatus::Unauthorized) => Ok(WhoamiOutcome::Unauthorized(error.code())),
        Some(AccountStatus::Deactivated) => Ok(WhoamiOutcome::Deactivated(error.code())),
        _ => Err(error),
    }
}
