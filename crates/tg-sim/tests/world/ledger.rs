//! The world's ledger as tg-sim's admin endpoint serves it: what the world accepted, in
//! order, with the client's `random_id`s.

use std::sync::Arc;

use grammers_tl_types as tl;
use serde_json::Value;
use tg_sim::admin;
use tokio::net::TcpListener;

use crate::support::*;

#[path = "../common/http.rs"]
mod http;
use http::http;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_lists_joins_messages_reactions_and_leaves_in_order() {
    let (sim, test) = joined("ayu", "bali_market").await;
    let peer = sim.tl_peer("ayu", "bali_market");
    let channel = sim.tl_channel("ayu", "bali_market");
    test.client
        .invoke(&send_message(peer.clone(), "first", 7001, None))
        .await
        .unwrap();
    test.client
        .invoke(&send_message(peer.clone(), "second", 7002, None))
        .await
        .unwrap();
    test.client
        .invoke(&tl::functions::channels::JoinChannel {
            channel: channel.clone(),
        })
        .await
        .unwrap();
    test.client
        .invoke(&tl::functions::messages::SendReaction {
            big: false,
            add_to_recent: false,
            peer,
            msg_id: 10,
            reaction: Some(vec![tl::enums::Reaction::Emoji(tl::types::ReactionEmoji {
                emoticon: "👍".into(),
            })]),
        })
        .await
        .unwrap();
    test.client
        .invoke(&tl::functions::channels::LeaveChannel { channel })
        .await
        .unwrap();
    // Refused calls are not in the ledger.
    let refused = test
        .client
        .invoke(&send_message(
            sim.tl_peer("ayu", "bali_market"),
            "late",
            7003,
            None,
        ))
        .await;
    assert!(refused.is_err(), "a non-member's send is refused");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let world = Arc::clone(sim.backend.world());
    let server = sim.server.handle();
    tokio::spawn(admin::serve(
        listener,
        server,
        Some(world),
        std::future::pending(),
    ));

    let (status, body) = http(address, "GET", "/ledger", "").await;
    assert_eq!(status, 200, "{body}");
    let ledger: Vec<Value> = serde_json::from_str(&body).unwrap();
    let chat = sim.input_channel("ayu", "bali_market").channel_id;
    let ayu = sim.user("ayu").0;
    let kinds: Vec<&str> = ledger.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["join", "message", "message", "join", "reaction", "leave"]
    );
    for (seq, entry) in ledger.iter().enumerate() {
        assert_eq!(entry["seq"], seq);
        assert_eq!(entry["account"], "ayu");
        assert_eq!(entry["user_id"], ayu);
        assert_eq!(entry["chat"], chat);
        assert_eq!(
            entry["at"],
            sim.now()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        );
    }
    assert_eq!(ledger[0]["already_member"], false);
    assert_eq!(ledger[3]["already_member"], true, "a repeated join shows");
    let sent = sim
        .world()
        .sent_by("ayu")
        .iter()
        .map(|r| r.message_id)
        .collect::<Vec<_>>();
    assert_eq!(ledger[1]["message_id"], sent[0]);
    assert_eq!(ledger[1]["random_id"], 7001);
    assert_eq!(ledger[2]["random_id"], 7002);
    let hash = |entry: &Value| entry["content_hash"].as_str().unwrap().to_owned();
    assert_eq!(hash(&ledger[1]).len(), 40, "SHA-1 in hex");
    assert_ne!(
        hash(&ledger[1]),
        hash(&ledger[2]),
        "different texts, different hashes"
    );
    assert_eq!(ledger[4]["message_id"], 10);
    assert_eq!(ledger[4]["emoji"], "👍");

    let (status, tail) = http(address, "GET", "/ledger?since=4", "").await;
    assert_eq!(status, 200);
    let tail: Vec<Value> = serde_json::from_str(&tail).unwrap();
    assert_eq!(tail, ledger[4..]);
    let (status, _) = http(address, "GET", "/ledger?since=oops", "").await;
    assert_eq!(status, 400, "a bad position is refused");
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_a_world_has_no_ledger() {
    let (sim, test) = serving("ayu").await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(admin::serve(
        listener,
        sim.server.handle(),
        None,
        std::future::pending(),
    ));
    let (status, body) = http(address, "GET", "/ledger", "").await;
    assert_eq!(status, 404);
    assert!(body.contains("no ledger"), "{body}");
    sim.finish(test).await;
}
