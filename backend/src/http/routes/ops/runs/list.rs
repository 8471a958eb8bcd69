//! `GET /ops/runs`: runs, newest first, with filters.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::run::{Outcome, RunStatus, Source};
use crate::http::extract::{Listing, instant, known_query, non_blank};
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::runs::query::{self, RunFilter, RunView};

/// Run list filters; they combine with AND, a blank one is no filter, and an unknown query
/// parameter is refused (422 naming it), never ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    /// `queued`, `running` or `completed`.
    pub status: Option<String>,
    /// `succeeded`, `partially_succeeded`, `failed` or `cancelled`.
    pub outcome: Option<String>,
    /// Runbook key.
    pub runbook: Option<String>,
    /// Part of the username or display name of the operator who started the run
    /// (case-insensitive).
    pub initiator: Option<String>,
    /// `system_ui`, `api`, `cli` or `deploy_hook`.
    pub source: Option<String>,
    /// Runs with an item for this tenant (or scoped to it).
    pub tenant_id: Option<String>,
    /// Runs created at or after this RFC 3339 instant.
    pub created_after: Option<String>,
    /// Runs created before this RFC 3339 instant.
    pub created_before: Option<String>,
}

impl RunListQuery {
    /// The filters' query parameter names.
    const FILTERS: &[&str] = &[
        "status",
        "outcome",
        "runbook",
        "initiator",
        "source",
        "tenant_id",
        "created_after",
        "created_before",
    ];

    /// The filters, parsed; 422 naming the first field that does not parse.
    pub fn parse(&self, req: &HttpRequest, listing: Listing) -> Result<RunFilter, ApiError> {
        known_query(req, Self::FILTERS, listing)?;
        let status = non_blank(&self.status)
            .map(|s| {
                RunStatus::parse(s).ok_or_else(|| {
                    ApiError::field("status", "expected queued, running or completed")
                })
            })
            .transpose()?;
        let outcome = non_blank(&self.outcome)
            .map(|s| {
                Outcome::parse(s).ok_or_else(|| {
                    ApiError::field(
                        "outcome",
                        "expected succeeded, partially_succeeded, failed or cancelled",
                    )
                })
            })
            .transpose()?;
        let source = non_blank(&self.source)
            .map(|s| {
                Source::parse(s).ok_or_else(|| {
                    ApiError::field("source", "expected system_ui, api, cli or deploy_hook")
                })
            })
            .transpose()?;
        let tenant_id = non_blank(&self.tenant_id)
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| ApiError::field("tenant_id", "expected a tenant id (an integer)"))
            })
            .transpose()?;
        Ok(RunFilter {
            status,
            runbook: non_blank(&self.runbook).map(str::to_owned),
            outcome,
            initiator: non_blank(&self.initiator).map(str::to_owned),
            source,
            tenant_id,
            created_after: instant("created_after", &self.created_after)?,
            created_before: instant("created_before", &self.created_before)?,
        })
    }
}

/// List runs.
///
/// Runs, newest first, filtered by status, outcome, runbook, initiator (username), source, tenant
/// (runs with an item for it) and creation time; an unknown filter is 422, never ignored. Each row
/// carries its counts and `duration_seconds`.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(RunListQuery, PageQuery),
    responses(
        (status = 200, description = "Runs", body = inline(Page<RunView>)),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter, or invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs")]
pub async fn list(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    filter: web::Query<RunListQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let filter = filter.parse(&req, Listing::Paged)?;
    let params = page.validate()?;
    let (runs, total) = query::list(
        &ctx.db,
        &ctx.runbooks,
        &filter,
        params.page,
        params.per_page,
        ctx.now(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::new(runs, params, total)))
}
