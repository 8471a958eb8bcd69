//! Runbook catalogue, preflight and start (`/system/api/ops/runbooks/...`): one file per action; the shared wire types live here.

pub mod detail;
pub mod list;
pub mod preflight;
pub mod start;

use crate::domain::control::RunOptions;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::context::AppContext;
use crate::domain::run::{Reason, RunStatus, Scope, ScopeKind};
use crate::entities::operation_runs;
use crate::http::problem::ApiError;
use crate::runbooks::{RuleInfo, Runbook};
use crate::runs::query::{self, LastRun, RunView};

/// A runbook of the catalogue, with its active runs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunbookView {
    /// Stable key.
    pub key: String,
    /// Title.
    pub title: String,
    /// What it does.
    pub description: String,
    /// Logic version.
    pub version: i32,
    /// Scopes it may run with.
    pub allowed_scopes: Vec<ScopeKind>,
    /// Whether the deploy hook runs it.
    pub run_on_deploy: bool,
    /// The keys of the rules its reports count under (v1; see `rule_details`).
    pub rules: Vec<String>,
    /// Its rules, in order: key, name and a one-line description.
    pub rule_details: Vec<RuleDetail>,
    /// The JSON Schema of its `parameters` object (preflight and start requests).
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
    /// The verb of its typed confirmation phrase (`<VERB> <n> TENANTS`).
    pub confirmation_verb: String,
    /// The first active (queued or running) run, if any.
    pub active_run: Option<RunView>,
    /// Every active run (several single-tenant runs may be active at once).
    pub active_runs: Vec<RunView>,
    /// Its latest run (any scope, active or completed); null when it never ran
    /// (docs/spec.md §21).
    pub last_run: Option<LastRun>,
}

/// One rule of a runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RuleDetail {
    /// Stable key, as counted in `changes_by_rule` (e.g. `R1`, `S1`).
    pub key: String,
    /// Short name (e.g. `first_seen`).
    pub name: String,
    /// What the rule does, in one line.
    pub description: String,
}

impl From<&RuleInfo> for RuleDetail {
    fn from(rule: &RuleInfo) -> Self {
        Self {
            key: rule.key.to_owned(),
            name: rule.name.to_owned(),
            description: rule.description.to_owned(),
        }
    }
}

/// The catalogue entry of `runbook`, with `last_run` as [`query::last_runs`] found it.
pub(super) async fn view(
    ctx: &AppContext,
    runbook: &dyn Runbook,
    last_run: Option<LastRun>,
) -> Result<RunbookView, ApiError> {
    let now = ctx.now();
    let mut active_runs = Vec::new();
    for run in operation_runs::Entity::find()
        .filter(operation_runs::Column::RunbookKey.eq(runbook.key()))
        .filter(operation_runs::Column::Status.is_in(RunStatus::ACTIVE.map(RunStatus::as_str)))
        .order_by_asc(operation_runs::Column::Id)
        .all(&ctx.db)
        .await?
    {
        active_runs.push(query::view(&ctx.db, &ctx.runbooks, run, now).await?);
    }
    Ok(RunbookView {
        key: runbook.key().to_owned(),
        title: runbook.title().to_owned(),
        description: runbook.description().to_owned(),
        version: runbook.version(),
        allowed_scopes: runbook.allowed_scopes().to_vec(),
        run_on_deploy: runbook.run_on_deploy(),
        rules: runbook.rule_keys().into_iter().map(str::to_owned).collect(),
        rule_details: runbook.rules().iter().map(RuleDetail::from).collect(),
        parameters: runbook.parameters_schema(),
        confirmation_verb: runbook.confirmation_verb().to_owned(),
        active_run: active_runs.first().cloned(),
        active_runs,
        last_run,
    })
}

/// The runbook catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunbookList {
    /// Every runbook.
    pub items: Vec<RunbookView>,
}

/// Preflight request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreflightBody {
    /// The scope to examine.
    pub scope: Scope,
    /// The runbook's parameters (see the runbook's `parameters` schema; default `{}`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub parameters: serde_json::Value,
}

/// A reason as sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// `data_repair`, `incident`, `migration`, `support_request` or `other`.
    pub code: String,
    /// 10–500 characters.
    pub text: String,
}

/// Start request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// Scope (must match the preflight's).
    pub scope: Scope,
    /// The runbook's parameters (must match the preflight's once parsed; default `{}`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub parameters: serde_json::Value,
    /// Why.
    pub reason: Option<ReasonBody>,
    /// The preflight confirmed against.
    pub preflight_id: Option<String>,
    /// The typed phrase (all tenants).
    pub confirmation: Option<String>,
    /// Start even though the preflight found nothing to change (default false: such a start is
    /// refused with `no_changes`).
    #[serde(default)]
    pub allow_no_changes: bool,
    /// Run control (docs/spec.md §13): concurrency cap, failure budget, waves, canary tenants.
    /// Part of the run's identity: an active run with the same runbook, scope, parameters and
    /// options is returned instead of a new one.
    #[serde(default)]
    pub options: RunOptions,
}

/// A required reason, parsed; 422 naming the field otherwise.
pub fn parse_reason(reason: Option<ReasonBody>) -> Result<Reason, ApiError> {
    let reason =
        reason.ok_or_else(|| ApiError::field("reason", "a reason (code and text) is required"))?;
    Reason::parse(&reason.code, &reason.text).map_err(|e| {
        let field = match e {
            crate::domain::run::ReasonError::UnknownCode(_) => "reason.code",
            crate::domain::run::ReasonError::TextLength(_) => "reason.text",
        };
        ApiError::field(field, e.to_string())
    })
}
