//! The operator's views on seeded rows: posts_per_day and overview.

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
