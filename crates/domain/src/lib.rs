//! Pure domain of tgfleet: identifiers, statuses, group handles and the policies
//! (slot planning, pauses, FloodWait rules, caps and windows, pre-check verdicts).
//!
//! Nothing here performs I/O, reads a clock or uses a global random generator:
//! time and randomness are passed in, so every rule is unit-testable.

pub mod campaign;
pub mod clock;
pub mod handle;
pub mod ids;
pub mod phone;
pub mod post_outcome;
pub mod posting;
pub mod status;
pub mod tag;
pub mod windows;

pub use campaign::{BodyFormat, CampaignStatus, VariantKind};
pub use clock::{Clock, SystemClock};
pub use handle::{GroupHandle, HandleError};
pub use ids::{AccountId, CampaignId, GroupId, PostId, VariantId};
pub use phone::mask_phone;
pub use status::{AccountStatus, GroupStatus, MembershipState, ParseStatusError, PostState};
pub use tag::{TagError, normalize_tag};
pub use windows::{ActivityWindows, HourRange, WindowsError};
