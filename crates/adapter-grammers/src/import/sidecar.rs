//! The "session + JSON" pairs sellers and account tools ship: `alice.session` with
//! `alice.json` beside it, holding the device the session was used from and often the
//! 2FA password; sometimes a `2fa.txt` in the same folder holds the password instead.
//!
//! Field names (the common ones, with the aliases tools use): `app_id` / `api_id`,
//! `device` / `device_model`, `sdk` / `system_version`, `app_version`, `lang_pack` /
//! `lang_code`, `system_lang_pack` / `system_lang_code`, `twoFA` / `2fa` / `password`,
//! `phone`, `user_id` / `id`. Unknown fields (`app_hash`, names, avatars…) are ignored;
//! `app_hash` is never stored.

use secrecy::SecretString;
use serde_json::{Map, Value};
use std::path::Path;
use tgfleet_store::DeviceParams;

/// What a sidecar adds to a session.
#[derive(Debug, Default)]
pub(crate) struct Sidecar {
    pub device: Option<DeviceParams>,
    pub password: Option<SecretString>,
    pub phone: Option<String>,
    pub user_id: Option<i64>,
}

/// The name of the folder-wide password file.
pub(crate) const TWO_FA_FILE: &str = "2fa.txt";

/// Reads `file` (a JSON object). Errors name the field, never its value.
pub(crate) fn read(file: &Path) -> Result<Sidecar, String> {
    let name = super::file_name(file);
    let text = std::fs::read_to_string(file)
        .map_err(|err| format!("its sidecar {name}: {}", super::io_reason(&err)))?;
    let value: Value = serde_json::from_str(&text).map_err(|err| {
        format!(
            "its sidecar {name} is not JSON (line {}, column {})",
            err.line(),
            err.column()
        )
    })?;
    let Value::Object(object) = value else {
        return Err(format!("its sidecar {name} is not a JSON object"));
    };
    let fields = Fields {
        object: &object,
        file: &name,
    };
    let device = DeviceParams {
        api_id: fields
            .integer(&["app_id", "api_id"])?
            .map(|id| {
                i32::try_from(id)
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| format!("its sidecar {name}: app_id {id} is not a valid api_id"))
            })
            .transpose()?,
        device_model: fields.text(&["device", "device_model"])?,
        system_version: fields.text(&["sdk", "system_version"])?,
        app_version: fields.text(&["app_version"])?,
        system_lang_code: fields.text(&["system_lang_pack", "system_lang_code"])?,
        lang_code: fields.text(&["lang_pack", "lang_code"])?,
        source: format!("json sidecar {name}"),
    };
    let has_device = device.api_id.is_some()
        || [
            &device.device_model,
            &device.system_version,
            &device.app_version,
            &device.system_lang_code,
            &device.lang_code,
        ]
        .iter()
        .any(|field| field.is_some());
    Ok(Sidecar {
        device: has_device.then_some(device),
        password: fields
            .text(&["twoFA", "2fa", "password", "two_fa"])?
            .map(SecretString::from),
        phone: fields.text(&["phone"])?,
        user_id: fields.integer(&["user_id", "id"])?.filter(|id| *id > 0),
    })
}

/// Reads the password of a `2fa.txt`: its first non-empty line.
pub(crate) fn read_two_fa(file: &Path) -> Result<Option<SecretString>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|err| format!("{TWO_FA_FILE}: {}", super::io_reason(&err)))?;
    Ok(text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(|line| SecretString::from(line.to_owned())))
}

struct Fields<'a> {
    object: &'a Map<String, Value>,
    file: &'a str,
}

impl<'a> Fields<'a> {
    /// The first present, non-null, non-empty field of `names`.
    fn find<'n>(&self, names: &[&'n str]) -> Option<(&'n str, &'a Value)> {
        names.iter().find_map(|name| {
            self.object
                .get(*name)
                .filter(|value| !value.is_null() && value.as_str() != Some(""))
                .map(|value| (*name, value))
        })
    }

    fn text(&self, names: &[&str]) -> Result<Option<String>, String> {
        match self.find(names) {
            None => Ok(None),
            Some((_, Value::String(text))) => Ok(Some(text.trim().to_owned())),
            Some((_, Value::Number(number))) => Ok(Some(number.to_string())),
            Some((name, _)) => Err(format!(
                "its sidecar {}: field {name} must be a string",
                self.file
            )),
        }
    }

    fn integer(&self, names: &[&str]) -> Result<Option<i64>, String> {
        match self.find(names) {
            None => Ok(None),
            Some((name, value)) => value
                .as_i64()
                .or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))
                .map(Some)
                .ok_or_else(|| {
                    format!("its sidecar {}: field {name} must be an integer", self.file)
                }),
        }
    }
}
