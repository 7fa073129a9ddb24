//! Cooperative shutdown: Ctrl-C or SIGTERM cancels a token every service loop watches.

use tokio_util::sync::CancellationToken;

/// A cloneable shutdown signal shared by every task of a process.
pub type Shutdown = CancellationToken;

/// Returns a token cancelled on Ctrl-C or SIGTERM. The handlers are installed before
/// this returns, so a signal that arrives right after start-up is never the default
/// (an abrupt exit) but a clean shutdown.
pub fn shutdown_on_signals() -> Shutdown {
    let token = CancellationToken::new();
    let trigger = token.clone();
    let signals = Signals::install();
    tokio::spawn(async move {
        signals.recv().await;
        tracing::info!("Shutdown requested, finishing current work");
        trigger.cancel();
    });
    token
}

/// SIGINT and SIGTERM, registered at once (falling back to Ctrl-C alone when the
/// platform or the process refuses a handler).
struct Signals {
    #[cfg(unix)]
    handlers: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let handlers = signal(SignalKind::interrupt())
                .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)))
                .ok();
            Self { handlers }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    async fn recv(self) {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = self.handlers {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
