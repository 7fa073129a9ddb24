//! "Review now": the console inserts a `review_requests` row, whose trigger notifies
//! `tgfleet_changes`; a running reviewer takes every open request (`FOR UPDATE SKIP
//! LOCKED`: one replica each), runs one review for all of them and links them to the
//! run. Requests are also re-read every minute, in case a notification was missed
//! (and a lost listener leaves polling only until the service restarts).

use crate::{ReviewError, review_once};
use std::time::Duration;
use tgfleet_domain::Clock as _;
use tgfleet_runtime::ServiceContext;

/// How often open requests are re-read without a notification.
const POLL: Duration = Duration::from_secs(60);

/// Answers review requests until shutdown.
pub async fn serve_requests(ctx: &ServiceContext) -> anyhow::Result<()> {
    let mut listener = match ctx.store.listen_changes().await {
        Ok(listener) => Some(listener),
        Err(error) => {
            tracing::warn!(%error, "cannot LISTEN for review requests; polling every minute");
            None
        }
    };
    loop {
        let taken = match ctx
            .store
            .take_review_requests(&ctx.holder, ctx.clock.now())
            .await
        {
            Ok(taken) => taken,
            Err(error) => {
                tracing::warn!(%error, "cannot read review requests; retrying in a minute");
                Vec::new()
            }
        };
        if !taken.is_empty() {
            tracing::info!(requests = taken.len(), "Review requested from the console");
            match review_once(ctx, None).await {
                Ok(summary) => {
                    if let Some(run) = summary.run
                        && let Err(error) = ctx.store.link_review_requests(&taken, run).await
                    {
                        tracing::warn!(%error, "review requests not linked to their run");
                    }
                }
                Err(error @ ReviewError::NoUsableAccount(_)) => {
                    tracing::warn!(%error, "Requested review could not run");
                }
                Err(error) => tracing::error!(%error, "Requested review failed"),
            }
        }
        let wake = async {
            match listener.as_mut() {
                Some(listener) => loop {
                    match listener.recv().await {
                        Ok(table) if table == "review_requests" => break,
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(%error, "review request listener lost; polling meanwhile");
                            std::future::pending::<()>().await;
                        }
                    }
                },
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = wake => {}
            () = ctx.clock.sleep(POLL) => {}
            () = ctx.shutdown.cancelled() => return Ok(()),
        }
    }
}
