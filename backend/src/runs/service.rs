//! The run record's transitions and counters. Every change is one guarded SQL statement;
//! counters are incremented in SQL, never read-modify-written in memory.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::audit::{self, Actor, Event};
use crate::auth::RequestMeta;
use crate::context::AppContext;
use crate::db::{self, exec};
use crate::domain::run::{ItemStatus, Outcome, RunStatus};
use crate::entities::{operation_runs, run_items};
use crate::runbooks::TenantReport;
use crate::runs::failure::ItemFailure;
use crate::runs::query::{self, RunView};
use crate::runs::transition::{self, Transition};
use crate::runs::{Initiator, RunError};
use crate::runs::{attempts, control};
use crate::{alerts, notifications};

/// What [`start_item`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// The item is `running` for this attempt.
    Started,
    /// The item is no longer waiting (finished or cancelled meanwhile).
    NotWaiting,
    /// The run may not start items now (paused or being cancelled since the job was claimed):
    /// the job goes back, its attempt not counted (docs/spec.md §13).
    HandBack,
}

/// Starts an item (pending, one whose worker was lost, or — `retrying` — one waiting for its
/// next attempt) for its job's `attempt` by `worker`. The run row comes first: the run must be
/// queued or running and not being cancelled (an item already running — its job reclaimed,
/// or run again — goes on whatever the run), and counts the item in `running`; a run that may
/// not start items gives [`Started::HandBack`]. The item's attempts are its job's, so an
/// attempt the queue does not count (a job handed back) is not counted here either. The
/// attempt's row is opened, and a queued run becomes `running`, in the same transaction
/// (docs/spec.md §13, §21).
pub async fn start_item(
    ctx: &AppContext,
    run_id: i64,
    item_id: i64,
    attempt: i32,
    worker: &str,
    retrying: bool,
) -> Result<Started, DbErr> {
    let txn = db::begin_write(&ctx.db).await?;
    let (startable, mut values) = transition::status_in(&[RunStatus::Queued, RunStatus::Running]);
    values.splice(0..0, [item_id.into(), ctx.now().into(), run_id.into()]);
    values.push(item_id.into());
    let open = exec(
        &txn,
        &format!(
            "UPDATE operation_runs SET running = running + (SELECT COUNT(*) FROM run_items \
               WHERE id = ? AND status IN ('pending', 'retrying')), updated_at = ? \
             WHERE id = ? AND ((cancel_reason IS NULL AND {startable}) \
               OR EXISTS (SELECT 1 FROM run_items WHERE id = ? AND status = 'running'))"
        ),
        values,
    )
    .await?
        == 1;
    if !open {
        // The run may not start items; an item no longer waiting (cancelled with its run) has
        // nothing to hand back.
        let waiting = txn
            .query_one_raw(db::stmt(
                txn.get_database_backend(),
                "SELECT COUNT(*) AS n FROM run_items WHERE id = ? AND status IN ('pending', 'retrying')",
                vec![item_id.into()],
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        txn.rollback().await?;
        return Ok(if waiting > 0 {
            Started::HandBack
        } else {
            Started::NotWaiting
        });
    }
    // Read after the run row's lock: a pause that committed first has already handed this back.
    let now = ctx.now();
    let started = if retrying {
        let resumed = exec(
            &txn,
            "UPDATE run_items SET status = 'running', attempts = ?, next_attempt_at = NULL, \
             updated_at = ? WHERE id = ? AND status = 'retrying'",
            vec![attempt.into(), now.into(), item_id.into()],
        )
        .await?
            == 1;
        if resumed {
            exec(
                &txn,
                "UPDATE operation_runs SET retrying = retrying - 1 WHERE id = ?",
                vec![run_id.into()],
            )
            .await?;
        }
        resumed
    } else {
        exec(
            &txn,
            "UPDATE run_items SET status = 'running', attempts = ?, \
             started_at = COALESCE(started_at, ?), updated_at = ? \
             WHERE id = ? AND status IN ('pending', 'running')",
            vec![attempt.into(), now.into(), now.into(), item_id.into()],
        )
        .await?
            == 1
    };
    if !started {
        txn.rollback().await?;
        return Ok(Started::NotWaiting);
    }
    attempts::begin(&txn, item_id, attempt, worker, now).await?;
    // The first tenant makes a queued run running (and its active time starts).
    Transition::to(RunStatus::Running)
        .from(&[RunStatus::Queued])
        .setting(
            "started_at = ?, active_since = CASE WHEN throttle IS NULL THEN ? ELSE NULL END, ",
            vec![now.into(), now.into()],
        )
        .apply(&txn, run_id, now)
        .await?;
    txn.commit().await?;
    Ok(Started::Started)
}

/// Inside the transaction that hands an item's job back unfinished: a `running` item returns
/// to `pending`, its unfinished attempt not counted (the job's attempt is not counted either),
/// nor listed among its attempts (docs/spec.md §21).
pub async fn return_item(
    txn: &impl ConnectionTrait,
    item_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let returned = exec(
        txn,
        "UPDATE run_items SET status = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
         updated_at = ? \
         WHERE id = ? AND status = 'running'",
        vec![now.into(), item_id.into()],
    )
    .await?;
    if returned == 1 {
        attempts::forget_open(txn, item_id).await?;
        exec(
            txn,
            "UPDATE operation_runs SET running = running - 1, updated_at = ? \
             WHERE id = (SELECT run_id FROM run_items WHERE id = ?)",
            vec![now.into(), item_id.into()],
        )
        .await?;
    }
    Ok(())
}

/// Inside the transaction that reschedules the item's job: the item is `retrying` until
/// `next_attempt_at`, with the failed attempt's error, and counts in the run's `retrying`; the
/// attempt ends with that error (docs/spec.md §21).
pub async fn mark_retrying(
    txn: &impl ConnectionTrait,
    run_id: i64,
    item_id: i64,
    failure: &ItemFailure,
    next_attempt_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    // A running item leaves the run's `running` count as it waits.
    for (from, was_running) in [("= 'running'", 1i64), ("= 'pending'", 0)] {
        let updated = exec(
            txn,
            &format!(
                "UPDATE run_items SET status = 'retrying', last_error = ?, error_sqlstate = ?, \
                 next_attempt_at = ?, updated_at = ? WHERE id = ? AND status {from}"
            ),
            vec![
                failure.text().into(),
                failure.sqlstate.clone().into(),
                next_attempt_at.into(),
                now.into(),
                item_id.into(),
            ],
        )
        .await?;
        if updated == 1 {
            exec(
                txn,
                "UPDATE operation_runs SET retrying = retrying + 1, running = running - ?, \
                 updated_at = ? WHERE id = ?",
                vec![was_running.into(), now.into(), run_id.into()],
            )
            .await?;
            break;
        }
    }
    // The attempt failed whatever became of the item meanwhile.
    attempts::end(txn, item_id, Some(failure), now).await?;
    Ok(())
}

/// What [`record_success`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The item was finished by someone else; the caller rolls back.
    AlreadyFinished,
    /// The item is `succeeded` and counted. `run_may_complete` is true when, as of this
    /// transaction, every item of a fully enqueued run is processed: only then does the caller
    /// need [`try_finalize`] (items counted before the fan-out ends are covered by its own
    /// [`mark_enqueued`], which waits for this row lock).
    Counted {
        /// Whether to call [`try_finalize`] after commit.
        run_may_complete: bool,
        /// Whether the run has a failure budget or a wave gate to check after commit
        /// ([`control::check_gates`]).
        gated: bool,
    },
}

/// What an item's counting statement returns about its run: whether every item may be
/// processed (`may_complete`), and whether it has a gate to check (`gated`).
const AFTER_ITEM: &str = "CASE WHEN enqueued_at IS NOT NULL AND processed + cancelled >= total \
       THEN 1 ELSE 0 END AS may_complete, \
     CASE WHEN max_failed IS NOT NULL OR gate_ordinal IS NOT NULL THEN 1 ELSE 0 END AS gated";

/// Reads [`AFTER_ITEM`]'s row.
fn after_item(row: Option<sea_orm::QueryResult>) -> Result<(bool, bool), DbErr> {
    let Some(row) = row else {
        return Ok((false, false));
    };
    let may_complete: i32 = row.try_get("", "may_complete")?;
    let gated: i32 = row.try_get("", "gated")?;
    Ok((may_complete == 1, gated == 1))
}

/// Inside the tenant's transaction: marks the item succeeded, ends its attempt and bumps the
/// run's counters.
/// The counters are the transaction's last statement, so the run row stays locked only for
/// the commit, not while the tenant is rebuilt.
pub async fn record_success(
    txn: &impl ConnectionTrait,
    run_id: i64,
    item_id: i64,
    report: &TenantReport,
    now: DateTime<Utc>,
) -> Result<Recorded, DbErr> {
    let by_rule = serde_json::to_value(&report.changes_by_rule).unwrap_or_default();
    let updated = exec(
        txn,
        "UPDATE run_items SET status = 'succeeded', findings_examined = ?, findings_changed = ?, \
         changes_by_rule = ?, conflicts = ?, last_error = NULL, error_sqlstate = NULL, \
         completed_at = ?, updated_at = ? WHERE id = ? AND status = 'running'",
        vec![
            (report.examined as i64).into(),
            (report.changed as i64).into(),
            by_rule.into(),
            (report.conflicts as i64).into(),
            now.into(),
            now.into(),
            item_id.into(),
        ],
    )
    .await?;
    if updated != 1 {
        return Ok(Recorded::AlreadyFinished);
    }
    attempts::end(txn, item_id, None, now).await?;
    let row = txn
        .query_one_raw(db::stmt(
            txn.get_database_backend(),
            &format!(
                "UPDATE operation_runs SET processed = processed + 1, succeeded = succeeded + 1, \
                 running = running - 1, findings_changed = findings_changed + ?, \
                 conflicts = conflicts + ?, progressed_at = ?, updated_at = ? WHERE id = ? \
                 RETURNING {AFTER_ITEM}"
            ),
            vec![
                (report.changed as i64).into(),
                (report.conflicts as i64).into(),
                now.into(),
                now.into(),
                run_id.into(),
            ],
        ))
        .await?;
    let (run_may_complete, gated) = after_item(row)?;
    Ok(Recorded::Counted {
        run_may_complete,
        gated,
    })
}

/// Marks an item failed for good (an error no retry can fix, or retries exhausted), ends its
/// open attempt with the error, counts it, audits `runbook.tenant.failed` and finalizes the
/// run if it was the last item.
pub async fn fail_item(
    ctx: &AppContext,
    run_id: i64,
    item_id: i64,
    failure: &ItemFailure,
) -> Result<(), DbErr> {
    let now = ctx.now();
    let error = failure.text();
    let txn = db::begin_write(&ctx.db).await?;
    let mut updated = 0;
    let mut gated = false;
    // A `running` or `retrying` item leaves the run's count of those as it fails.
    for (from, was_running, was_retrying) in [
        ("= 'running'", 1i64, 0i64),
        ("= 'pending'", 0, 0),
        ("= 'retrying'", 0, 1),
    ] {
        updated = exec(
            &txn,
            &format!(
                "UPDATE run_items SET status = 'failed', last_error = ?, error_sqlstate = ?, \
                 next_attempt_at = NULL, completed_at = ?, updated_at = ? \
                 WHERE id = ? AND status {from}"
            ),
            vec![
                error.clone().into(),
                failure.sqlstate.clone().into(),
                now.into(),
                now.into(),
                item_id.into(),
            ],
        )
        .await?;
        if updated == 1 {
            attempts::end(&txn, item_id, Some(failure), now).await?;
            let row = txn
                .query_one_raw(db::stmt(
                    txn.get_database_backend(),
                    &format!(
                        "UPDATE operation_runs SET processed = processed + 1, failed = failed + 1, \
                         running = running - ?, retrying = retrying - ?, progressed_at = ?, \
                         updated_at = ? WHERE id = ? RETURNING {AFTER_ITEM}"
                    ),
                    vec![
                        was_running.into(),
                        was_retrying.into(),
                        now.into(),
                        now.into(),
                        run_id.into(),
                    ],
                ))
                .await?;
            gated = after_item(row)?.1;
            break;
        }
    }
    txn.commit().await?;
    if updated == 1 {
        let tenant_id = run_items::Entity::find_by_id(item_id)
            .one(&ctx.db)
            .await?
            .map(|i| i.tenant_id);
        let mut event = Event::new("runbook.tenant.failed", Actor::System);
        event.source = Some("worker".into());
        event.target = Some(("operation_run", run_id.to_string()));
        let tenant = match tenant_id {
            Some(id) => query::tenant_refs(&ctx.db, [id]).await?.remove(&id),
            None => None,
        };
        event.metadata = serde_json::json!({
            "item_id": item_id,
            "tenant_id": tenant_id,
            "tenant": tenant,
            "error": error,
            "sqlstate": failure.sqlstate,
        });
        audit::record(&ctx.db, event).await;
        if try_finalize(ctx, run_id).await?.is_none() && gated {
            control::check_gates(ctx, run_id).await?;
        }
    }
    Ok(())
}

/// Called by the fan-out once every item exists: fixes `total` to the real item count (tenants
/// may have been deleted since the start) and opens the run for finalization. A run cancelled
/// before its fan-out finished keeps its plan's count: the tenants that never got an item
/// count as cancelled, so it reads "0 of N, N cancelled", not "0 of 0".
pub async fn mark_enqueued(ctx: &AppContext, run_id: i64) -> Result<(), DbErr> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.db).await?;
    let items: i64 = txn
        .query_one_raw(db::stmt(
            txn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM run_items WHERE run_id = ?",
            vec![run_id.into()],
        ))
        .await?
        .map(|row| row.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    exec(
        &txn,
        "UPDATE operation_runs SET \
         cancelled = cancelled + CASE WHEN cancel_reason IS NOT NULL AND total > ? THEN total - ? ELSE 0 END, \
         total = CASE WHEN cancel_reason IS NOT NULL AND total > ? THEN total ELSE ? END, \
         enqueued_at = ?, updated_at = ? WHERE id = ? AND enqueued_at IS NULL",
        vec![
            items.into(),
            items.into(),
            items.into(),
            items.into(),
            now.into(),
            now.into(),
            run_id.into(),
        ],
    )
    .await?;
    txn.commit().await?;
    try_finalize(ctx, run_id).await.map(|_| ())
}

/// Cancels an item of a cancelled run that was still `from` (`pending` or `retrying`) when its
/// job came: a job that raced the cancel (a retry rescheduled, or an item the fan-out created
/// meanwhile) runs no rebuild. The run finalizes if it was the last item.
pub async fn cancel_item(
    ctx: &AppContext,
    run_id: i64,
    item_id: i64,
    from: ItemStatus,
) -> Result<(), DbErr> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.db).await?;
    let updated = exec(
        &txn,
        "UPDATE run_items SET status = 'cancelled', next_attempt_at = NULL, completed_at = ?, \
         updated_at = ? WHERE id = ? AND status = ?",
        vec![now.into(), now.into(), item_id.into(), from.as_str().into()],
    )
    .await?;
    if updated == 1 {
        let was_retrying = i64::from(from == ItemStatus::Retrying);
        exec(
            &txn,
            "UPDATE operation_runs SET cancelled = cancelled + 1, retrying = retrying - ?, \
             updated_at = ? WHERE id = ?",
            vec![was_retrying.into(), now.into(), run_id.into()],
        )
        .await?;
    }
    txn.commit().await?;
    if updated == 1 {
        try_finalize(ctx, run_id).await?;
    }
    Ok(())
}

/// Completes the run when every item is processed or cancelled — exactly once, whoever calls it: the guarded
/// `UPDATE ... WHERE status <> 'completed'` lets one caller through. In the same transaction
/// the initiator's notification and the alert outbox row are written; the audit event follows.
pub async fn try_finalize(ctx: &AppContext, run_id: i64) -> Result<Option<Outcome>, DbErr> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.db).await?;
    let completed = Transition::to(RunStatus::Completed)
        .setting(
            "outcome = CASE WHEN cancel_reason IS NOT NULL THEN ? WHEN total = 0 THEN ? \
                            WHEN failed = 0 THEN ? WHEN succeeded = 0 THEN ? ELSE ? END, \
             active_scope_key = NULL, started_at = COALESCE(started_at, ?), completed_at = ?, \
             pause_reason = NULL, paused_by = NULL, pause_text = NULL, paused_at = NULL, ",
            vec![
                Outcome::Cancelled.as_str().into(),
                Outcome::Failed.as_str().into(),
                Outcome::Succeeded.as_str().into(),
                Outcome::Failed.as_str().into(),
                Outcome::PartiallySucceeded.as_str().into(),
                now.into(),
                now.into(),
            ],
        )
        .when(
            "AND enqueued_at IS NOT NULL AND processed + cancelled >= total",
            vec![],
        )
        .apply(&txn, run_id, now)
        .await?;
    if !completed {
        txn.rollback().await?;
        return Ok(None);
    }
    let Some(run) = operation_runs::Entity::find_by_id(run_id).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(None);
    };
    // Its active time stops, and its job group goes with its last job; a run that completes
    // during a health episode leaves it here (docs/spec.md §14).
    let throttled = run.throttle.clone();
    let run = operation_runs::Model {
        active_seconds: control::active_seconds(&run, now),
        active_since: None,
        throttle: None,
        ..run
    };
    exec(
        &txn,
        "UPDATE operation_runs SET active_seconds = ?, active_since = NULL, throttle = NULL WHERE id = ?",
        vec![run.active_seconds.into(), run_id.into()],
    )
    .await?;
    crate::jobs::groups::remove(&txn, run_id).await?;
    let outcome = run.outcome.unwrap_or(Outcome::Failed);
    let summary = match outcome {
        Outcome::Failed if run.total == 0 => Some("no tenant in scope".to_owned()),
        Outcome::Failed | Outcome::PartiallySucceeded => {
            Some(format!("{} of {} tenants failed", run.failed, run.total))
        }
        _ => None,
    };
    if let Some(summary) = &summary {
        exec(
            &txn,
            "UPDATE operation_runs SET error_summary = ? WHERE id = ?",
            vec![summary.clone().into(), run_id.into()],
        )
        .await?;
    }
    // The view carries the summary just written, so the notification and the alert have it.
    let run = operation_runs::Model {
        error_summary: summary.clone().or(run.error_summary),
        ..run
    };
    let view = query::view(&txn, &ctx.runbooks, run, now).await?;
    notifications::run_completed(&txn, &view, outcome, now).await?;
    if matches!(outcome, Outcome::Failed | Outcome::PartiallySucceeded) && alerts::configured(ctx) {
        let alert = run_alert(ctx, &txn, &view, "operation_run.completed", 0, now).await?;
        alerts::enqueue(&txn, &alert, now).await?;
    }
    txn.commit().await?;
    if let Some(throttle) = throttled {
        crate::runs::throttle::audit_run(
            ctx,
            "runbook.run.unthrottled",
            run_id,
            serde_json::json!({ "throttle": throttle, "gate": "completed" }),
        )
        .await;
    }
    let mut event = Event::new("runbook.run.completed", Actor::System);
    event.source = Some(view.source.as_str().to_owned());
    event.target = Some(("operation_run", run_id.to_string()));
    event.metadata = serde_json::json!({
        "runbook": view.runbook,
        "scope": view.scope,
        "outcome": outcome,
        "counts": view.counts,
        "error_summary": summary,
    });
    audit::record(&ctx.db, event).await;
    tracing::info!(run_id, outcome = %outcome, "run completed");
    Ok(Some(outcome))
}

/// The webhook message `kind` (episode `episode`) about a run: its view's facts (outcome or
/// pause) and the first failed tenants with their errors.
pub async fn run_alert(
    ctx: &AppContext,
    db: &impl ConnectionTrait,
    view: &RunView,
    kind: &'static str,
    episode: i32,
    now: DateTime<Utc>,
) -> Result<alerts::RunAlert, DbErr> {
    let failed = query::ItemFilter {
        status: Some(ItemStatus::Failed),
        search: None,
    };
    let failed_tenants = query::items_after(db, view.id, &failed, 0, alerts::FAILED_TENANTS, now)
        .await?
        .into_iter()
        .map(|item| alerts::FailedTenant {
            id: item.tenant_id,
            external_id: item.tenant_external_id,
            name: item.tenant_name,
            error: item.error,
        })
        .collect();
    let json = |v: serde_json::Result<serde_json::Value>| v.unwrap_or_default();
    Ok(alerts::RunAlert {
        kind,
        episode,
        run_id: view.id,
        runbook: view.runbook.clone(),
        scope: json(serde_json::to_value(&view.scope)),
        outcome: view.outcome,
        pause: view.pause.as_ref().map(|p| json(serde_json::to_value(p))),
        counts: json(serde_json::to_value(view.counts)),
        error_summary: view.error_summary.clone(),
        failed_tenants,
        console_url: ctx
            .settings
            .public_url
            .as_ref()
            .map(|base| format!("{base}/system/ops/runs/{}", view.id)),
        initiator: json(serde_json::to_value(&view.initiator)),
        completed_at: view.completed_at,
    })
}

/// Cancels a run: pending items and those waiting for a retry become `cancelled` (counted in
/// `cancelled`, not as processed work), their jobs are withdrawn, running ones finish, and the
/// run completes with outcome `cancelled` once they have.
pub async fn cancel(
    ctx: &AppContext,
    run_id: i64,
    by: Option<&Initiator>,
    reason: &str,
    meta: &RequestMeta,
) -> Result<RunView, RunError> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.db).await?;
    let Some(run) = operation_runs::Entity::find_by_id(run_id).one(&txn).await? else {
        return Err(RunError::RunNotFound);
    };
    if !run.status.is_active() {
        return Err(RunError::state(format!(
            "run #{run_id} has already completed"
        )));
    }
    let (active, mut values) = transition::active();
    values.splice(
        0..0,
        [
            reason.into(),
            by.map(|b| b.operator_id).into(),
            now.into(),
            run_id.into(),
        ],
    );
    let updated = exec(
        &txn,
        &format!(
            "UPDATE operation_runs SET cancel_reason = ?, cancelled_by = ?, updated_at = ? \
             WHERE id = ? AND cancel_reason IS NULL AND {active}"
        ),
        values,
    )
    .await?;
    if updated != 1 {
        return Err(RunError::state(format!(
            "run #{run_id} is already being cancelled"
        )));
    }
    let mut cancelled = [0u64; 2];
    for (n, from) in cancelled
        .iter_mut()
        .zip([ItemStatus::Pending, ItemStatus::Retrying])
    {
        *n = exec(
            &txn,
            "UPDATE run_items SET status = 'cancelled', next_attempt_at = NULL, completed_at = ?, \
             updated_at = ? WHERE run_id = ? AND status = ?",
            vec![now.into(), now.into(), run_id.into(), from.as_str().into()],
        )
        .await?;
    }
    let [pending, retrying] = cancelled;
    let cancelled = pending + retrying;
    exec(
        &txn,
        "UPDATE operation_runs SET cancelled = cancelled + ?, retrying = retrying - ? WHERE id = ?",
        vec![
            (cancelled as i64).into(),
            (retrying as i64).into(),
            run_id.into(),
        ],
    )
    .await?;
    crate::jobs::withdraw_pending::<crate::runs::execute::tenant::TenantJob>(&txn, run_id).await?;
    crate::jobs::groups::cancelling(&txn, run_id).await?;
    txn.commit().await?;
    let mut event = meta.event("runbook.run.cancelled", control::actor(by));
    event.target = Some(("operation_run", run_id.to_string()));
    event.metadata = serde_json::json!({ "reason": reason, "items_cancelled": cancelled });
    audit::record(&ctx.db, event).await;
    try_finalize(ctx, run_id).await?;
    let run = query::find(&ctx.db, run_id)
        .await?
        .ok_or(RunError::RunNotFound)?;
    Ok(query::view(&ctx.db, &ctx.runbooks, run, ctx.now()).await?)
}
