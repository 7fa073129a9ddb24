//! Channels that publish over simulated time (relay sources), groups whose members
//! talk, `messages.getHistory` paging forward from an id, edits and deletions.

mod common;

use common::*;
use tg_world::{
    ChannelKind, GroupSpec, HistoryPage, Limits, MediaOrText, MessageContent, PublishSpec,
    media_ref,
};

fn source(noforwards: bool) -> GroupSpec {
    let mut group = GroupSpec::public("bali_news");
    group.kind = ChannelKind::Broadcast;
    group.title = Some("Bali News".into());
    group.history = 5;
    group.noforwards = noforwards;
    group.publish = Some(PublishSpec {
        every_secs: 600,
        count: 6,
        kinds: vec![MediaOrText::Text, MediaOrText::Photo],
        edit_every: 3,
        edit_after_secs: 60,
        delete_every: 4,
        delete_after_secs: 60,
    });
    group
}

fn page(fixture: &mut Fixture, secs: i64, page: HistoryPage) -> Vec<i32> {
    fixture
        .on("acc1", "bali_news", |w, user, peer| {
            w.messages_get_history_page(at(secs), user, peer, page)
        })
        .unwrap()
        .messages
        .iter()
        .map(|message| message.id)
        .collect()
}

#[test]
fn a_channel_publishes_over_time_and_reads_forward_from_an_id() {
    let mut fixture = Fixture::new(1, vec![source(false)], Limits::default());
    assert_eq!(
        page(&mut fixture, 0, HistoryPage::newest(10)),
        [5, 4, 3, 2, 1]
    );
    // Two posts by 20 minutes, the third at 30.
    assert_eq!(page(&mut fixture, 1_200, HistoryPage::newest(3)), [7, 6, 5]);
    assert_eq!(
        page(&mut fixture, 1_800, HistoryPage::after(5, 20)),
        [8, 7, 6]
    );
    assert_eq!(page(&mut fixture, 1_800, HistoryPage::after(6, 20)), [8, 7]);
    assert_eq!(
        page(&mut fixture, 1_800, HistoryPage::after(6, 1)),
        [7],
        "the oldest first"
    );
    assert!(page(&mut fixture, 1_800, HistoryPage::after(8, 20)).is_empty());

    let posts = fixture
        .on("acc1", "bali_news", |w, user, peer| {
            w.messages_get_history_page(at(1_800), user, peer, HistoryPage::after(5, 20))
        })
        .unwrap()
        .messages;
    let second = posts.iter().find(|message| message.id == 7).unwrap();
    assert_eq!(second.from_user, None, "a channel's own post");
    assert_eq!(second.content.text().text, "Bali News post 2: market news");
    let MessageContent::Media { media, .. } = &second.content else {
        panic!("the second post is a photo: {second:?}");
    };
    let (id, hash) = media_ref(second.channel_id, 7);
    assert_eq!(fixture.world.media_by_ref(id, hash).unwrap(), media.clone());
    assert!(fixture.world.media_by_ref(id, hash ^ 1).is_err());
}

#[test]
fn posts_are_edited_and_deleted_on_schedule() {
    let mut fixture = Fixture::new(1, vec![source(false)], Limits::default());
    // Post 3 (id 8) at 30 min, edited a minute later; post 4 (id 9) at 40 min,
    // deleted a minute later.
    let read = |fixture: &mut Fixture, secs| {
        fixture
            .on("acc1", "bali_news", |w, user, peer| {
                w.messages_get_history_page(at(secs), user, peer, HistoryPage::after(5, 20))
            })
            .unwrap()
            .messages
    };
    let before = read(&mut fixture, 2_400);
    let third = before.iter().find(|message| message.id == 8).unwrap();
    assert_eq!(third.edit_date, Some(at(1_860)));
    assert!(third.content.text().text.ends_with("(edited)"));
    assert!(before.iter().any(|message| message.id == 9));
    let after = read(&mut fixture, 2_460);
    assert!(!after.iter().any(|message| message.id == 9), "deleted");
}

#[test]
fn a_protected_channel_marks_its_messages_and_refuses_forwards() {
    let mut groups = vec![source(true)];
    groups.extend(open_groups(1));
    let mut fixture = Fixture::new(1, groups, Limits::default());
    let target = open_groups(1)[0].username.clone().unwrap();
    fixture.join(at(0), "acc1", &target).unwrap();
    let posts = fixture
        .on("acc1", "bali_news", |w, user, peer| {
            w.messages_get_history_page(at(700), user, peer, HistoryPage::after(5, 20))
        })
        .unwrap()
        .messages;
    assert_eq!(posts.len(), 1);
    assert!(posts[0].noforwards);
    let user = fixture.user("acc1");
    let from = fixture.peer("acc1", "bali_news");
    let to = fixture.peer("acc1", &target);
    for drop_author in [false, true] {
        let refused =
            fixture
                .world
                .messages_forward_messages(at(700), user, from, &[6], to, drop_author);
        assert_eq!(err_name(refused), "CHAT_FORWARDS_RESTRICTED");
    }
}

#[test]
fn members_talk_in_a_group_with_chatter() {
    let mut group = open_groups(1).remove(0);
    group.chatter_every_secs = Some(60);
    group.history = 3;
    let handle = group.username.clone().unwrap();
    let mut fixture = Fixture::new(1, vec![group], Limits::default());
    fixture.join(at(0), "acc1", &handle).unwrap();
    let newest = |fixture: &mut Fixture, secs| {
        fixture
            .on("acc1", &handle, |w, user, peer| {
                w.messages_get_history_page(at(secs), user, peer, HistoryPage::newest(10))
            })
            .unwrap()
            .messages
    };
    assert_eq!(newest(&mut fixture, 150).len(), 5, "3 old + 2 chatted");
    let mine = fixture.send(at(200), "acc1", &handle, "hello").unwrap();
    assert_eq!(mine.id, 7, "after the third chat message (at 180 s)");
    let later = newest(&mut fixture, 500);
    assert_eq!(later[0].id, 12, "five more chat messages by 480 s");
    assert!(later.iter().find(|message| message.id == 7).unwrap().out);
    assert!(later[0].from_user.is_some() && !later[0].out);
}
