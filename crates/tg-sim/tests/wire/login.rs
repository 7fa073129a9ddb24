//! Sign-in through the real grammers client: login codes and the 2FA SRP exchange.

use grammers_client::SignInError;
use tg_sim::demo::demo_auth_key;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_login_accepts_the_right_password_only() {
    let (server, backend) = start_default(2, 0).await;
    let test = TestClient::connect(server.local_addr(), demo_auth_key(1));
    let client = &test.client;
    assert!(!client.is_authorized().await.unwrap());

    let token = client
        .request_login_code("+15550000001", API_HASH)
        .await
        .unwrap();
    let password_token = match client.sign_in(&token, "12345").await {
        Err(SignInError::PasswordRequired(token)) => token,
        other => panic!("expected PasswordRequired, got {other:?}"),
    };
    assert_eq!(password_token.hint(), Some("demo"));

    let password_token = match client
        .check_password(password_token, "wrong password")
        .await
    {
        Err(SignInError::InvalidPassword(token)) => token,
        other => panic!("expected InvalidPassword (PASSWORD_HASH_INVALID), got {other:?}"),
    };
    assert!(!client.is_authorized().await.unwrap());

    let user = client
        .check_password(password_token, "demo-password-1")
        .await
        .unwrap();
    assert_eq!(user.raw.id(), 1_000_001);
    assert!(client.is_authorized().await.unwrap());
    assert_eq!(self_user_id(client).await.unwrap(), 1_000_001);
    let key = key_id(demo_auth_key(1));
    assert_eq!(backend.demo.signed_in_user(key), Some(1_000_001));
    finish(test, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_login_rejects_a_wrong_code_and_accepts_the_right_one() {
    let (server, _) = start_default(2, 0).await;
    let test = TestClient::connect(server.local_addr(), demo_auth_key(0));
    let client = &test.client;
    let token = client
        .request_login_code("+15550000000", API_HASH)
        .await
        .unwrap();
    assert!(matches!(
        client.sign_in(&token, "00000").await,
        Err(SignInError::InvalidCode)
    ));
    let user = client.sign_in(&token, "12345").await.unwrap();
    assert_eq!(user.raw.id(), 1_000_000);
    assert_eq!(self_user_id(client).await.unwrap(), 1_000_000);
    finish(test, server).await;
}
