//! The device an account introduces itself as in `initConnection` when its import
//! brought none: one plausible set, picked once per account from a small table of what
//! Telegram's official apps send, then stored and reused by every connection.
//!
//! Where the shapes come from:
//! - Telegram for Android (DrKLO/Telegram, `TMessagesProj/src/main/java/org/telegram/
//!   tgnet/ConnectionsManager.java`): `deviceModel = Build.MANUFACTURER + Build.MODEL`
//!   (no separator, e.g. `samsungSM-G991B`), `systemVersion = "SDK " + SDK_INT`,
//!   `appVersion = versionName + " (" + versionCode + ")"`.
//! - Telegram Desktop (as recorded by thedemons/opentele `src/api.py`, class
//!   `TelegramDesktop`, and iyear/tdl `core/util/tutil/device.go`): device `Desktop`,
//!   system `Windows 10`, app version `<x.y.z> x64`, `lang_code` `en`,
//!   `system_lang_code` `en-US`.
//! - The Android app version `8.4.1 (2522)` is opentele's `TelegramAndroid` template;
//!   `5.6.3 x64` is a Telegram Desktop version seen in imported JSON sidecars.

use rand::{Rng, RngExt as _};

/// One device as sent in `initConnection`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceProfile {
    /// `device_model`.
    pub device_model: &'static str,
    /// `system_version`.
    pub system_version: &'static str,
    /// `app_version`.
    pub app_version: &'static str,
    /// `system_lang_code`.
    pub system_lang_code: &'static str,
    /// `lang_code`.
    pub lang_code: &'static str,
}

/// `(device_model, system_version, app_version)` of the official apps, shapes as the
/// module doc cites them. Android models are public model numbers behind their
/// `Build.MANUFACTURER`, with the SDK level they ship or update to.
const DEVICES: [(&str, &str, &str); 8] = [
    ("Desktop", "Windows 10", "5.6.3 x64"),
    ("Desktop", "Windows 11", "5.6.3 x64"),
    ("samsungSM-G991B", "SDK 33", "8.4.1 (2522)"),
    ("samsungSM-A525F", "SDK 33", "8.4.1 (2522)"),
    ("samsungSM-S911B", "SDK 34", "8.4.1 (2522)"),
    ("XiaomiM2101K9AG", "SDK 33", "8.4.1 (2522)"),
    ("GooglePixel 7", "SDK 34", "8.4.1 (2522)"),
    ("OnePlusCPH2449", "SDK 34", "8.4.1 (2522)"),
];

/// `(lang_code, system_lang_code)`: the official apps send the app's language and the
/// system locale (`en` / `en-US` in the templates cited above).
const LANGUAGES: [(&str, &str); 2] = [("en", "en-US"), ("en", "en-GB")];

impl DeviceProfile {
    /// Every device the table holds (with the first language), for tests and listings.
    pub fn all() -> impl Iterator<Item = Self> {
        DEVICES.iter().map(|&(model, system, app)| Self {
            device_model: model,
            system_version: system,
            app_version: app,
            system_lang_code: LANGUAGES[0].1,
            lang_code: LANGUAGES[0].0,
        })
    }

    /// One device and language, drawn from `rng`. The caller stores the result: an
    /// account keeps the first set it was given.
    pub fn pick(rng: &mut impl Rng) -> Self {
        let (device_model, system_version, app_version) =
            DEVICES[rng.random_range(0..DEVICES.len())];
        let (lang_code, system_lang_code) = LANGUAGES[rng.random_range(0..LANGUAGES.len())];
        Self {
            device_model,
            system_version,
            app_version,
            system_lang_code,
            lang_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand_chacha::ChaCha8Rng;
    use std::collections::BTreeSet;

    #[test]
    fn picks_are_drawn_from_the_whole_table_and_are_consistent() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let models: BTreeSet<_> = (0..400)
            .map(|_| DeviceProfile::pick(&mut rng))
            .inspect(|device| {
                let android = device.system_version.starts_with("SDK ");
                assert_eq!(android, device.app_version.ends_with(')'), "{device:?}");
                assert_eq!(!android, device.device_model == "Desktop", "{device:?}");
            })
            .map(|device| device.device_model)
            .collect();
        let all: BTreeSet<_> = DeviceProfile::all().map(|d| d.device_model).collect();
        assert_eq!(models, all);
    }

    #[test]
    fn the_same_seed_gives_the_same_device() {
        let pick = |seed| DeviceProfile::pick(&mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(pick(3), pick(3));
    }
}
