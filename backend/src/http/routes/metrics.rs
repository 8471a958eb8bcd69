//! `GET /metrics`: Prometheus text format (outside both planes, like the probes).
//!
//! Metrics name routes, run counts and latencies: useful to whoever maps the service, so they
//! are not public. With `METRICS_TOKEN` set a scraper presents it as a bearer token (from any
//! address); without it only a loopback client — as the one client-IP function sees it, so a
//! forged `X-Forwarded-For` proves nothing — is served, and everyone else gets the generic 404.

use std::net::IpAddr;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::context::AppContext;
use crate::http::client_ip;
use crate::http::guards::bearer;
use crate::http::problem::{ApiError, Problem};

/// Prometheus metrics.
///
/// HTTP requests and their latency by method, route pattern and status; runs by status; queued and
/// running jobs; job durations. The run and job gauges are read from the database on each scrape.
/// Label values are bounded whatever a client sends (unknown methods count as `other`, unmatched
/// paths as `unmatched`).
///
/// Who may call it: with `METRICS_TOKEN` configured, a scraper sending `Authorization: Bearer
/// <METRICS_TOKEN>` (else 401); without it, loopback clients only (else 404), the client address
/// resolved through `TRUSTED_PROXIES`. Changes nothing.
#[utoipa::path(tag = "metrics", responses(
    (status = 200, description = "Prometheus text exposition format", content_type = "text/plain; version=0.0.4", body = String),
    (status = 401, description = "METRICS_TOKEN is configured and the request does not carry it as a bearer token", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "METRICS_TOKEN is not configured and the client is not on loopback", body = Problem, content_type = "application/problem+json"),
))]
#[get("/metrics")]
pub async fn metrics(req: HttpRequest, ctx: web::Data<AppContext>) -> HttpResponse {
    let settings = &ctx.settings;
    let client = client_ip::of_request(&req, &settings.trusted_proxies);
    match access(
        settings.metrics_token.as_ref(),
        bearer(req.headers()),
        client,
    ) {
        Access::Granted => {}
        Access::NeedsToken => {
            let mut res = ApiError::Unauthorized.error_response();
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return res;
        }
        Access::Hidden => return ApiError::NotFound.error_response(),
    }
    let Some(metrics) = crate::metrics::global() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    // A database hiccup leaves the gauges at their last values rather than failing the scrape.
    let refreshed = match crate::health::view(&ctx.db, &ctx.settings.health, ctx.now()).await {
        Ok(health) => metrics.refresh(&ctx.db, &health).await,
        Err(e) => Err(e),
    };
    if let Err(e) = refreshed {
        tracing::warn!(error = %e, "cannot refresh run and job gauges");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics.render())
}

/// Whether a scrape is answered.
#[derive(Debug, PartialEq, Eq)]
enum Access {
    Granted,
    /// 401: a token is configured and was not presented.
    NeedsToken,
    /// 404: no token is configured and the client is not local.
    Hidden,
}

fn access(token: Option<&SecretString>, presented: Option<&str>, client: Option<IpAddr>) -> Access {
    match token {
        Some(expected) => {
            if presented.is_some_and(|p| same_secret(p, expected.expose_secret())) {
                Access::Granted
            } else {
                Access::NeedsToken
            }
        }
        None if client.is_some_and(|ip| ip.is_loopback()) => Access::Granted,
        None => Access::Hidden,
    }
}

/// Compares the SHA-256 digests of both values without an early exit: the digests have the
/// same length whatever was sent, and neither their lengths nor the position of the first
/// differing byte tell an attacker anything about the token.
fn same_secret(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn a_configured_token_is_required_from_everywhere() {
        let token = SecretString::from("metrics-token-0123456789abcdef0123456789");
        let t = Some(&token);
        let good = Some("metrics-token-0123456789abcdef0123456789");
        assert_eq!(access(t, good, ip("203.0.113.5")), Access::Granted);
        assert_eq!(access(t, good, None), Access::Granted);
        assert_eq!(access(t, None, ip("127.0.0.1")), Access::NeedsToken);
        assert_eq!(
            access(
                t,
                Some("metrics-token-0123456789abcdef012345678"),
                ip("::1")
            ),
            Access::NeedsToken
        );
        assert_eq!(access(t, Some(""), ip("127.0.0.1")), Access::NeedsToken);
    }

    #[test]
    fn without_a_token_only_loopback_is_served() {
        assert_eq!(access(None, None, ip("127.0.0.1")), Access::Granted);
        assert_eq!(access(None, None, ip("::1")), Access::Granted);
        assert_eq!(access(None, None, ip("127.8.9.10")), Access::Granted);
        assert_eq!(
            access(None, Some("anything"), ip("10.0.0.1")),
            Access::Hidden
        );
        assert_eq!(access(None, None, ip("203.0.113.5")), Access::Hidden);
        assert_eq!(access(None, None, None), Access::Hidden);
    }
}
