//! Account work under leases, on a real Postgres and the in-process world.

use chrono::Utc;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tg_world::{GeneratorSpec, GroupMix, World, generate};
use tgfleet_adapter_sim::{SimConnector, share};
use tgfleet_domain::{AccountId, Clock};
use tgfleet_runtime::{AccountRunner, Leased, ServiceClock, UnitBudget, WorkError};
use tgfleet_store::{NewAccount, Store, StoreError};
use tgfleet_telegram::AccountRef;

struct Fixture {
    store: Store,
    connector: Arc<SimConnector>,
    clock: ServiceClock,
    account: AccountRef,
    revoked: AccountRef,
}

async fn fixture(pool: PgPool) -> Fixture {
    let store = Store::for_paused_time(pool).await.unwrap();
    let mut spec = GeneratorSpec::new(7, 2, GroupMix::typical(5));
    spec.accounts.revoked = 1;
    let generated = generate(&spec).unwrap();
    let world = World::new(&generated.scenario).unwrap();
    let labels: Vec<String> = world.labels().into_iter().map(str::to_owned).collect();
    let clock = ServiceClock::virtual_at(Utc::now());
    let connector = Arc::new(SimConnector::new(share(world), Arc::new(clock.clone())));
    let mut refs = Vec::new();
    for label in &labels {
        let account = store
            .create_account(&NewAccount {
                label: label.clone(),
                ..NewAccount::default()
            })
            .await
            .unwrap();
        refs.push(AccountRef {
            id: account.id,
            label: label.clone(),
        });
    }
    let revoked_label = generated
        .scenario
        .accounts
        .iter()
        .find(|account| account.revoked)
        .map(|account| account.label.clone())
        .unwrap();
    let (revoked, usable): (Vec<_>, Vec<_>) =
        refs.into_iter().partition(|a| a.label == revoked_label);
    Fixture {
        store,
        connector,
        clock,
        account: usable[0].clone(),
        revoked: revoked[0].clone(),
    }
}

fn runner(f: &Fixture, holder: &str) -> AccountRunner {
    AccountRunner::new(
        f.store.clone(),
        f.connector.clone(),
        f.clock.clone(),
        holder,
        Duration::from_secs(60),
    )
}

async fn holder_of(
    store: &Store,
    account: AccountId,
    now: chrono::DateTime<Utc>,
) -> Option<String> {
    store
        .lease_of(account)
        .await
        .unwrap()
        .filter(|lease| lease.expires_at > now)
        .map(|lease| lease.holder)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_held_account_is_busy_for_everyone_else_until_released(pool: PgPool) {
    let f = fixture(pool).await;
    let (a, b) = (runner(&f, "marketer#1"), runner(&f, "group-reviewer#1"));
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (finish_tx, finish_rx) = tokio::sync::oneshot::channel::<()>();

    let first = async {
        a.with_account(&f.account, async |session| {
            let me = session.telegram.whoami().await.unwrap();
            started_tx.send(()).unwrap();
            finish_rx.await.unwrap();
            me.user_id
        })
        .await
    };
    let second = async {
        started_rx.await.unwrap();
        let busy = b
            .with_account(&f.account, async |_| unreachable!("the lease is held"))
            .await
            .unwrap();
        assert_eq!(
            holder_of(&f.store, f.account.id, f.clock.now())
                .await
                .as_deref(),
            Some("marketer#1")
        );
        finish_tx.send(()).unwrap();
        busy
    };
    let (first, second): (Result<Leased<i64>, WorkError>, Leased<()>) = tokio::join!(first, second);
    assert!(matches!(first.unwrap(), Leased::Done(id) if id > 0));
    assert_eq!(second, Leased::Busy);
    assert_eq!(
        holder_of(&f.store, f.account.id, f.clock.now()).await,
        None,
        "released after the work"
    );

    let after = b
        .with_account(&f.account, async |session| session.lease.holder.clone())
        .await
        .unwrap();
    assert_eq!(after, Leased::Done("group-reviewer#1".to_owned()));
}

#[sqlx::test(migrations = "../../migrations")]
async fn long_work_keeps_its_lease_and_a_stolen_lease_cancels_it(pool: PgPool) {
    let f = fixture(pool).await;
    tokio::time::pause();
    let a = runner(&f, "account-manager#1");

    // Work lasting five TTLs keeps the lease through renewals.
    let clock = f.clock.clone();
    let long = a
        .with_account(&f.account, async |_| {
            clock.sleep(Duration::from_secs(300)).await
        })
        .await
        .unwrap();
    assert_eq!(long, Leased::Done(()));

    // Another holder takes the lease over (as after an expiry); the work is cancelled.
    let store = f.store.clone();
    let account = f.account.id;
    let stolen = a
        .with_account(&f.account, async |_| {
            store.take_over_lease(account, "thief").await.unwrap();
            clock.sleep(Duration::from_secs(3600)).await;
            "finished despite losing the lease"
        })
        .await;
    assert!(
        matches!(stolen, Err(WorkError::Store(StoreError::LeaseLost { .. }))),
        "{stolen:?}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_failed_connect_releases_the_lease(pool: PgPool) {
    let f = fixture(pool).await;
    let a = runner(&f, "activity#1");
    let failed = a
        .with_account(&f.revoked, async |_| unreachable!("never connected"))
        .await;
    assert!(
        matches!(failed, Err(WorkError::Connect(ref error)) if error.name == "AUTH_KEY_UNREGISTERED" && error.is_account_fatal()),
        "{failed:?}"
    );
    assert_eq!(holder_of(&f.store, f.revoked.id, f.clock.now()).await, None);
}

/// Log lines written on this thread while the guard lives.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_panicking_unit_is_caught_logged_in_its_span_and_releases_the_lease(pool: PgPool) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let f = fixture(pool).await;
    let a = runner(&f, "marketer#1");

    let panicked = a
        .with_account(&f.account, async |session| {
            session.telegram.whoami().await.unwrap();
            panic!("a bug in the unit");
        })
        .await;

    assert!(
        matches!(&panicked, Err(WorkError::Panicked(message)) if message == "a bug in the unit"),
        "{panicked:?}"
    );
    assert_eq!(holder_of(&f.store, f.account.id, f.clock.now()).await, None);
    let b = runner(&f, "marketer#2");
    assert_eq!(
        b.with_account(&f.account, async |_| "next unit")
            .await
            .unwrap(),
        Leased::Done("next unit"),
        "the next unit gets the account at once"
    );
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|line| line.contains("panicked"))
        .unwrap_or_else(|| panic!("no panic logged:\n{text}"));
    let expected = format!(
        "unit{{account={} account_id={} holder=marketer#1 lease=",
        f.account.label, f.account.id
    );
    assert!(line.contains(&expected), "{line}");
    assert!(
        line.contains("ERROR") && line.contains("a bug in the unit"),
        "{line}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn after_shutdown_a_running_unit_finishes_and_a_queued_one_never_starts(pool: PgPool) {
    let f = fixture(pool).await;
    let shutdown = tgfleet_runtime::Shutdown::new();
    let one_at_a_time = runner(&f, "marketer#1")
        .with_units(UnitBudget::new(1))
        .stopping_on(shutdown.clone());
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (finish_tx, finish_rx) = tokio::sync::oneshot::channel::<()>();
    let running = async {
        one_at_a_time
            .with_account(&f.account, async |session| {
                started_tx.send(()).unwrap();
                finish_rx.await.unwrap();
                session.telegram.whoami().await.unwrap().user_id
            })
            .await
    };
    let queued = async {
        started_rx.await.unwrap();
        let waiting = one_at_a_time.with_account(&f.revoked, async |_| {
            unreachable!("a unit queued behind the budget must not start after shutdown")
        });
        let stop = async {
            tokio::task::yield_now().await;
            shutdown.cancel();
            finish_tx.send(()).unwrap();
        };
        let (waited, ()) = tokio::join!(waiting, stop);
        waited
    };
    let (running, queued): (
        Result<Leased<i64>, WorkError>,
        Result<Leased<()>, WorkError>,
    ) = tokio::join!(running, queued);
    assert!(
        matches!(running.unwrap(), Leased::Done(id) if id > 0),
        "the unit that had started runs to its end"
    );
    assert_eq!(queued.unwrap(), Leased::Busy);
    assert_eq!(
        holder_of(&f.store, f.revoked.id, f.clock.now()).await,
        None,
        "the queued account was never leased"
    );
    let after = one_at_a_time
        .with_account(&f.account, async |_| unreachable!("stopping"))
        .await
        .unwrap();
    assert_eq!(after, Leased::Busy, "nothing starts after shutdown");
}
