//! Builds a generated world of 1,000 accounts × 100,000 groups and prints the
//! build time, memory (RSS deltas and peak RSS from /proc/self/status) and the
//! throughput of a mixed call load on the world (each account works on its
//! own slice of 100 groups, as services assign them).
//!
//! `cargo bench -p tg-world --bench world_scale` (set `WORLD_SCALE_CALLS` to
//! change the number of calls, default 1,000,000).

use chrono::TimeDelta;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::Instant;
use tg_world::{
    GeneratorSpec, GroupMix, Limits, MediaKind, TextBody, UploadedMedia, World, default_epoch,
    generate,
};

const ACCOUNTS: u32 = 1_000;
const GROUPS: u32 = 100_000;

/// A field of /proc/self/status in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let calls: usize = std::env::var("WORLD_SCALE_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rss_start = status_kib("VmRSS");

    let mut spec = GeneratorSpec::new(1, ACCOUNTS, GroupMix::typical(GROUPS));
    spec.with_stories = GROUPS / 10;
    spec.accounts.two_factor = ACCOUNTS / 10;
    spec.limits = Limits::unlimited();
    let started = Instant::now();
    let generated = generate(&spec).expect("a valid generated scenario");
    let generate_time = started.elapsed();
    let rss_scenario = status_kib("VmRSS");

    let started = Instant::now();
    let mut world = World::new(&generated.scenario).expect("a valid world");
    let build_time = started.elapsed();
    let rss_world = status_kib("VmRSS");

    println!("world_scale: {ACCOUNTS} accounts x {GROUPS} groups");
    println!(
        "  generate scenario: {:>8.3} s   (+{:.1} MiB RSS)",
        generate_time.as_secs_f64(),
        mib(rss_scenario.saturating_sub(rss_start))
    );
    println!(
        "  build world:       {:>8.3} s   (+{:.1} MiB RSS attributable to the world)",
        build_time.as_secs_f64(),
        mib(rss_world.saturating_sub(rss_scenario))
    );

    let handles = &generated.handles;
    let labels: Vec<String> = world.labels().iter().map(|l| (*l).to_owned()).collect();
    let users: Vec<_> = labels.iter().map(|l| world.user_id(l).unwrap()).collect();
    let mut script = ChaCha8Rng::seed_from_u64(7);
    let mut ok = 0usize;
    let started = Instant::now();
    let per_account = handles.len() / users.len();
    for step in 0..calls {
        let account = step % users.len();
        let user = users[account];
        let now = default_epoch() + TimeDelta::milliseconds(step as i64 * 50);
        let handle = &handles[account * per_account + script.random_range(0..per_account)];
        let action = script.random_range(0..10u32);
        let succeeded = match (handle.channel_id, action) {
            (None, _) | (_, 0) => match (&handle.invite, &handle.username) {
                (Some(hash), _) => world.messages_check_chat_invite(now, user, hash).is_ok(),
                (None, Some(name)) => world.contacts_resolve_username(now, user, name).is_ok(),
                (None, None) => false,
            },
            (Some(channel), 1 | 2) => {
                let peer = world.input_channel(user, channel);
                match &handle.invite {
                    Some(hash) => world.messages_import_chat_invite(now, user, hash).is_ok(),
                    None => world.channels_join_channel(now, user, peer).is_ok(),
                }
            }
            (Some(channel), 3 | 4) => {
                let peer = world.input_channel(user, channel);
                let body = TextBody::plain("Promo of the day: https://t.me/shop");
                world.messages_send_message(now, user, peer, body).is_ok()
            }
            (Some(channel), 5) => {
                let peer = world.input_channel(user, channel);
                let media = UploadedMedia {
                    kind: MediaKind::Photo,
                    file_name: "promo.jpg".into(),
                    size: 120_000,
                };
                let caption = TextBody::plain("caption");
                world
                    .messages_send_media(now, user, peer, media, caption)
                    .is_ok()
            }
            (Some(channel), 6) => {
                let peer = world.input_channel(user, channel);
                black_box(world.messages_get_history(now, user, peer, 0, 20)).is_ok()
            }
            (Some(channel), 7) => {
                let peer = world.input_channel(user, channel);
                black_box(world.channels_get_full_channel(now, user, peer)).is_ok()
            }
            (Some(channel), 8) => {
                let peer = world.input_channel(user, channel);
                world.stories_read_stories(now, user, peer, 5).is_ok()
            }
            (Some(channel), _) => {
                let peer = world.input_channel(user, channel);
                world.channels_read_history(now, user, peer, 10).is_ok()
            }
        };
        ok += usize::from(succeeded);
    }
    let load_time = started.elapsed();
    let rss_loaded = status_kib("VmRSS");
    println!(
        "  mixed load:        {calls} calls in {:.3} s = {:.0} calls/s ({ok} succeeded, {} messages stored, +{:.1} MiB RSS)",
        load_time.as_secs_f64(),
        calls as f64 / load_time.as_secs_f64(),
        world.sent().len(),
        mib(rss_loaded.saturating_sub(rss_world))
    );
    println!(
        "  RSS now {:.1} MiB, peak RSS (VmHWM) {:.1} MiB",
        mib(rss_loaded),
        mib(status_kib("VmHWM"))
    );
    black_box(&world);
}
