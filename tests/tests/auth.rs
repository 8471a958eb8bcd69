//! Operator-plane identity (docs/spec.md §3): session cookies and their attributes, fixation, idle and
//! absolute expiry on a moved clock, logout/disable/password change, CSRF, 401/403, login
//! throttling (also across two app instances) with its audit trail, and API tokens.

use atlas_ops::auth::operators;
use atlas_ops::domain::capability::Capability;
use atlas_ops::entities::{audit_events, operators as operator_rows, sessions};
use atlas_ops_tests::{Backend, TEST_PASSWORD, TestApp, db_tests, spawn_app, spawn_app_with};
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

const LOGIN: &str = "/system/api/auth/login";
const ME: &str = "/system/api/auth/me";
const TOKENS: &str = "/system/api/auth/tokens";

/// A parsed `Set-Cookie` header.
#[derive(Debug)]
struct SetCookie {
    name: String,
    value: String,
    attrs: Vec<String>,
}

impl SetCookie {
    fn attr(&self, name: &str) -> Option<String> {
        self.attrs.iter().find_map(|a| {
            let (k, v) = a.split_once('=').unwrap_or((a.as_str(), ""));
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

fn set_cookies(res: &reqwest::Response) -> Vec<SetCookie> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|raw| {
            let mut parts = raw.split(';').map(|p| p.trim().to_owned());
            let first = parts.next().unwrap_or_default();
            let (name, value) = first.split_once('=').unwrap_or((&first, ""));
            SetCookie {
                name: name.to_owned(),
                value: value.to_owned(),
                attrs: parts.collect(),
            }
        })
        .collect()
}

/// A plain client: no cookie jar, so tests control the `Cookie` header.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn login_raw(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    bare()
        .post(app.url(LOGIN))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("request")
}

async fn session_cookie(app: &TestApp, username: &str) -> String {
    let res = login_raw(app, username, TEST_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = set_cookies(&res)
        .into_iter()
        .find(|c| c.name == "tp_system_session")
        .expect("session cookie");
    format!("tp_system_session={}", cookie.value)
}

async fn me_with_cookie(app: &TestApp, cookie: &str) -> u16 {
    bare()
        .get(app.url(ME))
        .header("cookie", cookie)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq(action))
        .count(&app.db)
        .await
        .expect("count")
}

fn assert_problem(res: &reqwest::Response, status: u16) {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}

async fn login_sets_hardened_cookies_and_returns_the_operator(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[Capability::RunsView, Capability::RunbooksView])
        .await;
    let res = login_raw(&app, "Alice", TEST_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookies = set_cookies(&res);
    let cookie = cookies
        .iter()
        .find(|c| c.name == "tp_system_session")
        .expect("tp_system_session");
    assert_eq!(cookie.attr("Path").as_deref(), Some("/system"));
    assert!(cookie.attr("HttpOnly").is_some());
    assert_eq!(cookie.attr("SameSite").as_deref(), Some("Strict"));
    // The test settings set COOKIE_SECURE=false for plain http (the default is Secure).
    assert!(cookie.attr("Secure").is_none());
    assert!(cookie.attr("Max-Age").is_none(), "expiry is server-side");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["operator"]["username"], "alice");
    assert_eq!(
        body["operator"]["capabilities"],
        json!(["ops.runbooks.view", "ops.runs.view"])
    );
    assert!(body["csrf_token"].as_str().is_some_and(|t| t.len() >= 32));
    // Only a hash of the key is stored.
    let rows = sessions::Entity::find().all(&app.db).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id.len(), 64);
    assert_eq!(rows[0].plane, "system");
    assert!(!cookie.value.contains(&rows[0].id));

    let secure = spawn_app_with(backend, |s| s.cookie_secure = true).await;
    secure.create_operator("bob", &[]).await;
    let res = login_raw(&secure, "bob", TEST_PASSWORD).await;
    let cookies = set_cookies(&res);
    let cookie = cookies
        .iter()
        .find(|c| c.name == "tp_system_session")
        .expect("cookie");
    assert!(cookie.attr("Secure").is_some());
}

async fn me_returns_the_operator_and_the_csrf_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[Capability::AuditView]).await;
    let op = app.login_operator("alice").await;
    let res = op.get(ME).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["operator"]["capabilities"], json!(["audit.view"]));
    assert_eq!(body["csrf_token"], op.csrf.as_str());
}

async fn the_session_id_changes_at_login(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let first = session_cookie(&app, "alice").await;
    // Log in again while presenting the first session (a planted id must not survive).
    let res = bare()
        .post(app.url(LOGIN))
        .header("cookie", &first)
        .json(&json!({"username": "alice", "password": TEST_PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let second = set_cookies(&res)
        .into_iter()
        .find(|c| c.name == "tp_system_session")
        .map(|c| format!("tp_system_session={}", c.value))
        .expect("new cookie");
    assert_ne!(first, second);
    assert_eq!(me_with_cookie(&app, &first).await, 401, "old id is dead");
    assert_eq!(me_with_cookie(&app, &second).await, 200);
    assert_eq!(sessions::Entity::find().count(&app.db).await.expect("n"), 1);
}

async fn wrong_password_and_unknown_user_get_the_same_401(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let wrong = login_raw(&app, "alice", "not-the-password").await;
    assert_problem(&wrong, 401);
    assert!(set_cookies(&wrong).is_empty());
    let wrong = wrong.bytes().await.expect("body");
    let unknown = login_raw(&app, "nobody", "not-the-password").await;
    assert_problem(&unknown, 401);
    assert_eq!(wrong, unknown.bytes().await.expect("body"));
    operators::disable_operator(&app.db, "alice")
        .await
        .expect("disable");
    let disabled = login_raw(&app, "alice", TEST_PASSWORD).await;
    assert_problem(&disabled, 401);
    assert_eq!(wrong, disabled.bytes().await.expect("body"));

    let failed = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("auth.login.failed"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(failed.len(), 3);
    let reasons: Vec<_> = failed
        .iter()
        .map(|e| e.metadata["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(reasons, ["wrong_password", "unknown_user", "disabled"]);
    assert!(failed.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")));
    assert_eq!(failed[1].actor_label.as_deref(), Some("nobody"));
    assert_eq!(audit_count(&app, "auth.login.succeeded").await, 0);
}

async fn sessions_expire_when_idle(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let cookie = session_cookie(&app, "alice").await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(me_with_cookie(&app, &cookie).await, 200);
    // Activity pushed the idle deadline forward.
    app.clock.advance(Duration::minutes(29));
    assert_eq!(me_with_cookie(&app, &cookie).await, 200);
    app.clock.advance(Duration::minutes(31));
    assert_eq!(me_with_cookie(&app, &cookie).await, 401);
    assert_eq!(sessions::Entity::find().count(&app.db).await.expect("n"), 0);
}

async fn sessions_expire_after_the_absolute_lifetime(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let cookie = session_cookie(&app, "alice").await;
    // Busy all day: a request every 25 minutes for just under 8 hours.
    for _ in 0..19 {
        app.clock.advance(Duration::minutes(25));
        assert_eq!(me_with_cookie(&app, &cookie).await, 200);
    }
    app.clock.advance(Duration::minutes(25));
    assert_eq!(me_with_cookie(&app, &cookie).await, 401);
}

async fn expired_sessions_are_purged(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    session_cookie(&app, "alice").await;
    let now = app.ctx.now();
    assert_eq!(
        atlas_ops::auth::sessions::purge_expired(&app.db, now)
            .await
            .expect("purge"),
        0
    );
    let later = now + Duration::minutes(31);
    assert_eq!(
        atlas_ops::auth::sessions::purge_expired(&app.db, later)
            .await
            .expect("purge"),
        1
    );
}

async fn logout_ends_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let op = app.login_operator("alice").await;
    let res = op.post_json("/system/api/auth/logout", &json!({})).await;
    assert_eq!(res.status(), 204);
    let removal = set_cookies(&res)
        .into_iter()
        .find(|c| c.name == "tp_system_session")
        .expect("removal cookie");
    assert!(removal.value.is_empty());
    assert_eq!(op.get(ME).await.status(), 401);
    assert_eq!(sessions::Entity::find().count(&app.db).await.expect("n"), 0);
    assert_eq!(audit_count(&app, "auth.logout").await, 1);
}

async fn logout_replayed_cookie_is_dead(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let cookie = session_cookie(&app, "alice").await;
    let csrf: Value = bare()
        .get(app.url(ME))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    let res = bare()
        .post(app.url("/system/api/auth/logout"))
        .header("cookie", &cookie)
        .header(
            "x-csrf-token",
            csrf["csrf_token"].as_str().unwrap_or_default(),
        )
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), 204);
    assert_eq!(me_with_cookie(&app, &cookie).await, 401);
}

async fn disabling_an_operator_ends_their_sessions_and_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let op = app.login_operator("alice").await;
    let token = app.operator_token("alice", &[]).await;
    assert_eq!(op.get(ME).await.status(), 200);
    operators::disable_operator(&app.db, "alice")
        .await
        .expect("disable");
    assert_eq!(sessions::Entity::find().count(&app.db).await.expect("n"), 0);
    assert_eq!(op.get(ME).await.status(), 401);
    let res = bare()
        .get(app.url(ME))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(res.status(), 401);
}

async fn a_password_change_ends_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let op = app.login_operator("alice").await;
    operators::set_password(
        &app.db,
        "alice",
        "a-brand-new-password",
        app.ctx.now(),
        &Default::default(),
    )
    .await
    .expect("set password");
    assert_eq!(op.get(ME).await.status(), 401);
    assert_eq!(login_raw(&app, "alice", TEST_PASSWORD).await.status(), 401);
    assert_eq!(
        login_raw(&app, "alice", "a-brand-new-password")
            .await
            .status(),
        200
    );
}

async fn a_session_older_than_the_password_is_refused(backend: Backend) {
    // Even if a row survived (another process changed the password without deleting it),
    // the guard compares the login time with password_changed_at.
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let op = app.login_operator("alice").await;
    operator_rows::Entity::update_many()
        .col_expr(
            operator_rows::Column::PasswordChangedAt,
            Expr::value(app.ctx.now() + Duration::seconds(5)),
        )
        .exec(&app.db)
        .await
        .expect("update");
    assert_eq!(op.get(ME).await.status(), 401);
    assert_eq!(sessions::Entity::find().count(&app.db).await.expect("n"), 0);
}

async fn no_credentials_is_401(backend: Backend) {
    let app = spawn_app(backend).await;
    for (method, path) in [
        ("GET", ME),
        ("GET", TOKENS),
        ("POST", TOKENS),
        ("POST", "/system/api/auth/logout"),
        ("DELETE", "/system/api/auth/tokens/1"),
    ] {
        let res = bare()
            .request(method.parse().expect("method"), app.url(path))
            .send()
            .await
            .expect("request");
        assert_problem(&res, 401);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["status"], 401, "{method} {path}");
    }
    // A bearer token that is not ours is no credential either.
    let res = bare()
        .get(app.url(ME))
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .expect("me");
    assert_problem(&res, 401);
}

async fn cookie_requests_need_the_csrf_token_bearer_requests_do_not(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[Capability::RunsView]).await;
    let op = app.login_operator("alice").await;
    let body = json!({"name": "ci", "expires_in_days": 7, "capabilities": []});
    let missing = op
        .client
        .post(app.url(TOKENS))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_problem(&missing, 403);
    let wrong = op
        .client
        .post(app.url(TOKENS))
        .header("x-csrf-token", "0".repeat(64))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_problem(&wrong, 403);
    assert_eq!(op.post_json(TOKENS, &body).await.status(), 201);
    // Safe methods need none.
    assert_eq!(
        op.client
            .get(app.url(TOKENS))
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    // Bearer requests are exempt: an unsafe request without the header reaches the handler
    // (404: no such run). Token management itself needs a session (docs/spec.md §11).
    let token = app
        .operator_token("canceller", &[Capability::RunsCancel])
        .await;
    let res = bare()
        .post(app.url("/system/api/ops/runs/424242/cancel"))
        .bearer_auth(&token)
        .json(&json!({"reason": "no longer needed at all"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 404);
}

async fn missing_capability_is_403(backend: Backend) {
    // Depends on the lead's GET /system/api/ops/runbooks (ops.runbooks.view).
    let app = spawn_app(backend).await;
    app.create_operator("viewer", &[Capability::RunbooksView])
        .await;
    app.create_operator("nobody", &[Capability::RunsView]).await;
    let viewer = app.login_operator("viewer").await;
    let nobody = app.login_operator("nobody").await;
    assert_eq!(viewer.get("/system/api/ops/runbooks").await.status(), 200);
    let res = nobody.get("/system/api/ops/runbooks").await;
    assert_problem(&res, 403);
    // A token is limited to its own capabilities.
    let token = app.operator_token("viewer", &[]).await;
    let res = bare()
        .get(app.url("/system/api/ops/runbooks"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    assert_problem(&res, 403);
}

async fn the_eleventh_attempt_in_a_minute_is_429(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await;
    app.create_operator("alice", &[]).await;
    app.create_operator("bob", &[]).await;
    app.align_to_throttle_window();
    let attempt = |user: &'static str, password: &'static str, ip: &'static str| {
        let url = app.url(LOGIN);
        async move {
            bare()
                .post(url)
                .header("x-forwarded-for", ip)
                .json(&json!({"username": user, "password": password}))
                .send()
                .await
                .expect("login")
        }
    };
    for _ in 0..10 {
        assert_eq!(
            attempt("alice", "wrong-password!", "198.51.100.1")
                .await
                .status(),
            401
        );
    }
    let res = attempt("ALICE", TEST_PASSWORD, "198.51.100.1").await;
    assert_problem(&res, 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    // Another username from the same address, and the same username from another address.
    assert_eq!(
        attempt("bob", TEST_PASSWORD, "198.51.100.1").await.status(),
        200
    );
    assert_eq!(
        attempt("alice", TEST_PASSWORD, "198.51.100.2")
            .await
            .status(),
        200
    );
    // The next window starts afresh.
    app.clock.advance(Duration::seconds(61));
    assert_eq!(
        attempt("alice", TEST_PASSWORD, "198.51.100.1")
            .await
            .status(),
        200
    );

    let throttled = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("auth.login.throttled"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(throttled.len(), 1);
    assert_eq!(throttled[0].ip.as_deref(), Some("198.51.100.1"));
    // The one normalised name (docs/spec.md §11), whatever the case typed.
    assert_eq!(throttled[0].metadata["username"], "alice");
    assert_eq!(throttled[0].actor_label.as_deref(), Some("alice"));
    assert!(throttled[0].metadata["reason"].as_str().is_some());
    assert_eq!(audit_count(&app, "auth.login.failed").await, 10);
}

async fn one_username_is_capped_across_addresses(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await;
    app.create_operator("alice", &[]).await;
    app.align_to_throttle_window();
    for i in 0..50 {
        let ip = format!("203.0.113.{}", i / 10 + 1);
        let res = bare()
            .post(app.url(LOGIN))
            .header("x-forwarded-for", ip)
            .json(&json!({"username": "alice", "password": "wrong-password!"}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = bare()
        .post(app.url(LOGIN))
        .header("x-forwarded-for", "203.0.113.99")
        .json(&json!({"username": "alice", "password": TEST_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_problem(&res, 429);
}

async fn throttling_holds_across_two_instances(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let second = app.spawn_second_instance().await;
    app.align_to_throttle_window();
    for i in 0..10 {
        let base = if i % 2 == 0 {
            app.address.clone()
        } else {
            second.clone()
        };
        let res = bare()
            .post(format!("{base}{LOGIN}"))
            .json(&json!({"username": "alice", "password": "wrong-password!"}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 401);
    }
    for base in [&app.address, &second] {
        let res = bare()
            .post(format!("{base}{LOGIN}"))
            .json(&json!({"username": "alice", "password": TEST_PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 429, "{base}");
    }
}

async fn tokens_are_created_listed_and_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[Capability::RunsView, Capability::RunbooksView])
        .await;
    app.create_operator("mallory", &[]).await;
    let op = app.login_operator("alice").await;
    let res = op
        .post_json(
            TOKENS,
            &json!({"name": "ci", "expires_in_days": 90, "capabilities": ["ops.runs.view"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    let token = created["token"].as_str().expect("token").to_owned();
    assert_eq!(created["name"], "ci");
    assert_eq!(created["capabilities"], json!(["ops.runs.view"]));
    assert!(created["expires_at"].as_str().is_some());
    let id = created["id"].as_i64().expect("id");

    // The token works, with its own capabilities only and no CSRF token.
    let me: Value = bare()
        .get(app.url(ME))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["operator"]["username"], "alice");
    assert_eq!(me["operator"]["capabilities"], json!(["ops.runs.view"]));
    assert_eq!(me["csrf_token"], Value::Null);

    let list: Value = op.get(TOKENS).await.json().await.expect("json");
    assert_eq!(list["total"], 1);
    assert_eq!(list["page"], 1);
    assert_eq!(list["per_page"], 25);
    assert_eq!(list["items"][0]["name"], "ci");
    assert!(
        list["items"][0].get("token").is_none(),
        "never listed again"
    );

    // Someone else's token is not theirs to see or revoke.
    let mallory = app.login_operator("mallory").await;
    let theirs: Value = mallory.get(TOKENS).await.json().await.expect("json");
    assert_eq!(theirs["total"], 0);
    assert_eq!(
        mallory.delete(&format!("{TOKENS}/{id}")).await.status(),
        404
    );

    assert_eq!(op.delete(&format!("{TOKENS}/{id}")).await.status(), 204);
    assert_eq!(
        op.delete(&format!("{TOKENS}/{id}")).await.status(),
        204,
        "idempotent"
    );
    let res = bare()
        .get(app.url(ME))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_problem(&res, 401);
    assert_eq!(audit_count(&app, "auth.token.created").await, 1);
    assert_eq!(audit_count(&app, "auth.token.revoked").await, 1);
}

async fn token_requests_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[Capability::RunsView]).await;
    let op = app.login_operator("alice").await;
    for (body, field) in [
        (
            json!({"name": "x", "expires_in_days": 91, "capabilities": []}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "expires_in_days": 0, "capabilities": []}),
            "expires_in_days",
        ),
        (
            json!({"name": "", "expires_in_days": 1, "capabilities": []}),
            "name",
        ),
        (
            json!({"name": "x", "expires_in_days": 1, "capabilities": ["ops.runbooks.run"]}),
            "capabilities",
        ),
        (
            json!({"name": "x", "expires_in_days": 1, "capabilities": ["root"]}),
            "capabilities",
        ),
        (
            json!({"name": "x", "expires_in_days": 1, "capabilities": [], "admin": true}),
            "body",
        ),
        (
            json!({"name": "x", "expires_in_days": "soon", "capabilities": []}),
            "body",
        ),
    ] {
        let res = op.post_json(TOKENS, &body).await;
        assert_problem(&res, 422);
        let problem: Value = res.json().await.expect("json");
        assert!(problem["errors"][field].is_array(), "{body} → {problem}");
    }
}

async fn tokens_expire(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.operator_token("alice", &[Capability::RunsView]).await;
    let me = |token: String| {
        let url = app.url(ME);
        async move {
            bare()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("me")
                .status()
        }
    };
    assert_eq!(me(token.clone()).await, 200);
    app.clock.advance(Duration::days(29));
    assert_eq!(me(token.clone()).await, 200);
    app.clock.advance(Duration::days(2));
    assert_eq!(me(token).await, 401);
}

async fn token_create_cli_prints_only_the_jwt(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[Capability::RunsView]).await;
    let output = assert_cmd::Command::new(atlas_ops_tests::atlas_ops_bin!())
        .args([
            "token",
            "create",
            "--operator",
            "alice",
            "--name",
            "deploy",
            "--expires-in-days",
            "7",
        ])
        .env("DATABASE_URL", &app.database.url)
        .env(
            "JWT_SECRET",
            "test-jwt-secret-0123456789abcdef0123456789abcdef",
        )
        .env(
            "SESSION_SECRET",
            "test-session-secret-0123456789abcdef0123456789",
        )
        .env("LOG_LEVEL", "warn")
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf8");
    let jwt = stdout.trim();
    assert_eq!(stdout.lines().count(), 1);
    assert_eq!(jwt.split('.').count(), 3);
    let res = bare()
        .get(app.url(ME))
        .bearer_auth(jwt)
        .send()
        .await
        .expect("me");
    assert_eq!(res.status(), 200);
}

async fn the_api_rate_limiter_answers_429_problems(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.api_rate_per_second = 1;
        s.api_rate_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let res = bare().get(app.url(ME)).send().await.expect("get");
        if res.status() == 429 {
            assert_problem(&res, 429);
            assert!(res.headers().contains_key("retry-after"));
        }
        statuses.push(res.status().as_u16());
    }
    assert_eq!(&statuses[..3], [401, 401, 401]);
    assert!(statuses.contains(&429), "{statuses:?}");
    // The customer plane is not behind this limiter.
    assert_eq!(app.get("/admin/api/auth/me").await.status(), 401);
}

async fn login_csrf_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("alice", &[]).await;
    let body = json!({"username": "alice", "password": TEST_PASSWORD});
    let res = bare()
        .post(app.url(LOGIN))
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .expect("login");
    assert_problem(&res, 403);
    let res = bare()
        .post(app.url(LOGIN))
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .expect("login");
    assert_problem(&res, 403);
    let res = bare()
        .post(app.url(LOGIN))
        .header("origin", app.address.as_str())
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
}

db_tests!(
    login_sets_hardened_cookies_and_returns_the_operator,
    me_returns_the_operator_and_the_csrf_token,
    the_session_id_changes_at_login,
    wrong_password_and_unknown_user_get_the_same_401,
    sessions_expire_when_idle,
    sessions_expire_after_the_absolute_lifetime,
    expired_sessions_are_purged,
    logout_ends_the_session,
    logout_replayed_cookie_is_dead,
    disabling_an_operator_ends_their_sessions_and_tokens,
    a_password_change_ends_sessions,
    a_session_older_than_the_password_is_refused,
    no_credentials_is_401,
    cookie_requests_need_the_csrf_token_bearer_requests_do_not,
    missing_capability_is_403,
    the_eleventh_attempt_in_a_minute_is_429,
    one_username_is_capped_across_addresses,
    throttling_holds_across_two_instances,
    tokens_are_created_listed_and_revoked,
    token_requests_are_validated,
    tokens_expire,
    token_create_cli_prints_only_the_jwt,
    the_api_rate_limiter_answers_429_problems,
    login_csrf_is_refused,
);
