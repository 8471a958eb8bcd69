//! `GET /ops/health`: the database health gate now.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::health::{self, HealthView};
use crate::http::extract::{Listing, known_query};
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};

/// The database health gate.
///
/// Whether tenants start now: `healthy`; `throttled` while an indicator is over its threshold
/// (or has not been under it for `HEALTH_RECOVERY_SAMPLES` samples yet), with the `reason`; or
/// `stale` when no sampler has sampled for three intervals (a stale gate holds nothing). Every
/// indicator as last sampled, with its value, threshold, whether the service's role can read it
/// (`available`; PostgreSQL's need `pg_monitor`) and whether it is `over`.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "The gate", body = HealthView),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter (this endpoint takes none)", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/health")]
pub async fn state(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    known_query(&req, &[], Listing::Export)?;
    let view = health::view(&ctx.db, &ctx.settings.health, ctx.now()).await?;
    Ok(HttpResponse::Ok().json(view))
}
