//! Small `from_fn` middleware: request metrics and the API caching policy.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// The label of requests no route matched (keeps the label set bounded).
const UNMATCHED: &str = "unmatched";

/// Counts every request and its latency by method, matched route pattern and status.
pub async fn record_metrics<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let result = next.call(req).await;
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    if let Some(metrics) = crate::metrics::global() {
        metrics.observe_http(&method, &route, status, started.elapsed());
    }
    result
}

/// API responses carry `Cache-Control: no-store` unless the handler chose otherwise: they hold
/// per-operator data no shared or browser cache may keep.
pub async fn no_store<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}
