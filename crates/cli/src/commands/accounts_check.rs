//! `tgfleet accounts check`

use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::{CliError, Context};
use tgfleet_domain::{AccountStatus, Clock, SystemClock};
use tgfleet_runtime::production_connector;
use tgfleet_store::{Account, Store, WhoamiOutcome};
use tgfleet_telegram::{AccountRef, Connector, TgError};

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
    let holder = format!("tgfleet-accounts-check-{}", std::process::id());
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
        let checked = check(context, &store, connector.as_ref(), &holder, account).await?;
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

/// One account: lease, connect, whoami, close, record (fenced), release.
async fn check(
    context: &Context,
    store: &Store,
    connector: &dyn Connector,
    holder: &str,
    account: &Account,
) -> Result<Checked, CliError> {
    let ttl = context.settings.leases.ttl();
    let Some(lease) = store
        .try_acquire_lease(account.id, holder, SystemClock.now(), ttl)
        .await?
    else {
        let current = store.lease_of(account.id).await?;
        return Ok(Checked::Busy(
            current.map(|lease| lease.holder).unwrap_or_default(),
        ));
    };
    let target = AccountRef {
        id: account.id,
        label: account.label.clone(),
    };
    let found = match connector.connect(&target).await {
        Ok(telegram) => {
            let me = telegram.whoami().await;
            telegram.close().await;
            me.map(|me| me.user_id)
        }
        Err(error) => Err(error),
    };
    let outcome = match found {
        Ok(user_id) => WhoamiOutcome::SignedIn { user_id },
        Err(TgError::Unauthorized(reason)) => WhoamiOutcome::Unauthorized(reason),
        Err(TgError::Deactivated(reason)) => WhoamiOutcome::Deactivated(reason),
        Err(other) => {
            store.release_lease(&lease, SystemClock.now()).await?;
            return Ok(Checked::Failed(other.to_string()));
        }
    };
    let recorded = store
        .record_whoami(&lease, &outcome, SystemClock.now())
        .await;
    store.release_lease(&lease, SystemClock.now()).await?;
    recorded?;
    Ok(Checked::Recorded(outcome))
}
