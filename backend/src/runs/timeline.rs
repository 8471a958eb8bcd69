//! A run's throughput over time: items finished per minute, for the run detail's chart.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db;
use crate::entities::operation_runs;

/// Past this many minutes a run's timeline holds only the minutes in which items finished
/// (a week of empty minutes would be a large answer that says little).
pub const MAX_DENSE_MINUTES: i64 = 7 * 24 * 60;

/// The items that finished in one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MinuteBucket {
    /// The minute's start (UTC).
    pub minute: DateTime<Utc>,
    /// Items that succeeded in it.
    pub succeeded: i64,
    /// Items that failed in it.
    pub failed: i64,
}

/// One bucket per minute from the run's start to its end (now, while it runs), empty minutes
/// included, from one grouped query over the items' `completed_at`. With `until`, only items
/// finished by then count and the buckets end there: the chart as of a run view's `updated_at`
/// agrees with that view's counts, though the run has moved on since.
pub async fn timeline(
    db: &impl ConnectionTrait,
    run: &operation_runs::Model,
    now: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<MinuteBucket>, DbErr> {
    let backend = db.get_database_backend();
    let minute = match backend {
        DbBackend::Postgres => {
            "to_char(date_trunc('minute', completed_at AT TIME ZONE 'UTC'), \
             'YYYY-MM-DD\"T\"HH24:MI:00\"Z\"')"
        }
        _ => "strftime('%Y-%m-%dT%H:%M:00Z', completed_at)",
    };
    let rows = db
        .query_all_raw(db::stmt(
            backend,
            &format!(
                "SELECT {minute} AS minute, \
                 SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS succeeded, \
                 SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed \
                 FROM run_items WHERE run_id = ? AND status IN ('succeeded', 'failed') \
                   AND completed_at IS NOT NULL{until_clause} \
                 GROUP BY 1 ORDER BY 1",
                until_clause = if until.is_some() {
                    " AND completed_at <= ?"
                } else {
                    ""
                },
            ),
            [Some(run.id.into()), until.map(Into::into)]
                .into_iter()
                .flatten()
                .collect(),
        ))
        .await?;
    let mut counted = BTreeMap::new();
    for row in rows {
        let text: String = row.try_get("", "minute")?;
        let minute = DateTime::parse_from_rfc3339(&text)
            .map_err(|e| DbErr::Custom(format!("run {} timeline minute {text:?}: {e}", run.id)))?
            .with_timezone(&Utc);
        let succeeded: i64 = row.try_get("", "succeeded")?;
        let failed: i64 = row.try_get("", "failed")?;
        counted.insert(minute, (succeeded, failed));
    }
    let end = run.completed_at.unwrap_or(now);
    let bounds = [run.started_at, Some(until.map_or(end, |u| u.min(end)))]
        .into_iter()
        .flatten()
        .filter_map(|t| t.duration_trunc(Duration::minutes(1)).ok())
        .chain(counted.keys().copied());
    let (Some(first), Some(last)) = (bounds.clone().min(), bounds.max()) else {
        return Ok(Vec::new());
    };
    let bucket = |minute: DateTime<Utc>, (succeeded, failed): (i64, i64)| MinuteBucket {
        minute,
        succeeded,
        failed,
    };
    if run.started_at.is_none() || (last - first).num_minutes() > MAX_DENSE_MINUTES {
        return Ok(counted.into_iter().map(|(m, c)| bucket(m, c)).collect());
    }
    let mut buckets = Vec::new();
    let mut minute = first;
    while minute <= last {
        buckets.push(bucket(
            minute,
            counted.get(&minute).copied().unwrap_or((0, 0)),
        ));
        minute += Duration::minutes(1);
    }
    Ok(buckets)
}
