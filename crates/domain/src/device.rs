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
//! - The official apps' `api_id`s (opentele `src/api.py`): Telegram Desktop 2040,
//!   Telegram for Android 6, Telegram X for Android 21724.
//!
//! An import that brought only part of a device (a `tdata` folder gives the
//! application and its version, not the machine) is completed from the same family,
//! so the fields stay consistent with each other ([`DeviceFamily::of`]).

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

/// Which official app a device set is shaped after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceFamily {
    /// Telegram Desktop.
    Desktop,
    /// Telegram for Android (and Telegram X).
    Android,
}

impl DeviceFamily {
    /// The family the known fields of a (partial) device set belong to, if any tells:
    /// the official app's `api_id`, or a field only that app's shape has
    /// (`SDK n` / `name (code)` for Android, `Desktop` / `Windows ..` / `.. x64` for
    /// Telegram Desktop).
    pub fn of(
        api_id: Option<i32>,
        device_model: Option<&str>,
        system_version: Option<&str>,
        app_version: Option<&str>,
    ) -> Option<Self> {
        match api_id {
            Some(2040) => return Some(Self::Desktop),
            Some(6 | 21724) => return Some(Self::Android),
            _ => {}
        }
        let desktop = device_model == Some("Desktop")
            || system_version.is_some_and(|v| v.starts_with("Windows"))
            || app_version.is_some_and(|v| v.ends_with(" x64") || v.ends_with(" x86"));
        let android = system_version.is_some_and(|v| v.starts_with("SDK "))
            || app_version.is_some_and(|v| v.ends_with(')'));
        match (desktop, android) {
            (true, false) => Some(Self::Desktop),
            (false, true) => Some(Self::Android),
            _ => None,
        }
    }
}

impl DeviceProfile {
    /// The official app this device is shaped after.
    pub fn family(&self) -> DeviceFamily {
        if self.system_version.starts_with("SDK ") {
            DeviceFamily::Android
        } else {
            DeviceFamily::Desktop
        }
    }

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
        Self::pick_in(None, rng)
    }

    /// [`Self::pick`] among the devices of `family` (any device when `None`).
    pub fn pick_in(family: Option<DeviceFamily>, rng: &mut impl Rng) -> Self {
        let devices: Vec<Self> = Self::all()
            .filter(|device| family.is_none_or(|family| device.family() == family))
            .collect();
        let device = devices[rng.random_range(0..devices.len())];
        let (lang_code, system_lang_code) = LANGUAGES[rng.random_range(0..LANGUAGES.len())];
        Self {
            system_lang_code,
            lang_code,
            ..device
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
    fn a_partial_set_is_completed_from_its_own_family() {
        // A tdata import: Telegram Desktop's api_id and version only.
        let tdata = DeviceFamily::of(Some(2040), None, None, Some("5.6.3 x64"));
        assert_eq!(tdata, Some(DeviceFamily::Desktop));
        assert_eq!(
            DeviceFamily::of(None, None, Some("SDK 31"), None),
            Some(DeviceFamily::Android)
        );
        assert_eq!(
            DeviceFamily::of(Some(6), None, None, None),
            Some(DeviceFamily::Android)
        );
        assert_eq!(DeviceFamily::of(None, Some("Pixel"), None, None), None);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..100 {
            let desktop = DeviceProfile::pick_in(tdata, &mut rng);
            assert_eq!(desktop.family(), DeviceFamily::Desktop, "{desktop:?}");
            let android = DeviceProfile::pick_in(Some(DeviceFamily::Android), &mut rng);
            assert_eq!(android.family(), DeviceFamily::Android, "{android:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_device() {
        let pick = |seed| DeviceProfile::pick(&mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(pick(3), pick(3));
    }
}
