//! The OpenAPI contract: the committed documents are what the code generates, the served
//! documents are the generated ones, every documented route exists and answers one of its
//! documented statuses, every error is a problem document, and authenticated answers are
//! never cached.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use atlas_ops::domain::capability::Capability;
use atlas_ops::http::openapi;
use atlas_ops_tests::runs::{drain, preflight_and_start, seed};
use atlas_ops_tests::{Backend, db_tests, spawn_app};
use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn assert_committed(plane: &str, file: &str) {
    let generated = openapi::yaml(plane).expect("generate the contract");
    let path = workspace().join("openapi").join(file);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || committed.lines().count().min(generated.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "{} is out of date with the code (first difference at line {line}): \
             run `make openapi` and commit the result",
            path.display()
        );
    }
}

#[test]
fn the_committed_system_contract_is_what_the_code_generates() {
    assert_committed("system", "system-ops-runbooks.openapi.yaml");
}

#[test]
fn the_committed_customer_contract_is_what_the_code_generates() {
    assert_committed("admin", "customer.openapi.yaml");
}

fn document(plane: &str) -> Value {
    let doc = match plane {
        "system" => openapi::system_document(),
        _ => openapi::admin_document(),
    };
    serde_json::to_value(doc).expect("document as JSON")
}

/// Every `(METHOD, path, operation)` of a document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// Whether `op` needs a signed-in principal (its `security` names the session scheme); public
/// operations declare `security: []`, and `/metrics` its own bearer scheme.
fn needs_sign_in(op: &Value) -> bool {
    op["security"]
        .as_array()
        .is_some_and(|alternatives| alternatives.iter().any(|a| a.get("session").is_some()))
}

fn is_unguarded(op: &Value) -> bool {
    let tags: Vec<&str> = op["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    tags.iter()
        .any(|t| matches!(*t, "health" | "metrics" | "contract"))
}

#[test]
fn every_operation_documents_problem_documents_for_its_errors() {
    for plane in ["system", "admin"] {
        let doc = document(plane);
        for (method, path, op) in operations(&doc) {
            if is_unguarded(&op) {
                continue;
            }
            let responses = op["responses"].as_object().expect("responses");
            let problems = responses
                .iter()
                .filter(|(status, _)| status.starts_with('4'))
                .filter(|(_, r)| r["content"].get("application/problem+json").is_some())
                .count();
            assert!(
                problems > 0,
                "{method} {path} documents no 4xx application/problem+json response"
            );
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = response["content"].as_object();
                    assert!(
                        content.is_some_and(|c| c.keys().all(|k| k == "application/problem+json")),
                        "{method} {path} {status} must be application/problem+json"
                    );
                }
            }
        }
    }
}

/// The handler's doc comment is the operation's text (utoipa: the first paragraph is the summary,
/// the rest the description), and it says who may call the operation and what it changes.
#[test]
fn every_operation_says_what_it_does_who_may_call_it_and_what_it_changes() {
    for plane in ["system", "admin"] {
        for (method, path, op) in operations(&document(plane)) {
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.is_empty() && !summary.contains('\n'),
                "{method} {path}: the doc comment's first paragraph must be a one-line summary"
            );
            let description = op["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("Who may call it:") && description.contains("Changes"),
                "{method} {path}: the description must say who may call it and what it changes"
            );
        }
    }
}

/// Authenticated operations that cannot answer 403: safe methods (so no CSRF check) that need
/// no capability and accept a bearer token. Give a new route a 403 row, or add it here with
/// the same reason.
const CANNOT_ANSWER_403: &[(&str, &str)] = &[
    ("GET", "/system/api/auth/me"),
    ("GET", "/system/api/notifications"),
    ("GET", "/admin/api/auth/me"),
    ("GET", "/admin/api/tenants"),
    ("GET", "/admin/api/tenants/{id}/findings"),
];

/// The documented response `status` of `op`, which must be a problem document.
fn problem_response<'a>(method: &str, path: &str, op: &'a Value, status: &str) -> &'a Value {
    let response = op["responses"]
        .get(status)
        .unwrap_or_else(|| panic!("{method} {path} does not document {status}"));
    assert!(
        response["content"]["application/problem+json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("/Problem")),
        "{method} {path} {status} is not a Problem document"
    );
    response
}

/// The answers the layers around the handlers give (http/mod.rs), whatever the handler does:
/// under `/system/api` and `/admin/api` the plane's per-IP limiter (429 with `Retry-After`) and
/// the session store's database (503); for authenticated operations a 401,
/// and a 403 unless the operation is one of the few that cannot refuse a signed-in caller.
#[test]
fn every_plane_operation_documents_the_answers_of_its_layers() {
    for plane in ["system", "admin"] {
        for (method, path, op) in operations(&document(plane)) {
            let system = path.starts_with("/system/api/");
            if !system && !path.starts_with("/admin/api/") {
                continue; // the root probes: outside both planes, documented one by one
            }
            {
                let limited = problem_response(&method, &path, &op, "429");
                let retry_after = &limited["headers"]["Retry-After"];
                assert_eq!(
                    retry_after["schema"]["type"], "integer",
                    "{method} {path} 429 must document Retry-After (seconds)"
                );
                assert_eq!(
                    retry_after["required"], true,
                    "{method} {path} 429 always carries Retry-After"
                );
            }
            let unavailable = problem_response(&method, &path, &op, "503");
            assert_eq!(
                unavailable["headers"]["Retry-After"]["schema"]["type"], "integer",
                "{method} {path} 503 must document Retry-After (sent when the server knows)"
            );
            if !needs_sign_in(&op) {
                continue;
            }
            problem_response(&method, &path, &op, "401");
            let exempt = CANNOT_ANSWER_403.contains(&(method.as_str(), path.as_str()));
            let documents_403 = op["responses"].get("403").is_some();
            assert!(
                documents_403 != exempt,
                "{method} {path}: {}",
                if exempt {
                    "documents a 403 it cannot answer (or remove it from CANNOT_ANSWER_403)"
                } else {
                    "does not document 403 (missing capability, session-only or CSRF)"
                }
            );
        }
    }
}

#[test]
fn the_customer_contract_has_no_operator_paths() {
    let doc = document("admin");
    for path in doc["paths"].as_object().expect("paths").keys() {
        assert!(path.starts_with("/admin/api/"), "{path}");
        for word in ["runbook", "runs", "ops", "maintenance", "operation"] {
            assert!(!path.contains(word), "customer contract lists {path}");
        }
    }
}

/// `(METHOD, full path)` of every route macro in the backend's HTTP handlers.
fn registered_routes() -> BTreeSet<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let http = workspace().join("backend/src/http");
    let mut files = Vec::new();
    walk(&http, &mut files);
    let mut routes = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("read source");
        let rel = file.strip_prefix(&http).expect("under http/");
        let rel = rel.to_string_lossy();
        for method in METHODS {
            let needle = format!("#[{method}(\"");
            for (at, _) in source.match_indices(&needle) {
                let rest = &source[at + needle.len()..];
                let Some(end) = rest.find('"') else { continue };
                let route = &rest[..end];
                let prefix =
                    if rel.starts_with("routes/health") || rel.starts_with("routes/metrics") {
                        ""
                    } else if rel.starts_with("routes/customer") {
                        "/admin/api"
                    } else if rel == "openapi.rs" {
                        // Both planes serve their own document.
                        routes.insert((method.to_uppercase(), format!("/admin/api{route}")));
                        "/system/api"
                    } else {
                        "/system/api"
                    };
                routes.insert((method.to_uppercase(), format!("{prefix}{route}")));
            }
        }
    }
    routes
}

#[test]
fn every_registered_route_is_documented_and_vice_versa() {
    let mut documented = BTreeSet::new();
    for plane in ["system", "admin"] {
        for (method, path, _) in operations(&document(plane)) {
            documented.insert((method, path));
        }
    }
    let registered = registered_routes();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the contract: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "documented routes no handler serves: {phantom:?}"
    );
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{item_id}", "1")
        .replace("{key}", "findings.lifecycle.rebuild")
}

async fn served_documents_are_the_generated_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    for (plane, url) in [
        ("system", "/system/api/openapi.json"),
        ("admin", "/admin/api/openapi.json"),
    ] {
        let res = app.get(url).await;
        assert_eq!(res.status(), 200, "{url}");
        let served: Value = res.json().await.expect("json");
        assert_eq!(
            served,
            document(plane),
            "{url} differs from the generated document"
        );
    }
}

async fn every_route_answers_a_documented_status_without_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client();
    for plane in ["system", "admin"] {
        let doc = document(plane);
        for (method, path, op) in operations(&doc) {
            let url = app.url(&concrete(&path));
            let request = match method.as_str() {
                "GET" => client.get(&url),
                "POST" => client.post(&url).json(&json!({})),
                "PUT" => client.put(&url).json(&json!({})),
                "PATCH" => client.patch(&url).json(&json!({})),
                _ => client.delete(&url),
            };
            let res = request.send().await.expect("request");
            let status = res.status().as_u16();
            let documented = op["responses"]
                .as_object()
                .expect("responses")
                .contains_key(&status.to_string());
            assert!(
                documented,
                "{method} {path} answered {status} without credentials, which is not documented"
            );
            if needs_sign_in(&op) {
                assert_eq!(
                    status, 401,
                    "{method} {path} is secured but answered {status}"
                );
            }
            if status >= 400 {
                let ct = res
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                assert_eq!(ct, "application/problem+json", "{method} {path} {status}");
            }
        }
    }
}

async fn authenticated_answers_are_not_cached_and_etags_still_work(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let outcome = preflight_and_start(&app, atlas_ops::domain::run::Scope::AllTenants, &who).await;
    let run_id = outcome.run.id;
    drain(&app, run_id).await;
    let token = app
        .operator_token(
            "cache-op",
            &[Capability::RunsView, Capability::RunbooksView],
        )
        .await;
    let client = app.client();
    for path in [
        "/system/api/auth/me".to_owned(),
        "/system/api/ops/runbooks".to_owned(),
        format!("/system/api/ops/runs/{run_id}"),
        "/system/api/ops/runs/999999".to_owned(),
    ] {
        let res = client
            .get(app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
    let first = client
        .get(app.url(&format!("/system/api/ops/runs/{run_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    let again = client
        .get(app.url(&format!("/system/api/ops/runs/{run_id}")))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
    assert_eq!(
        again
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    // Customer-plane answers too, even unauthenticated ones.
    let res = app.get("/admin/api/auth/me").await;
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

/// Every `{id}` route answers a non-numeric id as its contract says: 422 naming the path
/// (http/extract.rs), for a caller allowed to use the route.
async fn non_numeric_ids_get_the_documented_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.operator_token("ids", &Capability::ALL).await;
    let client = app.client();
    let mut checked = 0;
    for (method, path, op) in operations(&document("system")) {
        if !path.contains("{id}") {
            continue;
        }
        let url = app.url(&path.replace("{id}", "not-a-number"));
        let request = match method.as_str() {
            "GET" => client.get(&url),
            "DELETE" => client.delete(&url),
            "PATCH" => client.patch(&url).json(&json!({})),
            _ => client.post(&url).json(&json!({})),
        };
        let res = request.bearer_auth(&token).send().await.expect("request");
        assert_eq!(res.status(), 422, "{method} {path} with a non-numeric id");
        problem_response(&method, &path, &op, "422");
        let problem: Value = res.json().await.expect("problem json");
        assert!(
            problem["errors"].get("path").is_some(),
            "{method} {path}: the 422 names the path: {problem}"
        );
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} {{id}} routes found");
}

db_tests!(
    served_documents_are_the_generated_ones,
    non_numeric_ids_get_the_documented_422,
    every_route_answers_a_documented_status_without_credentials,
    authenticated_answers_are_not_cached_and_etags_still_work,
);
