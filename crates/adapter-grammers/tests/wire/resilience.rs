//! FloodWait surfaced at once, dead connections reopened, peers reused after a restart,
//! and accounts Telegram no longer accepts.

use crate::support::*;

#[sqlx::test(migrations = "../../migrations")]
async fn a_flood_wait_comes_back_at_once_and_is_not_slept(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let tg = test_connector(store).connect(&ayu).await.unwrap();
    let mut peers = Vec::new();
    for name in ["kuta_board", "sanur_people", "bali_market", "ubud_quiet"] {
        peers.push(resolve_chat(tg.as_ref(), name).await.peer);
    }
    for peer in &peers[..3] {
        tg.join(&JoinTarget::Public(*peer)).await.unwrap();
    }

    let started = Instant::now();
    let error = tg.join(&JoinTarget::Public(peers[3])).await.unwrap_err();
    let elapsed = started.elapsed();
    let Some(wait) = error.flood_wait_secs() else {
        panic!("expected FloodWait, got {error:?}");
    };
    assert!(wait >= 60, "the join budget refills hourly: {wait}s");
    assert!(
        elapsed < Duration::from_secs(2),
        "returned after {elapsed:?} for a {wait}s wait"
    );
    let (joins, flood_waits) = {
        let world = sim.world();
        let counters = world.counters("ayu").unwrap();
        (
            counters.calls_of(MethodClass::Join),
            counters.flood_waits_of(MethodClass::Join),
        )
    };
    assert_eq!(joins, 4, "no automatic retry");
    assert_eq!(flood_waits, 1);
    tg.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_dropped_connection_is_reopened(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol(&store, &sim, "ayu").await;
    let tg = test_connector(store).connect(&ayu).await.unwrap();
    let me = sim.user_id("ayu");
    assert_eq!(tg.whoami().await.unwrap().user_id, me);
    assert_eq!(sim.server.stats().accepted_connections, 1);

    sim.server.faults().drop_all_connections();
    assert_eq!(tg.whoami().await.unwrap().user_id, me);
    assert_eq!(sim.server.stats().accepted_connections, 2, "reconnected");

    sim.server.faults().drop_next_requests(1);
    assert_eq!(
        tg.whoami().await.unwrap().user_id,
        me,
        "a call whose connection dies is retried once on a new one"
    );
    assert_eq!(sim.server.stats().accepted_connections, 3);

    // A dead socket and then a refused connection are two failures: the one retry may
    // not be enough, but the account recovers on its next call.
    sim.server.faults().drop_all_connections();
    sim.server.faults().refuse_next_connections(1);
    if let Err(error) = tg.whoami().await {
        assert!(error.is_transient(), "{error:?}");
    }
    assert_eq!(tg.whoami().await.unwrap().user_id, me);
    assert_eq!(sim.server.stats().accepted_connections, 5);

    sim.server.faults().drop_all_connections();
    sim.server.faults().refuse_next_connections(10);
    let error = tg.whoami().await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    sim.server.faults().clear();
    assert_eq!(tg.whoami().await.unwrap().user_id, me, "and recovers");
    tg.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_stored_peer_is_used_after_a_restart_without_resolving_again(pool: PgPool) {
    let sim = SimWorld::start().await;
    let options = (*pool.connect_options()).clone();
    let stored_peer = {
        let first_process = Store::from_pool(PgPool::connect_with(options.clone()).await.unwrap());
        let ayu = enrol(&first_process, &sim, "ayu").await;
        let tg = test_connector(first_process.clone())
            .connect(&ayu)
            .await
            .unwrap();
        let market = resolve_chat(tg.as_ref(), "bali_market").await;
        tg.join(&JoinTarget::Public(market.peer)).await.unwrap();
        tg.close().await;
        first_process.close().await;
        serde_json::to_string(&market.peer).unwrap()
    };
    assert_eq!(sim.resolves_of("ayu"), 1);

    let second_process = Store::from_pool(PgPool::connect_with(options).await.unwrap());
    let ayu = second_process
        .account_by_label("ayu")
        .await
        .unwrap()
        .unwrap();
    let peer: PeerRef = serde_json::from_str(&stored_peer).unwrap();
    let tg = test_connector(second_process)
        .connect(&account_ref(ayu.id, "ayu"))
        .await
        .unwrap();
    assert_eq!(tg.rights(&peer).await.unwrap().status, MemberStatus::Member);
    let sent = tg
        .send(
            &peer,
            &OutgoingMessage::Text {
                text: "after the restart".to_owned(),
                format: TextFormat::Plain,
                link_preview: true,
            },
            301,
        )
        .await
        .unwrap();
    assert_eq!(last_sent(&sim, "ayu").message_id, sent.message_id);
    assert_eq!(sim.resolves_of("ayu"), 1, "no resolve after the restart");
    assert_eq!(sim.server.stats().accepted_connections, 2);
    tg.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn revoked_deactivated_and_missing_sessions_are_told_apart(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let connector = test_connector(store.clone());

    let citra = enrol(&store, &sim, "citra").await;
    let tg = connector.connect(&citra).await.unwrap();
    assert_eq!(
        tg.whoami().await.unwrap_err(),
        TgError::from_rpc(401, "AUTH_KEY_UNREGISTERED", None)
    );
    tg.close().await;

    let dedi = enrol(&store, &sim, "dedi").await;
    let tg = connector.connect(&dedi).await.unwrap();
    assert_eq!(
        tg.whoami().await.unwrap_err(),
        TgError::from_rpc(401, "USER_DEACTIVATED_BAN", None)
    );
    tg.close().await;

    let bare = account_without_session(&store, "bare").await;
    let error = connector.connect(&bare).await.unwrap_err();
    assert_eq!(
        error,
        TgError::new(About::Account(AccountAnswer::Unauthorized), "no session")
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_unknown_key_fails_to_connect_and_the_stored_session_stays(pool: PgPool) {
    let sim = SimWorld::start().await;
    let store = Store::from_pool(pool);
    let ghost = account_without_session(&store, "ghost").await;
    let mut session = sim.stored_session("ayu");
    session.auth_key = secrecy::SecretBox::new(Box::new([0x5A; 256]));
    store
        .save_session(ghost.id, &session, &test_cipher())
        .await
        .unwrap();

    let stored_before = stored_row(&store, ghost.id).await;

    let error = test_connector(store.clone())
        .connect(&ghost)
        .await
        .unwrap_err();
    // Telegram does not know the key (transport -404): the account's key is dead,
    // and the fresh key grammers makes for the connection is never stored.
    assert_eq!(
        error.about,
        About::Account(AccountAnswer::DeadKey),
        "{error:?}"
    );
    assert!(error.is_account_fatal());
    assert_eq!(
        stored_row(&store, ghost.id).await,
        stored_before,
        "the stored session is byte-for-byte unchanged"
    );
    let kept = store
        .load_session(ghost.id, &test_cipher())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.auth_key.expose_secret(), &[0x5A; 256]);
}

/// The sealed session row as stored, byte for byte.
async fn stored_row(store: &Store, account: tgfleet_domain::AccountId) -> Vec<u8> {
    store.raw_session_row(account).await.unwrap()
}
