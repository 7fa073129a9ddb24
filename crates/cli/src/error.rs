//! CLI errors and their exit codes.

use tgfleet_config::ConfigError;
use tgfleet_store::StoreError;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The environment is not ready: configuration, database, migrations (exit 2).
    Environment(String),
    /// The command failed: bad input or a refused operation (exit 1).
    Failed(String),
    /// The command failed and already reported the details (exit 1).
    Reported,
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Environment(_) => 2,
            Self::Failed(_) | Self::Reported => 1,
        }
    }

    /// The one-line message to print, if not yet printed.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Environment(message) | Self::Failed(message) => Some(message),
            Self::Reported => None,
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(err: ConfigError) -> Self {
        Self::Environment(format!("configuration: {err}"))
    }
}

impl From<StoreError> for CliError {
    fn from(err: StoreError) -> Self {
        if err.is_environment() {
            Self::Environment(err.to_string())
        } else {
            Self::Failed(err.to_string())
        }
    }
}
