//! Layering: embedded defaults < TOML file < environment.

use crate::validate::validate;
use crate::{ConfigError, DEFAULTS_TOML, Settings};
use config::{Config, ConfigBuilder, File, FileFormat, builder::DefaultState};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variables by name (the process environment, or a map in tests).
pub type EnvMap = BTreeMap<String, String>;

/// Short environment variables and the keys they set. The long form
/// `TGFLEET__SECTION__KEY` wins when both are set.
pub const ENV_SHORTCUTS: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("TGFLEET_SESSION_KEY", "sessions.encryption_key"),
    ("TG_API_ID", "telegram.api_id"),
    ("TG_API_HASH", "telegram.api_hash"),
];

/// Names the file to read when `--config` is not given.
const CONFIG_FILE_VARIABLE: &str = "TGFLEET_CONFIG";
const ENV_PREFIX: &str = "TGFLEET__";
const ENV_SEPARATOR: &str = "__";
/// Keys holding lists; their environment values are split on `;` (cron uses `,`).
const LIST_KEYS: &[&str] = &["joins.slots"];
/// Keys whose values never appear in error messages.
pub(crate) const SECRET_KEYS: &[&str] = &[
    "database.url",
    "sessions.encryption_key",
    "telegram.api_hash",
];

impl Settings {
    /// Loads the settings from the defaults, `file` (or the file named by
    /// `TGFLEET_CONFIG`) and the process environment, and validates them.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: EnvMap = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        Self::load_with_env(file, &env)
    }

    /// [`Settings::load`] with an explicit environment (tests pass a map instead of
    /// touching the process environment).
    pub fn load_with_env(file: Option<&Path>, env: &EnvMap) -> Result<Self, ConfigError> {
        let file = file.map(Path::to_path_buf).or_else(|| {
            env.get(CONFIG_FILE_VARIABLE)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        });
        let mut builder = defaults();
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path).map_err(|err| ConfigError::File {
                path: path.clone(),
                message: err.to_string(),
            })?;
            check_toml(&text).map_err(|message| ConfigError::File {
                path: path.clone(),
                message,
            })?;
            builder = builder.add_source(File::from_str(&text, FileFormat::Toml));
        }
        for (key, value) in env_overrides(env)? {
            builder = match value {
                EnvValue::One(value) => builder.set_override(key, value),
                EnvValue::List(values) => builder.set_override(key, values),
            }
            .map_err(|err| ConfigError::invalid("environment", err.to_string()))?;
        }
        finish(builder)
    }

    /// The defaults overlaid with `toml` (no file, no environment): for tests and tools.
    pub fn from_toml_str(toml: &str) -> Result<Self, ConfigError> {
        check_toml(toml).map_err(|message| ConfigError::invalid("toml", message))?;
        finish(defaults().add_source(File::from_str(toml, FileFormat::Toml)))
    }
}

fn defaults() -> ConfigBuilder<DefaultState> {
    Config::builder().add_source(File::from_str(DEFAULTS_TOML, FileFormat::Toml))
}

/// Parses the TOML up front so a syntax error is reported with its line, before layering.
fn check_toml(text: &str) -> Result<(), String> {
    text.parse::<toml::Table>()
        .map(drop)
        .map_err(|err| err.to_string().trim_end().replace('\n', " "))
}

fn finish(builder: ConfigBuilder<DefaultState>) -> Result<Settings, ConfigError> {
    let config = builder.build().map_err(from_config_error)?;
    let settings: Settings = config.try_deserialize().map_err(from_config_error)?;
    validate(&settings)?;
    Ok(settings)
}

enum EnvValue {
    One(String),
    List(Vec<String>),
}

/// The environment layer as dotted keys: shortcuts first, then `TGFLEET__*`, which win.
fn env_overrides(env: &EnvMap) -> Result<BTreeMap<String, EnvValue>, ConfigError> {
    let mut overrides = BTreeMap::new();
    let mut put = |key: String, value: &str| {
        let value = if LIST_KEYS.contains(&key.as_str()) {
            EnvValue::List(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )
        } else {
            EnvValue::One(value.to_owned())
        };
        overrides.insert(key, value);
    };
    for (variable, key) in ENV_SHORTCUTS {
        if let Some(value) = env.get(*variable).filter(|value| !value.is_empty()) {
            put((*key).to_owned(), value);
        }
    }
    for (variable, value) in env {
        let Some(path) = variable.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let key = path.to_ascii_lowercase().replace(ENV_SEPARATOR, ".");
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(ConfigError::invalid(
                variable,
                "expected TGFLEET__SECTION__KEY, e.g. TGFLEET__JOINS__MAX_GROUPS_PER_SLOT",
            ));
        }
        put(key, value);
    }
    Ok(overrides)
}

/// Turns the config crate's errors into `key: message`, never quoting a secret.
fn from_config_error(err: config::ConfigError) -> ConfigError {
    match err {
        config::ConfigError::NotFound(key) => missing(&key),
        config::ConfigError::Type {
            unexpected,
            expected,
            key,
            ..
        } => {
            let key = key.unwrap_or_default();
            if SECRET_KEYS.contains(&key.as_str()) {
                ConfigError::invalid(&key, format!("expected {expected}"))
            } else {
                ConfigError::invalid(&key, format!("expected {expected}, found {unexpected}"))
            }
        }
        config::ConfigError::At { error, key, .. } => {
            let key = key.unwrap_or_default();
            let message = error.to_string();
            if let Some(field) = missing_field(&message) {
                return missing(&join_key(&key, field));
            }
            if let Some(field) = unknown_field(&message) {
                return ConfigError::invalid(&join_key(&key, field), "unknown key");
            }
            if SECRET_KEYS.contains(&key.as_str()) {
                return ConfigError::invalid(&key, "has a value of the wrong form");
            }
            ConfigError::invalid(&key, message)
        }
        config::ConfigError::Message(message) => {
            if let Some(field) = missing_field(&message) {
                return missing(field);
            }
            if let Some(field) = unknown_field(&message) {
                return ConfigError::invalid(field, "unknown key");
            }
            ConfigError::invalid("config", message)
        }
        other => ConfigError::invalid("config", other.to_string()),
    }
}

fn missing(key: &str) -> ConfigError {
    let shortcut = ENV_SHORTCUTS
        .iter()
        .find(|(_, shortcut_key)| *shortcut_key == key)
        .map(|(variable, _)| format!("{variable} or "))
        .unwrap_or_default();
    let variable = format!(
        "{ENV_PREFIX}{}",
        key.to_ascii_uppercase().replace('.', ENV_SEPARATOR)
    );
    ConfigError::Missing {
        key: key.to_owned(),
        hint: format!("set {shortcut}{variable}, or `{key}` in the config file"),
    }
}

fn join_key(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

/// The field of serde's "missing field `x`".
fn missing_field(message: &str) -> Option<&str> {
    quoted_after(message, "missing field `")
}

/// The field of serde's "unknown field `x`, expected ...".
fn unknown_field(message: &str) -> Option<&str> {
    quoted_after(message, "unknown field `")
}

fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    rest.split('`').next()
}
