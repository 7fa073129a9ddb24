//! `tgfleet groups import` of a 1,000-line file, through the real binary.

mod common;

use common::{database_url, tgfleet};
use sqlx::PgPool;
use std::collections::BTreeSet;
use tgfleet_store::{GroupFilter, Store};

/// 1,000 lines: comments and blank lines, 800 distinct groups (700 usernames, 100
/// invites) written in every accepted form, and 160 repeats of earlier groups in a
/// different form. Returns the lines and the set of distinct normalized keys.
fn catalogue() -> (Vec<String>, BTreeSet<String>) {
    let mut lines = vec!["# Bali promotion groups".to_owned(), String::new()];
    let mut keys = BTreeSet::new();
    for n in 0..700 {
        let name = format!("bali_group_{n:03}");
        let line = match n % 4 {
            0 => format!("@{name}"),
            1 => format!("https://t.me/{name}"),
            2 => format!("t.me/{}", name.to_uppercase()),
            _ => name.clone(),
        };
        lines.push(line);
        keys.insert(name);
    }
    for n in 0..100 {
        let hash = format!("InV{n:03}xYz_-");
        lines.push(if n % 2 == 0 {
            format!("https://t.me/+{hash}")
        } else {
            format!("t.me/joinchat/{hash}   # private")
        });
        keys.insert(format!("+{hash}"));
    }
    for n in 0..160 {
        lines.push(match n % 3 {
            0 => format!("https://t.me/Bali_Group_{:03}", n * 4),
            1 => format!("@bali_group_{:03}/", n * 4 + 1)
                .trim_end_matches('/')
                .to_owned(),
            _ => format!("t.me/+InV{:03}xYz_-", n % 100),
        });
    }
    while lines.len() < 1_000 {
        lines.push(format!("# filler {}", lines.len()));
    }
    assert_eq!(lines.len(), 1_000);
    (lines, keys)
}

fn write(lines: &[String]) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".txt").tempfile().unwrap();
    std::fs::write(file.path(), lines.join("\n") + "\n").unwrap();
    file
}

#[sqlx::test(migrations = "../../migrations")]
async fn one_bad_line_among_1000_writes_nothing_then_the_fixed_file_imports(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    let (mut lines, keys) = catalogue();
    let bad_line = 637;
    let good = std::mem::replace(
        &mut lines[bad_line - 1],
        "https://t.me/bali chat".to_owned(),
    );
    let file = write(&lines);
    let path = file.path().to_str().unwrap();

    let run = tgfleet(&url, &["groups", "import", path]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(&format!("{path}:{bad_line}:")),
        "{run:?}"
    );
    assert!(run.stderr.contains("nothing imported"), "{run:?}");
    assert_eq!(
        store.count_groups(&GroupFilter::default()).await.unwrap(),
        0
    );

    lines[bad_line - 1] = good;
    let file = write(&lines);
    let path = file.path().to_str().unwrap();
    let run = tgfleet(&url, &["groups", "import", path, "--tag", "bali"]);
    assert_eq!(run.code, 0, "{run:?}");
    let handles = lines
        .iter()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count();
    assert_eq!(handles, 960);
    assert!(keys.len() < handles, "the file has duplicates on purpose");
    let expected = format!(
        "{handles} handles read, {} unique, {} inserted, 0 already present",
        keys.len(),
        keys.len()
    );
    assert!(
        run.stdout.contains(&expected),
        "expected {expected:?} in {run:?}"
    );

    let stored: BTreeSet<String> = store
        .list_groups(&GroupFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|group| group.handle.key())
        .collect();
    assert_eq!(stored, keys);

    // Importing again inserts nothing.
    let again = tgfleet(&url, &["groups", "import", path]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again
            .stdout
            .contains(&format!("0 inserted, {} already present", keys.len())),
        "{again:?}"
    );

    let list = tgfleet(&url, &["groups", "list", "--tag", "bali"]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(list.stdout.starts_with("HANDLE"), "{list:?}");
    assert!(list.stdout.contains("@bali_group_000"), "{list:?}");
    assert!(list.stdout.contains("+InV000xYz_-"), "{list:?}");
    assert!(
        list.stdout.contains(&format!("{} group(s)", keys.len())),
        "{list:?}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn every_bad_line_is_reported(pool: PgPool) {
    let url = database_url(&pool);
    let file = write(&[
        "@good_group".to_owned(),
        "abc".to_owned(),
        "https://example.com/group".to_owned(),
        "t.me/+bad hash".to_owned(),
    ]);
    let path = file.path().to_str().unwrap();
    let run = tgfleet(&url, &["groups", "import", path]);
    assert_eq!(run.code, 1, "{run:?}");
    for line in [2, 3, 4] {
        assert!(run.stderr.contains(&format!("{path}:{line}:")), "{run:?}");
    }
    assert!(!run.stderr.contains(&format!("{path}:1:")), "{run:?}");
    let store = Store::from_pool(pool);
    assert_eq!(
        store.count_groups(&GroupFilter::default()).await.unwrap(),
        0
    );

    let bad_tag = tgfleet(&url, &["groups", "import", path, "--tag", "two words"]);
    assert_eq!(bad_tag.code, 1, "{bad_tag:?}");
    assert!(bad_tag.stderr.contains("--tag"), "{bad_tag:?}");
}
