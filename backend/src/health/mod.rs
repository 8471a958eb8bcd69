//! The database health gate (docs/spec.md §14): workers stop *starting* tenants while the
//! database is unhealthy, and start again once it has recovered.
//!
//! One sampler at a time ([`sampler`], in every worker process, on its own connection and
//! timer) reads the [`indicators`] every `HEALTH_SAMPLE_SECONDS`, keeps the last hour of
//! samples in `health_samples`, and writes the gate in `health_state`. While an indicator is
//! over its threshold it holds the queue's dispatch (`jobs::groups::hold_dispatch`) until three
//! intervals from now, moving the hold forward with every unhealthy sample: no grouped job is
//! claimed meanwhile, and a sampler that dies lets its hold lapse (a stale gate never gates).
//! `HEALTH_RECOVERY_SAMPLES` healthy samples in a row release it.

pub mod indicators;
pub mod sampler;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::HealthSettings;
use crate::db;
pub use indicators::Reading;

/// How long samples are kept.
pub const KEEP: chrono::Duration = chrono::Duration::hours(1);

/// Intervals without a sample after which the gate is stale.
pub const STALE_AFTER_SAMPLES: i32 = 3;

/// The gate's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GateState {
    /// Tenants start.
    Healthy,
    /// No tenant starts: an indicator is over its threshold, or has not been under it for
    /// `HEALTH_RECOVERY_SAMPLES` samples yet.
    Throttled,
    /// No sample for three intervals (no sampler is running): nothing is gated.
    Stale,
}

/// The gate as `GET /ops/health` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthView {
    /// `healthy`, `throttled` or `stale`.
    pub state: GateState,
    /// Since when it has been in that state (for `stale`: since the last sample).
    pub since: DateTime<Utc>,
    /// Healthy samples in a row.
    pub healthy_streak: i32,
    /// When the last sample was taken (null before the first).
    pub sampled_at: Option<DateTime<Utc>>,
    /// What throttles it, while throttled.
    pub reason: Option<Reading>,
    /// Every indicator as last sampled.
    pub indicators: Vec<Reading>,
    /// Seconds between samples (`HEALTH_SAMPLE_SECONDS`).
    pub sample_every_seconds: f64,
    /// Healthy samples in a row that end an episode (`HEALTH_RECOVERY_SAMPLES`).
    pub recovery_samples: u32,
}

/// The gate now, with the last sample of every indicator.
pub async fn view(
    db: &impl ConnectionTrait,
    settings: &HealthSettings,
    now: DateTime<Utc>,
) -> Result<HealthView, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(db::stmt(
            backend,
            "SELECT state, since, healthy_streak, sampled_at, reason FROM health_state WHERE id = 1",
            vec![],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("health_state has no row".into()))?;
    let state: String = row.try_get("", "state")?;
    let since: DateTime<Utc> = row.try_get("", "since")?;
    let sampled_at: Option<DateTime<Utc>> = row.try_get("", "sampled_at")?;
    let reason: Option<serde_json::Value> = row.try_get("", "reason")?;
    let stale_after =
        chrono::Duration::from_std(settings.sample_every * STALE_AFTER_SAMPLES as u32)
            .unwrap_or(chrono::Duration::seconds(15));
    let (state, since) = match sampled_at {
        Some(at) if now - at <= stale_after => (
            if state == "throttled" {
                GateState::Throttled
            } else {
                GateState::Healthy
            },
            since,
        ),
        other => (GateState::Stale, other.unwrap_or(since)),
    };
    let indicators = match sampled_at {
        Some(at) => db
            .query_all_raw(db::stmt(
                backend,
                "SELECT indicator, value, threshold, available, over FROM health_samples \
                 WHERE sampled_at = ? ORDER BY id",
                vec![at.into()],
            ))
            .await?
            .iter()
            .map(reading)
            .collect::<Result<Vec<_>, DbErr>>()?,
        None => Vec::new(),
    };
    Ok(HealthView {
        state,
        since,
        healthy_streak: row.try_get("", "healthy_streak")?,
        sampled_at,
        reason: match state {
            GateState::Throttled => reason.and_then(|r| serde_json::from_value(r).ok()),
            _ => None,
        },
        indicators,
        sample_every_seconds: settings.sample_every.as_secs_f64(),
        recovery_samples: settings.recovery_samples,
    })
}

/// One indicator's sample (`GET /ops/health/samples`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sample {
    /// When it was taken.
    pub sampled_at: DateTime<Utc>,
    /// The indicator's reading then.
    #[serde(flatten)]
    pub reading: Reading,
}

/// The samples since `since` (at most the last hour, which is all that is kept), oldest first.
pub async fn samples(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<Sample>, DbErr> {
    db.query_all_raw(db::stmt(
        db.get_database_backend(),
        "SELECT sampled_at, indicator, value, threshold, available, over FROM health_samples \
         WHERE sampled_at >= ? ORDER BY sampled_at, id",
        vec![since.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Sample {
            sampled_at: r.try_get("", "sampled_at")?,
            reading: reading(r)?,
        })
    })
    .collect()
}

/// A throttled episode of the gate (`GET /ops/health/samples`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Episode {
    /// When the gate closed.
    pub started_at: DateTime<Utc>,
    /// When it opened again; null while the episode lasts.
    pub ended_at: Option<DateTime<Utc>>,
    /// The indicator that closed it.
    pub indicator: String,
}

/// The episodes that lasted into `since` or began after it, oldest first.
pub async fn episodes(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<Episode>, DbErr> {
    db.query_all_raw(db::stmt(
        db.get_database_backend(),
        "SELECT started_at, ended_at, indicator FROM health_episodes \
         WHERE ended_at IS NULL OR ended_at >= ? ORDER BY started_at, id",
        vec![since.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Episode {
            started_at: r.try_get("", "started_at")?,
            ended_at: r.try_get("", "ended_at")?,
            indicator: r.try_get("", "indicator")?,
        })
    })
    .collect()
}

/// A `health_samples` row's reading.
fn reading(row: &sea_orm::QueryResult) -> Result<Reading, DbErr> {
    Ok(Reading {
        name: row.try_get("", "indicator")?,
        value: row.try_get("", "value")?,
        threshold: row.try_get("", "threshold")?,
        available: row.try_get("", "available")?,
        over: row.try_get("", "over")?,
    })
}
