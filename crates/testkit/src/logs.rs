//! Captures what a service logs, for tests of its greppable log lines.
//!
//! The capture is installed for the current thread (`tracing`'s scoped default).
//! tracing caches per call site whether anyone listens, process-wide, so a test
//! binary that captures logs should hold a single test: otherwise a call site
//! first reached by another test's thread may stay muted.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// Log lines written while the guard from [`CapturedLog::install`] lives.
#[derive(Clone, Debug, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    /// Captures INFO and above, as plain text, on this thread until the guard drops.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}
