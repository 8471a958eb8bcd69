//! A runbook is a module plus one registration (docs/spec.md §12): a third runbook, defined here and
//! nowhere else, is registered in the test's context and goes through the whole platform —
//! catalogue, parameters, preflight with its own phrase, start, the job pipeline, counts, its
//! change log and its revert (docs/spec.md §15) — with no change to the run machinery, the API
//! or the workers.

use std::collections::BTreeMap;

use atlas_ops::domain::capability::Capability;
use atlas_ops::domain::run::ScopeKind;
use atlas_ops::runbooks::{
    ChangeLog, ChangedRow, ParameterErrors, Plan, RestoreReport, RuleInfo, Runbook, TenantReport,
    parameters_object, restore_findings,
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
        conflicts: 0,
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
        log: &ChangeLog,
    ) -> Result<TenantReport, DbErr> {
        let severity = severity(plan);
        let backend = txn.get_database_backend();
        let rows = txn
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT id, times_seen FROM findings \
                     WHERE tenant_id = {tenant_id} AND severity = '{severity}' ORDER BY id"
                ),
            ))
            .await?;
        let mut changed = Vec::with_capacity(rows.len());
        for row in rows {
            let times_seen: Option<i32> = row.try_get("", "times_seen")?;
            changed.push(ChangedRow {
                id: row.try_get("", "id")?,
                rules: vec!["B1".to_owned()],
                before: serde_json::Map::from_iter([("times_seen".to_owned(), json!(times_seen))]),
                after: serde_json::Map::from_iter([(
                    "times_seen".to_owned(),
                    json!(times_seen.unwrap_or(0) + 1),
                )]),
            });
        }
        let sql = format!(
            "UPDATE findings SET times_seen = COALESCE(times_seen, 0) + 1 \
             WHERE tenant_id = {tenant_id} AND severity = '{severity}'"
        );
        txn.execute_raw(Statement::from_string(backend, sql))
            .await?;
        log.record(txn, &changed).await?;
        Ok(report(changed.len() as u64))
    }
    async fn check_restore(
        &self,
        db: &DatabaseConnection,
        tenant_id: i64,
        rows: &[ChangedRow],
        sample_limit: usize,
    ) -> Result<RestoreReport, DbErr> {
        restore_findings(db, tenant_id, rows, None, sample_limit).await
    }
    async fn restore(
        &self,
        txn: &DatabaseTransaction,
        tenant_id: i64,
        rows: &[ChangedRow],
        log: &ChangeLog,
    ) -> Result<RestoreReport, DbErr> {
        restore_findings(txn, tenant_id, rows, Some(log), 0).await
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
    let times_seen_before = count(
        &app.db,
        "SELECT CAST(COALESCE(SUM(times_seen), 0) AS BIGINT) FROM findings",
    )
    .await;
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
    assert_eq!(
        count(
            &app.db,
            "SELECT CAST(COALESCE(SUM(times_seen), 0) AS BIGINT) FROM findings"
        )
        .await,
        times_seen_before + expected,
    );

    // Its change log puts it back through the API: revert preflight, then the revert, which a
    // retry with the same Idempotency-Key replays instead of starting twice.
    let (status, revert_pf) = post(
        format!("/system/api/ops/runs/{}/revert/preflight", done.id),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{revert_pf}");
    assert_eq!(revert_pf["kind"], "revert");
    assert_eq!(revert_pf["rows_to_restore"], expected);
    assert_eq!(revert_pf["confirmation"]["phrase"], "REVERT 6 TENANTS");
    let body = json!({
        "preflight_id": revert_pf["preflight_id"],
        "reason": {"code": "other", "text": "prove a runbook's revert needs nothing more"},
        "confirmation": "REVERT 6 TENANTS",
    });
    let send = |key: &'static str| {
        let req = app
            .client()
            .post(app.url(&format!("/system/api/ops/runs/{}/revert", done.id)))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&body);
        async move {
            let res = req.send().await.expect("request");
            let location = res
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (
                res.status().as_u16(),
                location,
                res.json::<Value>().await.expect("json"),
            )
        }
    };
    let (status, location, revert_run) = send("revert-bump-1").await;
    assert_eq!(status, 201, "{revert_run}");
    assert_eq!(revert_run["kind"], "revert");
    assert_eq!(revert_run["reverts_run_id"], done.id);
    assert_eq!(
        location.as_deref(),
        Some(format!("/system/api/ops/runs/{}", revert_run["id"]).as_str())
    );
    let (status, _, replayed) = send("revert-bump-1").await;
    assert_eq!(status, 201);
    assert_eq!(
        replayed["id"], revert_run["id"],
        "replayed, not started twice"
    );
    let reverted = drain(&app, revert_run["id"].as_i64().expect("id")).await;
    assert_eq!(reverted.counts.findings_changed, expected);
    assert_eq!(reverted.counts.conflicts, 0);
    assert_eq!(
        count(
            &app.db,
            "SELECT CAST(COALESCE(SUM(times_seen), 0) AS BIGINT) FROM findings"
        )
        .await,
        times_seen_before,
    );
    // Citing the used revert preflight again is refused, by code.
    let (status, _, problem) = send("revert-bump-2").await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "preflight_used");
}

db_tests!(a_third_runbook_needs_only_its_module_and_one_registration);
