//! Loading, layering and validation of the settings.

use secrecy::ExposeSecret;
use std::io::Write;
use tgfleet_config::{ConfigError, EnvMap, Service, Settings};

const URL: &str = "[database]\nurl = \"postgres://tgfleet:hunter2-db@127.0.0.1:5432/tgfleet\"\n";
const SESSION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn with_url(extra: &str) -> String {
    format!("{URL}{extra}")
}

fn invalid(result: Result<Settings, ConfigError>) -> (String, String) {
    let err = result.expect_err("the configuration should be rejected");
    (err.key().unwrap_or_default().to_owned(), err.to_string())
}

fn env(pairs: &[(&str, &str)]) -> EnvMap {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn defaults_are_the_seed_numbers() {
    let settings = Settings::from_toml_str(URL).unwrap();
    assert_eq!(settings.schedule.time_zone.to_string(), "Asia/Jakarta");
    assert_eq!(settings.joins.slots[0].as_str(), "0 9 * * *");
    assert_eq!(settings.joins.max_groups_per_slot, 5);
    assert_eq!(
        (settings.joins.pause_min_secs, settings.joins.pause_max_secs),
        (300, 600)
    );
    assert_eq!(settings.joins.flood_wait_short_max_secs, 600);
    assert_eq!(settings.joins.flood_wait_rest_above_secs, 3600);
    assert_eq!(settings.posting.windows.to_string(), "5-10,18-24");
    assert_eq!(
        (settings.posting.per_day, settings.posting.per_hour),
        (40, 8)
    );
    assert_eq!(settings.posting.spam_block_threshold, 3);
    assert!(!settings.activity.reactions_enabled);
    assert_eq!(settings.reviewer.schedule.as_str(), "0 3 * * *");
    assert_eq!(
        settings.telemetry.health_port(Service::Marketer),
        Some(9182)
    );
    assert!(settings.session_key().is_err());
}

#[test]
fn a_misspelt_time_zone_names_the_key_and_the_value() {
    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[schedule]\ntime_zone = \"Asia/Jakata\"\n",
    )));
    assert_eq!(key, "schedule.time_zone");
    assert!(
        message.starts_with("schedule.time_zone: unknown time zone \"Asia/Jakata\""),
        "{message}"
    );
}

#[test]
fn pause_min_above_max_names_both_keys() {
    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[joins]\npause_min_secs = 900\npause_max_secs = 600\n",
    )));
    assert_eq!(key, "joins.pause_min_secs");
    assert_eq!(
        message,
        "joins.pause_min_secs (900) must not exceed joins.pause_max_secs (600)"
    );
}

#[test]
fn a_bad_cron_names_the_key_and_the_expression() {
    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[joins]\nslots = [\"0 9 * * *\", \"0 25 * * *\"]\n",
    )));
    assert!(key.starts_with("joins.slots"), "{key}");
    assert!(message.contains("\"0 25 * * *\""), "{message}");

    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[reviewer]\nschedule = \"daily\"\n",
    )));
    assert_eq!(key, "reviewer.schedule");
    assert!(message.contains("\"daily\""), "{message}");
}

#[test]
fn zero_limits_are_rejected() {
    for (section, field) in [
        ("joins", "max_groups_per_slot"),
        ("posting", "per_day"),
        ("posting", "per_hour"),
        ("leases", "ttl_secs"),
        ("database", "max_connections"),
    ] {
        let toml = if section == "database" {
            format!("[database]\nurl = \"postgres://x@h/db\"\n{field} = 0\n")
        } else {
            with_url(&format!("[{section}]\n{field} = 0\n"))
        };
        let (key, message) = invalid(Settings::from_toml_str(&toml));
        assert_eq!(key, format!("{section}.{field}"));
        assert!(message.contains("must be greater than 0"), "{message}");
    }
}

#[test]
fn a_missing_database_url_says_how_to_set_it() {
    let err = Settings::load_with_env(None, &EnvMap::new()).unwrap_err();
    assert_eq!(err.key(), Some("database.url"));
    let message = err.to_string();
    assert!(message.contains("DATABASE_URL"), "{message}");
}

#[test]
fn wrong_types_and_unknown_keys_name_the_key() {
    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[joins]\nmax_groups_per_slot = \"five\"\n",
    )));
    assert_eq!(key, "joins.max_groups_per_slot");
    assert!(message.contains("five"), "{message}");

    let (key, _) = invalid(Settings::from_toml_str(&with_url(
        "[joins]\npause_mins_secs = 1\n",
    )));
    assert_eq!(key, "joins.pause_mins_secs");

    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[posting]\nwindows = \"5-10,evening\"\n",
    )));
    assert_eq!(key, "posting.windows");
    assert!(message.contains("\"evening\""), "{message}");
}

#[test]
fn debug_prints_no_secret() {
    let toml = format!(
        "{URL}[telegram]\napi_id = 12345\napi_hash = \"0123456789abcdef-hash-secret\"\n[sessions]\nencryption_key = \"{SESSION_KEY}\"\n"
    );
    let settings = Settings::from_toml_str(&toml).unwrap();
    let debug = format!("{settings:?}");
    for secret in [
        "hunter2-db",
        "0123456789abcdef-hash-secret",
        SESSION_KEY,
        "tgfleet@127",
    ] {
        assert!(!debug.contains(secret), "Debug leaks {secret}: {debug}");
    }
    assert!(
        debug.contains("12345"),
        "non-secret values stay visible: {debug}"
    );
    assert_eq!(settings.session_key().unwrap().expose_secret(), SESSION_KEY);
    let (api_id, api_hash) = settings.telegram_credentials().unwrap();
    assert_eq!(
        (api_id, api_hash.expose_secret()),
        (12345, "0123456789abcdef-hash-secret")
    );
}

#[test]
fn errors_about_secrets_do_not_quote_them() {
    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[sessions]\nencryption_key = \"c2hvcnQtc2VjcmV0\"\n",
    )));
    assert_eq!(key, "sessions.encryption_key");
    assert!(!message.contains("c2hvcnQtc2VjcmV0"), "{message}");
    assert!(message.contains("32 bytes"), "{message}");

    let (key, message) = invalid(Settings::from_toml_str(
        "[database]\nurl = \"mysql://root:topsecret@db/x\"\n",
    ));
    assert_eq!(key, "database.url");
    assert!(!message.contains("topsecret"), "{message}");
}

#[test]
fn environment_overrides_the_file() {
    let file = config_file(&with_url(
        "[joins]\nmax_groups_per_slot = 4\nslots = [\"0 9 * * *\"]\n[posting]\nper_day = 30\n",
    ));
    let settings = Settings::load_with_env(
        Some(file.path()),
        &env(&[
            ("TGFLEET__JOINS__MAX_GROUPS_PER_SLOT", "2"),
            ("TGFLEET__JOINS__SLOTS", "0 9 * * *; 30 14 * * 1-5"),
            ("DATABASE_URL", "postgres://other@db.example:5433/fleet"),
            ("TGFLEET_SESSION_KEY", SESSION_KEY),
            ("TG_API_ID", "777"),
        ]),
    )
    .unwrap();
    assert_eq!(
        settings.joins.max_groups_per_slot, 2,
        "environment wins over the file"
    );
    assert_eq!(
        settings.posting.per_day, 30,
        "the file wins over the defaults"
    );
    let slots: Vec<&str> = settings
        .joins
        .slots
        .iter()
        .map(|slot| slot.as_str())
        .collect();
    assert_eq!(slots, ["0 9 * * *", "30 14 * * 1-5"]);
    assert_eq!(
        settings.database.url.expose_secret(),
        "postgres://other@db.example:5433/fleet"
    );
    assert_eq!(settings.telegram.api_id, Some(777));
    assert!(settings.session_key().is_ok());
}

#[test]
fn the_long_environment_form_wins_over_the_shortcut() {
    let settings = Settings::load_with_env(
        None,
        &env(&[
            ("DATABASE_URL", "postgres://short@h/db"),
            ("TGFLEET__DATABASE__URL", "postgres://long@h/db"),
        ]),
    )
    .unwrap();
    assert_eq!(
        settings.database.url.expose_secret(),
        "postgres://long@h/db"
    );
}

#[test]
fn the_config_file_can_come_from_tgfleet_config() {
    let file = config_file(&with_url("[schedule]\ntime_zone = \"Europe/Moscow\"\n"));
    let settings = Settings::load_with_env(
        None,
        &env(&[("TGFLEET_CONFIG", file.path().to_str().unwrap())]),
    )
    .unwrap();
    assert_eq!(settings.schedule.time_zone.to_string(), "Europe/Moscow");
}

#[test]
fn file_problems_name_the_file() {
    let err = Settings::load_with_env(Some("/nonexistent/tgfleet.toml".as_ref()), &EnvMap::new())
        .unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/tgfleet.toml"),
        "{err}"
    );

    let file = config_file("[joins\nmax = 1\n");
    let err = Settings::load_with_env(Some(file.path()), &EnvMap::new()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains(file.path().to_str().unwrap()), "{message}");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn a_bad_environment_value_names_the_key() {
    let err = Settings::load_with_env(
        None,
        &env(&[
            ("DATABASE_URL", "postgres://x@h/db"),
            ("TGFLEET__SCHEDULE__TIME_ZONE", "Asia/Jakata"),
        ]),
    )
    .unwrap_err();
    assert_eq!(err.key(), Some("schedule.time_zone"));
    assert!(err.to_string().contains("\"Asia/Jakata\""), "{err}");
}

#[test]
fn debug_of_settings_stays_readable() {
    let settings = Settings::from_toml_str(URL).unwrap();
    let debug = format!("{settings:?}");
    assert!(debug.contains("CronSchedule(\"0 9 * * *\")"), "{debug}");
    assert!(
        debug.len() < 4000,
        "Debug is {} characters long",
        debug.len()
    );
}

#[test]
fn an_unknown_log_format_lists_the_choices() {
    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[telemetry]\nlog_format = \"xml\"\n",
    )));
    assert_eq!(key, "telemetry.log_format");
    assert!(
        message.contains("\"xml\"") && message.contains("\"json\""),
        "{message}"
    );
}

#[test]
fn the_clock_is_real_time_unless_scaled() {
    let settings = Settings::from_toml_str(URL).unwrap();
    assert!(settings.clock.is_real_time());

    let settings = Settings::load_with_env(
        None,
        &env(&[
            ("DATABASE_URL", "postgres://x@h/db"),
            ("TGFLEET__CLOCK__SCALE", "60"),
            ("TGFLEET__CLOCK__ORIGIN", "2026-11-22T09:00:00+07:00"),
        ]),
    )
    .unwrap();
    assert!(!settings.clock.is_real_time());
    assert_eq!(settings.clock.scale, 60.0);
    assert_eq!(
        settings.clock.origin.unwrap().0.to_rfc3339(),
        "2026-11-22T02:00:00+00:00"
    );
}

#[test]
fn a_bad_clock_names_the_key() {
    for scale in ["0", "-2", "1e9"] {
        let (key, message) = invalid(Settings::from_toml_str(&with_url(&format!(
            "[clock]\nscale = {scale}\n"
        ))));
        assert_eq!(key, "clock.scale", "{message}");
        assert!(message.contains("above 0"), "{message}");
    }
    let (key, message) = invalid(Settings::from_toml_str(&with_url(
        "[clock]\norigin = \"yesterday\"\n",
    )));
    assert_eq!(key, "clock.origin");
    assert!(message.contains("\"yesterday\""), "{message}");
}
