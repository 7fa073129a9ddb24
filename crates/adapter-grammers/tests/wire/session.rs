//! The Postgres-backed grammers session: what it reads, and when it writes.

use crate::support::*;
use grammers_session::Session;
use grammers_session::types::DcOption;
use std::net::SocketAddrV4;
use tgfleet_adapter_grammers::PgSession;
use tgfleet_store::StoredSession;

fn stored(dc_id: i32, address: &str, seed: u8, source: &str) -> StoredSession {
    StoredSession {
        dc_id,
        server_address: address.to_owned(),
        auth_key: secrecy::SecretBox::new(Box::new([seed; 256])),
        source: source.to_owned(),
    }
}

fn option(id: i32, address: &str, key: Option<u8>) -> DcOption {
    let ipv4: SocketAddrV4 = address.parse().unwrap();
    DcOption {
        id,
        ipv4,
        ipv6: std::net::SocketAddrV6::new(ipv4.ip().to_ipv6_mapped(), ipv4.port(), 0, 0),
        auth_key: key.map(|seed| [seed; 256]),
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_session_reads_postgres_and_writes_back_only_changes_of_its_home(pool: PgPool) {
    let store = Store::from_pool(pool);
    let cipher = test_cipher();
    let account = account_without_session(&store, "alpha").await;
    store
        .save_session(
            account.id,
            &stored(2, "127.0.0.1:1000", 1, "tg-sim"),
            &cipher,
        )
        .await
        .unwrap();
    let session = PgSession::load(&store, &cipher, account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.home_dc_id().unwrap(), 2);
    let home = session.dc_option(2).unwrap().unwrap();
    assert_eq!(home.ipv4.to_string(), "127.0.0.1:1000");
    assert_eq!(home.auth_key, Some([1; 256]));
    let dc4 = session.dc_option(4).unwrap().unwrap();
    assert_eq!(
        dc4.ipv4.to_string(),
        "149.154.167.92:443",
        "Telegram's known DCs"
    );

    // Someone else rewrites the row: an unchanged option must not overwrite it.
    let load = || async {
        store
            .load_session(account.id, &cipher)
            .await
            .unwrap()
            .unwrap()
    };
    store
        .save_session(
            account.id,
            &stored(2, "127.0.0.1:1000", 1, "marker"),
            &cipher,
        )
        .await
        .unwrap();
    session.set_dc_option(&home).await.unwrap();
    session.set_home_dc_id(2).await.unwrap();
    session
        .set_dc_option(&option(1, "10.0.0.1:443", Some(7)))
        .await
        .unwrap();
    assert_eq!(load().await.source, "marker", "nothing written");

    session
        .set_dc_option(&option(2, "127.0.0.1:2000", Some(1)))
        .await
        .unwrap();
    let written = load().await;
    assert_eq!(
        (
            written.dc_id,
            written.server_address.as_str(),
            written.source.as_str()
        ),
        (2, "127.0.0.1:2000", "tg-sim")
    );

    session.set_home_dc_id(4).await.unwrap();
    assert_eq!(
        load().await.dc_id,
        2,
        "DC 4 has no key yet: nothing to store"
    );
    session
        .set_dc_option(&option(4, "149.154.167.92:443", Some(9)))
        .await
        .unwrap();
    let migrated = load().await;
    assert_eq!(
        (migrated.dc_id, migrated.server_address.as_str()),
        (4, "149.154.167.92:443")
    );
    assert_eq!(migrated.auth_key.expose_secret(), &[9; 256]);
    assert!(!format!("{session:?}").contains("9, 9, 9"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_fresh_session_is_stored_once_grammers_has_a_key(pool: PgPool) {
    let store = Store::from_pool(pool);
    let cipher = test_cipher();
    let account = account_without_session(&store, "beta").await;
    let session = PgSession::fresh(store.clone(), cipher.clone(), account.id, "login");
    assert_eq!(session.home_dc_id().unwrap(), 2);
    assert_eq!(session.dc_option(2).unwrap().unwrap().auth_key, None);
    session
        .set_dc_option(&option(2, "149.154.167.41:443", None))
        .await
        .unwrap();
    assert!(
        store
            .load_session(account.id, &cipher)
            .await
            .unwrap()
            .is_none()
    );
    session
        .set_dc_option(&option(2, "149.154.167.41:443", Some(3)))
        .await
        .unwrap();
    let saved = store
        .load_session(account.id, &cipher)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            saved.dc_id,
            saved.server_address.as_str(),
            saved.source.as_str()
        ),
        (2, "149.154.167.41:443", "login")
    );
    assert_eq!(saved.auth_key.expose_secret(), &[3; 256]);
}
