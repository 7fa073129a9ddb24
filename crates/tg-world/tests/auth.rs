//! Authorization: pre-shared keys, the login flow with and without 2FA, logout.

mod common;

use common::{Fixture, at, err_name, open_groups};
use tg_world::{Limits, Scenario, Secret, auth_key_id, names};

fn two_accounts() -> Scenario {
    let mut scenario = common::scenario(2, open_groups(1), Limits::unlimited());
    scenario.accounts[1].password = Some(Secret::new("correct horse"));
    scenario.accounts[1].code = Secret::new("97531");
    scenario
}

#[test]
fn preshared_keys_are_derived_from_seed_and_account() {
    let scenario = two_accounts();
    let f = Fixture::from_scenario(&scenario);
    let from_scenario = scenario.preshared_auth_key("acc1").unwrap();
    let from_world = f.world.preshared_auth_key("acc1").unwrap();
    assert_eq!(&from_scenario, from_world);
    assert_eq!(from_world.id(), auth_key_id(from_world.expose_bytes()));
    assert_ne!(from_world, f.world.preshared_auth_key("acc2").unwrap());
    assert_eq!(
        f.world.authorize(at(0), from_world.id()),
        Ok(f.user("acc1"))
    );

    let mut reseeded = scenario.clone();
    reseeded.seed += 1;
    assert_ne!(reseeded.preshared_auth_key("acc1").unwrap(), from_scenario);

    let debug = format!("{:?} {:?}", f.world, from_scenario);
    assert!(!debug.contains(&format!("{:?}", &from_world.expose_bytes()[..8])));
    assert!(!debug.contains("correct horse"));
}

#[test]
fn login_with_a_code() {
    let mut f = Fixture::from_scenario(&two_accounts());
    let key = 1001;
    f.world.register_auth_key(key);
    assert!(f.world.is_auth_key_known(key));
    assert_eq!(
        err_name(f.world.auth_send_code(at(0), key, "+1 555 0000")),
        names::PHONE_NUMBER_INVALID
    );
    let sent = f
        .world
        .auth_send_code(at(0), key, "+6281200000001")
        .unwrap();
    assert_eq!(
        err_name(
            f.world
                .auth_sign_in(at(1), key, "+6281200000001", "not-the-hash", "12345")
        ),
        names::PHONE_CODE_EXPIRED
    );
    assert_eq!(
        err_name(f.world.auth_sign_in(
            at(1),
            key,
            "+6281200000001",
            &sent.phone_code_hash,
            "00000"
        )),
        names::PHONE_CODE_INVALID
    );
    let me = f
        .world
        .auth_sign_in(at(2), key, "+6281200000001", &sent.phone_code_hash, "12345")
        .unwrap();
    assert_eq!(me.first_name, "acc1");
    assert_eq!(f.world.authorize(at(3), key), Ok(me.id));

    let again = f
        .world
        .auth_send_code(at(4), 1002, "+6281200000001")
        .unwrap();
    assert_ne!(again.phone_code_hash, sent.phone_code_hash);

    assert!(f.world.auth_log_out(key));
    assert_eq!(
        err_name(f.world.authorize(at(5), key)),
        names::AUTH_KEY_UNREGISTERED
    );
    assert!(!f.world.auth_log_out(key));
}

#[test]
fn login_with_two_factor_authentication() {
    let mut f = Fixture::from_scenario(&two_accounts());
    let key = 2002;
    assert_eq!(
        f.world.auth_check_password(at(0), key).unwrap_err().name,
        names::AUTH_RESTART
    );
    let sent = f
        .world
        .auth_send_code(at(0), key, "+6281200000002")
        .unwrap();
    let needed = f
        .world
        .auth_sign_in(at(1), key, "+6281200000002", &sent.phone_code_hash, "97531")
        .unwrap_err();
    assert_eq!(
        (needed.code, needed.name.as_str()),
        (401, names::SESSION_PASSWORD_NEEDED)
    );
    assert_eq!(
        err_name(f.world.authorize(at(2), key)),
        names::AUTH_KEY_UNREGISTERED
    );
    assert_eq!(
        f.world.pending_login_password(key).map(Secret::expose),
        Some("correct horse")
    );
    assert_eq!(
        f.world.account_password(f.user("acc2")).map(Secret::expose),
        Some("correct horse")
    );
    let me = f.world.auth_check_password(at(3), key).unwrap();
    assert_eq!(me.id, f.user("acc2"));
    assert_eq!(f.world.authorize(at(4), key), Ok(me.id));
    assert_eq!(f.world.pending_login_password(key), None);
}

#[test]
fn sessions_can_be_revoked_and_accounts_deactivated_later() {
    let mut f = Fixture::from_scenario(&two_accounts());
    let key = f.world.preshared_auth_key("acc1").unwrap().id();
    f.world.revoke_auth_key(key, at(100));
    assert!(f.world.authorize(at(99), key).is_ok());
    assert_eq!(
        err_name(f.world.authorize(at(100), key)),
        names::AUTH_KEY_UNREGISTERED
    );

    let user = f.user("acc2");
    f.world.deactivate_account(user, at(50));
    assert!(f.world.users_get_users_self(at(49), user).is_ok());
    assert_eq!(
        err_name(f.world.users_get_users_self(at(50), user)),
        names::USER_DEACTIVATED_BAN
    );
}

#[test]
fn self_and_state_describe_the_account() {
    let mut f = Fixture::from_scenario(&two_accounts());
    let user = f.user("acc1");
    let me = f.world.users_get_users_self(at(0), user).unwrap();
    assert_eq!(me.phone.expose(), "+6281200000001");
    assert_eq!(format!("{:?}", me.phone), "+62*********01");
    assert_eq!(f.world.updates_get_state(at(0), user).unwrap().pts, 0);
    f.join(at(1), "acc1", "group_00001").unwrap();
    f.send(at(2), "acc1", "group_00001", "hello").unwrap();
    let state = f.world.updates_get_state(at(3), user).unwrap();
    assert_eq!((state.pts, state.date), (2, at(3)));
}

#[test]
fn a_signed_out_account_logs_in_on_its_preshared_key() {
    let mut scenario = two_accounts();
    scenario.accounts[1].signed_out = true;
    let mut f = Fixture::from_scenario(&scenario);
    let key = f.world.preshared_auth_key("acc2").unwrap().id();
    assert!(f.world.preshared_auth_key_by_id(key).is_some());
    assert_eq!(
        err_name(f.world.authorize(at(0), key)),
        names::AUTH_KEY_UNREGISTERED
    );
    let sent = f
        .world
        .auth_send_code(at(1), key, "+6281200000002")
        .unwrap();
    assert_eq!(
        err_name(f.world.auth_sign_in(
            at(2),
            key,
            "+6281200000002",
            &sent.phone_code_hash,
            "97531"
        )),
        names::SESSION_PASSWORD_NEEDED
    );
    assert_eq!(f.world.pending_login_user(key), Some(f.user("acc2")));
    assert_eq!(
        f.world.pending_login_password(key).map(Secret::expose),
        Some("correct horse")
    );
    let me = f.world.auth_check_password(at(3), key).unwrap();
    assert_eq!(me.id, f.user("acc2"));
    assert_eq!(f.world.pending_login_user(key), None);
    assert_eq!(f.world.authorize(at(4), key), Ok(f.user("acc2")));
}
