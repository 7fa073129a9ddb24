//! A session imported with a JSON sidecar introduces itself to Telegram as the device
//! it was used from: tg-sim records what the real grammers client sent in
//! `initConnection`.

use crate::support::*;
use tgfleet_adapter_grammers::import::fixtures::telethon_string;
use tgfleet_adapter_grammers::import::scan;
use tgfleet_store::ImportOutcome;

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
    let defaults = sent("tgfleet");
    assert_eq!(
        defaults.api_id,
        tgfleet_adapter_grammers::testing::TEST_API_ID
    );
}
