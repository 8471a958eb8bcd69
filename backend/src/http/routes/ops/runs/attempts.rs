//! `GET /ops/runs/{id}/items/{item_id}/attempts`: the attempts of one of a run's items.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::attempts::{self, AttemptList};

/// List an item's attempts.
///
/// Every attempt of one tenant's item, oldest first: when it started and ended, its error with
/// the SQLSTATE when it failed, and the worker that ran it. An item that failed once and then
/// succeeded lists both attempts, the first with its error (the item itself keeps only the
/// last). An attempt handed back unfinished at a worker's shutdown is not counted in the item's
/// `attempts` and not listed. An unknown run, or an item of another run, is 404.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(
        ("id" = i64, Path, description = "Run id"),
        ("item_id" = i64, Path, description = "Item id (an item of that run)"),
    ),
    responses(
        (status = 200, description = "Attempts, oldest first", body = AttemptList),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run, or no such item in it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a 64-bit integer", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}/items/{item_id}/attempts")]
pub async fn item_attempts(
    ctx: web::Data<AppContext>,
    operator: Operator,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let (run_id, item_id) = path.into_inner();
    let items = attempts::list(&ctx.db, run_id, item_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(AttemptList { items }))
}
