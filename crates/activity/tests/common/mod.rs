//! Fixtures shared by the activity service tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use sqlx::PgPool;
use std::time::Duration;
use tg_world::{GeneratorSpec, GroupMix, Profile};
use tgfleet_activity::Activity;
use tgfleet_testkit::TestFleet;

/// `groups` open groups, every one showing stories.
pub fn spec(seed: u64, accounts: u32, groups: u32) -> GeneratorSpec {
    let mut spec = GeneratorSpec::new(
        seed,
        accounts,
        GroupMix::default().with(Profile::Open, groups),
    );
    spec.with_stories = groups;
    spec
}

/// A fleet whose accounts joined every group (round robin).
pub async fn joined_fleet(pool: PgPool, spec: GeneratorSpec, settings: &str) -> TestFleet {
    TestFleet::builder(spec)
        .settings(settings)
        .start_joined(pool)
        .await
        .0
}

/// Runs `activity` until the virtual clock has advanced `for_how_long`.
pub async fn run_for(fleet: &TestFleet, activity: Activity, for_how_long: Duration) {
    let clock = fleet.clock.clone();
    let shutdown = fleet.shutdown.clone();
    let stop = async move {
        clock.sleep(for_how_long).await;
        shutdown.cancel();
    };
    let (result, ()) = tokio::join!(activity.run(), stop);
    result.unwrap();
}
