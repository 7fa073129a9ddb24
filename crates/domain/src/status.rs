//! The status vocabularies stored in Postgres as text (with CHECK constraints).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A status string that is not part of its vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}; expected one of: {expected}")]
pub struct ParseStatusError {
    /// Which vocabulary was parsed.
    pub kind: &'static str,
    /// The rejected value.
    pub value: String,
    /// The accepted values, comma-separated.
    pub expected: &'static str,
}

macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The text stored in Postgres.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseStatusError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(ParseStatusError {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: concat!($($text, " "),+).trim_ascii_end(),
                    }),
                }
            }
        }
    };
}

pub(crate) use status_enum;

status_enum!(
    /// Lifecycle of a fleet account.
    AccountStatus, "account status" {
        /// Usable by every service.
        Active => "active",
        /// Taken out of service by the operator.
        Suspended => "suspended",
        /// Resting after a long FloodWait or a spam cool-down, until `rest_until`.
        Resting => "resting",
        /// The session was revoked or the auth key is unknown: needs a new login.
        Unauthorized => "unauthorized",
        /// Telegram deactivated (banned) the account.
        Deactivated => "deactivated",
        /// Telegram froze the account (`FROZEN_METHOD_INVALID`): it may only read its own data.
        Frozen => "frozen",
    }
);

status_enum!(
    /// Status of a group in the operator's catalogue.
    GroupStatus, "group status" {
        /// Imported, not yet joined or reviewed.
        New => "new",
        /// Reachable; see `can_post` for whether posting is allowed.
        Active => "active",
        /// An account was banned or forbidden to write: off-limits to every account.
        Banned => "banned",
        /// Private, vanished or the invite expired.
        Inaccessible => "inaccessible",
    }
);

status_enum!(
    /// State of one account's membership in one group.
    MembershipState, "membership state" {
        /// Assigned, waiting for a join slot.
        Pending => "pending",
        /// A member.
        Joined => "joined",
        /// A join request awaits admin approval.
        JoinRequested => "join_requested",
        /// Left or removed.
        Left => "left",
        /// Banned in the group.
        Banned => "banned",
        /// Joining failed for good (inaccessible or repeated errors).
        Failed => "failed",
    }
);

status_enum!(
    /// State of one post attempt.
    PostState, "post state" {
        /// Claimed and recorded; the send has not been confirmed.
        Pending => "pending",
        /// Telegram accepted the message.
        Sent => "sent",
        /// Telegram refused the message.
        Failed => "failed",
        /// Not sent because the pre-check said no.
        Skipped => "skipped",
        /// A crash left the outcome unknown; never resent blindly.
        Unknown => "unknown",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_text() {
        for status in AccountStatus::ALL {
            assert_eq!(status.as_str().parse::<AccountStatus>(), Ok(*status));
        }
        for state in MembershipState::ALL {
            assert_eq!(state.as_str().parse::<MembershipState>(), Ok(*state));
        }
        let err = "asleep".parse::<AccountStatus>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown account status \"asleep\"; expected one of: active suspended resting unauthorized deactivated frozen"
        );
    }
}
