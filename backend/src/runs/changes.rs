//! The change log (docs/spec.md §15): in the same transaction as a tenant's changes, a run
//! records for every row it changed the before-value and the written value of each column it
//! changed. A runbook hands its rows to the [`ChangeLog`] batch by batch, so memory stays
//! bounded however large a tenant is; one record holds at most [`RECORD_ROWS`] rows. The log
//! is kept `CHANGE_LOG_RETENTION_DAYS` after the run completes, then purged whole by the
//! [`Purge`] chore, and the run says so (`changes_available: false`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::context::AppContext;
use crate::db::{self, exec};
use crate::jobs::Chore;

/// Rows per change-log record at most.
pub const RECORD_ROWS: usize = 2_000;

/// One row a run changed: the columns it changed, each with the value it overwrote and the
/// value it wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedRow {
    /// The row's id.
    pub id: i64,
    /// The rules that changed it.
    pub rules: Vec<String>,
    /// Each changed column's value before.
    pub before: Map<String, Value>,
    /// Each changed column's written value.
    pub after: Map<String, Value>,
}

impl ChangedRow {
    /// The row `id` with the columns of `before` and `after` (two JSON objects of the same
    /// columns) that differ.
    pub fn between(id: i64, rules: Vec<String>, before: &Value, after: &Value) -> Self {
        let (mut was, mut now) = (Map::new(), Map::new());
        if let (Some(before), Some(after)) = (before.as_object(), after.as_object()) {
            for (column, value) in after {
                let old = before.get(column).unwrap_or(&Value::Null);
                if old != value {
                    was.insert(column.clone(), old.clone());
                    now.insert(column.clone(), value.clone());
                }
            }
        }
        Self {
            id,
            rules,
            before: was,
            after: now,
        }
    }
}

/// Where one tenant's execution records what it changed, inside its transaction.
#[derive(Debug, Clone, Copy)]
pub struct ChangeLog {
    run_id: i64,
    tenant_id: i64,
    item_id: i64,
    at: DateTime<Utc>,
}

impl ChangeLog {
    /// The log of `item_id` (tenant `tenant_id` of run `run_id`), stamped `at`.
    pub fn new(run_id: i64, tenant_id: i64, item_id: i64, at: DateTime<Utc>) -> Self {
        Self {
            run_id,
            tenant_id,
            item_id,
            at,
        }
    }

    /// Records `rows` (a written batch) on `db`, the tenant's transaction: one record per
    /// [`RECORD_ROWS`] rows.
    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        rows: &[ChangedRow],
    ) -> Result<(), DbErr> {
        for chunk in rows.chunks(RECORD_ROWS) {
            let changes = serde_json::to_string(chunk).map_err(|e| DbErr::Custom(e.to_string()))?;
            exec(
                db,
                "INSERT INTO run_changes (run_id, tenant_id, item_id, row_count, changes, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
                vec![
                    self.run_id.into(),
                    self.tenant_id.into(),
                    self.item_id.into(),
                    (chunk.len() as i32).into(),
                    changes.into(),
                    self.at.into(),
                ],
            )
            .await?;
        }
        Ok(())
    }
}

/// One changed row as `GET /ops/runs/{id}/changes` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangeView {
    /// The finding.
    pub finding_id: i64,
    /// Its tenant.
    pub tenant_id: i64,
    /// The rules that changed it.
    pub rules: Vec<String>,
    /// Each column the run changed, with the value it overwrote.
    #[schema(value_type = Object)]
    pub before: Map<String, Value>,
    /// Each column the run changed, with the value it wrote.
    #[schema(value_type = Object)]
    pub after: Map<String, Value>,
}

/// The changed rows of `run_id` (of one tenant with `tenant_id`), by tenant then in the order
/// written: `per_page` of them from `offset`, and how many there are in all. Records are paged
/// by their row counts, so only the records that hold the page are read and decoded.
pub async fn list(
    db: &impl ConnectionTrait,
    run_id: i64,
    tenant_id: Option<i64>,
    offset: u64,
    per_page: u64,
) -> Result<(Vec<ChangeView>, u64), DbErr> {
    let backend = db.get_database_backend();
    let tenant = match tenant_id {
        Some(_) => " AND tenant_id = ?",
        None => "",
    };
    let mut values: Vec<sea_orm::Value> = vec![run_id.into()];
    values.extend(tenant_id.map(Into::into));
    let total: i64 = db
        .query_one_raw(db::stmt(
            backend,
            &format!(
                "SELECT CAST(COALESCE(SUM(row_count), 0) AS BIGINT) AS n FROM run_changes \
                 WHERE run_id = ?{tenant}"
            ),
            values.clone(),
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let (start, end) = (offset as i64, (offset + per_page) as i64);
    values.extend([start.into(), end.into()]);
    let records = db
        .query_all_raw(db::stmt(
            backend,
            &format!(
                "SELECT c.tenant_id, c.changes, p.upto - c.row_count AS first FROM run_changes c \
                 JOIN (SELECT id, CAST(SUM(row_count) OVER (ORDER BY tenant_id, id) AS BIGINT) AS upto \
                       FROM run_changes WHERE run_id = ?{tenant}) p ON p.id = c.id \
                 WHERE p.upto > ? AND p.upto - c.row_count < ? ORDER BY p.upto"
            ),
            values,
        ))
        .await?;
    let mut page = Vec::new();
    for record in records {
        let tenant_id: i64 = record.try_get("", "tenant_id")?;
        let first: i64 = record.try_get("", "first")?;
        let text: String = record.try_get("", "changes")?;
        let rows: Vec<ChangedRow> =
            serde_json::from_str(&text).map_err(|e| DbErr::Custom(e.to_string()))?;
        let skip = (start - first).max(0) as usize;
        let take = (end - first.max(start)) as usize;
        page.extend(
            rows.into_iter()
                .skip(skip)
                .take(take)
                .map(|row| ChangeView {
                    finding_id: row.id,
                    tenant_id,
                    rules: row.rules,
                    before: row.before,
                    after: row.after,
                }),
        );
    }
    Ok((page, total as u64))
}

/// The tenants of `run_id` with change-log rows after tenant `after` (keyset), at most `limit`:
/// the tenants a revert of the run covers.
pub async fn tenants_page(
    db: &impl ConnectionTrait,
    run_id: i64,
    after: i64,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    db.query_all_raw(db::stmt(
        db.get_database_backend(),
        "SELECT DISTINCT tenant_id FROM run_changes WHERE run_id = ? AND tenant_id > ? \
         ORDER BY tenant_id LIMIT ?",
        vec![run_id.into(), after.into(), (limit as i64).into()],
    ))
    .await?
    .iter()
    .map(|row| row.try_get("", "tenant_id"))
    .collect()
}

/// The record of `run_id`'s change log for `tenant_id` after record `after` (in the order
/// written), with its id: a revert reads a tenant's log one record (at most [`RECORD_ROWS`]
/// rows) at a time, so its memory stays bounded however large the tenant is.
pub async fn next_record(
    db: &impl ConnectionTrait,
    run_id: i64,
    tenant_id: i64,
    after: i64,
) -> Result<Option<(i64, Vec<ChangedRow>)>, DbErr> {
    let Some(row) = db
        .query_one_raw(db::stmt(
            db.get_database_backend(),
            "SELECT id, changes FROM run_changes WHERE run_id = ? AND tenant_id = ? AND id > ? \
             ORDER BY id LIMIT 1",
            vec![run_id.into(), tenant_id.into(), after.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let text: String = row.try_get("", "changes")?;
    let rows = serde_json::from_str(&text).map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(Some((row.try_get("", "id")?, rows)))
}

/// Purges the change logs of runs completed more than `retention` before `now` (each whole,
/// marking the run), and returns how many runs lost theirs. A run with an active revert keeps
/// its log until the revert completes.
pub async fn purge(
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
    retention: chrono::Duration,
) -> Result<u64, DbErr> {
    let txn = db::begin_write(db).await?;
    let cutoff = now - retention;
    let expired = "SELECT r.id FROM operation_runs r WHERE r.status = 'completed' \
                   AND r.completed_at < ? AND r.changes_purged_at IS NULL \
                   AND NOT EXISTS (SELECT 1 FROM operation_runs v WHERE v.reverts_run_id = r.id \
                   AND v.status <> 'completed')";
    exec(
        &txn,
        &format!("DELETE FROM run_changes WHERE run_id IN ({expired})"),
        vec![cutoff.into()],
    )
    .await?;
    let runs = exec(
        &txn,
        &format!("UPDATE operation_runs SET changes_purged_at = ? WHERE id IN ({expired})"),
        vec![now.into(), cutoff.into()],
    )
    .await?;
    txn.commit().await?;
    Ok(runs)
}

/// The chore that purges expired change logs, hourly.
#[derive(Debug, Clone, Copy)]
pub struct Purge;

impl Chore for Purge {
    fn name(&self) -> &'static str {
        "runs.change_log.purge"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(3_600)
    }

    fn tick<'a>(&'a self, ctx: &'a AppContext) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let runs = purge(&ctx.db, ctx.now(), ctx.settings.change_log_retention).await?;
            if runs > 0 {
                tracing::info!(runs, "change logs past their retention purged");
            }
            Ok(())
        })
    }
}
