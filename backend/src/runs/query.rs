//! Read models of runs and items (docs/spec.md §6 wire format), lists with filters and pagination.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::control::RunOptions;
use crate::domain::run::{
    ItemStatus, Outcome, ReasonCode, RunKind, RunStatus, ScopeKind, Source, Target,
};
use crate::entities::{
    operation_runs, operators, run_items, run_scope_tenants, tenants, workspaces,
};
use crate::runbooks::Registry;
use crate::runs::lineage::{self, RetryRef};
use crate::runs::{attempts, control};

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
    let like = contains(term)?;
    Some(
        Condition::any()
            .add(like(Expr::col((tenants::Entity, tenants::Column::Name))))
            .add(like(Expr::col((
                tenants::Entity,
                tenants::Column::ExternalId,
            )))),
    )
}

/// A case-insensitive "contains `term`" test for a text column (`%` and `_` literal); `None`
/// for a blank term.
fn contains(term: &str) -> Option<impl Fn(Expr) -> sea_orm::sea_query::SimpleExpr> {
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
    Some(move |column: Expr| {
        Expr::expr(Func::lower(column)).like(LikeExpr::new(pattern.clone()).escape('\\'))
    })
}

/// One page of workspaces by name (`search`: a case-insensitive substring of the name), each
/// `(id, name, targetable tenants)`, and how many match.
pub async fn workspaces_page(
    db: &impl ConnectionTrait,
    search: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<(i64, String, u64)>, u64), DbErr> {
    let mut query = workspaces::Entity::find();
    if let Some(like) = search.and_then(contains) {
        query = query.filter(like(Expr::col((
            workspaces::Entity,
            workspaces::Column::Name,
        ))));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(workspaces::Column::Name)
        .order_by_asc(workspaces::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    let counts: HashMap<i64, i64> = tenants::Entity::find()
        .select_only()
        .column(tenants::Column::WorkspaceId)
        .column_as(tenants::Column::Id.count(), "tenants")
        .filter(tenants::Column::ExternalId.ne(tenants::PLATFORM_EXTERNAL_ID))
        .filter(tenants::Column::WorkspaceId.is_in(rows.iter().map(|w| w.id)))
        .group_by(tenants::Column::WorkspaceId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let items = rows
        .into_iter()
        .map(|w| {
            let n = counts.get(&w.id).copied().unwrap_or(0).max(0) as u64;
            (w.id, w.name, n)
        })
        .collect();
    Ok((items, total))
}

/// A run's scope as a person reads it (`RunScope`, docs/spec.md §12, §21): one tenant, named;
/// all tenants; a list of tenants (a list scope, or the tenants a retry run covers, with
/// `retry_of`); or a workspace, named.
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
    /// Listed tenants.
    Tenants {
        /// The first [`SCOPE_TENANTS_SHOWN`] tenant ids, ascending.
        tenant_ids: Vec<i64>,
        /// How many tenants in all.
        count: u64,
        /// For a retry run: the run whose failed tenants it retries.
        retry_of: Option<i64>,
        /// For a revert run (and a revert preflight): the run it reverts; its tenants are
        /// those with change-log rows.
        reverts_run_id: Option<i64>,
    },
    /// A workspace's tenants (fixed at the preflight).
    Workspace {
        /// The workspace's id.
        workspace_id: i64,
        /// The workspace, named (null when it was deleted).
        workspace: Option<WorkspaceRef>,
        /// How many tenants in all.
        count: u64,
    },
}

/// Tenant ids a [`ScopeView::Tenants`] lists; `count` says how many there are.
pub const SCOPE_TENANTS_SHOWN: usize = 100;

/// A workspace as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorkspaceRef {
    /// Workspace id.
    pub id: i64,
    /// Name.
    pub name: String,
}

impl ScopeView {
    /// How a person reads the scope: `all tenants`, `Acme (acme-001)`, `3 tenants`,
    /// `2 tenants (retry of #32)` or `workspace Acme (12 tenants)`.
    pub fn label(&self) -> String {
        match self {
            ScopeView::AllTenants => "all tenants".to_owned(),
            ScopeView::Tenant {
                tenant: Some(tenant),
                ..
            } => tenant.label(),
            ScopeView::Tenant { tenant_id, .. } => format!("tenant #{tenant_id} (deleted)"),
            ScopeView::Tenants {
                count,
                retry_of: Some(retry_of),
                ..
            } => format!("{count} tenants (retry of #{retry_of})"),
            ScopeView::Tenants {
                count,
                reverts_run_id: Some(of),
                ..
            } => format!("{count} tenants (revert of #{of})"),
            ScopeView::Tenants { count, .. } => format!("{count} listed tenants"),
            ScopeView::Workspace {
                workspace, count, ..
            } => match workspace {
                Some(w) => format!("workspace {} ({count} tenants)", w.name),
                None => format!("a deleted workspace ({count} tenants)"),
            },
        }
    }

    /// The view of a resolved target (a preflight's scope; `tenant` names a single tenant).
    pub async fn of_target(
        db: &impl ConnectionTrait,
        target: &Target,
        tenant: Option<TenantRef>,
    ) -> Result<Self, DbErr> {
        Ok(match target {
            Target::Tenant(tenant_id) => ScopeView::Tenant {
                tenant_id: *tenant_id,
                tenant,
            },
            Target::AllTenants => ScopeView::AllTenants,
            Target::Tenants(ids) => ScopeView::Tenants {
                tenant_ids: ids.iter().take(SCOPE_TENANTS_SHOWN).copied().collect(),
                count: ids.len() as u64,
                retry_of: None,
                reverts_run_id: None,
            },
            Target::Workspace {
                workspace_id,
                tenant_ids,
            } => ScopeView::Workspace {
                workspace_id: *workspace_id,
                workspace: workspace_ref(db, *workspace_id).await?,
                count: tenant_ids.len() as u64,
            },
        })
    }
}

/// The workspace `id`, named.
pub async fn workspace_ref(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<WorkspaceRef>, DbErr> {
    Ok(workspaces::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|w| WorkspaceRef {
            id: w.id,
            name: w.name,
        }))
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
    /// Items started and not finished (in-flight; a paused run's finish and count).
    pub running: i64,
    /// A revert run's rows left alone over all items: the application changed them since the
    /// reverted run wrote them (0 for any other run).
    pub conflicts: i64,
}

/// A run (docs/spec.md §6 wire format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunView {
    /// Run id.
    pub id: i64,
    /// `run` (the runbook's repair, or a retry of one) or `revert` (puts back what
    /// `reverts_run_id` changed).
    pub kind: RunKind,
    /// For a revert run: the run it reverts.
    pub reverts_run_id: Option<i64>,
    /// The revert runs of this run, oldest first.
    pub reverted_by: Vec<RetryRef>,
    /// Whether the run counts as all tenants: its scope covers all tenants (or a list or
    /// workspace of more than 100), or, for a retry or a revert, its source run did. A retry or
    /// a revert of it needs `ops.runbooks.run_all_tenants`, as it did.
    pub counts_as_all_tenants: bool,
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
    /// `queued`, `running`, `paused` or `completed`.
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
    /// Remaining seconds at the throughput observed over active time (null when unknown,
    /// done, paused, throttled or cancelling). It grows while no item finishes; `last_progress_at` says
    /// since when.
    pub eta_seconds: Option<i64>,
    /// Seconds the run has been running: neither queued, nor paused, nor throttled
    /// (docs/spec.md §13, §14).
    pub active_seconds: i64,
    /// Run control's options as started (and as changed since: `max_concurrency`); `{}` for a
    /// run without any.
    pub options: RunOptions,
    /// Why, by whom and since when the run is paused; null unless `paused`.
    pub pause: Option<control::PauseView>,
    /// While the database health gate holds every run (docs/spec.md §14): the indicator over
    /// its threshold, its value and threshold, and since when this run is held; null otherwise.
    pub throttle: Option<crate::runs::throttle::ThrottleView>,
    /// Whether the run's change log is kept (`GET /ops/runs/{id}/changes`): false once
    /// `CHANGE_LOG_RETENTION_DAYS` after its completion have purged it (docs/spec.md §15).
    pub changes_available: bool,
    /// For a run with waves: the last released wave and how many there are; null without.
    pub wave: Option<control::WaveView>,
    /// Why the run's unstarted items are not starting (`workers`, `paused`, `throttled`,
    /// `capped`, `wave_gate`); null when nothing waits, or the run is done.
    pub waiting_for: Option<control::WaitingFor>,
    /// When an item of the run last finished (null before the first).
    pub last_progress_at: Option<DateTime<Utc>>,
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
    /// For a revert run: rows of this tenant left alone, changed by the application since the
    /// reverted run wrote them.
    pub conflicts: i64,
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
    let initiator_ids: Vec<i64> = runs
        .iter()
        .flat_map(|(r, _)| [r.initiator_id, r.paused_by])
        .flatten()
        .collect();
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
    let mut reverted_by = lineage::reverted_by(db, &completed).await?;
    let mut out = Vec::with_capacity(runs.len());
    for (run, stalled) in runs {
        let operator = |id: Option<i64>| {
            id.and_then(|id| {
                usernames.get(&id).map(|username| InitiatorView {
                    id,
                    username: username.clone(),
                })
            })
        };
        let initiator = operator(run.initiator_id);
        let paused_by = operator(run.paused_by);
        let options = control::options_of(&run);
        let waiting_for = control::waiting_for(db, &run, &options, now).await?;
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
            Some(runbook) if run.status == RunStatus::Completed && retryable > 0 => {
                Some(lineage::retry_confirmation(
                    lineage::verb_of(runbook, run.reverts_run_id),
                    run.scope_kind,
                    retryable as u64,
                ))
            }
            _ => None,
        };
        let count = run.total.max(0) as u64;
        let run_facts = run.clone();
        let scope = match (run.retry_of_run_id, run.scope_kind, run.scope_tenant_id) {
            (Some(of), _, _) => ScopeView::Tenants {
                tenant_ids: lineage::retry_tenant_ids(db, &run, of, SCOPE_TENANTS_SHOWN as u64)
                    .await?,
                count,
                retry_of: Some(of),
                reverts_run_id: run.reverts_run_id,
            },
            (None, _, _) if run.reverts_run_id.is_some() => ScopeView::Tenants {
                tenant_ids: first_run_tenants(db, run.id).await?,
                count,
                retry_of: None,
                reverts_run_id: run.reverts_run_id,
            },
            (None, ScopeKind::Tenant, Some(tenant_id)) => ScopeView::Tenant {
                tenant_id,
                tenant: tenants.get(&tenant_id).cloned(),
            },
            (None, ScopeKind::AllTenants, None) => ScopeView::AllTenants,
            (None, ScopeKind::Tenants, None) => ScopeView::Tenants {
                tenant_ids: first_run_tenants(db, run.id).await?,
                count,
                retry_of: None,
                reverts_run_id: None,
            },
            (None, ScopeKind::Workspace, None) => {
                let workspace_id = run
                    .workspace_id
                    .ok_or_else(|| corrupt("run workspace of", run.id, "null"))?;
                ScopeView::Workspace {
                    workspace_id,
                    workspace: workspace_ref(db, workspace_id).await?,
                    count,
                }
            }
            (None, kind, _) => return Err(corrupt("run scope of", run.id, kind.as_str())),
        };
        let reverts = reverted_by.remove(&run.id).unwrap_or_default();
        let mut view = to_view(run, scope, initiator, retries, stalled, now);
        view.reverted_by = reverts;
        view.pause = control::pause_view(&run_facts, paused_by);
        view.throttle = crate::runs::throttle::throttle_view(&run_facts);
        view.wave = control::wave_view(&run_facts, &options);
        view.options = options;
        view.waiting_for = waiting_for;
        view.retryable_tenants = retryable;
        view.retry_confirmation = retry_confirmation;
        out.push(view);
    }
    Ok(out)
}

/// The first [`SCOPE_TENANTS_SHOWN`] tenants of a list or workspace run.
async fn first_run_tenants(db: &impl ConnectionTrait, run_id: i64) -> Result<Vec<i64>, DbErr> {
    run_scope_tenants::Entity::find()
        .select_only()
        .column(run_scope_tenants::Column::TenantId)
        .filter(run_scope_tenants::Column::RunId.eq(run_id))
        .order_by_asc(run_scope_tenants::Column::TenantId)
        .limit(SCOPE_TENANTS_SHOWN as u64)
        .into_tuple()
        .all(db)
        .await
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
        ((run.processed as f64 / run.total as f64) * 1000.0)
            .round()
            .min(1000.0)
            / 10.0
    } else if status == RunStatus::Completed {
        100.0
    } else {
        0.0
    };
    // A cancelling run's remaining items will not run: it has no ETA.
    let remaining = run.total - run.processed - run.cancelled;
    let active_seconds = control::active_seconds(&run, now);
    // Paused and throttled time is not throughput: the rate is over active time only, and a
    // paused run, or one the health gate holds for as long as the database needs, has no ETA.
    let eta_seconds = match status {
        RunStatus::Running
            if run.cancel_reason.is_none()
                && run.throttle.is_none()
                && run.processed > 0
                && remaining > 0 =>
        {
            let per_item = active_seconds as f64 / run.processed as f64;
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
        kind: RunKind::of(run.reverts_run_id),
        reverts_run_id: run.reverts_run_id,
        reverted_by: Vec::new(),
        counts_as_all_tenants: run.counts_as_all_tenants,
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
            running: run.running,
            conflicts: run.conflicts,
        },
        progress_percent,
        eta_seconds,
        active_seconds,
        options: RunOptions::default(),
        pause: None,
        throttle: None,
        changes_available: run.changes_purged_at.is_none(),
        wave: None,
        waiting_for: None,
        last_progress_at: run.progressed_at,
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
    /// `queued`, `running`, `paused` or `completed`.
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
    /// Only runs started by an operator whose username or display name contains this
    /// (case-insensitive).
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
        if let Some(like) = self.initiator.as_deref().and_then(contains) {
            let mut operator = Query::select();
            operator
                .column(operators::Column::Id)
                .from(operators::Entity)
                .cond_where(
                    Condition::any()
                        .add(like(Expr::col((
                            operators::Entity,
                            operators::Column::Username,
                        ))))
                        .add(like(Expr::col((
                            operators::Entity,
                            operators::Column::DisplayName,
                        )))),
                );
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
                conflicts: r.conflicts,
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

/// A runbook's measured cost (docs/spec.md §21): one tenant takes `per_tenant` seconds, plus
/// `per_examined` per finding it reads and `per_changed` per finding it writes; its last run kept
/// `parallelism` tenants going at once on average.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasuredCost {
    /// Seconds per tenant, whatever its size.
    pub per_tenant: f64,
    /// Seconds per finding examined.
    pub per_examined: f64,
    /// Seconds per finding changed.
    pub per_changed: f64,
    /// Tenants in flight at once (the sum of item durations over the run's wall time).
    pub parallelism: f64,
}

/// One measured tenant: findings examined, findings changed, seconds.
pub type CostSample = (f64, f64, f64);

impl MeasuredCost {
    /// Seconds a run over `tenants` that examines `examined` findings and changes `changed`
    /// would take.
    pub fn seconds(&self, tenants: u64, examined: u64, changed: u64) -> f64 {
        (self.per_tenant * tenants as f64
            + self.per_examined * examined as f64
            + self.per_changed * changed as f64)
            / self.parallelism.max(1.0)
    }

    /// Fits `seconds = per_tenant + per_examined × examined + per_changed × changed` over
    /// `items` by least squares. A term the sample cannot tell apart from the others (every
    /// tenant the same size, say) or that comes out negative is left out and the rest refitted;
    /// at worst every tenant costs the mean.
    pub fn fit(items: &[CostSample], wall_seconds: f64) -> Option<Self> {
        if items.is_empty() || wall_seconds <= 0.0 {
            return None;
        }
        let ys: Vec<f64> = items.iter().map(|i| i.2).collect();
        let column = |k: usize| -> Vec<f64> {
            items
                .iter()
                .map(|i| if k == 0 { i.0 } else { i.1 })
                .collect()
        };
        let mut coefficients = [0.0; 3];
        for terms in [&[0usize, 1][..], &[1], &[0], &[]] {
            let xs: Vec<Vec<f64>> = terms.iter().map(|&k| column(k)).collect();
            if let Some(beta) = least_squares(&xs, &ys)
                && beta.iter().all(|b| b.is_finite() && *b >= 0.0)
            {
                coefficients[0] = beta[0];
                for (&k, b) in terms.iter().zip(&beta[1..]) {
                    coefficients[k + 1] = *b;
                }
                break;
            }
        }
        let busy: f64 = ys.iter().sum();
        Some(Self {
            per_tenant: coefficients[0],
            per_examined: coefficients[1],
            per_changed: coefficients[2],
            parallelism: (busy / wall_seconds).max(1.0),
        })
    }
}

/// Ordinary least squares with an intercept: the coefficients `[intercept, xs...]` minimising
/// the squared error, or `None` when the normal equations are singular (a column constant or a
/// copy of another).
fn least_squares(xs: &[Vec<f64>], ys: &[f64]) -> Option<Vec<f64>> {
    let n = xs.len() + 1;
    let row = |i: usize| -> Vec<f64> {
        std::iter::once(1.0)
            .chain(xs.iter().map(|x| x[i]))
            .collect()
    };
    // The augmented normal equations [XᵀX | Xᵀy].
    let mut m = vec![vec![0.0; n + 1]; n];
    for (i, y) in ys.iter().enumerate() {
        let r = row(i);
        for a in 0..n {
            for b in 0..n {
                m[a][b] += r[a] * r[b];
            }
            m[a][n] += r[a] * y;
        }
    }
    for col in 0..n {
        let pivot = (col..n).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        let scale = m.iter().map(|r| r[col].abs()).fold(0.0, f64::max).max(1.0);
        if m[pivot][col].abs() <= 1e-9 * scale {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let factor = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= factor * p;
                }
            }
        }
    }
    Some(
        m.iter()
            .enumerate()
            .map(|(i, row)| row[n] / row[i])
            .collect(),
    )
}

/// Items of a run read to measure its runbook's cost.
const COST_SAMPLE_ITEMS: u64 = 5_000;

/// The cost of `runbook` measured on its last completed run: the items that succeeded at their
/// first attempt (a retry's wait is not work), against the run's wall time.
pub async fn measured_cost(
    db: &impl ConnectionTrait,
    runbook: &str,
) -> Result<Option<MeasuredCost>, DbErr> {
    let Some(run) = operation_runs::Entity::find()
        .filter(operation_runs::Column::RunbookKey.eq(runbook))
        .filter(operation_runs::Column::Status.eq(RunStatus::Completed.as_str()))
        .filter(operation_runs::Column::StartedAt.is_not_null())
        .filter(operation_runs::Column::Succeeded.gt(0))
        .order_by_desc(operation_runs::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let (Some(started), Some(completed)) = (run.started_at, run.completed_at) else {
        return Ok(None);
    };
    // Examined, changed, started, completed.
    type Timed = (i64, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let rows: Vec<Timed> = run_items::Entity::find()
        .select_only()
        .column(run_items::Column::FindingsExamined)
        .column(run_items::Column::FindingsChanged)
        .column(run_items::Column::StartedAt)
        .column(run_items::Column::CompletedAt)
        .filter(run_items::Column::RunId.eq(run.id))
        .filter(run_items::Column::Status.eq(ItemStatus::Succeeded.as_str()))
        .filter(run_items::Column::Attempts.eq(1))
        .order_by_asc(run_items::Column::Id)
        .limit(COST_SAMPLE_ITEMS)
        .into_tuple()
        .all(db)
        .await?;
    let items: Vec<CostSample> = rows
        .into_iter()
        .filter_map(|(examined, changed, started, completed)| {
            let seconds = (completed? - started?).num_microseconds()? as f64 / 1e6;
            Some((examined as f64, changed as f64, seconds.max(0.0)))
        })
        .collect();
    let wall = (completed - started).num_microseconds().unwrap_or(0) as f64 / 1e6;
    // A sample of the items covers a share of the wall time in proportion.
    let share = items.len() as f64 / run.succeeded.max(1) as f64;
    Ok(MeasuredCost::fit(&items, wall * share.min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::{CostSample, MeasuredCost};

    #[test]
    fn a_cost_fit_separates_tenant_read_and_write_time() {
        // 0.5 s per tenant + 1 ms per finding read + 4 ms per finding written, two at once.
        let items: Vec<CostSample> = [(100.0, 10.0), (400.0, 5.0), (1000.0, 90.0), (2000.0, 20.0)]
            .iter()
            .map(|&(e, c)| (e, c, 0.5 + 0.001 * e + 0.004 * c))
            .collect();
        let busy: f64 = items.iter().map(|i| i.2).sum();
        let cost = MeasuredCost::fit(&items, busy / 2.0).expect("fit");
        assert!((cost.per_tenant - 0.5).abs() < 1e-6, "{cost:?}");
        assert!((cost.per_examined - 0.001).abs() < 1e-9, "{cost:?}");
        assert!((cost.per_changed - 0.004).abs() < 1e-9, "{cost:?}");
        assert!((cost.parallelism - 2.0).abs() < 1e-9, "{cost:?}");
        // 100 tenants of 1,000 findings, none changed: 100 × 1.5 s over 2 at once.
        assert!((cost.seconds(100, 100_000, 0) - 75.0).abs() < 1e-6);
    }

    #[test]
    fn tenants_of_one_size_are_fitted_on_what_varies() {
        // Every tenant holds 1,000 findings; what they write differs.
        let items: Vec<CostSample> = (0..20)
            .map(|i| (1000.0, f64::from(i), 1.0 + 0.01 * f64::from(i)))
            .collect();
        let cost = MeasuredCost::fit(&items, 10.0).expect("fit");
        assert!((cost.per_tenant - 1.0).abs() < 1e-6, "{cost:?}");
        assert!((cost.per_changed - 0.01).abs() < 1e-9, "{cost:?}");
        assert_eq!(cost.per_examined, 0.0);
        // All the same: every tenant costs the mean.
        let same = vec![(1000.0, 0.0, 2.0); 10];
        let cost = MeasuredCost::fit(&same, 20.0).expect("fit");
        assert!(
            (cost.seconds(10, 10_000, 0) - 20.0).abs() < 1e-9,
            "{cost:?}"
        );
        assert!(MeasuredCost::fit(&[], 1.0).is_none());
        assert!(MeasuredCost::fit(&same, 0.0).is_none());
    }
}
