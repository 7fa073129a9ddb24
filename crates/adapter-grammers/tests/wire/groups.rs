//! Groups tgfleet does not post to, as the real grammers client reads them from tg-sim:
//! a basic group's invite, and a forum whose General topic is closed.

use crate::support::*;
use tgfleet_telegram::GroupAnswer;

#[sqlx::test(migrations = "../../migrations")]
async fn a_basic_group_invite_and_a_closed_general_topic_read_through_the_port(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let tg = test_connector(store.clone()).connect(&ayu).await.unwrap();

    // messages.checkChatInvite: a `chatInvite` without `channel` is a basic group.
    let basic = tg
        .resolve(&GroupHandle::parse("https://t.me/+OldBasicChat_1").unwrap())
        .await
        .unwrap();
    let Resolved::Invite(preview) = basic else {
        panic!("a preview: {basic:?}")
    };
    assert!(preview.basic_group, "{preview:?}");
    assert_eq!(preview.kind(), ChatKind::BasicGroup);
    assert_eq!(preview.title, "Old Basic Chat");
    let private = tg
        .resolve(&GroupHandle::parse("https://t.me/+Xk3_privateHash").unwrap())
        .await
        .unwrap();
    assert!(
        matches!(&private, Resolved::Invite(p) if !p.basic_group && p.kind() == ChatKind::Supergroup),
        "{private:?}"
    );
    // messages.importChatInvite of a basic group answers the `chat` (what tgfleet refuses
    // to do; the world's rule is checked here, not the fleet's).
    let chat = tg
        .join(&JoinTarget::Invite("OldBasicChat_1".to_owned()))
        .await
        .unwrap();
    assert_eq!(chat.kind, ChatKind::BasicGroup);
    assert_eq!(chat.peer.kind, PeerKind::Chat);

    // A forum whose General topic is closed: the rights say so
    // (messages.getForumTopicsByID), and a member's message answers TOPIC_CLOSED.
    let forum = resolve_chat(tg.as_ref(), "@canggu_forum").await;
    tg.join(&JoinTarget::Public(forum.peer)).await.unwrap();
    let rights = tg.rights(&forum.peer).await.unwrap();
    assert_eq!(rights.status, MemberStatus::Member);
    assert!(rights.general_topic_closed);
    let text = OutgoingMessage::Text {
        text: "Villa offer".to_owned(),
        format: TextFormat::Plain,
        link_preview: false,
    };
    let refused = tg.send(&forum.peer, &text, 7).await.unwrap_err();
    assert_eq!(refused.about, About::Group(GroupAnswer::TopicClosed));
    assert_eq!(refused.name, "TOPIC_CLOSED");

    let market = resolve_chat(tg.as_ref(), "@bali_market").await;
    assert!(!tg.rights(&market.peer).await.unwrap().general_topic_closed);
    tg.close().await;
}
