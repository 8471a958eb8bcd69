//! docs/spec.md §18, operator truth at scale, over HTTP on both back-ends: tenants named wherever a
//! person reads them, retry lineage, finding runs and items (filters, CSV exports), single-use
//! preflights, dedupe audit, alerts that carry what is needed, and the papercuts.

use atlas_ops::domain::capability::Capability;
use atlas_ops_tests::runs::{SMALL, count, drain, tenant_ids};
use atlas_ops_tests::{Backend, OperatorClient, TestApp, db_tests, spawn_app};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const RB: &str = "/system/api/ops/runbooks/findings.lifecycle.rebuild";

async fn seeded(backend: Backend) -> (TestApp, OperatorClient) {
    seeded_app(spawn_app(backend).await).await
}

async fn seeded_app(app: TestApp) -> (TestApp, OperatorClient) {
    atlas_ops::demo::seed(&app.db, SMALL, Some("seed-password-0451".into()))
        .await
        .expect("seed");
    app.create_operator("alice", &Capability::ALL).await;
    let op = app.login_operator("alice").await;
    (app, op)
}

fn reason() -> Value {
    json!({"code": "data_repair", "text": "repair legacy lifecycle columns"})
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body = res.text().await.expect("body");
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).expect("json")
}

async fn get(op: &OperatorClient, path: &str) -> Value {
    json_of(op.get(path).await, 200).await
}

async fn preflight(op: &OperatorClient, scope: Value) -> Value {
    json_of(
        op.post_json(&format!("{RB}/preflight"), &json!({ "scope": scope }))
            .await,
        200,
    )
    .await
}

/// Preflight and start over `scope`; returns the started run.
async fn start(op: &OperatorClient, scope: Value) -> Value {
    let pf = preflight(op, scope.clone()).await;
    json_of(
        op.post_json(
            &format!("{RB}/runs"),
            &json!({"scope": scope, "reason": reason(), "preflight_id": pf["preflight_id"],
                    "confirmation": pf["confirmation"]["phrase"], "allow_no_changes": true}),
        )
        .await,
        201,
    )
    .await
}

async fn tenant(app: &TestApp, id: i64) -> (String, String) {
    let t = atlas_ops::runs::query::tenant_refs(&app.db, [id])
        .await
        .expect("tenant")
        .remove(&id)
        .expect("exists");
    (t.external_id, t.name)
}

/// Makes every `UPDATE` of the findings of `ids` fail, and no other tenant's (the broken ids
/// live in a table the trigger reads, so a test changes them as it goes).
async fn break_tenants(app: &TestApp, ids: &[i64]) {
    let mut sql = match app.backend {
        Backend::Sqlite => vec![
            "CREATE TABLE IF NOT EXISTS broken_tenants (tenant_id BIGINT NOT NULL)".to_owned(),
            "CREATE TRIGGER IF NOT EXISTS break_tenants BEFORE UPDATE ON findings \
             WHEN NEW.tenant_id IN (SELECT tenant_id FROM broken_tenants) \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                .to_owned(),
        ],
        Backend::Postgres => vec![
            "CREATE TABLE IF NOT EXISTS broken_tenants (tenant_id BIGINT NOT NULL)".to_owned(),
            "CREATE OR REPLACE FUNCTION break_tenants() RETURNS trigger AS $$ BEGIN \
             IF NEW.tenant_id IN (SELECT tenant_id FROM broken_tenants) THEN \
             RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                .to_owned(),
            "CREATE OR REPLACE TRIGGER break_tenants BEFORE UPDATE ON findings FOR EACH ROW \
             EXECUTE FUNCTION break_tenants()"
                .to_owned(),
        ],
    };
    sql.push("DELETE FROM broken_tenants".to_owned());
    for id in ids {
        sql.push(format!(
            "INSERT INTO broken_tenants (tenant_id) VALUES ({id})"
        ));
    }
    for s in sql {
        app.db.execute_unprepared(&s).await.expect("break tenants");
    }
}

/// docs/spec.md §21: the run view's `retry_confirmation` is exactly the phrase `retry-failed`
/// needs, for runbook 2's verb and for a retry of a retry, and null once nothing is left.
async fn retry_confirmation_is_the_phrase_the_retry_needs(backend: Backend) {
    let (app, op) = seeded(backend).await;
    let ids = tenant_ids(&app).await;
    let (a, b) = (ids[1], ids[4]);
    break_tenants(&app, &[a, b]).await;
    let stale = "/system/api/ops/runbooks/findings.stale.close";
    let scope = json!({"kind": "all_tenants"});
    let parameters = json!({
        "last_seen_before": (app.ctx.now() - chrono::Duration::seconds(1)).to_rfc3339()
    });
    let pf = json_of(
        op.post_json(
            &format!("{stale}/preflight"),
            &json!({"scope": scope, "parameters": parameters}),
        )
        .await,
        200,
    )
    .await;
    let run = json_of(
        op.post_json(
            &format!("{stale}/runs"),
            &json!({"scope": scope, "parameters": parameters, "reason": reason(),
                    "preflight_id": pf["preflight_id"], "confirmation": pf["confirmation"]["phrase"]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(run["retry_confirmation"], Value::Null, "an active run");
    let first_id = run["id"].as_i64().expect("id");
    drain(&app, first_id).await;
    let first = get(&op, &format!("/system/api/ops/runs/{first_id}")).await;
    assert_eq!(first["counts"]["failed"], 2, "{first}");
    assert_eq!(
        first["retry_confirmation"],
        json!({"required": true, "phrase": "CLOSE STALE IN 2 TENANTS"})
    );

    let retry = |id: i64, phrase: Value| {
        let op = op.clone();
        async move {
            op.post_json(
                &format!("/system/api/ops/runs/{id}/retry-failed"),
                &json!({"reason": reason(), "confirmation": phrase}),
            )
            .await
        }
    };
    // `a` fails again: the retry of the retry is what is left.
    break_tenants(&app, &[a]).await;
    let second = json_of(
        retry(first_id, first["retry_confirmation"]["phrase"].clone()).await,
        201,
    )
    .await;
    let second_id = second["id"].as_i64().expect("id");
    drain(&app, second_id).await;
    let second = get(&op, &format!("/system/api/ops/runs/{second_id}")).await;
    assert_eq!(second["scope"]["kind"], "tenants");
    assert_eq!(
        second["retry_confirmation"],
        json!({"required": true, "phrase": "CLOSE STALE IN 1 TENANTS"})
    );
    let first = get(&op, &format!("/system/api/ops/runs/{first_id}")).await;
    assert_eq!(
        first["retry_confirmation"]["phrase"], "CLOSE STALE IN 1 TENANTS",
        "b was closed by the retry"
    );

    let res = retry(second_id, json!("REBUILD 1 TENANTS")).await;
    assert_eq!(res.status(), 422, "another runbook's verb");
    break_tenants(&app, &[]).await;
    let third = json_of(
        retry(second_id, second["retry_confirmation"]["phrase"].clone()).await,
        201,
    )
    .await;
    let third_id = third["id"].as_i64().expect("id");
    let done = drain(&app, third_id).await;
    assert_eq!(done.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!(done.retry_confirmation, None, "nothing failed");
    for id in [first_id, second_id] {
        let run = get(&op, &format!("/system/api/ops/runs/{id}")).await;
        assert_eq!(
            run["retry_confirmation"],
            Value::Null,
            "run #{id}: nothing left"
        );
    }
}

async fn tenants_are_named(backend: Backend) {
    let (app, op) = seeded(backend).await;
    app.allow_unfinished_jobs();
    let ids = tenant_ids(&app).await;
    let (external_id, name) = tenant(&app, ids[2]).await;

    let pf = preflight(&op, json!({"kind": "tenant", "tenant_id": ids[2]})).await;
    let sample = pf["sample"].as_array().expect("sample");
    assert!(!sample.is_empty(), "the seed has changes");
    for s in sample {
        assert_eq!(s["tenant_id"], ids[2]);
        assert_eq!(s["tenant_external_id"], external_id.as_str());
        assert_eq!(s["tenant_name"], name.as_str());
    }

    let run = start(&op, json!({"kind": "tenant", "tenant_id": ids[2]})).await;
    let scope = &run["scope"];
    assert_eq!(scope["kind"], "tenant", "the start scope is kept");
    assert_eq!(scope["tenant_id"], ids[2]);
    assert_eq!(
        scope["tenant"],
        json!({"id": ids[2], "external_id": external_id, "name": name})
    );
    let id = run["id"].as_i64().expect("id");
    drain(&app, id).await;

    let detail = get(&op, &format!("/system/api/ops/runs/{id}")).await;
    assert_eq!(detail["scope"]["tenant"]["name"], name.as_str());
    let items = get(&op, &format!("/system/api/ops/runs/{id}/items")).await;
    assert_eq!(
        items["items"][0]["tenant_external_id"],
        external_id.as_str()
    );
    assert_eq!(items["items"][0]["tenant_name"], name.as_str());
    let list = get(&op, "/system/api/ops/runs").await;
    assert_eq!(list["items"][0]["scope"]["tenant"]["name"], name.as_str());

    let all = start(&op, json!({"kind": "all_tenants"})).await;
    assert_eq!(all["scope"], json!({"kind": "all_tenants"}), "unchanged");

    let audit = get(&op, "/system/api/audit-events?action=runbook.run.started").await;
    let tenant_event = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["target_id"].as_str() == Some(id.to_string().as_str()))
        .expect("the single-tenant start");
    assert_eq!(
        tenant_event["metadata"]["scope"]["tenant"]["name"],
        name.as_str()
    );
    let audit = get(&op, "/system/api/audit-events?action=runbook.preflighted").await;
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["metadata"]["tenant"]["external_id"] == external_id.as_str())
    );
}

async fn retry_lineage_settles_rebuilt_tenants(backend: Backend) {
    let (app, op) = seeded(backend).await;
    let ids = tenant_ids(&app).await;
    let (a, b) = (ids[1], ids[4]);
    break_tenants(&app, &[a, b]).await;
    let first = start(&op, json!({"kind": "all_tenants"})).await;
    let first_id = first["id"].as_i64().expect("id");
    let done = drain(&app, first_id).await;
    assert_eq!((done.counts.failed, done.retryable_tenants), (2, 2));
    let failed_events = get(&op, "/system/api/audit-events?action=runbook.tenant.failed").await;
    let (a_external, a_name) = tenant(&app, a).await;
    assert!(
        failed_events["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["metadata"]["tenant"]["name"] == a_name.as_str()
                && e["metadata"]["tenant"]["external_id"] == a_external.as_str()),
        "{failed_events}"
    );

    // A completed run is polled with its ETag: 304 while nothing changes.
    let original_path = format!("/system/api/ops/runs/{first_id}");
    let etag = poll(&op, &original_path, None).await.1.expect("etag");
    assert_eq!(poll(&op, &original_path, Some(&etag)).await.0, 304);

    // Retry both; only `a` is still broken.
    break_tenants(&app, &[a]).await;
    let retry = |phrase: &'static str| {
        let op = op.clone();
        async move {
            op.post_json(
                &format!("/system/api/ops/runs/{first_id}/retry-failed"),
                &json!({"reason": reason(), "confirmation": phrase}),
            )
            .await
        }
    };
    let second = json_of(retry("REBUILD 2 TENANTS").await, 201).await;
    let second_id = second["id"].as_i64().expect("id");
    assert_eq!(
        second["scope"],
        json!({"kind": "tenants", "tenant_ids": [a, b], "count": 2, "retry_of": first_id, "reverts_run_id": null})
    );
    assert_eq!(second["retry_of_run_id"], first_id);
    // Being retried changes the completed run's view (`retried_by`), so its ETag changes.
    let (status, retried_etag) = poll(&op, &original_path, Some(&etag)).await;
    assert_eq!(status, 200, "a new retry is a change");
    let retried_etag = retried_etag.expect("etag");
    drain(&app, second_id).await;
    assert_eq!(
        poll(&op, &original_path, Some(&retried_etag)).await.0,
        200,
        "the retry's outcome and the tenants it rebuilt are a change"
    );

    let original = get(&op, &format!("/system/api/ops/runs/{first_id}")).await;
    assert_eq!(
        original["retried_by"],
        json!([{"id": second_id, "outcome": "partially_succeeded"}])
    );
    assert_eq!(
        original["retryable_tenants"], 1,
        "b was rebuilt by the retry"
    );
    assert_eq!(original["counts"]["failed"], 2, "history is kept");

    // The phrase names the tenants still failed; only `a` is retried.
    let res = retry("REBUILD 2 TENANTS").await;
    assert_eq!(res.status(), 422);
    break_tenants(&app, &[]).await;
    let third = json_of(retry("REBUILD 1 TENANTS").await, 201).await;
    let third_id = third["id"].as_i64().expect("id");
    assert_eq!(third["scope"]["tenant_ids"], json!([a]));
    let third_done = drain(&app, third_id).await;
    assert_eq!(third_done.counts.total, 1);
    assert_eq!(
        third_done.scope.label(),
        format!("1 tenants (retry of #{first_id})")
    );

    // Nothing is left: neither on the original nor on the first retry (a sibling rebuilt `a`).
    for id in [first_id, second_id] {
        let res = op
            .post_json(
                &format!("/system/api/ops/runs/{id}/retry-failed"),
                &json!({"reason": reason(), "confirmation": "REBUILD 1 TENANTS"}),
            )
            .await;
        assert_eq!(res.status(), 409, "run #{id}");
        let run = get(&op, &format!("/system/api/ops/runs/{id}")).await;
        assert_eq!(run["retryable_tenants"], 0, "run #{id}");
    }
    let original = get(&op, &format!("/system/api/ops/runs/{first_id}")).await;
    assert_eq!(
        original["retried_by"],
        json!([
            {"id": second_id, "outcome": "partially_succeeded"},
            {"id": third_id, "outcome": "succeeded"}
        ])
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM operation_runs").await,
        3
    );
}

/// A GET of `path`, conditional on `etag`: the status and the answer's ETag.
async fn poll(op: &OperatorClient, path: &str, etag: Option<&str>) -> (u16, Option<String>) {
    let mut req = op.client.get(op.address.clone() + path);
    if let Some(etag) = etag {
        req = req.header("if-none-match", etag);
    }
    let res = req.send().await.expect("request");
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().expect("etag").to_owned());
    (res.status().as_u16(), etag)
}

async fn get_status(op: &OperatorClient, path: &str) -> (u16, Value) {
    let res = op.get(path).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn csv_of(op: &OperatorClient, path: &str) -> Vec<String> {
    let res = op.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    res.text()
        .await
        .expect("csv")
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn runs_are_found_by_every_filter(backend: Backend) {
    let (app, op) = seeded(backend).await;
    app.create_operator("bob", &Capability::ALL).await;
    let ids = tenant_ids(&app).await;

    let first = start(&op, json!({"kind": "tenant", "tenant_id": ids[0]})).await;
    let first_id = first["id"].as_i64().expect("id");
    drain(&app, first_id).await;
    // An hour later (sessions have expired by then: sign in again).
    app.clock.advance(chrono::Duration::hours(1));
    let op = app.login_operator("alice").await;
    let bob = app.login_operator("bob").await;
    break_tenants(&app, &[ids[3]]).await;
    let second = start(&bob, json!({"kind": "all_tenants"})).await;
    let second_id = second["id"].as_i64().expect("id");
    drain(&app, second_id).await;

    let ids_of = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect()
    };
    let created_second = second["created_at"].as_str().expect("created_at");
    let cases: Vec<(String, Vec<i64>)> = vec![
        ("".into(), vec![second_id, first_id]),
        ("outcome=partially_succeeded".into(), vec![second_id]),
        ("outcome=succeeded".into(), vec![first_id]),
        ("initiator=BOB".into(), vec![second_id]),
        // Part of a name is enough: nobody remembers exact usernames.
        ("initiator=LIC".into(), vec![first_id]),
        ("initiator=nobody".into(), vec![]),
        ("source=system_ui".into(), vec![second_id, first_id]),
        ("source=deploy_hook".into(), vec![]),
        (format!("tenant_id={}", ids[0]), vec![second_id, first_id]),
        (format!("tenant_id={}", ids[5]), vec![second_id]),
        (
            format!("created_after={}", created_second.replace('+', "%2B")),
            vec![second_id],
        ),
        (
            format!("created_before={}", created_second.replace('+', "%2B")),
            vec![first_id],
        ),
        (
            "status=completed&runbook=findings.lifecycle.rebuild&outcome=".into(),
            vec![second_id, first_id],
        ),
    ];
    for (query, expected) in cases {
        let page = get(&op, &format!("/system/api/ops/runs?{query}")).await;
        assert_eq!(ids_of(&page), expected, "?{query}");
        assert_eq!(page["total"], expected.len(), "?{query}");
    }
    let list = get(&op, "/system/api/ops/runs").await;
    let row = &list["items"][0];
    assert_eq!(row["counts"]["total"], 6);
    assert!(row["duration_seconds"].as_i64().is_some(), "{row}");

    for (query, field) in [
        ("bogus=1", "bogus"),
        ("outcome=meh", "outcome"),
        ("source=fax", "source"),
        ("tenant_id=abc", "tenant_id"),
        ("created_after=yesterday", "created_after"),
        ("created_before=2026-13-01", "created_before"),
    ] {
        let (status, problem) = get_status(&op, &format!("/system/api/ops/runs?{query}")).await;
        assert_eq!(status, 422, "?{query}");
        assert!(problem["errors"][field].is_array(), "?{query}: {problem}");
        let (status, _) = get_status(&op, &format!("/system/api/ops/runs.csv?{query}")).await;
        assert_eq!(status, 422, "csv ?{query}");
    }

    // runs.csv: the JSON names flattened, the same filters.
    let lines = csv_of(&op, "/system/api/ops/runs.csv").await;
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(
        header[..4],
        ["id", "runbook", "runbook_version", "scope.kind"]
    );
    assert!(header.contains(&"counts.total") && header.contains(&"duration_seconds"));
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with(&format!("{second_id},findings.lifecycle.rebuild,")));
    let lines = csv_of(&op, "/system/api/ops/runs.csv?outcome=succeeded").await;
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&format!("{first_id},")));
    let (status, _) = get_status(&op, "/system/api/ops/runs.csv?page=2").await;
    assert_eq!(status, 422, "an export has no pages");
}

async fn items_are_searched_and_exported_safely(backend: Backend) {
    let (app, op) = seeded(backend).await;
    let ids = tenant_ids(&app).await;
    let (external_id, name) = tenant(&app, ids[3]).await;
    break_tenants(&app, &[ids[3]]).await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE tenants SET name = '=HYPERLINK(\"http://evil\")' WHERE id = {}",
            ids[1]
        ))
        .await
        .expect("rename");
    app.db
        .execute_unprepared(&format!(
            "UPDATE tenants SET name = '-2+3' WHERE id = {}",
            ids[2]
        ))
        .await
        .expect("rename");
    let run = start(&op, json!({"kind": "all_tenants"})).await;
    let id = run["id"].as_i64().expect("id");
    drain(&app, id).await;
    let items = format!("/system/api/ops/runs/{id}/items");

    let upper = name.to_uppercase();
    for search in [
        upper.as_str(),
        &external_id.to_uppercase(),
        &external_id[2..],
    ] {
        let page = get(
            &op,
            &format!("{items}?search={}", search.replace(' ', "%20")),
        )
        .await;
        assert_eq!(page["total"], 1, "{search}");
        assert_eq!(page["items"][0]["tenant_id"], ids[3]);
    }
    let page = get(&op, &format!("{items}?search=zzz-nobody")).await;
    assert_eq!(page["total"], 0);
    let page = get(&op, &format!("{items}?search=%25")).await;
    assert_eq!(page["total"], 0, "% is literal");
    let page = get(&op, &format!("{items}?status=failed&search=tenant")).await;
    assert_eq!(page["total"], 1);
    let (status, problem) = get_status(&op, &format!("{items}?serach=x")).await;
    assert_eq!(status, 422);
    assert!(problem["errors"]["serach"].is_array(), "{problem}");

    let lines = csv_of(&op, &format!("{items}.csv")).await;
    assert_eq!(
        lines[0],
        "id,tenant_id,tenant_external_id,tenant_name,status,attempts,findings_examined,\
         findings_changed,changes_by_rule,error,error_sqlstate,next_attempt_at,started_at,completed_at,\
         duration_seconds"
    );
    assert_eq!(lines.len(), 7);
    let csv = lines.join("\n");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "{csv}"
    );
    assert!(csv.contains(",'-2+3,"), "{csv}");
    let lines = csv_of(&op, &format!("{items}.csv?status=failed")).await;
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].contains(&format!(",{external_id},{name},failed,")),
        "{lines:?}"
    );
    let (status, _) = get_status(&op, "/system/api/ops/runs/999999/items.csv").await;
    assert_eq!(status, 404);
}

async fn the_audit_log_is_filtered_by_time_and_exported_in_pages(backend: Backend) {
    use atlas_ops::entities::audit_events;
    use sea_orm::{EntityTrait, Set};
    let (app, op) = seeded(backend).await;
    let base = chrono::Utc::now() - chrono::Duration::days(10);
    let rows = (0..1_234).map(|i| audit_events::ActiveModel {
        action: Set("test.bulk".into()),
        actor_kind: Set("system".into()),
        metadata: Set(json!({"i": i})),
        created_at: Set(base + chrono::Duration::minutes(i)),
        ..Default::default()
    });
    audit_events::Entity::insert_many(rows)
        .exec(&app.db)
        .await
        .expect("insert");
    let lines = csv_of(&op, "/system/api/audit-events.csv?action=test.bulk").await;
    assert_eq!(lines.len(), 1_235, "every page of the keyset walk");
    assert!(lines[0].starts_with("id,created_at,action,actor_kind"));
    let after = (base + chrono::Duration::minutes(1_000))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let before = (base + chrono::Duration::minutes(1_010))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let page = get(
        &op,
        &format!("/system/api/audit-events?action=test.bulk&created_after={after}&created_before={before}"),
    )
    .await;
    assert_eq!(page["total"], 10);
    let lines = csv_of(
        &op,
        &format!("/system/api/audit-events.csv?action=test.bulk&created_after={after}"),
    )
    .await;
    assert_eq!(lines.len(), 235);
    let (status, problem) = get_status(&op, "/system/api/audit-events?created_after=soon").await;
    assert_eq!(status, 422);
    assert!(problem["errors"]["created_after"].is_array());
    let (status, _) = get_status(&op, "/system/api/audit-events?acter=alice").await;
    assert_eq!(status, 422);
}

async fn preflights_are_single_use_and_no_change_starts_are_explicit(backend: Backend) {
    let (app, op) = seeded(backend).await;
    app.allow_unfinished_jobs();
    let pf = preflight(&op, json!({"kind": "all_tenants"})).await;
    assert!(pf["findings_to_change"].as_u64().expect("n") > 0);
    let body = |text: &str, pf: &Value| {
        json!({"scope": {"kind": "all_tenants"}, "preflight_id": pf["preflight_id"],
               "reason": {"code": "incident", "text": text},
               "confirmation": pf["confirmation"]["phrase"]})
    };
    let first = json_of(
        op.post_json(&format!("{RB}/runs"), &body("first operator's reason", &pf))
            .await,
        201,
    )
    .await;
    let id = first["id"].as_i64().expect("id");
    // While the identical run is active, citing the preflight again dedupes — and the audit
    // event keeps this request's own reason.
    let again = json_of(
        op.post_json(
            &format!("{RB}/runs"),
            &body("second, different reason", &pf),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (again["id"].as_i64(), again["deduplicated"].as_bool()),
        (Some(id), Some(true))
    );
    let audit = get(
        &op,
        "/system/api/audit-events?action=runbook.run.deduplicated",
    )
    .await;
    assert_eq!(audit["total"], 1);
    assert_eq!(
        audit["items"][0]["metadata"]["reason"],
        json!({"code": "incident", "text": "second, different reason"})
    );
    assert_eq!(audit["items"][0]["target_id"], id.to_string());
    drain(&app, id).await;

    // The run is over: the preflight it consumed cannot start another.
    let res = op
        .post_json(
            &format!("{RB}/runs"),
            &body("third attempt, same preflight", &pf),
        )
        .await;
    let problem = json_of(res, 422).await;
    assert_eq!(problem["code"], "preflight_used", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .starts_with("preflight_used")
    );
    assert!(problem["errors"]["preflight_id"].is_array(), "{problem}");

    // Everything is repaired now: a start from a preflight that found nothing needs consent.
    let clean = preflight(&op, json!({"kind": "all_tenants"})).await;
    assert_eq!(clean["findings_to_change"], 0);
    let res = op
        .post_json(
            &format!("{RB}/runs"),
            &body("nothing to change here", &clean),
        )
        .await;
    let problem = json_of(res, 422).await;
    assert_eq!(problem["code"], "no_changes", "{problem}");
    assert!(
        problem["errors"]["allow_no_changes"].is_array(),
        "{problem}"
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM operation_runs").await,
        1
    );
    let mut consent = body("nothing to change here", &clean);
    consent["allow_no_changes"] = json!(true);
    json_of(op.post_json(&format!("{RB}/runs"), &consent).await, 201).await;
    let mut wrong = body("nothing to change here", &clean);
    wrong["allow_no_changes"] = json!("yes");
    assert_eq!(
        op.post_json(&format!("{RB}/runs"), &wrong).await.status(),
        422
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM operation_runs").await,
        2
    );
}

async fn alerts_carry_what_is_needed(backend: Backend) {
    let hook = atlas_ops_tests::webhook::start().await;
    let app = atlas_ops_tests::spawn_app_with(backend, |s| {
        s.alert_webhook_url = Some(hook.url.clone());
        s.public_url = Some("https://ops.example.com".into());
    })
    .await;
    let (app, op) = seeded_app(app).await;
    let ids = tenant_ids(&app).await;
    break_tenants(&app, &[ids[1], ids[4]]).await;
    let run = start(&op, json!({"kind": "all_tenants"})).await;
    let id = run["id"].as_i64().expect("id");
    drain(&app, id).await;
    atlas_ops::alerts::deliver_due(&app.ctx)
        .await
        .expect("deliver");
    let alerts = hook.bodies().await;
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert["outcome"], "partially_succeeded");
    assert_eq!(
        alert["console_url"],
        format!("https://ops.example.com/system/ops/runs/{id}")
    );
    assert_eq!(alert["error_summary"], "2 of 6 tenants failed");
    assert_eq!(
        (
            alert["counts"]["failed"].clone(),
            alert["counts"]["succeeded"].clone()
        ),
        (json!(2), json!(4))
    );
    let failed = alert["failed_tenants"].as_array().expect("failed_tenants");
    assert_eq!(failed.len(), 2);
    for (entry, &tenant_id) in failed.iter().zip(&[ids[1], ids[4]]) {
        let (external_id, name) = tenant(&app, tenant_id).await;
        assert_eq!(entry["id"], tenant_id);
        assert_eq!(entry["external_id"], external_id.as_str());
        assert_eq!(entry["name"], name.as_str());
        assert!(
            entry["error"]
                .as_str()
                .expect("error")
                .contains("injected failure"),
            "{entry}"
        );
    }
    let detail = get(&op, &format!("/system/api/ops/runs/{id}")).await;
    assert_eq!(detail["error_summary"], "2 of 6 tenants failed");
}

async fn read_all_marks_only_the_operators_own_notifications(backend: Backend) {
    let (app, op) = seeded(backend).await;
    app.create_operator("bob", &Capability::ALL).await;
    let bob = app.login_operator("bob").await;
    let ids = tenant_ids(&app).await;
    for (who, tenant) in [(&op, ids[0]), (&op, ids[1]), (&bob, ids[2])] {
        let run = start(who, json!({"kind": "tenant", "tenant_id": tenant})).await;
        drain(&app, run["id"].as_i64().expect("id")).await;
    }
    assert_eq!(get(&op, "/system/api/notifications").await["unread"], 2);
    let res = op
        .client
        .post(app.url("/system/api/notifications/read-all"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 403, "the CSRF token is required");
    for (query, field) in [
        ("up_to_id=0", "up_to_id"),
        ("up_to_id=-3", "up_to_id"),
        ("up_to_id=newest", "query"),
        ("before=9", "query"),
    ] {
        let refused = json_of(
            op.post_json(
                &format!("/system/api/notifications/read-all?{query}"),
                &json!({}),
            )
            .await,
            422,
        )
        .await;
        assert!(refused["errors"][field].is_array(), "{query}: {refused}");
    }
    assert_eq!(
        get(&op, "/system/api/notifications").await["unread"],
        2,
        "a refused request marks nothing"
    );
    let seen = get(&op, "/system/api/notifications").await;
    let oldest = seen["items"][1]["id"].as_i64().expect("id");
    let up_to = json_of(
        op.post_json(
            &format!("/system/api/notifications/read-all?up_to_id={oldest}"),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        up_to,
        json!({"marked": 1, "unread": 1}),
        "one that arrived after the operator looked stays unread"
    );
    let done = json_of(
        op.post_json("/system/api/notifications/read-all", &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(done, json!({"marked": 1, "unread": 0}));
    let notes = get(&op, "/system/api/notifications").await;
    assert_eq!(notes["unread"], 0);
    assert!(
        notes["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|n| n["read_at"].is_string())
    );
    assert_eq!(
        get(&bob, "/system/api/notifications").await["unread"],
        1,
        "bob's are his"
    );
    let again = json_of(
        op.post_json("/system/api/notifications/read-all", &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(again, json!({"marked": 0, "unread": 0}));
}

async fn the_session_probe_never_answers_401(backend: Backend) {
    let (app, op) = seeded(backend).await;
    let anonymous = app.get("/system/api/auth/session").await;
    assert_eq!(anonymous.status(), 200);
    assert_eq!(
        anonymous.json::<Value>().await.expect("json"),
        json!({"operator": null, "csrf_token": null})
    );
    assert_eq!(
        app.get("/system/api/auth/me").await.status(),
        401,
        "scripts keep /auth/me"
    );
    // The customer plane's probe too (issue 22, item 12: `/admin/` signed out logged a 401).
    let anonymous = app.get("/admin/api/auth/session").await;
    assert_eq!(anonymous.status(), 200);
    assert_eq!(
        anonymous.json::<Value>().await.expect("json"),
        json!({"user": null, "csrf_token": null})
    );
    assert_eq!(app.get("/admin/api/auth/me").await.status(), 401);
    let signed_in = get(&op, "/system/api/auth/session").await;
    assert_eq!(signed_in["operator"]["username"], "alice");
    assert_eq!(signed_in["csrf_token"], op.csrf.as_str());
    let me = get(&op, "/system/api/auth/me").await;
    assert_eq!(signed_in["operator"], me["operator"]);
    let token = app.operator_token("alice", &[Capability::RunsView]).await;
    let res = app
        .client()
        .get(app.url("/system/api/auth/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let by_token: Value = json_of(res, 200).await;
    assert_eq!(
        by_token["operator"]["capabilities"],
        json!(["ops.runs.view"])
    );
    assert_eq!(by_token["csrf_token"], Value::Null);
    assert_eq!(
        op.post_json("/system/api/auth/logout", &json!({}))
            .await
            .status()
            .as_u16()
            / 100,
        2
    );
    let after = get(&op, "/system/api/auth/session").await;
    assert_eq!(after, json!({"operator": null, "csrf_token": null}));
}

db_tests!(
    the_session_probe_never_answers_401,
    read_all_marks_only_the_operators_own_notifications,
    alerts_carry_what_is_needed,
    preflights_are_single_use_and_no_change_starts_are_explicit,
    tenants_are_named,
    retry_lineage_settles_rebuilt_tenants,
    retry_confirmation_is_the_phrase_the_retry_needs,
    runs_are_found_by_every_filter,
    items_are_searched_and_exported_safely,
    the_audit_log_is_filtered_by_time_and_exported_in_pages,
);
