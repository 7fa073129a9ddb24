//! A session imported with a JSON sidecar introduces itself to Telegram as the device
//! it was used from; one without a device gets one picked once and stored, and every
//! later connection (of any replica) presents that same device. tg-sim records what
//! the real grammers client sent in `initConnection`.

use crate::support::*;
use tg_sim::ClientInfo;
use tgfleet_adapter_grammers::import::fixtures::telethon_string;
use tgfleet_adapter_grammers::import::scan;
use tgfleet_adapter_grammers::testing::{test_config, test_connector_with};
use tgfleet_store::{DeviceParams, ImportOutcome};
use tgfleet_telegram::AccountRef;

/// Connects `account` through `connector`, asks whoami (its answer does not matter),
/// closes, and returns what each new connection sent in `initConnection`.
async fn presented(
    sim: &SimWorld,
    connector: &dyn Connector,
    account: &AccountRef,
) -> Vec<Arc<ClientInfo>> {
    let before = sim.server.client_infos().len();
    let tg = connector.connect(account).await.unwrap();
    let _ = tg.whoami().await;
    tg.close().await;
    let infos = sim.server.client_infos()[before..].to_vec();
    assert!(
        !infos.is_empty(),
        "{} sent no initConnection",
        account.label
    );
    infos
}

/// The one device every record shows (they must agree).
fn the_device(infos: &[Arc<ClientInfo>]) -> ClientInfo {
    let first = (*infos[0]).clone();
    for info in infos {
        assert_eq!(**info, first, "one connection, one device");
    }
    first
}

fn matches_stored(sent: &ClientInfo, stored: &DeviceParams) {
    assert_eq!(Some(&sent.device_model), stored.device_model.as_ref());
    assert_eq!(Some(&sent.system_version), stored.system_version.as_ref());
    assert_eq!(Some(&sent.app_version), stored.app_version.as_ref());
    assert_eq!(Some(&sent.lang_code), stored.lang_code.as_ref());
    assert_eq!(
        Some(&sent.system_lang_code),
        stored.system_lang_code.as_ref()
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn accounts_without_a_device_present_their_own_generated_one_on_every_connection(
    pool: PgPool,
) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let eka = enrol(&store, &sim, "eka").await;
    assert_eq!(store.load_device(ayu.id).await.unwrap(), None);
    let connector = test_connector(store.clone());

    let ayu_first = the_device(&presented(&sim, &connector, &ayu).await);
    let eka_first = the_device(&presented(&sim, &connector, &eka).await);
    assert_ne!(
        ayu_first.device_model, eka_first.device_model,
        "two accounts, two devices"
    );
    assert_ne!(ayu_first.device_model, "tgfleet");
    assert_ne!(eka_first.device_model, "tgfleet");

    // Stored once, under "generated", exactly as sent.
    for (account, sent) in [(&ayu, &ayu_first), (&eka, &eka_first)] {
        let stored = store.load_device(account.id).await.unwrap().unwrap();
        assert_eq!(stored.source, "generated");
        assert_eq!(stored.api_id, None, "the configured api_id stays");
        assert_eq!(sent.api_id, tgfleet_adapter_grammers::testing::TEST_API_ID);
        matches_stored(sent, &stored);
    }

    // A reconnect, and another replica whose own pick would differ (seed 0x5eed picks
    // `GooglePixel 7` for eka), present the same.
    let ayu_again = the_device(&presented(&sim, &connector, &ayu).await);
    assert_eq!(ayu_again, ayu_first);
    let other_replica = test_connector_with(
        store.clone(),
        tgfleet_adapter_grammers::GrammersConfig {
            device_seed: Some(0x5eed),
            ..test_config()
        },
    );
    let eka_elsewhere = the_device(&presented(&sim, &other_replica, &eka).await);
    assert_eq!(eka_elsewhere, eka_first);
    let summaries = store.session_summaries().await.unwrap();
    assert!(
        summaries
            .iter()
            .all(|s| s.device_source.as_deref() == Some("generated")),
        "{summaries:?}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_sidecar_device_reaches_init_connection(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ayu.txt"),
        telethon_string(2, sim.server.local_addr(), &sim.key("ayu")),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ayu.json"),
        r#"{"session_file": "ayu", "app_id": 2040, "app_hash": "b18441a1ff607e10a989891a5462e627",
            "device": "Desktop", "sdk": "Windows 10", "app_version": "5.6.3 x64",
            "lang_pack": "id", "system_lang_pack": "id-ID", "twoFA": "kata sandi"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("eka.txt"),
        telethon_string(2, sim.server.local_addr(), &sim.key("eka")),
    )
    .unwrap();
    let found = scan(dir.path()).unwrap();
    assert!(
        found.problems.is_empty() && found.skipped.is_empty(),
        "{found:?}"
    );
    let imports: Vec<_> = found.sessions.iter().map(|s| s.to_import()).collect();
    let outcomes = store
        .import_sessions(&imports, &test_cipher(), false)
        .await
        .unwrap();
    let [ImportOutcome::Created(ayu), ImportOutcome::Created(eka)] = outcomes[..] else {
        panic!("{outcomes:?}");
    };
    let password = store.load_password(ayu, &test_cipher()).await.unwrap();
    assert_eq!(password.unwrap().expose_secret(), "kata sandi");

    let connector = test_connector(store.clone());
    for (id, label) in [(ayu, "ayu"), (eka, "eka")] {
        let tg = connector.connect(&account_ref(id, label)).await.unwrap();
        let _ = tg.whoami().await;
        tg.close().await;
    }
    let infos = sim.server.client_infos();
    let sent = |device: &str| {
        infos
            .iter()
            .find(|info| info.device_model == device)
            .unwrap_or_else(|| panic!("no initConnection from {device}: {infos:?}"))
    };
    let desktop = sent("Desktop");
    assert_eq!(desktop.api_id, 2040);
    assert_eq!(desktop.system_version, "Windows 10");
    assert_eq!(desktop.app_version, "5.6.3 x64");
    assert_eq!(desktop.lang_code, "id");
    assert_eq!(desktop.system_lang_code, "id-ID");
    // eka came without a sidecar: it presents a generated device, never `tgfleet`.
    assert!(infos.iter().all(|info| info.device_model != "tgfleet"));
    let generated = store.load_device(eka).await.unwrap().unwrap();
    assert_eq!(generated.source, "generated");
    let eka_sent = infos.last().expect("eka connected last");
    matches_stored(eka_sent, &generated);
    assert_eq!(
        eka_sent.api_id,
        tgfleet_adapter_grammers::testing::TEST_API_ID
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_tdata_import_presents_a_telegram_desktop_device_completed_once(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    // What a tdata import stores: Telegram Desktop's api_id and version, no machine.
    let import = tgfleet_store::SessionImport {
        label: "ayu".to_owned(),
        session: sim.stored_session("ayu"),
        phone_masked: None,
        telegram_user_id: None,
        device: Some(DeviceParams {
            api_id: Some(2040),
            app_version: Some("4.9.9 x64".to_owned()),
            source: "tdata (Telegram Desktop 4.9.9 x64)".to_owned(),
            ..DeviceParams::default()
        }),
        password: None,
    };
    let outcomes = store
        .import_sessions(&[import], &test_cipher(), false)
        .await
        .unwrap();
    let [ImportOutcome::Created(id)] = outcomes[..] else {
        panic!("{outcomes:?}");
    };
    let ayu = account_ref(id, "ayu");
    let connector = test_connector(store.clone());
    let first = the_device(&presented(&sim, &connector, &ayu).await);
    assert_eq!(first.api_id, 2040);
    assert_eq!(first.app_version, "4.9.9 x64");
    assert_eq!(first.device_model, "Desktop");
    assert!(first.system_version.starts_with("Windows"), "{first:?}");
    let stored = store.load_device(id).await.unwrap().unwrap();
    assert_eq!(
        stored.source,
        "tdata (Telegram Desktop 4.9.9 x64) + generated"
    );
    matches_stored(&first, &stored);
    let again = the_device(&presented(&sim, &connector, &ayu).await);
    assert_eq!(again, first);
}
