//! Run list, detail (with ETag polling), items and cancel.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::source_of;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::run::{ItemStatus, RunStatus};
use crate::http::guards::Operator;
use crate::http::guards::request_meta;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::runs::query::{self, ItemView, RunFilter, RunView};
use crate::runs::start::{self, StartRequest};
use crate::runs::{Initiator, service};

/// Run list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    /// `queued`, `running` or `completed`.
    pub status: Option<String>,
    /// Runbook key.
    pub runbook: Option<String>,
}

/// Runs, newest first.
#[utoipa::path(
    tag = "ops",
    params(RunListQuery, PageQuery),
    responses(
        (status = 200, description = "Runs", body = inline(Page<RunView>)),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter or pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs")]
pub async fn list(
    ctx: web::Data<AppContext>,
    operator: Operator,
    filter: web::Query<RunListQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let params = page.validate()?;
    let status =
        match filter.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(RunStatus::parse(s).ok_or_else(|| {
                ApiError::field("status", "expected queued, running or completed")
            })?),
        };
    let filter = RunFilter {
        status,
        runbook: filter.runbook.clone().filter(|r| !r.is_empty()),
    };
    let (runs, total) =
        query::list(&ctx.db, &filter, params.page, params.per_page, ctx.now()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::new(runs, params, total)))
}

/// One run with counts, progress and ETA. Send `If-None-Match` with the last `ETag` to get a
/// cheap 304 while nothing changed.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "Run", body = RunView, headers(("ETag" = String, description = "Version of the run"))),
        (status = 304, description = "Unchanged since If-None-Match"),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Id is not a 64-bit integer", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}")]
pub async fn detail(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let run = query::find(&ctx.db, *id).await?.ok_or(ApiError::NotFound)?;
    let etag = format!(
        "\"{}-{}-{}-{}\"",
        run.id,
        run.updated_at.timestamp_micros(),
        run.processed,
        run.status
    );
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    }
    let view = query::view(&ctx.db, run, ctx.now()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view))
}

/// Item filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// `pending`, `running`, `succeeded`, `failed`, `skipped` or `cancelled`.
    pub status: Option<String>,
}

/// A run's per-tenant items, failed first.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id"), ItemQuery, PageQuery),
    responses(
        (status = 200, description = "Items", body = inline(Page<ItemView>)),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter or pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}/items")]
pub async fn items(
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    filter: web::Query<ItemQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let params = page.validate()?;
    query::find(&ctx.db, *id).await?.ok_or(ApiError::NotFound)?;
    let status = match filter.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(ItemStatus::parse(s).ok_or_else(|| {
            ApiError::field(
                "status",
                "expected pending, running, succeeded, failed, skipped or cancelled",
            )
        })?),
    };
    let (rows, total) = query::items(&ctx.db, *id, status, params.page, params.per_page).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::new(rows, params, total)))
}

/// Cancel request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why (10–500 characters).
    pub reason: String,
}

/// Cancels a run: pending items become `cancelled`, running ones finish, outcome `cancelled`.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    request_body = CancelBody,
    responses(
        (status = 200, description = "Run after cancellation", body = RunView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runs.cancel or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already completed or being cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runs/{id}/cancel")]
pub async fn cancel(
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    body: web::Json<CancelBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsCancel)?;
    let reason = body.reason.trim();
    if !crate::domain::run::REASON_TEXT_CHARS.contains(&reason.chars().count()) {
        return Err(ApiError::field("reason", "must be 10 to 500 characters"));
    }
    let source = source_of(&operator);
    let view = service::cancel(
        &ctx,
        *id,
        &Initiator::from(&operator.0),
        reason,
        source.as_str(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Retry-failed request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    /// Why.
    pub reason: Option<super::runbooks::ReasonBody>,
    /// For an all-tenants run: `REBUILD <failed> TENANTS`.
    pub confirmation: Option<String>,
}

/// Starts a new run over only the failed tenants of a completed run (same confirmation rules as
/// a start).
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    request_body = RetryBody,
    responses(
        (status = 201, description = "Retry run created", body = super::runbooks::StartedRun, headers(("Location" = String, description = "The new run"))),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runbooks.run (or run_all_tenants), or CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not completed, nothing failed, or an overlapping run is active", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason or phrase", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[post("/ops/runs/{id}/retry-failed")]
pub async fn retry_failed(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    body: web::Json<RetryBody>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunbooksRun)?;
    let body = body.into_inner();
    let reason = super::runbooks::parse_reason(body.reason)?;
    let source = source_of(&operator);
    let outcome = start::retry_failed(
        &ctx,
        *id,
        StartRequest {
            runbook: String::new(),
            scope: crate::domain::run::Scope::AllTenants,
            parameters: serde_json::Value::Null,
            initiator: Some(Initiator::from(&operator.0)),
            reason,
            source,
            confirmation: body.confirmation,
            preflight_id: String::new(),
            retry_of: Some(*id),
            meta: request_meta(&req, source.as_str()),
        },
    )
    .await?;
    let location = format!("/system/api/ops/runs/{}", outcome.run.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(super::runbooks::StartedRun {
            run: outcome.run,
            deduplicated: outcome.deduplicated,
        }))
}
