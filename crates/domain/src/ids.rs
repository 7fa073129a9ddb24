//! Typed database identifiers, so an account id is never passed where a group id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Primary key of a row in `accounts`.
    AccountId
);
id_type!(
    /// Primary key of a row in `groups`.
    GroupId
);
id_type!(
    /// Primary key of a row in `campaigns`.
    CampaignId
);
id_type!(
    /// Primary key of a row in `message_variants`.
    VariantId
);
id_type!(
    /// Primary key of a row in `posts`.
    PostId
);
id_type!(
    /// Primary key of a row in `message_requests` (a one-off send).
    MessageRequestId
);
id_type!(
    /// Primary key of a row in `account_checks`.
    AccountCheckId
);
