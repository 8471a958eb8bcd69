//! The general per-IP flood limiter over `/system/api` and `/admin/api`, one limiter per plane
//! (actix-governor, in process memory:
//! it protects each process; the login throttle is the one that must hold across processes
//! and lives in the database). Keys are the client IP as resolved through trusted proxies,
//! with IPv6 grouped per /64; over-limit requests get a 429 problem document with
//! `Retry-After`.

use std::net::IpAddr;
use std::sync::Arc;

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, GovernorResult, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, HttpResponseBuilder, ResponseError, web};

use crate::auth::principal::Plane;
use crate::auth::refusals::RefusalReason;
use crate::config::Settings;
use crate::context::AppContext;
use crate::http::client_ip;
use crate::http::problem::ApiError;

/// Rate-limit key: the client IP.
#[derive(Debug, Clone)]
pub struct ClientIpKey {
    trusted: Arc<Vec<IpAddr>>,
}

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        let ip = client_ip::of_service_request(req, &self.trusted)
            .ok_or_else(|| SimpleKeyExtractionError::new("client address unknown"))?;
        Ok(match ip {
            // One IPv6 customer usually holds a whole /64.
            IpAddr::V6(v6) => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::from(octets)
            }
            v4 => v4,
        })
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::TooManyRequests {
            retry_after_secs: secs.max(1),
        }
        .error_response()
    }
}

/// The limiter configuration (build once: its state is shared by all server workers).
pub fn config(
    settings: &Settings,
) -> anyhow::Result<GovernorConfig<ClientIpKey, NoOpMiddleware<QuantaInstant>>> {
    // actix-governor divides by the rate: zero must be refused before it gets there.
    anyhow::ensure!(
        settings.api_rate_per_second > 0 && settings.api_rate_burst > 0,
        "API_RATE_PER_SECOND and API_RATE_BURST must be positive"
    );
    GovernorConfigBuilder::default()
        .requests_per_second(settings.api_rate_per_second)
        .burst_size(settings.api_rate_burst)
        .key_extractor(ClientIpKey {
            trusted: Arc::new(settings.trusted_proxies.clone()),
        })
        .finish()
        .ok_or_else(|| anyhow::anyhow!("API_RATE_PER_SECOND and API_RATE_BURST must be positive"))
}

type LimiterVerdict = GovernorResult<SimpleKeyExtractionError<&'static str>>;

/// Wrapped outside the limiter: a login the limiter refused is counted for the
/// `auth.login.refused` audit event (the login throttle's own 429s pass the limiter and are
/// audited by the login service as `auth.login.throttled`).
pub async fn count_refused_logins<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let login = match req.path() {
        _ if req.method() != Method::POST => None,
        "/system/api/auth/login" => Some(Plane::System),
        "/admin/api/auth/login" => Some(Plane::Admin),
        _ => None,
    };
    let res = next.call(req).await?;
    if let Some(plane) = login {
        let limited = res
            .request()
            .extensions()
            .get::<LimiterVerdict>()
            .is_some_and(|v| matches!(v.check(), Ok(Some(_))));
        if let (true, Some(ctx)) = (limited, res.request().app_data::<web::Data<AppContext>>()) {
            let ip = client_ip::of_request(res.request(), &ctx.settings.trusted_proxies)
                .map(|ip| ip.to_string());
            ctx.refusals.note(
                plane,
                ip.as_deref(),
                RefusalReason::RateLimited,
                None,
                ctx.now(),
            );
        }
    }
    Ok(res)
}
