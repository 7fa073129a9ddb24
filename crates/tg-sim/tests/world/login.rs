//! Logins of signed-out scenario accounts through grammers' `request_login_code` / `sign_in` /
//! `check_password`, with the scenario's codes and 2FA passwords.

use grammers_client::SignInError;
use tg_sim::AuthKey;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_account_logs_in_with_code_and_two_factor_password() {
    let (sim, test) = serving("dewi").await;
    let client = &test.client;
    let dewi = sim.user("dewi");
    assert!(!client.is_authorized().await.unwrap());

    let token = client
        .request_login_code("+62 812-0000-0004", API_HASH)
        .await
        .unwrap();
    assert!(matches!(
        client.sign_in(&token, "00000").await,
        Err(SignInError::InvalidCode)
    ));
    let password_token = match client.sign_in(&token, "11223").await {
        Err(SignInError::PasswordRequired(token)) => token,
        other => panic!("expected PasswordRequired, got {other:?}"),
    };
    assert!(!client.is_authorized().await.unwrap());

    let password_token = match client.check_password(password_token, "wrong").await {
        Err(SignInError::InvalidPassword(token)) => token,
        other => panic!("expected InvalidPassword, got {other:?}"),
    };
    assert!(!client.is_authorized().await.unwrap());

    let user = client
        .check_password(password_token, "dewi secret")
        .await
        .unwrap();
    assert_eq!(user.id().bare_id(), Some(dewi.0));
    assert_eq!(self_id(client).await.unwrap(), dewi.0);
    let key = AuthKey::from_bytes(sim.key("dewi")).id().0.cast_signed();
    assert_eq!(sim.world().authorize(sim.now(), key), Ok(dewi));
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_account_without_two_factor_logs_in_with_the_code_alone() {
    let (sim, test) = serving("eka").await;
    let client = &test.client;
    let token = client
        .request_login_code("+6281200000005", API_HASH)
        .await
        .unwrap();
    let user = client.sign_in(&token, "12345").await.unwrap();
    assert_eq!(user.id().bare_id(), Some(sim.user("eka").0));
    assert!(client.is_authorized().await.unwrap());

    client.sign_out().await.unwrap();
    assert!(!client.is_authorized().await.unwrap());
    sim.finish(test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_numbers_and_stale_codes_are_refused() {
    let (sim, test) = serving("eka").await;
    let client = &test.client;
    let failure = rpc_failure(client.request_login_code("+1 555 0100", API_HASH).await);
    assert_eq!(failure, (400, "PHONE_NUMBER_INVALID".to_owned(), None));

    let first = client
        .request_login_code("+6281200000005", API_HASH)
        .await
        .unwrap();
    let _second = client
        .request_login_code("+6281200000005", API_HASH)
        .await
        .unwrap();
    assert!(
        matches!(
            client.sign_in(&first, "12345").await,
            Err(SignInError::InvalidCode)
        ),
        "the first code's hash expired (PHONE_CODE_EXPIRED)"
    );
    sim.finish(test).await;
}
