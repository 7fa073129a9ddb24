//! Telegram Desktop `tdata` folders written with the same primitives tgfleet reads
//! them with (the independent path, opentele, is in `real_libraries.rs`).

use secrecy::{ExposeSecret, SecretString};
use tgfleet_adapter_grammers::import::fixtures::{TdataFixtureAccount, key, tdata_folder};
use tgfleet_adapter_grammers::import::scan_tdata;
use tgfleet_adapter_grammers::import::tdata::{TdataError, is_tdata};

fn accounts() -> Vec<TdataFixtureAccount> {
    vec![
        TdataFixtureAccount {
            dc_id: 2,
            user_id: 6_500_000_001,
            auth_key: key(1),
        },
        TdataFixtureAccount {
            dc_id: 5,
            user_id: 6_500_000_002,
            auth_key: key(2),
        },
    ]
}

#[test]
fn every_account_of_a_tdata_folder_is_read_with_its_dc_user_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let tdata = dir.path().join("shop").join("tdata");
    tdata_folder(&tdata, "", &accounts());
    assert!(is_tdata(&tdata));
    let scan = scan_tdata(&tdata, &SecretString::from(""), None).unwrap();
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    let read: Vec<_> = scan
        .sessions
        .iter()
        .map(|s| {
            (
                s.label.as_str(),
                s.dc_id,
                s.user_id,
                s.server_address.to_string(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (
                "shop_1",
                2,
                Some(6_500_000_001),
                "149.154.167.41:443".to_owned()
            ),
            (
                "shop_2",
                5,
                Some(6_500_000_002),
                "91.108.56.104:443".to_owned()
            ),
        ]
    );
    assert_eq!(scan.sessions[0].auth_key.expose_secret(), &key(1));
    assert_eq!(scan.sessions[1].auth_key.expose_secret(), &key(2));
    let device = scan.sessions[0].device.as_ref().unwrap();
    assert_eq!(device.api_id, Some(2040));
    assert_eq!(device.app_version.as_deref(), Some("4.8.1"));

    let prefixed = scan_tdata(&tdata, &SecretString::from(""), Some("desk")).unwrap();
    let labels: Vec<&str> = prefixed.sessions.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["desk_1", "desk_2"]);
}

#[test]
fn a_passcode_is_required_and_a_wrong_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    tdata_folder(dir.path(), "correct horse", &accounts()[..1]);
    let read = |passcode: &str| scan_tdata(dir.path(), &SecretString::from(passcode), None);
    assert_eq!(read("").unwrap_err(), TdataError::PasscodeRequired);
    assert_eq!(read("wrong").unwrap_err(), TdataError::WrongPasscode);
    let scan = read("correct horse").unwrap();
    assert_eq!(scan.sessions.len(), 1);
    assert_eq!(scan.sessions[0].auth_key.expose_secret(), &key(1));
}

#[test]
fn a_damaged_tdata_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    tdata_folder(dir.path(), "", &accounts());
    let file = dir.path().join("D877F783D5D3EF8Cs");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let scan = scan_tdata(dir.path(), &SecretString::from(""), None).unwrap();
    assert_eq!(scan.sessions.len(), 1, "the other account still reads");
    assert_eq!(scan.problems.len(), 1);
    assert!(
        scan.problems[0].reason.contains("account 0")
            && scan.problems[0].reason.contains("checksum"),
        "{}",
        scan.problems[0]
    );
}
