//! Configuration errors: each names the key and the bad value (never a secret's value).

use std::path::PathBuf;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key has a bad value.
    #[error("{key}: {message}")]
    Invalid {
        /// The dotted key, e.g. `schedule.time_zone`.
        key: String,
        /// What is wrong, quoting the value unless it is a secret.
        message: String,
    },
    /// The lower end of a range is above its upper end.
    #[error("{min_key} ({min}) must not exceed {max_key} ({max})")]
    Range {
        /// The key of the lower end, e.g. `joins.pause_min_secs`.
        min_key: String,
        /// Its value.
        min: u64,
        /// The key of the upper end.
        max_key: String,
        /// Its value.
        max: u64,
    },
    /// A required key has no value in any layer.
    #[error("{key}: missing; {hint}")]
    Missing {
        /// The dotted key, e.g. `database.url`.
        key: String,
        /// Where to set it.
        hint: String,
    },
    /// The configuration file could not be read or parsed.
    #[error("config file {}: {message}", path.display())]
    File {
        /// The file given with `--config` or `TGFLEET_CONFIG`.
        path: PathBuf,
        /// Why it could not be used.
        message: String,
    },
}

impl ConfigError {
    /// The dotted key the error is about, when it is about one key.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Invalid { key, .. } | Self::Missing { key, .. } => Some(key),
            Self::Range { min_key, .. } => Some(min_key),
            Self::File { .. } => None,
        }
    }

    pub(crate) fn invalid(key: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}
