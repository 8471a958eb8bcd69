//! The bulk-run fan-out: creates one item and one tenant job per tenant in scope, in batches of
//! [`BATCH`] tenants, each batch in its own short transaction together with the cursor that
//! records its progress — so enqueueing 10,000 tenants never holds one giant transaction, and
//! a fan-out that dies half-way resumes where it stopped without duplicating anything.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use super::ClaimedJob;
use crate::context::AppContext;
use crate::db::{self, exec};
use crate::domain::run::Scope;
use crate::entities::{operation_runs, run_items};
use crate::runs::{preflight, service};

/// Job kind.
pub const KIND: &str = "run.fanout";
/// Tenants per batch.
const BATCH: u64 = 500;

/// The fan-out's payload, rewritten after every batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    /// The run.
    pub run_id: i64,
    /// Tenants up to this id are enqueued.
    pub after_tenant_id: i64,
    /// Retry-failed: only the failed tenants of this run.
    pub retry_of: Option<i64>,
}

/// Enqueues the fan-out of a new run (inside the start transaction).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    run_id: i64,
    retry_of: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let payload = Payload {
        run_id,
        after_tenant_id: 0,
        retry_of,
    };
    super::enqueue(
        db,
        KIND,
        serde_json::to_value(&payload).unwrap_or_default(),
        Some(run_id),
        now,
    )
    .await
}

/// Runs (or resumes) the fan-out.
pub async fn run(ctx: &AppContext, job: &ClaimedJob) -> anyhow::Result<()> {
    let mut payload: Payload = serde_json::from_value(job.payload.clone())?;
    let run_id = payload.run_id;
    loop {
        let Some(run) = operation_runs::Entity::find_by_id(run_id)
            .one(&ctx.db)
            .await?
        else {
            return Ok(());
        };
        let scope = Scope::from_columns(&run.scope_kind, run.scope_tenant_id)
            .ok_or_else(|| anyhow::anyhow!("run {run_id} has an invalid scope"))?;
        if run.cancel_reason.is_some() || run.enqueued_at.is_some() {
            break;
        }
        let ids = match payload.retry_of {
            Some(of) => failed_tenants_page(&ctx.db, of, payload.after_tenant_id).await?,
            None => {
                preflight::tenant_ids_page(&ctx.db, &scope, payload.after_tenant_id, BATCH).await?
            }
        };
        let Some(&last) = ids.last() else { break };
        let now = ctx.now();
        let txn = db::begin_write(&ctx.db).await?;
        run_items::Entity::insert_many(ids.iter().map(|&tenant_id| run_items::ActiveModel {
            run_id: Set(run_id),
            tenant_id: Set(tenant_id),
            status: Set("pending".into()),
            attempts: Set(0),
            findings_examined: Set(0),
            findings_changed: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .on_conflict_do_nothing_on([run_items::Column::RunId, run_items::Column::TenantId])
        .exec(&txn)
        .await?;
        let payload_sql = match txn.get_database_backend() {
            DbBackend::Postgres => "json_build_object('run_id', run_id, 'item_id', id)::jsonb",
            _ => "json_object('run_id', run_id, 'item_id', id)",
        };
        exec(
            &txn,
            &format!(
                "INSERT INTO jobs (queue, kind, payload, status, run_id, run_at, attempts, max_attempts, created_at, updated_at) \
                 SELECT ?, ?, {payload_sql}, 'pending', run_id, ?, 0, ?, ?, ? FROM run_items \
                 WHERE run_id = ? AND tenant_id > ? AND tenant_id <= ? AND status = 'pending'"
            ),
            vec![
                super::QUEUE.into(),
                super::tenant::KIND.into(),
                now.into(),
                super::MAX_ATTEMPTS.into(),
                now.into(),
                now.into(),
                run_id.into(),
                payload.after_tenant_id.into(),
                last.into(),
            ],
        )
        .await?;
        payload.after_tenant_id = last;
        let kept = exec(
            &txn,
            "UPDATE jobs SET payload = ?, updated_at = ? WHERE id = ? AND lease_token = ?",
            vec![
                serde_json::to_value(&payload)?.into(),
                now.into(),
                job.id.into(),
                job.lease_token.clone().into(),
            ],
        )
        .await?;
        if kept != 1 {
            txn.rollback().await?;
            anyhow::bail!("lease lost during fan-out of run {run_id}");
        }
        txn.commit().await?;
        super::heartbeat(&ctx.db, job, ctx.now(), lease(ctx)).await?;
    }
    service::mark_enqueued(ctx, run_id).await?;
    Ok(())
}

fn lease(ctx: &AppContext) -> chrono::Duration {
    chrono::Duration::from_std(ctx.settings.job_lease).unwrap_or(chrono::Duration::seconds(30))
}

async fn failed_tenants_page(
    db: &impl ConnectionTrait,
    run_id: i64,
    after: i64,
) -> Result<Vec<i64>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    run_items::Entity::find()
        .select_only()
        .column(run_items::Column::TenantId)
        .filter(run_items::Column::RunId.eq(run_id))
        .filter(run_items::Column::Status.eq("failed"))
        .filter(run_items::Column::TenantId.gt(after))
        .order_by_asc(run_items::Column::TenantId)
        .limit(BATCH)
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// When the fan-out gives up, the run cannot proceed: what exists is finalized with the cause.
pub async fn exhausted(ctx: &AppContext, job: &ClaimedJob, error: &str) -> Result<(), DbErr> {
    let Ok(payload) = serde_json::from_value::<Payload>(job.payload.clone()) else {
        return Ok(());
    };
    exec(
        &ctx.db,
        "UPDATE operation_runs SET error_summary = ?, updated_at = ? WHERE id = ?",
        vec![
            format!("fan-out failed: {error}").into(),
            ctx.now().into(),
            payload.run_id.into(),
        ],
    )
    .await?;
    service::mark_enqueued(ctx, payload.run_id).await
}
