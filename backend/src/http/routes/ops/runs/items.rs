//! `GET /ops/runs/{id}/items`: a run's per-tenant items.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::run::ItemStatus;
use crate::http::extract::{Listing, known_query, non_blank};
use crate::http::guards::Operator;
use crate::http::pagination::{Page, PageQuery};
use crate::http::problem::{ApiError, Problem};
use crate::runs::query::{self, ItemFilter, ItemView};

/// Item filters; they combine with AND, and an unknown query parameter is refused (422 naming
/// it), never ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// `pending`, `running`, `retrying`, `succeeded`, `failed`, `skipped` or `cancelled`.
    pub status: Option<String>,
    /// Case-insensitive substring of the tenant's name or external id (as `/ops/tenants`).
    pub search: Option<String>,
}

impl ItemQuery {
    /// The filters, parsed; 422 naming the field that does not parse.
    pub fn parse(&self, req: &HttpRequest, listing: Listing) -> Result<ItemFilter, ApiError> {
        known_query(req, &["status", "search"], listing)?;
        let status = non_blank(&self.status)
            .map(|s| {
                ItemStatus::parse(s).ok_or_else(|| {
                    ApiError::field(
                        "status",
                        "expected pending, running, retrying, succeeded, failed, skipped or cancelled",
                    )
                })
            })
            .transpose()?;
        Ok(ItemFilter {
            status,
            search: non_blank(&self.search).map(str::to_owned),
        })
    }
}

/// List a run's items.
///
/// A run's per-tenant items, failed first, then retrying, then running, then by tenant,
/// paginated; `status` filters them and `search` finds tenants by name or external id.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id"), ItemQuery, PageQuery),
    responses(
        (status = 200, description = "Items", body = inline(Page<ItemView>)),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter, or invalid pagination", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}/items")]
pub async fn items(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
    filter: web::Query<ItemQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let params = page.validate()?;
    query::find(&ctx.db, *id).await?.ok_or(ApiError::NotFound)?;
    let filter = filter.parse(&req, Listing::Paged)?;
    let (rows, total) = query::items_matching(
        &ctx.db,
        *id,
        &filter,
        params.page,
        params.per_page,
        ctx.now(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::new(rows, params, total)))
}
