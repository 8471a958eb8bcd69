//! The root span of every request (what `tracing-actix-web` puts on each log line of it).
//!
//! Why not the crate's default span: it takes the client address from actix's
//! `realip_remote_addr()`, which believes any `X-Forwarded-For` (and `http.host` from any
//! `X-Forwarded-Host`), so one header lets a client write whatever address it likes into the
//! logs. Here `client_ip` comes from [`client_ip::of_service_request`] with `TRUSTED_PROXIES`,
//! the one function the login throttle, the limiter and the audit log use, so a log line and
//! an audit row about the same request always name the same peer.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{Error, HttpMessage, web};
use tracing::Span;
use tracing::field::Empty;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::context::AppContext;
use crate::http::client_ip;
use crate::telemetry;

/// Builds the request span with `client_ip` as [`client_ip::of_service_request`] sees it.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
        let client_ip = req
            .app_data::<web::Data<AppContext>>()
            .and_then(|ctx| client_ip::of_service_request(req, &ctx.settings.trusted_proxies))
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = req.match_pattern().unwrap_or_else(|| "default".into());
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        // Field names follow the crate's default span (OpenTelemetry's conventions), so the
        // status and error fields it records at the end land where dashboards expect them.
        let span = tracing::info_span!(
            "HTTP request",
            otel.name = %format_args!("{} {}", req.method(), route),
            http.method = %req.method(),
            http.route = %route,
            http.flavor = ?req.version(),
            http.host = %header(header::HOST),
            http.user_agent = %header(header::USER_AGENT),
            http.target = %req.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
            http.status_code = Empty,
            client_ip = %client_ip,
            request_id = %request_id,
            otel.kind = "server",
            otel.status_code = Empty,
            exception.message = Empty,
            exception.details = Empty,
        );
        // A caller that traces its own work sends `traceparent`: the request joins its trace
        // (docs/spec.md §20).
        telemetry::set_parent(
            &span,
            req.headers()
                .get("traceparent")
                .and_then(|v| v.to_str().ok()),
        );
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
