//! Read models of runs and items (SPEC §6 wire format), lists with filters and pagination.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::run::{ItemStatus, Outcome, ReasonCode, RunStatus, Scope, Source};
use crate::entities::{operation_runs, operators, run_items, tenants};

/// The operator who started a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InitiatorView {
    /// Operator id.
    pub id: i64,
    /// Operator username.
    pub username: String,
}

/// A run's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReasonView {
    /// Reason code.
    pub code: ReasonCode,
    /// Reason text.
    pub text: String,
}

/// A run's counters; `processed = succeeded + failed + skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    /// Items in the run.
    pub total: i64,
    /// Items finished in any way.
    pub processed: i64,
    /// Items rebuilt.
    pub succeeded: i64,
    /// Items failed.
    pub failed: i64,
    /// Items skipped or cancelled.
    pub skipped: i64,
    /// Findings changed over all items.
    pub findings_changed: i64,
}

/// A run (SPEC §6 wire format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunView {
    /// Run id.
    pub id: i64,
    /// Runbook key.
    pub runbook: String,
    /// Runbook version that ran.
    pub runbook_version: i32,
    /// Scope.
    pub scope: Scope,
    /// The runbook's parameters (parsed, defaults filled in; `{}` for a runbook without any).
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
    /// The instant of the preflight the run was planned with (`null` for runs made before
    /// parameters existed).
    pub planned_at: Option<DateTime<Utc>>,
    /// For a single-tenant run, the tenant's workspace.
    pub workspace_id: Option<i64>,
    /// `queued`, `running` or `completed`.
    pub status: RunStatus,
    /// Set when completed.
    pub outcome: Option<Outcome>,
    /// Where it was started from.
    pub source: Source,
    /// The operator who started it (null for CLI/deploy without an operator).
    pub initiator: Option<InitiatorView>,
    /// Why.
    pub reason: ReasonView,
    /// The preflight it was confirmed against.
    pub preflight_id: Option<String>,
    /// Counters.
    pub counts: Counts,
    /// 0–100.
    pub progress_percent: f64,
    /// Remaining seconds at the observed throughput (null when unknown or done).
    pub eta_seconds: Option<i64>,
    /// Why it failed, when it did.
    pub error_summary: Option<String>,
    /// Cancellation reason, when cancelled.
    pub cancel_reason: Option<String>,
    /// The run whose failed tenants this run retries.
    pub retry_of_run_id: Option<i64>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// First tenant job started.
    pub started_at: Option<DateTime<Utc>>,
    /// Completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Last change of the record (drives the ETag).
    pub updated_at: DateTime<Utc>,
}

/// One tenant's item (SPEC §6 wire format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItemView {
    /// Item id.
    pub id: i64,
    /// Tenant id.
    pub tenant_id: i64,
    /// Tenant external id.
    pub tenant_external_id: String,
    /// Item status.
    pub status: ItemStatus,
    /// Attempts so far.
    pub attempts: i32,
    /// Findings examined.
    pub findings_examined: i64,
    /// Findings changed.
    pub findings_changed: i64,
    /// Changes per rule.
    #[schema(value_type = Option<Object>)]
    pub changes_by_rule: Option<serde_json::Value>,
    /// Last error.
    pub error: Option<String>,
    /// Started.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Builds the view of `run` (one extra query for the initiator's username).
pub async fn view(
    db: &impl ConnectionTrait,
    run: operation_runs::Model,
    now: DateTime<Utc>,
) -> Result<RunView, DbErr> {
    let initiator = match run.initiator_id {
        Some(id) => operators::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|o| InitiatorView {
                id: o.id,
                username: o.username,
            }),
        None => None,
    };
    to_view(run, initiator, now)
}

/// A stored value that is none of its type's names: a corrupt row is an error, never guessed.
fn corrupt(what: &str, id: i64, value: &str) -> DbErr {
    DbErr::Custom(format!("{what} {id} has an invalid stored value {value:?}"))
}

/// Parses a stored enum column of row `id`.
fn stored<T>(what: &str, id: i64, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, DbErr> {
    parse(value).ok_or_else(|| corrupt(what, id, value))
}

fn to_view(
    run: operation_runs::Model,
    initiator: Option<InitiatorView>,
    now: DateTime<Utc>,
) -> Result<RunView, DbErr> {
    let status = stored("run", run.id, &run.status, RunStatus::parse)?;
    let outcome = run
        .outcome
        .as_deref()
        .map(|o| stored("run", run.id, o, Outcome::parse))
        .transpose()?;
    let source = stored("run", run.id, &run.source, Source::parse)?;
    let scope = Scope::from_columns(&run.scope_kind, run.scope_tenant_id)
        .ok_or_else(|| corrupt("run scope of", run.id, &run.scope_kind))?;
    let progress_percent = if run.total > 0 {
        ((run.processed as f64 / run.total as f64) * 1000.0).round() / 10.0
    } else if status == RunStatus::Completed {
        100.0
    } else {
        0.0
    };
    let eta_seconds = match (status, run.started_at) {
        (RunStatus::Running, Some(started)) if run.processed > 0 && run.total > run.processed => {
            let elapsed = (now - started).num_milliseconds().max(0) as f64 / 1000.0;
            let per_item = elapsed / run.processed as f64;
            Some((per_item * (run.total - run.processed) as f64).ceil() as i64)
        }
        _ => None,
    };
    Ok(RunView {
        id: run.id,
        scope,
        runbook: run.runbook_key,
        runbook_version: run.runbook_version,
        parameters: run.parameters.unwrap_or_else(|| serde_json::json!({})),
        planned_at: run.planned_at,
        workspace_id: run.workspace_id,
        status,
        outcome,
        source,
        initiator,
        reason: ReasonView {
            code: ReasonCode::parse(&run.reason_code).unwrap_or(ReasonCode::Other),
            text: run.reason_text,
        },
        preflight_id: run.preflight_id,
        counts: Counts {
            total: run.total,
            processed: run.processed,
            succeeded: run.succeeded,
            failed: run.failed,
            skipped: run.skipped,
            findings_changed: run.findings_changed,
        },
        progress_percent,
        eta_seconds,
        error_summary: run.error_summary,
        cancel_reason: run.cancel_reason,
        retry_of_run_id: run.retry_of_run_id,
        created_at: run.created_at,
        started_at: run.started_at,
        completed_at: run.completed_at,
        updated_at: run.updated_at,
    })
}

/// The run with `id`.
pub async fn find(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<operation_runs::Model>, DbErr> {
    operation_runs::Entity::find_by_id(id).one(db).await
}

/// Filters of the run list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this status.
    pub status: Option<RunStatus>,
    /// Only this runbook.
    pub runbook: Option<String>,
}

/// One page of runs, newest first, and the total count.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &RunFilter,
    page: u64,
    per_page: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<RunView>, u64), DbErr> {
    let mut query = operation_runs::Entity::find();
    if let Some(status) = filter.status {
        query = query.filter(operation_runs::Column::Status.eq(status.as_str()));
    }
    if let Some(runbook) = &filter.runbook {
        query = query.filter(operation_runs::Column::RunbookKey.eq(runbook.clone()));
    }
    let total = query.clone().count(db).await?;
    let runs = query
        .order_by_desc(operation_runs::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    let ids: Vec<i64> = runs.iter().filter_map(|r| r.initiator_id).collect();
    let names: std::collections::HashMap<i64, String> = operators::Entity::find()
        .filter(operators::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.username))
        .collect();
    let views = runs
        .into_iter()
        .map(|r| {
            let initiator = r.initiator_id.and_then(|id| {
                names.get(&id).map(|username| InitiatorView {
                    id,
                    username: username.clone(),
                })
            });
            to_view(r, initiator, now)
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok((views, total))
}

/// One page of a run's items — failed first, then by tenant — and the total count.
pub async fn items(
    db: &impl ConnectionTrait,
    run_id: i64,
    status: Option<ItemStatus>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<ItemView>, u64), DbErr> {
    let mut query = run_items::Entity::find().filter(run_items::Column::RunId.eq(run_id));
    if let Some(status) = status {
        query = query.filter(run_items::Column::Status.eq(status.as_str()));
    }
    let total = query.clone().count(db).await?;
    let failed_first =
        sea_orm::sea_query::Expr::cust("CASE WHEN run_items.status = 'failed' THEN 0 ELSE 1 END");
    let rows = query
        .order_by(failed_first, sea_orm::Order::Asc)
        .order_by_asc(run_items::Column::TenantId)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    let tenant_ids: Vec<i64> = rows.iter().map(|r| r.tenant_id).collect();
    let names: std::collections::HashMap<i64, String> = tenants::Entity::find()
        .filter(tenants::Column::Id.is_in(tenant_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.external_id))
        .collect();
    Ok((
        rows.into_iter()
            .map(|r| {
                Ok(ItemView {
                    id: r.id,
                    tenant_external_id: names.get(&r.tenant_id).cloned().unwrap_or_default(),
                    tenant_id: r.tenant_id,
                    status: stored("item", r.id, &r.status, ItemStatus::parse)?,
                    attempts: r.attempts,
                    findings_examined: r.findings_examined,
                    findings_changed: r.findings_changed,
                    changes_by_rule: r.changes_by_rule,
                    error: r.last_error,
                    started_at: r.started_at,
                    completed_at: r.completed_at,
                })
            })
            .collect::<Result<Vec<_>, DbErr>>()?,
        total,
    ))
}

/// Findings per second over the last completed, measured run of `runbook` (all workers).
pub async fn observed_rate(db: &impl ConnectionTrait, runbook: &str) -> Result<Option<f64>, DbErr> {
    let Some(run) = operation_runs::Entity::find()
        .filter(operation_runs::Column::RunbookKey.eq(runbook))
        .filter(operation_runs::Column::Status.eq(RunStatus::Completed.as_str()))
        .filter(operation_runs::Column::StartedAt.is_not_null())
        .order_by_desc(operation_runs::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let (Some(started), Some(completed)) = (run.started_at, run.completed_at) else {
        return Ok(None);
    };
    let seconds = (completed - started).num_milliseconds() as f64 / 1000.0;
    let backend = db.get_database_backend();
    let examined = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "SELECT CAST(COALESCE(SUM(findings_examined), 0) AS BIGINT) FROM run_items WHERE run_id = $1"
                }
                _ => "SELECT COALESCE(SUM(findings_examined), 0) FROM run_items WHERE run_id = ?",
            },
            [run.id.into()],
        ))
        .await?
        .and_then(|row| row.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    Ok((seconds > 0.5 && examined > 0).then(|| examined as f64 / seconds))
}
