//! The per-tenant job: rebuilds one tenant in one transaction together with the item's terminal
//! status and the run's counters, so a tenant is fully rebuilt and counted once, or untouched.

use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::context::AppContext;
use crate::db;
use crate::domain::run::{ItemStatus, RunStatus};
use crate::jobs::{BackgroundJob, JobHandle};
use crate::runbooks;
use crate::runs::service::{self, Recorded};

/// The job of one tenant of a run (one item).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TenantJob {
    /// The run.
    pub run_id: i64,
    /// The item.
    pub item_id: i64,
}

impl TenantJob {
    /// This job's payload as a SQL expression over a `run_items` row (for the fan-out's
    /// one-statement enqueue); it must stay the serde form of [`TenantJob`].
    pub fn payload_sql(backend: DbBackend) -> &'static str {
        match backend {
            DbBackend::Postgres => "json_build_object('run_id', run_id, 'item_id', id)::jsonb",
            _ => "json_object('run_id', run_id, 'item_id', id)",
        }
    }
}

impl BackgroundJob for TenantJob {
    const JOB_NAME: &'static str = "run.tenant";

    fn run<'a>(
        &'a self,
        ctx: &'a AppContext,
        job: &'a JobHandle,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(run(ctx, *self, job.attempts))
    }

    /// Records the error on the item between retries (it stays `running` until the next
    /// attempt).
    fn retrying<'a>(
        &'a self,
        ctx: &'a AppContext,
        error: &'a str,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(note_error(&ctx.db, self.item_id, error))
    }

    /// Retries exhausted: the item is `failed` with the last error.
    fn exhausted<'a>(
        &'a self,
        ctx: &'a AppContext,
        error: &'a str,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(service::fail_item(ctx, self.run_id, self.item_id, error))
    }
}

/// The item and its run, as one tenant job needs them.
struct Target {
    tenant_id: i64,
    item_status: String,
    runbook_key: String,
    run_status: String,
    parameters: serde_json::Value,
    planned_at: chrono::DateTime<chrono::Utc>,
}

/// One query for the item and its run (a tenant job's first read).
async fn load_target(
    db: &impl ConnectionTrait,
    run_id: i64,
    item_id: i64,
) -> Result<Option<Target>, DbErr> {
    let row = db
        .query_one_raw(db::stmt(
            db.get_database_backend(),
            "SELECT i.tenant_id, i.status AS item_status, r.runbook_key, r.status AS run_status, \
             r.parameters, COALESCE(r.planned_at, r.created_at) AS planned_at \
             FROM run_items i JOIN operation_runs r ON r.id = i.run_id \
             WHERE i.id = ? AND i.run_id = ?",
            vec![item_id.into(), run_id.into()],
        ))
        .await?;
    row.map(|row| {
        Ok(Target {
            tenant_id: row.try_get("", "tenant_id")?,
            item_status: row.try_get("", "item_status")?,
            runbook_key: row.try_get("", "runbook_key")?,
            run_status: row.try_get("", "run_status")?,
            parameters: row
                .try_get::<Option<serde_json::Value>>("", "parameters")?
                .unwrap_or_else(|| serde_json::json!({})),
            planned_at: row.try_get("", "planned_at")?,
        })
    })
    .transpose()
}

/// Runs one tenant's rebuild.
async fn run(ctx: &AppContext, job: TenantJob, attempt: i32) -> anyhow::Result<()> {
    let TenantJob { run_id, item_id } = job;
    let Some(target) = load_target(&ctx.db, run_id, item_id).await? else {
        return Ok(());
    };
    if !matches!(
        ItemStatus::parse(&target.item_status),
        Some(ItemStatus::Pending | ItemStatus::Running)
    ) {
        // A retry of a job whose item already finished does nothing but make sure the run is
        // finalized, in case the previous attempt died between its commit and finalizing.
        service::try_finalize(ctx, run_id).await?;
        return Ok(());
    }
    let runbook = ctx
        .runbooks
        .find(&target.runbook_key)
        .ok_or_else(|| anyhow::anyhow!("unknown runbook {}", target.runbook_key))?;
    let now = ctx.now();
    if !service::start_item(&ctx.db, item_id, now).await? {
        return Ok(());
    }
    if target.run_status == RunStatus::Queued.as_str() {
        service::mark_running(&ctx.db, run_id, now).await?;
    }
    let span = tracing::info_span!("tenant_job", run_id, tenant_id = target.tenant_id, attempt);
    let recorded = async {
        let txn = db::begin_write(&ctx.db).await?;
        let plan = runbooks::Plan {
            parameters: &target.parameters,
            planned_at: target.planned_at,
        };
        let report = runbook
            .execute_tenant(&txn, target.tenant_id, &plan)
            .await?;
        match service::record_success(&txn, run_id, item_id, &report, ctx.now()).await? {
            Recorded::Counted { run_may_complete } => {
                txn.commit().await?;
                tracing::info!(
                    changed = report.changed,
                    examined = report.examined,
                    "tenant rebuilt"
                );
                Ok::<bool, DbErr>(run_may_complete)
            }
            Recorded::AlreadyFinished => {
                txn.rollback().await?;
                Ok(false)
            }
        }
    }
    .instrument(span)
    .await?;
    if recorded {
        service::try_finalize(ctx, run_id).await?;
    }
    Ok(())
}

/// Keeps the attempt's error on the item between retries.
async fn note_error(db: &impl ConnectionTrait, item_id: i64, error: &str) -> Result<(), DbErr> {
    db::exec(
        db,
        "UPDATE run_items SET last_error = ? WHERE id = ? AND status IN ('pending', 'running')",
        vec![error.into(), item_id.into()],
    )
    .await
    .map(|_| ())
}
