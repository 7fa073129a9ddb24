//! The operator's views on seeded rows: posts_per_day, overview, and the summarised
//! post_skip_reasons and account_health against the scans they replace.

use sqlx::PgPool;
use tgfleet_store::{Overview, Store, fixtures};

#[sqlx::test(migrations = "../../migrations")]
async fn views_count_posts_by_state_and_day(pool: PgPool) {
    let store = Store::from_pool(pool);
    fixtures::seed_post_history(&store).await.unwrap();
    let today = store.database_date().await.unwrap();

    let days = store.posts_per_day(7).await.unwrap();
    let rows: Vec<_> = days
        .iter()
        .map(|day| {
            (
                day.date,
                day.total,
                day.successful,
                day.failed,
                day.skipped,
                day.unresolved,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (today, 4, 2, 2, 0, 2),
            (today.pred_opt().unwrap(), 4, 3, 1, 1, 0),
        ]
    );

    assert_eq!(
        store.overview().await.unwrap(),
        Overview {
            active_groups: 2,
            active_accounts: 2,
            posts_today_success: 2,
            posts_today_failed: 2,
        }
    );
    assert_eq!(store.posts_per_day(1).await.unwrap().len(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn views_are_empty_on_an_empty_database(pool: PgPool) {
    let store = Store::from_pool(pool);
    assert!(store.posts_per_day(7).await.unwrap().is_empty());
    assert_eq!(
        store.overview().await.unwrap(),
        Overview {
            active_groups: 0,
            active_accounts: 0,
            posts_today_success: 0,
            posts_today_failed: 0,
        }
    );
}

/// `post_skip_reasons` as it was before its summary table: a scan of `posts`.
const SKIP_REASONS_SCANNED: &str = "SELECT state, coalesce(error_code, '-'), count(*)
       FROM posts WHERE state IN ('skipped', 'failed')
      GROUP BY state, error_code ORDER BY 3 DESC, 2";

/// `account_health` as it was before its grouped joins: subqueries per account.
const ACCOUNT_HEALTH_SUBQUERIES: &str = "SELECT a.label, a.status,
       (SELECT count(*) FROM memberships m WHERE m.account_id = a.id AND m.state = 'joined'),
       (SELECT count(*) FROM memberships m WHERE m.account_id = a.id AND m.state = 'pending'),
       (SELECT count(*) FROM posts p WHERE p.account_id = a.id AND p.state = 'sent'
           AND p.sent_at >= CURRENT_DATE::timestamptz AND p.sent_at < (CURRENT_DATE + 1)::timestamptz),
       (SELECT count(*) FROM events e WHERE e.account_id = a.id AND e.outcome = 'flood_wait'
           AND e.at >= CURRENT_DATE::timestamptz AND e.at < (CURRENT_DATE + 1)::timestamptz)
     FROM accounts a ORDER BY a.label";

type ReasonRow = (String, String, i64);
type HealthRow = (String, String, i64, i64, i64, i64);

async fn both_forms(
    pool: &PgPool,
) -> (
    (Vec<ReasonRow>, Vec<ReasonRow>),
    (Vec<HealthRow>, Vec<HealthRow>),
) {
    let reasons: Vec<ReasonRow> =
        sqlx::query_as("SELECT state, reason, posts FROM post_skip_reasons")
            .fetch_all(pool)
            .await
            .unwrap();
    let scanned: Vec<ReasonRow> = sqlx::query_as(SKIP_REASONS_SCANNED)
        .fetch_all(pool)
        .await
        .unwrap();
    let health: Vec<HealthRow> = sqlx::query_as(
        "SELECT label, status, groups_joined, groups_pending, posts_today, flood_waits_today
           FROM account_health",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let computed: Vec<HealthRow> = sqlx::query_as(ACCOUNT_HEALTH_SUBQUERIES)
        .fetch_all(pool)
        .await
        .unwrap();
    // Equal counts may come in either order.
    let (mut reasons, mut scanned) = (reasons, scanned);
    reasons.sort();
    scanned.sort();
    ((reasons, scanned), (health, computed))
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_summarised_views_equal_their_scans_through_inserts_updates_and_deletes(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    fixtures::seed_post_history(&store).await.unwrap();
    sqlx::query(
        "UPDATE posts SET state = 'skipped', error_code = 'RECENT_MESSAGE_OURS', sent_at = NULL
          WHERE id = (SELECT min(id) FROM posts WHERE state = 'sent')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let ((reasons, scanned), (health, computed)) = both_forms(&pool).await;
    assert!(
        reasons
            .iter()
            .any(|(state, reason, posts)| state == "skipped"
                && reason == "RECENT_MESSAGE_OURS"
                && *posts == 1),
        "{reasons:?}"
    );
    assert_eq!(reasons, scanned);
    assert!(!health.is_empty());
    assert_eq!(health, computed);

    // A failure's reason changes, a failed post is sent after all, one is deleted.
    for change in [
        "UPDATE posts SET error_code = 'CHAT_WRITE_FORBIDDEN'
          WHERE id = (SELECT min(id) FROM posts WHERE state = 'failed')",
        "UPDATE posts SET state = 'sent', error_code = NULL, sent_at = now()
          WHERE id = (SELECT max(id) FROM posts WHERE state = 'failed')",
        "DELETE FROM posts WHERE id = (SELECT max(id) FROM posts WHERE state = 'skipped')",
    ] {
        sqlx::query(change).execute(&pool).await.unwrap();
        let ((reasons, scanned), (health, computed)) = both_forms(&pool).await;
        assert_eq!(reasons, scanned, "after {change}");
        assert_eq!(health, computed, "after {change}");
    }

    sqlx::query("SELECT tgfleet_rebuild_post_summaries()")
        .execute(&pool)
        .await
        .unwrap();
    let ((reasons, scanned), _) = both_forms(&pool).await;
    assert_eq!(reasons, scanned, "rebuilt from posts");
}
