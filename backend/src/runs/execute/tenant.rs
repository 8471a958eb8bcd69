//! The per-tenant job: rebuilds one tenant in one transaction together with the item's terminal
//! status and the run's counters, so a tenant is fully rebuilt and counted once, or untouched.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr};
use serde::{Deserialize, Serialize};
use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::context::AppContext;
use crate::db;
use crate::domain::control::{RunOptions, drifted};
use crate::domain::run::ItemStatus;
use crate::jobs::{self, BackgroundJob, JobHandle};
use crate::runbooks;
use crate::runs::changes::ChangeLog;
use crate::runs::failure::ItemFailure;
use crate::runs::service::{self, Recorded, Started};
use crate::runs::{RunError, control, revert};

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

    /// One job per item, ever: the reconciler and a resumed fan-out can re-enqueue safely.
    fn subject(&self) -> Option<i64> {
        Some(self.item_id)
    }

    /// Handed back at shutdown: the item waits again (`pending`, its attempt not counted), so a
    /// cancel that comes before the job runs again cancels it (docs/spec.md §19).
    fn handed_back<'a>(
        &'a self,
        ctx: &'a AppContext,
        txn: &'a DatabaseTransaction,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(service::return_item(txn, self.item_id, ctx.now()))
    }

    fn run<'a>(
        &'a self,
        ctx: &'a AppContext,
        job: &'a JobHandle,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(run(ctx, *self, job.attempts, &job.worker))
    }

    /// Between attempts the item is `retrying`, with the error and the next attempt's time.
    fn retrying<'a>(
        &'a self,
        ctx: &'a AppContext,
        txn: &'a DatabaseTransaction,
        error: &'a anyhow::Error,
        next_attempt_at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(async move {
            let failure = ItemFailure::of(error);
            service::mark_retrying(
                txn,
                self.run_id,
                self.item_id,
                &failure,
                next_attempt_at,
                ctx.now(),
            )
            .await
        })
    }

    /// Retries exhausted: the item is `failed` with the last error.
    fn exhausted<'a>(
        &'a self,
        ctx: &'a AppContext,
        error: &'a anyhow::Error,
    ) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(async move {
            let failure = ItemFailure::of(error);
            service::fail_item(ctx, self.run_id, self.item_id, &failure).await
        })
    }
}

/// The item and its run, as one tenant job needs them.
struct Target {
    tenant_id: i64,
    tenant_external_id: Option<String>,
    item_status: ItemStatus,
    runbook_key: String,
    run_cancelled: bool,
    parameters: serde_json::Value,
    planned_at: chrono::DateTime<chrono::Utc>,
    /// The rows the preflight predicted, when the drift guard is on and there is a prediction.
    guard: Option<i64>,
    /// For a revert run: the run it reverts, and whether that run's change log was purged
    /// since the revert started (it then fails, never restoring nothing in silence).
    reverts: Option<(i64, bool)>,
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
            "SELECT i.tenant_id, t.external_id AS tenant_external_id, i.status AS item_status, \
             r.runbook_key, r.cancel_reason, r.parameters, r.options, i.predicted_changes, \
             COALESCE(r.planned_at, r.created_at) AS planned_at, r.reverts_run_id, \
             o.changes_purged_at AS reverted_log_purged_at \
             FROM run_items i JOIN operation_runs r ON r.id = i.run_id \
             LEFT JOIN tenants t ON t.id = i.tenant_id \
             LEFT JOIN operation_runs o ON o.id = r.reverts_run_id \
             WHERE i.id = ? AND i.run_id = ?",
            vec![item_id.into(), run_id.into()],
        ))
        .await?;
    row.map(|row| {
        Ok(Target {
            tenant_id: row.try_get("", "tenant_id")?,
            tenant_external_id: row.try_get("", "tenant_external_id")?,
            item_status: row.try_get("", "item_status")?,
            runbook_key: row.try_get("", "runbook_key")?,
            run_cancelled: row
                .try_get::<Option<String>>("", "cancel_reason")?
                .is_some(),
            parameters: row
                .try_get::<Option<serde_json::Value>>("", "parameters")?
                .unwrap_or_else(|| serde_json::json!({})),
            planned_at: row.try_get("", "planned_at")?,
            guard: row
                .try_get::<Option<i64>>("", "predicted_changes")?
                .filter(|_| {
                    row.try_get::<Option<serde_json::Value>>("", "options")
                        .ok()
                        .flatten()
                        .and_then(|o| serde_json::from_value::<RunOptions>(o).ok())
                        .is_none_or(|o| o.drift_guard())
                }),
            reverts: row
                .try_get::<Option<i64>>("", "reverts_run_id")?
                .map(|of| {
                    row.try_get::<Option<chrono::DateTime<chrono::Utc>>>(
                        "",
                        "reverted_log_purged_at",
                    )
                    .map(|purged| (of, purged.is_some()))
                })
                .transpose()?,
        })
    })
    .transpose()
}

/// Runs one tenant's rebuild in its span: the tenant job of docs/spec.md §20, with the run,
/// the item, the tenant, the attempt, how it ended and the rows it changed.
async fn run(ctx: &AppContext, job: TenantJob, attempt: i32, worker: &str) -> anyhow::Result<()> {
    let span = tracing::info_span!(
        "run.tenant",
        run_id = job.run_id,
        item_id = job.item_id,
        tenant_id = Empty,
        tenant.external_id = Empty,
        attempt,
        outcome = Empty,
        rows_changed = Empty,
    );
    let result = execute(ctx, job, attempt, worker)
        .instrument(span.clone())
        .await;
    if result.is_err() {
        span.record("outcome", "error");
    }
    result
}

/// Records how the tenant job ended on its span.
fn outcome(outcome: &str) {
    Span::current().record("outcome", outcome);
}

async fn execute(
    ctx: &AppContext,
    job: TenantJob,
    attempt: i32,
    worker: &str,
) -> anyhow::Result<()> {
    let TenantJob { run_id, item_id } = job;
    let Some(target) = load_target(&ctx.db, run_id, item_id).await? else {
        outcome("no_item");
        return Ok(());
    };
    let span = Span::current();
    span.record("tenant_id", target.tenant_id);
    if let Some(external_id) = &target.tenant_external_id {
        span.record("tenant.external_id", external_id.as_str());
    }
    match target.item_status {
        ItemStatus::Pending | ItemStatus::Retrying if target.run_cancelled => {
            // The job raced the cancel: the item is cancelled instead of rebuilt.
            service::cancel_item(ctx, run_id, item_id, target.item_status).await?;
            outcome("cancelled");
            return Ok(());
        }
        ItemStatus::Pending | ItemStatus::Running | ItemStatus::Retrying => {}
        ItemStatus::Succeeded
        | ItemStatus::Failed
        | ItemStatus::Skipped
        | ItemStatus::Cancelled => {
            // A retry of a job whose item already finished does nothing but make sure the run
            // is finalized, in case the previous attempt died between its commit and finalizing.
            service::try_finalize(ctx, run_id).await?;
            outcome("already_finished");
            return Ok(());
        }
    }
    let runbook = ctx
        .runbooks
        .find(&target.runbook_key)
        .ok_or_else(|| anyhow::anyhow!("unknown runbook {}", target.runbook_key))?;
    let retrying = target.item_status == ItemStatus::Retrying;
    match service::start_item(ctx, run_id, item_id, attempt, worker, retrying).await? {
        Started::Started => {}
        Started::NotWaiting => {
            outcome("not_started");
            return Ok(());
        }
        Started::HandBack => {
            outcome("handed_back");
            return Err(jobs::HandBack.into());
        }
    }
    let plan = runbooks::Plan {
        parameters: &target.parameters,
        planned_at: target.planned_at,
    };
    let lock_timeout = ctx.settings.tenant_lock_timeout;
    let recorded = async {
        let txn = db::begin_write(&ctx.db).await?;
        let applied = async {
            db::set_lock_timeout(&txn, lock_timeout).await?;
            let log = ChangeLog::new(run_id, target.tenant_id, item_id, ctx.now());
            let report = match target.reverts {
                Some((of, false)) => {
                    revert::tenant(runbook, &txn, of, target.tenant_id, &log).await?
                }
                Some((of, true)) => {
                    return Ok(Err(ItemFailure {
                        message: RunError::ChangeLogExpired { run_id: of }.to_string(),
                        sqlstate: None,
                    }));
                }
                None => {
                    runbook
                        .execute_tenant(&txn, target.tenant_id, &plan, &log)
                        .await?
                }
            };
            if let Some(predicted) = target.guard
                && drifted(predicted, report.changed)
            {
                return Ok(Err(ItemFailure {
                    message: format!("drift: predicted {predicted}, found {}", report.changed),
                    sqlstate: None,
                }));
            }
            let recorded =
                service::record_success(&txn, run_id, item_id, &report, ctx.now()).await?;
            Ok::<_, DbErr>(Ok((report, recorded)))
        }
        .await;
        match applied {
            Ok(Err(drift)) => {
                // The data moved under the plan (or a revert's change log is gone): nothing of
                // this tenant is written, and no retry can help (docs/spec.md §15).
                txn.rollback().await?;
                outcome("failed");
                tracing::warn!(error = %drift.message, "tenant cannot be done as planned");
                service::fail_item(ctx, run_id, item_id, &drift).await?;
                Ok((false, false))
            }
            Ok(Ok((
                report,
                Recorded::Counted {
                    run_may_complete,
                    gated,
                },
            ))) => {
                txn.commit().await?;
                outcome("succeeded");
                span.record("rows_changed", report.changed);
                tracing::info!(
                    changed = report.changed,
                    examined = report.examined,
                    "tenant rebuilt"
                );
                Ok::<(bool, bool), DbErr>((run_may_complete, gated))
            }
            Ok(Ok((_, Recorded::AlreadyFinished))) => {
                txn.rollback().await?;
                outcome("already_finished");
                Ok((false, false))
            }
            Err(error) => {
                txn.rollback().await?;
                Err(error)
            }
        }
    }
    .await;
    match recorded {
        Ok((true, _)) => service::try_finalize(ctx, run_id).await.map(|_| ()),
        Ok((false, true)) => control::check_gates(ctx, run_id).await,
        Ok((false, false)) => Ok(()),
        Err(error) => {
            let error = match ItemFailure::lock_wait(&error) {
                true => anyhow::Error::new(error).context(format!(
                    "tenant {} waited on a row lock held by another transaction longer than \
                     TENANT_LOCK_TIMEOUT_MS ({} ms); it is retried",
                    target.tenant_id,
                    lock_timeout.as_millis()
                )),
                false => anyhow::Error::new(error),
            };
            let failure = ItemFailure::of(&error);
            if !failure.is_permanent() {
                return Err(error);
            }
            // Every attempt would fail alike: the item fails now, not three backoffs later.
            tracing::warn!(error = %failure.text(), "tenant failed; no retry can fix it");
            outcome("failed");
            service::fail_item(ctx, run_id, item_id, &failure).await
        }
    }?;
    Ok(())
}
