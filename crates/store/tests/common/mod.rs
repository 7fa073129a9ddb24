//! Helpers shared by the store tests.

use tgfleet_domain::AccountId;
use tgfleet_store::{NewAccount, Store};

/// Creates an account with only a label and returns its id.
pub async fn account(store: &Store, label: &str) -> AccountId {
    store
        .create_account(&NewAccount {
            label: label.to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap()
        .id
}
