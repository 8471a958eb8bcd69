//! In-app notifications (Ops-UX contract): exactly one `OperationRunCompleted` for the run's
//! initiator when it completes, and one `OperationRunPaused` each time the run pauses itself
//! (a failure budget spent or a wave gate reached: it needs their action, docs/spec.md §13);
//! nothing for queued or running, nothing for runs without an operator. Progress lives in the
//! run detail, never here.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::exec;
use crate::domain::run::Outcome;
use crate::entities::notifications;
use crate::runs::query::RunView;

/// The kind written when a run completes.
pub const RUN_COMPLETED: &str = "OperationRunCompleted";
/// The kind written when a run pauses itself.
pub const RUN_PAUSED: &str = "OperationRunPaused";

/// A notification (wire format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    /// Id.
    pub id: i64,
    /// `OperationRunCompleted` or `OperationRunPaused`.
    pub kind: String,
    /// Short title.
    pub title: String,
    /// One sentence.
    pub body: String,
    /// The run it is about.
    pub run_id: Option<i64>,
    /// Extra data (outcome, counts, link).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When it was read (null = unread).
    pub read_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<notifications::Model> for NotificationView {
    fn from(n: notifications::Model) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            run_id: n.run_id,
            data: n.data,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// Writes the completion notification for the run's initiator (none without an operator).
/// The unique index on (operator, kind, run, episode) makes a second write a no-op.
pub async fn run_completed(
    db: &impl ConnectionTrait,
    run: &RunView,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(initiator) = &run.initiator else {
        return Ok(());
    };
    let title = format!("Run #{} {}", run.id, outcome.as_str().replace('_', " "));
    // Cancelled items are no longer counted as skipped: a cancelled run names them.
    let cancelled = match run.counts.cancelled {
        0 => String::new(),
        n => format!(", {n} cancelled"),
    };
    let body = format!(
        "{} over {} tenant(s): {} succeeded, {} failed, {} skipped{cancelled}; {} findings changed.",
        run.runbook,
        run.counts.total,
        run.counts.succeeded,
        run.counts.failed,
        run.counts.skipped,
        run.counts.findings_changed
    );
    let data = serde_json::json!({
        "run_id": run.id,
        "runbook": run.runbook,
        "outcome": outcome,
        "counts": run.counts,
        "link": format!("/system/ops/runs/{}", run.id),
    });
    insert(
        db,
        initiator.id,
        RUN_COMPLETED,
        run.id,
        0,
        title,
        body,
        data,
        now,
    )
    .await
}

/// Writes the notification of a run that paused itself (`why`, e.g. "its failure budget was
/// spent") for its initiator (none without an operator): one per pause `episode`.
pub async fn run_paused(
    db: &impl ConnectionTrait,
    run: &RunView,
    why: &str,
    episode: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(initiator) = &run.initiator else {
        return Ok(());
    };
    let title = format!("Run #{} paused", run.id);
    let body = format!(
        "{} paused after {} of {} tenant(s) ({} failed): {why}. Resume or cancel it.",
        run.runbook, run.counts.processed, run.counts.total, run.counts.failed
    );
    let data = serde_json::json!({
        "run_id": run.id,
        "runbook": run.runbook,
        "pause": run.pause,
        "counts": run.counts,
        "link": format!("/system/ops/runs/{}", run.id),
    });
    insert(
        db,
        initiator.id,
        RUN_PAUSED,
        run.id,
        episode,
        title,
        body,
        data,
        now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    db: &impl ConnectionTrait,
    operator_id: i64,
    kind: &str,
    run_id: i64,
    episode: i32,
    title: String,
    body: String,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    notifications::Entity::insert(notifications::ActiveModel {
        operator_id: Set(operator_id),
        kind: Set(kind.into()),
        run_id: Set(Some(run_id)),
        episode: Set(episode),
        title: Set(title),
        body: Set(body),
        data: Set(data),
        read_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        notifications::Column::OperatorId,
        notifications::Column::Kind,
        notifications::Column::RunId,
        notifications::Column::Episode,
    ])
    .exec(db)
    .await
    .map(|_| ())
}

/// One page of an operator's notifications (newest first), the total and the unread count.
pub async fn list(
    db: &impl ConnectionTrait,
    operator_id: i64,
    page: u64,
    per_page: u64,
) -> Result<(Vec<NotificationView>, u64, u64), DbErr> {
    let query =
        notifications::Entity::find().filter(notifications::Column::OperatorId.eq(operator_id));
    let total = query.clone().count(db).await?;
    let unread = query
        .clone()
        .filter(notifications::Column::ReadAt.is_null())
        .count(db)
        .await?;
    let rows = query
        .order_by_desc(notifications::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows.into_iter().map(Into::into).collect(), total, unread))
}

/// Marks one of the operator's notifications read; `None` when it is not theirs.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    operator_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<NotificationView>, DbErr> {
    exec(
        db,
        "UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? AND operator_id = ?",
        vec![now.into(), id.into(), operator_id.into()],
    )
    .await?;
    Ok(notifications::Entity::find_by_id(id)
        .filter(notifications::Column::OperatorId.eq(operator_id))
        .one(db)
        .await?
        .map(Into::into))
}

/// Marks the operator's unread notifications read — all of them, or with `up_to_id` only those
/// up to and including that id (the newest one the operator has seen), so one that arrives
/// between looking and clicking stays unread. Returns how many it marked and the unread count
/// afterwards.
pub async fn mark_all_read(
    db: &impl ConnectionTrait,
    operator_id: i64,
    up_to_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(u64, u64), DbErr> {
    let marked = notifications::Entity::update_many()
        .col_expr(notifications::Column::ReadAt, Expr::value(now))
        .filter(notifications::Column::OperatorId.eq(operator_id))
        .filter(notifications::Column::ReadAt.is_null())
        .apply_if(up_to_id, |q, id| {
            q.filter(notifications::Column::Id.lte(id))
        })
        .exec(db)
        .await?
        .rows_affected;
    let unread = notifications::Entity::find()
        .filter(notifications::Column::OperatorId.eq(operator_id))
        .filter(notifications::Column::ReadAt.is_null())
        .count(db)
        .await?;
    Ok((marked, unread))
}
