//! Fleet-wide schedule ticks: one firing per (schedule, tick), whatever the replicas.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};

impl Store {
    /// Claims the firing of `schedule` at `tick_at` for `holder`. Returns `true` for
    /// exactly one claimant per (schedule, tick) across every process; the others get
    /// `false` and skip the tick.
    ///
    /// Relies on the primary key `cron_ticks (schedule, tick_at)`: `INSERT .. ON
    /// CONFLICT DO NOTHING`, so a concurrent second insert waits for the first and
    /// then inserts nothing.
    pub async fn claim_cron_tick(
        &self,
        schedule: &str,
        tick_at: DateTime<Utc>,
        holder: &str,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO cron_ticks (schedule, tick_at, fired_by) VALUES ($1, $2, $3)
             ON CONFLICT (schedule, tick_at) DO NOTHING",
        )
        .bind(schedule)
        .bind(tick_at)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }
}
