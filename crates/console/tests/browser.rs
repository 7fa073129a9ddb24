//! The console in real headless Chromium (Debian's `chromium` driven through
//! `chromedriver` by fantoccini): log in, the overview's numbers equal the views',
//! suspend an account, a new event reaches the live feed within 2 s, a wrong password
//! and a form without its CSRF token are refused, and every page is screenshotted
//! under `target/console-screenshots/`. `cargo xtask test` installs Chromium.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{OPERATOR, PASSWORD, TestApp};
use tgfleet_console::live::LiveEvents;
use tgfleet_store::NewEvent;
use tokio_util::sync::CancellationToken;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists(),
        "{CHROMEDRIVER} is missing: run `cargo xtask test` (installs chromium and chromium-driver) or apt-get install chromium chromium-driver"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let driver = Driver { child, port };
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    driver
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

/// Serves `app` on a loopback port, with the live feed listening.
async fn serve(app: &TestApp, shutdown: CancellationToken) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let live = LiveEvents::default();
    live.spawn(app.store.clone(), shutdown.clone());
    let state =
        tgfleet_console::state::AppState::new(app.store.clone(), app.state.settings.clone(), live);
    let router = tgfleet_console::router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .unwrap();
    });
    addr
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn log_in(client: &Client, base: &str, password: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    client
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys(OPERATOR)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    client
        .find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The text of `#id` once it contains `needle` (the page before the form's answer
/// may show the same element with another text); its last text after 5 s.
async fn text_containing(client: &Client, id: &str, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let read = text(client, id).await;
        if read.contains(needle) || started.elapsed() > Duration::from_secs(5) {
            return read;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The path the browser shows once it has left `from` (a form's answer may still be
/// loading when the click returns); `from` itself after 5 s.
async fn path_after_leaving(client: &Client, from: &str) -> String {
    let started = Instant::now();
    loop {
        let path = client.current_url().await.unwrap().path().to_owned();
        if path != from || started.elapsed() > Duration::from_secs(5) {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of `#id` on the page the browser shows once it has loaded: the element
/// may not exist yet, or belong to the page being replaced (a stale reference), while
/// a form's answer loads; both are asked again for up to 5 s.
async fn text(client: &Client, id: &str) -> String {
    let started = Instant::now();
    loop {
        let read = match client.find(Locator::Id(id)).await {
            Ok(element) => element.text().await,
            Err(error) => Err(error),
        };
        match read {
            Ok(text) => return text,
            Err(_) if started.elapsed() < Duration::from_secs(5) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("#{id} could not be read within 5 s: {error}"),
        }
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_operator_works_through_the_console_in_chromium(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    tgfleet_store::fixtures::seed_post_history(&app.store)
        .await
        .unwrap();
    app.operator().await;
    let shutdown = CancellationToken::new();
    let base = format!("http://{}", serve(&app, shutdown.clone()).await);
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;
    let shots = screenshots();

    // A wrong password is refused and leaves no session.
    log_in(&client, &base, "not the password").await;
    assert!(
        text(&client, "login-error")
            .await
            .contains("Wrong name or password")
    );
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/login")
    );
    std::fs::write(
        shots.join("login-refused.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();

    // A login form stripped of its CSRF token is refused.
    client.goto(&format!("{base}/login")).await.unwrap();
    client
        .execute(
            "document.querySelector('input[name=csrf]').remove()",
            vec![],
        )
        .await
        .unwrap();
    client
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys(OPERATOR)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let refused = text_containing(&client, "login-error", "expired").await;
    assert!(refused.contains("expired"), "{refused}");

    // The right password opens the overview, whose numbers are the views'.
    log_in(&client, &base, PASSWORD).await;
    assert_eq!(path_after_leaving(&client, "/login").await, "/");
    let overview = app.store.overview().await.unwrap();
    assert_eq!(
        text(&client, "card-active-accounts").await,
        overview.active_accounts.to_string()
    );
    assert_eq!(
        text(&client, "card-active-groups").await,
        overview.active_groups.to_string()
    );
    assert_eq!(
        text(&client, "card-posts-sent").await,
        overview.posts_today_success.to_string()
    );
    assert_eq!(
        text(&client, "card-posts-failed").await,
        overview.posts_today_failed.to_string()
    );

    // Every page renders; each is kept as a screenshot.
    let campaign = app
        .store
        .campaign_by_name("fixture campaign")
        .await
        .unwrap()
        .unwrap()
        .id;
    for (name, path) in [
        ("overview", "/".to_owned()),
        ("accounts", "/accounts".to_owned()),
        ("account", "/accounts/alpha".to_owned()),
        ("groups", "/groups".to_owned()),
        ("group", "/groups/1".to_owned()),
        ("campaigns", "/campaigns".to_owned()),
        ("campaign", format!("/campaigns/{campaign}")),
        ("events", "/events".to_owned()),
        ("reviews", "/reviews".to_owned()),
        ("diagnostics", "/diagnostics".to_owned()),
    ] {
        client.goto(&format!("{base}{path}")).await.unwrap();
        let source = client.source().await.unwrap();
        assert!(
            !source.contains("Error "),
            "{path} shows an error: {source}"
        );
        assert!(source.contains("Log out"), "{path} is not a console page");
        std::fs::write(
            shots.join(format!("{name}.png")),
            client.screenshot().await.unwrap(),
        )
        .unwrap();
    }

    // A suspend form without its CSRF token is refused; with it, the account is suspended.
    client.goto(&format!("{base}/accounts/beta")).await.unwrap();
    client
        .execute(
            "document.querySelector('form[action$=suspend] input[name=csrf]').remove()",
            vec![],
        )
        .await
        .unwrap();
    client
        .find(Locator::Id("suspend"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let started = Instant::now();
    while !client.source().await.unwrap().contains("CSRF") {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the form without its token was not refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.store
            .account_by_label("beta")
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "active"
    );
    client.goto(&format!("{base}/accounts/beta")).await.unwrap();
    client
        .find(Locator::Id("suspend"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        text_containing(&client, "account-status", "suspended").await,
        "suspended"
    );
    assert_eq!(
        app.store
            .account_by_label("beta")
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "suspended"
    );
    let audit = app.store.recent_audit(1).await.unwrap();
    assert_eq!(
        (audit[0].actor.as_str(), audit[0].action.as_str()),
        ("operator:ops", "account.suspend")
    );

    // A new event shows up in the open live feed within 2 seconds.
    client.goto(&format!("{base}/events")).await.unwrap();
    let started = Instant::now();
    while text(&client, "live-state").await != "live" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the live feed did not connect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let alpha = app
        .store
        .account_by_label("alpha")
        .await
        .unwrap()
        .unwrap()
        .id;
    app.store
        .record_event(&NewEvent {
            at: chrono::Utc::now(),
            service: "marketer".into(),
            account_id: Some(alpha),
            group_id: None,
            action: "post".into(),
            outcome: "flood_wait".into(),
            flood_wait_secs: Some(17),
            detail: Some("FLOOD_WAIT_17 live".into()),
        })
        .await
        .unwrap();
    let sent = Instant::now();
    loop {
        let rows = client
            .find_all(Locator::Css("#events tbody tr.fresh"))
            .await
            .unwrap();
        if let Some(row) = rows.first() {
            assert!(row.text().await.unwrap().contains("FLOOD_WAIT_17 live"));
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "the event did not reach the live feed within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::fs::write(
        shots.join("events-live.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    client.close().await.unwrap();
    shutdown.cancel();
}

/// Messages the simulated world has received so far.
fn world_sent(fleet: &tgfleet_testkit::TestFleet) -> usize {
    fleet.world.lock().unwrap().sent().len()
}

#[sqlx::test(migrations = "../../migrations")]
async fn pausing_a_campaign_in_chromium_stops_a_running_marketer(pool: sqlx::PgPool) {
    use tg_world::{GeneratorSpec, GroupMix, Profile};
    use tgfleet_domain::campaign::Content;
    use tgfleet_domain::{BodyFormat, Clock as _, VariantKind};
    use tgfleet_store::{CampaignTarget, NewCampaign, NewVariant};

    const GROUPS: usize = 12;
    let (fleet, _) = tgfleet_testkit::TestFleet::builder(GeneratorSpec::new(
        7,
        1,
        GroupMix::default().with(Profile::Open, GROUPS as u32),
    ))
    .settings("[posting]\nwindows = \"0-24\"\nmin_gap_account_secs = 1\nmin_gap_chat_secs = 0\netiquette_last_messages = 0")
    .real_time()
    .start_joined(pool)
    .await;
    let channels: std::collections::HashMap<String, i64> = fleet
        .generated
        .handles
        .iter()
        .filter_map(|handle| {
            let key = tgfleet_domain::GroupHandle::parse(&handle.line).ok()?.key();
            Some((key, handle.channel_id?))
        })
        .collect();
    for group in fleet.store.list_groups(&Default::default()).await.unwrap() {
        let channel = channels[&group.handle.key()];
        tgfleet_store::posting_fixtures::open_group(
            &fleet.store,
            group.id,
            channel,
            "supergroup",
            "Open group",
        )
        .await
        .unwrap();
    }
    let now = fleet.clock.now();
    fleet
        .store
        .create_campaign(
            &NewCampaign {
                name: tgfleet_domain::CampaignName::parse("villas").unwrap(),
                target: CampaignTarget::All,
                repeat_interval: Duration::from_secs(86_400),
                starts_at: None,
                ends_at: None,
            },
            now,
        )
        .await
        .unwrap();
    let body = "Villa for rent";
    let hash = Content {
        kind: VariantKind::Text,
        format: BodyFormat::Plain,
        body,
        media: None,
        source: None,
    }
    .hash();
    fleet
        .store
        .add_variant(
            "villas",
            &NewVariant {
                content: tgfleet_domain::VariantContent::Text(
                    tgfleet_domain::VariantText::message(body).unwrap(),
                ),
                format: BodyFormat::Plain,
                content_hash: hash,
            },
        )
        .await
        .unwrap();

    let app = TestApp::over(fleet.store.clone(), support::settings(&[]));
    app.operator().await;
    let shutdown = CancellationToken::new();
    let base = format!("http://{}", serve(&app, shutdown.clone()).await);
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;
    log_in(&client, &base, PASSWORD).await;
    assert_eq!(path_after_leaving(&client, "/login").await, "/");
    let campaign = fleet
        .store
        .campaign_by_name("villas")
        .await
        .unwrap()
        .unwrap()
        .id;
    client
        .goto(&format!("{base}/campaigns/{campaign}"))
        .await
        .unwrap();

    let marketer =
        tgfleet_marketer::Marketer::with_seed(fleet.context(tgfleet_config::Service::Marketer), 1);
    let replica = tokio::spawn(async move { marketer.run().await });
    let started = Instant::now();
    while world_sent(&fleet) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the marketer did not start posting"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client
        .find(Locator::Id("pause"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        text_containing(&client, "campaign-status", "paused").await,
        "paused"
    );
    let at_pause = world_sent(&fleet);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = world_sent(&fleet);
    // A post already past its pre-check when the pause landed may still go out; no more.
    assert!(
        after <= at_pause + 1,
        "the marketer kept posting: {at_pause} at the pause, {after} 4 s later"
    );
    assert!(
        after < GROUPS,
        "every group was posted before the pause; the test proves nothing"
    );
    std::fs::write(
        screenshots().join("campaign-paused.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    fleet.shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), replica).await;
    client.close().await.unwrap();
    shutdown.cancel();
}
