//! account-manager's tables: which account is responsible for which group
//! ([`Store::assign_groups`]), the per-slot join plans ([`Store::plan_slot`]), the
//! executor's reads ([`Store::join_queue`], [`Store::next_join`]) and each join's
//! outcome, written under the account's lease ([`Store::record_join`]).
//!
//! A membership is *live* while `pending`, `joined` or `join_requested` (it counts
//! toward the per-account cap). A group is *open* while `new` or `active`: only
//! open groups are planned, joined or handed over (invariant 4).

mod assign;
mod outcome;
mod slots;

pub use assign::AssignmentReport;
pub use outcome::{ChatFacts, JoinRecord};
pub use slots::{JoinEvent, JoinMembership, JoinQueue, NextJoin, QueuedJoiner, SlotPlan};

use crate::StoredPeer;
