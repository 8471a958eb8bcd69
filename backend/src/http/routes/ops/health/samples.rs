//! `GET /ops/health/samples?since=`: the health gate's samples of the last hour.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::health::{self, Episode, Sample};
use crate::http::extract::{Listing, known_query};
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};

/// From when; an unknown query parameter is refused (422 naming it).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SamplesQuery {
    /// RFC 3339 instant; default, and at the earliest, an hour ago (older samples are not kept).
    pub since: Option<DateTime<Utc>>,
}

/// The samples, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SampleList {
    /// Every indicator's samples since `since`.
    pub items: Vec<Sample>,
    /// The gate's throttled episodes over the same span (one still lasting has no `ended_at`),
    /// which the console shades.
    pub episodes: Vec<Episode>,
}

/// The health gate's samples.
///
/// Every indicator's samples since `since` (at most the last hour, which is all the sampler
/// keeps), oldest first, and the gate's throttled episodes over that span: what the console
/// draws against each threshold, with the episodes shaded.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(SamplesQuery),
    responses(
        (status = 200, description = "The samples", body = SampleList),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid `since`, or an unknown query parameter", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/health/samples")]
pub async fn samples(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    query: web::Query<SamplesQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    known_query(&req, &["since"], Listing::Export)?;
    let earliest = ctx.now() - health::KEEP;
    let since = query.since.map_or(earliest, |since| since.max(earliest));
    let items = health::samples(&ctx.db, since).await?;
    let episodes = health::episodes(&ctx.db, since).await?;
    Ok(HttpResponse::Ok().json(SampleList { items, episodes }))
}
