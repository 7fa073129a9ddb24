//! Checks across keys and on values serde cannot judge: ranges, zero limits, key formats.

use crate::{ConfigError, Settings};
use base64::Engine as _;
use secrecy::ExposeSecret;

/// Bytes in a session encryption key (ChaCha20-Poly1305).
const SESSION_KEY_BYTES: usize = 32;

/// The fastest clock: a simulated day in under nine real seconds.
const MAX_CLOCK_SCALE: f64 = 10_000.0;

pub(crate) fn validate(settings: &Settings) -> Result<(), ConfigError> {
    let database = &settings.database;
    check_database_url(database.url.expose_secret())?;
    positive("database.max_connections", database.max_connections.into())?;
    positive(
        "database.connect_timeout_secs",
        database.connect_timeout_secs,
    )?;

    let telegram = &settings.telegram;
    positive(
        "telegram.request_timeout_secs",
        telegram.request_timeout_secs,
    )?;
    positive(
        "telegram.connect_timeout_secs",
        telegram.connect_timeout_secs,
    )?;
    positive("telegram.upload_timeout_secs", telegram.upload_timeout_secs)?;
    if let Some(api_id) = telegram.api_id
        && api_id <= 0
    {
        return Err(ConfigError::invalid(
            "telegram.api_id",
            format!("must be a positive number, got {api_id}"),
        ));
    }
    if let Some(api_hash) = &telegram.api_hash
        && api_hash.expose_secret().trim().is_empty()
    {
        return Err(ConfigError::invalid(
            "telegram.api_hash",
            "must not be empty",
        ));
    }
    if let Some(key) = &settings.sessions.encryption_key {
        check_session_key(key.expose_secret())?;
    }

    let joins = &settings.joins;
    if joins.slots.is_empty() {
        return Err(ConfigError::invalid(
            "joins.slots",
            "needs at least one cron expression, e.g. [\"0 9 * * *\"]",
        ));
    }
    positive(
        "joins.max_groups_per_slot",
        joins.max_groups_per_slot.into(),
    )?;
    positive("joins.pause_max_secs", joins.pause_max_secs)?;
    not_above(
        "joins.pause_min_secs",
        joins.pause_min_secs,
        "joins.pause_max_secs",
        joins.pause_max_secs,
    )?;
    not_above(
        "joins.flood_wait_short_max_secs",
        joins.flood_wait_short_max_secs,
        "joins.flood_wait_rest_above_secs",
        joins.flood_wait_rest_above_secs,
    )?;
    positive(
        "joins.max_memberships_per_account",
        joins.max_memberships_per_account.into(),
    )?;
    positive("joins.channels_hold_hours", joins.channels_hold_hours)?;

    let posting = &settings.posting;
    positive("posting.per_day", posting.per_day.into())?;
    positive("posting.per_hour", posting.per_hour.into())?;
    not_above(
        "posting.per_hour",
        posting.per_hour.into(),
        "posting.per_day",
        posting.per_day.into(),
    )?;
    positive(
        "posting.spam_block_threshold",
        posting.spam_block_threshold.into(),
    )?;
    positive("posting.cooldown_max_secs", posting.cooldown_max_secs)?;
    positive("posting.relay_poll_secs", posting.relay_poll_secs)?;
    positive(
        "posting.etiquette_recheck_secs",
        posting.etiquette_recheck_secs,
    )?;
    not_above(
        "posting.cooldown_min_secs",
        posting.cooldown_min_secs,
        "posting.cooldown_max_secs",
        posting.cooldown_max_secs,
    )?;
    positive(
        "posting.default_repeat_interval_secs",
        posting.default_repeat_interval_secs,
    )?;

    let activity = &settings.activity;
    positive("activity.cycle_gap_max_secs", activity.cycle_gap_max_secs)?;
    not_above(
        "activity.cycle_gap_min_secs",
        activity.cycle_gap_min_secs,
        "activity.cycle_gap_max_secs",
        activity.cycle_gap_max_secs,
    )?;

    positive(
        "reviewer.requests_per_minute",
        settings.reviewer.requests_per_minute.into(),
    )?;
    positive("leases.ttl_secs", settings.leases.ttl_secs)?;
    if settings.telemetry.health_base_port > u16::MAX - 4 {
        return Err(ConfigError::invalid(
            "telemetry.health_base_port",
            format!(
                "{} leaves no room for the services' ports (base + 1 to base + 4)",
                settings.telemetry.health_base_port
            ),
        ));
    }
    positive(
        "console.session_hours",
        settings.console.session_hours.into(),
    )?;
    positive(
        "console.login_attempts_per_minute",
        settings.console.login_attempts_per_minute.into(),
    )?;
    positive(
        "console.max_upload_bytes",
        settings.console.max_upload_bytes as u64,
    )?;
    let scale = settings.clock.scale;
    if !(scale.is_finite() && scale > 0.0 && scale <= MAX_CLOCK_SCALE) {
        return Err(ConfigError::invalid(
            "clock.scale",
            format!("must be a number above 0 and at most {MAX_CLOCK_SCALE}, got {scale}"),
        ));
    }
    Ok(())
}

fn positive(key: &str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        Err(ConfigError::invalid(key, "must be greater than 0, got 0"))
    } else {
        Ok(())
    }
}

fn not_above(min_key: &str, min: u64, max_key: &str, max: u64) -> Result<(), ConfigError> {
    if min > max {
        Err(ConfigError::Range {
            min_key: min_key.to_owned(),
            min,
            max_key: max_key.to_owned(),
            max,
        })
    } else {
        Ok(())
    }
}

fn check_database_url(url: &str) -> Result<(), ConfigError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            "database.url",
            "must start with postgres:// or postgresql://",
        ))
    }
}

fn check_session_key(encoded: &str) -> Result<(), ConfigError> {
    let key = "sessions.encryption_key";
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ConfigError::invalid(key, "is not valid base64"))?;
    if bytes.len() == SESSION_KEY_BYTES {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            key,
            format!(
                "must decode to {SESSION_KEY_BYTES} bytes, got {} (generate one with `openssl rand -base64 32`)",
                bytes.len()
            ),
        ))
    }
}
