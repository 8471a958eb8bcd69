//! Serves the built SPA: `/system/*` from `<static_dir>/system`, `/admin/*` from
//! `<static_dir>/admin`, with history-API fallback to each plane's `index.html`.
//!
//! The shell is public on purpose: it is static, holds no data, and renders nothing of the
//! operator plane until `/system/api/auth/me` answers (the API decides, never the page).
//!
//! Caching: Vite names what it emits under `assets/` after a hash of the content, so those
//! files never change under their name and are cached for a year (`immutable`: no
//! revalidation on reload). Everything else — `index.html`, the history fallback, the API docs'
//! unhashed Swagger UI files — is `no-cache`: the browser keeps it but revalidates (ETag) on every
//! use, so a deploy is picked up at the next load and never mixes an old page with new assets.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::web;

/// `Cache-Control` of a content-hashed build asset.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else the SPA serves.
const NO_CACHE: &str = "no-cache";

/// The planes with an SPA build, each under `/<plane>`.
const PLANES: [&str; 2] = ["system", "admin"];

/// Mounts one `Files` service per plane whose build exists.
pub fn configure(cfg: &mut web::ServiceConfig, static_dir: &Path) {
    for plane in PLANES {
        let dir = static_dir.join(plane);
        let index = dir.join("index.html");
        if !index.is_file() {
            tracing::warn!(dir = %dir.display(), "SPA build not found; run `make frontend`");
            continue;
        }
        // A scope of its own so the caching policy wraps the files and nothing else; the
        // plane's API scope is registered first and keeps `/<plane>/api`.
        cfg.service(
            web::scope(&format!("/{plane}"))
                .wrap(from_fn(cache_policy))
                .service(
                    Files::new("", &dir)
                        .index_file("index.html")
                        .redirect_to_slash_directory()
                        .default_handler(fn_service(move |req: ServiceRequest| {
                            let index: PathBuf = index.clone();
                            async move {
                                let (req, _) = req.into_parts();
                                let file = NamedFile::open(&index)?;
                                let mut res = file.into_response(&req);
                                // Set here, not by path in `cache_policy`: a missing
                                // `assets/...` file falls back to this page too, and an HTML
                                // page must never be cached as an immutable script.
                                res.headers_mut().insert(
                                    header::CACHE_CONTROL,
                                    HeaderValue::from_static(NO_CACHE),
                                );
                                Ok(ServiceResponse::new(req, res))
                            }
                        })),
                ),
        );
    }
}

/// Adds the `Cache-Control` of [`cache_control`] to SPA responses that have none.
async fn cache_policy<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let policy = cache_control(req.path());
    let mut res = next.call(req).await?;
    let served = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        let value = if served { policy } else { NO_CACHE };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    Ok(res)
}

/// The caching policy of an SPA path: immutable for the hashed build output under
/// `/<plane>/assets/`, `no-cache` for the rest.
fn cache_control(path: &str) -> &'static str {
    let hashed = PLANES.iter().any(|plane| {
        path.strip_prefix('/')
            .and_then(|p| p.strip_prefix(plane))
            .and_then(|p| p.strip_prefix("/assets/"))
            .is_some_and(|file| !file.is_empty())
    });
    if hashed { IMMUTABLE } else { NO_CACHE }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_build_assets_are_immutable() {
        assert_eq!(cache_control("/system/assets/index-Bx3kA9.js"), IMMUTABLE);
        assert_eq!(cache_control("/admin/assets/index-Q1w2E3.css"), IMMUTABLE);
        for path in [
            "/system/",
            "/system",
            "/system/index.html",
            "/system/runs/42",
            "/system/assets/",
            "/system/api-docs/swagger-ui-bundle.js",
            "/admin/",
            "/adminassets/x.js",
            "/other/assets/x.js",
        ] {
            assert_eq!(cache_control(path), NO_CACHE, "{path}");
        }
    }
}
