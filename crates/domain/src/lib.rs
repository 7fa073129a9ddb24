//! Pure domain of tgfleet: identifiers, statuses, group handles and the policies
//! (slot planning, pauses, FloodWait rules, caps and windows, pre-check verdicts).
//!
//! Nothing here performs I/O, reads a clock or uses a global random generator:
//! time and randomness are passed in, so every rule is unit-testable.

pub mod account_availability;
pub mod activity_policy;
pub mod assignment;
pub mod campaign;
pub mod clock;
pub mod device;
pub mod handle;
pub mod handle_list;
pub mod ids;
pub mod join_policy;
pub mod phone;
pub mod post_outcome;
pub mod posting;
pub mod relay;
pub mod review_policy;
pub mod status;
pub mod tag;
pub mod tg_error;
pub mod windows;

pub use account_availability::unavailable_because;
pub use assignment::{AccountLoad, assign_balanced};
pub use campaign::{
    BodyFormat, CampaignName, CampaignStatus, VariantContent, VariantKind, VariantText,
};
pub use clock::{Clock, SystemClock, to_delta};
pub use device::{DeviceFamily, DeviceProfile};
pub use handle::{GroupHandle, HandleError};
pub use ids::{
    AccountCheckId, AccountId, CampaignId, GroupId, MessageRequestId, PostId, VariantId,
};
pub use phone::mask_phone;
pub use review_policy::{CannotPost, GroupReview, ReviewVerdict};
pub use status::{AccountStatus, GroupStatus, MembershipState, ParseStatusError, PostState};
pub use tag::{TagError, normalize_tag};
pub use tg_error::{About, ContentKind, TgError, TgResult};
pub use windows::{ActivityWindows, HourRange, WindowsError};
