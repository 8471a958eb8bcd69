//! Revert (docs/spec.md §15): puts back what a completed run changed, from its change log,
//! without overwriting what the application changed since.
//!
//! - [`preflight`] reads the run's change log tenant by tenant, one record at a time, and asks
//!   the runbook how each logged row stands now: to restore, already restored, or a conflict.
//! - [`start`] starts a **revert run**: a normal run of the same runbook (its lock, items,
//!   counters, options, pause, audit, notification and alerts) over the tenants with change-log
//!   rows, with `reverts_run_id`; its tenant jobs restore ([`tenant`]) instead of repairing,
//!   and write their own change log, so a revert can be reverted in turn (a redo).

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{DbErr, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor};
use crate::auth::RequestMeta;
use crate::context::AppContext;
use crate::domain::run::{REVERT_VERB, RunKind, RunStatus, ScopeKind, confirmation_phrase};
use crate::entities::{operation_runs, preflight_tenants, preflights};
use crate::runbooks::{ChangeLog, RestoreReport, Runbook, TenantReport};
use crate::runs::preflight::{
    self, Confirmation, PREFLIGHT_TTL_MINUTES, SAMPLE_SIZE, name_tenants,
};
use crate::runs::query::{SCOPE_TENANTS_SHOWN, ScopeView};
use crate::runs::start::{self, Planned, StartRequest, StartedRun, stale};
use crate::runs::{Initiator, RunError, changes};

/// Tenants read per page of a change log's tenants.
const TENANT_PAGE: u64 = 1_000;

/// A revert preflight's result (docs/spec.md §15): what reverting the run would restore, what
/// is restored already, and what the application changed since (left alone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RevertPreflight {
    /// Cite it in `POST /ops/runs/{id}/revert`; expires at `expires_at`.
    pub preflight_id: String,
    /// Always `revert`; a start citing it is refused (`preflight_stale`), as a revert citing a
    /// runbook preflight is.
    pub kind: RunKind,
    /// The run it would revert.
    pub reverts_run_id: i64,
    /// Its runbook's key (a revert runs under the same lock).
    pub runbook: String,
    /// The tenants with change-log rows: the revert run's items.
    pub scope: ScopeView,
    /// The instant of this preflight.
    pub planned_at: DateTime<Utc>,
    /// Tenants with change-log rows.
    pub tenants_in_scope: u64,
    /// Rows of the change log.
    pub rows_logged: u64,
    /// Rows whose changed columns all still hold the values the run wrote: a revert puts back
    /// the values it overwrote.
    pub rows_to_restore: u64,
    /// Rows that hold the values the run overwrote again (a revert already ran).
    pub rows_already_restored: u64,
    /// Rows the application changed (or deleted) since the run wrote them: left alone.
    pub conflicts: u64,
    /// A few rows to restore, whole, before and after (each naming its tenant).
    #[schema(value_type = Vec<Object>)]
    pub sample: Vec<serde_json::Value>,
    /// A few conflicts: `before` (what the run overwrote), `written` (what it wrote) and
    /// `after` (what the row holds now; null when it was deleted), each naming its tenant.
    #[schema(value_type = Vec<Object>)]
    pub conflict_sample: Vec<serde_json::Value>,
    /// Typed confirmation: `REVERT <n> TENANTS` when the run covered all tenants.
    pub confirmation: Confirmation,
    /// When the preflight expires.
    pub expires_at: DateTime<Utc>,
}

/// The run `run_id`, if a revert of it may be made: completed, with its change log kept.
async fn revertible(ctx: &AppContext, run_id: i64) -> Result<operation_runs::Model, RunError> {
    let run = operation_runs::Entity::find_by_id(run_id)
        .one(&ctx.db)
        .await?
        .ok_or(RunError::RunNotFound)?;
    if run.status != RunStatus::Completed {
        return Err(RunError::state(format!(
            "run #{run_id} has not completed yet: only a completed run can be reverted"
        )));
    }
    if run.changes_purged_at.is_some() {
        return Err(RunError::ChangeLogExpired { run_id });
    }
    Ok(run)
}

/// Whether a revert of `run` needs the typed phrase: when the run covered all tenants (a
/// derived run keeps its source's scope kind).
fn needs_phrase(run: &operation_runs::Model) -> bool {
    run.scope_kind == ScopeKind::AllTenants
}

/// The read-only revert preflight of run `run_id`: its change log, tenant by tenant and record
/// by record (bounded memory), checked against the rows as they are now by the run's runbook.
/// Stored under a `preflight_id` valid for 15 minutes; audited `runbook.preflighted` (with
/// `kind: revert`).
pub async fn preflight(
    ctx: &AppContext,
    run_id: i64,
    initiator: Option<&Initiator>,
    meta: RequestMeta,
) -> Result<RevertPreflight, RunError> {
    let run = revertible(ctx, run_id).await?;
    let runbook = preflight::runbook(ctx, &run.runbook_key)?;
    let now = ctx.now().trunc_subsecs(6);
    let preflight_id = uuid::Uuid::new_v4().to_string();
    let mut total = RestoreReport::default();
    let mut per_tenant = Vec::new();
    let mut tenant_ids = Vec::new();
    let mut after = 0;
    loop {
        let ids = changes::tenants_page(&ctx.db, run_id, after, TENANT_PAGE).await?;
        let Some(&last) = ids.last() else { break };
        for tenant_id in ids {
            let mut tenant = RestoreReport::default();
            let mut record = 0;
            while let Some((id, rows)) =
                changes::next_record(&ctx.db, run_id, tenant_id, record).await?
            {
                record = id;
                let report = runbook
                    .check_restore(&ctx.db, tenant_id, &rows, SAMPLE_SIZE)
                    .await?;
                tenant.merge(report, SAMPLE_SIZE);
            }
            per_tenant.push(preflight_tenants::ActiveModel {
                preflight_id: Set(preflight_id.clone()),
                tenant_id: Set(tenant_id),
                examined: Set(tenant.examined as i64),
                changed: Set(tenant.restored as i64),
                changes_by_rule: Set(serde_json::json!({ RestoreReport::RULE: tenant.restored })),
            });
            tenant_ids.push(tenant_id);
            total.merge(tenant, SAMPLE_SIZE);
        }
        after = last;
    }
    if tenant_ids.is_empty() {
        return Err(RunError::state(format!(
            "run #{run_id} changed no row: there is nothing to revert"
        )));
    }
    let tenants = tenant_ids.len() as u64;
    let expires_at = now + Duration::minutes(PREFLIGHT_TTL_MINUTES);
    let phrase = needs_phrase(&run);
    let result = RevertPreflight {
        preflight_id: preflight_id.clone(),
        kind: RunKind::Revert,
        reverts_run_id: run_id,
        runbook: run.runbook_key.clone(),
        scope: ScopeView::Tenants {
            tenant_ids: tenant_ids
                .iter()
                .take(SCOPE_TENANTS_SHOWN)
                .copied()
                .collect(),
            count: tenants,
            retry_of: None,
            reverts_run_id: Some(run_id),
        },
        planned_at: now,
        tenants_in_scope: tenants,
        rows_logged: total.examined,
        rows_to_restore: total.restored,
        rows_already_restored: total.already_restored,
        conflicts: total.conflicts,
        sample: name_tenants(&ctx.db, total.sample).await?,
        conflict_sample: name_tenants(&ctx.db, total.conflict_sample).await?,
        confirmation: Confirmation {
            required: phrase,
            phrase: phrase.then(|| confirmation_phrase(REVERT_VERB, tenants)),
        },
        expires_at,
    };
    let stored = preflights::ActiveModel {
        id: Set(preflight_id),
        runbook_key: Set(run.runbook_key.clone()),
        scope_kind: Set(ScopeKind::Tenants),
        scope_tenant_id: Set(None),
        scope_workspace_id: Set(None),
        tenants_in_scope: Set(tenants as i64),
        summary: Set(serde_json::to_value(&result).unwrap_or_default()),
        operator_id: Set(initiator.map(|i| i.operator_id)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        parameters: Set(run.parameters.clone()),
        reverts_run_id: Set(Some(run_id)),
    };
    preflight::store(&ctx.db, stored, per_tenant).await?;
    let mut event = meta.event(
        "runbook.preflighted",
        initiator.map_or(Actor::System, |i| Actor::Operator {
            id: i.operator_id,
            username: i.username.clone(),
        }),
    );
    event.target = Some(("runbook", result.runbook.clone()));
    event.metadata = serde_json::json!({
        "kind": RunKind::Revert,
        "preflight_id": result.preflight_id,
        "reverts_run_id": run_id,
        "tenants_in_scope": tenants,
        "rows_to_restore": result.rows_to_restore,
        "rows_already_restored": result.rows_already_restored,
        "conflicts": result.conflicts,
    });
    audit::record(&ctx.db, event).await;
    Ok(result)
}

/// Starts the revert of run `run_id` from the revert preflight `req` cites, under the rules of
/// a start: the capabilities the run needed, a reason, the typed phrase when it covered all
/// tenants, options checked, `allow_no_changes` when nothing is left to restore; then the run's
/// lock, overlap check and single use of the preflight as for any start. `req.runbook`,
/// `req.parameters`, `req.retry_of` and `req.reverts` are set here.
pub async fn start(
    ctx: &AppContext,
    run_id: i64,
    mut req: StartRequest,
) -> Result<StartedRun, RunError> {
    let run = revertible(ctx, run_id).await?;
    let runbook = preflight::runbook(ctx, &run.runbook_key)?;
    let pf = start::cited(ctx, &req, ctx.now()).await?;
    match pf.reverts_run_id {
        Some(of) if of == run_id => {}
        Some(of) => {
            return Err(stale(&format!(
                "it is a revert preflight of run #{of}, not of run #{run_id}"
            )));
        }
        None => {
            return Err(stale(&format!(
                "it is a runbook preflight, not a revert preflight; run \
                 POST /ops/runs/{run_id}/revert/preflight"
            )));
        }
    }
    let target = preflight::target_of(&ctx.db, &pf)
        .await?
        .ok_or_else(|| stale("its stored scope is unreadable; run a new preflight"))?;
    start::derived_capabilities(&req, &run, &target)?;
    let tenants = pf.tenants_in_scope.max(0) as u64;
    if needs_phrase(&run) {
        start::require_phrase(
            &confirmation_phrase(REVERT_VERB, tenants),
            req.confirmation.as_deref(),
        )?;
    }
    start::check_options(ctx, &req.options, &target, tenants).await?;
    let to_restore = pf
        .summary
        .get("rows_to_restore")
        .and_then(serde_json::Value::as_u64);
    if to_restore == Some(0) && !req.allow_no_changes {
        return Err(RunError::Refused {
            code: "no_changes",
            field: "allow_no_changes",
            detail: format!(
                "no_changes: the revert preflight found no row of run #{run_id} to restore; \
                 send allow_no_changes: true to start anyway"
            ),
        });
    }
    let parameters = run
        .parameters
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    req.runbook = run.runbook_key.clone();
    req.parameters = parameters.clone();
    req.retry_of = None;
    req.reverts = Some(run_id);
    // A revert keeps the run's runbook, lock, scope kind (all tenants stays all tenants for
    // capability and phrase) and parameters.
    let plan = Planned {
        columns: Some((run.scope_kind, run.scope_tenant_id, run.workspace_id)),
        preflight_id: Some(pf.id),
        parameters,
        planned_at: run.planned_at.unwrap_or(run.created_at),
        total: tenants,
        all_tenants: start::derived_all_tenants(&run, &target),
    };
    start::create_locked(ctx, &req, runbook, &target, None, plan).await
}

/// A revert run's work in one tenant, inside the tenant's transaction: the reverted run's
/// change log for the tenant, one record at a time, restored by the runbook (which records what
/// it wrote in `log`).
pub async fn tenant(
    runbook: &dyn Runbook,
    txn: &sea_orm::DatabaseTransaction,
    reverts_run_id: i64,
    tenant_id: i64,
    log: &ChangeLog,
) -> Result<TenantReport, DbErr> {
    let mut report = RestoreReport::default();
    let mut record = 0;
    while let Some((id, rows)) =
        changes::next_record(txn, reverts_run_id, tenant_id, record).await?
    {
        record = id;
        report.merge(runbook.restore(txn, tenant_id, &rows, log).await?, 0);
    }
    Ok(report.tenant_report())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revert_counts_restored_rows_under_restore_and_keeps_its_conflicts() {
        let mut total = RestoreReport::default();
        total.merge(
            RestoreReport {
                examined: 5,
                restored: 3,
                already_restored: 1,
                conflicts: 1,
                sample: vec![serde_json::json!(1); 4],
                conflict_sample: vec![serde_json::json!(2)],
            },
            2,
        );
        assert_eq!(total.sample.len(), 2);
        let report = total.tenant_report();
        assert_eq!(
            (report.examined, report.changed, report.conflicts),
            (5, 3, 1)
        );
        assert_eq!(report.changes_by_rule.get("restore"), Some(&3));
    }
}
