//! Operator truth while a run happens (docs/spec.md §18): failures shown as they happen (`retrying`
//! with its next attempt, errors no retry can fix failed at once, error text said once with its
//! SQLSTATE), cancelled items apart from processed work, stalls, a cancel that meets a retry,
//! a worker shutdown that costs no attempt, and the per-minute throughput timeline; and each
//! item's attempts (docs/spec.md §21): every attempt with its own error, the item's duration its
//! last attempt's, a hand-back listing nothing, a lost worker's attempt ended.

use std::time::Duration;

use atlas_ops::context::AppContext;
use atlas_ops::domain::capability::Capability;
use atlas_ops::domain::run::ItemStatus;
use atlas_ops::jobs::{self, BackgroundJob, JobHandle};
use atlas_ops::runs::{query, service};
use atlas_ops_tests::runs::{
    break_tenant, break_tenant_with_constraint, count, drain, execute_jobs, mend_tenant,
    run_due_jobs, seed, start_all_tenants, tenant_ids,
};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app, spawn_app_with_context};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, Statement};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

async fn run_view(app: &TestApp, run_id: i64) -> query::RunView {
    let run = query::find(&app.db, run_id)
        .await
        .expect("find")
        .expect("run");
    query::view(&app.db, &app.ctx.runbooks, run, app.ctx.now())
        .await
        .expect("view")
}

async fn item_of(app: &TestApp, run_id: i64, tenant_id: i64) -> query::ItemView {
    let (items, _) = query::items(&app.db, run_id, None, 1, 100, app.ctx.now())
        .await
        .expect("items");
    items
        .into_iter()
        .find(|i| i.tenant_id == tenant_id)
        .expect("the tenant's item")
}

/// A signed-in operator holding `ops.runs.view` (and the other capabilities).
async fn viewer(app: &TestApp) -> atlas_ops_tests::SessionClient {
    app.create_operator("viewer", &Capability::ALL).await;
    app.login_operator("viewer").await
}

async fn a_constraint_violation_fails_the_tenant_within_one_attempt(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    break_tenant_with_constraint(&app, ids[3]).await;
    let run_id = start_all_tenants(&app, &who).await;
    // No clock move: a retry would never come due, so the run completes only if the broken
    // tenant failed on its first attempt.
    run_due_jobs(&app).await;
    let run = run_view(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("partially_succeeded"));
    assert_eq!(
        (run.counts.succeeded, run.counts.failed, run.counts.retrying),
        (5, 1, 0)
    );
    let item = item_of(&app, run_id, ids[3]).await;
    assert_eq!(item.status, ItemStatus::Failed);
    assert_eq!(item.attempts, 1);
    assert_eq!(item.error_sqlstate.as_deref(), Some("23514"));
    let error = item.error.expect("error");
    let message = error
        .strip_suffix(" (SQLSTATE 23514)")
        .unwrap_or_else(|| panic!("the SQLSTATE ends the text: {error}"));
    assert!(message.contains("constraint"), "{error}");
    // The database's message alone: none of the driver's layers, nothing said twice.
    assert!(
        !error.contains("error returned from database") && !error.contains("Execution Error"),
        "{error}"
    );
    let parts: Vec<&str> = message.split(": ").collect();
    let distinct: std::collections::HashSet<&&str> = parts.iter().collect();
    assert_eq!(parts.len(), distinct.len(), "{error}");
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM jobs").await,
        0,
        "no job is left to retry or buried"
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'runbook.tenant.failed'"
        )
        .await,
        1
    );
}

async fn a_transient_failure_shows_retrying_with_its_next_attempt(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    break_tenant(&app, ids[3]).await;
    let run_id = start_all_tenants(&app, &who).await;
    run_due_jobs(&app).await;
    let run = run_view(&app, run_id).await;
    assert_eq!(run.status.as_str(), "running");
    assert_eq!(
        (
            run.counts.succeeded,
            run.counts.failed,
            run.counts.retrying,
            run.counts.processed
        ),
        (5, 0, 1, 5)
    );
    let job_run_at = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT run_at FROM jobs WHERE kind = 'run.tenant'",
        ))
        .await
        .expect("job")
        .expect("the retry job")
        .try_get::<chrono::DateTime<chrono::Utc>>("", "run_at")
        .expect("run_at");
    // Over the API: unfiltered, the retrying item leads the first page (nothing failed yet).
    let op = viewer(&app).await;
    let first: Value = op
        .get(&format!("/system/api/ops/runs/{run_id}/items?per_page=2"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["items"][0]["status"], "retrying", "{first}");
    assert_eq!(first["items"][0]["tenant_id"], ids[3]);
    // Filtered by the new status.
    let res = op
        .get(&format!(
            "/system/api/ops/runs/{run_id}/items?status=retrying"
        ))
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.expect("json");
    assert_eq!(page["total"], 1, "{page}");
    let item = &page["items"][0];
    assert_eq!(item["tenant_id"], ids[3]);
    assert_eq!(item["status"], "retrying");
    assert_eq!(item["attempts"], 1);
    let next: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(item["next_attempt_at"].clone()).expect("next_attempt_at");
    assert_eq!(
        next.timestamp_millis(),
        job_run_at.timestamp_millis(),
        "the retry job's run-at"
    );
    assert!(next > app.ctx.now());
    let error = item["error"].as_str().expect("error");
    assert_eq!(error.matches("injected failure").count(), 1, "{error}");
    // A raised exception is P0001 on PostgreSQL; SQLite's RAISE has no SQLSTATE.
    let sqlstate = match backend {
        Backend::Sqlite => Value::Null,
        Backend::Postgres => "P0001".into(),
    };
    assert_eq!(item["error_sqlstate"], sqlstate);
    let detail: Value = op
        .get(&format!("/system/api/ops/runs/{run_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["counts"]["retrying"], 1);
    // The next attempt, once due and the tenant mended, succeeds.
    mend_tenant(&app).await;
    app.clock.advance(chrono::Duration::seconds(3));
    run_due_jobs(&app).await;
    let run = run_view(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!((run.counts.succeeded, run.counts.retrying), (6, 0));
    let item = item_of(&app, run_id, ids[3]).await;
    assert_eq!((item.status, item.attempts), (ItemStatus::Succeeded, 2));
    assert_eq!((item.error, item.next_attempt_at), (None, None));
}

async fn a_bad_item_status_filter_names_retrying(backend: Backend) {
    let app = spawn_app(backend).await;
    app.allow_unfinished_jobs();
    let run_id = atlas_ops_tests::runs::queued_run(&app).await;
    let op = viewer(&app).await;
    let res = op
        .get(&format!(
            "/system/api/ops/runs/{run_id}/items?status=waiting"
        ))
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.expect("json");
    assert!(body.to_string().contains("retrying"), "{body}");
}

async fn cancelling_a_run_whose_item_waits_for_a_retry_completes_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    break_tenant(&app, ids[3]).await;
    let run_id = start_all_tenants(&app, &who).await;
    run_due_jobs(&app).await;
    assert_eq!(run_view(&app, run_id).await.counts.retrying, 1);
    let view = service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "stop waiting for it",
        &atlas_ops::auth::RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    assert_eq!(view.status.as_str(), "completed", "the run finalizes");
    assert_eq!(view.outcome.map(|o| o.as_str()), Some("cancelled"));
    let c = view.counts;
    assert_eq!(
        (
            c.succeeded,
            c.failed,
            c.skipped,
            c.processed,
            c.cancelled,
            c.retrying
        ),
        (5, 0, 0, 5, 1, 0)
    );
    assert_eq!(
        item_of(&app, run_id, ids[3]).await.status,
        ItemStatus::Cancelled
    );
}

async fn a_late_retry_of_a_cancelled_run_cancels_its_item(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    break_tenant(&app, ids[3]).await;
    let run_id = start_all_tenants(&app, &who).await;
    // The fan-out and the first three tenants; then a worker takes the broken tenant and is
    // still on it when the run is cancelled.
    execute_jobs(&app, 4).await;
    let held = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
        .await
        .expect("claim")
        .expect("the broken tenant's job");
    let item_id = item_of(&app, run_id, ids[3]).await.id;
    assert_eq!(held.payload["item_id"].as_i64(), Some(item_id));
    service::start_item(
        &app.ctx,
        held.payload["run_id"].as_i64().expect("run"),
        item_id,
        held.attempts,
        &held.worker,
        false,
    )
    .await
    .expect("start");
    let view = service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "cancel during an attempt",
        &atlas_ops::auth::RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    assert_eq!(view.status.as_str(), "running");
    // That worker is lost; the job comes back, its attempt fails, and a retry is scheduled.
    app.clock.advance(chrono::Duration::seconds(31));
    execute_jobs(&app, 1).await;
    assert_eq!(
        item_of(&app, run_id, ids[3]).await.status,
        ItemStatus::Retrying
    );
    assert_eq!(run_view(&app, run_id).await.counts.retrying, 1);
    // The retry finds the run cancelled: the item is cancelled, not rebuilt, and the run ends.
    app.clock.advance(chrono::Duration::seconds(10));
    execute_jobs(&app, 1).await;
    let run = run_view(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("cancelled"));
    let c = run.counts;
    assert_eq!(
        (c.succeeded, c.processed, c.cancelled, c.retrying),
        (3, 3, 3, 0)
    );
    let item = item_of(&app, run_id, ids[3]).await;
    assert_eq!((item.status, item.attempts), (ItemStatus::Cancelled, 2));
}

async fn a_cancelled_run_reads_its_real_progress_and_a_cancelling_one_has_no_eta(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_all_tenants(&app, &who).await;
    // Fan out, rebuild one tenant, and leave a second one running (a worker on it).
    execute_jobs(&app, 2).await;
    app.clock.advance(chrono::Duration::seconds(2));
    let held = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
        .await
        .expect("claim")
        .expect("a tenant job");
    let held_item = held.payload["item_id"].as_i64().expect("item");
    assert_eq!(
        service::start_item(
            &app.ctx,
            held.payload["run_id"].as_i64().expect("run"),
            held_item,
            held.attempts,
            &held.worker,
            false
        )
        .await
        .expect("start"),
        service::Started::Started
    );
    assert!(run_view(&app, run_id).await.eta_seconds.is_some());
    let view = service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "enough of this run",
        &atlas_ops::auth::RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    assert_eq!(view.status.as_str(), "running", "one item is still running");
    assert_eq!(view.eta_seconds, None, "no ETA while cancelling");
    let c = view.counts;
    assert_eq!(
        (c.total, c.processed, c.succeeded, c.skipped, c.cancelled),
        (6, 1, 1, 0, 4)
    );
    assert_eq!(view.progress_percent, 16.7);
    // The running item finishes; the run completes cancelled with 2 of 6 done.
    let finished = app.ctx.jobs.run(&app.ctx, &held).await;
    assert!(finished.is_ok(), "{finished:?}");
    assert!(jobs::complete(&app.db, &held).await.expect("complete"));
    let run = run_view(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("cancelled"));
    let c = run.counts;
    assert_eq!(
        (c.processed, c.succeeded, c.skipped, c.cancelled),
        (2, 2, 0, 4)
    );
    assert_eq!(c.processed, c.succeeded + c.failed + c.skipped);
    assert_eq!(run.progress_percent, 33.3);
    assert_eq!(run.eta_seconds, None);
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM notifications WHERE body LIKE '%2 succeeded, 0 failed, 0 skipped, 4 cancelled;%'"
        )
        .await,
        1,
        "the notification names the cancelled tenants"
    );
}

async fn a_run_with_no_item_finishing_is_stalled_on_its_longest_running_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    app.allow_unfinished_jobs();
    let who = seed(&app).await;
    let run_id = start_all_tenants(&app, &who).await;
    execute_jobs(&app, 2).await;
    // A worker takes the next tenant and hangs on it.
    let hung = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(600))
        .await
        .expect("claim")
        .expect("a tenant job");
    let hung_item = hung.payload["item_id"].as_i64().expect("item");
    service::start_item(
        &app.ctx,
        hung.payload["run_id"].as_i64().expect("run"),
        hung_item,
        hung.attempts,
        &hung.worker,
        false,
    )
    .await
    .expect("start");
    let tenant_id = count(
        &app.db,
        &format!("SELECT tenant_id FROM run_items WHERE id = {hung_item}"),
    )
    .await;
    // A second worker hangs on the tenant after it, a moment later.
    let second = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(600))
        .await
        .expect("claim")
        .expect("another tenant job");
    let second_item = second.payload["item_id"].as_i64().expect("item");
    app.clock.advance(chrono::Duration::seconds(1));
    service::start_item(
        &app.ctx,
        second.payload["run_id"].as_i64().expect("run"),
        second_item,
        second.attempts,
        &second.worker,
        false,
    )
    .await
    .expect("start");
    let progressed = run_view(&app, run_id).await;
    assert_eq!(progressed.stalled, None);
    let op = viewer(&app).await;
    let path = format!("/system/api/ops/runs/{run_id}");
    let first = op.get(&path).await;
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    // The finished tenant took 20 s: the stall threshold is 5 × 20 s, not 30 s.
    app.db
        .execute_unprepared(&format!(
            "UPDATE run_items SET started_at = '{}' WHERE run_id = {run_id} AND status = 'succeeded'",
            (app.ctx.now() - chrono::Duration::seconds(20)).to_rfc3339()
        ))
        .await
        .expect("backdate");
    app.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(run_view(&app, run_id).await.stalled, None, "under 100 s");
    let unchanged = op
        .client
        .get(op.address.clone() + &path)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(unchanged.status(), 304);
    app.clock.advance(chrono::Duration::seconds(70));
    let stalled = run_view(&app, run_id)
        .await
        .stalled
        .expect("stalled after 5 × the median item time");
    assert_eq!(stalled.tenant_id, tenant_id);
    assert!(stalled.tenant_external_id.starts_with("tenant-"));
    // Both hung tenants are named: the longest-running one, then the other.
    assert_eq!(stalled.running, 2);
    let second_tenant: String = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!(
                "SELECT t.external_id FROM run_items i JOIN tenants t ON t.id = i.tenant_id \
                 WHERE i.id = {second_item}"
            ),
        ))
        .await
        .expect("query")
        .expect("the second item")
        .try_get_by_index(0)
        .expect("external id");
    assert_eq!(stalled.others, [second_tenant], "{stalled:?}");
    assert_eq!(
        Some(stalled.since.timestamp()),
        progressed.last_progress_at.map(|t| t.timestamp()),
        "since the last item finished"
    );
    // The ETag changes with the stall, so a polling client sees it.
    let res = op
        .client
        .get(op.address.clone() + &path)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_ne!(res.headers()["etag"].to_str().expect("etag"), etag);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["stalled"]["tenant_id"], tenant_id);
    // The tenant finishes: the stall is over.
    let finished = app.ctx.jobs.run(&app.ctx, &hung).await;
    assert!(finished.is_ok(), "{finished:?}");
    assert_eq!(run_view(&app, run_id).await.stalled, None);
}

async fn the_timeline_counts_items_per_minute_over_the_run(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    break_tenant_with_constraint(&app, ids[5]).await;
    let run_id = start_all_tenants(&app, &who).await;
    // Two tenants in the first minute, none in the second, the rest in the third.
    execute_jobs(&app, 3).await;
    app.clock.advance(chrono::Duration::seconds(120));
    let run = drain(&app, run_id).await;
    let op = viewer(&app).await;
    let res = op
        .get(&format!("/system/api/ops/runs/{run_id}/timeline"))
        .await;
    assert_eq!(res.status(), 200);
    let buckets: Vec<Value> = res.json().await.expect("json");
    let minutes: Vec<chrono::DateTime<chrono::Utc>> = buckets
        .iter()
        .map(|b| serde_json::from_value(b["minute"].clone()).expect("minute"))
        .collect();
    assert_eq!(minutes.len(), 3, "{buckets:?}");
    for pair in minutes.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            chrono::Duration::minutes(1),
            "contiguous"
        );
    }
    let started = run.started_at.expect("started");
    assert_eq!(
        minutes[0].timestamp(),
        started.timestamp() - started.timestamp() % 60
    );
    let column = |name: &str| -> Vec<i64> {
        buckets
            .iter()
            .map(|b| b[name].as_i64().expect("count"))
            .collect()
    };
    let (succeeded, failed) = (column("succeeded"), column("failed"));
    assert_eq!(succeeded.iter().sum::<i64>(), 5);
    assert_eq!(failed.iter().sum::<i64>(), 1);
    assert_eq!(succeeded[0], 2, "{buckets:?}");
    assert_eq!(succeeded[1] + failed[1], 0, "an empty minute is a bucket");
    // Unknown run: 404; without ops.runs.view: 403.
    assert_eq!(
        op.get("/system/api/ops/runs/999999/timeline")
            .await
            .status(),
        404
    );
    app.create_operator("blind", &[Capability::RunbooksView])
        .await;
    let blind = app.login_operator("blind").await;
    assert_eq!(
        blind
            .get(&format!("/system/api/ops/runs/{run_id}/timeline"))
            .await
            .status(),
        403
    );
}

async fn the_timeline_as_of_a_run_view_agrees_with_its_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    app.allow_unfinished_jobs();
    let who = seed(&app).await;
    let run_id = start_all_tenants(&app, &who).await;
    let op = viewer(&app).await;
    // The fan-out and two tenants; the console reads the run view...
    execute_jobs(&app, 3).await;
    let view: Value = op
        .get(&format!("/system/api/ops/runs/{run_id}"))
        .await
        .json()
        .await
        .expect("json");
    let shown = view["counts"]["succeeded"].as_i64().expect("succeeded")
        + view["counts"]["failed"].as_i64().expect("failed");
    assert_eq!(shown, 2);
    // ...two more tenants finish before it asks for the chart.
    app.clock.advance(chrono::Duration::seconds(5));
    execute_jobs(&app, 2).await;
    let finished = |buckets: &[Value]| -> i64 {
        buckets
            .iter()
            .map(|b| b["succeeded"].as_i64().expect("n") + b["failed"].as_i64().expect("n"))
            .sum()
    };
    let until = view["updated_at"].as_str().expect("updated_at");
    let as_of: Vec<Value> = op
        .get(&format!(
            "/system/api/ops/runs/{run_id}/timeline?until={until}"
        ))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        finished(&as_of),
        shown,
        "the chart as of the view: {as_of:?}"
    );
    let latest: Vec<Value> = op
        .get(&format!("/system/api/ops/runs/{run_id}/timeline"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(finished(&latest), 4, "{latest:?}");
    // A bad instant or an unknown parameter is a 422 problem naming the query.
    for query in [
        "until=yesterday",
        "until=2030-13-01T00:00:00Z",
        "since=2030-01-01T00:00:00Z",
    ] {
        let res = op
            .get(&format!("/system/api/ops/runs/{run_id}/timeline?{query}"))
            .await;
        assert_eq!(res.status(), 422, "{query}");
        let problem: Value = res.json().await.expect("json");
        assert!(problem["errors"]["query"].is_array(), "{query}: {problem}");
    }
}

/// A test job that works until it is stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Endless {
    tag: String,
}

impl BackgroundJob for Endless {
    const JOB_NAME: &'static str = "test.endless";

    fn run<'a>(
        &'a self,
        _ctx: &'a AppContext,
        _job: &'a JobHandle,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        })
    }
}

async fn a_worker_shutdown_hands_the_job_back_without_counting_an_attempt(backend: Backend) {
    let app = spawn_app_with_context(
        backend,
        |s| {
            s.worker_shutdown_grace = Duration::from_millis(200);
            s.worker_poll = Duration::from_millis(20);
        },
        |ctx| {
            let registry = (*ctx.jobs).clone().register::<Endless>();
            ctx.jobs = std::sync::Arc::new(registry);
        },
    )
    .await;
    // The endless job is left in the queue on purpose.
    app.allow_unfinished_jobs();
    let job = Endless {
        tag: "in hand at shutdown".into(),
    };
    jobs::enqueue(&app.db, &job, None, app.ctx.now())
        .await
        .expect("enqueue");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let workers = jobs::worker::spawn(&app.ctx, 1, &shutdown);
    assert!(
        atlas_ops_tests::runs::wait_until(
            &app,
            "SELECT COUNT(*) FROM jobs WHERE status = 'running' AND attempts = 1",
            Duration::from_secs(10)
        )
        .await,
        "the worker took the job"
    );
    shutdown.cancel();
    for worker in workers {
        tokio::time::timeout(Duration::from_secs(10), worker)
            .await
            .expect("the worker stops within its grace")
            .expect("join");
    }
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'test.endless' AND status = 'pending' \
             AND attempts = 0 AND lease_token IS NULL AND last_error IS NULL"
        )
        .await,
        1,
        "handed back, its attempt not counted"
    );
    let claimed = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
        .await
        .expect("claim")
        .expect("due at once");
    assert_eq!(claimed.attempts, 1);
}

/// `GET /ops/runs/{run_id}/items/{item_id}/attempts` as `op` sees it: the status and the body.
async fn attempts_of(
    op: &atlas_ops_tests::SessionClient,
    run_id: i64,
    item_id: i64,
) -> (u16, Value) {
    let res = op
        .get(&format!(
            "/system/api/ops/runs/{run_id}/items/{item_id}/attempts"
        ))
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.expect("json"))
}

fn instant(value: &Value) -> chrono::DateTime<chrono::Utc> {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

async fn an_item_that_failed_once_then_succeeded_lists_both_attempts(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    break_tenant(&app, ids[3]).await;
    let run_id = start_all_tenants(&app, &who).await;
    run_due_jobs(&app).await;
    let item_id = item_of(&app, run_id, ids[3]).await.id;
    let op = viewer(&app).await;
    // Between attempts: the first attempt, ended with its error.
    let (status, body) = attempts_of(&op, run_id, item_id).await;
    assert_eq!(status, 200, "{body}");
    let list = body["items"].as_array().expect("items");
    assert_eq!(list.len(), 1, "{body}");
    assert_eq!(list[0]["attempt"], 1);
    assert!(list[0]["finished_at"].is_string(), "{body}");
    let first_error = list[0]["error"].as_str().expect("error").to_owned();
    assert!(first_error.contains("injected failure"), "{first_error}");
    // A raised exception is P0001 on PostgreSQL; SQLite's RAISE has no SQLSTATE.
    let sqlstate = match backend {
        Backend::Sqlite => Value::Null,
        Backend::Postgres => "P0001".into(),
    };
    assert_eq!(list[0]["error_sqlstate"], sqlstate);
    let worker = list[0]["worker"].as_str().expect("worker");
    assert!(
        worker.contains(&format!("pid {}", std::process::id())),
        "{worker}"
    );

    // The retry comes due 2 s later, after the tenant is mended, and succeeds.
    mend_tenant(&app).await;
    app.clock.advance(chrono::Duration::seconds(5));
    run_due_jobs(&app).await;
    let run = run_view(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    let (_, body) = attempts_of(&op, run_id, item_id).await;
    let list = body["items"].as_array().expect("items");
    assert_eq!(list.len(), 2, "{body}");
    assert_eq!(
        list.iter()
            .map(|a| a["attempt"].clone())
            .collect::<Vec<_>>(),
        [1, 2],
        "oldest first"
    );
    assert_eq!(
        list[0]["error"],
        first_error.as_str(),
        "the first error is kept"
    );
    assert_eq!(list[0]["error_sqlstate"], sqlstate);
    assert_eq!(
        (&list[1]["error"], &list[1]["error_sqlstate"]),
        (&Value::Null, &Value::Null)
    );
    let (second_started, second_finished) = (
        instant(&list[1]["started_at"]),
        instant(&list[1]["finished_at"]),
    );
    assert!(second_started >= instant(&list[0]["finished_at"]) + chrono::Duration::seconds(5));

    // The item keeps only the last error (none), and its duration is its last attempt's, not
    // its first start to its completion (which holds the 5 s wait for the retry).
    let page: Value = op
        .get(&format!(
            "/system/api/ops/runs/{run_id}/items?search={}",
            item_of(&app, run_id, ids[3]).await.tenant_external_id
        ))
        .await
        .json()
        .await
        .expect("json");
    let item = &page["items"][0];
    assert_eq!(item["id"], item_id);
    assert_eq!(
        (item["attempts"].clone(), item["error"].clone()),
        (json!(2), Value::Null)
    );
    assert_eq!(
        item["duration_seconds"],
        (second_finished - second_started).num_seconds()
    );
    let whole = instant(&item["completed_at"]) - instant(&item["started_at"]);
    assert!(whole >= chrono::Duration::seconds(5), "{item}");
    assert!(
        item["duration_seconds"].as_i64().expect("duration") < 5,
        "{item}"
    );
    // Every other item ran once; no attempt is left open.
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM run_item_attempts").await,
        7
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM run_item_attempts WHERE finished_at IS NULL"
        )
        .await,
        0
    );
}

async fn an_item_s_attempts_are_404_outside_its_run_and_need_runs_view(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    let run_id = start_all_tenants(&app, &who).await;
    drain(&app, run_id).await;
    let item_id = item_of(&app, run_id, ids[0]).await.id;
    let op = viewer(&app).await;
    let (status, body) = attempts_of(&op, run_id, item_id).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1), "{body}");
    // An unknown run, an unknown item, and an item of another run: 404 problems.
    for (run, item) in [(run_id + 100, item_id), (run_id, item_id + 1000)] {
        let (status, problem) = attempts_of(&op, run, item).await;
        assert_eq!(status, 404, "run {run} item {item}: {problem}");
    }
    let other = atlas_ops_tests::runs::preflight_and_start(
        &app,
        atlas_ops::domain::run::Scope::Tenant { tenant_id: ids[1] },
        &who,
    )
    .await
    .run
    .id;
    drain(&app, other).await;
    let (status, problem) = attempts_of(&op, other, item_id).await;
    assert_eq!(
        status, 404,
        "an item of run {run_id} asked of run {other}: {problem}"
    );
    assert_eq!(problem["status"], 404);
    // A malformed id is a 422 naming the path.
    let res = op
        .get(&format!(
            "/system/api/ops/runs/{run_id}/items/first/attempts"
        ))
        .await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.expect("json");
    assert!(problem["errors"]["path"].is_array(), "{problem}");
    // Without ops.runs.view: 403, however real the item.
    app.create_operator("catalogue", &[Capability::RunbooksView])
        .await;
    let catalogue_only = app.login_operator("catalogue").await;
    let (status, problem) = attempts_of(&catalogue_only, run_id, item_id).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "forbidden");
}

async fn a_handed_back_attempt_is_not_listed_and_a_lost_worker_s_attempt_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    let run_id = atlas_ops_tests::runs::preflight_and_start(
        &app,
        atlas_ops::domain::run::Scope::Tenant { tenant_id: ids[0] },
        &who,
    )
    .await
    .run
    .id;
    execute_jobs(&app, 1).await;
    // A worker takes the run's tenant and is shut down before it finishes: the job and the item
    // go back, the attempt counted nowhere (docs/spec.md §19), so not listed either.
    let held = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
        .await
        .expect("claim")
        .expect("a tenant job");
    let item_id = held.payload["item_id"].as_i64().expect("item");
    assert_eq!(
        service::start_item(
            &app.ctx,
            held.payload["run_id"].as_i64().expect("run"),
            item_id,
            held.attempts,
            "host-a pid 1 worker 0",
            false
        )
        .await
        .expect("start"),
        service::Started::Started
    );
    let op = viewer(&app).await;
    let (_, body) = attempts_of(&op, run_id, item_id).await;
    assert_eq!(
        body["items"][0]["worker"], "host-a pid 1 worker 0",
        "{body}"
    );
    assert_eq!(body["items"][0]["finished_at"], Value::Null, "{body}");
    let txn = atlas_ops::db::begin_write(&app.db).await.expect("begin");
    assert!(
        jobs::release(&txn, &held, app.ctx.now())
            .await
            .expect("release")
    );
    app.ctx
        .jobs
        .handed_back(&app.ctx, &held, &txn)
        .await
        .expect("handed back");
    txn.commit().await.expect("commit");
    let (_, body) = attempts_of(&op, run_id, item_id).await;
    assert_eq!(body["items"], json!([]), "{body}");

    // The next worker takes it (attempt 1 again) and is lost inside it; once its lease runs
    // out another worker takes the job over (attempt 2) and finishes the tenant.
    let lost = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
        .await
        .expect("claim")
        .expect("the job again");
    assert_eq!(lost.payload["item_id"].as_i64(), Some(item_id));
    assert_eq!(lost.attempts, 1);
    assert_eq!(
        service::start_item(
            &app.ctx,
            lost.payload["run_id"].as_i64().expect("run"),
            item_id,
            lost.attempts,
            "host-b pid 2 worker 1",
            false
        )
        .await
        .expect("start"),
        service::Started::Started
    );
    app.clock.advance(chrono::Duration::seconds(31));
    execute_jobs(&app, 1).await;
    let item = item_of(&app, run_id, ids[0]).await;
    assert_eq!((item.status, item.attempts), (ItemStatus::Succeeded, 2));
    let (_, body) = attempts_of(&op, run_id, item_id).await;
    let list = body["items"].as_array().expect("items");
    assert_eq!(list.len(), 2, "{body}");
    assert_eq!(list[0]["attempt"], 1);
    assert_eq!(list[0]["worker"], "host-b pid 2 worker 1");
    assert_eq!(list[0]["error"], atlas_ops::runs::attempts::WORKER_LOST);
    assert_eq!(list[0]["finished_at"], list[1]["started_at"]);
    assert_eq!(
        (list[1]["attempt"].clone(), list[1]["error"].clone()),
        (json!(2), Value::Null)
    );
    assert_ne!(list[1]["worker"], "host-b pid 2 worker 1");
    drain(&app, run_id).await;
}

/// Runs cancelled before this change counted their cancelled items as skipped and processed:
/// the migration moves them to `cancelled` (and its `down` moves them back).
async fn the_migration_moves_old_cancelled_runs_to_the_new_counting(backend: Backend) {
    use migration::{Migrator, MigratorTrait};

    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_all_tenants(&app, &who).await;
    execute_jobs(&app, 2).await;
    service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "cancelled before the upgrade",
        &atlas_ops::auth::RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    let counts = "SELECT processed * 1000 + skipped * 100 + cancelled * 10 + succeeded \
                  FROM operation_runs";
    assert_eq!(count(&app.db, counts).await, 1051);
    // Down past this migration (and the index migration after it) to the old counting.
    let after = Migrator::get_migration_files()
        .iter()
        .rev()
        .take_while(|m| m.name() != "m20261201_000001_add_run_truth_columns")
        .count() as u32;
    Migrator::down(&app.db, Some(after + 1))
        .await
        .expect("down");
    let old = "SELECT processed * 100 + skipped * 10 + succeeded FROM operation_runs";
    assert_eq!(count(&app.db, old).await, 651, "the old counting");
    Migrator::up(&app.db, None).await.expect("up");
    assert_eq!(count(&app.db, counts).await, 1051);
    assert_eq!(run_view(&app, run_id).await.progress_percent, 16.7);
}

db_tests!(
    an_item_that_failed_once_then_succeeded_lists_both_attempts,
    an_item_s_attempts_are_404_outside_its_run_and_need_runs_view,
    a_handed_back_attempt_is_not_listed_and_a_lost_worker_s_attempt_ends,
    the_migration_moves_old_cancelled_runs_to_the_new_counting,
    a_constraint_violation_fails_the_tenant_within_one_attempt,
    a_transient_failure_shows_retrying_with_its_next_attempt,
    a_bad_item_status_filter_names_retrying,
    cancelling_a_run_whose_item_waits_for_a_retry_completes_it,
    a_late_retry_of_a_cancelled_run_cancels_its_item,
    a_cancelled_run_reads_its_real_progress_and_a_cancelling_one_has_no_eta,
    a_run_with_no_item_finishing_is_stalled_on_its_longest_running_tenant,
    the_timeline_counts_items_per_minute_over_the_run,
    the_timeline_as_of_a_run_view_agrees_with_its_counts,
    a_worker_shutdown_hands_the_job_back_without_counting_an_attempt,
);
