//! Generated worlds: exact counts, import lists, determinism.

mod common;

use common::at;
use tg_world::{
    AccountMix, ChatInvite, GeneratorSpec, GroupMix, Limits, Profile, Standing, TextBody, World,
    generate, names,
};

fn service_mix() -> GroupMix {
    GroupMix::default()
        .with(Profile::Open, 100)
        .with(Profile::SlowMode, 4)
        .with(Profile::Approval, 3)
        .with(Profile::PrivateInvite, 7)
        .with(Profile::BanFirstPost, 5)
        .with(Profile::VanishedPrivate, 8)
        .with(Profile::VanishedDeleted, 5)
        .with(Profile::ExpiredInvite, 6)
        .with(Profile::Missing, 6)
}

#[test]
fn counts_are_exact() {
    let mix = service_mix();
    assert_eq!(mix.total(), 144);
    let generated = generate(&GeneratorSpec::new(3, 2, mix)).unwrap();
    assert_eq!(generated.handles.len(), 144);
    for profile in Profile::ALL {
        assert_eq!(
            generated.handles_of(*profile).len() as u32,
            mix.count(*profile),
            "{profile:?}"
        );
    }
    let inaccessible = generated
        .handles
        .iter()
        .filter(|h| h.profile.is_inaccessible())
        .count();
    assert_eq!(inaccessible, 25);
    assert_eq!(
        generated.scenario.groups.len(),
        138,
        "missing handles have no group"
    );
    assert_eq!(generated.import_text().lines().count(), 144);
    assert!(
        generated
            .handles_of(Profile::Missing)
            .iter()
            .all(|h| h.channel_id.is_none())
    );
}

#[test]
fn typical_mixes_add_up() {
    for total in [0, 1, 17, 150, 100_000] {
        assert_eq!(GroupMix::typical(total).total(), total);
    }
    let mix = GroupMix::typical(150);
    assert!(mix.count(Profile::Broadcast) > 0 && mix.count(Profile::Approval) > 0);
    assert!(mix.count(Profile::SlowMode) > 0 && mix.count(Profile::VanishedPrivate) > 0);
    assert!(mix.count(Profile::BanFirstPost) > 0 && mix.count(Profile::ExpiredInvite) > 0);
}

#[test]
fn the_same_spec_generates_the_same_world() {
    let spec = GeneratorSpec::new(11, 3, GroupMix::typical(200));
    assert_eq!(generate(&spec).unwrap(), generate(&spec).unwrap());
    let other = GeneratorSpec::new(12, 3, GroupMix::typical(200));
    assert_ne!(
        generate(&spec).unwrap().import_text(),
        generate(&other).unwrap().import_text()
    );
}

#[test]
fn account_flags_follow_the_mix() {
    let mut spec = GeneratorSpec::new(1, 10, GroupMix::default());
    spec.accounts = AccountMix {
        total: 10,
        two_factor: 2,
        deactivated: 1,
        revoked: 2,
        signed_out: 3,
    };
    let accounts = generate(&spec).unwrap().scenario.accounts;
    let signed_out: Vec<bool> = accounts.iter().map(|a| a.signed_out).collect();
    assert_eq!(signed_out[..4], [true, true, true, false]);
    let with_password = accounts.iter().filter(|a| a.password.is_some()).count();
    assert_eq!(with_password, 2);
    assert!(accounts[9].deactivated && !accounts[9].revoked);
    assert!(accounts[8].revoked && accounts[7].revoked && !accounts[6].revoked);
    assert_eq!(accounts[0].label, "acc0001");
}

#[test]
fn generated_profiles_behave_as_named() {
    let mix = GroupMix::default()
        .with(Profile::Open, 3)
        .with(Profile::Broadcast, 1)
        .with(Profile::Approval, 1)
        .with(Profile::BanFirstPost, 1)
        .with(Profile::VanishedPrivate, 1)
        .with(Profile::ExpiredInvite, 1)
        .with(Profile::Missing, 1);
    let mut spec = GeneratorSpec::new(5, 1, mix);
    spec.limits = Limits::unlimited();
    spec.with_stories = 2;
    let generated = generate(&spec).unwrap();
    let mut world = World::new(&generated.scenario).unwrap();
    let user = world.user_id("acc0001").unwrap();
    let mut outcomes = Vec::new();
    for handle in &generated.handles {
        let outcome = if let Some(hash) = &handle.invite {
            match world.messages_check_chat_invite(at(0), user, hash) {
                Ok(ChatInvite::Invite(p)) if p.request_needed => "approval".to_owned(),
                Ok(_) => "invite".to_owned(),
                Err(e) => e.name,
            }
        } else {
            let name = handle.username.as_deref().unwrap();
            assert!(handle.line.contains(name));
            match world.contacts_resolve_username(at(0), user, name) {
                Ok(info) => {
                    let peer = world.input_channel(user, info.id);
                    world.channels_join_channel(at(0), user, peer).unwrap();
                    world
                        .messages_send_message(at(1), user, peer, TextBody::plain("ad"))
                        .map(|_| "posted".to_owned())
                        .unwrap_or_else(|e| e.name)
                }
                Err(e) => e.name,
            }
        };
        outcomes.push((handle.profile, outcome));
    }
    for (profile, outcome) in &outcomes {
        let expected = match profile {
            Profile::Open | Profile::BanFirstPost => "posted",
            Profile::Broadcast => names::CHAT_WRITE_FORBIDDEN,
            Profile::Approval => "approval",
            Profile::VanishedPrivate | Profile::Missing => names::USERNAME_NOT_OCCUPIED,
            Profile::ExpiredInvite => names::INVITE_HASH_EXPIRED,
            other => panic!("unexpected profile {other:?}"),
        };
        assert_eq!(outcome, expected, "{profile:?}");
    }
    let banned_channel = generated.handles_of(Profile::BanFirstPost)[0]
        .channel_id
        .unwrap();
    assert_eq!(
        world.standing("acc0001", banned_channel, at(2)),
        Standing::Banned
    );
    let with_stories = generated
        .scenario
        .groups
        .iter()
        .filter(|g| g.stories > 0)
        .count();
    assert_eq!(with_stories, 2);
}
