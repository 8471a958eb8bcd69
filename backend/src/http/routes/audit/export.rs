//! `GET /audit-events.csv`: the audit log as CSV, streamed.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::list::AuditQuery;
use crate::audit;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::export::{AUDIT_COLUMNS, PAGE};
use crate::http::csv::{self, json_rows};
use crate::http::extract::Listing;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};

/// Export the audit log as CSV.
///
/// Every audit event matching the audit log's filters, newest first, as CSV (`audit-events.csv`):
/// one column per JSON name of an event, `metadata` as JSON text; a cell a spreadsheet would read
/// as a formula gets a leading `'`. Streamed page by page, however many events match.
///
/// Who may call it: an operator with `audit.view`. Changes nothing.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit events as CSV", body = String, content_type = "text/csv"),
        (status = 403, description = "Missing audit.view", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown filter", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/audit-events.csv")]
pub async fn export(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    operator: Operator,
    filter: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::AuditView)?;
    let filter = filter.parse(&req, Listing::Export)?;
    let ctx = ctx.into_inner();
    Ok(csv::stream(
        "audit-events.csv",
        AUDIT_COLUMNS,
        None,
        move |before: Option<i64>| {
            let ctx = ctx.clone();
            let filter = filter.clone();
            async move {
                let events = audit::list_before(&ctx.db, &filter, before, PAGE).await?;
                let next = (events.len() as u64 == PAGE)
                    .then(|| events.last().map(|e| e.id))
                    .flatten();
                Ok((json_rows(&events), next.map(Some)))
            }
        },
    ))
}
