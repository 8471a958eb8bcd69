//! The reconciler (docs/spec.md §19): a chore that repairs any active run the pipeline can no
//! longer move forward by itself, whatever path stranded it — a crash between two
//! transactions, a job deleted by hand, an older worker's hand-back. Each pass is bounded
//! ([`BATCH`] items) and every repair is audited (`runbook.run.reconciled`).
//!
//! An item is stranded when it is unfinished (`pending`, `running` or `retrying`), has not
//! changed for longer than a job lease, and its tenant job is missing or dead:
//! - job missing, run cancelling → the item is cancelled;
//! - job missing → the item returns to `pending` and gets its job again (at most one job per
//!   item exists: enqueueing is a no-op when a worker re-created it meanwhile);
//! - job dead (a worker died between giving the job up and failing the item) → the item
//!   fails with the job's last error.
//!
//! A run whose fan-out job is gone before every item exists gets its fan-out back (it resumes
//! after the last tenant that has an item); a run whose items are all finished but that was
//! never finalized is finalized.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::audit::{self, Actor, Event};
use crate::context::AppContext;
use crate::db::{self, exec, stmt};
use crate::domain::run::ItemStatus;
use crate::jobs::{self, BackgroundJob, Chore};
use crate::runs::execute::fanout::FanOut;
use crate::runs::execute::tenant::TenantJob;
use crate::runs::failure::ItemFailure;
use crate::runs::{service, transition};

/// Items repaired per pass.
const BATCH: u64 = 500;

/// The reconciler chore, every 10 seconds.
#[derive(Debug, Clone, Copy)]
pub struct Reconciler;

impl Chore for Reconciler {
    fn name(&self) -> &'static str {
        "runs.reconcile"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(10)
    }

    fn tick<'a>(&'a self, ctx: &'a AppContext) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            reconcile(ctx).await?;
            Ok(())
        })
    }
}

/// What one pass repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repairs {
    /// Items given their job again.
    pub requeued: u64,
    /// Items of cancelling runs cancelled.
    pub cancelled: u64,
    /// Items whose dead job was never recorded as failed.
    pub failed: u64,
    /// Fan-outs re-enqueued.
    pub fanouts: u64,
    /// Runs finalized.
    pub finalized: u64,
}

/// One stranded item.
struct Stranded {
    item_id: i64,
    run_id: i64,
    status: ItemStatus,
    cancelling: bool,
    dead_error: Option<String>,
}

/// One reconciler pass over every active run.
pub async fn reconcile(ctx: &AppContext) -> Result<Repairs, DbErr> {
    let now = ctx.now();
    let idle_since = now - chrono::Duration::from_std(ctx.settings.job_lease).unwrap_or_default();
    let mut repairs = Repairs::default();
    let mut by_run: BTreeMap<i64, Repairs> = BTreeMap::new();
    for item in stranded_items(ctx, idle_since).await? {
        let per_run = by_run.entry(item.run_id).or_default();
        if let Some(error) = &item.dead_error {
            let failure = ItemFailure {
                message: error.clone(),
                sqlstate: None,
            };
            service::fail_item(ctx, item.run_id, item.item_id, &failure).await?;
            per_run.failed += 1;
        } else if item.cancelling {
            let from = match item.status {
                // A running item without a job is cancelled like a pending one.
                ItemStatus::Running => {
                    service::return_item(&ctx.db, item.item_id, now).await?;
                    ItemStatus::Pending
                }
                other => other,
            };
            service::cancel_item(ctx, item.run_id, item.item_id, from).await?;
            per_run.cancelled += 1;
        } else {
            requeue(ctx, &item, now).await?;
            per_run.requeued += 1;
        }
    }
    for run_id in fanouts_missing(ctx, idle_since).await? {
        resume_fanout(ctx, run_id, now).await?;
        by_run.entry(run_id).or_default().fanouts += 1;
    }
    for run_id in unfinalized(ctx, idle_since).await? {
        if service::try_finalize(ctx, run_id).await?.is_some() {
            by_run.entry(run_id).or_default().finalized += 1;
        }
    }
    for (run_id, fixed) in by_run {
        tracing::warn!(run_id, ?fixed, "reconciler repaired a stranded run");
        let mut event = Event::new("runbook.run.reconciled", Actor::System);
        event.source = Some("worker".into());
        event.target = Some(("operation_run", run_id.to_string()));
        event.metadata = serde_json::json!({
            "items_requeued": fixed.requeued,
            "items_cancelled": fixed.cancelled,
            "items_failed": fixed.failed,
            "fanout_resumed": fixed.fanouts > 0,
            "finalized": fixed.finalized > 0,
        });
        audit::record(&ctx.db, event).await;
        repairs.requeued += fixed.requeued;
        repairs.cancelled += fixed.cancelled;
        repairs.failed += fixed.failed;
        repairs.fanouts += fixed.fanouts;
        repairs.finalized += fixed.finalized;
    }
    Ok(repairs)
}

/// `r.status IN (active...)` for an `operation_runs r`.
fn active_runs() -> (String, Vec<Value>) {
    let (sql, values) = transition::active();
    (format!("r.{sql}"), values)
}

/// Unfinished items of active runs, idle since before `idle_since`, whose tenant job is missing
/// or dead.
async fn stranded_items(
    ctx: &AppContext,
    idle_since: DateTime<Utc>,
) -> Result<Vec<Stranded>, DbErr> {
    let (active, active_values) = active_runs();
    let mut values = vec![TenantJob::JOB_NAME.into()];
    values.extend(active_values);
    values.extend([idle_since.into(), (BATCH as i64).into()]);
    let rows = ctx
        .db
        .query_all_raw(stmt(
            ctx.db.get_database_backend(),
            &format!(
                "SELECT i.id, i.run_id, i.status, r.cancel_reason, j.status AS job_status, \
                 j.last_error FROM run_items i JOIN operation_runs r ON r.id = i.run_id \
                 LEFT JOIN jobs j ON j.kind = ? AND j.subject_id = i.id \
                 WHERE {active} AND i.status IN ('pending', 'running', 'retrying') \
                   AND i.updated_at < ? AND (j.id IS NULL OR j.status = 'dead') \
                 ORDER BY i.id LIMIT ?"
            ),
            values,
        ))
        .await?;
    rows.iter()
        .map(|row| {
            let job_status: Option<String> = row.try_get("", "job_status")?;
            Ok(Stranded {
                item_id: row.try_get("", "id")?,
                run_id: row.try_get("", "run_id")?,
                status: row.try_get("", "status")?,
                cancelling: row
                    .try_get::<Option<String>>("", "cancel_reason")?
                    .is_some(),
                dead_error: job_status.map(|_| {
                    row.try_get::<Option<String>>("", "last_error")
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| "its job was given up".to_owned())
                }),
            })
        })
        .collect()
}

/// Gives a stranded item its job again, `pending` (a `retrying` item keeps its state: its job
/// resumes it).
async fn requeue(ctx: &AppContext, item: &Stranded, now: DateTime<Utc>) -> Result<(), DbErr> {
    let txn = db::begin_write(&ctx.db).await?;
    service::return_item(&txn, item.item_id, now).await?;
    // In its run's job group at its position, as the fan-out enqueues it: the run's pause, cap
    // and waves hold for a requeued tenant too.
    jobs::enqueue_selected::<TenantJob>(
        &txn,
        "run_id",
        "ordinal",
        "id",
        TenantJob::payload_sql(txn.get_database_backend()),
        "FROM run_items WHERE id = ?",
        vec![item.item_id.into()],
        now,
    )
    .await?;
    txn.commit().await
}

/// Active runs whose fan-out has not finished and has no live job.
async fn fanouts_missing(ctx: &AppContext, idle_since: DateTime<Utc>) -> Result<Vec<i64>, DbErr> {
    let (active, active_values) = active_runs();
    let mut values = vec![FanOut::JOB_NAME.into()];
    values.extend(active_values);
    values.push(idle_since.into());
    ids(
        ctx,
        &format!(
            "SELECT r.id FROM operation_runs r \
             LEFT JOIN jobs j ON j.kind = ? AND j.subject_id = r.id AND j.status <> 'dead' \
             WHERE {active} AND r.enqueued_at IS NULL AND r.created_at < ? AND j.id IS NULL \
             ORDER BY r.id LIMIT 100"
        ),
        values,
    )
    .await
}

/// Re-enqueues a run's fan-out after the last tenant that has an item (items and their jobs
/// are written with the fan-out's cursor, so nothing before it is missing).
async fn resume_fanout(ctx: &AppContext, run_id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    let row = ctx
        .db
        .query_one_raw(stmt(
            ctx.db.get_database_backend(),
            "SELECT COALESCE(MAX(tenant_id), 0) AS after, COALESCE(MAX(ordinal), 0) AS last_ordinal, \
             (SELECT retry_of_run_id FROM operation_runs WHERE id = ?) AS retry_of \
             FROM run_items WHERE run_id = ?",
            vec![run_id.into(), run_id.into()],
        ))
        .await?;
    let (after, last_ordinal, retry_of) = match row {
        Some(row) => (
            row.try_get::<i64>("", "after")?,
            row.try_get::<i64>("", "last_ordinal")?,
            row.try_get::<Option<i64>>("", "retry_of")?,
        ),
        None => (0, 0, None),
    };
    // Positions after the canary tenants' are given in order: the last one given says how many
    // other tenants the fan-out has enqueued.
    let canaries = match crate::runs::query::find(&ctx.db, run_id).await? {
        Some(run) => crate::runs::control::options_of(&run).canary_count(),
        None => return Ok(()),
    };
    // A dead fan-out job of this run would block the new one: it is replaced.
    exec(
        &ctx.db,
        "DELETE FROM jobs WHERE kind = ? AND subject_id = ? AND status = 'dead'",
        vec![FanOut::JOB_NAME.into(), run_id.into()],
    )
    .await?;
    jobs::enqueue(
        &ctx.db,
        &FanOut {
            run_id,
            after_tenant_id: after,
            retry_of,
            ordered: (last_ordinal - canaries).max(0),
        },
        Some(run_id),
        now,
    )
    .await
}

/// Active runs whose every item finished but that were never finalized.
async fn unfinalized(ctx: &AppContext, idle_since: DateTime<Utc>) -> Result<Vec<i64>, DbErr> {
    let (active, mut values) = active_runs();
    values.push(idle_since.into());
    ids(
        ctx,
        &format!(
            "SELECT r.id FROM operation_runs r WHERE {active} AND r.enqueued_at IS NOT NULL \
             AND r.processed + r.cancelled >= r.total AND r.updated_at < ? ORDER BY r.id LIMIT 100"
        ),
        values,
    )
    .await
}

async fn ids(ctx: &AppContext, sql: &str, values: Vec<Value>) -> Result<Vec<i64>, DbErr> {
    ctx.db
        .query_all_raw(stmt(ctx.db.get_database_backend(), sql, values))
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect()
}
