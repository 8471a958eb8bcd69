//! Read models of runs and items (docs/spec.md §6 wire format), lists with filters and pagination.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::run::{ItemStatus, Outcome, ReasonCode, RunStatus, Scope, Source};
use crate::entities::{operation_runs, operators, run_items, tenants};
use crate::runbooks::Registry;
use crate::runs::attempts;
use crate::runs::lineage::{self, RetryRef};

/// A tenant as a person reads it: `name (external_id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantRef {
    /// Tenant id.
    pub id: i64,
    /// External id (the customer's own key).
    pub external_id: String,
    /// Name, as the customer wrote it.
    pub name: String,
}

impl TenantRef {
    /// `name (external_id)`, the way every screen and log line names a tenant.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.external_id)
    }
}

impl From<tenants::Model> for TenantRef {
    fn from(t: tenants::Model) -> Self {
        Self {
            id: t.id,
            external_id: t.external_id,
            name: t.name,
        }
    }
}

/// The tenants with `ids`, by id (a deleted tenant is absent).
pub async fn tenant_refs(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, TenantRef>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(tenants::Entity::find()
        .filter(tenants::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, TenantRef::from(t)))
        .collect())
}

/// Tenants whose name or external id contains `term`, case-insensitively (`%` and `_` are
/// literal); `None` for a blank term. The one search of `/ops/tenants` and the item lists.
pub fn tenant_search(term: &str) -> Option<Condition> {
    use sea_orm::sea_query::ExprTrait;
    let term = term.trim();
    if term.is_empty() {
        return None;
    }
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let like = |col: tenants::Column| {
        Expr::expr(Func::lower(Expr::col((tenants::Entity, col))))
            .like(LikeExpr::new(pattern.clone()).escape('\\'))
    };
    Some(
        Condition::any()
            .add(like(tenants::Column::Name))
            .add(like(tenants::Column::ExternalId)),
    )
}

/// A run's scope as a person reads it: the start request's scope (`kind`, `tenant_id`) with
/// the tenant named for a single-tenant run, and `tenants` for a retry run, which covers the
/// listed tenants of the run it retries (docs/spec.md §18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScopeView {
    /// One tenant.
    Tenant {
        /// The tenant's id.
        tenant_id: i64,
        /// The tenant, named (null when it was deleted).
        tenant: Option<TenantRef>,
    },
    /// Every tenant but the platform tenant.
    AllTenants,
    /// The listed tenants of the run named by `retry_of` (a retry run).
    Tenants {
        /// The tenants, ascending.
        tenant_ids: Vec<i64>,
        /// The run whose failed tenants this run retries.
        retry_of: i64,
    },
}

impl ScopeView {
    /// How a person reads the scope: `all tenants`, `Acme (acme-001)`, or
    /// `2 tenants (retry of #32)`.
    pub fn label(&self) -> String {
        match self {
            ScopeView::AllTenants => "all tenants".to_owned(),
            ScopeView::Tenant {
                tenant: Some(tenant),
                ..
            } => tenant.label(),
            ScopeView::Tenant { tenant_id, .. } => format!("tenant #{tenant_id} (deleted)"),
            ScopeView::Tenants {
                tenant_ids,
                retry_of,
            } => format!("{} tenants (retry of #{retry_of})", tenant_ids.len()),
        }
    }
}
use crate::runs::stall::{self, Stall};

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

/// A run's counters; `processed = succeeded + failed + skipped`. Cancelled items are not
/// processed work: they count in `cancelled` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    /// Items in the run.
    pub total: i64,
    /// Items finished: succeeded, failed or skipped.
    pub processed: i64,
    /// Items rebuilt.
    pub succeeded: i64,
    /// Items failed.
    pub failed: i64,
    /// Items skipped (not applicable).
    pub skipped: i64,
    /// Findings changed over all items.
    pub findings_changed: i64,
    /// Items between attempts, waiting for a retry.
    pub retrying: i64,
    /// Items cancelled before they ran (or while waiting for a retry).
    pub cancelled: i64,
}

/// A run (docs/spec.md §6 wire format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunView {
    /// Run id.
    pub id: i64,
    /// Runbook key.
    pub runbook: String,
    /// Runbook version that ran.
    pub runbook_version: i32,
    /// Scope, with the tenant named; `tenants` for a retry run.
    pub scope: ScopeView,
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
    /// 0–100: processed items (succeeded, failed or skipped) of the total; cancelled items
    /// are not progress.
    pub progress_percent: f64,
    /// Remaining seconds at the observed throughput (null when unknown, done, or cancelling).
    pub eta_seconds: Option<i64>,
    /// Set while the run is stalled: no item has finished for `max(30 s, 5 × the median item
    /// time)` while items are running.
    pub stalled: Option<Stall>,
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
    /// The runs that retried this run's failed tenants, oldest first.
    pub retried_by: Vec<RetryRef>,
    /// Failed tenants that no later retry rebuilt: what `retry-failed` would retry, and the
    /// number its typed phrase names.
    pub retryable_tenants: i64,
    /// What `retry-failed` of this run needs in `confirmation`: `required` for a retry of an
    /// all-tenants run or of a retry of one, with the exact `phrase`
    /// (`<VERB> <retryable_tenants> TENANTS`); null when the run cannot be retried (active, or
    /// nothing left to retry) (docs/spec.md §21).
    pub retry_confirmation: Option<lineage::RetryConfirmation>,
    /// Seconds from the first tenant job to completion (to now while running); null before
    /// the run starts.
    pub duration_seconds: Option<i64>,
}

/// One tenant's item (docs/spec.md §6 wire format).
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
    /// Last error: the database's message once, with its SQLSTATE when there is one.
    pub error: Option<String>,
    /// The SQLSTATE of the last error, when it came from the database (on SQLite, constraint
    /// violations are given PostgreSQL's class 23 codes).
    pub error_sqlstate: Option<String>,
    /// While `retrying`: when the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Started (its first attempt).
    pub started_at: Option<DateTime<Utc>>,
    /// Finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// Seconds its last attempt took (to now while it runs), leaving out the wait for a retry
    /// and earlier attempts (docs/spec.md §21); null before its first attempt.
    pub duration_seconds: Option<i64>,
    /// Tenant name (empty when the tenant was deleted).
    pub tenant_name: String,
}

/// Builds the view of `run` (a few extra queries: initiator, tenant, retries, and the stall
/// check's when the run has been quiet for 30 s).
pub async fn view(
    db: &impl ConnectionTrait,
    runbooks: &Registry,
    run: operation_runs::Model,
    now: DateTime<Utc>,
) -> Result<RunView, DbErr> {
    let stalled = stall::detect(db, &run, now).await?;
    view_with_stall(db, runbooks, run, stalled, now).await
}

/// Builds the view of `run` with its stall already detected (see [`stall::detect`]).
pub async fn view_with_stall(
    db: &impl ConnectionTrait,
    runbooks: &Registry,
    run: operation_runs::Model,
    stalled: Option<Stall>,
    now: DateTime<Utc>,
) -> Result<RunView, DbErr> {
    let mut views = views_of(db, runbooks, vec![(run, stalled)], now).await?;
    views
        .pop()
        .ok_or_else(|| DbErr::Custom("a run view went missing".into()))
}

/// Builds the views of `runs`, each with its stall detected.
async fn views(
    db: &impl ConnectionTrait,
    runbooks: &Registry,
    runs: Vec<operation_runs::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<RunView>, DbErr> {
    let mut with_stalls = Vec::with_capacity(runs.len());
    for run in runs {
        let stalled = stall::detect(db, &run, now).await?;
        with_stalls.push((run, stalled));
    }
    views_of(db, runbooks, with_stalls, now).await
}

/// Builds the views of `runs`, loading what they name in one query per kind.
async fn views_of(
    db: &impl ConnectionTrait,
    runbooks: &Registry,
    runs: Vec<(operation_runs::Model, Option<Stall>)>,
    now: DateTime<Utc>,
) -> Result<Vec<RunView>, DbErr> {
    let initiator_ids: Vec<i64> = runs.iter().filter_map(|(r, _)| r.initiator_id).collect();
    let usernames: HashMap<i64, String> = if initiator_ids.is_empty() {
        HashMap::new()
    } else {
        operators::Entity::find()
            .filter(operators::Column::Id.is_in(initiator_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.username))
            .collect()
    };
    let tenants = tenant_refs(db, runs.iter().filter_map(|(r, _)| r.scope_tenant_id)).await?;
    // Only a completed run can have been retried (`start::retry_failed` refuses the others), so
    // polling an active run costs no lineage query.
    let completed: Vec<i64> = runs
        .iter()
        .filter(|(r, _)| r.status == RunStatus::Completed)
        .map(|(r, _)| r.id)
        .collect();
    let mut retried_by = lineage::retried_by(db, &completed).await?;
    let mut out = Vec::with_capacity(runs.len());
    for (run, stalled) in runs {
        let initiator = run.initiator_id.and_then(|id| {
            usernames.get(&id).map(|username| InitiatorView {
                id,
                username: username.clone(),
            })
        });
        let scope = Scope::from_columns(run.scope_kind, run.scope_tenant_id)
            .ok_or_else(|| corrupt("run scope of", run.id, run.scope_kind.as_str()))?;
        let retries = retried_by.remove(&run.id).unwrap_or_default();
        // Only a run in a lineage (retried, or a retry itself) can have tenants settled later.
        let in_lineage = !retries.is_empty() || run.retry_of_run_id.is_some();
        let retryable = if run.failed > 0 && in_lineage {
            lineage::still_failed_count(db, run.id).await? as i64
        } else {
            run.failed
        };
        // What `start::retry_failed` checks the typed phrase against: a completed run with
        // tenants left to retry, of a runbook this process serves.
        let retry_confirmation = match runbooks.find(&run.runbook_key) {
            Some(runbook) if run.status == RunStatus::Completed && retryable > 0 => Some(
                lineage::retry_confirmation(runbook, scope, retryable as u64),
            ),
            _ => None,
        };
        let scope = match (run.retry_of_run_id, scope) {
            (Some(of), _) => ScopeView::Tenants {
                tenant_ids: lineage::retry_tenant_ids(db, &run, of).await?,
                retry_of: of,
            },
            (None, Scope::Tenant { tenant_id }) => ScopeView::Tenant {
                tenant_id,
                tenant: tenants.get(&tenant_id).cloned(),
            },
            (None, Scope::AllTenants) => ScopeView::AllTenants,
        };
        let mut view = to_view(run, scope, initiator, retries, stalled, now);
        view.retryable_tenants = retryable;
        view.retry_confirmation = retry_confirmation;
        out.push(view);
    }
    Ok(out)
}

/// A run whose scope columns disagree (a tenant scope without its tenant, or an all-tenants
/// scope with one): a corrupt row is an error, never guessed. (A stored name that is none of
/// its enum's fails when the row is loaded.)
fn corrupt(what: &str, id: i64, value: &str) -> DbErr {
    DbErr::Custom(format!("{what} {id} has an invalid stored value {value:?}"))
}

fn to_view(
    run: operation_runs::Model,
    scope: ScopeView,
    initiator: Option<InitiatorView>,
    retried_by: Vec<RetryRef>,
    stalled: Option<Stall>,
    now: DateTime<Utc>,
) -> RunView {
    let status = run.status;
    let outcome = run.outcome;
    let source = run.source;
    let progress_percent = if run.total > 0 {
        ((run.processed as f64 / run.total as f64) * 1000.0).round() / 10.0
    } else if status == RunStatus::Completed {
        100.0
    } else {
        0.0
    };
    // A cancelling run's remaining items will not run: it has no ETA.
    let remaining = run.total - run.processed - run.cancelled;
    let eta_seconds = match (status, run.started_at) {
        (RunStatus::Running, Some(started))
            if run.cancel_reason.is_none() && run.processed > 0 && remaining > 0 =>
        {
            let elapsed = (now - started).num_milliseconds().max(0) as f64 / 1000.0;
            let per_item = elapsed / run.processed as f64;
            Some((per_item * remaining as f64).ceil() as i64)
        }
        _ => None,
    };
    let duration_seconds = run.started_at.map(|started| {
        (run.completed_at.unwrap_or(now) - started)
            .num_seconds()
            .max(0)
    });
    RunView {
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
            code: run.reason_code,
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
            retrying: run.retrying,
            cancelled: run.cancelled,
        },
        progress_percent,
        eta_seconds,
        stalled,
        error_summary: run.error_summary,
        cancel_reason: run.cancel_reason,
        retry_of_run_id: run.retry_of_run_id,
        created_at: run.created_at,
        started_at: run.started_at,
        completed_at: run.completed_at,
        updated_at: run.updated_at,
        retryable_tenants: run.failed,
        retry_confirmation: None,
        retried_by,
        duration_seconds,
    }
}

/// The latest run of a runbook, as its catalogue entry shows it (docs/spec.md §21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LastRun {
    /// Run id.
    pub id: i64,
    /// `queued`, `running` or `completed`.
    pub status: RunStatus,
    /// Set when completed.
    pub outcome: Option<Outcome>,
    /// When it completed (null while it is active).
    pub completed_at: Option<DateTime<Utc>>,
}

/// The latest run (the highest id, whatever its scope or source) of each of `runbooks` that
/// has one, by runbook key: one query for the whole catalogue.
pub async fn last_runs(
    db: &impl ConnectionTrait,
    runbooks: &[&str],
) -> Result<HashMap<String, LastRun>, DbErr> {
    use operation_runs::Column as C;
    if runbooks.is_empty() {
        return Ok(HashMap::new());
    }
    let mut latest = Query::select();
    latest
        .expr(Func::max(Expr::col(C::Id)))
        .from(operation_runs::Entity)
        .and_where(C::RunbookKey.is_in(runbooks.iter().copied()))
        .group_by_col(C::RunbookKey);
    Ok(operation_runs::Entity::find()
        .filter(C::Id.in_subquery(latest))
        .all(db)
        .await?
        .into_iter()
        .map(|run| {
            (
                run.runbook_key,
                LastRun {
                    id: run.id,
                    status: run.status,
                    outcome: run.outcome,
                    completed_at: run.completed_at,
                },
            )
        })
        .collect())
}

/// The run with `id`.
pub async fn find(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<operation_runs::Model>, DbErr> {
    operation_runs::Entity::find_by_id(id).one(db).await
}

/// Filters of the run list (all optional; they combine with AND).
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this status.
    pub status: Option<RunStatus>,
    /// Only this runbook.
    pub runbook: Option<String>,
    /// Only runs completed with this outcome.
    pub outcome: Option<Outcome>,
    /// Only runs started by the operator with this username (case-insensitive).
    pub initiator: Option<String>,
    /// Only runs started from this source.
    pub source: Option<Source>,
    /// Only runs with an item for this tenant (or scoped to it).
    pub tenant_id: Option<i64>,
    /// Only runs created at or after this instant.
    pub created_after: Option<DateTime<Utc>>,
    /// Only runs created before this instant.
    pub created_before: Option<DateTime<Utc>>,
}

impl RunFilter {
    fn apply(&self, mut query: Select<operation_runs::Entity>) -> Select<operation_runs::Entity> {
        use operation_runs::Column as C;
        if let Some(status) = self.status {
            query = query.filter(C::Status.eq(status.as_str()));
        }
        if let Some(runbook) = &self.runbook {
            query = query.filter(C::RunbookKey.eq(runbook.clone()));
        }
        if let Some(outcome) = self.outcome {
            query = query.filter(C::Outcome.eq(outcome.as_str()));
        }
        if let Some(source) = self.source {
            query = query.filter(C::Source.eq(source.as_str()));
        }
        if let Some(username) = &self.initiator {
            let mut operator = Query::select();
            operator
                .column(operators::Column::Id)
                .from(operators::Entity)
                .and_where(operators::Column::Username.eq(username.trim().to_lowercase()));
            query = query.filter(C::InitiatorId.in_subquery(operator));
        }
        if let Some(tenant_id) = self.tenant_id {
            let mut with_item = Query::select();
            with_item
                .column(run_items::Column::RunId)
                .from(run_items::Entity)
                .and_where(run_items::Column::TenantId.eq(tenant_id));
            query = query.filter(
                Condition::any()
                    .add(C::ScopeTenantId.eq(tenant_id))
                    .add(C::Id.in_subquery(with_item)),
            );
        }
        if let Some(after) = self.created_after {
            query = query.filter(C::CreatedAt.gte(after));
        }
        if let Some(before) = self.created_before {
            query = query.filter(C::CreatedAt.lt(before));
        }
        query
    }
}

/// One page of runs, newest first, and the total count.
pub async fn list(
    db: &impl ConnectionTrait,
    runbooks: &Registry,
    filter: &RunFilter,
    page: u64,
    per_page: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<RunView>, u64), DbErr> {
    let query = filter.apply(operation_runs::Entity::find());
    let total = query.clone().count(db).await?;
    let runs = query
        .order_by_desc(operation_runs::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((views(db, runbooks, runs, now).await?, total))
}

/// The next `limit` runs matching `filter` with an id below `before_id` (all when `None`),
/// newest first: keyset pages for exports that must not load the whole table.
pub async fn list_before(
    db: &impl ConnectionTrait,
    runbooks: &Registry,
    filter: &RunFilter,
    before_id: Option<i64>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<RunView>, DbErr> {
    let mut query = filter.apply(operation_runs::Entity::find());
    if let Some(before) = before_id {
        query = query.filter(operation_runs::Column::Id.lt(before));
    }
    let runs = query
        .order_by_desc(operation_runs::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    views(db, runbooks, runs, now).await
}

/// Filters of a run's item list.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Only items in this status.
    pub status: Option<ItemStatus>,
    /// Only tenants whose name or external id contains this, case-insensitively.
    pub search: Option<String>,
}

impl ItemFilter {
    fn apply(&self, run_id: i64) -> Select<run_items::Entity> {
        let mut query = run_items::Entity::find().filter(run_items::Column::RunId.eq(run_id));
        if let Some(status) = self.status {
            query = query.filter(run_items::Column::Status.eq(status.as_str()));
        }
        if let Some(condition) = self.search.as_deref().and_then(tenant_search) {
            let mut matching = Query::select();
            matching
                .column(tenants::Column::Id)
                .from(tenants::Entity)
                .cond_where(condition);
            query = query.filter(run_items::Column::TenantId.in_subquery(matching));
        }
        query
    }
}

/// One page of a run's items — failed first, then by tenant — and the total count, as of `now`.
pub async fn items(
    db: &impl ConnectionTrait,
    run_id: i64,
    status: Option<ItemStatus>,
    page: u64,
    per_page: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<ItemView>, u64), DbErr> {
    let filter = ItemFilter {
        status,
        search: None,
    };
    items_matching(db, run_id, &filter, page, per_page, now).await
}

/// One page of a run's items matching `filter` — the ones that need a look first (failed, then
/// retrying, then running), then by tenant — and the total count, as of `now`.
pub async fn items_matching(
    db: &impl ConnectionTrait,
    run_id: i64,
    filter: &ItemFilter,
    page: u64,
    per_page: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<ItemView>, u64), DbErr> {
    let query = filter.apply(run_id);
    let total = query.clone().count(db).await?;
    let needs_a_look_first = sea_orm::sea_query::Expr::cust(format!(
        "CASE run_items.status WHEN '{}' THEN 0 WHEN '{}' THEN 1 WHEN '{}' THEN 2 ELSE 3 END",
        ItemStatus::Failed.as_str(),
        ItemStatus::Retrying.as_str(),
        ItemStatus::Running.as_str()
    ));
    let rows = query
        .order_by(needs_a_look_first, sea_orm::Order::Asc)
        .order_by_asc(run_items::Column::TenantId)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((item_views(db, rows, now).await?, total))
}

/// The next `limit` items of `run_id` matching `filter` with a tenant id above
/// `after_tenant_id`, by tenant, as of `now`: keyset pages for exports.
pub async fn items_after(
    db: &impl ConnectionTrait,
    run_id: i64,
    filter: &ItemFilter,
    after_tenant_id: i64,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<ItemView>, DbErr> {
    let rows = filter
        .apply(run_id)
        .filter(run_items::Column::TenantId.gt(after_tenant_id))
        .order_by_asc(run_items::Column::TenantId)
        .limit(limit)
        .all(db)
        .await?;
    item_views(db, rows, now).await
}

/// The views of `rows`, with their tenants and last attempts loaded in one query each.
async fn item_views(
    db: &impl ConnectionTrait,
    rows: Vec<run_items::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<ItemView>, DbErr> {
    let tenants = tenant_refs(db, rows.iter().map(|r| r.tenant_id)).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let last_attempts = attempts::last_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let tenant = tenants.get(&r.tenant_id);
            let duration_seconds = match last_attempts.get(&r.id) {
                Some(&(started, finished)) => Some(seconds(started, finished.unwrap_or(now))),
                // An item from before attempts were recorded: its own start and end.
                None => match (r.started_at, r.completed_at) {
                    (Some(started), Some(completed)) => Some(seconds(started, completed)),
                    (Some(started), None) if r.status == ItemStatus::Running => {
                        Some(seconds(started, now))
                    }
                    _ => None,
                },
            };
            ItemView {
                duration_seconds,
                id: r.id,
                tenant_external_id: tenant.map(|t| t.external_id.clone()).unwrap_or_default(),
                tenant_name: tenant.map(|t| t.name.clone()).unwrap_or_default(),
                tenant_id: r.tenant_id,
                status: r.status,
                attempts: r.attempts,
                findings_examined: r.findings_examined,
                findings_changed: r.findings_changed,
                changes_by_rule: r.changes_by_rule,
                error: r.last_error,
                error_sqlstate: r.error_sqlstate,
                next_attempt_at: r.next_attempt_at,
                started_at: r.started_at,
                completed_at: r.completed_at,
            }
        })
        .collect())
}

/// Whole seconds from `from` to `to`, never negative.
fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds().max(0)
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
