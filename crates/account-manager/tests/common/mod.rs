//! Shared support for the account-manager service tests: captured logs, a
//! connector that injects faults over the in-process world, and small helpers.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use chrono::{DateTime, Utc};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use tg_world::{MethodClass, Profile};
use tgfleet_domain::{AccountId, GroupHandle, GroupId, MembershipState};
use tgfleet_runtime::ServiceContext;
use tgfleet_store::{GroupFilter, ImportedGroup, JoinMembership};
use tgfleet_telegram::Connector;
use tgfleet_testkit::TestFleet;
use tokio::task::JoinHandle;

pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// Whether two instants are less than a second apart (tokio's timers round to the
/// millisecond).
pub fn near(actual: DateTime<Utc>, expected: DateTime<Utc>) -> bool {
    (actual - expected).abs() < chrono::TimeDelta::seconds(1)
}

/// Log lines written while the guard lives (this thread's subscriber).
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

/// Keeps the capture on; prints the captured lines if the test fails.
pub struct LogGuard {
    logs: Logs,
    _default: tracing::subscriber::DefaultGuard,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- captured logs ----\n{}", self.logs.text());
        }
    }
}

impl Logs {
    /// Captures every log line of this thread (the test's runtime) from now on.
    pub fn capture() -> (Self, LogGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,tgfleet_account_manager=debug",
            ))
            .finish();
        let guard = LogGuard {
            logs: logs.clone(),
            _default: tracing::subscriber::set_default(subscriber),
        };
        (logs, guard)
    }

    /// Prints the captured lines when `SHOW_LOGS` is set (for reading a run).
    pub fn show_if_asked(&self) {
        if std::env::var_os("SHOW_LOGS").is_some() {
            eprintln!("{}", self.text());
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Lines containing every one of `needles`.
    pub fn lines_with(&self, needles: &[&str]) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| needles.iter().all(|needle| line.contains(needle)))
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a replica of the account-manager in a task.
pub fn spawn(ctx: ServiceContext, seed: u64) -> JoinHandle<anyhow::Result<()>> {
    tokio::spawn(tgfleet_account_manager::run_seeded(ctx, seed))
}

/// Stops the replicas, checks they ended cleanly, and lets time run again so the
/// test database can be dropped (its pool's connections aged in virtual time).
pub async fn finish(fleet: &TestFleet, replicas: Vec<JoinHandle<anyhow::Result<()>>>) {
    fleet.shutdown.cancel();
    for replica in replicas {
        tokio::time::timeout(std::time::Duration::from_secs(600), replica)
            .await
            .expect("a replica stops on shutdown")
            .expect("the replica did not panic")
            .expect("the replica ended without error");
    }
    tokio::time::resume();
}

/// Imports the generated handles of `profile`s in the given order, one import each,
/// so group ids (and the slot's order) follow it.
pub async fn import_in_order(fleet: &TestFleet, lines: &[impl AsRef<str>]) -> Vec<GroupId> {
    let mut ids = Vec::new();
    for line in lines {
        let handle = GroupHandle::parse(line.as_ref()).unwrap();
        fleet
            .store
            .import_groups(&[ImportedGroup {
                handle: handle.clone(),
                tags: Vec::new(),
            }])
            .await
            .unwrap();
        let group = fleet
            .store
            .list_groups(&GroupFilter::default())
            .await
            .unwrap()
            .into_iter()
            .find(|group| group.handle == handle)
            .unwrap();
        ids.push(group.id);
    }
    ids
}

/// The import lines of a profile's generated groups.
pub fn lines_of(fleet: &TestFleet, profile: Profile) -> Vec<String> {
    fleet
        .generated
        .handles_of(profile)
        .into_iter()
        .map(|handle| handle.line.clone())
        .collect()
}

/// (successful joins, join calls) the world counted for an account.
pub fn world_joins(fleet: &TestFleet, label: &str) -> (u32, u32) {
    let world = fleet.world.lock().unwrap_or_else(PoisonError::into_inner);
    let counters = world.counters(label).unwrap();
    (counters.joins, counters.calls_of(MethodClass::Join))
}

/// The world's view of an account's groups (standing and since when), now.
pub fn world_memberships(fleet: &TestFleet, label: &str) -> Vec<tg_world::MembershipView> {
    use tgfleet_domain::Clock as _;
    let world = fleet.world.lock().unwrap_or_else(PoisonError::into_inner);
    world.memberships(label, fleet.clock.now())
}

/// Checks that the world joined `account` to exactly `joins` groups with as many
/// join calls (none repeated), and that the store agrees.
pub async fn assert_joined(fleet: &TestFleet, account: &tgfleet_store::Account, joins: u32) {
    assert_eq!(
        world_joins(fleet, &account.label),
        (joins, joins),
        "{}: {joins} joins, no join call repeated",
        account.label
    );
    assert_eq!(
        count_in(fleet, account.id, MembershipState::Joined).await,
        joins as usize,
        "{}: the store records {joins} joined groups",
        account.label
    );
}

/// The account's events with this action (`resolve`, `join`, `join_check`), oldest first.
pub async fn events_of(
    fleet: &TestFleet,
    account: AccountId,
    action: &str,
) -> Vec<tgfleet_store::JoinEvent> {
    fleet
        .store
        .join_events(account)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.action == action)
        .collect()
}

/// The account's row as stored now.
pub async fn account_row(fleet: &TestFleet, account: AccountId) -> tgfleet_store::Account {
    fleet.store.account_by_id(account).await.unwrap().unwrap()
}

pub async fn memberships(fleet: &TestFleet, account: AccountId) -> Vec<JoinMembership> {
    fleet.store.join_memberships(account).await.unwrap()
}

pub async fn count_in(fleet: &TestFleet, account: AccountId, state: MembershipState) -> usize {
    memberships(fleet, account)
        .await
        .iter()
        .filter(|m| m.state == state)
        .count()
}

/// A context for `fleet` whose connector is `connector` (a replica seeing faults).
pub fn context_with(
    fleet: &TestFleet,
    service: tgfleet_config::Service,
    connector: Arc<dyn Connector>,
) -> ServiceContext {
    ServiceContext::new(
        service,
        fleet.store.clone(),
        connector,
        fleet.clock.clone(),
        Arc::clone(&fleet.settings),
        fleet.shutdown.clone(),
    )
}
