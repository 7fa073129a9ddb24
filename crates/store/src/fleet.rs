//! Fleet-wide counts for health checks and metrics.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use tgfleet_domain::AccountStatus;

impl Store {
    /// How many accounts can work at `now`: status `active` (a `resting` account
    /// whose rest ended counts too, since services wake it on their next pass).
    ///
    /// Locks: none (a plain read).
    pub async fn usable_account_count(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM accounts
              WHERE status = 'active' OR (status = 'resting' AND rest_until <= $1)",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// The number of accounts in each status (every status listed, zeros included).
    ///
    /// Locks: none (a plain read).
    pub async fn account_counts_by_status(&self) -> Result<Vec<(AccountStatus, u64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, count(*) FROM accounts GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        Ok(AccountStatus::ALL
            .iter()
            .map(|status| {
                let count = rows
                    .iter()
                    .find(|(text, _)| text == status.as_str())
                    .map_or(0, |(_, count)| u64::try_from(*count).unwrap_or_default());
                (*status, count)
            })
            .collect())
    }

    /// Whether the database answers a trivial query.
    ///
    /// Locks: none.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{NewAccount, Store};
    use chrono::{TimeDelta, Utc};
    use sqlx::PgPool;
    use tgfleet_domain::AccountStatus;

    #[sqlx::test(migrations = "../../migrations")]
    async fn counts_follow_statuses_and_rests(pool: PgPool) {
        let store = Store::from_pool(pool);
        let now = Utc::now();
        for label in ["a1", "a2", "a3", "a4"] {
            store
                .create_account(&NewAccount {
                    label: label.into(),
                    ..NewAccount::default()
                })
                .await
                .unwrap();
        }
        let a2 = store.account_by_label("a2").await.unwrap().unwrap();
        store
            .set_account_status(a2.id, AccountStatus::Suspended, Some("operator"))
            .await
            .unwrap();
        let a3 = store.account_by_label("a3").await.unwrap().unwrap();
        store
            .set_account_status(a3.id, AccountStatus::Resting, Some("FloodWait"))
            .await
            .unwrap();
        sqlx::query("UPDATE accounts SET rest_until = $1 WHERE label = 'a3'")
            .bind(now + TimeDelta::hours(1))
            .execute(store.pool())
            .await
            .unwrap();

        assert_eq!(store.usable_account_count(now).await.unwrap(), 2);
        assert_eq!(
            store
                .usable_account_count(now + TimeDelta::hours(2))
                .await
                .unwrap(),
            3
        );
        let counts = store.account_counts_by_status().await.unwrap();
        assert_eq!(counts.len(), AccountStatus::ALL.len());
        assert!(counts.contains(&(AccountStatus::Active, 2)));
        assert!(counts.contains(&(AccountStatus::Suspended, 1)));
        assert!(counts.contains(&(AccountStatus::Resting, 1)));
        assert!(counts.contains(&(AccountStatus::Deactivated, 0)));
        store.ping().await.unwrap();
    }
}
