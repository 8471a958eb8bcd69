//! The bulk-run fan-out: creates one item and one tenant job per tenant in scope, in batches of
//! [`BATCH`] tenants, each batch in its own short transaction together with the cursor that
//! records its progress — so enqueueing 10,000 tenants never holds one giant transaction, and
//! a fan-out that dies half-way resumes where it stopped without duplicating anything.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use super::tenant::TenantJob;
use crate::context::AppContext;
use crate::db::{self, exec};
use crate::domain::run::ItemStatus;
use crate::entities::{operation_runs, run_items};
use crate::jobs::{self, BackgroundJob, JobHandle};
use crate::runs::{control, lineage, scope, service};

/// Tenants per batch.
const BATCH: u64 = 500;

/// The fan-out job of a run; its payload is rewritten after every batch (the cursor).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FanOut {
    /// The run.
    pub run_id: i64,
    /// Tenants up to this id are enqueued.
    pub after_tenant_id: i64,
    /// Retry-failed: only the tenants of this run that are still failed (none a later retry
    /// rebuilt).
    pub retry_of: Option<i64>,
    /// Items enqueued so far that are not canary tenants: the next such tenant's position is
    /// this plus the number of canary tenants plus one (docs/spec.md §13).
    #[serde(default)]
    pub ordered: i64,
}

/// Enqueues the fan-out of a new run (inside the start transaction).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    run_id: i64,
    retry_of: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let job = FanOut {
        run_id,
        after_tenant_id: 0,
        retry_of,
        ordered: 0,
    };
    jobs::enqueue(db, &job, Some(run_id), now).await
}

impl BackgroundJob for FanOut {
    const JOB_NAME: &'static str = "run.fanout";

    /// One fan-out per run.
    fn subject(&self) -> Option<i64> {
        Some(self.run_id)
    }

    fn run<'a>(
        &'a self,
        ctx: &'a AppContext,
        job: &'a JobHandle,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(run(ctx, self.clone(), job))
    }

    fn exhausted<'a>(
        &'a self,
        ctx: &'a AppContext,
        error: &'a anyhow::Error,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(exhausted(ctx, self.run_id, jobs::describe(error)))
    }
}

/// Runs (or resumes) the fan-out, in its span (docs/spec.md §20): the tenant jobs it enqueues
/// carry this span's trace context, so they join the run's trace.
#[tracing::instrument(
    name = "run.fanout",
    skip_all,
    fields(run_id = payload.run_id, attempt = job.attempts, items_enqueued = tracing::field::Empty)
)]
async fn run(ctx: &AppContext, mut payload: FanOut, job: &JobHandle) -> anyhow::Result<()> {
    let run_id = payload.run_id;
    let mut enqueued = 0;
    // A retry enqueues the still-failed tenants of its source; any other run its scope's.
    let Some(run) = operation_runs::Entity::find_by_id(run_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(());
    };
    let target = match payload.retry_of {
        Some(_) => None,
        None => Some(scope::of_run(&ctx.db, &run).await?),
    };
    // Each item's position in the run's order: canary tenants first, then ascending id.
    let options = control::options_of(&run);
    let canaries = options.canary_count();
    loop {
        let Some(run) = operation_runs::Entity::find_by_id(run_id)
            .one(&ctx.db)
            .await?
        else {
            return Ok(());
        };
        if run.cancel_reason.is_some() || run.enqueued_at.is_some() {
            break;
        }
        let ids = match (payload.retry_of, &target) {
            (Some(of), _) => {
                lineage::still_failed_page(&ctx.db, of, payload.after_tenant_id, BATCH).await?
            }
            (None, Some(target)) => {
                scope::page(&ctx.db, target, payload.after_tenant_id, BATCH).await?
            }
            (None, None) => break,
        };
        let Some(&last) = ids.last() else { break };
        let now = ctx.now();
        let txn = db::begin_write(&ctx.db).await?;
        let ordinals: Vec<i64> = ids
            .iter()
            .map(|&tenant_id| {
                options.canary_position(tenant_id).unwrap_or_else(|| {
                    payload.ordered += 1;
                    canaries + payload.ordered
                })
            })
            .collect();
        run_items::Entity::insert_many(ids.iter().zip(&ordinals).map(|(&tenant_id, &ordinal)| {
            run_items::ActiveModel {
                run_id: Set(run_id),
                tenant_id: Set(tenant_id),
                ordinal: Set(Some(ordinal)),
                status: Set(ItemStatus::Pending),
                attempts: Set(0),
                findings_examined: Set(0),
                findings_changed: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        }))
        .on_conflict_do_nothing_on([run_items::Column::RunId, run_items::Column::TenantId])
        .exec(&txn)
        .await?;
        // The drift guard's predictions (docs/spec.md §15): the preflight's rows per tenant,
        // or for a retry its source item's. A tenant the preflight did not see has none.
        let (source, key) = match payload.retry_of {
            Some(of) => (
                "SELECT s.predicted_changes FROM run_items s WHERE s.run_id = ? \
                 AND s.tenant_id = run_items.tenant_id",
                sea_orm::Value::from(of),
            ),
            None => (
                "SELECT p.changed FROM preflight_tenants p WHERE p.preflight_id = ? \
                 AND p.tenant_id = run_items.tenant_id",
                sea_orm::Value::from(run.preflight_id.clone()),
            ),
        };
        exec(
            &txn,
            &format!(
                "UPDATE run_items SET predicted_changes = ({source}) \
                 WHERE run_id = ? AND tenant_id > ? AND tenant_id <= ?"
            ),
            vec![
                key,
                run_id.into(),
                payload.after_tenant_id.into(),
                last.into(),
            ],
        )
        .await?;
        // One tenant job per new item, in one statement; the payload is `TenantJob`'s.
        enqueued += jobs::enqueue_selected::<TenantJob>(
            &txn,
            "run_id",
            "ordinal",
            "id",
            TenantJob::payload_sql(txn.get_database_backend()),
            "FROM run_items WHERE run_id = ? AND tenant_id > ? AND tenant_id <= ? AND status = 'pending'",
            vec![
                run_id.into(),
                payload.after_tenant_id.into(),
                last.into(),
            ],
            now,
        )
        .await?;
        payload.after_tenant_id = last;
        if !job.save(&txn, &payload, now).await? {
            txn.rollback().await?;
            anyhow::bail!("lease lost during fan-out of run {run_id}");
        }
        txn.commit().await?;
        job.heartbeat(ctx).await?;
    }
    tracing::Span::current().record("items_enqueued", enqueued);
    service::mark_enqueued(ctx, run_id).await?;
    Ok(())
}

/// When the fan-out gives up, the run cannot proceed: what exists is finalized with the cause.
async fn exhausted(ctx: &AppContext, run_id: i64, error: String) -> Result<(), DbErr> {
    exec(
        &ctx.db,
        "UPDATE operation_runs SET error_summary = ?, updated_at = ? WHERE id = ?",
        vec![
            format!("fan-out failed: {error}").into(),
            ctx.now().into(),
            run_id.into(),
        ],
    )
    .await?;
    service::mark_enqueued(ctx, run_id).await
}
