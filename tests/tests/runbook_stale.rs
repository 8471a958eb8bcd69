//! Runbook 2, Close Stale Findings (docs/spec.md §12), and runbook parameters end to end over HTTP:
//! the catalogue serves rules and the parameter schema; preflight and start take parameters;
//! the result equals an independent SQL statement; a second run changes nothing; bad
//! parameters are 422 naming the field; parameters bind the preflight and are part of a run's
//! identity.

use atlas_ops::domain::capability::Capability;
use atlas_ops_tests::runs::{SMALL, count, drain, snapshot};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

const RB: &str = "/system/api/ops/runbooks/findings.stale.close";

struct Api {
    app: TestApp,
    token: String,
}

impl Api {
    async fn new(backend: Backend) -> Self {
        let app = spawn_app(backend).await;
        atlas_ops::demo::seed(&app.db, SMALL, Some("seed-password-0451".into()))
            .await
            .expect("seed");
        let token = app.operator_token("closer", &Capability::ALL).await;
        Self { app, token }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .app
            .client()
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn preflight(&self, parameters: Value) -> Value {
        let (status, body) = self
            .post(
                &format!("{RB}/preflight"),
                json!({"scope": {"kind": "all_tenants"}, "parameters": parameters}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn start(&self, pf: &Value, parameters: Value) -> (u16, Value) {
        self.post(
            &format!("{RB}/runs"),
            json!({
                "scope": {"kind": "all_tenants"},
                "parameters": parameters,
                "reason": {"code": "data_repair", "text": "close findings nobody sees any more"},
                "preflight_id": pf["preflight_id"],
                "confirmation": pf["confirmation"]["phrase"],
                // Consent to a start that changes nothing (docs/spec.md §18); refused without it.
                "allow_no_changes": pf["findings_to_change"] == 0,
            }),
        )
        .await
    }
}

/// The instant half of the seeded findings were last seen before.
async fn median_last_seen(app: &TestApp) -> DateTime<Utc> {
    let mut seen: Vec<DateTime<Utc>> = snapshot(&app.db)
        .await
        .iter()
        .map(|f| f.last_seen_at.or(f.first_seen_at).unwrap_or(f.created_at))
        .collect();
    seen.sort();
    seen[seen.len() / 2]
}

/// The ids an independent SQL statement says S1 closes.
async fn expected_ids(app: &TestApp, before: DateTime<Utc>, severities: &[&str]) -> Vec<i64> {
    let list = severities
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(",");
    let seen = "COALESCE(f.last_seen_at, f.first_seen_at, f.created_at)";
    let cutoff = before.format("%Y-%m-%d %H:%M:%S%.6f+00:00");
    let compare = match app.db.get_database_backend() {
        DbBackend::Postgres => format!("{seen} < '{cutoff}'::timestamptz"),
        _ => format!("julianday({seen}) < julianday('{cutoff}')"),
    };
    let sql = format!(
        "SELECT f.id FROM findings f JOIN tenants t ON t.id = f.tenant_id \
         WHERE t.external_id <> 'platform' \
         AND f.status IN ('new', 'triaged', 'in_progress', 'reopened', 'acknowledged') \
         AND f.severity IN ({list}) AND {compare} ORDER BY f.id"
    );
    app.db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("expected ids")
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0).expect("id"))
        .collect()
}

async fn close_stale_leaves_exactly_what_an_independent_sql_statement_computes(backend: Backend) {
    let api = Api::new(backend).await;
    let app = &api.app;
    let cutoff = median_last_seen(app).await;
    let severities = ["medium", "critical"];
    let expected = expected_ids(app, cutoff, &severities).await;
    assert!(
        expected.len() > 10,
        "the seed gives S1 work: {}",
        expected.len()
    );
    let before = snapshot(&app.db).await;

    let parameters =
        json!({"last_seen_before": cutoff.to_rfc3339(), "severities": ["critical", "medium"]});
    let pf = api.preflight(parameters.clone()).await;
    assert_eq!(pf["runbook"], "findings.stale.close");
    assert_eq!(
        pf["parameters"]["severities"],
        json!(["medium", "critical"]),
        "canonical order"
    );
    assert_eq!(pf["changes_by_rule"], json!({"S1": expected.len()}));
    assert_eq!(pf["findings_to_change"], expected.len());
    let phrase = pf["confirmation"]["phrase"].as_str().expect("phrase");
    assert_eq!(
        phrase,
        format!("CLOSE STALE IN {} TENANTS", pf["tenants_in_scope"])
    );
    let sample = pf["sample"].as_array().expect("sample");
    assert!(!sample.is_empty());
    assert_eq!(sample[0]["after"]["status"], "closed");
    assert_eq!(sample[0]["rules"], json!(["S1"]));
    // Each sample names its tenant, and the unchanged fields that made S1 apply.
    assert!(sample[0]["tenant_name"].is_string() && sample[0]["tenant_external_id"].is_string());
    assert_eq!(
        sample[0]["context"],
        json!(["severity", "last_seen_at", "first_seen_at", "created_at"])
    );
    assert!(severities.contains(&sample[0]["before"]["severity"].as_str().expect("severity")));

    let (status, run) = api.start(&pf, parameters.clone()).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["parameters"], pf["parameters"]);
    assert_eq!(run["planned_at"], pf["planned_at"]);
    let done = drain(app, run["id"].as_i64().expect("id")).await;
    assert_eq!(done.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!(done.counts.findings_changed, expected.len() as i64);

    let planned_at: DateTime<Utc> = pf["planned_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("planned_at");
    let after = snapshot(&app.db).await;
    assert_eq!(before.len(), after.len());
    let mut changed = 0;
    for (old, new) in before.iter().zip(&after) {
        if expected.contains(&old.id) {
            changed += 1;
            assert_eq!(new.status, "closed");
            assert_eq!(new.closed_reason.as_deref(), Some("stale"));
            // Stored instants keep microseconds.
            assert_eq!(
                new.closed_at.map(|t| t.timestamp_micros()),
                Some(planned_at.timestamp_micros())
            );
            let untouched = atlas_ops::runbooks::findings_lifecycle::rules::Finding {
                status: old.status.clone(),
                closed_reason: old.closed_reason.clone(),
                closed_at: old.closed_at,
                ..new.clone()
            };
            assert_eq!(&untouched, old, "no other column is written");
        } else {
            assert_eq!(new, old, "finding {} must be untouched", old.id);
        }
    }
    assert_eq!(changed, expected.len());

    // A second run over the same data changes nothing.
    let again = api.preflight(parameters.clone()).await;
    assert_eq!(again["findings_to_change"], 0);
    let (status, run) = api.start(&again, parameters).await;
    assert_eq!(status, 201, "{run}");
    let done = drain(app, run["id"].as_i64().expect("id")).await;
    assert_eq!(done.counts.findings_changed, 0);
    assert_eq!(snapshot(&app.db).await, after);
}

async fn bad_parameters_are_422_naming_the_field_and_change_nothing(backend: Backend) {
    let api = Api::new(backend).await;
    let cases = [
        (
            json!({"last_seen_before": "2025-01-02T00:00:00Z", "colour": 1}),
            "parameters.colour",
        ),
        (
            json!({"last_seen_before": 20250102}),
            "parameters.last_seen_before",
        ),
        (
            json!({"last_seen_before": "yesterday"}),
            "parameters.last_seen_before",
        ),
        (
            json!({"last_seen_before": "2999-01-01T00:00:00Z"}),
            "parameters.last_seen_before",
        ),
        (json!({}), "parameters.last_seen_before"),
        (
            json!({"last_seen_before": "2025-01-02T00:00:00Z", "severities": []}),
            "parameters.severities",
        ),
        (
            json!({"last_seen_before": "2025-01-02T00:00:00Z", "severities": ["urgent"]}),
            "parameters.severities",
        ),
        (
            json!({"last_seen_before": "2025-01-02T00:00:00Z", "severities": "high"}),
            "parameters.severities",
        ),
        (json!("all of them"), "parameters"),
    ];
    let before = snapshot(&api.app.db).await;
    for (parameters, field) in cases {
        let (status, body) = api
            .post(
                &format!("{RB}/preflight"),
                json!({"scope": {"kind": "all_tenants"}, "parameters": parameters}),
            )
            .await;
        assert_eq!(status, 422, "{parameters}: {body}");
        assert!(body["errors"][field].is_array(), "{parameters}: {body}");
    }
    // Runbook 1 takes no parameters.
    let (status, body) = api
        .post(
            "/system/api/ops/runbooks/findings.lifecycle.rebuild/preflight",
            json!({"scope": {"kind": "all_tenants"}, "parameters": {"last_seen_before": "2025-01-02T00:00:00Z"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["errors"]["parameters.last_seen_before"].is_array(),
        "{body}"
    );

    // A start whose parameters differ from its preflight's is stale.
    let pf = api
        .preflight(json!({"last_seen_before": "2025-01-02T00:00:00Z"}))
        .await;
    let (status, body) = api
        .start(&pf, json!({"last_seen_before": "2025-01-03T00:00:00Z"}))
        .await;
    assert_eq!(status, 422);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("other parameters")),
        "{body}"
    );
    // Bad parameters at start are named too.
    let (status, body) = api.start(&pf, json!({"severities": ["urgent"]})).await;
    assert_eq!(status, 422);
    assert!(body["errors"]["parameters.severities"].is_array(), "{body}");

    assert_eq!(
        count(&api.app.db, "SELECT COUNT(*) FROM operation_runs").await,
        0
    );
    assert_eq!(snapshot(&api.app.db).await, before);
}

async fn parameters_are_part_of_a_runs_identity_and_shown_everywhere(backend: Backend) {
    let api = Api::new(backend).await;
    api.app.allow_unfinished_jobs();
    let first = json!({"last_seen_before": "2025-01-02T00:00:00Z", "severities": ["high"]});
    let pf = api.preflight(first.clone()).await;
    let (status, run) = api.start(&pf, first.clone()).await;
    assert_eq!(status, 201);
    // The same parameters, written differently (another offset, a repeated severity): the same
    // run, deduplicated.
    let same =
        json!({"last_seen_before": "2025-01-02T01:00:00+01:00", "severities": ["high", "high"]});
    let pf2 = api.preflight(same.clone()).await;
    let (status, dup) = api.start(&pf2, same).await;
    assert_eq!(status, 200, "{dup}");
    assert_eq!(dup["deduplicated"], true);
    assert_eq!(dup["id"], run["id"]);
    // Other parameters over the same scope: an overlapping, different run.
    let other = json!({"last_seen_before": "2025-01-02T00:00:00Z", "severities": ["low"]});
    let pf3 = api.preflight(other.clone()).await;
    let (status, conflict) = api.start(&pf3, other).await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["active_run_id"], run["id"]);

    let (_, detail) = api
        .get(&format!("/system/api/ops/runs/{}", run["id"]))
        .await;
    assert_eq!(
        detail["parameters"],
        json!({"last_seen_before": "2025-01-02T00:00:00Z", "severities": ["high"]})
    );
    assert_eq!(detail["planned_at"], pf["planned_at"]);
    let (_, audit) = api
        .get("/system/api/audit-events?action=runbook.run.started")
        .await;
    assert_eq!(
        audit["items"][0]["metadata"]["parameters"],
        detail["parameters"]
    );
    let (_, audit) = api
        .get("/system/api/audit-events?action=runbook.preflighted")
        .await;
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["metadata"]["parameters"].is_object())
    );
}

async fn the_catalogue_serves_both_runbooks_with_rules_and_parameter_schemas(backend: Backend) {
    let api = Api::new(backend).await;
    let (status, catalogue) = api.get("/system/api/ops/runbooks").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = catalogue["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert_eq!(keys, ["findings.lifecycle.rebuild", "findings.stale.close"]);

    let (_, v1) = api
        .get("/system/api/ops/runbooks/findings.lifecycle.rebuild")
        .await;
    assert_eq!(
        v1["rules"],
        json!(["R1", "R2", "R3", "R4", "R5", "R6", "R7"])
    );
    assert_eq!(v1["rule_details"][4]["name"], "duplicates");
    assert_eq!(v1["confirmation_verb"], "REBUILD");
    assert_eq!(v1["parameters"]["properties"], json!({}));

    let (_, v2) = api.get(RB).await;
    assert_eq!(v2["title"], "Close Stale Findings");
    assert_eq!(v2["run_on_deploy"], false);
    assert_eq!(v2["rules"], json!(["S1"]));
    assert_eq!(v2["rule_details"][0]["name"], "close_stale");
    assert!(
        v2["rule_details"][0]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(v2["confirmation_verb"], "CLOSE STALE IN");
    assert_eq!(v2["parameters"]["required"], json!(["last_seen_before"]));
    assert_eq!(
        v2["parameters"]["properties"]["last_seen_before"]["format"],
        "date-time"
    );
}

db_tests!(
    close_stale_leaves_exactly_what_an_independent_sql_statement_computes,
    bad_parameters_are_422_naming_the_field_and_change_nothing,
    parameters_are_part_of_a_runs_identity_and_shown_everywhere,
    the_catalogue_serves_both_runbooks_with_rules_and_parameter_schemas,
);
