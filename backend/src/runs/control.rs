//! Run control (docs/spec.md §13): pause, resume, the concurrency cap of an active run, and the
//! pauses a run gives itself — its failure budget spent, or a wave finished.
//!
//! Every change moves the run through its one guarded transition ([`Transition`]) and writes
//! its job group (the claim's gates, [`crate::jobs::groups`]) in the same transaction, under
//! the run row's lock: a pause is in force for every worker the moment it commits, and an item
//! whose job was claimed just before is handed back when it tries to start
//! ([`crate::runs::service::start_item`] re-checks the run).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::auth::RequestMeta;
use crate::context::AppContext;
use crate::db::{self, exec};
use crate::domain::control::{self, RunOptions};
use crate::domain::run::{PauseReason, RunStatus};
use crate::entities::operation_runs;
use crate::jobs::groups;
use crate::runs::query::{self, InitiatorView, RunView};
use crate::runs::transition::Transition;
use crate::runs::{Initiator, RunError};
use crate::{alerts, notifications};

/// Why a run is paused, by whom and since when (the run view's `pause`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PauseView {
    /// `operator`, `failure_budget` or `wave_gate`.
    pub reason: PauseReason,
    /// The operator who paused it (`null` when the run paused itself).
    pub by: Option<InitiatorView>,
    /// The operator's reason, or what the run says about its own pause.
    pub text: Option<String>,
    /// When it paused.
    pub since: DateTime<Utc>,
}

/// Where a run with waves is (the run view's `wave`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveView {
    /// The last released wave (1-based).
    pub current: i64,
    /// How many waves there are.
    pub of: i64,
}

/// Why a run's unstarted items are not starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// Every worker is busy with jobs the round robin serves first (see `jobs_ahead`).
    Workers,
    /// Paused by an operator or by its failure budget.
    Paused,
    /// The database health gate holds every run (see the view's `throttle`).
    Throttled,
    /// As many items are running as `max_concurrency` allows.
    Capped,
    /// Paused at the end of a wave.
    WaveGate,
}

/// What a run with unstarted items is waiting for (the run view's `waiting_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaitingFor {
    /// Why.
    pub reason: WaitReason,
    /// For `workers`: claimable jobs the round robin serves before this run's next one.
    pub jobs_ahead: Option<i64>,
}

/// The run's options as stored (`{}` for a run started without any).
pub fn options_of(run: &operation_runs::Model) -> RunOptions {
    run.options
        .clone()
        .and_then(|json| serde_json::from_value(json).ok())
        .unwrap_or_default()
}

/// Seconds the run has been active (running, neither paused nor waiting), as of `now`.
pub fn active_seconds(run: &operation_runs::Model, now: DateTime<Utc>) -> i64 {
    run.active_seconds
        + run
            .active_since
            .map_or(0, |since| (now - since).num_seconds().max(0))
}

/// The pause facet of a run's view.
pub fn pause_view(run: &operation_runs::Model, by: Option<InitiatorView>) -> Option<PauseView> {
    match (run.status, run.pause_reason, run.paused_at) {
        (RunStatus::Paused, Some(reason), Some(since)) => Some(PauseView {
            reason,
            by,
            text: run.pause_text.clone(),
            since,
        }),
        _ => None,
    }
}

/// The wave facet of a run's view.
pub fn wave_view(run: &operation_runs::Model, options: &RunOptions) -> Option<WaveView> {
    options.waves.as_ref()?;
    Some(WaveView {
        current: i64::from(run.wave.unwrap_or(1)),
        of: options.wave_count(),
    })
}

/// What an active run with unstarted items waits for, or `None`.
pub async fn waiting_for(
    db: &impl ConnectionTrait,
    run: &operation_runs::Model,
    options: &RunOptions,
    now: DateTime<Utc>,
) -> Result<Option<WaitingFor>, DbErr> {
    let unstarted =
        run.enqueued_at.is_none() || run.total - run.processed - run.cancelled - run.running > 0;
    if !run.status.is_active() || !unstarted || run.cancel_reason.is_some() {
        return Ok(None);
    }
    let reason = match (run.status, run.pause_reason) {
        (RunStatus::Paused, Some(PauseReason::WaveGate)) => WaitReason::WaveGate,
        (RunStatus::Paused, _) => WaitReason::Paused,
        _ if run.throttle.is_some() => WaitReason::Throttled,
        _ if options
            .max_concurrency
            .is_some_and(|max| run.running >= max) =>
        {
            WaitReason::Capped
        }
        _ => {
            return Ok(Some(WaitingFor {
                reason: WaitReason::Workers,
                jobs_ahead: Some(groups::ahead_of(db, run.id, now).await?),
            }));
        }
    };
    Ok(Some(WaitingFor {
        reason,
        jobs_ahead: None,
    }))
}

/// The run row, locked for this transaction (PostgreSQL; SQLite's write transaction already
/// excludes every other writer).
async fn lock(txn: &DatabaseTransaction, run_id: i64) -> Result<operation_runs::Model, RunError> {
    operation_runs::Entity::find_by_id(run_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(RunError::RunNotFound)
}

/// Pauses `run` (locked) for `reason`: the status, the pause's facts and the group's hold, in
/// `txn`. False when the run may not pause: it is not queued or running, it is being cancelled,
/// or its last item has finished (it completes instead).
async fn apply_pause(
    txn: &DatabaseTransaction,
    run: &operation_runs::Model,
    reason: PauseReason,
    by: Option<i64>,
    text: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let paused = Transition::to(RunStatus::Paused)
        .setting(
            "pause_reason = ?, paused_by = ?, pause_text = ?, paused_at = ?, \
             pause_episode = pause_episode + 1, active_seconds = ?, active_since = NULL, ",
            vec![
                reason.as_str().into(),
                by.into(),
                text.into(),
                now.into(),
                active_seconds(run, now).into(),
            ],
        )
        .when(
            "AND cancel_reason IS NULL \
             AND NOT (enqueued_at IS NOT NULL AND processed + cancelled >= total)",
            vec![],
        )
        .apply(txn, run.id, now)
        .await?;
    if paused {
        groups::hold(txn, run.id).await?;
    }
    Ok(paused)
}

/// Who acted: the operator, or the system (the command line without `--operator`).
pub fn actor(by: Option<&Initiator>) -> Actor {
    by.map_or(Actor::System, |by| Actor::Operator {
        id: by.operator_id,
        username: by.username.clone(),
    })
}

/// The view of run `run_id` as it is now.
async fn view(ctx: &AppContext, run_id: i64) -> Result<RunView, RunError> {
    let run = query::find(&ctx.db, run_id)
        .await?
        .ok_or(RunError::RunNotFound)?;
    Ok(query::view(&ctx.db, &ctx.runbooks, run, ctx.now()).await?)
}

/// Audits a pause, resume or options change of run `run_id`.
async fn audit_control(ctx: &AppContext, event: Event, run_id: i64, metadata: serde_json::Value) {
    let mut event = event;
    event.target = Some(("operation_run", run_id.to_string()));
    event.metadata = metadata;
    audit::record(&ctx.db, event).await;
}

/// An operator pauses a queued or running run: no item starts until it is resumed; items
/// already running finish and count. 409 (`invalid_state`) for any other run.
pub async fn pause(
    ctx: &AppContext,
    run_id: i64,
    by: Option<&Initiator>,
    reason: &str,
    meta: &RequestMeta,
) -> Result<RunView, RunError> {
    let txn = db::begin_write(&ctx.db).await?;
    let run = lock(&txn, run_id).await?;
    let now = ctx.now();
    let refused = match run.status {
        RunStatus::Paused => Some("is already paused"),
        RunStatus::Completed => Some("has already completed"),
        _ if run.cancel_reason.is_some() => Some("is being cancelled"),
        _ => None,
    };
    if let Some(why) = refused {
        return Err(RunError::state(format!("run #{run_id} {why}")));
    }
    if !apply_pause(
        &txn,
        &run,
        PauseReason::Operator,
        by.map(|b| b.operator_id),
        reason,
        now,
    )
    .await?
    {
        return Err(RunError::state(format!(
            "run #{run_id} is finishing its last items and cannot pause"
        )));
    }
    txn.commit().await?;
    let view = view(ctx, run_id).await?;
    audit_control(
        ctx,
        meta.event("runbook.run.paused", actor(by)),
        run_id,
        serde_json::json!({
            "reason": reason,
            "pause_reason": PauseReason::Operator,
            "counts": view.counts,
        }),
    )
    .await;
    Ok(view)
}

/// An operator resumes a paused run: it returns to `running` (`queued` when no tenant has
/// started), its failure budget counts afresh, and a wave that finished while it was paused is
/// passed (the next wave is released). 409 (`invalid_state`) for a run that is not paused.
pub async fn resume(
    ctx: &AppContext,
    run_id: i64,
    by: Option<&Initiator>,
    reason: &str,
    meta: &RequestMeta,
) -> Result<RunView, RunError> {
    let txn = db::begin_write(&ctx.db).await?;
    let run = lock(&txn, run_id).await?;
    let now = ctx.now();
    if run.status != RunStatus::Paused {
        return Err(RunError::state(format!(
            "run #{run_id} is not paused (it is {})",
            run.status
        )));
    }
    if run.cancel_reason.is_some() {
        return Err(RunError::state(format!(
            "run #{run_id} is being cancelled; it completes once its running items finish"
        )));
    }
    let options = options_of(&run);
    let mut wave = run.wave;
    let mut gate = run.gate_ordinal;
    if let (Some(current), Some(end)) = (run.wave, run.gate_ordinal)
        && wave_finished(&txn, &run, end).await?
    {
        wave = Some(current + 1);
        gate = options.wave_end(i64::from(current) + 1);
    }
    let to = if run.started_at.is_some() {
        RunStatus::Running
    } else {
        RunStatus::Queued
    };
    // A run resumed during a health episode stays out of active time until the episode ends.
    let active_since = (to == RunStatus::Running && run.throttle.is_none()).then_some(now);
    let resumed = Transition::to(to)
        .from(&[RunStatus::Paused])
        .setting(
            "pause_reason = NULL, paused_by = NULL, pause_text = NULL, paused_at = NULL, \
             resumed_at = ?, budget_base = failed, active_since = ?, wave = ?, gate_ordinal = ?, ",
            vec![now.into(), active_since.into(), wave.into(), gate.into()],
        )
        .when("AND cancel_reason IS NULL", vec![])
        .apply(&txn, run_id, now)
        .await?;
    if !resumed {
        return Err(RunError::state(format!("run #{run_id} is not paused")));
    }
    groups::release(&txn, run_id, gate).await?;
    txn.commit().await?;
    let view = view(ctx, run_id).await?;
    audit_control(
        ctx,
        meta.event("runbook.run.resumed", actor(by)),
        run_id,
        serde_json::json!({
            "reason": reason,
            "resumed_from": run.pause_reason,
            "paused_at": run.paused_at,
            "wave": view.wave,
            "counts": view.counts,
        }),
    )
    .await;
    Ok(view)
}

/// Changes the concurrency cap of an active run (`None`: no cap); the claim applies it from
/// its next job.
pub async fn set_max_concurrency(
    ctx: &AppContext,
    run_id: i64,
    by: Option<&Initiator>,
    max_concurrency: Option<i64>,
    reason: &str,
    meta: &RequestMeta,
) -> Result<RunView, RunError> {
    control::check_max_concurrency(max_concurrency)
        .map_err(|e| RunError::invalid("max_concurrency", e.message))?;
    let txn = db::begin_write(&ctx.db).await?;
    let run = lock(&txn, run_id).await?;
    let now = ctx.now();
    if !run.status.is_active() {
        return Err(RunError::state(format!(
            "run #{run_id} has already completed"
        )));
    }
    let mut options = options_of(&run);
    let before = options.max_concurrency;
    options.max_concurrency = max_concurrency;
    let json = (!options.is_empty())
        .then(|| serde_json::to_value(&options))
        .transpose()
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    exec(
        &txn,
        "UPDATE operation_runs SET options = ?, updated_at = ? WHERE id = ?",
        vec![json.into(), now.into(), run_id.into()],
    )
    .await?;
    groups::set_max_running(&txn, run_id, max_concurrency).await?;
    txn.commit().await?;
    let view = view(ctx, run_id).await?;
    audit_control(
        ctx,
        meta.event("runbook.run.options_changed", actor(by)),
        run_id,
        serde_json::json!({
            "reason": reason,
            "max_concurrency": { "from": before, "to": max_concurrency },
        }),
    )
    .await;
    Ok(view)
}

/// Whether every item up to position `end` has finished (and all of them exist: the fan-out
/// may still be creating them).
async fn wave_finished(
    db: &impl ConnectionTrait,
    run: &operation_runs::Model,
    end: i64,
) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(db::stmt(
            db.get_database_backend(),
            "SELECT COUNT(*) AS items, \
             COALESCE(SUM(CASE WHEN status IN ('pending', 'running', 'retrying') THEN 1 ELSE 0 END), 0) AS unfinished \
             FROM run_items WHERE run_id = ? AND ordinal <= ?",
            vec![run.id.into(), end.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(false) };
    let items: i64 = row.try_get("", "items")?;
    let unfinished: i64 = row.try_get("", "unfinished")?;
    Ok(unfinished == 0 && (items >= end || run.enqueued_at.is_some()))
}

/// After an item of run `run_id` finished: pauses the run if its failure budget is spent or
/// its current wave has finished (docs/spec.md §13). The first trigger wins; a run whose last
/// item finished completes instead (the pause's guard).
pub async fn check_gates(ctx: &AppContext, run_id: i64) -> Result<(), DbErr> {
    let Some(run) = query::find(&ctx.db, run_id).await? else {
        return Ok(());
    };
    if run.status == RunStatus::Paused || !run.status.is_active() || run.cancel_reason.is_some() {
        return Ok(());
    }
    let failed_since = run.failed - run.budget_base;
    let trigger = match (run.max_failed, run.gate_ordinal) {
        (Some(max), _) if failed_since > max => Some((
            PauseReason::FailureBudget,
            format!(
                "{failed_since} tenant(s) failed since the run {}; its failure budget allows {max}",
                if run.resumed_at.is_some() {
                    "was last resumed"
                } else {
                    "started"
                }
            ),
        )),
        (_, Some(end)) if wave_finished(&ctx.db, &run, end).await? => {
            let options = options_of(&run);
            let wave = i64::from(run.wave.unwrap_or(1));
            Some((
                PauseReason::WaveGate,
                format!(
                    "wave {wave} of {} finished ({end} tenants); resume to start wave {}",
                    options.wave_count(),
                    wave + 1
                ),
            ))
        }
        _ => None,
    };
    match trigger {
        Some((reason, text)) => pause_itself(ctx, run_id, reason, &text).await,
        None => Ok(()),
    }
}

/// The run pauses itself: one `OperationRunPaused` notification to its initiator and, for a
/// spent failure budget, one alert, both per pause episode, written with the pause.
async fn pause_itself(
    ctx: &AppContext,
    run_id: i64,
    reason: PauseReason,
    text: &str,
) -> Result<(), DbErr> {
    let txn = db::begin_write(&ctx.db).await?;
    let run = match lock(&txn, run_id).await {
        Ok(run) => run,
        Err(RunError::Db(e)) => return Err(e),
        Err(_) => return Ok(()),
    };
    let now = ctx.now();
    if !apply_pause(&txn, &run, reason, None, text, now).await? {
        return txn.rollback().await;
    }
    let paused = query::find(&txn, run_id)
        .await?
        .ok_or_else(|| DbErr::Custom(format!("run {run_id} went missing")))?;
    let episode = paused.pause_episode;
    let view = query::view(&txn, &ctx.runbooks, paused, now).await?;
    notifications::run_paused(&txn, &view, text, episode, now).await?;
    if reason == PauseReason::FailureBudget && alerts::configured(ctx) {
        let alert =
            crate::runs::service::run_alert(ctx, &txn, &view, "operation_run.paused", episode, now)
                .await?;
        alerts::enqueue(&txn, &alert, now).await?;
    }
    txn.commit().await?;
    let mut event = Event::new("runbook.run.paused", Actor::System);
    event.source = Some("worker".into());
    audit_control(
        ctx,
        event,
        run_id,
        serde_json::json!({
            "reason": text,
            "pause_reason": reason,
            "counts": view.counts,
        }),
    )
    .await;
    tracing::warn!(run_id, %reason, "run paused itself");
    Ok(())
}
