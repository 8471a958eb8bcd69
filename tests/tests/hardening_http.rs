//! docs/spec.md §11, the HTTP-level rules: metric labels cannot be inflated, `/metrics` is protected,
//! browser security headers and SPA caching, logs name the real peer, cookies are `Secure` by
//! default.

use std::path::Path;
use std::time::{Duration, Instant};

use atlas_ops::config::Settings;
use atlas_ops::entities::workspaces;
use atlas_ops_tests::process::AtlasProcess;
use atlas_ops_tests::{
    Backend, TEST_PASSWORD, TestApp, TestDatabase, db_tests, spawn_app, spawn_app_with,
};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, Set};
use secrecy::SecretString;
use serde_json::{Value, json};

const METRICS_TOKEN: &str = "metrics-token-0123456789abcdef0123456789";

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn trusting_loopback(s: &mut Settings) {
    s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
}

// ---------------------------------------------------------------------------------------------
// Metrics cannot be inflated

/// The `atlas_http_requests_total` series of a scrape: (labels, value).
fn request_series(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("atlas_http_requests_total{"))
        .filter_map(|l| {
            let (labels, value) = l.rsplit_once("} ")?;
            Some((labels.to_owned(), value.parse().ok()?))
        })
        .collect()
}

async fn made_up_methods_do_not_create_metric_series(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client();
    for i in 0..200 {
        let method = Method::from_bytes(format!("INFLATE{i}").as_bytes()).expect("method");
        // Half at a real route, half at paths no route knows.
        let path = if i % 2 == 0 {
            "/healthz".to_owned()
        } else {
            format!("/no-such-path/{i}")
        };
        client
            .request(method, app.url(&path))
            .send()
            .await
            .expect("request");
    }
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("body");
    let series = request_series(&text);
    let known = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
    ];
    for (labels, _) in &series {
        assert!(
            !labels.contains("INFLATE"),
            "a made-up method is a label: {labels}"
        );
        assert!(
            known
                .iter()
                .any(|m| labels.starts_with(&format!("method=\"{m}\""))),
            "unexpected method label: {labels}"
        );
    }
    let other = series
        .iter()
        .filter(|(labels, _)| labels.starts_with("method=\"other\""))
        .collect::<Vec<_>>();
    assert!(
        (1..=3).contains(&other.len()),
        "made-up methods share a few series: {other:?}"
    );
    let counted: f64 = other.iter().map(|(_, v)| v).sum();
    assert!(
        counted >= 200.0,
        "every made-up request is counted: {other:?}"
    );
    assert!(
        series.len() <= 20,
        "the series stay few: {} of them\n{text}",
        series.len()
    );
}

// ---------------------------------------------------------------------------------------------
// /metrics is protected

async fn metrics_need_the_configured_token(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.metrics_token = Some(SecretString::from(METRICS_TOKEN));
    })
    .await;
    let client = app.client();
    // Loopback is no exception once a token is configured.
    for authorization in [
        None,
        Some("Bearer not-the-token".to_owned()),
        Some(format!("Basic {METRICS_TOKEN}")),
        Some(format!("Bearer {METRICS_TOKEN}x")),
    ] {
        let mut req = client.get(app.url("/metrics"));
        if let Some(value) = &authorization {
            req = req.header("authorization", value);
        }
        let res = req.send().await.expect("request");
        assert_eq!(res.status(), 401, "{authorization:?}");
        assert_eq!(header(&res, "content-type"), "application/problem+json");
        assert!(header(&res, "www-authenticate").starts_with("Bearer"));
        let body: Value = res.json().await.expect("problem");
        assert_eq!(body["status"], 401);
    }
    let res = client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/plain"));
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("# TYPE atlas_http_requests_total")
    );
}

async fn without_a_token_metrics_are_served_to_loopback_only(backend: Backend) {
    // Behind a trusted proxy on loopback, the client is whoever the proxy names.
    let proxied = spawn_app_with(backend, trusting_loopback).await;
    let client = proxied.client();
    let res = client
        .get(proxied.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 404, "a remote client gets the generic 404");
    assert_eq!(header(&res, "content-type"), "application/problem+json");
    let body: Value = res.json().await.expect("problem");
    let unknown: Value = proxied
        .get("/no-such-route")
        .await
        .json()
        .await
        .expect("problem");
    assert_eq!(body, unknown, "indistinguishable from an unknown route");
    let res = client
        .get(proxied.url("/metrics"))
        .header("x-forwarded-for", "127.0.0.1")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200, "a loopback client behind the proxy");

    // Without trusted proxies a forged header changes nothing: the peer is loopback.
    let direct = spawn_app(backend).await;
    let res = direct
        .client()
        .get(direct.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Browser security headers and SPA caching

/// A tiny SPA build: both planes' `index.html`, one hashed asset, the API docs page.
fn static_build() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("static dir");
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "system/index.html",
        "<!doctype html><title>ops</title><script type=\"module\" src=\"/system/assets/app-abc123.js\"></script>",
    );
    write("system/assets/app-abc123.js", "console.log('ops');\n");
    write(
        "system/api-docs/index.html",
        "<!doctype html><title>docs</title>",
    );
    write("system/api-docs/swagger-ui.css", "body{}\n");
    write("admin/index.html", "<!doctype html><title>admin</title>");
    write("admin/assets/app-def456.js", "console.log('admin');\n");
    dir
}

async fn spawn_with_spa(backend: Backend, dir: &Path) -> TestApp {
    let dir = dir.to_path_buf();
    spawn_app_with(backend, move |s| s.static_dir = dir).await
}

fn assert_security_headers(res: &reqwest::Response, what: &str) {
    let csp = header(res, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP lacks {directive}: {csp:?}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(header(res, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(res, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(
        header(res, "cross-origin-opener-policy"),
        "same-origin",
        "{what}"
    );
    assert_eq!(header(res, "x-frame-options"), "DENY", "{what}");
}

async fn every_answer_carries_the_browser_security_headers(backend: Backend) {
    let build = static_build();
    let app = spawn_with_spa(backend, build.path()).await;
    let op_token = app
        .operator_token(
            "alice",
            &[atlas_ops::domain::capability::Capability::RunsView],
        )
        .await;
    let client = app.client();
    for (method, path, status) in [
        (Method::GET, "/system/", 200),
        (Method::GET, "/system/runs/42", 200),
        (Method::GET, "/system", 307),
        (Method::GET, "/system/assets/app-abc123.js", 200),
        (Method::GET, "/system/api-docs/", 200),
        (Method::GET, "/admin/", 200),
        (Method::GET, "/admin/tenants", 200),
        (Method::GET, "/system/api/auth/me", 401),
        (Method::GET, "/system/api/openapi.json", 200),
        (Method::GET, "/system/api/no-such-route", 404),
        (Method::POST, "/system/api/auth/login", 400),
        (Method::GET, "/admin/api/auth/me", 401),
        (Method::GET, "/admin/api/openapi.json", 200),
        (Method::GET, "/healthz", 200),
        (Method::GET, "/metrics", 200),
        (Method::GET, "/no-such-route", 404),
    ] {
        let res = client
            .request(method.clone(), app.url(path))
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .expect("request");
        let what = format!("{method} {path}");
        assert_eq!(res.status().as_u16(), status, "{what}");
        assert_security_headers(&res, &what);
    }
    // A bearer-authenticated API answer too.
    let res = client
        .get(app.url("/system/api/ops/runs"))
        .bearer_auth(&op_token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_security_headers(&res, "GET /system/api/ops/runs");
    // Answers the general limiter refuses before any handler runs carry them as well.
    let limited = spawn_app_with(backend, |s| {
        s.api_rate_per_second = 1;
        s.api_rate_burst = 1;
    })
    .await;
    let mut refused = None;
    for _ in 0..10 {
        let res = limited.get("/system/api/auth/me").await;
        if res.status() == 429 {
            refused = Some(res);
            break;
        }
    }
    let refused = refused.expect("the limiter answers 429");
    assert_security_headers(&refused, "429 from the limiter");
}

async fn hashed_assets_are_immutable_and_pages_revalidate(backend: Backend) {
    let build = static_build();
    let app = spawn_with_spa(backend, build.path()).await;
    let cache = |res: &reqwest::Response| header(res, "cache-control");
    for path in [
        "/system/assets/app-abc123.js",
        "/admin/assets/app-def456.js",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(cache(&res), "public, max-age=31536000, immutable", "{path}");
    }
    for path in [
        "/system/",
        "/system/index.html",
        "/system/runs/42",
        "/system/api-docs/",
        "/system/api-docs/swagger-ui.css",
        "/admin/",
        "/admin/tenants",
        // A missing asset falls back to the page: never cache that HTML as a script.
        "/system/assets/app-gone99.js",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(cache(&res), "no-cache", "{path}");
    }
    let page = app.get("/system/runs/42").await;
    assert!(header(&page, "content-type").starts_with("text/html"));
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("<title>ops</title>")
    );
    // Revalidation works: the ETag of the page answers 304.
    let first = app.get("/system/").await;
    let etag = header(&first, "etag");
    assert!(!etag.is_empty());
    let res = app
        .client()
        .get(app.url("/system/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 304);
    // API answers keep no-store.
    for path in [
        "/system/api/auth/me",
        "/system/api/openapi.json",
        "/admin/api/auth/me",
        "/metrics",
    ] {
        let res = app.get(path).await;
        assert_eq!(cache(&res), "no-store", "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Logs name the real peer

/// The `client_ip` of the request span on the first log line that mentions `marker`.
async fn logged_client_ip(server: &AtlasProcess, marker: &str) -> String {
    let started = Instant::now();
    loop {
        let log = server.log_text();
        let line = log.lines().find(|l| l.contains(marker));
        if let Some(line) = line {
            let entry: Value = serde_json::from_str(line).expect("a JSON log line");
            return entry["span"]["client_ip"]
                .as_str()
                .unwrap_or_else(|| panic!("no span.client_ip in {line}"))
                .to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no log line for {marker}:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn request_logs_name_the_peer_unless_a_trusted_proxy_forwards(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let bin = atlas_ops_tests::atlas_ops_bin!();
    for (trusted, expected) in [(None, "127.0.0.1"), (Some("127.0.0.1"), "6.6.6.6")] {
        let env = trusted
            .map(|t| vec![("TRUSTED_PROXIES", t)])
            .unwrap_or_default();
        let server = AtlasProcess::serve(&bin, &database.url, 0, &env).await;
        let address = server.address.clone().expect("address");
        // An unknown path: its 404 is logged (a warning) inside the request's span.
        let marker = format!("/log-probe-{}", uuid::Uuid::new_v4());
        let res = reqwest::Client::new()
            .get(format!("{address}{marker}"))
            .header("x-forwarded-for", "6.6.6.6")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 404);
        assert_eq!(
            logged_client_ip(&server, &marker).await,
            expected,
            "TRUSTED_PROXIES={trusted:?}"
        );
        // No field of the span repeats the forged address unless a trusted proxy sent it.
        let log = server.log_text();
        let line = log.lines().find(|l| l.contains(&marker)).expect("line");
        assert_eq!(line.contains("6.6.6.6"), trusted.is_some(), "{line}");
        // The harness serves plain http, and `serve` says so (rule: secure by default).
        assert!(
            log.contains("COOKIE_SECURE=false: session cookies are sent over plain http"),
            "{log}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Secure cookies by default

/// The `Set-Cookie` of a login at `path`.
async fn login_set_cookie(app: &TestApp, path: &str, username: &str) -> String {
    let res = app
        .client()
        .post(app.url(path))
        .json(&json!({"username": username, "password": TEST_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200, "login at {path}");
    header(&res, "set-cookie")
}

fn is_secure(set_cookie: &str) -> bool {
    set_cookie
        .split(';')
        .any(|attr| attr.trim().eq_ignore_ascii_case("secure"))
}

async fn login_cookies_are_secure_unless_disabled(backend: Backend) {
    // What a deployment gets when it does not set COOKIE_SECURE at all.
    let default = Settings::from_lookup(|_| None)
        .expect("default settings")
        .cookie_secure;
    let secure = spawn_app_with(backend, |s| s.cookie_secure = default).await;
    let plain = spawn_app(backend).await;
    for (app, want_secure) in [(&secure, true), (&plain, false)] {
        app.create_operator("alice", &[]).await;
        let ws = workspaces::ActiveModel {
            name: Set("Acme".to_owned()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("workspace")
        .id;
        app.create_customer("carol", ws).await;
        for (path, user, cookie) in [
            ("/system/api/auth/login", "alice", "tp_system_session="),
            ("/admin/api/auth/login", "carol", "tp_admin_session="),
        ] {
            let set_cookie = login_set_cookie(app, path, user).await;
            assert!(set_cookie.starts_with(cookie), "{set_cookie}");
            assert_eq!(is_secure(&set_cookie), want_secure, "{path}: {set_cookie}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One body limit for every route (docs/spec.md §11, second pass)

/// Sends `head` and `body_part` on a fresh connection and reads the answer's status line.
async fn raw_status(app: &TestApp, head: &str, body_part: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("head");
    let _ = s.write_all(body_part).await;
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !out.windows(2).any(|w| w == b"\r\n") {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

async fn every_body_over_the_limit_is_refused_before_it_is_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let limit = app.ctx.settings.max_body_bytes;
    assert_eq!(limit, 65_536);
    // Declared too large: 413 with only the headers sent, on every kind of route.
    for path in [
        "/system/api/auth/login",
        "/admin/api/auth/login",
        "/system/api/nope",
        "/admin/api/nope",
        "/healthz",
        "/nope",
        "/system/",
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            limit + 1
        );
        assert_eq!(
            raw_status(&app, &head, b"").await,
            "HTTP/1.1 413 Payload Too Large",
            "{path}"
        );
    }
    // Chunked, no length declared: cut off once it grows past the limit, JSON or raw bytes.
    for (path, content_type) in [
        ("/admin/api/auth/login", "application/json"),
        ("/admin/api/nope", "application/octet-stream"),
        ("/system/api/auth/tokens", "text/plain"),
    ] {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..20).map(|_| Ok(vec![b' '; 8_192])).collect();
        let res = app
            .client()
            .post(app.url(path))
            .header("content-type", content_type)
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await
            .expect("response");
        assert_eq!(res.status(), 413, "{path}");
        assert_eq!(header(&res, "content-type"), "application/problem+json");
    }
    // Just under the limit is read and judged on its content.
    let padded = format!(
        "{{\"username\":\"nobody\",\"password\":\"wrong password\",\"pad\":\"{}\"}}",
        " ".repeat(60_000)
    );
    let res = app
        .client()
        .post(app.url("/admin/api/auth/login"))
        .header("content-type", "application/json")
        .body(padded)
        .send()
        .await
        .expect("response");
    assert_ne!(res.status(), 413);
}

// ---------------------------------------------------------------------------------------------
// Connection caps and keep-alive (docs/spec.md §11, second pass; the load versions are in reliability.rs)

/// A connection from loopback address `from` that has had one whole `GET /healthz` answered;
/// `None` when the server closed it instead (refused at accept).
async fn served_connection(app: &TestApp, from: &str) -> Option<tokio::net::TcpStream> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("loopback"))
        .expect("bind");
    let host = app.address.trim_start_matches("http://");
    let mut s = socket.connect(host.parse().expect("addr")).await.ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&out).trim_end().ends_with('}') {
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
    Some(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_overall_connection_cap_refuses_at_once_and_idle_connections_close() {
    use tokio::io::AsyncReadExt;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.max_connections = 4;
        s.max_connections_per_ip = 2;
        s.keep_alive = Duration::from_secs(2);
    })
    .await;
    let mut open = Vec::new();
    for from in ["127.0.0.11", "127.0.0.11", "127.0.0.12", "127.0.0.13"] {
        open.push(served_connection(&app, from).await.expect("admitted"));
    }
    let started = Instant::now();
    assert!(
        served_connection(&app, "127.0.0.14").await.is_none(),
        "a fifth connection is over the overall cap"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once"
    );
    // Idle keep-alive connections close after KEEP_ALIVE_SECONDS, which frees their slots.
    let mut first = open.swap_remove(0);
    let mut buf = [0u8; 16];
    let idle = Instant::now();
    let read = tokio::time::timeout(Duration::from_secs(5), first.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "closed by the server: {read:?}"
    );
    assert!(
        idle.elapsed() < Duration::from_secs(3),
        "after {:?}",
        idle.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(served_connection(&app, "127.0.0.14").await.is_some());
    assert_eq!(app.get("/healthz").await.status(), 200);
}

db_tests!(
    made_up_methods_do_not_create_metric_series,
    metrics_need_the_configured_token,
    without_a_token_metrics_are_served_to_loopback_only,
    every_answer_carries_the_browser_security_headers,
    hashed_assets_are_immutable_and_pages_revalidate,
    request_logs_name_the_peer_unless_a_trusted_proxy_forwards,
    login_cookies_are_secure_unless_disabled,
    every_body_over_the_limit_is_refused_before_it_is_read,
);
