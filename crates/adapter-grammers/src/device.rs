//! The device parameters an account's connections send in `initConnection`: the set
//! stored with its session (imported from a JSON sidecar or `tdata`, or generated
//! earlier), otherwise one picked now from the domain's table and stored, first writer
//! wins, so that every connection, every replica and every login present the same
//! device.

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use tgfleet_domain::{AccountId, DeviceProfile};
use tgfleet_store::{DeviceParams, Store, StoreError};

/// A device set for `account`, not stored yet. `seed` (tests) makes the pick a
/// function of the seed and the account; without it the pick draws from the
/// operating system's entropy.
pub(crate) fn candidate(seed: Option<u64>, account: AccountId) -> DeviceParams {
    let mut rng = match seed {
        Some(seed) => StdRng::seed_from_u64(seed ^ account.0.cast_unsigned()),
        None => rand::make_rng(),
    };
    DeviceParams::generated(DeviceProfile::pick(&mut rng))
}

/// The device `account` presents: its stored set, or a [`candidate`] stored now (the
/// store keeps whichever set was written first). `None` only when the account has no
/// session row to store it on.
pub(crate) async fn account_device(
    store: &Store,
    account: AccountId,
    seed: Option<u64>,
) -> Result<Option<DeviceParams>, StoreError> {
    store
        .ensure_device(account, &candidate(seed, account))
        .await
}
