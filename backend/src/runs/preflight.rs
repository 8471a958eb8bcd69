//! `preflight(scope)`: read-only. Computes what a run would change, stores the result under a
//! `preflight_id` valid for 15 minutes, and records `runbook.preflighted`.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor};
use crate::auth::RequestMeta;
use crate::context::AppContext;
use crate::domain::run::{Scope, confirmation_phrase};
use crate::entities::{preflights, tenants};
use crate::runbooks::{Plan, Runbook, TenantReport};
use crate::runs::{Initiator, RunError};

/// How long a preflight may be cited by a start.
pub const PREFLIGHT_TTL_MINUTES: i64 = 15;
/// Would-be changes shown in a preflight.
pub const SAMPLE_SIZE: usize = 5;
/// Findings per second one worker rebuilds, before any run has been measured.
const DEFAULT_RATE_PER_WORKER: f64 = 20_000.0;
/// Tenants read per page when walking the tenant universe.
const TENANT_PAGE: u64 = 1_000;

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
    /// Runbook key.
    pub runbook: String,
    /// The scope examined.
    pub scope: Scope,
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

/// Checks that `scope` is allowed for `runbook` and names a targetable tenant; returns the
/// tenant for a single-tenant scope.
pub async fn validate_scope(
    db: &impl ConnectionTrait,
    runbook: &dyn Runbook,
    scope: &Scope,
) -> Result<Option<tenants::Model>, RunError> {
    if !runbook.allowed_scopes().contains(&scope.kind()) {
        return Err(RunError::invalid(
            "scope.kind",
            format!(
                "{} cannot run with scope {}",
                runbook.key(),
                scope.kind().as_str()
            ),
        ));
    }
    let Some(tenant_id) = scope.tenant_id() else {
        return Ok(None);
    };
    match tenants::Entity::find_by_id(tenant_id).one(db).await? {
        None => Err(RunError::invalid(
            "scope.tenant_id",
            format!("tenant {tenant_id} does not exist"),
        )),
        Some(t) if t.external_id == tenants::PLATFORM_EXTERNAL_ID => Err(RunError::invalid(
            "scope.tenant_id",
            "the platform tenant is never a runbook target",
        )),
        Some(t) => Ok(Some(t)),
    }
}

/// Tenants in `scope` right now (the platform tenant never counts).
pub async fn count_tenants(db: &impl ConnectionTrait, scope: &Scope) -> Result<u64, DbErr> {
    let mut query = tenants::Entity::find()
        .filter(tenants::Column::ExternalId.ne(tenants::PLATFORM_EXTERNAL_ID));
    if let Some(id) = scope.tenant_id() {
        query = query.filter(tenants::Column::Id.eq(id));
    }
    query.count(db).await
}

/// One page of tenant ids in `scope` after `after` (keyset), at most `limit`.
pub async fn tenant_ids_page(
    db: &impl ConnectionTrait,
    scope: &Scope,
    after: i64,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let mut query = tenants::Entity::find()
        .select_only()
        .column(tenants::Column::Id)
        .filter(tenants::Column::ExternalId.ne(tenants::PLATFORM_EXTERNAL_ID))
        .filter(tenants::Column::Id.gt(after));
    if let Some(id) = scope.tenant_id() {
        query = query.filter(tenants::Column::Id.eq(id));
    }
    query
        .order_by_asc(tenants::Column::Id)
        .limit(limit)
        .into_tuple::<i64>()
        .all(db)
        .await
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
    validate_scope(&ctx.db, runbook, &scope).await?;
    let plan = Plan {
        parameters: &parameters,
        planned_at: now,
    };
    let mut total = TenantReport::default();
    let mut tenants_in_scope = 0u64;
    let mut tenants_with_changes = 0u64;
    let mut after = 0i64;
    loop {
        let ids = tenant_ids_page(&ctx.db, &scope, after, TENANT_PAGE).await?;
        let Some(&last) = ids.last() else { break };
        for tenant_id in ids {
            let report = runbook
                .preflight_tenant(&ctx.db, tenant_id, &plan, SAMPLE_SIZE)
                .await?;
            tenants_in_scope += 1;
            if report.changed > 0 {
                tenants_with_changes += 1;
            }
            total.merge(report, SAMPLE_SIZE);
        }
        after = last;
    }
    let mut changes_by_rule = total.changes_by_rule;
    for rule in runbook.rules() {
        changes_by_rule.entry(rule.key.to_owned()).or_insert(0);
    }
    let sample = name_tenants(&ctx.db, total.sample).await?;
    let tenant = match scope.tenant_id() {
        Some(id) => crate::runs::query::tenant_refs(&ctx.db, [id])
            .await?
            .remove(&id),
        None => None,
    };
    let expires_at = now + Duration::minutes(PREFLIGHT_TTL_MINUTES);
    let all = matches!(scope, Scope::AllTenants);
    let result = PreflightResult {
        preflight_id: uuid::Uuid::new_v4().to_string(),
        runbook: runbook.key().to_owned(),
        scope,
        parameters: parameters.clone(),
        planned_at: now,
        tenants_in_scope,
        tenants_with_changes,
        findings_examined: total.examined,
        findings_to_change: total.changed,
        changes_by_rule,
        sample,
        estimated_seconds: estimate_seconds(ctx, runbook, total.examined).await?,
        confirmation: Confirmation {
            required: all,
            phrase: all.then(|| confirmation_phrase(runbook.confirmation_verb(), tenants_in_scope)),
        },
        expires_at,
    };
    preflights::ActiveModel {
        id: Set(result.preflight_id.clone()),
        runbook_key: Set(result.runbook.clone()),
        scope_kind: Set(scope.kind()),
        scope_tenant_id: Set(scope.tenant_id()),
        tenants_in_scope: Set(tenants_in_scope as i64),
        summary: Set(serde_json::to_value(&result).unwrap_or_default()),
        operator_id: Set(initiator.map(|i| i.operator_id)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        parameters: Set(Some(parameters)),
    }
    .insert(&ctx.db)
    .await?;
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

/// Adds `tenant_external_id` and `tenant_name` beside each sample's `tenant_id`, so a person
/// reads which tenant a would-be change belongs to.
async fn name_tenants(
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

/// Seconds a run over `findings` would take: the last completed run's observed throughput if
/// there is one, otherwise a conservative default, spread over the configured workers.
async fn estimate_seconds(
    ctx: &AppContext,
    runbook: &dyn Runbook,
    findings: u64,
) -> Result<u64, DbErr> {
    let observed = crate::runs::query::observed_rate(&ctx.db, runbook.key()).await?;
    let workers = ctx.settings.workers.max(1) as f64;
    let rate = observed
        .unwrap_or(DEFAULT_RATE_PER_WORKER * workers)
        .max(1.0);
    Ok((findings as f64 / rate).ceil() as u64)
}

/// A stored preflight, if it exists.
pub async fn load(db: &impl ConnectionTrait, id: &str) -> Result<Option<preflights::Model>, DbErr> {
    preflights::Entity::find_by_id(id.to_owned()).one(db).await
}
