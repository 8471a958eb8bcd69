//! The OpenAPI contracts, generated from the handlers' `#[utoipa::path]` annotations.
//!
//! Handlers declare paths relative to their plane's scope (`/ops/runs/{id}`); the documents
//! prefix them with `/system/api` or `/admin/api` so the contract names the real URLs. The
//! operator-plane document is committed as `openapi/system-ops-runbooks.openapi.yaml` and a
//! test fails when it drifts from what this module generates (`make openapi` regenerates it).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::http::Method;
use actix_web::{App, HttpResponse, get};
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    Components, ContactBuilder, Info, LicenseBuilder, OpenApi as Document, Paths, ServerBuilder,
};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::problem::Problem;
use crate::http::routes;
use crate::http::session_store::cookie_name;

/// Scope of the operator plane's API.
pub const SYSTEM_PREFIX: &str = "/system/api";
/// Scope of the customer plane's API.
pub const ADMIN_PREFIX: &str = "/admin/api";

/// Security scheme names used in the documents.
pub const SESSION_SCHEME: &str = "session";
/// The CSRF header scheme (cookie-authenticated unsafe requests).
pub const CSRF_SCHEME: &str = "csrf";
/// The bearer JWT scheme (API tokens; operator plane only).
pub const BEARER_SCHEME: &str = "bearer";
/// The bearer scheme of `/metrics` (the `METRICS_TOKEN` setting, not an API token).
pub const METRICS_SCHEME: &str = "metrics_token";

/// The operator plane's tags and shared components; its paths are collected from
/// [`routes::system_api`].
#[derive(OpenApi)]
#[openapi(
    components(schemas(Problem)),
    tags(
        (name = "auth", description = "Session login/logout, the current operator, API tokens"),
        (name = "ops", description = "Runbook catalogue, preflight, runs and their progress"),
        (name = "notifications", description = "The signed-in operator's notifications"),
        (name = "audit", description = "The audit log"),
        (name = "contract", description = "This document"),
    )
)]
struct SystemPlane;

/// The customer plane's tags and shared components; its paths are collected from
/// [`routes::admin_api`].
#[derive(OpenApi)]
#[openapi(
    components(schemas(Problem)),
    tags(
        (name = "customer", description = "Customer users: session and their own workspace's data"),
        (name = "contract", description = "This document"),
    )
)]
struct AdminPlane;

/// The tags of the probes and metrics served at the root ([`routes::root`]).
#[derive(OpenApi)]
#[openapi(tags(
    (name = "health", description = "Liveness and readiness probes"),
    (name = "metrics", description = "Prometheus metrics"),
))]
struct Root;

/// `base` with the paths (and the schemas they use) of the routes `routes` registers: the
/// contract is collected from the same registration the server mounts.
fn collected(mut base: Document, routes: fn(&mut ServiceConfig)) -> Document {
    let (_, registered) = App::new()
        .into_utoipa_app()
        .configure(routes)
        .split_for_parts();
    base.merge(registered);
    base
}

/// Plane-relative paths that need no credentials (they declare `security: []`).
const PUBLIC: &[&str] = &["/auth/login", "/auth/session", "/openapi.json"];

/// The `info` and `servers` both documents share: title, version, licence (the workspace's,
/// from Cargo), contact, and the one server, relative, because a deployment's URL is its own
/// (`BIND`, or `PUBLIC_URL` behind a proxy) and the paths already carry their plane's prefix.
fn describe(doc: &mut Document, title: &str, description: &str) {
    let mut info = Info::new(title, env!("CARGO_PKG_VERSION"));
    info.description = Some(description.into());
    info.license = Some(
        LicenseBuilder::new()
            .name(env!("CARGO_PKG_LICENSE"))
            .identifier(Some(env!("CARGO_PKG_LICENSE")))
            .build(),
    );
    info.contact = Some(
        ContactBuilder::new()
            .name(Some("TenantAtlas Ops maintainers"))
            .build(),
    );
    doc.info = info;
    doc.servers = Some(vec![
        ServerBuilder::new()
            .url("/")
            .description(Some(
                "The atlas-ops server that serves this document (its BIND address, or PUBLIC_URL \
                 behind a proxy); paths are absolute from its root",
            ))
            .build(),
    ]);
}

/// The operator-plane document (paths under `/system/api`, plus the root probes).
pub fn system_document() -> Document {
    let mut doc = collected(SystemPlane::openapi(), routes::system_api);
    describe(
        &mut doc,
        "TenantAtlas Ops — operator plane",
        "Operator control plane: runbooks, preflight, confirmed runs and their progress. \
         Errors are RFC 9457 application/problem+json documents.",
    );
    unique_operation_ids(&mut doc.paths);
    secure(&mut doc.paths, PUBLIC, true);
    doc.paths = prefixed(doc.paths, SYSTEM_PREFIX);
    let components = doc.components.get_or_insert_with(Components::new);
    add_schemes(
        components,
        cookie_name(crate::auth::principal::Plane::System),
        true,
    );
    components.add_security_scheme(
        METRICS_SCHEME,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "The METRICS_TOKEN setting as a bearer token, needed when it is configured; \
                     without it /metrics answers loopback clients only",
                ))
                .build(),
        ),
    );
    let mut root = collected(Root::openapi(), routes::root);
    secure_root(&mut root.paths);
    doc.merge(root);
    doc
}

/// The customer-plane document (paths under `/admin/api`): no runbook, run or maintenance path.
pub fn admin_document() -> Document {
    let mut doc = collected(AdminPlane::openapi(), routes::admin_api);
    describe(
        &mut doc,
        "TenantAtlas Ops — customer plane",
        "Customer users' read-only view of their own workspace's tenants and findings. \
         Errors are RFC 9457 application/problem+json documents.",
    );
    unique_operation_ids(&mut doc.paths);
    secure(&mut doc.paths, PUBLIC, false);
    doc.paths = prefixed(doc.paths, ADMIN_PREFIX);
    let components = doc.components.get_or_insert_with(Components::new);
    add_schemes(
        components,
        cookie_name(crate::auth::principal::Plane::Admin),
        false,
    );
    doc
}

/// The document of `plane` (`system` or `admin`) as YAML, as committed under `openapi/`.
pub fn yaml(plane: &str) -> anyhow::Result<String> {
    let doc = match plane {
        "system" => system_document(),
        "admin" => admin_document(),
        other => anyhow::bail!("unknown plane {other:?}: expected system or admin"),
    };
    Ok(doc.to_yaml()?)
}

fn prefixed(paths: Paths, prefix: &str) -> Paths {
    let mut out = Paths::new();
    out.extensions = paths.extensions;
    for (path, item) in paths.paths {
        out.paths.insert(format!("{prefix}{path}"), item);
    }
    out
}

fn operations_mut(item: &mut PathItem) -> [(Method, &mut Option<Operation>); 5] {
    [
        (Method::GET, &mut item.get),
        (Method::POST, &mut item.post),
        (Method::PUT, &mut item.put),
        (Method::PATCH, &mut item.patch),
        (Method::DELETE, &mut item.delete),
    ]
}

/// Handlers of different resources share function names (`list`, `detail`); generated clients
/// need unique operation ids, so a shared one gets its resource in front (`runs_list`).
fn unique_operation_ids(paths: &mut Paths) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for item in paths.paths.values_mut() {
        for (_, operation) in operations_mut(item) {
            if let Some(id) = operation.as_ref().and_then(|o| o.operation_id.clone()) {
                *seen.entry(id).or_default() += 1;
            }
        }
    }
    for (path, item) in paths.paths.iter_mut() {
        let resource = path
            .split('/')
            .find(|s| !s.is_empty() && *s != "ops" && !s.starts_with('{'))
            .unwrap_or("api")
            .replace('-', "_");
        for (_, operation) in operations_mut(item) {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            if let Some(id) = &operation.operation_id
                && seen.get(id).is_some_and(|n| *n > 1)
            {
                operation.operation_id = Some(format!("{resource}_{id}"));
            }
        }
    }
}

fn add_schemes(components: &mut Components, cookie: &str, bearer: bool) {
    components.add_security_scheme(
        SESSION_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            cookie,
            "Session cookie set by POST auth/login",
        ))),
    );
    components.add_security_scheme(
        CSRF_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The session's csrf_token (from login or auth/me); required with the session \
             cookie on unsafe methods",
        ))),
    );
    if bearer {
        components.add_security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "API token (POST auth/tokens or `atlas-ops token create`)",
                    ))
                    .build(),
            ),
        );
    }
}

/// Marks every operation but the public ones as authenticated: the session cookie (plus the
/// CSRF header on unsafe methods) or, on the operator plane, a bearer token.
fn secure(paths: &mut Paths, public: &[&str], bearer: bool) {
    for (path, item) in paths.paths.iter_mut() {
        let public = public.contains(&path.as_str());
        for (method, operation) in operations_mut(item) {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            if public {
                operation.security = Some(Vec::new());
                continue;
            }
            let session = if crate::http::guards::is_safe_method(&method) {
                SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new())
            } else {
                SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new())
                    .add(CSRF_SCHEME, Vec::<String>::new())
            };
            let mut requirements = vec![session];
            if bearer {
                requirements.push(SecurityRequirement::new(
                    BEARER_SCHEME,
                    Vec::<String>::new(),
                ));
            }
            operation.security = Some(requirements);
        }
    }
}

/// The root routes: the probes are public (`security: []`); `/metrics` names its own bearer
/// scheme (`METRICS_TOKEN`) or no credentials at all, the two ways it answers: with the token
/// configured, a scrape must carry it; without one, a loopback client needs nothing (an empty
/// requirement, so fuzzers and generated clients do not treat the header as mandatory).
fn secure_root(paths: &mut Paths) {
    for (path, item) in paths.paths.iter_mut() {
        let requirements = if path == "/metrics" {
            vec![
                SecurityRequirement::new(METRICS_SCHEME, Vec::<String>::new()),
                SecurityRequirement::default(),
            ]
        } else {
            Vec::new()
        };
        for (_, operation) in operations_mut(item) {
            if let Some(operation) = operation.as_mut() {
                operation.security = Some(requirements.clone());
            }
        }
    }
}

fn json_of(doc: fn() -> Document, cell: &'static OnceLock<String>) -> HttpResponse {
    let body = cell.get_or_init(|| {
        serde_json::to_string(&doc()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot serialize the OpenAPI document");
            String::new()
        })
    });
    if body.is_empty() {
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.clone())
}

/// The operator plane's OpenAPI document.
///
/// This contract as JSON: the document committed as `openapi/system-ops-runbooks.openapi.yaml`,
/// generated from the handlers' annotations.
///
/// Who may call it: anyone; no credentials. Changes nothing.
#[utoipa::path(tag = "contract", responses(
    (status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object),
    crate::http::responses::SystemApi,
))]
#[get("/openapi.json")]
pub async fn system_openapi() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    json_of(system_document, &DOC)
}

/// The customer plane's OpenAPI document.
///
/// This contract as JSON: the document committed as `openapi/customer.openapi.yaml`, generated from
/// the handlers' annotations.
///
/// Who may call it: anyone; no credentials. Changes nothing.
#[utoipa::path(tag = "contract", responses(
    (status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object),
    crate::http::responses::AdminApi,
))]
#[get("/openapi.json")]
pub async fn admin_openapi() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    json_of(admin_document, &DOC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customer_document_has_no_operator_paths() {
        let doc = admin_document();
        assert!(!doc.paths.paths.is_empty());
        for path in doc.paths.paths.keys() {
            assert!(path.starts_with(ADMIN_PREFIX), "{path}");
            for word in ["runbook", "runs", "ops", "maintenance", "operation"] {
                assert!(!path.contains(word), "{path} contains {word}");
            }
        }
    }

    #[test]
    fn system_paths_are_prefixed_and_login_is_public() {
        let doc = system_document();
        let login = &doc.paths.paths["/system/api/auth/login"];
        let public = |o: &Operation| o.security.as_ref().is_some_and(Vec::is_empty);
        assert!(login.post.as_ref().is_some_and(public));
        assert!(doc.paths.paths["/healthz"].get.as_ref().is_some_and(public));
        let metrics = doc.paths.paths["/metrics"].get.as_ref();
        let schemes =
            serde_json::to_value(metrics.and_then(|o| o.security.clone())).unwrap_or_default();
        assert_eq!(schemes, serde_json::json!([{ METRICS_SCHEME: [] }, {}]));
        let runs = &doc.paths.paths["/system/api/ops/runs"];
        assert!(runs.get.as_ref().is_some_and(|o| o.security.is_some()));
        assert!(doc.paths.paths.contains_key("/healthz"));
        assert!(yaml("system").is_ok_and(|y| y.contains("/system/api/ops/runs/{id}")));
        assert!(yaml("nope").is_err());
        let mut ids = std::collections::BTreeSet::new();
        for item in doc.paths.paths.values() {
            for op in [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                .into_iter()
                .flatten()
            {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(ids.insert(id.clone()), "duplicate operationId {id}");
            }
        }
    }
}
