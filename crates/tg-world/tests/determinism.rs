//! The same scenario, seed and call sequence give the same outcomes; one
//! account's outcomes do not depend on how other accounts' calls interleave.

mod common;

use chrono::{DateTime, Utc};
use common::at;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tg_world::{
    Budget, GeneratedHandle, GeneratorSpec, GroupMix, Limits, MediaKind, PeerFloodPolicy, Profile,
    TextBody, UploadedMedia, UserId, World, generate,
};

fn spec() -> GeneratorSpec {
    let mut spec = GeneratorSpec::new(2024, 6, GroupMix::typical(150));
    spec.with_stories = 30;
    spec.accounts.two_factor = 1;
    spec.accounts.deactivated = 1;
    spec.ban_probability = 0.3;
    spec.vanish_at = Some(at(4 * 3600));
    spec.approve_after_secs = Some(1800);
    spec.limits = Limits {
        join: Budget::new(6, 3600),
        resolve: Budget::new(40, 3600),
        send: Budget::new(4, 60),
        peer_flood: PeerFloodPolicy {
            max_sends: 12,
            window_secs: 1800,
            block_secs: 7200,
        },
        ..Limits::default()
    };
    spec
}

/// Plays a pseudo-random but fixed sequence of calls for `labels` and returns
/// one transcript line per call.
fn play(
    world: &mut World,
    handles: &[GeneratedHandle],
    labels: &[&str],
    steps: usize,
) -> Vec<String> {
    let mut script = ChaCha8Rng::seed_from_u64(99);
    let mut transcript = Vec::with_capacity(steps);
    for step in 0..steps {
        let label = labels[step % labels.len()];
        let user = world.user_id(label).unwrap();
        let now = at(step as i64 * 5);
        let handle = &handles[script.random_range(0..handles.len())];
        let action = script.random_range(0..10u32);
        let outcome = act(world, now, user, handle, action);
        transcript.push(format!(
            "{step} {label} {} a{action}: {outcome}",
            handle.line
        ));
    }
    transcript
}

fn act(
    world: &mut World,
    now: DateTime<Utc>,
    user: UserId,
    handle: &GeneratedHandle,
    action: u32,
) -> String {
    let Some(channel) = handle.channel_id else {
        let name = handle.line.rsplit(['/', '@']).next().unwrap();
        return format!("{:?}", world.contacts_resolve_username(now, user, name));
    };
    let peer = world.input_channel(user, channel);
    let invite = handle
        .profile
        .is_invite()
        .then(|| handle.line.rsplit(['+', '/']).next().unwrap());
    match (action, invite) {
        (0 | 1, Some(hash)) => format!("{:?}", world.messages_import_chat_invite(now, user, hash)),
        (0 | 1, None) => format!("{:?}", world.channels_join_channel(now, user, peer)),
        (2..=4, _) => format!(
            "{:?}",
            world.messages_send_message(now, user, peer, TextBody::plain("promo https://t.me/x"))
        ),
        (5, _) => format!(
            "{:?}",
            world.messages_send_media(
                now,
                user,
                peer,
                UploadedMedia {
                    kind: MediaKind::Document,
                    file_name: "offer.pdf".into(),
                    size: 1000,
                },
                TextBody::plain("offer"),
            )
        ),
        (6, _) => format!("{:?}", world.messages_get_history(now, user, peer, 0, 3)),
        (7, _) => format!("{:?}", world.channels_get_participant_self(now, user, peer)),
        (8, _) => format!("{:?}", world.stories_read_stories(now, user, peer, 3)),
        _ => format!("{:?}", world.channels_get_full_channel(now, user, peer)),
    }
}

#[test]
fn the_same_calls_give_the_same_transcript_twice() {
    let generated = generate(&spec()).unwrap();
    let labels = [
        "acc0001", "acc0002", "acc0003", "acc0004", "acc0005", "acc0006",
    ];
    let run = || {
        let mut world = World::new(&generated.scenario).unwrap();
        let transcript = play(&mut world, &generated.handles, &labels, 3000);
        let sent = format!("{:?}", world.sent());
        let counters: Vec<_> = labels
            .iter()
            .map(|l| format!("{:?}", world.counters(l)))
            .collect();
        let memberships: Vec<_> = labels
            .iter()
            .map(|l| format!("{:?}", world.memberships(l, at(200_000))))
            .collect();
        (transcript, sent, counters, memberships)
    };
    let first = run();
    let second = run();
    assert_eq!(first.0.len(), 3000);
    for (a, b) in first.0.iter().zip(&second.0) {
        assert_eq!(a, b);
    }
    assert_eq!(first, second);

    let all = first.0.join("\n");
    for expected in [
        "FLOOD_WAIT",
        "USERNAME_NOT_OCCUPIED",
        "INVITE_REQUEST_SENT",
        "CHAT_WRITE_FORBIDDEN",
        "USER_BANNED_IN_CHANNEL",
        "USER_DEACTIVATED_BAN",
        "Ok(Message",
        "Ok(ChannelInfo",
    ] {
        assert!(all.contains(expected), "the sequence exercises {expected}");
    }
}

#[test]
fn an_accounts_outcomes_do_not_depend_on_other_accounts() {
    let generated = generate(&spec()).unwrap();
    let (even, odd): (Vec<_>, Vec<_>) = generated
        .handles
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let mine: Vec<_> = even.into_iter().map(|(_, h)| h).collect();
    let theirs: Vec<_> = odd.into_iter().map(|(_, h)| h).collect();
    assert!(mine.iter().any(|h| h.profile == Profile::BanProbability));

    let mut alone = World::new(&generated.scenario).unwrap();
    let solo = play(&mut alone, &mine, &["acc0001"], 800);

    let mut busy = World::new(&generated.scenario).unwrap();
    let mut interleaved = Vec::new();
    for chunk in 0..8 {
        let other = play(&mut busy, &theirs, &["acc0002", "acc0003"], 50 + chunk * 7);
        assert!(!other.is_empty());
        interleaved.extend(play_window(&mut busy, &mine, chunk));
    }
    assert_eq!(solo, interleaved);
}

/// Steps `chunk*100 .. chunk*100+100` of the solo script for acc0001.
fn play_window(world: &mut World, handles: &[GeneratedHandle], chunk: usize) -> Vec<String> {
    let mut script = ChaCha8Rng::seed_from_u64(99);
    let mut lines = Vec::new();
    for step in 0..(chunk + 1) * 100 {
        let handle = &handles[script.random_range(0..handles.len())];
        let action = script.random_range(0..10u32);
        if step < chunk * 100 {
            continue;
        }
        let user = world.user_id("acc0001").unwrap();
        let outcome = act(world, at(step as i64 * 5), user, handle, action);
        lines.push(format!(
            "{step} acc0001 {} a{action}: {outcome}",
            handle.line
        ));
    }
    lines
}
