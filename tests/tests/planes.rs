//! The two planes never mix (docs/spec.md §3): the other plane's cookie or token gets the very 404 an
//! unknown route gets, in both directions; the customer plane sees only its own workspace and
//! has no runbook, maintenance or run endpoint; bad input is a 4xx problem, never a 500.

use atlas_ops::auth::tokens::{self, Claims};
use atlas_ops::domain::capability::Capability;
use atlas_ops::entities::{findings, tenants, workspaces};
use atlas_ops_tests::{Backend, TEST_PASSWORD, TestApp, db_tests, spawn_app, spawn_app_with};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Status, headers (minus the per-response `date` and `x-request-id`) and body.
async fn snapshot(res: reqwest::Response) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let status = res.status().as_u16();
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "date" | "x-request-id"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    headers.sort();
    let body = res.bytes().await.expect("body").to_vec();
    (status, headers, body)
}

async fn real_404(app: &TestApp, plane: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    snapshot(
        bare()
            .get(app.url(&format!("/{plane}/api/no-such-route-at-all")))
            .send()
            .await
            .expect("get"),
    )
    .await
}

async fn cookie_of(app: &TestApp, path: &str, username: &str, name: &str) -> String {
    let res = bare()
        .post(app.url(path))
        .json(&json!({"username": username, "password": TEST_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200, "{path}");
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|kv| kv.starts_with(&format!("{name}=")))
                .map(str::to_owned)
        })
        .expect("session cookie")
}

struct World {
    ws_a: i64,
    tenant_a: i64,
    tenant_b: i64,
}

async fn world(app: &TestApp) -> World {
    let ws = |name: &str| workspaces::ActiveModel {
        name: Set(name.to_owned()),
        ..Default::default()
    };
    let ws_a = ws("Acme").insert(&app.db).await.expect("ws").id;
    let ws_b = ws("Globex").insert(&app.db).await.expect("ws").id;
    let tenant = |ws: i64, ext: &str| tenants::ActiveModel {
        workspace_id: Set(ws),
        external_id: Set(ext.to_owned()),
        name: Set(format!("Tenant {ext}")),
        ..Default::default()
    };
    tenant(ws_a, "platform").insert(&app.db).await.expect("t");
    let tenant_a = tenant(ws_a, "acme-1").insert(&app.db).await.expect("t").id;
    tenant(ws_a, "acme-2").insert(&app.db).await.expect("t");
    let tenant_b = tenant(ws_b, "globex-1")
        .insert(&app.db)
        .await
        .expect("t")
        .id;
    let now = Utc::now();
    for (tenant_id, n) in [(tenant_a, 3), (tenant_b, 2)] {
        for i in 0..n {
            findings::ActiveModel {
                tenant_id: Set(tenant_id),
                recurrence_key: Set(format!("k{i}")),
                severity: Set("high".into()),
                status: Set("new".into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .expect("finding");
        }
    }
    app.create_customer("carol", ws_a).await;
    app.create_operator("olga", &Capability::ALL).await;
    World {
        ws_a,
        tenant_a,
        tenant_b,
    }
}

async fn admin_cookies_at_system_are_a_plain_404(backend: Backend) {
    let app = spawn_app(backend).await;
    world(&app).await;
    let admin = cookie_of(&app, "/admin/api/auth/login", "carol", "tp_admin_session").await;
    let system = cookie_of(&app, "/system/api/auth/login", "olga", "tp_system_session").await;
    for (method, path) in [
        ("GET", "/system/api/auth/me"),
        ("GET", "/system/api/auth/tokens"),
        ("POST", "/system/api/auth/login"),
        ("POST", "/system/api/auth/logout"),
        ("GET", "/system/api/ops/runbooks"),
    ] {
        // The same request to a route that does not exist is the reference.
        let expected = snapshot(
            bare()
                .request(
                    method.parse().expect("method"),
                    app.url("/system/api/no-such-route"),
                )
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(expected.0, 404);
        // Alone, and next to a valid operator session: either way the route "does not exist".
        for cookie in [admin.clone(), format!("{system}; {admin}")] {
            let res = bare()
                .request(method.parse().expect("method"), app.url(path))
                .header("cookie", cookie)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("request");
            assert_eq!(snapshot(res).await, expected, "{method} {path}");
        }
    }
}

async fn system_cookies_at_admin_are_a_plain_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let system = cookie_of(&app, "/system/api/auth/login", "olga", "tp_system_session").await;
    let expected = real_404(&app, "admin").await;
    for path in [
        "/admin/api/auth/me".to_owned(),
        "/admin/api/tenants".to_owned(),
        format!("/admin/api/tenants/{}/findings", w.tenant_a),
    ] {
        let res = bare()
            .get(app.url(&path))
            .header("cookie", &system)
            .send()
            .await
            .expect("get");
        assert_eq!(snapshot(res).await, expected, "{path}");
    }
}

async fn tokens_of_the_other_plane_are_a_plain_404(backend: Backend) {
    let app = spawn_app(backend).await;
    world(&app).await;
    let system_token = app.operator_token("olga", &[Capability::RunsView]).await;
    let now = Utc::now().timestamp();
    let admin_token = tokens::encode(
        &app.ctx.settings,
        &Claims {
            iss: tokens::ISSUER.into(),
            aud: "admin".into(),
            sub: "1".into(),
            exp: now + 3600,
            iat: now,
            jti: "customer-token".into(),
        },
    )
    .expect("encode");
    let expected = real_404(&app, "system").await;
    let res = bare()
        .get(app.url("/system/api/auth/me"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("get");
    assert_eq!(snapshot(res).await, expected);
    let expected = real_404(&app, "admin").await;
    for path in ["/admin/api/auth/me", "/admin/api/tenants"] {
        let res = bare()
            .get(app.url(path))
            .bearer_auth(&system_token)
            .send()
            .await
            .expect("get");
        assert_eq!(snapshot(res).await, expected, "{path}");
    }
    // Each token still works on its own plane's side of the check.
    let res = bare()
        .get(app.url("/system/api/auth/me"))
        .bearer_auth(&system_token)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
}

async fn customers_see_only_their_workspace(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let carol = app.login_customer("carol").await;
    let me: Value = carol
        .get("/admin/api/auth/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["user"]["username"], "carol");
    assert_eq!(me["user"]["workspace_id"], w.ws_a);
    assert_eq!(me["csrf_token"], carol.csrf.as_str());
    let session: Value = carol
        .get("/admin/api/auth/session")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(session["user"], me["user"], "the probe names the same user");
    assert_eq!(session["csrf_token"], me["csrf_token"]);

    let list: Value = carol
        .get("/admin/api/tenants")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 2, "{list}");
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["external_id"].as_str())
        .collect();
    assert_eq!(ids, ["acme-1", "acme-2"]);

    let page: Value = carol
        .get(&format!(
            "/admin/api/tenants/{}/findings?per_page=2&page=2",
            w.tenant_a
        ))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["total"], 3);
    assert_eq!(page["page"], 2);
    assert_eq!(page["per_page"], 2);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));

    let res = carol
        .get(&format!("/admin/api/tenants/{}/findings", w.tenant_b))
        .await;
    assert_eq!(res.status(), 404, "another workspace's tenant");
    assert_eq!(
        carol
            .get("/admin/api/tenants/999999/findings")
            .await
            .status(),
        404
    );
    for bad in [
        "?page=0",
        "?per_page=101",
        "?per_page=abc",
        "?page=-1",
        "?per_page=99999999999999999999",
    ] {
        let res = carol.get(&format!("/admin/api/tenants{bad}")).await;
        assert_eq!(res.status(), 422, "{bad}");
    }
    assert_eq!(
        carol.get("/admin/api/tenants/abc/findings").await.status(),
        422
    );

    assert_eq!(
        carol
            .post_json("/admin/api/auth/logout", &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(carol.get("/admin/api/tenants").await.status(), 401);
}

async fn the_customer_plane_needs_credentials_and_csrf(backend: Backend) {
    let app = spawn_app(backend).await;
    world(&app).await;
    for path in ["/admin/api/auth/me", "/admin/api/tenants"] {
        let res = bare().get(app.url(path)).send().await.expect("get");
        assert_eq!(res.status(), 401, "{path}");
    }
    let carol = app.login_customer("carol").await;
    let res = carol
        .client
        .post(app.url("/admin/api/auth/logout"))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403, "logout without X-CSRF-Token");
    // Wrong password at the customer plane: 401, audited.
    let res = bare()
        .post(app.url("/admin/api/auth/login"))
        .json(&json!({"username": "carol", "password": "not-the-password"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 401);
}

async fn the_customer_plane_has_no_runbook_maintenance_or_run_endpoint(backend: Backend) {
    // 250 probes from one address: the customer plane's flood limiter (its own tests are in
    // hardening_auth.rs) would answer some of them 429 instead of the 404 under test.
    let app = spawn_app_with(backend, |s| {
        s.api_rate_burst = 100_000;
        s.api_rate_per_second = 100_000;
    })
    .await;
    world(&app).await;
    let carol = app.login_customer("carol").await;
    let paths = [
        "/admin/api/ops/runbooks",
        "/admin/api/ops/runbooks/findings.lifecycle.rebuild",
        "/admin/api/ops/runbooks/findings.lifecycle.rebuild/preflight",
        "/admin/api/ops/runbooks/findings.lifecycle.rebuild/runs",
        "/admin/api/ops/runs",
        "/admin/api/ops/runs/1",
        "/admin/api/ops/runs/1/items",
        "/admin/api/ops/runs/1/cancel",
        "/admin/api/ops/runs/1/retry-failed",
        "/admin/api/ops/runs/1/events",
        "/admin/api/ops/tenants",
        "/admin/api/runbooks",
        "/admin/api/runbooks/findings.lifecycle.rebuild/runs",
        "/admin/api/runs",
        "/admin/api/runs/1",
        "/admin/api/operation-runs",
        "/admin/api/maintenance",
        "/admin/api/maintenance/tasks",
        "/admin/api/findings/backfill-lifecycle",
        "/admin/api/tenants/1/findings/rebuild",
        "/admin/api/tenants/1/runbooks",
        "/admin/api/jobs",
        "/admin/api/audit-events",
        "/admin/ops/runbooks",
    ];
    for path in paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            for client in [&bare(), &carol.client] {
                let res = client
                    .request(method.parse().expect("method"), app.url(path))
                    .header("x-csrf-token", &carol.csrf)
                    .header("content-type", "application/json")
                    .body(r#"{"scope":{"kind":"all_tenants"}}"#)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(res.status(), 404, "{method} {path}");
            }
        }
    }
    // The customer plane's own contract lists no such operation either.
    let doc: serde_json::Value = bare()
        .get(app.url("/admin/api/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let listed: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    assert!(!listed.is_empty());
    for path in listed {
        assert!(path.starts_with("/admin/api/"), "{path}");
        for word in ["runbook", "runs", "ops", "maintenance", "operation", "jobs"] {
            assert!(!path.contains(word), "customer contract lists {path}");
        }
    }
}

async fn bad_input_is_a_4xx_problem_never_a_500(backend: Backend) {
    let app = spawn_app(backend).await;
    world(&app).await;
    let olga = app.login_operator("olga").await;
    let send = |path: &'static str, content_type: &'static str, body: Vec<u8>| {
        let client = olga.client.clone();
        let url = app.url(path);
        let csrf = olga.csrf.clone();
        async move {
            client
                .post(url)
                .header("x-csrf-token", csrf)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .expect("request")
        }
    };
    let big = format!(
        r#"{{"name":"{}","expires_in_days":1,"capabilities":[]}}"#,
        "x".repeat(70 * 1024)
    );
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        (
            "/system/api/auth/tokens",
            "application/json",
            b"{not json".to_vec(),
            400,
        ),
        (
            "/system/api/auth/tokens",
            "application/json",
            b"".to_vec(),
            400,
        ),
        (
            "/system/api/auth/tokens",
            "application/json",
            br#"{"name":"x","expires_in_days":1,"capabilities":[],"extra":1}"#.to_vec(),
            422,
        ),
        (
            "/system/api/auth/tokens",
            "application/json",
            br#"{"name":7,"expires_in_days":1,"capabilities":[]}"#.to_vec(),
            422,
        ),
        (
            "/system/api/auth/tokens",
            "application/json",
            br#"[1,2,3]"#.to_vec(),
            422,
        ),
        (
            "/system/api/auth/tokens",
            "text/plain",
            br#"{"name":"x","expires_in_days":1,"capabilities":[]}"#.to_vec(),
            415,
        ),
        (
            "/system/api/auth/tokens",
            "application/x-www-form-urlencoded",
            b"name=x".to_vec(),
            415,
        ),
        (
            "/system/api/auth/tokens",
            "application/json",
            big.into_bytes(),
            413,
        ),
        (
            "/system/api/auth/login",
            "application/json",
            br#"{"username":"olga"}"#.to_vec(),
            422,
        ),
        (
            "/system/api/auth/login",
            "application/json",
            br#"{"username":"olga","password":"x","remember":true}"#.to_vec(),
            422,
        ),
        (
            "/system/api/auth/login",
            "text/plain",
            br#"{"username":"olga","password":"x"}"#.to_vec(),
            415,
        ),
        (
            "/admin/api/auth/login",
            "application/json",
            b"\xff\xfe".to_vec(),
            400,
        ),
    ];
    for (path, content_type, body, status) in cases {
        let res = send(path, content_type, body).await;
        assert_eq!(res.status().as_u16(), status, "{path} {content_type}");
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{path}"
        );
        let problem: Value = res.json().await.expect("problem json");
        assert_eq!(problem["status"], status);
    }
    for query in ["?per_page=1000", "?page=abc", "?page=0", "?per_page=-5"] {
        let res = olga.get(&format!("/system/api/auth/tokens{query}")).await;
        assert_eq!(res.status(), 422, "{query}");
    }
    // A non-numeric (or out-of-range) id: 422 naming the path.
    for id in ["not-a-number", "99999999999999999999999"] {
        let res = olga.delete(&format!("/system/api/auth/tokens/{id}")).await;
        assert_eq!(res.status(), 422, "{id}");
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
    }
}

db_tests!(
    admin_cookies_at_system_are_a_plain_404,
    system_cookies_at_admin_are_a_plain_404,
    tokens_of_the_other_plane_are_a_plain_404,
    customers_see_only_their_workspace,
    the_customer_plane_needs_credentials_and_csrf,
    the_customer_plane_has_no_runbook_maintenance_or_run_endpoint,
    bad_input_is_a_4xx_problem_never_a_500,
);
