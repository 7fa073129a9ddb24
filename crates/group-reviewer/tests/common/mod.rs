//! Fixtures shared by the reviewer's service tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;
use tg_world::{GeneratorSpec, GroupMix, Profile};
use tgfleet_domain::{GroupHandle, GroupId};
use tgfleet_store::{Group, GroupFilter};
use tgfleet_testkit::{SeededMembership, TestFleet};

/// The operators' example catalogue: 144 groups, 5 of which ban the account (an anti-spam
/// bot kicks new members) and 25 of which are inaccessible.
pub fn mix_144() -> GroupMix {
    GroupMix::default()
        .with(Profile::Open, 80)
        .with(Profile::Broadcast, 6)
        .with(Profile::PrivateInvite, 8)
        .with(Profile::Approval, 4)
        .with(Profile::NoText, 4)
        .with(Profile::NoMedia, 3)
        .with(Profile::NoLinks, 3)
        .with(Profile::JoinToSend, 3)
        .with(Profile::SlowMode, 3)
        .with(Profile::KickAfterJoin, 5)
        .with(Profile::Missing, 5)
        .with(Profile::VanishedPrivate, 5)
        .with(Profile::VanishedReleased, 5)
        .with(Profile::VanishedDeleted, 5)
        .with(Profile::ExpiredInvite, 5)
}

/// A fleet whose groups are imported, joined by every account round robin and
/// seeded as memberships; then two hours pass (anti-spam kicks happen).
pub async fn joined_fleet(
    pool: PgPool,
    spec: GeneratorSpec,
    settings: &str,
) -> (TestFleet, Vec<SeededMembership>) {
    let (fleet, seeded) = TestFleet::builder(spec)
        .settings(settings)
        .start_joined(pool)
        .await;
    fleet.clock.sleep(Duration::from_secs(2 * 3600)).await;
    (fleet, seeded)
}

/// [`joined_fleet`] over `groups` open groups and default settings.
pub async fn open_fleet(pool: PgPool, seed: u64, accounts: u32, groups: u32) -> TestFleet {
    let spec = GeneratorSpec::new(
        seed,
        accounts,
        GroupMix::default().with(Profile::Open, groups),
    );
    joined_fleet(pool, spec, "").await.0
}

/// The store's groups by handle.
pub async fn groups_by_handle(fleet: &TestFleet) -> HashMap<GroupHandle, Group> {
    fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|group| (group.handle.clone(), group))
        .collect()
}

/// The store id of every generated group of `profile`.
pub async fn ids_of(fleet: &TestFleet, profile: Profile) -> Vec<GroupId> {
    let groups = groups_by_handle(fleet).await;
    fleet
        .generated
        .handles_of(profile)
        .iter()
        .map(|h| groups[&GroupHandle::parse(&h.line).unwrap()].id)
        .collect()
}
