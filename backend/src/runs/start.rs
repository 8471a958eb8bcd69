//! `start(...)`: the one code path by which the SPA, the API, the CLI and the deploy hook
//! create a run. It checks the reason, the capability, the cited preflight and the typed
//! phrase; then, under the runbook's database lock, dedupes an identical active run, refuses an
//! overlapping one (409), or creates the run and enqueues its fan-out job — in one transaction.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::audit::{self, Actor};
use crate::auth::RequestMeta;
use crate::context::AppContext;
use crate::db::{self, exec};
use crate::domain::capability::Capability;
use crate::domain::run::{Reason, RunStatus, Scope, Source, confirmation_phrase, confirms};
use crate::entities::operation_runs;
use crate::runs::query::{self, RunView};
use crate::runs::{Initiator, RunError};
use crate::runs::{execute, preflight};

/// Everything a start needs.
#[derive(Debug, Clone)]
pub struct StartRequest {
    /// Runbook key.
    pub runbook: String,
    /// Scope.
    pub scope: Scope,
    /// The runbook's parameters as sent (`null` or an object); must equal the preflight's once
    /// parsed. Ignored by `retry_failed`, which keeps the original run's.
    pub parameters: serde_json::Value,
    /// The operator, or `None` for CLI/deploy without an operator.
    pub initiator: Option<Initiator>,
    /// Why.
    pub reason: Reason,
    /// Where from.
    pub source: Source,
    /// The typed phrase (all-tenants only).
    pub confirmation: Option<String>,
    /// The preflight it was confirmed against.
    pub preflight_id: String,
    /// When retrying the failed tenants of a run.
    pub retry_of: Option<i64>,
    /// Request metadata for the audit event.
    pub meta: RequestMeta,
}

/// What a start did.
#[derive(Debug, Clone)]
pub struct StartOutcome {
    /// The run (new, or the identical active one).
    pub run: RunView,
    /// True when an identical active run was returned instead of creating one.
    pub deduplicated: bool,
}

/// Checks and starts a run.
pub async fn start(ctx: &AppContext, req: StartRequest) -> Result<StartOutcome, RunError> {
    let runbook = preflight::runbook(ctx, &req.runbook)?;
    if let Some(initiator) = &req.initiator {
        let need = |cap: Capability| {
            if initiator.capabilities.contains(&cap) {
                Ok(())
            } else {
                Err(RunError::Forbidden(cap))
            }
        };
        need(Capability::RunbooksRun)?;
        if matches!(req.scope, Scope::AllTenants) {
            need(Capability::RunbooksRunAllTenants)?;
        }
    }
    let now = ctx.now();
    let parameters = runbook.parse_parameters(&req.parameters, now)?;
    let tenant = preflight::validate_scope(&ctx.db, runbook, &req.scope).await?;
    let stale = |why: &str| RunError::invalid("preflight_id", format!("preflight is stale: {why}"));
    let pf = preflight::load(&ctx.db, &req.preflight_id)
        .await?
        .ok_or_else(|| stale("unknown preflight_id; run a new preflight"))?;
    if pf.runbook_key != runbook.key()
        || Scope::from_columns(&pf.scope_kind, pf.scope_tenant_id) != Some(req.scope)
    {
        return Err(stale("it was made for another runbook or scope"));
    }
    if let (Some(owner), Some(initiator)) = (pf.operator_id, &req.initiator)
        && owner != initiator.operator_id
    {
        return Err(stale("it belongs to another operator"));
    }
    if pf.expires_at <= now {
        return Err(stale("it expired; run a new preflight"));
    }
    if pf
        .parameters
        .clone()
        .unwrap_or_else(|| serde_json::json!({}))
        != parameters
    {
        return Err(stale(
            "it was made with other parameters; run a new preflight",
        ));
    }
    let tenants_now = preflight::count_tenants(&ctx.db, &req.scope).await?;
    if tenants_now != pf.tenants_in_scope as u64 {
        return Err(stale(&format!(
            "the number of tenants in scope changed from {} to {tenants_now}",
            pf.tenants_in_scope
        )));
    }
    if matches!(req.scope, Scope::AllTenants) {
        require_phrase(runbook, req.confirmation.as_deref(), tenants_now)?;
    }
    let plan = Planned {
        preflight_id: Some(pf.id),
        parameters,
        planned_at: pf.created_at,
        total: tenants_now,
    };
    create_locked(ctx, &req, runbook, tenant, plan).await
}

/// What a new run carries from its preflight (or, for a retry, from its source run).
struct Planned {
    preflight_id: Option<String>,
    parameters: serde_json::Value,
    planned_at: chrono::DateTime<chrono::Utc>,
    total: u64,
}

/// An all-tenants start needs the exact phrase naming the runbook's verb and the number of
/// tenants.
fn require_phrase(
    runbook: &dyn crate::runbooks::Runbook,
    typed: Option<&str>,
    tenants: u64,
) -> Result<(), RunError> {
    let verb = runbook.confirmation_verb();
    if confirms(typed, verb, tenants) {
        Ok(())
    } else {
        Err(RunError::invalid(
            "confirmation",
            format!(
                "type the phrase exactly: {}",
                confirmation_phrase(verb, tenants)
            ),
        ))
    }
}

/// Under the runbook's lock: returns an identical active run (dedupe), refuses an overlapping
/// one, or creates the run and its fan-out job — one transaction.
async fn create_locked(
    ctx: &AppContext,
    req: &StartRequest,
    runbook: &dyn crate::runbooks::Runbook,
    tenant: Option<crate::entities::tenants::Model>,
    plan: Planned,
) -> Result<StartOutcome, RunError> {
    let now = ctx.now();
    let txn = db::begin_write(&ctx.db).await?;
    // Writing the runbook's lock row first serializes every start of this runbook across all
    // processes: a row lock on PostgreSQL, the database write lock on SQLite.
    exec(
        &txn,
        "INSERT INTO runbook_locks (runbook_key, locked_at) VALUES (?, ?) \
         ON CONFLICT (runbook_key) DO UPDATE SET locked_at = excluded.locked_at",
        vec![runbook.key().into(), now.into()],
    )
    .await?;
    let active = operation_runs::Entity::find()
        .filter(operation_runs::Column::RunbookKey.eq(runbook.key()))
        .filter(
            operation_runs::Column::Status
                .is_in([RunStatus::Queued.as_str(), RunStatus::Running.as_str()]),
        )
        .all(&txn)
        .await?;
    for run in active {
        let Some(scope) = Scope::from_columns(&run.scope_kind, run.scope_tenant_id) else {
            continue;
        };
        // The identity of a run: runbook, scope and (parsed) parameters.
        let same_parameters = run
            .parameters
            .clone()
            .unwrap_or_else(|| serde_json::json!({}))
            == plan.parameters;
        if scope == req.scope
            && same_parameters
            && run.retry_of_run_id.is_none()
            && req.retry_of.is_none()
        {
            txn.commit().await?;
            let view = query::view(&ctx.db, run, now).await?;
            audit_start(ctx, "runbook.run.deduplicated", req, &view).await;
            return Ok(StartOutcome {
                run: view,
                deduplicated: true,
            });
        }
        if scope.overlaps(&req.scope) {
            return Err(RunError::Conflict {
                active_run_id: run.id,
            });
        }
    }
    let run = operation_runs::ActiveModel {
        runbook_key: Set(runbook.key().to_owned()),
        runbook_version: Set(runbook.version()),
        scope_kind: Set(req.scope.kind().as_str().to_owned()),
        scope_tenant_id: Set(req.scope.tenant_id()),
        workspace_id: Set(tenant.map(|t| t.workspace_id)),
        active_scope_key: Set(Some(req.scope.active_key(runbook.key()))),
        initiator_id: Set(req.initiator.as_ref().map(|i| i.operator_id)),
        source: Set(req.source.as_str().to_owned()),
        reason_code: Set(req.reason.code.as_str().to_owned()),
        reason_text: Set(req.reason.text.clone()),
        preflight_id: Set(plan.preflight_id),
        parameters: Set(Some(plan.parameters)),
        planned_at: Set(Some(plan.planned_at)),
        status: Set(RunStatus::Queued.as_str().to_owned()),
        total: Set(plan.total as i64),
        retry_of_run_id: Set(req.retry_of),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    execute::fanout::enqueue(&txn, run.id, req.retry_of, now).await?;
    txn.commit().await?;
    let view = query::view(&ctx.db, run, now).await?;
    audit_start(ctx, "runbook.run.started", req, &view).await;
    tracing::info!(run_id = view.id, runbook = %view.runbook, "run queued");
    Ok(StartOutcome {
        run: view,
        deduplicated: false,
    })
}

async fn audit_start(ctx: &AppContext, action: &'static str, req: &StartRequest, run: &RunView) {
    let actor = req
        .initiator
        .as_ref()
        .map_or(Actor::System, |i| Actor::Operator {
            id: i.operator_id,
            username: i.username.clone(),
        });
    let mut event = req.meta.event(action, actor);
    event.source = Some(req.source.as_str().to_owned());
    event.target = Some(("operation_run", run.id.to_string()));
    event.metadata = serde_json::json!({
        "runbook": run.runbook,
        "scope": run.scope,
        "parameters": run.parameters,
        "reason": run.reason,
        "preflight_id": req.preflight_id,
        "total": run.counts.total,
        "retry_of_run_id": req.retry_of,
    });
    audit::record(&ctx.db, event).await;
}

/// Starts a new run over only the failed tenants of a completed run, under the same rules as a
/// start: a reason, the run capability (and the all-tenants one for an all-tenants run), and for
/// an all-tenants run the typed phrase naming the number of tenants retried.
pub async fn retry_failed(
    ctx: &AppContext,
    run_id: i64,
    mut req: StartRequest,
) -> Result<StartOutcome, RunError> {
    let original = operation_runs::Entity::find_by_id(run_id)
        .one(&ctx.db)
        .await?
        .ok_or(RunError::RunNotFound)?;
    if original.status != RunStatus::Completed.as_str() {
        return Err(RunError::State(format!(
            "run #{run_id} has not completed yet"
        )));
    }
    if original.failed == 0 {
        return Err(RunError::State(format!(
            "run #{run_id} has no failed tenant to retry"
        )));
    }
    let runbook = preflight::runbook(ctx, &original.runbook_key)?;
    let scope = Scope::from_columns(&original.scope_kind, original.scope_tenant_id)
        .ok_or_else(|| RunError::State(format!("run #{run_id} has an invalid scope")))?;
    req.runbook = original.runbook_key.clone();
    req.scope = scope;
    req.retry_of = Some(run_id);
    if let Some(initiator) = &req.initiator {
        let need = |cap: Capability| {
            if initiator.capabilities.contains(&cap) {
                Ok(())
            } else {
                Err(RunError::Forbidden(cap))
            }
        };
        need(Capability::RunbooksRun)?;
        if matches!(scope, Scope::AllTenants) {
            need(Capability::RunbooksRunAllTenants)?;
        }
    }
    let failed = original.failed as u64;
    if matches!(scope, Scope::AllTenants) {
        require_phrase(runbook, req.confirmation.as_deref(), failed)?;
    }
    let tenant = match scope.tenant_id() {
        Some(_) => preflight::validate_scope(&ctx.db, runbook, &scope).await?,
        None => None,
    };
    // A retry keeps its source's parameters and planned instant (SPEC §12, v2 conventions).
    let plan = Planned {
        preflight_id: None,
        parameters: original
            .parameters
            .clone()
            .unwrap_or_else(|| serde_json::json!({})),
        planned_at: original.planned_at.unwrap_or(original.created_at),
        total: failed,
    };
    req.parameters = plan.parameters.clone();
    create_locked(ctx, &req, runbook, tenant, plan).await
}
