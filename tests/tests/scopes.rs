//! Scopes an operator chooses (docs/spec.md §21) over HTTP, on SQLite and PostgreSQL: a list of
//! tenants (by id or external id) and a workspace — bad ids listed in the 422, the platform
//! tenant refused, the all-tenants capability above 100, the typed phrase, overlap and dedupe
//! with other active runs, a run over exactly those tenants; the preflight's full per-tenant
//! report and its CSV; the tenant lookup and the workspace list.

use atlas_ops::demo::SeedShape;
use atlas_ops::domain::capability::Capability;
use atlas_ops_tests::runs::{SMALL, count, drain, snapshot};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const RB: &str = "/system/api/ops/runbooks/findings.lifecycle.rebuild";

struct Api {
    app: TestApp,
    token: String,
}

impl Api {
    async fn new(backend: Backend, shape: SeedShape) -> Self {
        let app = spawn_app(backend).await;
        atlas_ops::demo::seed(&app.db, shape, Some("seed-password-0451".into()))
            .await
            .expect("seed");
        let token = app.operator_token("chooser", &Capability::ALL).await;
        Self { app, token }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(&self.token, method, path, body).await
    }

    async fn call_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .app
            .client()
            .request(method, self.app.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn preflight_as(&self, token: &str, scope: Value) -> (u16, Value) {
        self.call_as(
            token,
            reqwest::Method::POST,
            &format!("{RB}/preflight"),
            Some(json!({"scope": scope})),
        )
        .await
    }

    async fn preflight(&self, scope: Value) -> Value {
        let (status, body) = self.preflight_as(&self.token, scope).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn start_as(&self, token: &str, scope: Value, pf: &Value, phrase: Value) -> (u16, Value) {
        self.call_as(
            token,
            reqwest::Method::POST,
            &format!("{RB}/runs"),
            Some(json!({
                "scope": scope,
                "reason": {"code": "data_repair", "text": "repair the listed tenants"},
                "preflight_id": pf["preflight_id"],
                "confirmation": phrase,
                "allow_no_changes": true,
            })),
        )
        .await
    }

    /// Preflights and starts `scope` with the preflight's own phrase.
    async fn start(&self, scope: Value) -> (u16, Value) {
        let pf = self.preflight(scope.clone()).await;
        self.start_as(
            &self.token,
            scope,
            &pf,
            pf["confirmation"]["phrase"].clone(),
        )
        .await
    }

    async fn ids(&self) -> Vec<(i64, String, i64)> {
        use sea_orm::{EntityTrait, QueryOrder};
        atlas_ops::entities::tenants::Entity::find()
            .order_by_asc(atlas_ops::entities::tenants::Column::Id)
            .all(&self.app.db)
            .await
            .expect("tenants")
            .into_iter()
            .filter(|t| t.external_id != "platform")
            .map(|t| (t.id, t.external_id, t.workspace_id))
            .collect()
    }

    async fn runs(&self) -> i64 {
        count(&self.app.db, "SELECT COUNT(*) FROM operation_runs").await
    }
}

async fn a_list_runs_over_exactly_its_tenants_with_the_phrase_of_their_number(backend: Backend) {
    let api = Api::new(backend, SMALL).await;
    let tenants = api.ids().await;
    let (a, b) = (&tenants[1], &tenants[4]);
    let before = snapshot(&api.app.db).await;
    // Duplicates and surrounding blanks collapse; the order does not matter.
    let scope = json!({"kind": "tenants", "external_ids": [b.1, format!(" {} ", a.1), b.1]});
    let pf = api.preflight(scope.clone()).await;
    assert_eq!(pf["tenants_in_scope"], 2, "{pf}");
    assert_eq!(pf["scope"]["kind"], "tenants");
    assert_eq!(pf["scope"]["count"], 2);
    assert_eq!(pf["scope"]["tenant_ids"], json!([a.0, b.0]));
    assert_eq!(pf["scope"]["retry_of"], Value::Null);
    assert_eq!(pf["confirmation"]["required"], true);
    assert_eq!(pf["confirmation"]["phrase"], "REBUILD 2 TENANTS");

    // Without the phrase, or with another, nothing starts.
    for phrase in [Value::Null, json!("REBUILD 6 TENANTS")] {
        let (status, body) = api.start_as(&api.token, scope.clone(), &pf, phrase).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["errors"]["confirmation"][0],
            "type the phrase exactly: REBUILD 2 TENANTS"
        );
    }
    // The same list by id cites the same preflight.
    let by_id = json!({"kind": "tenants", "tenant_ids": [b.0, a.0]});
    let (status, run) = api
        .start_as(&api.token, by_id, &pf, json!("REBUILD 2 TENANTS"))
        .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["scope"]["kind"], "tenants");
    assert_eq!(run["scope"]["count"], 2);
    assert_eq!(
        run["last_progress_at"],
        Value::Null,
        "no tenant has finished yet"
    );
    let run_id = run["id"].as_i64().expect("id");
    let done = drain(&api.app, run_id).await;
    assert!(done.last_progress_at.is_some());
    assert_eq!(done.counts.total, 2);
    assert_eq!(done.counts.succeeded, 2);
    let items: Vec<i64> = {
        let (_, page) = api
            .get(&format!("/system/api/ops/runs/{run_id}/items"))
            .await;
        let mut ids: Vec<i64> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["tenant_id"].as_i64().expect("tenant"))
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(items, vec![a.0, b.0]);
    // Only the listed tenants' findings changed.
    let after = snapshot(&api.app.db).await;
    for (old, new) in before.iter().zip(&after) {
        if old != new {
            assert!(
                [a.0, b.0].contains(&new.tenant_id),
                "finding {} of tenant {} changed",
                new.id,
                new.tenant_id
            );
        }
    }
    let expected = atlas_ops_tests::runs::expected_after(&before);
    for (want, got) in expected.iter().zip(&after) {
        if [a.0, b.0].contains(&got.tenant_id) {
            assert_eq!(want, got, "a listed tenant is rebuilt");
        }
    }
}

async fn bad_lists_are_refused_naming_each_bad_tenant_and_change_nothing(backend: Backend) {
    let api = Api::new(backend, SMALL).await;
    let tenants = api.ids().await;
    let preflights = count(&api.app.db, "SELECT COUNT(*) FROM preflights").await;
    let (status, body) = api
        .preflight_as(
            &api.token,
            json!({"kind": "tenants", "external_ids": ["ghost-1", tenants[0].1, "platform", "ghost-2"]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "validation");
    let messages = body["errors"]["scope.external_ids"].to_string();
    for bad in ["ghost-1", "ghost-2", "platform"] {
        assert!(messages.contains(bad), "{bad} is named: {messages}");
    }
    assert!(
        !messages.contains(&format!("tenant {} ", tenants[0].1)),
        "{messages}"
    );
    let (status, body) = api
        .preflight_as(
            &api.token,
            json!({"kind": "tenants", "tenant_ids": [tenants[0].0, 987_654]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"]["scope.tenant_ids"],
        json!(["tenant 987654 does not exist"])
    );
    for scope in [
        json!({"kind": "tenants", "tenant_ids": []}),
        json!({"kind": "tenants"}),
        json!({"kind": "tenants", "tenant_ids": [1], "external_ids": ["a"]}),
        json!({"kind": "tenants", "tenant_ids": (1..=10_001).collect::<Vec<i64>>()}),
        json!({"kind": "workspace"}),
        json!({"kind": "workspace", "workspace_id": 987_654}),
    ] {
        let (status, body) = api.preflight_as(&api.token, scope.clone()).await;
        assert_eq!(status, 422, "{scope} → {body}");
    }
    assert_eq!(
        count(&api.app.db, "SELECT COUNT(*) FROM preflights").await,
        preflights,
        "nothing stored"
    );
}

async fn above_100_tenants_a_list_needs_the_all_tenants_capability(backend: Backend) {
    let shape = SeedShape {
        workspaces: 1,
        tenants: 101,
        findings_per_tenant: 1,
    };
    let api = Api::new(backend, shape).await;
    let tenants = api.ids().await;
    let ids: Vec<i64> = tenants.iter().map(|t| t.0).collect();
    let limited = api
        .app
        .operator_token(
            "limited",
            &[
                Capability::RunbooksView,
                Capability::RunbooksRun,
                Capability::RunsView,
            ],
        )
        .await;
    let scope = json!({"kind": "tenants", "tenant_ids": ids});
    let (status, pf) = api.preflight_as(&limited, scope.clone()).await;
    assert_eq!(status, 200, "a preflight only reads: {pf}");
    let (status, body) = api
        .start_as(&limited, scope, &pf, pf["confirmation"]["phrase"].clone())
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(api.runs().await, 0);
    // 100 is allowed.
    let scope = json!({"kind": "tenants", "tenant_ids": ids[..100]});
    let (status, pf) = api.preflight_as(&limited, scope.clone()).await;
    assert_eq!(status, 200, "{pf}");
    assert_eq!(pf["confirmation"]["phrase"], "REBUILD 100 TENANTS");
    let (status, body) = api
        .start_as(&limited, scope, &pf, pf["confirmation"]["phrase"].clone())
        .await;
    assert_eq!(status, 201, "{body}");
    let done = drain(&api.app, body["id"].as_i64().expect("id")).await;
    assert_eq!(done.counts.succeeded, 100);
}

async fn lists_and_workspaces_dedupe_and_overlap_like_other_runs(backend: Backend) {
    let api = Api::new(backend, SMALL).await;
    let t: Vec<i64> = api.ids().await.iter().map(|t| t.0).collect();
    let list = |ids: &[i64]| json!({"kind": "tenants", "tenant_ids": ids});

    let (status, first) = api.start(list(&[t[0], t[1]])).await;
    assert_eq!(status, 201, "{first}");
    // The same list again (in another order) is the same run.
    let (status, again) = api.start(list(&[t[1], t[0]])).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["deduplicated"], true);
    assert_eq!(again["id"], first["id"]);
    // A list sharing a tenant, that tenant alone, all tenants: 409 naming the active run.
    for scope in [
        list(&[t[1], t[2]]),
        json!({"kind": "tenant", "tenant_id": t[0]}),
        json!({"kind": "all_tenants"}),
    ] {
        let (status, body) = api.start(scope.clone()).await;
        assert_eq!(status, 409, "{scope} → {body}");
        assert_eq!(body["active_run_id"], first["id"]);
    }
    // A workspace holding one of them overlaps too; a disjoint list does not.
    let ws = count(
        &api.app.db,
        &format!("SELECT workspace_id FROM tenants WHERE id = {}", t[0]),
    )
    .await;
    let (status, body) = api
        .start(json!({"kind": "workspace", "workspace_id": ws}))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, other) = api.start(list(&[t[2], t[3]])).await;
    assert_eq!(status, 201, "{other}");
    let (status, single) = api
        .start(json!({"kind": "tenant", "tenant_id": t[4]}))
        .await;
    assert_eq!(status, 201, "{single}");
    assert_eq!(api.runs().await, 3);
    for run in [first, other, single] {
        let done = drain(&api.app, run["id"].as_i64().expect("id")).await;
        assert_eq!(done.counts.succeeded, done.counts.total);
    }
}

async fn a_workspace_covers_its_tenants_at_the_preflight(backend: Backend) {
    let api = Api::new(backend, SMALL).await;
    let tenants = api.ids().await;
    let ws = tenants[0].2;
    let members: Vec<i64> = tenants.iter().filter(|t| t.2 == ws).map(|t| t.0).collect();
    assert!(
        members.len() >= 2 && members.len() < tenants.len(),
        "{members:?}"
    );
    let scope = json!({"kind": "workspace", "workspace_id": ws});
    let pf = api.preflight(scope.clone()).await;
    assert_eq!(pf["tenants_in_scope"], members.len());
    assert_eq!(pf["scope"]["kind"], "workspace");
    assert_eq!(pf["scope"]["workspace"]["id"], ws);
    assert_eq!(
        pf["confirmation"]["phrase"],
        format!("REBUILD {} TENANTS", members.len())
    );

    // A tenant joining the workspace after the preflight makes it stale.
    api.app
        .db
        .execute_unprepared(&format!(
            "INSERT INTO tenants (workspace_id, external_id, name) \
             VALUES ({ws}, 'late-joiner', 'Late Joiner')"
        ))
        .await
        .expect("insert tenant");
    let (status, body) = api
        .start_as(
            &api.token,
            scope.clone(),
            &pf,
            pf["confirmation"]["phrase"].clone(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "preflight_stale");
    assert_eq!(api.runs().await, 0);

    let (status, run) = api.start(scope).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["scope"]["kind"], "workspace");
    assert_eq!(run["scope"]["count"], members.len() + 1);
    let done = drain(&api.app, run["id"].as_i64().expect("id")).await;
    assert_eq!(done.counts.total as usize, members.len() + 1);
    assert_eq!(done.counts.succeeded as usize, members.len() + 1);

    let (status, page) = api.get("/system/api/ops/workspaces?search=").await;
    assert_eq!(status, 200, "{page}");
    let listed = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|w| w["id"] == ws)
        .cloned()
        .expect("the workspace is listed");
    assert_eq!(listed["tenants"], members.len() + 1);
    let (status, _) = api.get("/system/api/ops/workspaces?bogus=1").await;
    assert_eq!(status, 422);
}

async fn the_preflight_report_lists_every_tenant_and_exports_csv(backend: Backend) {
    let api = Api::new(backend, SMALL).await;
    let pf = api.preflight(json!({"kind": "all_tenants"})).await;
    let id = pf["preflight_id"].as_str().expect("id");
    let path = format!("/system/api/ops/preflights/{id}/tenants");
    let (status, page) = api.get(&format!("{path}?per_page=100")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 6);
    let items = page["items"].as_array().expect("items");
    let sum = |field: &str| {
        items
            .iter()
            .map(|i| i[field].as_u64().expect("n"))
            .sum::<u64>()
    };
    assert_eq!(
        sum("findings_to_change"),
        pf["findings_to_change"].as_u64().expect("n")
    );
    assert_eq!(
        sum("findings_examined"),
        pf["findings_examined"].as_u64().expect("n")
    );
    assert!(items.iter().all(|i| i["tenant_name"].is_string()));
    for (rule, n) in pf["changes_by_rule"].as_object().expect("rules") {
        let per_tenant: u64 = items
            .iter()
            .map(|i| i["changes_by_rule"][rule].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(per_tenant, n.as_u64().expect("n"), "rule {rule}");
    }
    let changed = items
        .iter()
        .filter(|i| i["findings_to_change"] != 0)
        .count();
    let (_, only) = api.get(&format!("{path}?changes_only=true")).await;
    assert_eq!(only["total"], changed);
    let (status, page2) = api.get(&format!("{path}?per_page=4&page=2")).await;
    assert_eq!(status, 200);
    assert_eq!(page2["items"].as_array().expect("items").len(), 2);

    let res = api
        .app
        .client()
        .get(api.app.url(&format!("{path}.csv")))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "a header and 6 tenants: {text}");
    assert!(lines[0].starts_with("tenant_id,tenant_external_id,tenant_name,findings_examined"));

    for (query, want) in [("?bogus=1", 422), ("?changes_only=maybe", 422)] {
        let (status, _) = api.get(&format!("{path}{query}")).await;
        assert_eq!(status, want, "{query}");
    }
    let (status, _) = api
        .get("/system/api/ops/preflights/no-such-id/tenants")
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .get("/system/api/ops/preflights/no-such-id/tenants.csv")
        .await;
    assert_eq!(status, 404);
    let viewer = api
        .app
        .operator_token("viewer", &[Capability::RunsView])
        .await;
    let (status, _) = api
        .call_as(&viewer, reqwest::Method::GET, &path, None)
        .await;
    assert_eq!(status, 403, "needs ops.runbooks.view");
}

async fn a_pasted_list_is_looked_up_before_the_preflight(backend: Backend) {
    let api = Api::new(backend, SMALL).await;
    let tenants = api.ids().await;
    let (status, body) = api
        .call(
            reqwest::Method::POST,
            "/system/api/ops/tenants/lookup",
            Some(json!({"external_ids": [tenants[2].1, "nobody", "platform", tenants[0].1]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let found: Vec<i64> = body["found"]
        .as_array()
        .expect("found")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(found, vec![tenants[0].0, tenants[2].0]);
    assert_eq!(body["missing"], json!(["nobody"]));
    assert_eq!(body["platform"], "platform");
    for bad in [
        json!({}),
        json!({"external_ids": []}),
        json!({"names": ["a"]}),
    ] {
        let (status, body) = api
            .call(
                reqwest::Method::POST,
                "/system/api/ops/tenants/lookup",
                Some(bad.clone()),
            )
            .await;
        assert!(status == 422 || status == 400, "{bad} → {status} {body}");
    }
}

/// A preflight no run cites is purged a week after it expires, with its per-tenant plan; one a
/// run cites is kept.
async fn old_uncited_preflights_are_purged(backend: Backend) {
    let api = Api::new(backend, SMALL).await;
    let uncited = api.preflight(json!({"kind": "all_tenants"})).await;
    let (status, run) = api.start(json!({"kind": "all_tenants"})).await;
    assert_eq!(status, 201, "{run}");
    drain(&api.app, run["id"].as_i64().expect("id")).await;
    let report = |pf: &str| format!("/system/api/ops/preflights/{pf}/tenants");
    let uncited_id = uncited["preflight_id"].as_str().expect("id").to_owned();
    let cited_id = run["preflight_id"].as_str().expect("id").to_owned();

    api.app.clock.advance(chrono::Duration::days(6));
    atlas_ops::runs::preflight::purge_uncited(&api.app.db, api.app.ctx.now())
        .await
        .expect("purge");
    assert_eq!(
        api.get(&report(&uncited_id)).await.0,
        200,
        "kept for a week"
    );

    api.app.clock.advance(chrono::Duration::days(2));
    let ran = atlas_ops::jobs::chores::run_due(&api.app.ctx)
        .await
        .expect("chores");
    assert!(ran.contains(&"preflights.purge"), "{ran:?}");
    assert_eq!(api.get(&report(&uncited_id)).await.0, 404);
    let (status, page) = api.get(&report(&cited_id)).await;
    assert_eq!(status, 200, "a run cites it");
    assert_eq!(page["total"], 6);
    assert_eq!(
        count(&api.app.db, "SELECT COUNT(*) FROM preflight_tenants").await,
        6,
        "the uncited plan went with its preflight"
    );
}

/// A list of 10,000 tenants fits a request that presents credentials (MAX_SCOPE_BODY_BYTES);
/// an anonymous body that size is refused unread (MAX_BODY_BYTES).
async fn a_list_of_10000_tenants_fits_the_request(backend: Backend) {
    let api = Api::new(backend, SMALL).await;
    let ids: Vec<String> = (0..10_000)
        .map(|i| format!("ghost-tenant-{i:06}"))
        .collect();
    let body = json!({"scope": {"kind": "tenants", "external_ids": ids}});
    assert!(body.to_string().len() > 200_000);
    let (status, problem) = api
        .call(
            reqwest::Method::POST,
            &format!("{RB}/preflight"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 422, "read and refused by name, not 413");
    assert_eq!(
        problem["errors"]["scope.external_ids"]
            .as_array()
            .expect("messages")
            .len(),
        10_000
    );
    let res = api
        .app
        .client()
        .post(api.app.url(&format!("{RB}/preflight")))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.status().as_u16(),
        413,
        "no credentials, no larger allowance"
    );
    // Other routes keep MAX_BODY_BYTES, credentials or not.
    let (status, _) = api
        .call(
            reqwest::Method::POST,
            "/system/api/auth/tokens",
            Some(json!({"name": "x".repeat(100_000)})),
        )
        .await;
    assert_eq!(status, 413);
}

db_tests!(
    a_list_of_10000_tenants_fits_the_request,
    old_uncited_preflights_are_purged,
    a_list_runs_over_exactly_its_tenants_with_the_phrase_of_their_number,
    bad_lists_are_refused_naming_each_bad_tenant_and_change_nothing,
    above_100_tenants_a_list_needs_the_all_tenants_capability,
    lists_and_workspaces_dedupe_and_overlap_like_other_runs,
    a_workspace_covers_its_tenants_at_the_preflight,
    the_preflight_report_lists_every_tenant_and_exports_csv,
    a_pasted_list_is_looked_up_before_the_preflight,
);
