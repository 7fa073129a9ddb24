//! Start-up: which accounts activity can use (`Loaded N accounts`), and why the
//! others are not loaded.

use crate::mark_account_lost;
use tgfleet_domain::Clock;
use tgfleet_runtime::{Leased, ServiceContext, WorkError};
use tgfleet_store::StoreError;
use tgfleet_telegram::AccountRef;

/// Which accounts were loaded at start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Labels of the accounts that connected (or are in use by another service).
    pub loaded: Vec<String>,
    /// Labels of the others, with the reason.
    pub not_loaded: Vec<(String, String)>,
}

/// Connects every usable account once (under its lease, making no request),
/// logs `Loaded N accounts` and one line per account not loaded. An account whose
/// session Telegram refuses is marked `unauthorized` (or `deactivated`).
pub async fn load_accounts(ctx: &ServiceContext) -> Result<LoadReport, StoreError> {
    let runner = ctx.runner();
    let mut report = LoadReport::default();
    for account in ctx.store.list_accounts().await? {
        let now = ctx.clock.now();
        let label = account.label.clone();
        if let Some(reason) = account.unavailable_because(now) {
            report.not_loaded.push((label, reason));
            continue;
        }
        let reference = AccountRef {
            id: account.id,
            label: label.clone(),
        };
        let checked = runner.with_account(&reference, async |_| ()).await;
        match checked {
            Ok(Leased::Done(())) | Ok(Leased::Busy) => report.loaded.push(label),
            Err(WorkError::Connect(error)) if error.is_account_fatal() => {
                mark_account_lost(ctx, &reference, &error).await?;
                report
                    .not_loaded
                    .push((label, format!("session refused: {error}")));
            }
            Err(WorkError::Connect(error)) => report
                .not_loaded
                .push((label, format!("cannot connect now: {error}"))),
            Err(WorkError::Panicked(error)) => report.not_loaded.push((label, error)),
            Err(WorkError::Store(error)) => return Err(error),
        }
    }
    tracing::info!(
        loaded = report.loaded.len(),
        "Loaded {} accounts",
        report.loaded.len()
    );
    for (label, reason) in &report.not_loaded {
        tracing::warn!(account = %label, %reason, "Not loaded: {label}: {reason}");
    }
    Ok(report)
}
