//! `start(...)`: the one code path by which the SPA, the API, the CLI and the deploy hook
//! create a run. It checks the reason, the capability, the cited preflight and the typed
//! phrase; then, under the runbook's database lock, dedupes an identical active run, refuses an
//! overlapping one (409), or creates the run and enqueues its fan-out job — in one transaction.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor};
use crate::auth::RequestMeta;
use crate::context::AppContext;
use crate::db::{self, exec};
use crate::domain::capability::Capability;
use crate::domain::control::RunOptions;
use crate::domain::run::{Reason, RunStatus, Scope, Source, Target, confirmation_phrase, confirms};
use crate::entities::operation_runs;
use crate::runs::query::{self, RunView};
use crate::runs::{Initiator, RunError};
use crate::runs::{control, execute, lineage, preflight, scope};
use crate::{idempotency, jobs};

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
    /// The preflight it was confirmed against (single-use: a start consumes it).
    pub preflight_id: String,
    /// Start even though the preflight found nothing to change.
    pub allow_no_changes: bool,
    /// Run control's options (docs/spec.md §13, and the drift guard of §15); part of the run's
    /// identity for dedupe. A retry and a revert take their own (a derived run never dedupes).
    pub options: RunOptions,
    /// When retrying the failed tenants of a run.
    pub retry_of: Option<i64>,
    /// When reverting a run (set by [`crate::runs::revert::start`]).
    pub reverts: Option<i64>,
    /// Request metadata for the audit event.
    pub meta: RequestMeta,
    /// The claimed `Idempotency-Key`, if the request carries one: the response is saved in the
    /// transaction that creates (or dedupes to) the run.
    pub idempotency: Option<idempotency::Claim>,
}

/// What a start did: the run (new, or the identical active one), as the API returns it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartedRun {
    /// The run.
    #[serde(flatten)]
    pub run: RunView,
    /// True when an identical active run was returned instead of a new one.
    pub deduplicated: bool,
}

impl StartedRun {
    /// The HTTP status of the answer: 201 for a new run, 200 for a deduplicated one.
    pub fn status(&self) -> u16 {
        if self.deduplicated { 200 } else { 201 }
    }
}

/// Checks and starts a run.
pub async fn start(ctx: &AppContext, req: StartRequest) -> Result<StartedRun, RunError> {
    let runbook = preflight::runbook(ctx, &req.runbook)?;
    if let Some(initiator) = &req.initiator {
        require(initiator, Capability::RunbooksRun)?;
        if matches!(req.scope, Scope::AllTenants) {
            require(initiator, Capability::RunbooksRunAllTenants)?;
        }
    }
    let now = ctx.now();
    let parameters = runbook.parse_parameters(&req.parameters, now)?;
    let resolved = scope::resolve(&ctx.db, runbook, &req.scope).await?;
    let target = resolved.target;
    // A list or a workspace above 100 tenants needs what all tenants needs (docs/spec.md §21).
    if let Some(initiator) = &req.initiator
        && target.needs_all_tenants_capability()
    {
        require(initiator, Capability::RunbooksRunAllTenants)?;
    }
    let pf = cited(ctx, &req, now).await?;
    if pf.reverts_run_id.is_some() {
        return Err(stale(
            "it is a revert preflight; start it with POST /ops/runs/{id}/revert",
        ));
    }
    if pf.runbook_key != runbook.key() || pf.scope_kind != target.kind() {
        return Err(stale("it was made for another runbook or scope"));
    }
    let planned = preflight::target_of(&ctx.db, &pf).await?;
    if planned.as_ref() != Some(&target) {
        return Err(stale(match target {
            Target::Workspace { .. }
                if planned.as_ref().and_then(Target::workspace_id) == target.workspace_id() =>
            {
                "the tenants of the workspace changed since; run a new preflight"
            }
            _ => "it was made for another runbook or scope",
        }));
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
    let tenants_now = scope::count(&ctx.db, &target).await?;
    if tenants_now != pf.tenants_in_scope as u64 {
        return Err(stale(&format!(
            "the number of tenants in scope changed from {} to {tenants_now}",
            pf.tenants_in_scope
        )));
    }
    check_options(ctx, &req.options, &target, tenants_now).await?;
    if target.needs_phrase() {
        require_phrase(
            &confirmation_phrase(runbook.confirmation_verb(), tenants_now),
            req.confirmation.as_deref(),
        )?;
    }
    let to_change = pf
        .summary
        .get("findings_to_change")
        .and_then(serde_json::Value::as_u64);
    if to_change == Some(0) && !req.allow_no_changes {
        return Err(RunError::Refused {
            code: "no_changes",
            field: "allow_no_changes",
            detail: "no_changes: the preflight found nothing to change; send allow_no_changes: \
                     true to start anyway"
                .into(),
        });
    }
    let plan = Planned {
        columns: None,
        preflight_id: Some(pf.id),
        parameters,
        planned_at: pf.created_at,
        total: tenants_now,
        all_tenants: target.needs_all_tenants_capability(),
    };
    create_locked(ctx, &req, runbook, &target, resolved.tenant, plan).await
}

/// A refusal of the cited preflight (422 `preflight_stale`), saying why.
pub(super) fn stale(why: &str) -> RunError {
    RunError::Refused {
        code: "preflight_stale",
        field: "preflight_id",
        detail: format!("preflight is stale: {why}"),
    }
}

/// The preflight `req` cites, if it exists, is the initiator's own and has not expired.
pub(super) async fn cited(
    ctx: &AppContext,
    req: &StartRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<crate::entities::preflights::Model, RunError> {
    let pf = preflight::load(&ctx.db, &req.preflight_id)
        .await?
        .ok_or_else(|| stale("unknown preflight_id; run a new preflight"))?;
    if let (Some(owner), Some(initiator)) = (pf.operator_id, &req.initiator)
        && owner != initiator.operator_id
    {
        return Err(stale("it belongs to another operator"));
    }
    if pf.expires_at <= now {
        return Err(stale("it expired; run a new preflight"));
    }
    Ok(pf)
}

/// Checks the options against the resolved scope: bounds, waves below the tenant count,
/// canary tenants in scope and named once (a 422 naming the field).
pub(super) async fn check_options(
    ctx: &AppContext,
    options: &RunOptions,
    target: &Target,
    tenants: u64,
) -> Result<(), RunError> {
    options
        .check(tenants, matches!(target, Target::Tenant(_)))
        .map_err(|e| RunError::invalid(e.field, e.message))?;
    if let Some(canary) = &options.canary_tenant_ids {
        let outside = scope::outside(&ctx.db, target, canary).await?;
        if !outside.is_empty() {
            let ids: Vec<String> = outside.iter().map(i64::to_string).collect();
            return Err(RunError::invalid(
                "options.canary_tenant_ids",
                format!("not in this run's scope: tenant {}", ids.join(", ")),
            ));
        }
    }
    Ok(())
}

/// What a new run carries from its preflight (or, for a retry, from its source run).
pub(super) struct Planned {
    /// The stored scope columns (kind, tenant, workspace) when they are not the target's: a
    /// retry keeps its source's.
    pub(super) columns: Option<(crate::domain::run::ScopeKind, Option<i64>, Option<i64>)>,
    pub(super) preflight_id: Option<String>,
    pub(super) parameters: serde_json::Value,
    pub(super) planned_at: chrono::DateTime<chrono::Utc>,
    pub(super) total: u64,
    /// Whether the run counts as all tenants: its target does, or a derived run's source did.
    pub(super) all_tenants: bool,
}

/// Whether a run derived from `source` (a retry, a revert) over `target` counts as all tenants:
/// exactly when its source did, or when its own target does (docs/spec.md, v2 conventions).
pub(super) fn derived_all_tenants(source: &operation_runs::Model, target: &Target) -> bool {
    source.counts_as_all_tenants || target.needs_all_tenants_capability()
}

/// A derived run (a retry, a revert) needs what its source needed: `ops.runbooks.run`, and
/// `ops.runbooks.run_all_tenants` when it counts as all tenants ([`derived_all_tenants`]).
pub(super) fn derived_capabilities(
    req: &StartRequest,
    source: &operation_runs::Model,
    target: &Target,
) -> Result<(), RunError> {
    let Some(initiator) = &req.initiator else {
        return Ok(());
    };
    require(initiator, Capability::RunbooksRun)?;
    if derived_all_tenants(source, target) {
        require(initiator, Capability::RunbooksRunAllTenants)?;
    }
    Ok(())
}

/// `Ok` when `initiator` holds `capability`, else the 403 naming it.
fn require(initiator: &Initiator, capability: Capability) -> Result<(), RunError> {
    if initiator.capabilities.contains(&capability) {
        Ok(())
    } else {
        Err(RunError::Forbidden(capability))
    }
}

/// A start (or retry) that needs a phrase needs it typed exactly.
pub(super) fn require_phrase(phrase: &str, typed: Option<&str>) -> Result<(), RunError> {
    if confirms(typed, phrase) {
        Ok(())
    } else {
        Err(RunError::invalid(
            "confirmation",
            format!("type the phrase exactly: {phrase}"),
        ))
    }
}

/// Under the runbook's lock: returns an identical active run (dedupe), refuses an overlapping
/// one, or creates the run and its fan-out job — one transaction. Its span is the run's start
/// (docs/spec.md §20): the fan-out job carries its trace context, so the run's jobs, in any
/// worker process, continue this trace.
#[tracing::instrument(
    name = "run.start",
    skip_all,
    fields(
        runbook = runbook.key(),
        source = req.source.as_str(),
        run_id = tracing::field::Empty,
        deduplicated = tracing::field::Empty,
    )
)]
pub(super) async fn create_locked(
    ctx: &AppContext,
    req: &StartRequest,
    runbook: &dyn crate::runbooks::Runbook,
    target: &Target,
    tenant: Option<crate::entities::tenants::Model>,
    plan: Planned,
) -> Result<StartedRun, RunError> {
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
        .filter(operation_runs::Column::Status.is_in(RunStatus::ACTIVE.map(RunStatus::as_str)))
        .all(&txn)
        .await?;
    for run in active {
        let scope = scope::of_run(&txn, &run).await?;
        // The identity of a run: runbook, scope, (parsed) parameters and options.
        let same_parameters = run
            .parameters
            .clone()
            .unwrap_or_else(|| serde_json::json!({}))
            == plan.parameters;
        if scope == *target
            && same_parameters
            && control::options_of(&run) == req.options
            && run.retry_of_run_id.is_none()
            && run.reverts_run_id.is_none()
            && req.retry_of.is_none()
            && req.reverts.is_none()
        {
            let span = tracing::Span::current();
            span.record("run_id", run.id);
            span.record("deduplicated", true);
            let started = StartedRun {
                run: query::view(&txn, &ctx.runbooks, run, now).await?,
                deduplicated: true,
            };
            save_response(&txn, req, &started).await?;
            txn.commit().await?;
            audit_start(ctx, "runbook.run.deduplicated", req, &started.run).await;
            return Ok(started);
        }
        if scope.overlaps(target) {
            return Err(RunError::Conflict {
                active_run_id: run.id,
            });
        }
    }
    // A preflight is single-use: under the lock, no other start can cite it at the same time.
    if let Some(preflight_id) = &plan.preflight_id {
        let used_by = operation_runs::Entity::find()
            .filter(operation_runs::Column::PreflightId.eq(preflight_id.clone()))
            .one(&txn)
            .await?;
        if let Some(run) = used_by {
            return Err(RunError::Refused {
                code: "preflight_used",
                field: "preflight_id",
                detail: format!(
                    "preflight_used: run #{} was started from this preflight; run a new preflight",
                    run.id
                ),
            });
        }
    }
    let (kind, scope_tenant_id, workspace_id) = plan.columns.unwrap_or_else(|| {
        (
            target.kind(),
            target.tenant_id(),
            tenant
                .map(|t| t.workspace_id)
                .or_else(|| target.workspace_id()),
        )
    });
    let options = &req.options;
    let options_json = (!options.is_empty())
        .then(|| serde_json::to_value(options))
        .transpose()
        .map_err(|e| RunError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
    let first_wave_end = options.wave_end(1);
    let run = operation_runs::ActiveModel {
        runbook_key: Set(runbook.key().to_owned()),
        runbook_version: Set(runbook.version()),
        scope_kind: Set(kind),
        scope_tenant_id: Set(scope_tenant_id),
        workspace_id: Set(workspace_id),
        active_scope_key: Set(Some(target.active_key(runbook.key()))),
        initiator_id: Set(req.initiator.as_ref().map(|i| i.operator_id)),
        source: Set(req.source),
        reason_code: Set(req.reason.code),
        reason_text: Set(req.reason.text.clone()),
        preflight_id: Set(plan.preflight_id),
        parameters: Set(Some(plan.parameters)),
        planned_at: Set(Some(plan.planned_at)),
        status: Set(RunStatus::Queued),
        total: Set(plan.total as i64),
        retry_of_run_id: Set(req.retry_of),
        reverts_run_id: Set(req.reverts),
        counts_as_all_tenants: Set(plan.all_tenants),
        options: Set(options_json),
        max_failed: Set(options.failure_budget.map(|b| b.max_failed)),
        wave: Set(options.waves.as_ref().map(|_| 1)),
        gate_ordinal: Set(first_wave_end),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(ids) = target.listed() {
        scope::store_run_tenants(&txn, run.id, ids).await?;
    }
    let span = tracing::Span::current();
    span.record("run_id", run.id);
    span.record("deduplicated", false);
    // The tenant jobs' gates (pause, cap, waves) live in the run's job group.
    jobs::groups::create(
        &txn,
        run.id,
        jobs::groups::Limits {
            max_running: options.max_concurrency,
            released_ordinal: first_wave_end,
        },
        now,
    )
    .await?;
    execute::fanout::enqueue(&txn, run.id, req.retry_of, now).await?;
    let started = StartedRun {
        run: query::view(&txn, &ctx.runbooks, run, now).await?,
        deduplicated: false,
    };
    save_response(&txn, req, &started).await?;
    txn.commit().await?;
    audit_start(ctx, "runbook.run.started", req, &started.run).await;
    tracing::info!(run_id = started.run.id, runbook = %started.run.runbook, "run queued");
    Ok(started)
}

/// Saves the answer for the request's `Idempotency-Key`, in the run's transaction.
async fn save_response(
    txn: &impl sea_orm::ConnectionTrait,
    req: &StartRequest,
    started: &StartedRun,
) -> Result<(), RunError> {
    if let Some(claim) = &req.idempotency {
        let body = serde_json::to_string(started)
            .map_err(|e| RunError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
        idempotency::save_response(txn, claim, started.status(), &body).await?;
    }
    Ok(())
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
        // This request's own reason: a deduplicated start is audited with why *it* was made.
        "reason": req.reason,
        "preflight_id": req.preflight_id,
        "total": run.counts.total,
        "retry_of_run_id": req.retry_of,
        "reverts_run_id": req.reverts,
        "options": run.options,
    });
    audit::record(&ctx.db, event).await;
}

/// Starts a new run over only the tenants of a completed run that are still failed (a tenant a
/// later retry rebuilt is left out), under the same rules as a start: a reason, the run capability (and the all-tenants one for an all-tenants run), and for
/// an all-tenants run the typed phrase naming the number of tenants retried.
pub async fn retry_failed(
    ctx: &AppContext,
    run_id: i64,
    mut req: StartRequest,
) -> Result<StartedRun, RunError> {
    let original = operation_runs::Entity::find_by_id(run_id)
        .one(&ctx.db)
        .await?
        .ok_or(RunError::RunNotFound)?;
    if original.status != RunStatus::Completed {
        return Err(RunError::state(format!(
            "run #{run_id} has not completed yet"
        )));
    }
    // Tenants a later retry rebuilt are done: neither counted in the phrase nor retried.
    let failed = lineage::still_failed_count(&ctx.db, run_id).await?;
    if failed == 0 {
        return Err(RunError::state(if original.failed == 0 {
            format!("run #{run_id} has no failed tenant to retry")
        } else {
            format!("every failed tenant of run #{run_id} has been rebuilt by a later retry")
        }));
    }
    let runbook = preflight::runbook(ctx, &original.runbook_key)?;
    // The retry covers the still-failed tenants; it counts as all-tenants (capability, phrase)
    // exactly when its source did (docs/spec.md §12, derived runs).
    let source = scope::of_run(&ctx.db, &original).await?;
    let mut tenant_ids = Vec::new();
    let mut after = 0;
    loop {
        let page = lineage::still_failed_page(&ctx.db, run_id, after, 1_000).await?;
        let Some(&last) = page.last() else { break };
        tenant_ids.extend(page);
        after = last;
    }
    let target = Target::Tenants(tenant_ids);
    req.runbook = original.runbook_key.clone();
    req.retry_of = Some(run_id);
    // A retry of a revert run reverts the same run (its tenant jobs restore).
    req.reverts = original.reverts_run_id;
    derived_capabilities(&req, &original, &target)?;
    let confirm = lineage::retry_confirmation(
        lineage::verb_of(runbook, original.reverts_run_id),
        original.scope_kind,
        failed,
    );
    if confirm.required {
        require_phrase(&confirm.phrase, req.confirmation.as_deref())?;
    }
    check_options(ctx, &req.options, &target, failed).await?;
    if let Target::Tenant(tenant_id) = source {
        scope::resolve(&ctx.db, runbook, &Scope::Tenant { tenant_id }).await?;
    }
    // A retry keeps its source's parameters and planned instant (docs/spec.md §12, v2 conventions).
    let plan = Planned {
        columns: Some((
            original.scope_kind,
            original.scope_tenant_id,
            original.workspace_id,
        )),
        preflight_id: None,
        parameters: original
            .parameters
            .clone()
            .unwrap_or_else(|| serde_json::json!({})),
        planned_at: original.planned_at.unwrap_or(original.created_at),
        total: failed,
        all_tenants: derived_all_tenants(&original, &target),
    };
    req.parameters = plan.parameters.clone();
    create_locked(ctx, &req, runbook, &target, None, plan).await
}
