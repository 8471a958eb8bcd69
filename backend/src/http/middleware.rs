//! Small `from_fn` middleware: request metrics, browser security headers and the API caching
//! policy.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// The label of requests no route matched (keeps the label set bounded).
const UNMATCHED: &str = "unmatched";

/// Counts every request and its latency by method, matched route pattern and status. Every
/// label is bounded whatever the client sends: made-up methods become `other`, paths no route
/// matched `unmatched`.
pub async fn record_metrics<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let started = Instant::now();
    let method = crate::metrics::method_label(req.method().as_str());
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let result = next.call(req).await;
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    if let Some(metrics) = crate::metrics::global() {
        metrics.observe_http(method, &route, status, started.elapsed());
    }
    result
}

/// The Content-Security-Policy of every response. No inline script and no other origin: the
/// SPA is Vite output loaded from files, and the API docs page loads Swagger UI and its
/// initialiser as files too (frontend/api-docs). `style-src` falls back to `'self'`: React's and
/// Swagger UI's `style` props are set through the CSSOM, which CSP does not govern, and neither
/// page ships a `<style>` element or a `style="..."` attribute in its HTML. `img-src data:` is
/// for the icons Swagger UI's stylesheet embeds as data URIs. `frame-ancestors 'none'` (with
/// `X-Frame-Options` for older browsers) forbids framing, i.e. clickjacking of the confirm
/// dialogs; `form-action 'self'` keeps an injected form from posting elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response, SPA, APIs, probes and errors alike (an API answer is
/// harmless to protect, and a per-route list would sooner or later miss a page).
pub async fn security_headers<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    // An `Err` from a layer below (the session store's 500/503) has no request left to build a
    // response around here; actix renders it after this layer, so [`ApiError`]'s own rendering
    // adds the same headers (see `problem.rs`).
    //
    // [`ApiError`]: crate::http::problem::ApiError
    let mut res = next.call(req).await?;
    add_security_headers(res.headers_mut());
    Ok(res)
}

/// Sets the browser security headers on `headers` (replacing any a handler set).
pub fn add_security_headers(headers: &mut HeaderMap) {
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ] {
        headers.insert(name, value);
    }
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

/// Bounds how long a client may take to send a request body: the payload stream fails with
/// `TimedOut` once `BODY_TIMEOUT_MS` has passed since the headers arrived, and the JSON
/// extractor turns that into a 408 problem document. Keeps slow-body (slowloris-style) clients
/// from holding connections and handler tasks open; slow headers are bounded per request at
/// the accept step (`conn.rs`).
pub async fn body_deadline<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    use actix_web::HttpMessage;
    use actix_web::dev::Payload;
    use actix_web::error::PayloadError;
    use futures_util::StreamExt;

    let Some(ctx) = req.app_data::<actix_web::web::Data<crate::context::AppContext>>() else {
        return next.call(req).await;
    };
    let deadline = tokio::time::Instant::now() + ctx.settings.body_timeout;
    let payload = req.take_payload();
    let bounded = futures_util::stream::unfold(Some(payload), move |state| async move {
        let mut payload = state?;
        match tokio::time::timeout_at(deadline, payload.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(payload))),
            Ok(None) => None,
            Err(_) => Some((
                Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body was not received in time",
                ))),
                None,
            )),
        }
    });
    req.set_payload(Payload::Stream {
        payload: Box::pin(bounded),
    });
    next.call(req).await
}

/// The operator-plane routes that take a list of tenants (docs/spec.md §21): a preflight, a
/// start, a tenant lookup.
fn takes_a_tenant_list(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == actix_web::http::Method::POST
        && (path == "/system/api/ops/tenants/lookup"
            || (path.starts_with("/system/api/ops/runbooks/")
                && (path.ends_with("/preflight") || path.ends_with("/runs"))))
}

/// `MAX_SCOPE_BODY_BYTES` for a request to a route that takes a list of tenants and presents
/// operator credentials (a bearer token or the console's session cookie; they are checked
/// after, and a request whose credentials fail is refused before its body is parsed), else
/// `MAX_BODY_BYTES`: an anonymous client never gets the larger allowance.
fn body_limit_of(req: &ServiceRequest, settings: &crate::config::Settings) -> usize {
    let credentials = req.headers().contains_key(header::AUTHORIZATION)
        || req
            .cookie(crate::http::session_store::cookie_name(
                crate::auth::principal::Plane::System,
            ))
            .is_some();
    if credentials && takes_a_tenant_list(req) {
        settings.max_scope_body_bytes.max(settings.max_body_bytes)
    } else {
        settings.max_body_bytes
    }
}

/// One limit for every body, on every route of both planes and whatever its content type:
/// a declared `Content-Length` over `MAX_BODY_BYTES` gets 413 before a byte of the body is
/// read, and a body without one (chunked) fails with `Overflow` (413 from every extractor) as
/// soon as it grows past the limit. Nothing downstream can buffer more: the JSON and raw-body
/// extractors, and the NUL guard, all read this stream.
pub async fn body_limit<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    use actix_web::dev::Payload;
    use actix_web::error::PayloadError;
    use actix_web::{HttpMessage, ResponseError};
    use futures_util::StreamExt;

    let Some(limit) = req
        .app_data::<actix_web::web::Data<crate::context::AppContext>>()
        .map(|ctx| body_limit_of(&req, &ctx.settings))
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let refused = crate::http::problem::ApiError::PayloadTooLarge.error_response();
        return Ok(req.into_response(refused).map_into_right_body());
    }
    let payload = req.take_payload();
    let bounded = futures_util::stream::unfold(Some((payload, 0usize)), move |state| async move {
        let (mut payload, seen) = state?;
        match payload.next().await {
            Some(Ok(chunk)) if seen + chunk.len() > limit => {
                Some((Err(PayloadError::Overflow), None))
            }
            Some(Ok(chunk)) => {
                let seen = seen + chunk.len();
                Some((Ok(chunk), Some((payload, seen))))
            }
            Some(Err(e)) => Some((Err(e), None)),
            None => None,
        }
    });
    req.set_payload(Payload::Stream {
        payload: Box::pin(bounded),
    });
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
