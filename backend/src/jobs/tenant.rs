//! The per-tenant job: rebuilds one tenant in one transaction together with the item's terminal
//! status and the run's counters, so a tenant is fully rebuilt and counted once, or untouched.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::ClaimedJob;
use crate::context::AppContext;
use crate::db;
use crate::domain::run::ItemStatus;
use crate::entities::{operation_runs, run_items};
use crate::runbooks;
use crate::runs::service;

/// Job kind.
pub const KIND: &str = "run.tenant";

/// The job's payload.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Payload {
    /// The run.
    pub run_id: i64,
    /// The item.
    pub item_id: i64,
}

/// Runs one tenant's rebuild.
pub async fn run(ctx: &AppContext, job: &ClaimedJob) -> anyhow::Result<()> {
    let Payload { run_id, item_id } = serde_json::from_value(job.payload.clone())?;
    let Some(item) = run_items::Entity::find_by_id(item_id).one(&ctx.db).await? else {
        return Ok(());
    };
    if !matches!(
        ItemStatus::parse(&item.status),
        Some(ItemStatus::Pending | ItemStatus::Running)
    ) {
        // A retry of a job whose item already finished does nothing.
        return Ok(());
    }
    let Some(run) = operation_runs::Entity::find_by_id(run_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(());
    };
    let runbook = runbooks::find(&run.runbook_key)
        .ok_or_else(|| anyhow::anyhow!("unknown runbook {}", run.runbook_key))?;
    let now = ctx.now();
    if !service::start_item(&ctx.db, item_id, now).await? {
        return Ok(());
    }
    service::mark_running(&ctx.db, run_id, now).await?;
    let span = tracing::info_span!(
        "tenant_job",
        run_id,
        tenant_id = item.tenant_id,
        attempt = job.attempts
    );
    let recorded = async {
        let txn = db::begin_write(&ctx.db).await?;
        let report = runbook.execute_tenant(&txn, item.tenant_id).await?;
        if service::record_success(&txn, run_id, item_id, &report, ctx.now()).await? {
            txn.commit().await?;
            tracing::info!(
                changed = report.changed,
                examined = report.examined,
                "tenant rebuilt"
            );
            Ok::<bool, DbErr>(true)
        } else {
            txn.rollback().await?;
            Ok(false)
        }
    }
    .instrument(span)
    .await?;
    if recorded {
        service::try_finalize(ctx, run_id).await?;
    }
    Ok(())
}

/// Retries exhausted: the item is `failed` with the last error.
pub async fn exhausted(ctx: &AppContext, job: &ClaimedJob, error: &str) -> Result<(), DbErr> {
    let Ok(Payload { run_id, item_id }) = serde_json::from_value(job.payload.clone()) else {
        return Ok(());
    };
    service::fail_item(ctx, run_id, item_id, error).await
}

/// Records the error on the item between retries (it stays `running` until the next attempt).
pub async fn note_error(
    db: &impl ConnectionTrait,
    job: &ClaimedJob,
    error: &str,
) -> Result<(), DbErr> {
    let Ok(Payload { item_id, .. }) = serde_json::from_value(job.payload.clone()) else {
        return Ok(());
    };
    db::exec(
        db,
        "UPDATE run_items SET last_error = ? WHERE id = ? AND status IN ('pending', 'running')",
        vec![error.into(), item_id.into()],
    )
    .await
    .map(|_| ())
}
