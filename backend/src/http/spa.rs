//! Serves the built SPA: `/system/*` from `<static_dir>/system`, `/admin/*` from
//! `<static_dir>/admin`, with history-API fallback to each plane's `index.html`.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::web;

/// Mounts one `Files` service per plane whose build exists.
pub fn configure(cfg: &mut web::ServiceConfig, static_dir: &Path) {
    for plane in ["system", "admin"] {
        let dir = static_dir.join(plane);
        let index = dir.join("index.html");
        if !index.is_file() {
            tracing::warn!(dir = %dir.display(), "SPA build not found; run `make frontend`");
            continue;
        }
        cfg.service(
            Files::new(&format!("/{plane}"), &dir)
                .index_file("index.html")
                .redirect_to_slash_directory()
                .default_handler(fn_service(move |req: ServiceRequest| {
                    let index: PathBuf = index.clone();
                    async move {
                        let (req, _) = req.into_parts();
                        let file = NamedFile::open(&index)?;
                        let res = file.into_response(&req);
                        Ok(ServiceResponse::new(req, res))
                    }
                })),
        );
    }
}
