//! A runbook is a module plus one registration (docs/spec.md §12): a third runbook, defined here and
//! nowhere else, is registered in the test's context and goes through the whole platform —
//! catalogue, parameters, preflight with its own phrase, start, the job pipeline, counts — with
//! no change to the run machinery, the API or the workers.

use std::collections::BTreeMap;

use atlas_ops::domain::capability::Capability;
use atlas_ops::domain::run::ScopeKind;
use atlas_ops::runbooks::{
    ChangeLog, ParameterErrors, Plan, RuleInfo, Runbook, TenantReport, parameters_object,
};
use atlas_ops_tests::runs::{SMALL, count, drain};
use atlas_ops_tests::{Backend, db_tests, spawn_app_with_context};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement};
use serde_json::{Value, json};

/// Bumps `times_seen` of a tenant's findings of one severity by `by` — a toy repair, with a
/// parameter, that writes data.
struct BumpTimesSeen;

const KEY: &str = "test.times_seen.bump";

async fn matching(db: &impl ConnectionTrait, tenant_id: i64, severity: &str) -> Result<u64, DbErr> {
    let sql = format!(
        "SELECT COUNT(*) FROM findings WHERE tenant_id = {tenant_id} AND severity = '{severity}'"
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::Custom("no count".into()))?;
    Ok(row.try_get_by_index::<i64>(0)? as u64)
}

fn severity(plan: &Plan<'_>) -> String {
    plan.parameters["severity"]
        .as_str()
        .unwrap_or("low")
        .to_owned()
}

fn report(n: u64) -> TenantReport {
    TenantReport {
        examined: n,
        changed: n,
        changes_by_rule: BTreeMap::from([("B1".to_owned(), n)]),
        sample: Vec::new(),
    }
}

#[async_trait::async_trait]
impl Runbook for BumpTimesSeen {
    fn key(&self) -> &'static str {
        KEY
    }
    fn title(&self) -> &'static str {
        "Bump Times Seen"
    }
    fn description(&self) -> &'static str {
        "A test-only runbook."
    }
    fn version(&self) -> i32 {
        1
    }
    fn allowed_scopes(&self) -> &'static [ScopeKind] {
        &[ScopeKind::AllTenants]
    }
    fn run_on_deploy(&self) -> bool {
        false
    }
    fn rules(&self) -> &'static [RuleInfo] {
        &[RuleInfo {
            key: "B1",
            name: "bump",
            description: "times_seen := times_seen + 1",
        }]
    }
    fn tables_written(&self) -> &'static [&'static str] {
        &["findings"]
    }
    fn confirmation_verb(&self) -> &'static str {
        "BUMP"
    }
    fn parameters_schema(&self) -> Value {
        json!({"type": "object", "properties": {"severity": {"type": "string"}}, "required": ["severity"]})
    }
    fn parse_parameters(&self, raw: &Value, _now: DateTime<Utc>) -> Result<Value, ParameterErrors> {
        let mut errors = ParameterErrors::default();
        let object = parameters_object(raw, &["severity"], &mut errors);
        match object.get("severity").and_then(Value::as_str) {
            Some(s @ ("low" | "medium" | "high" | "critical")) => {
                errors.or_ok(json!({"severity": s}))
            }
            _ => {
                errors.add("severity", "one of low, medium, high, critical");
                Err(errors)
            }
        }
    }
    async fn preflight_tenant(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        plan: &Plan<'_>,
        _sample_limit: usize,
    ) -> Result<TenantReport, DbErr> {
        Ok(report(matching(db, tenant_id, &severity(plan)).await?))
    }
    async fn execute_tenant(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
        plan: &Plan<'_>,
        _log: &ChangeLog,
    ) -> Result<TenantReport, DbErr> {
        let severity = severity(plan);
        let n = matching(txn, tenant_id, &severity).await?;
        let sql = format!(
            "UPDATE findings SET times_seen = COALESCE(times_seen, 0) + 1 \
             WHERE tenant_id = {tenant_id} AND severity = '{severity}'"
        );
        txn.execute_raw(Statement::from_string(txn.get_database_backend(), sql))
            .await?;
        Ok(report(n))
    }
}

static BUMP: BumpTimesSeen = BumpTimesSeen;

async fn a_third_runbook_needs_only_its_module_and_one_registration(backend: Backend) {
    let app = spawn_app_with_context(
        backend,
        |_| {},
        |ctx| {
            ctx.runbooks = ctx.runbooks.clone().with(&BUMP);
        },
    )
    .await;
    atlas_ops::demo::seed(&app.db, SMALL, Some("seed-password-0451".into()))
        .await
        .expect("seed");
    let token = app.operator_token("bumper", &Capability::ALL).await;
    let post = |path: String, body: Value| {
        let req = app
            .client()
            .post(app.url(&path))
            .bearer_auth(&token)
            .json(&body);
        async move {
            let res = req.send().await.expect("request");
            (
                res.status().as_u16(),
                res.json::<Value>().await.expect("json"),
            )
        }
    };
    let catalogue: Value = app
        .client()
        .get(app.url("/system/api/ops/runbooks"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("catalogue")
        .json()
        .await
        .expect("json");
    assert_eq!(catalogue["items"][2]["key"], KEY);
    assert_eq!(catalogue["items"][2]["rule_details"][0]["name"], "bump");

    let base = format!("/system/api/ops/runbooks/{KEY}");
    let (status, bad) = post(
        format!("{base}/preflight"),
        json!({"scope": {"kind": "all_tenants"}, "parameters": {"severity": "urgent"}}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad["errors"]["parameters.severity"].is_array(), "{bad}");
    let (status, pf) = post(
        format!("{base}/preflight"),
        json!({"scope": {"kind": "all_tenants"}, "parameters": {"severity": "high"}}),
    )
    .await;
    assert_eq!(status, 200, "{pf}");
    assert_eq!(pf["confirmation"]["phrase"], "BUMP 6 TENANTS");
    let expected = count(
        &app.db,
        "SELECT COUNT(*) FROM findings f JOIN tenants t ON t.id = f.tenant_id \
         WHERE t.external_id <> 'platform' AND f.severity = 'high'",
    )
    .await;
    assert_eq!(pf["changes_by_rule"], json!({"B1": expected}));
    let (status, run) = post(
        format!("{base}/runs"),
        json!({
            "scope": {"kind": "all_tenants"},
            "parameters": {"severity": "high"},
            "reason": {"code": "other", "text": "prove a runbook is a module"},
            "preflight_id": pf["preflight_id"],
            "confirmation": "BUMP 6 TENANTS",
        }),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    let done = drain(&app, run["id"].as_i64().expect("id")).await;
    assert_eq!(done.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!(done.counts.succeeded, 6);
    assert_eq!(done.counts.findings_changed, expected);
}

db_tests!(a_third_runbook_needs_only_its_module_and_one_registration);
