//! Runbook catalogue, preflight and start.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::source_of;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::run::{Reason, RunStatus, Scope, ScopeKind};
use crate::entities::operation_runs;
use crate::http::guards::{Operator, request_meta};
use crate::http::problem::{ApiError, Problem};
use crate::idempotency::{self, Begin, IdempotencyKey};
use crate::runbooks::{RuleInfo, Runbook};
use crate::runs::preflight::{self as preflight_service, PreflightResult};
use crate::runs::query::{self, RunView};
use crate::runs::start::{self as start_service, StartRequest};
use crate::runs::{Initiator, RunError};

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

async fn view(ctx: &AppContext, runbook: &dyn Runbook) -> Result<RunbookView, ApiError> {
    let now = ctx.now();
    let mut active_runs = Vec::new();
    for run in operation_runs::Entity::find()
        .filter(operation_runs::Column::RunbookKey.eq(runbook.key()))
        .filter(
            operation_runs::Column::Status
                .is_in([RunStatus::Queued.as_str(), RunStatus::Running.as_str()]),
        )
        .order_by_asc(operation_runs::Column::Id)
        .all(&ctx.db)
        .await?
    {
        active_runs.push(query::view(&ctx.db, run, now).await?);
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
    })
}

/// The runbook catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunbookList {
    /// Every runbook.
    pub items: Vec<RunbookView>,
}

/// Lists every runbook with its active runs.
#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "Catalogue", body = RunbookList),
        (status = 403, description = "Missing ops.runbooks.view", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runbooks")]
pub async fn list(
    ctx: web::Data<AppContext>,
    operator: Operator,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let mut items = Vec::new();
    for runbook in ctx.runbooks.all() {
        items.push(view(&ctx, *runbook).await?);
    }
    Ok(HttpResponse::Ok().json(RunbookList { items }))
}

/// One runbook with its active runs.
#[utoipa::path(
    tag = "ops",
    params(("key" = String, Path, description = "Runbook key")),
    responses(
        (status = 200, description = "Runbook", body = RunbookView),
        (status = 403, description = "Missing ops.runbooks.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown runbook", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed key (e.g. a NUL character)", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runbooks/{key}")]
pub async fn detail(
    ctx: web::Data<AppContext>,
    operator: Operator,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let runbook = ctx.runbooks.find(&key).ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(view(&ctx, runbook).await?))
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

/// Read-only preflight: what a run would change. Cite its `preflight_id` within 15 minutes.
#[utoipa::path(
    tag = "ops",
    params(("key" = String, Path, description = "Runbook key")),
    request_body = PreflightBody,
    responses(
        (status = 200, description = "Preflight", body = PreflightResult),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runbooks.view or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown runbook", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid scope (e.g. the platform tenant) or parameters (`errors` names each, e.g. `parameters.last_seen_before`)", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runbooks/{key}/preflight")]
pub async fn preflight(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    key: web::Path<String>,
    body: web::Json<PreflightBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksView)?;
    let source = source_of(&operator);
    let initiator = Initiator::from(&operator.0);
    let result = preflight_service::preflight(
        &ctx,
        &key,
        body.scope,
        &body.parameters,
        Some(&initiator),
        request_meta(&req, source.as_str()),
    )
    .await?;
    Ok(HttpResponse::Ok().json(result))
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
}

/// A run as returned by a start.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartedRun {
    /// The run.
    #[serde(flatten)]
    pub run: RunView,
    /// True when an identical active run was returned instead of a new one.
    pub deduplicated: bool,
}

/// Starts a run: 201 + `Location` for a new run, 200 with `deduplicated: true` for an identical
/// active one, 409 when another active run overlaps. Supports `Idempotency-Key`.
#[utoipa::path(
    tag = "ops",
    params(
        ("key" = String, Path, description = "Runbook key"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key (≤ 255 chars, kept 24 h)"),
    ),
    request_body = StartBody,
    responses(
        (status = 201, description = "Run created", body = StartedRun, headers(("Location" = String, description = "The run"))),
        (status = 200, description = "Identical active run (deduplicated)", body = StartedRun),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runbooks.run (or run_all_tenants), or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown runbook", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Overlapping active run, or the same Idempotency-Key is in progress", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason, phrase or parameters, or a stale preflight (other scope or parameters, expired, tenants changed); Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runbooks/{key}/runs")]
pub async fn start(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    key: web::Path<String>,
    body: web::Json<StartBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksRun)?;
    let idem = match req.headers().get("idempotency-key") {
        None => None,
        Some(raw) => Some(
            raw.to_str()
                .map_err(|_| "Idempotency-Key must be visible ASCII characters".to_owned())
                .and_then(IdempotencyKey::parse)
                .map_err(|m| ApiError::field("Idempotency-Key", m))?,
        ),
    };
    let principal = format!("operator:{}", operator.id);
    let body = body.into_inner();
    if let Some(k) = &idem {
        let hash = idempotency::fingerprint(
            format!(
                "{}\n{}",
                key.as_str(),
                serde_json::to_string(&body).unwrap_or_default()
            )
            .as_bytes(),
        );
        match idempotency::begin(&ctx.db, &principal, k, &hash, ctx.now()).await? {
            Begin::Proceed => {}
            Begin::Replay { status, body } => {
                let status = actix_web::http::StatusCode::from_u16(status)
                    .unwrap_or(actix_web::http::StatusCode::OK);
                return Ok(HttpResponse::build(status)
                    .insert_header(("Idempotency-Replayed", "true"))
                    .content_type("application/json")
                    .body(body));
            }
            Begin::Mismatch => {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "this key was already used with a different request body",
                ));
            }
            Begin::InProgress => {
                return Err(ApiError::Conflict {
                    detail: "a request with this Idempotency-Key is still being processed".into(),
                    active_run_id: None,
                });
            }
        }
    }
    let result = run_start(&req, &ctx, &operator, &key, body).await;
    match (&idem, &result) {
        (Some(k), Ok((status, json))) => {
            idempotency::finish(&ctx.db, &principal, k, *status, json).await?;
        }
        (Some(k), Err(_)) => idempotency::abandon(&ctx.db, &principal, k).await?,
        _ => {}
    }
    let (status, json) = result?;
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK),
    );
    if status == 201
        && let Ok(run) = serde_json::from_str::<StartedRun>(&json)
    {
        response.insert_header((
            header::LOCATION,
            format!("/system/api/ops/runs/{}", run.run.id),
        ));
    }
    Ok(response.content_type("application/json").body(json))
}

async fn run_start(
    req: &HttpRequest,
    ctx: &AppContext,
    operator: &Operator,
    key: &str,
    body: StartBody,
) -> Result<(u16, String), ApiError> {
    let reason = parse_reason(body.reason)?;
    let preflight_id = body
        .preflight_id
        .ok_or_else(|| ApiError::field("preflight_id", "cite the preflight you confirmed"))?;
    let source = source_of(operator);
    let outcome = start_service::start(
        ctx,
        StartRequest {
            runbook: key.to_owned(),
            scope: body.scope,
            parameters: body.parameters,
            initiator: Some(Initiator::from(&operator.0)),
            reason,
            source,
            confirmation: body.confirmation,
            preflight_id,
            retry_of: None,
            meta: request_meta(req, source.as_str()),
        },
    )
    .await
    .map_err(|e| match e {
        RunError::UnknownRunbook(_) => ApiError::NotFound,
        other => other.into(),
    })?;
    let status = if outcome.deduplicated { 200 } else { 201 };
    let json = serde_json::to_string(&StartedRun {
        run: outcome.run,
        deduplicated: outcome.deduplicated,
    })
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((status, json))
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
