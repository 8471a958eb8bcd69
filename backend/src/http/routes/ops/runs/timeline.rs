//! `GET /ops/runs/{id}/timeline`: a run's throughput per minute.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query;
use crate::runs::timeline::{MinuteBucket, timeline as run_timeline};

/// Where the timeline ends.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// Count only items finished at or before this instant (RFC 3339), and end the buckets
    /// there: pass a run view's `updated_at` to draw the chart as of the counts that view shows.
    pub until: Option<DateTime<Utc>>,
}

/// A run's throughput per minute.
///
/// One bucket per minute (UTC) from the run's start to its end, or to now while it runs, counting
/// the items that succeeded and failed in that minute; empty minutes are included, except for a run
/// that has not started (no buckets) or one longer than a week (only the minutes in which items
/// finished).
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id"), TimelineQuery),
    responses(
        (status = 200, description = "Items finished per minute, oldest first", body = Vec<MinuteBucket>),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Id is not a 64-bit integer, or `until` is not an RFC 3339 instant", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}/timeline")]
pub async fn timeline(
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let run = query::find(&ctx.db, *id).await?.ok_or(ApiError::NotFound)?;
    let buckets = run_timeline(&ctx.db, &run, ctx.now(), query.until).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(buckets))
}
