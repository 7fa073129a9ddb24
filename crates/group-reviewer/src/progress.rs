//! Progress reporting: an indicatif bar when stdout is a terminal, nothing otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal as _;
use tgfleet_domain::GroupHandle;

/// Receives a review's progress (from several accounts' tasks at once).
pub trait Progress: Send + Sync {
    /// The review is about to look at `groups` groups.
    fn start(&self, groups: u64);
    /// One group was checked (or its check failed) with this finding.
    fn checked(&self, group: &GroupHandle, finding: &str);
    /// `groups` groups will not be checked in this run (deferred or skipped).
    fn passed_over(&self, groups: u64);
    /// The review ended.
    fn finish(&self);
}

/// A terminal progress bar.
#[derive(Debug)]
pub struct TerminalProgress {
    bar: ProgressBar,
}

impl TerminalProgress {
    /// A bar drawn on stderr (stdout carries the summary).
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} groups {msg}",
        ) {
            bar.set_style(style);
        }
        Self { bar }
    }

    /// A bar when stdout is a terminal; `None` when it is a file or a pipe (cron).
    pub fn if_terminal() -> Option<Self> {
        std::io::stdout().is_terminal().then(Self::new)
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for TerminalProgress {
    fn start(&self, groups: u64) {
        self.bar.set_length(groups);
    }

    fn checked(&self, group: &GroupHandle, finding: &str) {
        self.bar.set_message(format!("{group}: {finding}"));
        self.bar.inc(1);
    }

    fn passed_over(&self, groups: u64) {
        self.bar.inc(groups);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
