//! account-manager: joins assigned groups in timed slots with per-slot limits and
//! random pauses (docs/design.md, "Behaviour").
//!
//! - **Assignment**: open groups without a responsible account go to the active
//!   account with the fewest live memberships, under `joins.max_memberships_per_account`;
//!   accounts that can no longer join hand their pending groups over. Runs at start,
//!   when groups or accounts change (LISTEN/NOTIFY) and before each slot.
//! - **Slots**: one [`tgfleet_runtime::CronTicker`] per `joins.slots` entry in
//!   `schedule.time_zone`; the replica that wins a tick plans it in Postgres
//!   (`Processing K of N groups (limit L per slot)` per account).
//! - **Joins**: every replica works the planned joins that are due, concurrently
//!   across accounts and one at a time per account, each join one unit of work under
//!   the account's lease. Pauses and FloodWaits are stored next-join times, never
//!   slept through under a lease. A join whose request may have been sent before a
//!   crash is checked, not repeated.
//!
//! The binary calls [`run`] with its [`ServiceContext`].

mod answer;
mod executor;
mod listen;
mod manager;
mod slots;
mod text;
mod unit;

pub use manager::join_rules;

use anyhow::Context as _;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use tgfleet_runtime::ServiceContext;

/// Runs the account-manager until `ctx.shutdown` is cancelled; pauses are drawn
/// from an RNG seeded by the operating system.
pub async fn run(ctx: ServiceContext) -> anyhow::Result<()> {
    run_with_rng(ctx, rand::make_rng()).await
}

/// [`run`] with pauses drawn from an RNG seeded with `seed` (deterministic tests).
pub async fn run_seeded(ctx: ServiceContext, seed: u64) -> anyhow::Result<()> {
    run_with_rng(ctx, StdRng::seed_from_u64(seed)).await
}

async fn run_with_rng(ctx: ServiceContext, rng: StdRng) -> anyhow::Result<()> {
    let manager = manager::Manager::new(ctx);
    manager.announce();
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(listen::listen(manager.clone()));
    manager.assign().await;
    for schedule in &manager.ctx.settings.joins.slots {
        tasks.spawn(slots::run_slot(manager.clone(), schedule.clone()));
    }
    let executed = executor::run_executor(manager.clone(), rng).await;
    manager.ctx.shutdown.cancel();
    while let Some(finished) = tasks.join_next().await {
        finished.context("an account-manager task panicked")??;
    }
    executed
}
