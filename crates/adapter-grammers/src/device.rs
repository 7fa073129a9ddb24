//! The device parameters an account's connections send in `initConnection`: the set
//! stored with its session (imported from a JSON sidecar or `tdata`, or generated
//! earlier), otherwise one picked now from the domain's table and stored, first writer
//! wins, so that every connection, every replica and every login present the same
//! device. A partial import is completed from its own family (a `tdata` session
//! becomes a Telegram Desktop device, never `tgfleet`).

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use tgfleet_domain::{AccountId, DeviceFamily, DeviceProfile};
use tgfleet_store::{DeviceParams, Store, StoreError};

/// A device set for `account`, not stored yet, of the same family as what `known`
/// holds (a partial import). `seed` (tests) makes the pick a function of the seed and
/// the account; without it the pick draws from the operating system's entropy.
pub(crate) fn candidate(
    seed: Option<u64>,
    account: AccountId,
    known: Option<&DeviceParams>,
) -> DeviceParams {
    let mut rng = match seed {
        Some(seed) => StdRng::seed_from_u64(seed ^ account.0.cast_unsigned()),
        None => rand::make_rng(),
    };
    let family = known.and_then(|known| {
        DeviceFamily::of(
            known.api_id,
            known.device_model.as_deref(),
            known.system_version.as_deref(),
            known.app_version.as_deref(),
        )
    });
    DeviceParams::generated(DeviceProfile::pick_in(family, &mut rng))
}

/// The device `account` presents: its stored set when complete, otherwise completed
/// (or wholly made) from a [`candidate`] and stored now (the store keeps whatever was
/// written first). `None` only when the account has no session row to store it on.
pub(crate) async fn account_device(
    store: &Store,
    account: AccountId,
    seed: Option<u64>,
) -> Result<Option<DeviceParams>, StoreError> {
    let stored = store.load_device(account).await?;
    if stored.as_ref().is_some_and(DeviceParams::is_complete) {
        return Ok(stored);
    }
    let candidate = candidate(seed, account, stored.as_ref());
    store.ensure_device(account, &candidate).await
}
