//! The settings tree. Field docs say what each key means; the defaults and the
//! reasons for them are in `tgfleet.example.toml` ([`crate::DEFAULTS_TOML`]).

use crate::ConfigError;
use crate::values::{CronSchedule, LogFormat, Rfc3339, Service, TimeZone};
use secrecy::SecretString;
use serde::Deserialize;
use std::time::Duration;
use tgfleet_domain::ActivityWindows;

/// Every setting of every tgfleet binary, validated.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[database]`
    pub database: DatabaseSettings,
    /// `[telegram]`
    pub telegram: TelegramSettings,
    /// `[sessions]`
    pub sessions: SessionSettings,
    /// `[schedule]`
    pub schedule: ScheduleSettings,
    /// `[joins]`: account-manager.
    pub joins: JoinSettings,
    /// `[posting]`: marketer.
    pub posting: PostingSettings,
    /// `[activity]`: keep-alive cycles.
    pub activity: ActivitySettings,
    /// `[reviewer]`: group-reviewer.
    pub reviewer: ReviewerSettings,
    /// `[leases]`: account leases (invariant 1).
    pub leases: LeaseSettings,
    /// `[telemetry]`: logs, `/health`, `/metrics`.
    pub telemetry: TelemetrySettings,
    /// `[clock]`: compressed time for the demo.
    pub clock: ClockSettings,
    /// `[console]`: the operator console and HTTP API.
    pub console: ConsoleSettings,
}

/// `[database]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `database.url` (or `DATABASE_URL`): required; may hold a password, hence secret.
    pub url: SecretString,
    /// `database.max_connections`: pool size per process.
    pub max_connections: u32,
    /// `database.connect_timeout_secs`: wait for a connection before calling the database unreachable.
    pub connect_timeout_secs: u64,
}

/// `[telegram]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    /// `telegram.api_id` (or `TG_API_ID`); see [`Settings::telegram_credentials`].
    pub api_id: Option<i32>,
    /// `telegram.api_hash` (or `TG_API_HASH`), secret.
    pub api_hash: Option<SecretString>,
    /// `telegram.request_timeout_secs`: bound on every Telegram request.
    pub request_timeout_secs: u64,
    /// `telegram.connect_timeout_secs`: bound on connecting to a data centre.
    pub connect_timeout_secs: u64,
    /// `telegram.upload_timeout_secs`: bound on uploading a file's parts before a
    /// media send (the final send keeps `request_timeout_secs`).
    pub upload_timeout_secs: u64,
}

/// `[sessions]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// `sessions.encryption_key` (or `TGFLEET_SESSION_KEY`): 32 bytes in base64, checked
    /// at load when present; see [`Settings::session_key`].
    pub encryption_key: Option<SecretString>,
}

/// `[schedule]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    /// `schedule.time_zone`: the zone of slots, windows and the reviewer's cron.
    pub time_zone: TimeZone,
}

/// `[joins]`: account-manager's slots, pauses and FloodWait thresholds (docs/design.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSettings {
    /// `joins.slots`: cron expressions in `schedule.time_zone`; at least one.
    pub slots: Vec<CronSchedule>,
    /// `joins.max_groups_per_slot`: joins per account per slot.
    pub max_groups_per_slot: u32,
    /// `joins.pause_min_secs`: shortest random pause between two joins.
    pub pause_min_secs: u64,
    /// `joins.pause_max_secs`: longest random pause between two joins.
    pub pause_max_secs: u64,
    /// `joins.flood_wait_short_max_secs`: FloodWaits up to this are waited out.
    pub flood_wait_short_max_secs: u64,
    /// `joins.flood_wait_rest_above_secs`: FloodWaits above this put the account to rest.
    pub flood_wait_rest_above_secs: u64,
    /// `joins.max_memberships_per_account`: Telegram's channel cap per account.
    pub max_memberships_per_account: u32,
    /// `joins.channels_hold_hours`: how long joins pause after CHANNELS_TOO_MUCH
    /// below that cap (Telegram's anti-abuse hold).
    pub channels_hold_hours: u64,
    /// `joins.transient_retries`: retries after a network error, within the slot.
    pub transient_retries: u32,
}

impl JoinSettings {
    /// The pause range between two joins.
    pub fn pause_range(&self) -> (Duration, Duration) {
        (
            Duration::from_secs(self.pause_min_secs),
            Duration::from_secs(self.pause_max_secs),
        )
    }
}

/// `[posting]`: marketer's windows, caps, gaps and spam-block cool-down (docs/design.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostingSettings {
    /// `posting.windows`: local hours in which accounts post.
    pub windows: ActivityWindows,
    /// `posting.per_day`: messages per account per day.
    pub per_day: u32,
    /// `posting.per_hour`: messages per account per hour.
    pub per_hour: u32,
    /// `posting.min_gap_account_secs`: gap between two messages of one account.
    pub min_gap_account_secs: u64,
    /// `posting.min_gap_chat_secs`: gap between two messages in one chat.
    pub min_gap_chat_secs: u64,
    /// `posting.spam_block_threshold`: PeerFlood / long FloodWaits in a row before a cool-down.
    pub spam_block_threshold: u32,
    /// `posting.flood_wait_short_max_secs`: a posting FloodWait longer than this counts
    /// toward the spam-block threshold.
    pub flood_wait_short_max_secs: u64,
    /// `posting.cooldown_min_secs`: shortest cool-down.
    pub cooldown_min_secs: u64,
    /// `posting.cooldown_max_secs`: longest cool-down.
    pub cooldown_max_secs: u64,
    /// `posting.default_repeat_interval_secs`: a campaign's repeat interval unless it sets one.
    pub default_repeat_interval_secs: u64,
    /// `posting.etiquette_last_messages`: a group whose latest N messages include one
    /// of the fleet's is skipped (0: the rule is off).
    pub etiquette_last_messages: u32,
    /// `posting.etiquette_recheck_secs`: how long a group skipped by the etiquette
    /// waits before it is looked at again.
    pub etiquette_recheck_secs: u64,
    /// `posting.relay_poll_secs`: how often a relay campaign's source is read.
    pub relay_poll_secs: u64,
}

/// `[activity]`: keep-alive cycles (docs/design.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivitySettings {
    /// `activity.windows`: local hours in which accounts look alive.
    pub windows: ActivityWindows,
    /// `activity.cycle_gap_min_secs`: shortest random gap between two cycles.
    pub cycle_gap_min_secs: u64,
    /// `activity.cycle_gap_max_secs`: longest random gap between two cycles.
    pub cycle_gap_max_secs: u64,
    /// `activity.chats_per_cycle`: chats read per cycle.
    pub chats_per_cycle: u32,
    /// `activity.stories_per_cycle`: story feeds viewed per cycle.
    pub stories_per_cycle: u32,
    /// `activity.reactions_enabled`: reactions at all (off by default).
    pub reactions_enabled: bool,
    /// `activity.reactions_per_day`: cap on reactions per account per day when enabled.
    pub reactions_per_day: u32,
}

/// `[reviewer]`: the daily audit.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewerSettings {
    /// `reviewer.schedule`: cron expression in `schedule.time_zone`.
    pub schedule: CronSchedule,
    /// `reviewer.enabled_schedule`: run on the schedule (otherwise only on demand).
    pub enabled_schedule: bool,
    /// `reviewer.requests_per_minute`: Telegram requests per minute per account.
    pub requests_per_minute: u32,
}

/// `[leases]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseSettings {
    /// `leases.ttl_secs`: lifetime of an account lease without renewal.
    pub ttl_secs: u64,
}

impl LeaseSettings {
    /// The lease lifetime.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_secs)
    }
}

/// `[telemetry]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `telemetry.log_format`: `text` or `json`.
    pub log_format: LogFormat,
    /// `telemetry.health_address`: address of the `/health` and `/metrics` endpoints.
    pub health_address: String,
    /// `telemetry.health_base_port`: see [`TelemetrySettings::health_port`]; 0 turns them off.
    pub health_base_port: u16,
}

impl TelemetrySettings {
    /// The `/health` and `/metrics` port of a service: the base port plus the
    /// service's offset, or `None` when the endpoints are off.
    pub fn health_port(&self, service: Service) -> Option<u16> {
        (self.health_base_port != 0).then(|| self.health_base_port + service.port_offset())
    }
}

/// `[console]`: the operator console and HTTP API (`tgfleet console`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// `console.enabled`: `tgfleet run --all` serves the console too.
    pub enabled: bool,
    /// `console.listen`: address and port (loopback by default; anything else logs a
    /// warning at start-up: put TLS in front).
    pub listen: std::net::SocketAddr,
    /// `console.secure_cookies`: mark the session cookie `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// `console.session_hours`: how long a login lasts.
    pub session_hours: u32,
    /// `console.login_attempts_per_minute`: login attempts allowed per client address.
    pub login_attempts_per_minute: u32,
    /// `console.media_dir`: where uploaded photos and documents are kept.
    pub media_dir: std::path::PathBuf,
    /// `console.max_upload_bytes`: the largest upload accepted.
    pub max_upload_bytes: usize,
}

/// `[clock]`: the services' clock. Real time unless `scale` is not 1 or `origin` is set.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSettings {
    /// `clock.scale`: simulated seconds per real second (1 in production).
    pub scale: f64,
    /// `clock.origin`: the instant at which simulated and real time coincide; processes
    /// (and tg-sim's `--epoch`) that share it and `scale` agree on the time.
    pub origin: Option<Rfc3339>,
}

impl ClockSettings {
    /// Whether the clock is the wall clock.
    pub fn is_real_time(&self) -> bool {
        self.scale == 1.0 && self.origin.is_none()
    }
}

impl Settings {
    /// The session encryption key, or an error naming the key when it is not set.
    /// Its format (base64 of 32 bytes) was checked at load.
    pub fn session_key(&self) -> Result<&SecretString, ConfigError> {
        self.sessions
            .encryption_key
            .as_ref()
            .ok_or_else(|| ConfigError::Missing {
                key: "sessions.encryption_key".to_owned(),
                hint: "set TGFLEET_SESSION_KEY (32 random bytes in base64, e.g. `openssl rand -base64 32`)"
                    .to_owned(),
            })
    }

    /// `telegram.api_id` and `telegram.api_hash`, or an error naming the missing one.
    pub fn telegram_credentials(&self) -> Result<(i32, &SecretString), ConfigError> {
        let missing = |key: &str, variable: &str| ConfigError::Missing {
            key: key.to_owned(),
            hint: format!("set {variable} (from https://my.telegram.org)"),
        };
        let api_id = self
            .telegram
            .api_id
            .ok_or_else(|| missing("telegram.api_id", "TG_API_ID"))?;
        let api_hash = self
            .telegram
            .api_hash
            .as_ref()
            .ok_or_else(|| missing("telegram.api_hash", "TG_API_HASH"))?;
        Ok((api_id, api_hash))
    }
}
