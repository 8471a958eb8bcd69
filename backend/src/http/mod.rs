//! Everything actix: the app builder, middleware, guards, error rendering, routes and the
//! static SPA. Nothing outside this module imports actix.

pub mod problem;
mod request_id;
pub mod routes;
mod spa;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::context::AppContext;
use problem::ApiError;

/// A bound, not yet running HTTP server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `ctx.settings.bind` (port 0 picks a free port) and builds the server.
    pub fn build(ctx: AppContext) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&ctx.settings.bind)?;
        Self::build_with_listener(ctx, listener)
    }

    /// Builds the server on an already-bound listener.
    pub fn build_with_listener(ctx: AppContext, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let static_dir = ctx.settings.static_dir.clone();
        let data = web::Data::new(ctx);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(request_id::RequestIdHeader)
                .wrap(TracingLogger::default())
                .app_data(data.clone())
                .service(routes::health::healthz)
                .service(routes::health::readyz)
                .service(web::scope("/system/api").default_service(web::to(not_found)))
                .service(web::scope("/admin/api").default_service(web::to(not_found)))
                .configure(|cfg| spa::configure(cfg, &static_dir))
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(30)
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server is stopped (SIGTERM/SIGINT stop it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The one 404 every unknown route — and every cross-plane request — gets.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
