//! Fixtures for service tests (docs/design.md, depth 3): a real Postgres database (the one
//! `#[sqlx::test]` created), the in-process simulated world, and paused tokio time.
//!
//! ```ignore
//! #[sqlx::test(migrations = "../../migrations")]
//! async fn a_day(pool: PgPool) {
//!     let fleet = TestFleet::builder(GeneratorSpec::new(1, 3, GroupMix::typical(20)))
//!         .settings("[joins]\nmax_groups_per_slot = 5")
//!         .start(pool)
//!         .await;
//!     fleet.import_groups().await;
//!     let ctx = fleet.context(Service::AccountManager);
//!     // run the service with `ctx`; time is paused, `fleet.clock` is virtual
//! }
//! ```

mod faults;
mod logs;
mod memberships;
mod recording;

pub use faults::{Fault, FaultAction, FaultCall, Faulty};
pub use logs::CapturedLog;
pub use memberships::SeededMembership;
pub use recording::{CallKind, CallLog, CallRecord, Connection, RecordingConnector};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::sync::Arc;
use tg_world::{Generated, GeneratorSpec, GroupSpec, World, generate};
use tgfleet_adapter_sim::{SharedWorld, SimConnector, share};
use tgfleet_config::{Service, Settings};
use tgfleet_domain::GroupHandle;
use tgfleet_runtime::{ServiceClock, ServiceContext, Shutdown};
use tgfleet_store::{Account, ImportReport, ImportedGroup, NewAccount, Store, WhoamiOutcome};
use tgfleet_telegram::AccountRef;

/// A database, a simulated world and a virtual clock, wired together.
#[derive(Debug)]
pub struct TestFleet {
    /// The store over the test's database (paused-time pool).
    pub store: Store,
    /// The simulated world, for setup and inspection.
    pub world: SharedWorld,
    /// The in-process connector over `world`.
    pub connector: Arc<SimConnector>,
    /// The virtual clock every service and the world read.
    pub clock: ServiceClock,
    /// The settings services run with.
    pub settings: Arc<Settings>,
    /// The generated scenario and its import list.
    pub generated: Generated,
    /// One store account per scenario account, same labels, in scenario order.
    pub accounts: Vec<Account>,
    /// Cancel to stop every service started from [`TestFleet::context`].
    pub shutdown: Shutdown,
}

/// Builds a [`TestFleet`].
#[derive(Debug)]
pub struct TestFleetBuilder {
    spec: GeneratorSpec,
    extra_groups: Vec<GroupSpec>,
    settings: String,
    start: Option<DateTime<Utc>>,
    pause: bool,
}

impl TestFleet {
    /// A fleet over the world `spec` generates.
    pub fn builder(spec: GeneratorSpec) -> TestFleetBuilder {
        TestFleetBuilder {
            spec,
            extra_groups: Vec::new(),
            settings: String::new(),
            start: None,
            pause: true,
        }
    }

    /// A context for one replica of `service` (each call gives a new holder name,
    /// so two contexts of one service behave as two replicas).
    pub fn context(&self, service: Service) -> ServiceContext {
        ServiceContext::new(
            service,
            self.store.clone(),
            self.connector.clone(),
            self.clock.clone(),
            Arc::clone(&self.settings),
            self.shutdown.clone(),
        )
    }

    /// Imports every handle of the generated import list (what `tgfleet groups import`
    /// would), untagged.
    pub async fn import_groups(&self) -> ImportReport {
        let groups: Vec<ImportedGroup> = self
            .generated
            .handles
            .iter()
            .map(|handle| ImportedGroup {
                handle: GroupHandle::parse(&handle.line).expect("generated handles parse"),
                tags: Vec::new(),
            })
            .collect();
        self.store
            .import_groups(&groups)
            .await
            .expect("importing the generated groups")
    }

    /// The port's view of an account.
    pub fn account_ref(&self, account: &Account) -> AccountRef {
        AccountRef {
            id: account.id,
            label: account.label.clone(),
        }
    }

    /// Records every account's Telegram user id as a `whoami` would (under a short
    /// lease), so rules about "the fleet's messages" know the fleet.
    pub async fn learn_user_ids(&self) {
        let now = tgfleet_domain::Clock::now(&self.clock);
        for account in &self.accounts {
            let user_id = tg_world_user(&self.world, &account.label);
            let lease = self
                .store
                .try_acquire_lease(
                    account.id,
                    "testkit",
                    now,
                    std::time::Duration::from_secs(60),
                )
                .await
                .expect("acquiring a lease")
                .expect("the account is free");
            self.store
                .record_whoami(&lease, &WhoamiOutcome::SignedIn { user_id }, now)
                .await
                .expect("recording whoami");
            self.store
                .release_lease(&lease, now)
                .await
                .expect("releasing the lease");
        }
    }

    /// The store account with this label.
    pub fn account(&self, label: &str) -> &Account {
        self.accounts
            .iter()
            .find(|account| account.label == label)
            .unwrap_or_else(|| panic!("no account labelled {label}"))
    }
}

impl TestFleetBuilder {
    /// Adds a group or channel to the generated world, outside the import list (a
    /// relay source, say): the fleet does not join it unless a test does.
    pub fn with_group(mut self, group: GroupSpec) -> Self {
        self.extra_groups.push(group);
        self
    }

    /// TOML overriding the default settings (the database URL is filled in).
    pub fn settings(mut self, toml: &str) -> Self {
        toml.clone_into(&mut self.settings);
        self
    }

    /// When the virtual clock starts (default: the scenario's epoch plus one day).
    pub fn starting_at(mut self, start: DateTime<Utc>) -> Self {
        self.start = Some(start);
        self
    }

    /// Keep tokio's clock running (default: paused once the fleet is built).
    pub fn real_time(mut self) -> Self {
        self.pause = false;
        self
    }

    /// Builds the world and the store, creates one account per scenario account,
    /// and pauses tokio's clock (unless [`TestFleetBuilder::real_time`]).
    pub async fn start(self, pool: PgPool) -> TestFleet {
        let settings = Settings::from_toml_str(&format!(
            "[database]\nurl = \"postgres://unused@127.0.0.1/unused\"\n{}",
            self.settings
        ))
        .expect("test settings");
        let mut generated = generate(&self.spec).expect("generating the scenario");
        generated.scenario.groups.extend(self.extra_groups);
        let world = World::new(&generated.scenario).expect("building the world");
        let store = Store::for_paused_time(pool)
            .await
            .expect("connecting the paused-time store");
        let mut accounts = Vec::new();
        for label in world.labels() {
            accounts.push(
                store
                    .create_account(&NewAccount {
                        label: label.to_owned(),
                        ..NewAccount::default()
                    })
                    .await
                    .expect("creating an account"),
            );
        }
        let start = self
            .start
            .unwrap_or_else(|| world.epoch() + chrono::TimeDelta::days(1));
        if self.pause {
            tokio::time::pause();
        }
        let clock = ServiceClock::virtual_at(start);
        let world = share(world);
        let connector = Arc::new(SimConnector::new(
            Arc::clone(&world),
            Arc::new(clock.clone()),
        ));
        TestFleet {
            store,
            world,
            connector,
            clock,
            settings: Arc::new(settings),
            generated,
            accounts,
            shutdown: Shutdown::new(),
        }
    }
}

fn tg_world_user(world: &SharedWorld, label: &str) -> i64 {
    world
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .user_id(label)
        .unwrap_or_else(|| panic!("no world account labelled {label}"))
        .0
}

#[cfg(test)]
mod tests {
    use super::*;
    use tg_world::GroupMix;
    use tgfleet_domain::Clock;
    use tgfleet_telegram::Connector as _;

    #[sqlx::test(migrations = "../../migrations")]
    async fn a_fleet_has_the_world_accounts_and_paused_time(pool: PgPool) {
        let fleet = TestFleet::builder(GeneratorSpec::new(3, 4, GroupMix::typical(30)))
            .settings("[joins]\nmax_groups_per_slot = 2")
            .start(pool)
            .await;
        assert_eq!(fleet.accounts.len(), 4);
        assert_eq!(fleet.settings.joins.max_groups_per_slot, 2);
        let report = fleet.import_groups().await;
        assert_eq!(report.inserted, 30);

        let before = fleet.clock.now();
        fleet
            .clock
            .sleep(std::time::Duration::from_secs(86_400))
            .await;
        let slept = fleet.clock.now() - before;
        assert!(slept >= chrono::TimeDelta::days(1), "{slept}");
        assert!(
            slept < chrono::TimeDelta::days(1) + chrono::TimeDelta::seconds(1),
            "{slept}"
        );

        let a = fleet.context(Service::Marketer);
        let b = fleet.context(Service::Marketer);
        assert_ne!(a.holder, b.holder);
        let label = &fleet.accounts[0].label;
        let connected = fleet
            .connector
            .as_ref()
            .connect(&fleet.account_ref(fleet.account(label)))
            .await;
        assert!(connected.is_ok());
    }
}
