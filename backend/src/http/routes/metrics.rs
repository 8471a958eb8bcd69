//! `GET /metrics`: Prometheus text format (outside both planes, like the probes).

use actix_web::{HttpResponse, get, web};

use crate::context::AppContext;

/// Prometheus metrics: HTTP requests and latency, runs by status, queued/running jobs, job
/// durations. The run and job gauges are read from the database on each scrape.
#[utoipa::path(tag = "metrics", responses(
    (status = 200, description = "Prometheus text exposition format", content_type = "text/plain; version=0.0.4", body = String),
))]
#[get("/metrics")]
pub async fn metrics(ctx: web::Data<AppContext>) -> HttpResponse {
    let Some(metrics) = crate::metrics::global() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    // A database hiccup leaves the gauges at their last values rather than failing the scrape.
    if let Err(e) = metrics.refresh(&ctx.db).await {
        tracing::warn!(error = %e, "cannot refresh run and job gauges");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}
