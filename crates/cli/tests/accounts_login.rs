//! `tgfleet accounts login` and `tgfleet accounts check` as processes, against tg-sim
//! serving a simulated world in the test process.

mod common;

use common::{Run, database_url, tgfleet_with_stdin};
use sqlx::PgPool;
use std::time::Duration;
use tgfleet_adapter_grammers::testing::{
    SimWorld, TEST_API_HASH, TEST_API_ID, TEST_SESSION_KEY, account_without_session, enrol,
    test_cipher,
};
use tgfleet_domain::AccountStatus;
use tgfleet_store::Store;

/// Runs `tgfleet ARGS` off the async runtime (tg-sim keeps serving meanwhile).
async fn tgfleet_in(url: &str, args: &[&str], stdin: &str) -> Run {
    let url = url.to_owned();
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let api_id = TEST_API_ID.to_string();
        tgfleet_with_stdin(
            &args,
            &[
                ("DATABASE_URL", &url),
                ("TGFLEET_SESSION_KEY", TEST_SESSION_KEY),
                ("TG_API_ID", &api_id),
                ("TG_API_HASH", TEST_API_HASH),
                ("TGFLEET__TELEGRAM__REQUEST_TIMEOUT_SECS", "10"),
            ],
            &stdin,
        )
    })
    .await
    .expect("tgfleet ran")
}

/// No output of a login run shows the phone, code, password or api_hash.
fn assert_nothing_secret(run: &Run, secrets: &[&str]) {
    let all = format!("{}\n{}", run.stdout, run.stderr);
    for secret in secrets.iter().chain(&[TEST_API_HASH]) {
        assert!(!all.contains(secret), "{secret:?} shown:\n{all}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn login_with_a_code_over_provisioned_sessions(pool: PgPool) {
    let sim = SimWorld::start().await;
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let dir = tempfile::tempdir().unwrap();
    tg_sim::provision::provision(dir.path(), &sim.scenario, sim.server.local_addr(), 2).unwrap();
    let import = tgfleet_in(
        &url,
        &["accounts", "import", dir.path().to_str().unwrap()],
        "",
    )
    .await;
    assert_eq!(import.code, 0, "{import:?}");
    assert!(import.stdout.contains("5 new"), "{}", import.stdout);

    let phone = sim.phone("eka");
    let before_login = sim.server.client_infos().len();
    let login = tgfleet_in(
        &url,
        &["accounts", "login", "eka", "--phone", &phone],
        "12345\n",
    )
    .await;
    assert_eq!(login.code, 0, "{login:?}");
    // The login introduced itself as the account's one device, stored for every
    // later connection.
    let eka_id = store.account_by_label("eka").await.unwrap().unwrap().id;
    let device = store
        .load_device(eka_id)
        .await
        .unwrap()
        .expect("a stored device");
    let sent = sim.server.client_infos()[before_login..].to_vec();
    assert!(!sent.is_empty());
    for info in &sent {
        assert_eq!(
            Some(&info.device_model),
            device.device_model.as_ref(),
            "{info:?}"
        );
        assert_eq!(
            Some(&info.app_version),
            device.app_version.as_ref(),
            "{info:?}"
        );
    }
    let user_id = sim.user_id("eka");
    let masked = sim.phone_masked("eka");
    assert!(
        login.stdout.contains(&format!(
            "eka ({masked}) signed in as Telegram user {user_id}; status active."
        )),
        "{}",
        login.stdout
    );
    assert_nothing_secret(&login, &[&phone, "12345"]);
    let eka = store.account_by_label("eka").await.unwrap().unwrap();
    assert_eq!(eka.status, AccountStatus::Active);
    assert_eq!(eka.telegram_user_id, Some(user_id));

    let before_again = sim.server.client_infos().len();
    let again = tgfleet_in(&url, &["accounts", "login", "eka", "--phone", &phone], "").await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        sim.server.client_infos()[before_again..]
            .iter()
            .all(|info| Some(&info.device_model) == device.device_model.as_ref()),
        "the same device on the next login"
    );
    assert_eq!(store.load_device(eka_id).await.unwrap(), Some(device));
    assert!(
        again.stdout.contains("was already signed in"),
        "{}",
        again.stdout
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_factor_login_refuses_a_wrong_password_then_accepts_the_right_one(pool: PgPool) {
    let sim = SimWorld::start().await;
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let masked = sim.phone_masked("budi");
    let pending = store.prepare_login("budi", &masked).await.unwrap();
    store
        .save_session(pending.id, &sim.stored_session("budi"), &test_cipher())
        .await
        .unwrap();
    let phone = sim.phone("budi");
    let args = ["accounts", "login", "budi", "--phone", phone.as_str()];

    let wrong = tgfleet_in(&url, &args, "13579\nnot the password\n").await;
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong.stderr.contains(&format!(
            "error: login of budi ({masked}) failed: the 2FA password was not accepted"
        )),
        "{}",
        wrong.stderr
    );
    assert_nothing_secret(
        &wrong,
        &[&phone, "13579", "not the password", "correct horse"],
    );
    let budi = store.account_by_label("budi").await.unwrap().unwrap();
    assert_eq!(
        budi.status,
        AccountStatus::Unauthorized,
        "nothing stored as authorized"
    );
    assert_eq!(budi.status_reason.as_deref(), Some("login pending"));
    assert_eq!(budi.telegram_user_id, None);

    let wrong_code = tgfleet_in(&url, &args, "00000\n").await;
    assert_eq!(wrong_code.code, 1, "{wrong_code:?}");
    assert!(
        wrong_code
            .stderr
            .contains("the login code was not accepted"),
        "{}",
        wrong_code.stderr
    );

    let right = tgfleet_in(&url, &args, "13579\ncorrect horse\n").await;
    assert_eq!(right.code, 0, "{right:?}");
    assert!(
        right.stderr.contains("2FA password"),
        "asked for it: {}",
        right.stderr
    );
    assert_nothing_secret(&right, &[&phone, "13579", "correct horse"]);
    let budi = store.account_by_label("budi").await.unwrap().unwrap();
    assert_eq!(budi.status, AccountStatus::Active);
    assert_eq!(budi.telegram_user_id, Some(sim.user_id("budi")));
}

/// Imports the simulated world's sessions with `budi.json` holding `password` as
/// budi's 2FA password; returns budi's phone number.
async fn import_budi_with_password(sim: &SimWorld, url: &str, password: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    tg_sim::provision::provision(dir.path(), &sim.scenario, sim.server.local_addr(), 2).unwrap();
    std::fs::write(
        dir.path().join("budi.json"),
        serde_json::json!({ "twoFA": password }).to_string(),
    )
    .unwrap();
    let import = tgfleet_in(
        url,
        &["accounts", "import", dir.path().to_str().unwrap()],
        "",
    )
    .await;
    assert_eq!(import.code, 0, "{import:?}");
    assert_nothing_secret(&import, &[password]);
    sim.phone("budi")
}

#[sqlx::test(migrations = "../../migrations")]
async fn login_uses_the_imported_2fa_password_without_asking(pool: PgPool) {
    let sim = SimWorld::start().await;
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let phone = import_budi_with_password(&sim, &url, "correct horse").await;

    let login = tgfleet_in(
        &url,
        &["accounts", "login", "budi", "--phone", &phone],
        "13579\n",
    )
    .await;
    assert_eq!(login.code, 0, "{login:?}");
    assert!(
        login
            .stdout
            .contains("Used the 2FA password stored with the imported session."),
        "{}",
        login.stdout
    );
    assert!(
        !login.stderr.contains("2FA password"),
        "the operator was asked: {}",
        login.stderr
    );
    assert_nothing_secret(&login, &[&phone, "13579", "correct horse"]);
    let budi = store.account_by_label("budi").await.unwrap().unwrap();
    assert_eq!(budi.status, AccountStatus::Active);
    assert_eq!(budi.telegram_user_id, Some(sim.user_id("budi")));
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_stale_imported_2fa_password_falls_back_to_asking(pool: PgPool) {
    let sim = SimWorld::start().await;
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let phone = import_budi_with_password(&sim, &url, "an old password").await;

    let login = tgfleet_in(
        &url,
        &["accounts", "login", "budi", "--phone", &phone],
        "13579\ncorrect horse\n",
    )
    .await;
    assert_eq!(login.code, 0, "{login:?}");
    assert!(
        login
            .stdout
            .contains("The 2FA password stored with the imported session was not accepted."),
        "{}",
        login.stdout
    );
    assert!(
        login.stderr.contains("2FA password"),
        "asked: {}",
        login.stderr
    );
    assert_nothing_secret(
        &login,
        &[&phone, "13579", "correct horse", "an old password"],
    );
    let budi = store.account_by_label("budi").await.unwrap().unwrap();
    assert_eq!(budi.status, AccountStatus::Active);
}

#[sqlx::test(migrations = "../../migrations")]
async fn check_stores_who_each_active_account_is(pool: PgPool) {
    let sim = SimWorld::start().await;
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    enrol(&store, &sim, "citra").await;
    enrol(&store, &sim, "dedi").await;
    account_without_session(&store, "bare").await;
    let busy = enrol(&store, &sim, "eka").await;
    let held = store
        .try_acquire_lease(
            busy.id,
            "marketer-1",
            chrono::Utc::now(),
            Duration::from_secs(300),
        )
        .await
        .unwrap()
        .unwrap();

    let check = tgfleet_in(&url, &["accounts", "check"], "").await;
    assert_eq!(check.code, 0, "{check:?}");
    assert!(
        check.stdout.contains(
            "Checked 5 active account(s): 1 ok, 2 unauthorized, 1 deactivated, 1 busy, 0 failed."
        ),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("leased by marketer-1"),
        "{}",
        check.stdout
    );

    let ayu_now = store.account_by_id(ayu.id).await.unwrap().unwrap();
    assert_eq!(ayu_now.status, AccountStatus::Active);
    assert_eq!(ayu_now.telegram_user_id, Some(sim.user_id("ayu")));
    assert!(ayu_now.last_activity.is_some());
    let status = |label: &'static str| {
        let store = store.clone();
        async move {
            let account = store.account_by_label(label).await.unwrap().unwrap();
            (account.status, account.status_reason.unwrap_or_default())
        }
    };
    assert_eq!(
        status("citra").await,
        (
            AccountStatus::Unauthorized,
            "AUTH_KEY_UNREGISTERED".to_owned()
        )
    );
    assert_eq!(
        status("dedi").await,
        (
            AccountStatus::Deactivated,
            "USER_DEACTIVATED_BAN".to_owned()
        )
    );
    assert_eq!(
        status("bare").await,
        (AccountStatus::Unauthorized, "no session".to_owned())
    );
    assert_eq!(
        status("eka").await.0,
        AccountStatus::Active,
        "busy: untouched"
    );
    assert_eq!(
        store.lease_of(busy.id).await.unwrap().unwrap().token,
        held.token
    );
    let ayu_lease = store.lease_of(ayu.id).await.unwrap().unwrap();
    assert!(
        ayu_lease.expires_at <= chrono::Utc::now(),
        "released after the check"
    );

    let rerun = tgfleet_in(&url, &["accounts", "check"], "").await;
    assert!(
        rerun.stdout.contains("Checked 2 active account(s): 1 ok"),
        "only active accounts are checked: {}",
        rerun.stdout
    );
}
