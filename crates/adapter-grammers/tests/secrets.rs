//! Debug and Display of the adapter's types never show an auth key, the api_hash, a
//! phone number, a password or the database password.

use secrecy::{SecretBox, SecretString};
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;
use tgfleet_adapter_grammers::login::{LoginError, LoginRequest};
use tgfleet_adapter_grammers::testing::test_cipher;
use tgfleet_adapter_grammers::{GrammersConfig, GrammersConnector, PgSession, SessionError};
use tgfleet_domain::AccountId;
use tgfleet_store::{Account, Store, StoredSession};
use tgfleet_telegram::TgError;

const PHONE: &str = "+6281234567812";
const API_HASH: &str = "fedcba9876543210fedcba9876543210";
const DB_PASSWORD: &str = "db-pass-w0rd";
const KEY_BYTES: &str = "171, 171, 171";

fn assert_clean(shown: &str) {
    for secret in [
        PHONE,
        "81234567812",
        API_HASH,
        DB_PASSWORD,
        KEY_BYTES,
        "abababab",
    ] {
        assert!(!shown.contains(secret), "{secret:?} in {shown}");
    }
}

fn lazy_store() -> Store {
    let url = format!("postgres://fleet:{DB_PASSWORD}@127.0.0.1:1/tgfleet");
    Store::from_pool(PgPoolOptions::new().connect_lazy(&url).unwrap())
}

fn account() -> Account {
    Account {
        id: AccountId(7),
        label: "alpha".to_owned(),
        phone_masked: Some("+62*********12".to_owned()),
        telegram_user_id: None,
        status: tgfleet_domain::AccountStatus::Active,
        status_reason: None,
        rest_until: None,
        join_flood_until: None,
        post_flood_until: None,
        other_flood_until: None,
        post_cooldown_until: None,
        post_strikes: 0,
        joins_stopped_reason: None,
        join_next_at: None,
        activity_next_at: None,
        proxy: Some(SecretString::from(format!(
            "socks5://u:{DB_PASSWORD}@proxy:1080"
        ))),
        time_zone: None,
        last_activity: None,
        created_at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn connector_session_and_login_request_hide_their_secrets() {
    let store = lazy_store();
    let connector = GrammersConnector::new(
        store.clone(),
        test_cipher(),
        GrammersConfig::new(12345, Duration::from_secs(5)),
    );
    assert_clean(&format!("{connector:?}"));

    let stored = StoredSession {
        dc_id: 2,
        server_address: "127.0.0.1:443".to_owned(),
        auth_key: SecretBox::new(Box::new([0xAB; 256])),
        source: "tg-sim".to_owned(),
    };
    let session =
        PgSession::from_stored(store.clone(), test_cipher(), AccountId(7), &stored).unwrap();
    assert_clean(&format!("{session:?} {stored:?}"));

    let phone = SecretString::from(PHONE);
    let api_hash = SecretString::from(API_HASH);
    let account = account();
    let request = LoginRequest {
        store: &store,
        cipher: &test_cipher(),
        account: &account,
        phone: &phone,
        api_id: 12345,
        api_hash: &api_hash,
        request_timeout: Duration::from_secs(30),
    };
    assert_clean(&format!("{request:?}"));
}

#[test]
fn errors_name_what_failed_without_secrets() {
    let errors: Vec<String> = vec![
        LoginError::InvalidCode.to_string(),
        LoginError::InvalidPassword.to_string(),
        LoginError::SignUpRequired.to_string(),
        LoginError::NoInput("2FA password").to_string(),
        LoginError::Telegram {
            step: "requesting the login code",
            error: TgError::from_rpc(400, "PHONE_NUMBER_INVALID", None),
        }
        .to_string(),
        SessionError::BadAddress {
            account: AccountId(7),
        }
        .to_string(),
        tgfleet_adapter_grammers::check_proxy_url(&SecretString::from(format!(
            "http://u:{DB_PASSWORD}@proxy:8080"
        )))
        .unwrap_err(),
    ];
    for shown in &errors {
        assert_clean(shown);
        assert!(!shown.is_empty());
    }
    assert_eq!(
        errors[4],
        "requesting the login code failed: other (PHONE_NUMBER_INVALID)"
    );
}
