//! Cooperative shutdown: Ctrl-C or SIGTERM cancels a token every service loop watches.

use tokio_util::sync::CancellationToken;

/// A cloneable shutdown signal shared by every task of a process.
pub type Shutdown = CancellationToken;

/// Returns a token cancelled on Ctrl-C or SIGTERM.
pub fn shutdown_on_signals() -> Shutdown {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("Shutdown requested, finishing current work");
        trigger.cancel();
    });
    token
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
