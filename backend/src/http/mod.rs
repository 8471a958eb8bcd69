//! Everything actix: the app builder, middleware, guards, error rendering, routes and the
//! static SPA. Nothing outside this module imports actix.

pub mod client_ip;
pub mod conn;
pub mod csv;
pub mod extract;
pub mod guards;
pub(crate) mod middleware;
mod nul_guard;
pub mod openapi;
pub mod pagination;
pub mod problem;
pub mod rate_limit;
mod request_id;
mod request_span;
pub mod responses;
pub mod routes;
pub mod session_store;
mod spa;
pub mod streams;

use std::net::TcpListener;
use std::sync::Arc;

use actix_governor::Governor;
use actix_http::{HttpService, KeepAlive, Protocol};
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::{AppConfig, Server};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, web};
use tracing_actix_web::TracingLogger;

use crate::auth::principal::Plane;
use crate::context::AppContext;
use problem::ApiError;

/// A bound, not yet running HTTP server.
pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    ctx: AppContext,
}

/// Connections the kernel queues for `accept` (capped by `net.core.somaxconn`). The standard
/// library's `TcpListener::bind` asks for 128: a burst of connections from one address (which the
/// per-IP cap then refuses) filled that queue, and another client's SYN was dropped and resent a
/// second later (docs/security.md).
const LISTEN_BACKLOG: i32 = 4096;

/// A listening socket on `bind` with [`LISTEN_BACKLOG`] (and `SO_REUSEADDR`, as the standard
/// library sets it on Unix).
fn listen(bind: &str) -> std::io::Result<TcpListener> {
    use std::net::ToSocketAddrs;
    let address = bind.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("BIND {bind:?} names no address"),
        )
    })?;
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(address),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// How often refused-login counts of ended minutes are written to the audit log.
const REFUSAL_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl Application {
    /// Binds `ctx.settings.bind` (port 0 picks a free port) and builds the server.
    pub fn build(ctx: AppContext) -> anyhow::Result<Self> {
        let listener = listen(&ctx.settings.bind)?;
        Self::build_with_listener(ctx, listener)
    }

    /// Builds the server on an already-bound listener.
    ///
    /// Assembled from actix's parts rather than `HttpServer`, so that every accepted connection
    /// passes [`conn::Admission`] and is wrapped in [`conn::Guarded`] (per-IP and overall
    /// connection caps, a header deadline on every request; see `conn.rs`).
    pub fn build_with_listener(ctx: AppContext, listener: TcpListener) -> anyhow::Result<Self> {
        let address = listener.local_addr()?;
        let static_dir = ctx.settings.static_dir.clone();
        // The extractors' own bound; `middleware::body_limit` holds each request to its route's
        // limit (`MAX_BODY_BYTES`, or `MAX_SCOPE_BODY_BYTES` for a list of tenants).
        let max_body = ctx
            .settings
            .max_body_bytes
            .max(ctx.settings.max_scope_body_bytes);
        let header_timeout = ctx.settings.header_timeout;
        let keep_alive = ctx.settings.keep_alive;
        // Built once, outside the factory: the limiters' counters are shared by every worker.
        // One per plane, so a flood on one plane does not use up the other's allowance.
        let system_governor = rate_limit::config(&ctx.settings)?;
        let admin_governor = rate_limit::config(&ctx.settings)?;
        let admission = Arc::new(conn::Admission::new(&ctx.settings));
        let data = web::Data::new(ctx.clone());
        let streams = web::Data::new(streams::StreamSlots::default());
        let app = move || {
            let ctx = data.get_ref();
            // Each plane: the limiter first, then the plane gate (the other plane's
            // credentials → 404) before the plane's own session layer reads anything.
            let system_api = web::scope("/system/api")
                .app_data(extract::json_config(max_body))
                .app_data(extract::query_config())
                .app_data(extract::path_config())
                .configure(routes::mount(routes::system_api))
                .default_service(web::to(not_found))
                .wrap(session_store::middleware(ctx, Plane::System))
                .wrap(from_fn(session_store::store_errors))
                .wrap(from_fn(guards::system_gate))
                .wrap(from_fn(nul_guard::reject_nul))
                .wrap(from_fn(middleware::body_deadline))
                .wrap(Governor::new(&system_governor))
                .wrap(from_fn(rate_limit::count_refused_logins))
                .wrap(from_fn(middleware::no_store));
            let admin_api = web::scope("/admin/api")
                .app_data(extract::json_config(max_body))
                .app_data(extract::query_config())
                .app_data(extract::path_config())
                .configure(routes::mount(routes::admin_api))
                .default_service(web::to(not_found))
                .wrap(session_store::middleware(ctx, Plane::Admin))
                .wrap(from_fn(session_store::store_errors))
                .wrap(from_fn(guards::admin_gate))
                .wrap(from_fn(nul_guard::reject_nul))
                .wrap(from_fn(middleware::body_deadline))
                .wrap(Governor::new(&admin_governor))
                .wrap(from_fn(rate_limit::count_refused_logins))
                .wrap(from_fn(middleware::no_store));
            // Innermost first: the body limit, then the security headers go on every answer
            // before the request id is echoed and the request is logged and counted.
            App::new()
                .wrap(from_fn(middleware::body_limit))
                .wrap(from_fn(middleware::security_headers))
                .wrap(request_id::RequestIdHeader)
                .wrap(TracingLogger::<request_span::RequestSpan>::new())
                .wrap(from_fn(middleware::record_metrics))
                .app_data(data.clone())
                .app_data(streams.clone())
                // Raw-body extractors (`Bytes`, `String`) get the same limit as JSON.
                .app_data(web::PayloadConfig::new(max_body))
                .configure(routes::mount(routes::root))
                .service(system_api)
                .service(admin_api)
                .configure(|cfg| spa::configure(cfg, &static_dir))
                .default_service(web::to(not_found))
        };
        let builder = actix_server::Server::build().shutdown_timeout(30);
        let shutdown = builder.graceful_shutdown_signal();
        let server = builder
            .listen("atlas-ops", listener, move || {
                let shutdown = shutdown.clone();
                let http = HttpService::build()
                    .graceful_shutdown_signal(move || {
                        let signal = shutdown.clone();
                        async move { signal.notified().await }
                    })
                    .keep_alive(KeepAlive::Timeout(keep_alive))
                    .client_request_timeout(header_timeout)
                    .client_disconnect_timeout(std::time::Duration::from_secs(1))
                    .local_addr(address)
                    .finish(map_config(
                        app()
                            .into_factory()
                            .map_err(|err: actix_web::Error| err.error_response()),
                        // Nothing reads the configured host or address (no `url_for`).
                        |_| AppConfig::default(),
                    ));
                let admission = Arc::clone(&admission);
                fn_service(move |io: tokio::net::TcpStream| {
                    let admission = Arc::clone(&admission);
                    async move {
                        let peer = io.peer_addr().ok();
                        let Some(slot) = admission.admit(peer) else {
                            // Closed at once (dropping `io`), never queued.
                            tracing::debug!(?peer, "connection refused: connection cap reached");
                            return Err(actix_http::error::DispatchError::Io(
                                std::io::Error::other("connection cap reached"),
                            ));
                        };
                        Ok((
                            conn::Guarded::new(io, slot, header_timeout),
                            Protocol::Http1,
                            peer,
                        ))
                    }
                })
                .and_then(http)
            })?
            .run();
        Ok(Self {
            address,
            server,
            ctx,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The base URL people reach the bound server at: `http://HOST:PORT`, with the loopback
    /// address for a wildcard bind (`0.0.0.0`, `::`), which is not an address to browse to.
    pub fn base_url(&self) -> String {
        let ip = self.address.ip();
        let host = match ip {
            _ if !ip.is_unspecified() => ip,
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        };
        format!(
            "http://{}",
            std::net::SocketAddr::new(host, self.address.port())
        )
    }

    /// Serves until the server is stopped (SIGTERM/SIGINT stop it gracefully).
    /// Refused logins counted in memory are written every few seconds, and once more at the end.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let ctx = self.ctx.clone();
        let flusher = tokio::spawn(async move {
            let mut every = tokio::time::interval(REFUSAL_FLUSH_EVERY);
            loop {
                every.tick().await;
                ctx.refusals.flush(&ctx.db, ctx.now(), false).await;
            }
        });
        let served = self.server.await;
        flusher.abort();
        self.ctx
            .refusals
            .flush(&self.ctx.db, self.ctx.now(), true)
            .await;
        served
    }
}

/// The one 404 every unknown route — and every cross-plane request — gets.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
