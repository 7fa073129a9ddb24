//! Helpers shared by the marketer's service tests: a fleet over the in-process world
//! with paused time, memberships joined through the connector, campaigns, checks
//! against the world's record of what was actually sent, and log capture.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tg_world::{Budget, GeneratorSpec, GroupMix, Limits, Profile, SentRecord};
use tgfleet_config::Service;
use tgfleet_domain::campaign::Content;
use tgfleet_domain::{
    AccountId, BodyFormat, GroupHandle, GroupId, VariantContent, VariantKind, VariantText,
};
use tgfleet_marketer::Marketer;
use tgfleet_store::posting_fixtures::{join, open_group};
use tgfleet_store::{
    Campaign, CampaignTarget, GroupFilter, NewCampaign, NewVariant, Post, PostFilter, Store,
    StoredPeer,
};
use tgfleet_telegram::{Connector, JoinTarget, PeerRef, Resolved, TelegramAccount, TgError};
use tgfleet_testkit::{Fault, FaultAction, TestFleet};
use tokio::task::JoinHandle;

/// 2026-01-10 00:00 UTC: 07:00 in Jakarta (inside the default 5-10 window).
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap()
}

/// A world of `accounts` accounts and `mix` groups whose joins and resolves are not
/// rate-limited (test setup joins many groups at once); sends keep Telegram's limits.
pub fn spec(seed: u64, accounts: u32, mix: GroupMix) -> GeneratorSpec {
    let mut spec = GeneratorSpec::new(seed, accounts, mix);
    let wide = Budget::new(1_000_000, 1);
    spec.limits = Limits {
        join: wide,
        resolve: wide,
        info: wide,
        ..Limits::default()
    };
    // Members talk every ten minutes: the etiquette (no post where one of the
    // fleet's is among the latest five) leaves such groups open to the next post.
    spec.chatter_every_secs = Some(600);
    spec
}

/// A fleet over `spec` with `settings` (TOML), starting at [`start_time`], groups imported.
pub async fn fleet(pool: PgPool, spec: GeneratorSpec, settings: &str) -> TestFleet {
    let fleet = TestFleet::builder(spec)
        .settings(settings)
        .starting_at(start_time())
        .start(pool)
        .await;
    fleet.import_groups().await;
    fleet
}

/// Posting without windows, gaps or tight caps: only the rule under test holds.
pub const OPEN_POSTING: &str = "[posting]\nwindows = \"0-24\"\nper_day = 500\nper_hour = 100\nmin_gap_account_secs = 0\nmin_gap_chat_secs = 0\netiquette_last_messages = 0";

/// A fleet of `accounts` accounts (`acc0001`, …) over `open` open groups, every account
/// joined to every group, with `settings`.
pub async fn joined_fleet(
    pool: PgPool,
    seed: u64,
    accounts: u32,
    open: u32,
    settings: &str,
) -> (TestFleet, Vec<Joined>) {
    let fleet = fleet(
        pool,
        spec(
            seed,
            accounts,
            GroupMix::default().with(Profile::Open, open),
        ),
        settings,
    )
    .await;
    let labels: Vec<String> = (1..=accounts).map(|n| format!("acc{n:04}")).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let joined = join_groups(&fleet, &labels, &[]).await;
    (fleet, joined)
}

/// The same fault on sends to `channel_id` for every one of `labels`, forever.
pub fn send_fault_for(labels: &[&str], channel_id: i64, error: &TgError) -> Vec<Fault> {
    labels
        .iter()
        .map(|label| {
            Fault::send(
                label,
                Some(channel_id),
                FaultAction::Fail(error.clone()),
                u32::MAX,
            )
        })
        .collect()
}

/// Three hourly text campaigns (`one`, `two`, `three`), then six hours of one replica
/// over `context` (a connector with faults).
pub async fn three_hourly_campaigns_for_six_hours(
    fleet: &TestFleet,
    context: tgfleet_runtime::ServiceContext,
) {
    for name in ["one", "two", "three"] {
        text_campaign(
            fleet,
            name,
            Duration::from_secs(3600),
            &format!("Offer {name}"),
        )
        .await;
    }
    run_replicas(
        fleet,
        vec![spawn_replica(context, 9)],
        Duration::from_secs(6 * 3600),
    )
    .await;
}

/// Changes the world for `label` at the fleet's now.
pub fn in_world(
    fleet: &TestFleet,
    label: &str,
    change: impl FnOnce(&mut tg_world::World, tg_world::UserId, DateTime<Utc>),
) {
    use tgfleet_domain::Clock as _;
    let mut world = fleet.world.lock().unwrap();
    let user = world.user_id(label).unwrap();
    change(&mut world, user, fleet.clock.now());
}

/// A group the fleet joined.
#[derive(Clone, Debug)]
pub struct Joined {
    /// The store's group.
    pub id: GroupId,
    /// Its handle.
    pub handle: GroupHandle,
    /// The world's channel id.
    pub channel_id: i64,
    /// Its generated profile.
    pub profile: Profile,
}

/// Every generated group of `profiles` (all when empty), joined by each account in
/// `labels` through the connector (resolve, then join), recorded in the store as the
/// account-manager would (membership joined with the peer), and marked open.
pub async fn join_groups(fleet: &TestFleet, labels: &[&str], profiles: &[Profile]) -> Vec<Joined> {
    join_groups_by(fleet, profiles, |_| {
        labels.iter().map(|l| (*l).to_owned()).collect()
    })
    .await
}

/// Like [`join_groups`], with the accounts chosen per group (by its position among
/// the selected groups).
pub async fn join_groups_by(
    fleet: &TestFleet,
    profiles: &[Profile],
    members: impl Fn(usize) -> Vec<String>,
) -> Vec<Joined> {
    let groups: HashMap<String, GroupId> = fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|group| (group.handle.key(), group.id))
        .collect();
    let now = fleet.clock_now();
    let mut joined = Vec::new();
    for handle in &fleet.generated.handles {
        if !profiles.is_empty() && !profiles.contains(&handle.profile) {
            continue;
        }
        if handle.profile.is_inaccessible() || handle.profile == Profile::Approval {
            continue;
        }
        let parsed = GroupHandle::parse(&handle.line).unwrap();
        let id = groups[&parsed.key()];
        let channel_id = handle.channel_id.unwrap();
        for label in members(joined.len()) {
            let account = fleet.account(&label);
            let telegram = connect(fleet, &label).await;
            let chat = match &parsed {
                GroupHandle::Username(_) => {
                    let Resolved::Chat(chat) = telegram.resolve(&parsed).await.unwrap() else {
                        panic!("{parsed} resolves to a chat")
                    };
                    telegram.join(&JoinTarget::Public(chat.peer)).await.unwrap()
                }
                GroupHandle::Invite(hash) => telegram
                    .join(&JoinTarget::Invite(hash.clone()))
                    .await
                    .unwrap(),
            };
            telegram.close().await;
            let peer = StoredPeer {
                id: chat.peer.id,
                access_hash: chat.peer.access_hash,
                kind: "channel".into(),
            };
            join(&fleet.store, account.id, id, &peer, now)
                .await
                .unwrap();
            open_group(
                &fleet.store,
                id,
                channel_id,
                chat.kind.as_str(),
                &chat.title,
            )
            .await
            .unwrap();
        }
        joined.push(Joined {
            id,
            handle: parsed,
            channel_id,
            profile: handle.profile,
        });
    }
    joined
}

/// The virtual clock's reading (a shorthand).
pub trait ClockNow {
    fn clock_now(&self) -> DateTime<Utc>;
}

impl ClockNow for TestFleet {
    fn clock_now(&self) -> DateTime<Utc> {
        tgfleet_domain::Clock::now(&self.clock)
    }
}

/// Creates a campaign created at the fleet's now.
pub async fn campaign(
    fleet: &TestFleet,
    name: &str,
    target: CampaignTarget,
    interval: Duration,
) -> Campaign {
    fleet
        .store
        .create_campaign(
            &NewCampaign {
                name: tgfleet_domain::CampaignName::parse(name).unwrap(),
                target,
                repeat_interval: interval,
                starts_at: None,
                ends_at: None,
            },
            fleet.clock_now(),
        )
        .await
        .unwrap()
}

/// Creates a campaign with one plain-text variant.
pub async fn text_campaign(
    fleet: &TestFleet,
    name: &str,
    interval: Duration,
    body: &str,
) -> Campaign {
    let created = campaign(fleet, name, CampaignTarget::All, interval).await;
    add_text(&fleet.store, name, body).await;
    created
}

/// Creates a daily campaign for all groups with one variant of any kind.
pub async fn variant_campaign(
    fleet: &TestFleet,
    name: &str,
    kind: VariantKind,
    body: &str,
    media_path: Option<&str>,
    source: Option<tgfleet_domain::campaign::SourcePost>,
) {
    campaign(
        fleet,
        name,
        CampaignTarget::All,
        Duration::from_secs(86_400),
    )
    .await;
    add_variant(&fleet.store, name, kind, body, media_path, source).await;
}

/// How many answers named `name` the world gave an account.
pub fn world_errors(fleet: &TestFleet, label: &str, name: &str) -> u32 {
    fleet
        .world
        .lock()
        .unwrap()
        .counters(label)
        .unwrap()
        .errors_named(name)
}

/// A daily campaign "villas" for every group with one text variant.
pub async fn villa_campaign(fleet: &TestFleet) -> Campaign {
    text_campaign(
        fleet,
        "villas",
        Duration::from_secs(86_400),
        "Villa for rent",
    )
    .await
}

/// Every group of the catalogue.
pub async fn all_groups(fleet: &TestFleet) -> Vec<tgfleet_store::Group> {
    fleet
        .store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
}

/// How many calls of `class` the world counted for an account.
pub fn calls(fleet: &TestFleet, label: &str, class: tg_world::MethodClass) -> u32 {
    fleet
        .world
        .lock()
        .unwrap()
        .counters(label)
        .unwrap()
        .calls_of(class)
}

/// Adds a plain-text variant.
pub async fn add_text(store: &Store, campaign: &str, body: &str) {
    add_variant(store, campaign, VariantKind::Text, body, None, None).await;
}

/// Adds a variant of any kind, hashing what readers see.
pub async fn add_variant(
    store: &Store,
    campaign: &str,
    kind: VariantKind,
    body: &str,
    media_path: Option<&str>,
    source: Option<tgfleet_domain::campaign::SourcePost>,
) {
    let bytes = media_path.map(|path| std::fs::read(path).unwrap());
    let content_hash = Content {
        kind,
        format: BodyFormat::Plain,
        body,
        media: bytes.as_deref(),
        source: source.as_ref(),
    }
    .hash();
    let caption = || VariantText::caption(body).unwrap();
    let path = || media_path.unwrap().to_owned();
    let content = match kind {
        VariantKind::Text => VariantContent::Text(VariantText::message(body).unwrap()),
        VariantKind::Photo => VariantContent::Photo {
            path: path(),
            caption: caption(),
        },
        VariantKind::Document => VariantContent::Document {
            path: path(),
            caption: caption(),
        },
        VariantKind::Forward => VariantContent::Forward(source.unwrap()),
        VariantKind::Copy => VariantContent::Copy(source.unwrap()),
    };
    store
        .add_variant(
            campaign,
            &NewVariant {
                content,
                format: BodyFormat::Plain,
                content_hash,
            },
        )
        .await
        .unwrap();
}

/// Starts a marketer replica (seeded) as a task.
pub fn spawn_marketer(fleet: &TestFleet, seed: u64) -> JoinHandle<anyhow::Result<()>> {
    spawn_replica(fleet.context(Service::Marketer), seed)
}

/// Lets the fleet run for `duration` of virtual time.
pub async fn run_for(fleet: &TestFleet, duration: Duration) {
    fleet.clock.sleep(duration).await;
}

/// Lets `replicas` run for `duration` of virtual time, then stops them.
pub async fn run_replicas(
    fleet: &TestFleet,
    replicas: Vec<JoinHandle<anyhow::Result<()>>>,
    duration: Duration,
) {
    run_for(fleet, duration).await;
    stop(fleet, replicas).await;
}

/// An account's connection through the fleet's in-process connector.
pub async fn connect(fleet: &TestFleet, label: &str) -> Box<dyn TelegramAccount> {
    fleet
        .connector
        .connect(&fleet.account_ref(fleet.account(label)))
        .await
        .unwrap()
}

/// The peer an account uses for a channel of the world.
pub fn peer_in(fleet: &TestFleet, label: &str, channel_id: i64) -> PeerRef {
    let world = fleet.world.lock().unwrap();
    PeerRef {
        id: channel_id,
        access_hash: world.access_hash(world.user_id(label).unwrap(), channel_id),
        kind: tgfleet_telegram::PeerKind::Channel,
    }
}

/// Stops every replica started from the fleet's contexts and waits for them.
///
/// Then waits a moment of real time: connections the replicas dropped go back to the
/// pool through a ping that does not hold tokio's paused clock, and an acquire waiting
/// for them meanwhile would see its (year-long) timeout fire at once.
pub async fn stop(fleet: &TestFleet, replicas: Vec<JoinHandle<anyhow::Result<()>>>) {
    fleet.shutdown.cancel();
    for replica in replicas {
        replica.await.unwrap().unwrap();
    }
    settle().await;
}

/// Ends a paused-time test: the clock runs again, so `#[sqlx::test]` can drop the
/// test's database afterwards (its cleanup has timeouts of its own).
pub fn resume_time() {
    tokio::time::resume();
}

/// Lets connections being returned to the pool settle (real time, clock held still).
pub async fn settle() {
    tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(200)))
        .await
        .unwrap();
}

/// What the world recorded as sent, with each sender's label.
pub fn sent(fleet: &TestFleet) -> Vec<(String, SentRecord)> {
    let world = fleet.world.lock().unwrap();
    world
        .sent()
        .iter()
        .map(|record| (world.label(record.user).unwrap().to_owned(), record.clone()))
        .collect()
}

/// Every post row.
pub async fn posts(store: &Store) -> Vec<Post> {
    store.list_posts(&PostFilter::default()).await.unwrap()
}

/// The limits a run must never exceed, checked on the world's record.
#[derive(Clone, Debug)]
pub struct RunLimits {
    pub windows: tgfleet_domain::ActivityWindows,
    pub zone: Tz,
    pub per_day: usize,
    pub per_hour: usize,
    pub gap_account: TimeDelta,
    pub gap_chat: TimeDelta,
}

/// Checks caps (sliding 24 h and 1 h), gaps (per account, per chat across the fleet)
/// and windows against what the world recorded. Returns the violations.
pub fn violations(records: &[(String, SentRecord)], limits: &RunLimits) -> Vec<String> {
    let mut found = Vec::new();
    let mut by_account: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut by_chat: BTreeMap<i64, Vec<DateTime<Utc>>> = BTreeMap::new();
    for (label, record) in records {
        by_account.entry(label).or_default().push(record.date);
        by_chat
            .entry(record.channel_id)
            .or_default()
            .push(record.date);
        let local = record.date.with_timezone(&limits.zone).time();
        if !limits.windows.contains(local) {
            found.push(format!(
                "{label} posted at {local} local, outside {}",
                limits.windows
            ));
        }
    }
    for (label, times) in &mut by_account {
        times.sort();
        for (index, at) in times.iter().enumerate() {
            let in_day = times[..=index]
                .iter()
                .filter(|t| **t > *at - TimeDelta::days(1))
                .count();
            let in_hour = times[..=index]
                .iter()
                .filter(|t| **t > *at - TimeDelta::hours(1))
                .count();
            if in_day > limits.per_day {
                found.push(format!(
                    "{label}: {in_day} messages in the 24 h before {at}"
                ));
            }
            if in_hour > limits.per_hour {
                found.push(format!(
                    "{label}: {in_hour} messages in the hour before {at}"
                ));
            }
            if index > 0 && *at - times[index - 1] < limits.gap_account {
                found.push(format!(
                    "{label}: two messages {} apart at {at}",
                    *at - times[index - 1]
                ));
            }
        }
    }
    for (chat, times) in &mut by_chat {
        times.sort();
        for pair in times.windows(2) {
            if pair[1] - pair[0] < limits.gap_chat {
                found.push(format!(
                    "chat {chat}: two messages {} apart at {}",
                    pair[1] - pair[0],
                    pair[1]
                ));
            }
        }
    }
    found
}

/// Log lines written while the returned guard lives (on this thread: tests run on a
/// current-thread runtime, so every task logs here).
#[derive(Clone, Debug, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Captures INFO and above until the guard drops.
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (logs, guard)
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The captured lines containing `word`.
    pub fn lines_with(&self, word: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| line.contains(word))
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A seeded marketer replica over `context`, started as a task.
pub fn spawn_replica(
    context: tgfleet_runtime::ServiceContext,
    seed: u64,
) -> JoinHandle<anyhow::Result<()>> {
    let marketer = Marketer::with_seed(context, seed);
    tokio::spawn(async move { marketer.run().await })
}

/// The store account id of a label.
pub fn account_id(fleet: &TestFleet, label: &str) -> AccountId {
    fleet.account(label).id
}
