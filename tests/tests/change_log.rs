//! The change log (docs/spec.md §15): every row a run changes is recorded in the tenant's
//! transaction with the value of each changed column before and the value written, listed by
//! `GET /ops/runs/{id}/changes` (paged, per tenant), and purged whole after
//! `CHANGE_LOG_RETENTION_DAYS`, after which the run says `changes_available: false` and the
//! list answers 410.

use std::collections::BTreeMap;

use atlas_ops::domain::capability::Capability;
use atlas_ops::domain::run::Scope;
use atlas_ops::runs::changes::{self, ChangeView};
use atlas_ops::runs::{preflight, start::start};
use atlas_ops_tests::runs::{count, drain, preflight_and_start, seed, snapshot, start_request};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app};
use serde_json::{Value, json};

/// Every changed row of `run_id`, all pages.
async fn all_changes(app: &TestApp, run_id: i64) -> Vec<ChangeView> {
    let (rows, total) = changes::list(&app.db, run_id, None, 0, u64::MAX / 2)
        .await
        .expect("changes");
    assert_eq!(rows.len() as u64, total);
    rows
}

/// Each finding's columns as JSON (instants in the API's form), by id.
async fn rows_by_id(app: &TestApp) -> BTreeMap<i64, Value> {
    snapshot(&app.db)
        .await
        .into_iter()
        .map(|f| (f.id, serde_json::to_value(&f).expect("json")))
        .collect()
}

/// Checks the log of a completed run against the data before and after it: exactly the rows
/// that differ, each with exactly the columns that differ, their old and new values.
fn assert_log_is_the_difference(
    log: &[ChangeView],
    before: &BTreeMap<i64, Value>,
    after: &BTreeMap<i64, Value>,
) {
    let mut differing = 0;
    for (id, was) in before {
        let now = &after[id];
        let changed: Vec<&String> = was
            .as_object()
            .expect("object")
            .keys()
            .filter(|c| was[c.as_str()] != now[c.as_str()])
            .collect();
        let logged = log
            .iter()
            .filter(|r| r.finding_id == *id)
            .collect::<Vec<_>>();
        if changed.is_empty() {
            assert!(
                logged.is_empty(),
                "finding {id} did not change but is logged"
            );
            continue;
        }
        differing += 1;
        assert_eq!(logged.len(), 1, "finding {id} is logged once");
        let row = logged[0];
        assert_eq!(
            row.after.keys().collect::<Vec<_>>(),
            {
                let mut c = changed.clone();
                c.sort();
                c
            },
            "finding {id}: the changed columns"
        );
        assert_eq!(row.tenant_id, now["tenant_id"].as_i64().expect("tenant"));
        assert!(!row.rules.is_empty());
        for column in &changed {
            assert_eq!(
                row.before[column.as_str()],
                was[column.as_str()],
                "{id}.{column} before"
            );
            assert_eq!(
                row.after[column.as_str()],
                now[column.as_str()],
                "{id}.{column} after"
            );
        }
    }
    assert_eq!(log.len(), differing, "only changed rows are logged");
}

async fn a_rebuild_logs_each_changed_row_and_column(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let before = rows_by_id(&app).await;
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    let done = drain(&app, run_id).await;
    assert!(done.changes_available);
    let after = rows_by_id(&app).await;
    let log = all_changes(&app, run_id).await;
    assert_eq!(log.len() as i64, done.counts.findings_changed);
    assert!(log.len() > 100, "the seed gives the rebuild work");
    assert_log_is_the_difference(&log, &before, &after);
    // The rules are the rebuild's, by name.
    assert!(
        log.iter()
            .all(|r| r.rules.iter().all(|k| k.starts_with('R')))
    );
    // One record per written batch of a tenant, each at most 2,000 rows.
    let records = count(
        &app.db,
        &format!("SELECT COUNT(*) FROM run_changes WHERE run_id = {run_id}"),
    )
    .await;
    let tenants = count(
        &app.db,
        &format!("SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND findings_changed > 0"),
    )
    .await;
    assert_eq!(records, tenants, "the seed's tenants fit one batch each");
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM run_changes WHERE row_count > 2000"
        )
        .await,
        0
    );
    // A second run changes nothing and logs nothing.
    let again = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    drain(&app, again).await;
    assert!(all_changes(&app, again).await.is_empty());
}

async fn close_stale_logs_its_three_columns(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let before = rows_by_id(&app).await;
    let pf = preflight::preflight(
        &app.ctx,
        "findings.stale.close",
        Scope::AllTenants,
        &json!({"last_seen_before": (app.ctx.now() - chrono::Duration::days(30)).to_rfc3339()}),
        Some(&who),
        Default::default(),
    )
    .await
    .expect("preflight");
    assert!(pf.findings_to_change > 0, "the seed has stale findings");
    let run_id = start(&app.ctx, start_request(&pf, Some(&who)))
        .await
        .expect("start")
        .run
        .id;
    let done = drain(&app, run_id).await;
    let after = rows_by_id(&app).await;
    let log = all_changes(&app, run_id).await;
    assert_eq!(log.len() as i64, done.counts.findings_changed);
    assert_log_is_the_difference(&log, &before, &after);
    for row in &log {
        assert_eq!(row.rules, ["S1"]);
        assert_eq!(row.after["status"], "closed");
        assert!(
            row.after
                .keys()
                .all(|c| ["status", "closed_reason", "closed_at"].contains(&c.as_str())),
            "{row:?}"
        );
    }
}

async fn the_changes_are_listed_by_page_and_tenant_over_http(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    drain(&app, run_id).await;
    let log = all_changes(&app, run_id).await;
    let token = app.operator_token("viewer", &[Capability::RunsView]).await;
    let get = |path: String| {
        let req = app.client().get(app.url(&path)).bearer_auth(&token);
        async move {
            let res = req.send().await.expect("request");
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let base = format!("/system/api/ops/runs/{run_id}/changes");
    // Page 2 of 7 is rows 8 to 14 of the whole list.
    let (status, page) = get(format!("{base}?page=2&per_page=7")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], log.len());
    let expected: Vec<Value> = log[7..14]
        .iter()
        .map(|r| serde_json::to_value(r).expect("json"))
        .collect();
    assert_eq!(page["items"], Value::Array(expected));
    // Every page together is the whole list, in order, whatever the page size.
    let mut paged = Vec::new();
    for n in 1.. {
        let (_, page) = get(format!("{base}?page={n}&per_page=100")).await;
        let items = page["items"].as_array().expect("items").clone();
        if items.is_empty() {
            break;
        }
        paged.extend(items);
    }
    assert_eq!(paged.len(), log.len());
    // One tenant's.
    let tenant = log[log.len() / 2].tenant_id;
    let (status, mine) = get(format!("{base}?tenant_id={tenant}&per_page=100")).await;
    assert_eq!(status, 200);
    let items = mine["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(items.iter().all(|r| r["tenant_id"] == tenant));
    let changed = count(
        &app.db,
        &format!(
            "SELECT findings_changed FROM run_items WHERE run_id = {run_id} AND tenant_id = {tenant}"
        ),
    )
    .await;
    assert_eq!(mine["total"], changed);
    // Refusals change nothing and name what is wrong.
    let (status, problem) = get(format!("{base}?tenant=5")).await;
    assert_eq!(status, 422, "{problem}");
    let (status, _) = get(format!("{base}?tenant_id=abc")).await;
    assert!(status == 400 || status == 422, "{status}");
    let (status, _) = get(format!("{base}?per_page=0")).await;
    assert_eq!(status, 422);
    let (status, _) = get("/system/api/ops/runs/999999/changes".into()).await;
    assert_eq!(status, 404);
    let other = app
        .operator_token("no-view", &[Capability::RunbooksView])
        .await;
    let res = app
        .client()
        .get(app.url(&base))
        .bearer_auth(&other)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 403);
}

async fn a_log_past_its_retention_is_purged_and_the_run_says_so(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let old = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    drain(&app, old).await;
    assert!(!all_changes(&app, old).await.is_empty());
    let retention = app.ctx.settings.change_log_retention;
    app.clock.advance(retention - chrono::Duration::hours(1));
    // A newer run, completed later.
    let tenant = count(&app.db, "SELECT MIN(tenant_id) FROM findings").await;
    let newer = preflight_and_start(&app, Scope::Tenant { tenant_id: tenant }, &who)
        .await
        .run
        .id;
    drain(&app, newer).await;
    // Not yet.
    assert_eq!(
        changes::purge(&app.db, app.ctx.now(), retention)
            .await
            .expect("purge"),
        0
    );
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        changes::purge(&app.db, app.ctx.now(), retention)
            .await
            .expect("purge"),
        1,
        "only the run completed more than the retention ago"
    );
    assert_eq!(
        count(
            &app.db,
            &format!("SELECT COUNT(*) FROM run_changes WHERE run_id = {old}")
        )
        .await,
        0
    );
    let token = app.operator_token("viewer", &[Capability::RunsView]).await;
    let res = app
        .client()
        .get(app.url(&format!("/system/api/ops/runs/{old}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let view: Value = res.json().await.expect("json");
    assert_eq!(view["changes_available"], false);
    let res = app
        .client()
        .get(app.url(&format!("/system/api/ops/runs/{old}/changes")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 410);
    let problem: Value = res.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("CHANGE_LOG_RETENTION_DAYS")),
        "{problem}"
    );
    // The newer run's log is kept (it changed nothing: the first run repaired everything).
    let res = app
        .client()
        .get(app.url(&format!("/system/api/ops/runs/{newer}/changes")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    // Purging again purges nothing more.
    assert_eq!(
        changes::purge(&app.db, app.ctx.now(), retention)
            .await
            .expect("purge"),
        0
    );
}

db_tests!(
    a_rebuild_logs_each_changed_row_and_column,
    close_stale_logs_its_three_columns,
    the_changes_are_listed_by_page_and_tenant_over_http,
    a_log_past_its_retention_is_purged_and_the_run_says_so
);
