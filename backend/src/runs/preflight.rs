//! `preflight(scope)`: read-only. Computes what a run would change, stores the result under a
//! `preflight_id` valid for 15 minutes, and records `runbook.preflighted`.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor};
use crate::auth::RequestMeta;
use crate::context::AppContext;
use crate::db;
use crate::domain::run::{RunKind, Scope, ScopeKind, Target, confirmation_phrase};
use crate::entities::{preflight_tenants, preflights};
use crate::runbooks::{Plan, Runbook, TenantReport};
use crate::runs::query::{ScopeView, TenantRef};
use crate::runs::scope;
use crate::runs::{Initiator, RunError};

/// How long a preflight may be cited by a start.
pub const PREFLIGHT_TTL_MINUTES: i64 = 15;
/// Would-be changes shown in a preflight.
pub const SAMPLE_SIZE: usize = 5;
/// Findings per second one worker rebuilds, before any run has been measured.
const DEFAULT_RATE_PER_WORKER: f64 = 20_000.0;
/// Tenants read per page when walking the tenant universe.
const TENANT_PAGE: u64 = 1_000;
/// `preflight_tenants` rows per INSERT.
const TENANT_ROWS_PER_INSERT: usize = 500;

/// The typed confirmation an operator must give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Confirmation {
    /// Whether a typed phrase is required (all-tenants starts).
    pub required: bool,
    /// The phrase to type, exactly.
    pub phrase: Option<String>,
}

/// A preflight's result (docs/spec.md §6 wire format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreflightResult {
    /// Cite it when starting; expires at `expires_at`.
    pub preflight_id: String,
    /// `run`: a preflight of the runbook's repair (a revert preflight is `revert`).
    #[serde(default)]
    pub kind: RunKind,
    /// Runbook key.
    pub runbook: String,
    /// The scope examined, resolved (`RunScope`: a list shows its first 100 tenants and
    /// `count`, a workspace its name).
    pub scope: ScopeView,
    /// The runbook's parameters, parsed (defaults filled in); a start must send the same.
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
    /// The instant of this preflight: the "now" a run started from it uses (e.g. as
    /// `closed_at`), for every tenant and every retry.
    pub planned_at: DateTime<Utc>,
    /// Tenants in scope.
    pub tenants_in_scope: u64,
    /// Tenants with at least one change.
    pub tenants_with_changes: u64,
    /// Findings examined.
    pub findings_examined: u64,
    /// Findings that would change.
    pub findings_to_change: u64,
    /// Changes per rule (a finding may count under several).
    #[schema(example = json!({"R1": 3, "R2": 0, "R3": 1, "R4": 0, "R5": 2, "R6": 4, "R7": 0}))]
    pub changes_by_rule: std::collections::BTreeMap<String, u64>,
    /// A few would-be changes, before and after, each naming its tenant (`finding_id`,
    /// `tenant_id`, `tenant_external_id`, `tenant_name`, `rules`, `before`, `after`, and
    /// optionally `context`: unchanged fields that made the rule apply, e.g. Close Stale's
    /// `severity` and `last_seen_at`).
    #[schema(value_type = Vec<Object>)]
    pub sample: Vec<serde_json::Value>,
    /// Estimated run time with the configured workers.
    pub estimated_seconds: u64,
    /// Typed confirmation requirement.
    pub confirmation: Confirmation,
    /// When the preflight expires.
    pub expires_at: DateTime<Utc>,
}

/// Resolves a runbook key in the context's registry.
pub fn runbook(ctx: &AppContext, key: &str) -> Result<&'static dyn Runbook, RunError> {
    ctx.runbooks
        .find(key)
        .ok_or_else(|| RunError::UnknownRunbook(key.to_owned()))
}

/// Runs the read-only preflight of `runbook_key` over `scope` with `parameters` (as sent:
/// `null` or an object; parsed and checked here).
pub async fn preflight(
    ctx: &AppContext,
    runbook_key: &str,
    scope: Scope,
    parameters: &serde_json::Value,
    initiator: Option<&Initiator>,
    meta: RequestMeta,
) -> Result<PreflightResult, RunError> {
    let runbook = runbook(ctx, runbook_key)?;
    // Microseconds: what both databases store, so the instant a run writes (e.g. `closed_at`)
    // reads back equal to the `planned_at` this preflight reports.
    let now = ctx.now().trunc_subsecs(6);
    let parameters = runbook.parse_parameters(parameters, now)?;
    let resolved = scope::resolve(&ctx.db, runbook, &scope).await?;
    let target = resolved.target;
    let plan = Plan {
        parameters: &parameters,
        planned_at: now,
    };
    let preflight_id = uuid::Uuid::new_v4().to_string();
    let mut total = TenantReport::default();
    let mut per_tenant = Vec::new();
    let mut tenants_with_changes = 0u64;
    let mut after = 0i64;
    loop {
        let ids = scope::page(&ctx.db, &target, after, TENANT_PAGE).await?;
        let Some(&last) = ids.last() else { break };
        for tenant_id in ids {
            let report = runbook
                .preflight_tenant(&ctx.db, tenant_id, &plan, SAMPLE_SIZE)
                .await?;
            if report.changed > 0 {
                tenants_with_changes += 1;
            }
            per_tenant.push(preflight_tenants::ActiveModel {
                preflight_id: Set(preflight_id.clone()),
                tenant_id: Set(tenant_id),
                examined: Set(report.examined as i64),
                changed: Set(report.changed as i64),
                changes_by_rule: Set(
                    serde_json::to_value(&report.changes_by_rule).unwrap_or_default()
                ),
            });
            total.merge(report, SAMPLE_SIZE);
        }
        after = last;
    }
    let tenants_in_scope = per_tenant.len() as u64;
    let mut changes_by_rule = total.changes_by_rule;
    for rule in runbook.rules() {
        changes_by_rule.entry(rule.key.to_owned()).or_insert(0);
    }
    let sample = name_tenants(&ctx.db, total.sample).await?;
    let tenant = resolved.tenant.map(TenantRef::from);
    let expires_at = now + Duration::minutes(PREFLIGHT_TTL_MINUTES);
    let phrase = target.needs_phrase();
    let result = PreflightResult {
        preflight_id,
        kind: RunKind::Run,
        runbook: runbook.key().to_owned(),
        scope: ScopeView::of_target(&ctx.db, &target, tenant.clone()).await?,
        parameters: parameters.clone(),
        planned_at: now,
        tenants_in_scope,
        tenants_with_changes,
        findings_examined: total.examined,
        findings_to_change: total.changed,
        changes_by_rule,
        sample,
        estimated_seconds: estimate_seconds(
            ctx,
            runbook,
            tenants_in_scope,
            total.examined,
            total.changed,
        )
        .await?,
        confirmation: Confirmation {
            required: phrase,
            phrase: phrase
                .then(|| confirmation_phrase(runbook.confirmation_verb(), tenants_in_scope)),
        },
        expires_at,
    };
    let stored = preflights::ActiveModel {
        id: Set(result.preflight_id.clone()),
        runbook_key: Set(result.runbook.clone()),
        scope_kind: Set(target.kind()),
        scope_tenant_id: Set(target.tenant_id()),
        scope_workspace_id: Set(target.workspace_id()),
        tenants_in_scope: Set(tenants_in_scope as i64),
        summary: Set(serde_json::to_value(&result).unwrap_or_default()),
        operator_id: Set(initiator.map(|i| i.operator_id)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        parameters: Set(Some(parameters)),
        reverts_run_id: Set(None),
    };
    store(&ctx.db, stored, per_tenant).await?;
    let mut event = meta.event(
        "runbook.preflighted",
        initiator.map_or(Actor::System, |i| Actor::Operator {
            id: i.operator_id,
            username: i.username.clone(),
        }),
    );
    event.target = Some(("runbook", result.runbook.clone()));
    event.metadata = serde_json::json!({
        "preflight_id": result.preflight_id,
        "scope": result.scope,
        "tenant": tenant,
        "parameters": result.parameters,
        "tenants_in_scope": tenants_in_scope,
        "findings_to_change": result.findings_to_change,
        "changes_by_rule": result.changes_by_rule,
    });
    audit::record(&ctx.db, event).await;
    Ok(result)
}

/// Stores a preflight and what it found per tenant, in one transaction.
pub(super) async fn store(
    db: &DatabaseConnection,
    preflight: preflights::ActiveModel,
    per_tenant: Vec<preflight_tenants::ActiveModel>,
) -> Result<(), DbErr> {
    let txn = db::begin_write(db).await?;
    preflight.insert(&txn).await?;
    let mut rows = per_tenant.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(TENANT_ROWS_PER_INSERT).collect();
        preflight_tenants::Entity::insert_many(chunk)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await
}

/// Adds `tenant_external_id` and `tenant_name` beside each sample's `tenant_id`, so a person
/// reads which tenant a would-be change belongs to.
pub(super) async fn name_tenants(
    db: &impl ConnectionTrait,
    mut sample: Vec<serde_json::Value>,
) -> Result<Vec<serde_json::Value>, DbErr> {
    let ids = sample
        .iter()
        .filter_map(|s| s.get("tenant_id").and_then(serde_json::Value::as_i64));
    let tenants = crate::runs::query::tenant_refs(db, ids.collect::<Vec<_>>()).await?;
    for entry in &mut sample {
        let tenant = entry
            .get("tenant_id")
            .and_then(serde_json::Value::as_i64)
            .and_then(|id| tenants.get(&id));
        if let (Some(object), Some(tenant)) = (entry.as_object_mut(), tenant) {
            object.insert(
                "tenant_external_id".into(),
                tenant.external_id.clone().into(),
            );
            object.insert("tenant_name".into(), tenant.name.clone().into());
        }
    }
    Ok(sample)
}

/// Seconds a run over `tenants` examining `findings` and changing `changed` would take, from
/// this runbook's measured
/// per-tenant cost (docs/spec.md §21, [`crate::runs::query::measured_cost`]); before any run of
/// it was measured, a conservative default spread over the configured workers.
async fn estimate_seconds(
    ctx: &AppContext,
    runbook: &dyn Runbook,
    tenants: u64,
    findings: u64,
    changed: u64,
) -> Result<u64, DbErr> {
    let seconds = match crate::runs::query::measured_cost(&ctx.db, runbook.key()).await? {
        Some(cost) => cost.seconds(tenants, findings, changed),
        None => {
            let workers = ctx.settings.workers.max(1) as f64;
            findings as f64 / (DEFAULT_RATE_PER_WORKER * workers)
        }
    };
    Ok(seconds.ceil() as u64)
}

/// A stored preflight, if it exists.
pub async fn load(db: &impl ConnectionTrait, id: &str) -> Result<Option<preflights::Model>, DbErr> {
    preflights::Entity::find_by_id(id.to_owned()).one(db).await
}

/// The target a stored preflight examined: a list's or a workspace's tenants are its
/// `preflight_tenants`.
pub async fn target_of(
    db: &impl ConnectionTrait,
    pf: &preflights::Model,
) -> Result<Option<Target>, DbErr> {
    let listed = || async {
        preflight_tenants::Entity::find()
            .select_only()
            .column(preflight_tenants::Column::TenantId)
            .filter(preflight_tenants::Column::PreflightId.eq(pf.id.clone()))
            .order_by_asc(preflight_tenants::Column::TenantId)
            .into_tuple::<i64>()
            .all(db)
            .await
    };
    Ok(
        match (pf.scope_kind, pf.scope_tenant_id, pf.scope_workspace_id) {
            (ScopeKind::Tenant, Some(id), None) => Some(Target::Tenant(id)),
            (ScopeKind::AllTenants, None, None) => Some(Target::AllTenants),
            (ScopeKind::Tenants, None, None) => Some(Target::Tenants(listed().await?)),
            (ScopeKind::Workspace, None, Some(workspace_id)) => Some(Target::Workspace {
                workspace_id,
                tenant_ids: listed().await?,
            }),
            _ => None,
        },
    )
}

/// What a preflight found in one tenant (`GET /ops/preflights/{id}/tenants`, docs/spec.md §21).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreflightTenantView {
    /// Tenant id.
    pub tenant_id: i64,
    /// The tenant's external id (null when it was deleted since).
    pub tenant_external_id: Option<String>,
    /// The tenant's name (null when it was deleted since).
    pub tenant_name: Option<String>,
    /// Findings examined.
    pub findings_examined: u64,
    /// Findings that would change.
    pub findings_to_change: u64,
    /// Would-be changes per rule (a finding may count under several).
    #[schema(example = json!({"S1": 2}))]
    pub changes_by_rule: std::collections::BTreeMap<String, u64>,
}

/// A preflight's tenants filter: `changes_only` keeps the tenants with a would-be change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreflightTenantFilter {
    /// Only tenants with at least one would-be change.
    pub changes_only: bool,
}

fn preflight_tenants_matching(
    preflight_id: &str,
    filter: PreflightTenantFilter,
) -> sea_orm::Select<preflight_tenants::Entity> {
    let mut query = preflight_tenants::Entity::find()
        .filter(preflight_tenants::Column::PreflightId.eq(preflight_id));
    if filter.changes_only {
        query = query.filter(preflight_tenants::Column::Changed.gt(0));
    }
    query.order_by_asc(preflight_tenants::Column::TenantId)
}

async fn tenant_views(
    db: &impl ConnectionTrait,
    rows: Vec<preflight_tenants::Model>,
) -> Result<Vec<PreflightTenantView>, DbErr> {
    let names =
        crate::runs::query::tenant_refs(db, rows.iter().map(|r| r.tenant_id).collect::<Vec<_>>())
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let tenant = names.get(&r.tenant_id);
            PreflightTenantView {
                tenant_id: r.tenant_id,
                tenant_external_id: tenant.map(|t| t.external_id.clone()),
                tenant_name: tenant.map(|t| t.name.clone()),
                findings_examined: r.examined.max(0) as u64,
                findings_to_change: r.changed.max(0) as u64,
                changes_by_rule: serde_json::from_value(r.changes_by_rule).unwrap_or_default(),
            }
        })
        .collect())
}

/// One page of a preflight's tenants, by tenant id, and how many match.
pub async fn tenants_page(
    db: &impl ConnectionTrait,
    preflight_id: &str,
    filter: PreflightTenantFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<PreflightTenantView>, u64), DbErr> {
    let query = preflight_tenants_matching(preflight_id, filter);
    let total = query.clone().count(db).await?;
    let rows = query
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((tenant_views(db, rows).await?, total))
}

/// A preflight's tenants after tenant `after` (keyset), at most `limit`: the CSV export's pages.
pub async fn tenants_after(
    db: &impl ConnectionTrait,
    preflight_id: &str,
    filter: PreflightTenantFilter,
    after: i64,
    limit: u64,
) -> Result<Vec<PreflightTenantView>, DbErr> {
    let rows = preflight_tenants_matching(preflight_id, filter)
        .filter(preflight_tenants::Column::TenantId.gt(after))
        .limit(limit)
        .all(db)
        .await?;
    tenant_views(db, rows).await
}

/// How long a preflight no run cites is kept after it expires (its per-tenant plan with it).
pub const UNCITED_RETENTION_DAYS: i64 = 7;

/// Deletes the preflights that expired [`UNCITED_RETENTION_DAYS`] ago and that no run cites,
/// with their per-tenant plans; returns how many.
pub async fn purge_uncited(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let before = now - Duration::days(UNCITED_RETENTION_DAYS);
    let old = "SELECT p.id FROM preflights p WHERE p.expires_at < ? \
               AND NOT EXISTS (SELECT 1 FROM operation_runs r WHERE r.preflight_id = p.id)";
    let txn = db::begin_write(db).await?;
    db::exec(
        &txn,
        &format!("DELETE FROM preflight_tenants WHERE preflight_id IN ({old})"),
        vec![before.into()],
    )
    .await?;
    let purged = db::exec(
        &txn,
        &format!("DELETE FROM preflights WHERE id IN ({old})"),
        vec![before.into()],
    )
    .await?;
    txn.commit().await?;
    Ok(purged)
}

/// The chore that purges old uncited preflights (docs/spec.md §21).
#[derive(Debug, Clone, Copy)]
pub struct UncitedPreflights;

impl crate::jobs::Chore for UncitedPreflights {
    fn name(&self) -> &'static str {
        "preflights.purge"
    }

    fn every(&self) -> std::time::Duration {
        std::time::Duration::from_secs(3600)
    }

    fn tick<'a>(
        &'a self,
        ctx: &'a AppContext,
    ) -> futures_util::future::BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let purged = purge_uncited(&ctx.db, ctx.now()).await?;
            if purged > 0 {
                tracing::info!(purged, "old preflights no run cites purged");
            }
            Ok(())
        })
    }
}
