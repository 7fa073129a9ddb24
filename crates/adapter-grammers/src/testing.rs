//! A world-backed tg-sim for wire tests of the adapter and the CLI (feature `fixtures`):
//! a small scenario, its server on 127.0.0.1, and fleet accounts enrolled with the
//! scenario's pre-shared keys as their stored sessions.

use crate::{GrammersConfig, GrammersConnector, ReconnectBackoff};
use secrecy::{SecretBox, SecretString};
use std::sync::{Arc, MutexGuard};
use std::time::Duration;
use tg_sim::{ManualClock, ServerConfig, SimServer, WorldBackend};
use tg_world::{MethodClass, Scenario, World};
use tgfleet_domain::{AccountId, mask_phone};
use tgfleet_store::{NewAccount, SessionCipher, Store, StoredSession};
use tgfleet_telegram::{AccountRef, TimedConnector};

/// The session encryption key of the tests (32 bytes, base64).
pub const TEST_SESSION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// The `api_id` and `api_hash` the tests configure.
pub const TEST_API_ID: i32 = 12345;
/// See [`TEST_API_ID`].
pub const TEST_API_HASH: &str = "0123456789abcdef0123456789abcdef";
/// The data centre tg-sim claims to be.
pub const DC_ID: i32 = 2;

/// The scenario of the wire tests.
///
/// * `ayu`: signed in, admin of the `bali_news` channel (a forward source);
/// * `budi`: signed out, 2FA (`code 13579`, password `correct horse`);
/// * `citra`: revoked session; `dedi`: deactivated; `eka`: signed out, code `12345`.
/// * Joins (and leaves) are limited to 3 per hour, so a fourth answers FLOOD_WAIT.
/// * `OldBasicChat_1` invites to a legacy basic group; `canggu_forum` is a forum whose
///   General topic is closed.
pub const WIRE_SCENARIO: &str = r#"
seed = 7
epoch = "2026-01-01T00:00:00Z"

[limits.join]
calls = 3
per_secs = 3600

[[accounts]]
label = "ayu"
phone = "+6281200000001"
username = "ayu_sim"

[[accounts]]
label = "budi"
phone = "+6281200000002"
code = "13579"
password = "correct horse"
signed_out = true

[[accounts]]
label = "citra"
phone = "+6281200000003"
revoked = true

[[accounts]]
label = "dedi"
phone = "+6281200000004"
deactivated = true

[[accounts]]
label = "eka"
phone = "+6281200000005"
signed_out = true

[[groups]]
username = "bali_market"
title = "Bali Market"
stories = 2
history = 30

[[groups]]
username = "bali_news"
kind = "broadcast"
admins = ["ayu"]
history = 10

[[groups]]
invite = "Xk3_privateHash"
title = "Private Circle"

[[groups]]
username = "ubud_quiet"
default_banned = ["send_plain", "embed_links"]
join_to_send = true
slow_mode_secs = 60

[[groups]]
username = "kuta_board"

[[groups]]
username = "sanur_people"

[[groups]]
username = "bali_deals"
title = "Bali Deals"
kind = "broadcast"
history = 10
noforwards = true

[groups.publish]
every_secs = 600
count = 3
kinds = ["text", "photo"]

[[groups]]
invite = "OldBasicChat_1"
title = "Old Basic Chat"
basic = true

[[groups]]
username = "canggu_forum"
title = "Canggu Forum"
forum = true
general_closed = true

[[groups]]
username = "bali_albums"
title = "Bali Albums"
kind = "broadcast"
history = 10

[groups.publish]
every_secs = 600
count = 2
kinds = ["album", "video"]
"#;

/// tg-sim serving [`WIRE_SCENARIO`]'s world on a manual clock at the epoch.
#[derive(Debug)]
pub struct SimWorld {
    /// The server (faults and statistics through it).
    pub server: SimServer,
    /// The backend (the world inside).
    pub backend: Arc<WorldBackend>,
    /// The world's clock.
    pub clock: Arc<ManualClock>,
    /// The scenario served.
    pub scenario: Scenario,
}

impl SimWorld {
    /// Starts serving [`WIRE_SCENARIO`].
    pub async fn start() -> Self {
        let scenario = Scenario::from_toml_str(WIRE_SCENARIO).expect("the wire scenario parses");
        let clock = ManualClock::new(scenario.epoch);
        let world = World::new(&scenario).expect("the wire scenario builds");
        let backend = Arc::new(WorldBackend::new(world, Arc::clone(&clock)));
        let server = SimServer::start(ServerConfig::default(), Arc::clone(&backend))
            .await
            .expect("tg-sim starts");
        Self {
            server,
            backend,
            clock,
            scenario,
        }
    }

    /// The served world (lock briefly).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.backend
            .world()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The pre-shared auth key of a scenario account.
    pub fn key(&self, label: &str) -> [u8; 256] {
        *self
            .scenario
            .preshared_auth_key(label)
            .expect("a scenario account")
            .expose_bytes()
    }

    /// The full phone number of a scenario account (for login tests).
    pub fn phone(&self, label: &str) -> String {
        self.account(label).phone.expose().to_owned()
    }

    /// Its masked form.
    pub fn phone_masked(&self, label: &str) -> String {
        mask_phone(&self.phone(label))
    }

    fn account(&self, label: &str) -> &tg_world::AccountSpec {
        self.scenario
            .accounts
            .iter()
            .find(|account| account.label == label)
            .expect("a scenario account")
    }

    /// The world's user id of a scenario account.
    pub fn user_id(&self, label: &str) -> i64 {
        self.world().user_id(label).expect("a scenario account").0
    }

    /// The session a fleet account holds for a scenario account: tg-sim's address,
    /// its DC and the pre-shared key.
    pub fn stored_session(&self, label: &str) -> StoredSession {
        StoredSession {
            dc_id: DC_ID,
            server_address: self.server.local_addr().to_string(),
            auth_key: SecretBox::new(Box::new(self.key(label))),
            source: "tg-sim".to_owned(),
        }
    }

    /// Username and invite look-ups the world answered for an account.
    pub fn resolves_of(&self, label: &str) -> u32 {
        self.world()
            .counters(label)
            .map_or(0, |counters| counters.calls_of(MethodClass::Resolve))
    }
}

/// The cipher of [`TEST_SESSION_KEY`].
pub fn test_cipher() -> SessionCipher {
    SessionCipher::from_base64(&SecretString::from(TEST_SESSION_KEY)).expect("a valid test key")
}

/// Creates fleet account `label` holding the scenario account's session.
pub async fn enrol(store: &Store, sim: &SimWorld, label: &str) -> AccountRef {
    enrol_with_proxy(store, sim, label, None).await
}

/// [`enrol`], with a proxy URL on the account.
pub async fn enrol_with_proxy(
    store: &Store,
    sim: &SimWorld,
    label: &str,
    proxy: Option<&str>,
) -> AccountRef {
    let account = create_account(
        store,
        NewAccount {
            label: label.to_owned(),
            phone_masked: Some(sim.phone_masked(label)),
            proxy: proxy.map(|url| SecretString::from(url.to_owned())),
            ..NewAccount::default()
        },
    )
    .await;
    store
        .save_session(account.id, &sim.stored_session(label), &test_cipher())
        .await
        .expect("the session is stored");
    account
}

/// Creates fleet account `label` without a session.
pub async fn account_without_session(store: &Store, label: &str) -> AccountRef {
    create_account(
        store,
        NewAccount {
            label: label.to_owned(),
            ..NewAccount::default()
        },
    )
    .await
}

async fn create_account(store: &Store, account: NewAccount) -> AccountRef {
    let created = store
        .create_account(&account)
        .await
        .expect("the account is created");
    AccountRef {
        id: created.id,
        label: account.label,
    }
}

/// The account reference of an existing fleet account.
pub fn account_ref(id: AccountId, label: &str) -> AccountRef {
    AccountRef {
        id,
        label: label.to_owned(),
    }
}

/// The seed of the devices [`test_connector`] picks for accounts without one. With
/// it, the first two accounts of a fresh database get different device models
/// (`XiaomiM2101K9AG`, `samsungSM-A525F`), which the device wire test relies on.
pub const TEST_DEVICE_SEED: u64 = 5;

/// The production connector over `store`, with short test timeouts and pauses, and
/// devices picked from [`TEST_DEVICE_SEED`].
pub fn test_connector(store: Store) -> TimedConnector<GrammersConnector> {
    test_connector_with(store, test_config())
}

/// The configuration of [`test_connector`], to adjust.
pub fn test_config() -> GrammersConfig {
    GrammersConfig {
        api_id: TEST_API_ID,
        connect_timeout: Duration::from_secs(5),
        reconnect: ReconnectBackoff {
            first: Duration::from_millis(50),
            max: Duration::from_millis(400),
        },
        upload_timeout: Duration::from_secs(10),
        device_seed: Some(TEST_DEVICE_SEED),
    }
}

/// The production connector over `store` with `config`, every call bounded by 10 s
/// (and a media send's upload by `config.upload_timeout` on top).
pub fn test_connector_with(
    store: Store,
    config: GrammersConfig,
) -> TimedConnector<GrammersConnector> {
    let upload_timeout = config.upload_timeout;
    TimedConnector::new(
        GrammersConnector::new(store, test_cipher(), config),
        Duration::from_secs(10),
    )
    .with_upload_timeout(upload_timeout)
}
