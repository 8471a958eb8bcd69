//! Stall detection (docs/spec.md §18): a running run is stalled when no item has finished for
//! `max(30 s, 5 × the median item time)` while items are running.
//!
//! The check costs nothing while the run progresses: under 30 s since an item last finished
//! (the run row's `progressed_at`) no query is made, so polling a healthy run stays one read.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db;
use crate::domain::run::RunStatus;
use crate::entities::operation_runs;

/// The shortest quiet time that counts as a stall.
pub const MIN_STALL: Duration = Duration::seconds(30);
/// A stall is also this many median item times without an item finishing.
pub const MEDIAN_FACTOR: i32 = 5;

/// A run that stopped making progress, and the tenant it waits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Stall {
    /// When an item last finished (the run's start when none has).
    pub since: DateTime<Utc>,
    /// The tenant of the item that has been running longest.
    pub tenant_id: i64,
    /// That tenant's external id.
    pub tenant_external_id: String,
    /// How many of the run's items are running (all of them waited on).
    pub running: i64,
    /// The external ids of the other running tenants, longest-running first (at most
    /// [`OTHERS_SHOWN`]).
    pub others: Vec<String>,
}

/// How many other running tenants a stall names.
pub const OTHERS_SHOWN: usize = 5;

/// Whether `run` is stalled as of `now`, and on which tenant.
pub async fn detect(
    db: &impl ConnectionTrait,
    run: &operation_runs::Model,
    now: DateTime<Utc>,
) -> Result<Option<Stall>, DbErr> {
    if run.status != RunStatus::Running {
        return Ok(None);
    }
    // A resumed run is not stalled at once: its quiet time starts again at the resume.
    let Some(since) = run
        .progressed_at
        .or(run.started_at)
        .map(|since| match run.resumed_at {
            Some(resumed) => since.max(resumed),
            None => since,
        })
    else {
        return Ok(None);
    };
    if now - since < MIN_STALL {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let running_items = db
        .query_all_raw(db::stmt(
            backend,
            "SELECT i.tenant_id, t.external_id, \
             (SELECT COUNT(*) FROM run_items r WHERE r.run_id = i.run_id AND r.status = 'running') AS running \
             FROM run_items i JOIN tenants t ON t.id = i.tenant_id \
             WHERE i.run_id = ? AND i.status = 'running' \
             ORDER BY i.started_at, i.id LIMIT ?",
            vec![run.id.into(), (OTHERS_SHOWN as i64 + 1).into()],
        ))
        .await?;
    let Some(longest) = running_items.first() else {
        return Ok(None);
    };
    let threshold = match median_item_time(db, run).await? {
        Some(median) => (median * MEDIAN_FACTOR).max(MIN_STALL),
        None => MIN_STALL,
    };
    if now - since < threshold {
        return Ok(None);
    }
    Ok(Some(Stall {
        since,
        tenant_id: longest.try_get("", "tenant_id")?,
        tenant_external_id: longest.try_get("", "external_id")?,
        running: longest.try_get("", "running")?,
        others: running_items[1..]
            .iter()
            .map(|row| row.try_get("", "external_id"))
            .collect::<Result<_, _>>()?,
    }))
}

/// The median time from an item's first start to its end, over the run's finished items.
async fn median_item_time(
    db: &impl ConnectionTrait,
    run: &operation_runs::Model,
) -> Result<Option<Duration>, DbErr> {
    let finished = run.succeeded + run.failed;
    if finished == 0 {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let seconds = match backend {
        DbBackend::Postgres => {
            "CAST(EXTRACT(EPOCH FROM (completed_at - started_at)) AS DOUBLE PRECISION)"
        }
        _ => "((julianday(completed_at) - julianday(started_at)) * 86400.0)",
    };
    let row = db
        .query_one_raw(db::stmt(
            backend,
            &format!(
                "SELECT {seconds} AS seconds FROM run_items \
                 WHERE run_id = ? AND status IN ('succeeded', 'failed') \
                   AND started_at IS NOT NULL AND completed_at IS NOT NULL \
                 ORDER BY seconds LIMIT 1 OFFSET ?"
            ),
            vec![run.id.into(), (finished / 2).into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let seconds: Option<f64> = row.try_get("", "seconds")?;
    Ok(seconds.map(|s| Duration::milliseconds((s.max(0.0) * 1000.0) as i64)))
}
