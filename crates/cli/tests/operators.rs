//! Accounts and stats through the real binary, and the views through psql.

mod common;

use common::{database_url, psql, tgfleet};
use sqlx::PgPool;
use tgfleet_store::{Store, fixtures};

/// The column names of psql's aligned output.
fn psql_header(output: &str) -> Vec<&str> {
    output
        .lines()
        .next()
        .unwrap_or_default()
        .split('|')
        .map(str::trim)
        .collect()
}

/// The rows of psql's aligned output, cells trimmed, header and footer dropped.
fn psql_rows(output: &str) -> Vec<Vec<String>> {
    output
        .lines()
        .skip(2)
        .take_while(|line| !line.starts_with('('))
        .map(|line| line.split('|').map(|cell| cell.trim().to_owned()).collect())
        .collect()
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_views_answer_through_psql_and_tgfleet_stats(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    fixtures::seed_post_history(&store).await.unwrap();
    let today = store.database_date().await.unwrap();
    let yesterday = today.pred_opt().unwrap();

    let per_day = psql(&url, "SELECT * FROM posts_per_day");
    let header = psql_header(&per_day);
    assert_eq!(
        header,
        [
            "date",
            "total",
            "successful",
            "failed",
            "skipped",
            "unresolved"
        ]
    );
    assert_eq!(
        psql_rows(&per_day),
        [
            [
                today.to_string(),
                "4".into(),
                "2".into(),
                "2".into(),
                "0".into(),
                "2".into()
            ],
            [
                yesterday.to_string(),
                "4".into(),
                "3".into(),
                "1".into(),
                "1".into(),
                "0".into()
            ],
        ]
    );
    assert!(per_day.contains("(2 rows)"), "{per_day}");

    let overview = psql(&url, "SELECT * FROM overview");
    let header = psql_header(&overview);
    assert_eq!(
        header,
        [
            "active_groups",
            "active_accounts",
            "posts_today_success",
            "posts_today_failed"
        ]
    );
    assert_eq!(psql_rows(&overview), [["2", "2", "2", "2"]]);

    let stats = tgfleet(&url, &["stats"]);
    assert_eq!(stats.code, 0, "{stats:?}");
    let cells = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let find = |prefix: &str| {
        stats
            .stdout
            .lines()
            .find(|line| line.starts_with(prefix))
            .map(cells)
            .unwrap_or_else(|| panic!("no line {prefix:?} in {}", stats.stdout))
    };
    assert_eq!(find("active groups").last().unwrap(), "2");
    assert_eq!(find("active accounts").last().unwrap(), "2");
    assert_eq!(find("posts sent").last().unwrap(), "2");
    assert_eq!(find("posts failed").last().unwrap(), "2");
    assert_eq!(find(&today.to_string())[1..], ["4", "2", "2", "0", "2"]);
    assert_eq!(find(&yesterday.to_string())[1..], ["4", "3", "1", "1", "0"]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn accounts_list_suspend_and_resume(pool: PgPool) {
    let url = database_url(&pool);
    let store = Store::from_pool(pool);
    fixtures::seed_post_history(&store).await.unwrap();

    let list = tgfleet(&url, &["accounts", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert!(
        lines[0].starts_with("LABEL") && lines[0].contains("STATUS"),
        "{list:?}"
    );
    assert!(
        lines[1].starts_with("alpha")
            && lines[1].contains("active")
            && lines[1].contains("+62*********12"),
        "{list:?}"
    );
    assert!(
        lines[3].starts_with("gamma") && lines[3].contains("suspended"),
        "{list:?}"
    );
    assert_eq!(lines.last(), Some(&"3 account(s)"));

    let suspend = tgfleet(
        &url,
        &[
            "accounts",
            "suspend",
            "alpha",
            "--reason",
            "FloodWait storm",
        ],
    );
    assert_eq!(suspend.code, 0, "{suspend:?}");
    assert!(
        suspend.stdout.contains("alpha: active -> suspended"),
        "{suspend:?}"
    );
    let list = tgfleet(&url, &["accounts", "list"]);
    assert!(
        list.stdout.lines().any(|line| line.starts_with("alpha")
            && line.contains("suspended")
            && line.contains("FloodWait storm")),
        "{list:?}"
    );

    let resume = tgfleet(&url, &["accounts", "resume", "alpha"]);
    assert_eq!(resume.code, 0, "{resume:?}");
    assert!(
        resume.stdout.contains("alpha: suspended -> active"),
        "{resume:?}"
    );

    let refused = tgfleet(&url, &["accounts", "resume", "beta"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("\"beta\" is active")
            && refused.stderr.contains("only suspended or resting"),
        "{refused:?}"
    );

    let unknown = tgfleet(&url, &["accounts", "suspend", "nobody"]);
    assert_eq!(unknown.code, 1, "{unknown:?}");
    assert!(
        unknown.stderr.contains("\"nobody\" not found"),
        "{unknown:?}"
    );
}
