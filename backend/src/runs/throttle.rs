//! Runs under the health gate (docs/spec.md §14): while the gate is throttled, each active run
//! carries the episode's reason (`throttle`) from the moment the episode reaches it, its active
//! time stops, and one `runbook.run.throttled` audit event says so; when the episode ends the
//! stamp goes, its active time resumes (if it is running) and `runbook.run.unthrottled` is
//! written. Both writes bump `updated_at`, so ETags and event streams see them. A chore does it
//! every second from the gate the sampler keeps; the gate itself (no tenant starts) does not
//! wait for it.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::context::AppContext;
use crate::db::{self, exec};
use crate::domain::run::RunStatus;
use crate::entities::operation_runs;
use crate::health::{self, GateState};
use crate::jobs::Chore;
use crate::runs::{control, transition};

/// Why a run is throttled (the run view's `throttle`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThrottleView {
    /// The indicator over its threshold.
    pub indicator: String,
    /// Its value when the episode reached the run.
    pub value: Option<f64>,
    /// Its threshold.
    pub threshold: f64,
    /// When the episode reached the run.
    pub since: DateTime<Utc>,
}

/// The throttle facet of a run's view.
pub fn throttle_view(run: &operation_runs::Model) -> Option<ThrottleView> {
    run.throttle
        .clone()
        .and_then(|json| serde_json::from_value(json).ok())
}

/// The chore that stamps and clears the runs, every second.
#[derive(Debug, Clone, Copy)]
pub struct Stamper;

impl Chore for Stamper {
    fn name(&self) -> &'static str {
        "runs.throttle"
    }

    fn every(&self) -> StdDuration {
        StdDuration::from_secs(1)
    }

    fn tick<'a>(&'a self, ctx: &'a AppContext) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move { apply(ctx).await.map_err(Into::into) })
    }
}

/// Brings every active run's stamp in line with the gate now.
pub async fn apply(ctx: &AppContext) -> Result<(), DbErr> {
    let now = ctx.now();
    let gate = health::view(&ctx.db, &ctx.settings.health, now).await?;
    let runs = operation_runs::Entity::find()
        .filter(operation_runs::Column::Status.is_in(RunStatus::ACTIVE.map(RunStatus::as_str)))
        .all(&ctx.db)
        .await?;
    let throttled = gate.state == GateState::Throttled;
    let gate_word = match gate.state {
        GateState::Stale => "stale",
        _ => "healthy",
    };
    for run in runs {
        if let (true, Some(reason), None) = (throttled, &gate.reason, &run.throttle) {
            let stamp = ThrottleView {
                indicator: reason.name.clone(),
                value: reason.value,
                threshold: reason.threshold,
                since: now,
            };
            if stamp_run(ctx, &run, &stamp, now).await? {
                audit_run(
                    ctx,
                    "runbook.run.throttled",
                    run.id,
                    serde_json::json!({ "throttle": stamp }),
                )
                .await;
            }
        } else if !throttled && run.throttle.is_some() && clear_run(ctx, &run, now).await? {
            audit_run(
                ctx,
                "runbook.run.unthrottled",
                run.id,
                serde_json::json!({ "throttle": throttle_view(&run), "gate": gate_word }),
            )
            .await;
        }
    }
    Ok(())
}

/// Stamps `run` (not stamped yet, still active): its active time stops.
async fn stamp_run(
    ctx: &AppContext,
    run: &operation_runs::Model,
    stamp: &ThrottleView,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let json = serde_json::to_value(stamp).map_err(|e| DbErr::Custom(e.to_string()))?;
    let (active, mut values) = transition::active();
    values.splice(
        0..0,
        [
            json.into(),
            control::active_seconds(run, now).into(),
            now.into(),
            run.id.into(),
        ],
    );
    let txn = db::begin_write(&ctx.db).await?;
    let stamped = exec(
        &txn,
        &format!(
            "UPDATE operation_runs SET throttle = ?, active_seconds = ?, active_since = NULL, \
             updated_at = ? WHERE id = ? AND throttle IS NULL AND {active}"
        ),
        values,
    )
    .await?
        == 1;
    txn.commit().await?;
    Ok(stamped)
}

/// Clears `run`'s stamp: a running run's active time resumes.
async fn clear_run(
    ctx: &AppContext,
    run: &operation_runs::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let cleared = exec(
        &ctx.db,
        "UPDATE operation_runs SET throttle = NULL, \
         active_since = CASE WHEN status = ? THEN ? ELSE active_since END, updated_at = ? \
         WHERE id = ? AND throttle IS NOT NULL",
        vec![
            RunStatus::Running.as_str().into(),
            now.into(),
            now.into(),
            run.id.into(),
        ],
    )
    .await?
        == 1;
    Ok(cleared)
}

/// Audits `action` about run `run_id` (the gate's, so the system's).
pub async fn audit_run(
    ctx: &AppContext,
    action: &'static str,
    run_id: i64,
    metadata: serde_json::Value,
) {
    let mut event = Event::new(action, Actor::System);
    event.source = Some("worker".into());
    event.target = Some(("operation_run", run_id.to_string()));
    event.metadata = metadata;
    audit::record(&ctx.db, event).await;
}
