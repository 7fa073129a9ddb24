//! Service heartbeats: every long-running replica records who it is and when it was
//! last seen, so the console shows each replica on every machine and its history.

use crate::{Store, StoreError};
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};

/// Who is beating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beat<'a> {
    /// The service, e.g. `marketer`.
    pub service: &'a str,
    /// The replica's holder name (unique per replica).
    pub holder: &'a str,
    /// The binary's version.
    pub version: &'a str,
    /// The machine.
    pub host: &'a str,
    /// When the replica started.
    pub started_at: DateTime<Utc>,
}

/// A replica's latest heartbeat.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Heartbeat {
    /// The replica's holder name.
    pub holder: String,
    /// The service.
    pub service: String,
    /// The binary's version.
    pub version: String,
    /// The machine.
    pub host: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its last beat.
    pub last_seen: DateTime<Utc>,
    /// When it stopped cleanly, if it did.
    pub stopped_at: Option<DateTime<Utc>>,
}

/// Beats of one replica in one hour (the history bars).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BeatHour {
    /// The replica.
    pub holder: String,
    /// The hour.
    pub hour: DateTime<Utc>,
    /// Minutes of that hour with a beat (0-60).
    pub minutes: i64,
}

/// How long beat minutes are kept.
const BEAT_RETENTION: TimeDelta = TimeDelta::days(2);

impl Store {
    /// Records a beat at `now`: the replica's row (inserted or its `last_seen`
    /// moved) and the minute in `service_beats`; drops the replica's minutes older
    /// than two days. Row locks: the replica's own `service_heartbeats` row (upsert
    /// by primary key) only; no other replica writes it.
    pub async fn record_beat(&self, beat: &Beat<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
        let minute = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO service_heartbeats (holder, service, version, host, started_at, last_seen)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (holder) DO UPDATE SET last_seen = EXCLUDED.last_seen, stopped_at = NULL",
        )
        .bind(beat.holder)
        .bind(beat.service)
        .bind(beat.version)
        .bind(beat.host)
        .bind(beat.started_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO service_beats (holder, minute) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(beat.holder)
        .bind(minute)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM service_beats WHERE holder = $1 AND minute < $2")
            .bind(beat.holder)
            .bind(now - BEAT_RETENTION)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a replica stopped (a clean shutdown). A single-row `UPDATE` by primary key.
    pub async fn record_stop(&self, holder: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE service_heartbeats SET stopped_at = $2, last_seen = $2 WHERE holder = $1",
        )
        .bind(holder)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replicas seen since `since`, by service and holder. Reads without locking.
    pub async fn heartbeats(&self, since: DateTime<Utc>) -> Result<Vec<Heartbeat>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT holder, service, version, host, started_at, last_seen, stopped_at
               FROM service_heartbeats WHERE last_seen >= $1 ORDER BY service, holder",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Beat minutes per replica and hour since `since`. Reads without locking.
    pub async fn beat_hours(&self, since: DateTime<Utc>) -> Result<Vec<BeatHour>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT holder, date_trunc('hour', minute, 'UTC') AS hour, count(*) AS minutes
               FROM service_beats WHERE minute >= $1
              GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }
}
