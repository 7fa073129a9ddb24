//! Group import and listing on a real Postgres.

use sqlx::PgPool;
use tgfleet_domain::{GroupHandle, GroupStatus};
use tgfleet_store::{GroupFilter, ImportReport, ImportedGroup, Store, StoreError};

fn group(handle: &str, tags: &[&str]) -> ImportedGroup {
    ImportedGroup {
        handle: GroupHandle::parse(handle).unwrap(),
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn import_collapses_duplicates_and_merges_tags(pool: PgPool) {
    let store = Store::from_pool(pool);
    let first = store
        .import_groups(&[
            group("@bali_chat", &["bali"]),
            group("https://t.me/Bali_Chat", &["expats"]),
            group("t.me/joinchat/AbCdEf", &[]),
            group("https://t.me/+AbCdEf", &["bali"]),
            group("t.me/+abcdef", &[]),
        ])
        .await
        .unwrap();
    assert_eq!(
        first,
        ImportReport {
            unique: 3,
            inserted: 3,
            already_present: 0
        }
    );

    let second = store
        .import_groups(&[group("bali_chat", &["Villas"]), group("@canggu_news", &[])])
        .await
        .unwrap();
    assert_eq!(
        second,
        ImportReport {
            unique: 2,
            inserted: 1,
            already_present: 1
        }
    );

    let groups = store.list_groups(&GroupFilter::default()).await.unwrap();
    let listed: Vec<(String, Vec<String>)> = groups
        .iter()
        .map(|group| (group.handle.key(), group.tags.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            ("+AbCdEf".to_owned(), vec!["bali".to_owned()]),
            ("+abcdef".to_owned(), vec![]),
            (
                "bali_chat".to_owned(),
                vec!["bali".to_owned(), "expats".to_owned(), "villas".to_owned()]
            ),
            ("canggu_news".to_owned(), vec![]),
        ]
    );
    assert!(groups.iter().all(|group| group.status == GroupStatus::New));

    let bali = GroupFilter {
        tag: Some("bali".to_owned()),
        ..GroupFilter::default()
    };
    assert_eq!(store.count_groups(&bali).await.unwrap(), 2);
    let active = GroupFilter {
        status: Some(GroupStatus::Active),
        ..GroupFilter::default()
    };
    assert_eq!(store.count_groups(&active).await.unwrap(), 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_failure_mid_import_leaves_nothing(pool: PgPool) {
    let store = Store::from_pool(pool);
    store
        .import_groups(&[group("@already_here", &[])])
        .await
        .unwrap();
    // Make the database itself refuse one row late in the import (a real failure
    // inside the transaction, after earlier batches were written).
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'poison row %', NEW.handle; END $$;
         CREATE TRIGGER refuse_poison BEFORE INSERT ON groups
             FOR EACH ROW WHEN (NEW.handle = 'zz_poison') EXECUTE FUNCTION refuse_poison();",
    )
    .execute(store.pool())
    .await
    .unwrap();

    let mut request: Vec<ImportedGroup> = (0..1_200)
        .map(|n| group(&format!("@group_{n:04}"), &["batch"]))
        .collect();
    request.push(group("@already_here", &["batch"]));
    request.push(group("@zz_poison", &["batch"]));
    let err = store.import_groups(&request).await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err}");
    assert!(err.to_string().contains("poison row zz_poison"), "{err}");

    let all = store.list_groups(&GroupFilter::default()).await.unwrap();
    assert_eq!(all.len(), 1, "only the earlier import remains");
    assert_eq!(all[0].handle.key(), "already_here");
    assert!(all[0].tags.is_empty(), "the merged tag was rolled back too");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_bad_tag_is_refused_before_anything_is_written(pool: PgPool) {
    let store = Store::from_pool(pool);
    let err = store
        .import_groups(&[
            group("@fine_group", &[]),
            group("@other_group", &["two words"]),
        ])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("\"two words\""), "{err}");
    assert_eq!(
        store.count_groups(&GroupFilter::default()).await.unwrap(),
        0
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_change_wakes_a_listener(pool: PgPool) {
    let store = Store::from_pool(pool);
    let mut listener = store.listen_changes().await.unwrap();
    store
        .import_groups(&[group("@wake_up_group", &[])])
        .await
        .unwrap();
    let table = tokio::time::timeout(std::time::Duration::from_secs(10), listener.recv())
        .await
        .expect("a notification within 10 s")
        .unwrap();
    assert_eq!(table, "groups");
}
