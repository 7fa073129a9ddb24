//! Typed, layered configuration shared by every tgfleet binary.
//!
//! Layers, later ones winning: the embedded defaults ([`DEFAULTS_TOML`], shipped as
//! `tgfleet.example.toml` at the repository root) < an optional TOML file
//! (`--config FILE` or `TGFLEET_CONFIG`) < the environment (`TGFLEET__SECTION__KEY`,
//! plus the shortcuts `DATABASE_URL`, `TGFLEET_SESSION_KEY`, `TG_API_ID`, `TG_API_HASH`).
//!
//! [`Settings::load`] validates everything at start-up; every [`ConfigError`] names the
//! key and the bad value. Secrets are [`secrecy::SecretString`]s, so `Debug` of
//! [`Settings`] never prints them.

mod error;
mod load;
mod settings;
mod validate;
mod values;

pub use error::ConfigError;
pub use load::{ENV_SHORTCUTS, EnvMap};
pub use settings::{
    ActivitySettings, ClockSettings, ConsoleSettings, DatabaseSettings, JoinSettings,
    LeaseSettings, PostingSettings, ReviewerSettings, ScheduleSettings, SessionSettings, Settings,
    TelegramSettings, TelemetrySettings,
};
pub use values::{CronSchedule, LogFormat, Rfc3339, Service, TimeZone};

/// The documented defaults, compiled in: the first configuration layer.
pub const DEFAULTS_TOML: &str = include_str!("../../../tgfleet.example.toml");
