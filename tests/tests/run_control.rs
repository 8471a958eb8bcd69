//! Run control (docs/spec.md §13): pause and resume, the concurrency cap enforced where jobs are
//! claimed, the failure budget, waves with canary tenants, options as part of a run's
//! identity, fairness between runs, and what a waiting run says it waits for.

use std::collections::BTreeSet;
use std::time::Duration;

use atlas_ops::auth::RequestMeta;
use atlas_ops::domain::capability::Capability;
use atlas_ops::domain::control::{FailureBudget, RunOptions};
use atlas_ops::domain::run::{ItemStatus, PauseReason, RunStatus, Scope};
use atlas_ops::jobs::worker::{Tick, try_execute_one};
use atlas_ops::jobs::{self, HandBack};
use atlas_ops::runs::control::{self, WaitReason};
use atlas_ops::runs::start::{StartedRun, start};
use atlas_ops::runs::{Initiator, RunError, query, service};
use atlas_ops_tests::runs::{
    count, drain, execute_jobs, expected_after, preflight_of, run_due_jobs, seed, snapshot,
    start_request, tenant_ids,
};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app, spawn_app_with};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

async fn run_view(app: &TestApp, run_id: i64) -> query::RunView {
    let run = query::find(&app.db, run_id)
        .await
        .expect("find")
        .expect("run");
    query::view(&app.db, &app.ctx.runbooks, run, app.ctx.now())
        .await
        .expect("view")
}

fn meta() -> RequestMeta {
    RequestMeta::from_source("cli")
}

/// Preflight + start over all tenants with `options`.
async fn start_with(
    app: &TestApp,
    who: &Initiator,
    options: RunOptions,
) -> Result<StartedRun, RunError> {
    let pf = preflight_of(app, Scope::AllTenants, who).await;
    let mut req = start_request(&pf, Some(who));
    req.allow_no_changes = true;
    req.options = options;
    start(&app.ctx, req).await
}

/// Items of `run_id` in `status`, by tenant id.
async fn tenants_with(app: &TestApp, run_id: i64, status: ItemStatus) -> BTreeSet<i64> {
    let (items, _) = query::items(&app.db, run_id, None, 1, 100, app.ctx.now())
        .await
        .expect("items");
    items
        .into_iter()
        .filter(|i| i.status == status)
        .map(|i| i.tenant_id)
        .collect()
}

/// Makes every update of these tenants' findings fail on a check constraint (an error no
/// retry can fix: each fails on its first attempt).
async fn break_tenants(app: &TestApp, tenants: &[i64]) {
    let list: Vec<String> = tenants.iter().map(i64::to_string).collect();
    let list = list.join(", ");
    let table = "CREATE TABLE injected_check (tenant_id BIGINT NOT NULL CHECK (tenant_id < 0))";
    let sql = match app.backend {
        Backend::Sqlite => vec![
            table.to_owned(),
            format!(
                "CREATE TRIGGER break_tenants BEFORE UPDATE ON findings WHEN NEW.tenant_id IN ({list}) \
                 BEGIN INSERT INTO injected_check VALUES (NEW.tenant_id); END"
            ),
        ],
        Backend::Postgres => vec![
            table.to_owned(),
            format!(
                "CREATE FUNCTION break_tenants() RETURNS trigger AS $$ BEGIN \
                 IF NEW.tenant_id IN ({list}) THEN INSERT INTO injected_check VALUES (NEW.tenant_id); END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER break_tenants BEFORE UPDATE ON findings FOR EACH ROW EXECUTE FUNCTION break_tenants()".into(),
        ],
    };
    for s in sql {
        app.db.execute_unprepared(&s).await.expect("trigger");
    }
}

async fn exactly_one(app: &TestApp, sql: &str) {
    assert_eq!(count(&app.db, sql).await, 1, "{sql}");
}

async fn a_capped_run_never_runs_more_items_than_its_cap(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.worker_poll = Duration::from_millis(20)).await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    let options = RunOptions {
        max_concurrency: Some(2),
        ..Default::default()
    };
    let run_id = start_with(&app, &who, options).await.expect("start").run.id;
    let shutdown = CancellationToken::new();
    let workers = jobs::worker::spawn(&app.ctx, 4, &shutdown);
    let mut most = 0;
    let mut samples = 0;
    loop {
        let running = count(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND status = 'running'"
            ),
        )
        .await;
        let claimed = count(
            &app.db,
            &format!("SELECT COUNT(*) FROM jobs WHERE group_id = {run_id} AND status = 'running'"),
        )
        .await;
        most = most.max(running).max(claimed);
        samples += 1;
        let done = count(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM operation_runs WHERE id = {run_id} AND status = 'completed'"
            ),
        )
        .await;
        if done == 1 {
            break;
        }
        assert!(samples < 20_000, "the run never completed");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    shutdown.cancel();
    for worker in workers {
        worker.await.expect("worker");
    }
    assert!(most <= 2, "{most} items ran at once under a cap of 2");
    let run = run_view(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!((run.counts.succeeded, run.counts.running), (6, 0));
    assert_eq!(run.options.max_concurrency, Some(2));
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
}

async fn a_paused_run_starts_nothing_until_it_is_resumed(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    // The fan-out and two tenants; a worker then takes a third tenant's job and starts it.
    execute_jobs(&app, 3).await;
    let lease = chrono::Duration::seconds(30);
    let in_flight = jobs::claim(&app.db, app.ctx.now(), lease)
        .await
        .expect("claim")
        .expect("a tenant job");
    let item = in_flight.payload["item_id"].as_i64().expect("item");
    assert_eq!(
        service::start_item(&app.ctx, run_id, item, 1, &in_flight.worker, false)
            .await
            .expect("start"),
        service::Started::Started
    );
    // Another worker claims a fourth tenant's job just before the pause.
    let raced = jobs::claim(&app.db, app.ctx.now(), lease)
        .await
        .expect("claim")
        .expect("another tenant job");
    app.clock.advance(chrono::Duration::seconds(1));
    let paused = control::pause(
        &app.ctx,
        run_id,
        Some(&who),
        "checking the first tenants",
        &meta(),
    )
    .await
    .expect("pause");
    assert_eq!(paused.status, RunStatus::Paused);
    let pause = paused.pause.clone().expect("pause facet");
    assert_eq!(pause.reason, PauseReason::Operator);
    assert_eq!(pause.by.map(|b| b.username), Some("runner".into()));
    assert_eq!(pause.text.as_deref(), Some("checking the first tenants"));
    assert_eq!(paused.counts.running, 1, "the in-flight tenant is shown");
    assert_eq!(paused.eta_seconds, None);
    assert_eq!(
        paused.waiting_for.map(|w| w.reason),
        Some(WaitReason::Paused)
    );
    // The raced job may not start: it goes back, its attempt not counted, its item pending.
    let raced_item = raced.payload["item_id"].as_i64().expect("item");
    let refused = app
        .ctx
        .jobs
        .run(&app.ctx, &raced)
        .await
        .expect_err("handed back");
    assert!(refused.is::<HandBack>(), "{refused:?}");
    assert_eq!(
        count(&app.db, &format!("SELECT COUNT(*) FROM run_items WHERE id = {raced_item} AND status = 'pending' AND attempts = 0")).await,
        1
    );
    // While paused nothing is claimed, however late it gets, and a second pause is refused.
    app.clock.advance(chrono::Duration::seconds(600));
    assert_eq!(try_execute_one(&app.ctx).await.expect("poll"), Tick::Empty);
    let again = control::pause(
        &app.ctx,
        run_id,
        Some(&who),
        "pausing it once more",
        &meta(),
    )
    .await;
    assert!(matches!(again, Err(RunError::State { .. })), "{again:?}");
    // The in-flight tenant finishes and counts while paused.
    app.ctx
        .jobs
        .run(&app.ctx, &in_flight)
        .await
        .expect("the in-flight tenant");
    assert!(jobs::complete(&app.db, &in_flight).await.expect("complete"));
    let view = run_view(&app, run_id).await;
    assert_eq!(
        (view.status, view.counts.processed, view.counts.running),
        (RunStatus::Paused, 3, 0)
    );
    let paused_at = pause.since;
    let started_while_paused = count(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND started_at > '{}'",
            paused_at.to_rfc3339()
        ),
    )
    .await;
    assert_eq!(started_while_paused, 0);
    // Resume: the rest runs, the data is the independent recomputation's.
    app.clock.advance(chrono::Duration::seconds(5));
    let resumed = control::resume(
        &app.ctx,
        run_id,
        Some(&who),
        "first tenants look right",
        &meta(),
    )
    .await
    .expect("resume");
    assert_eq!((resumed.status, resumed.pause), (RunStatus::Running, None));
    let again = control::resume(
        &app.ctx,
        run_id,
        Some(&who),
        "resuming it twice over",
        &meta(),
    )
    .await;
    assert!(matches!(again, Err(RunError::State { .. })), "{again:?}");
    let run = drain(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!(
        (
            run.counts.processed,
            run.counts.succeeded,
            run.counts.running
        ),
        (6, 6, 0)
    );
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    // Every item started before the pause or after the resume; active time leaves the pause out.
    let during = count(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND started_at > '{}' \
             AND started_at < '{}'",
            paused_at.to_rfc3339(),
            resumed.updated_at.to_rfc3339()
        ),
    )
    .await;
    assert_eq!(during, 0);
    assert!(run.active_seconds < 600, "{} s active", run.active_seconds);
    let audits = count(
        &app.db,
        "SELECT COUNT(*) FROM audit_events WHERE action IN ('runbook.run.paused', 'runbook.run.resumed')",
    )
    .await;
    assert_eq!(audits, 2);
}

async fn a_paused_run_can_be_cancelled(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    execute_jobs(&app, 2).await;
    control::pause(
        &app.ctx,
        run_id,
        Some(&who),
        "something looks wrong",
        &meta(),
    )
    .await
    .expect("pause");
    let cancelled = service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "it was the wrong runbook",
        &meta(),
    )
    .await
    .expect("cancel");
    assert_eq!(cancelled.status, RunStatus::Completed);
    assert_eq!(cancelled.outcome.map(|o| o.as_str()), Some("cancelled"));
    assert_eq!(
        (cancelled.counts.processed, cancelled.counts.cancelled),
        (1, 5)
    );
    assert_eq!(cancelled.pause, None);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM job_groups").await, 0);
    run_due_jobs(&app).await;
    let resumed = control::resume(
        &app.ctx,
        run_id,
        Some(&who),
        "resume a finished run",
        &meta(),
    )
    .await;
    assert!(
        matches!(resumed, Err(RunError::State { .. })),
        "{resumed:?}"
    );
}

async fn the_failure_budget_pauses_the_run_once_and_a_resume_counts_afresh(backend: Backend) {
    let hook = atlas_ops_tests::webhook::start().await;
    let url = hook.url.clone();
    let app = spawn_app_with(backend, move |s| s.alert_webhook_url = Some(url)).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    break_tenants(&app, &ids[..3]).await;
    let options = RunOptions {
        failure_budget: Some(FailureBudget { max_failed: 1 }),
        ..Default::default()
    };
    let run_id = start_with(&app, &who, options).await.expect("start").run.id;
    // The fan-out and the first two tenants, which both fail: one more than the budget.
    run_due_jobs(&app).await;
    let paused = run_view(&app, run_id).await;
    assert_eq!(paused.status, RunStatus::Paused);
    assert_eq!((paused.counts.processed, paused.counts.failed), (2, 2));
    let pause = paused.pause.clone().expect("pause");
    assert_eq!(
        (pause.reason, pause.by.clone()),
        (PauseReason::FailureBudget, None)
    );
    assert!(
        pause
            .text
            .as_deref()
            .unwrap_or("")
            .contains("failure budget allows 1"),
        "{pause:?}"
    );
    exactly_one(
        &app,
        "SELECT COUNT(*) FROM notifications WHERE kind = 'OperationRunPaused'",
    )
    .await;
    exactly_one(
        &app,
        "SELECT COUNT(*) FROM alert_deliveries WHERE kind = 'operation_run.paused'",
    )
    .await;
    exactly_one(
        &app,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'runbook.run.paused'",
    )
    .await;
    // Resumed, the third broken tenant is the first failure since: within the budget.
    control::resume(
        &app.ctx,
        run_id,
        Some(&who),
        "two failures are known",
        &meta(),
    )
    .await
    .expect("resume");
    let run = drain(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("partially_succeeded"));
    assert_eq!((run.counts.failed, run.counts.succeeded), (3, 3));
    exactly_one(
        &app,
        "SELECT COUNT(*) FROM notifications WHERE kind = 'OperationRunPaused'",
    )
    .await;
    exactly_one(
        &app,
        "SELECT COUNT(*) FROM alert_deliveries WHERE kind = 'operation_run.paused'",
    )
    .await;
    // The completion alert is written too: alerts are unique per kind and episode, not per run.
    exactly_one(
        &app,
        "SELECT COUNT(*) FROM alert_deliveries WHERE kind = 'operation_run.completed'",
    )
    .await;
    exactly_one(
        &app,
        "SELECT COUNT(*) FROM notifications WHERE kind = 'OperationRunCompleted'",
    )
    .await;
}

async fn waves_run_the_canary_tenants_first_and_pause_at_each_gate(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    let ids = tenant_ids(&app).await;
    let canary = vec![ids[5], ids[2], ids[4]];
    let options = RunOptions {
        waves: Some(vec![3]),
        canary_tenant_ids: Some(canary.clone()),
        ..Default::default()
    };
    let run_id = start_with(&app, &who, options).await.expect("start").run.id;
    let queued = run_view(&app, run_id).await;
    assert_eq!(queued.wave.map(|w| (w.current, w.of)), Some((1, 2)));
    run_due_jobs(&app).await;
    let gated = run_view(&app, run_id).await;
    assert_eq!(gated.status, RunStatus::Paused);
    assert_eq!(
        gated.pause.as_ref().map(|p| p.reason),
        Some(PauseReason::WaveGate)
    );
    assert_eq!(gated.counts.processed, 3);
    assert_eq!(
        tenants_with(&app, run_id, ItemStatus::Succeeded).await,
        canary.iter().copied().collect()
    );
    assert_eq!(
        gated.waiting_for.map(|w| w.reason),
        Some(WaitReason::WaveGate)
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'OperationRunPaused'"
        )
        .await,
        1
    );
    // The canary tenants ran in the given order.
    let (items, _) = query::items(&app.db, run_id, None, 1, 100, app.ctx.now())
        .await
        .expect("items");
    let mut started: Vec<_> = items
        .iter()
        .filter(|i| i.started_at.is_some())
        .map(|i| (i.started_at, i.id, i.tenant_id))
        .collect();
    started.sort();
    let order: Vec<i64> = started.iter().map(|s| s.2).collect();
    let positions = count(
        &app.db,
        &format!(
            "SELECT SUM(CASE WHEN (tenant_id = {} AND ordinal = 1) OR (tenant_id = {} AND ordinal = 2) \
             OR (tenant_id = {} AND ordinal = 3) THEN 1 ELSE 0 END) FROM run_items WHERE run_id = {run_id}",
            canary[0], canary[1], canary[2]
        ),
    )
    .await;
    assert_eq!(positions, 3, "started in {order:?}");
    app.clock.advance(chrono::Duration::seconds(1));
    let resumed = control::resume(
        &app.ctx,
        run_id,
        Some(&who),
        "the canary tenants look right",
        &meta(),
    )
    .await
    .expect("resume");
    assert_eq!(resumed.wave.map(|w| (w.current, w.of)), Some((2, 2)));
    let run = drain(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!(run.counts.succeeded, 6);
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'OperationRunPaused'"
        )
        .await,
        1,
        "the last wave ends the run, not at a gate"
    );
}

async fn bad_options_are_refused_and_create_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"max_concurrency": 0}), "options.max_concurrency"),
        (json!({"max_concurrency": 257}), "options.max_concurrency"),
        (
            json!({"failure_budget": {"max_failed": -1}}),
            "options.failure_budget.max_failed",
        ),
        (json!({"waves": [3, 3]}), "options.waves"),
        (json!({"waves": [4, 2]}), "options.waves"),
        (json!({"waves": [6]}), "options.waves"),
        (json!({"waves": []}), "options.waves"),
        (
            json!({"canary_tenant_ids": [ids[0], ids[0]]}),
            "options.canary_tenant_ids",
        ),
        (
            json!({"canary_tenant_ids": [999_999]}),
            "options.canary_tenant_ids",
        ),
    ];
    for (options, field) in cases {
        let options: RunOptions = serde_json::from_value(options.clone()).expect("options");
        match start_with(&app, &who, options.clone()).await {
            Err(RunError::Invalid { errors, .. }) => {
                assert!(errors.contains_key(field), "{options:?}: {errors:?}");
            }
            other => panic!("{options:?} was not refused: {other:?}"),
        }
    }
    // Waves and canary tenants need more than one tenant in scope.
    let pf = preflight_of(&app, Scope::Tenant { tenant_id: ids[0] }, &who).await;
    for (options, field) in [
        (json!({"waves": [1]}), "options.waves"),
        (
            json!({"canary_tenant_ids": [ids[0]]}),
            "options.canary_tenant_ids",
        ),
    ] {
        let mut req = start_request(&pf, Some(&who));
        req.allow_no_changes = true;
        req.options = serde_json::from_value(options).expect("options");
        match start(&app.ctx, req).await {
            Err(RunError::Invalid { errors, .. }) => assert!(errors.contains_key(field)),
            other => panic!("not refused: {other:?}"),
        }
    }
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM operation_runs").await,
        0
    );
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM job_groups").await, 0);
    // Over the API, a wrong option is a 422 naming it.
    let token = app.operator_token("api", &Capability::ALL).await;
    let pf: Value = app
        .client()
        .post(app.url("/system/api/ops/runbooks/findings.lifecycle.rebuild/preflight"))
        .bearer_auth(&token)
        .json(&json!({"scope": {"kind": "all_tenants"}}))
        .send()
        .await
        .expect("preflight")
        .json()
        .await
        .expect("preflight json");
    let res = app
        .client()
        .post(app.url("/system/api/ops/runbooks/findings.lifecycle.rebuild/runs"))
        .bearer_auth(&token)
        .json(&json!({
            "scope": {"kind": "all_tenants"},
            "reason": {"code": "data_repair", "text": "repair the lifecycle columns"},
            "preflight_id": pf["preflight_id"],
            "confirmation": pf["confirmation"]["phrase"],
            "options": {"waves": [2, 1]},
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.expect("problem");
    assert!(problem["errors"]["options.waves"].is_array(), "{problem}");
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM operation_runs").await,
        0
    );
}

async fn options_are_part_of_a_runs_identity(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let capped = RunOptions {
        max_concurrency: Some(3),
        ..Default::default()
    };
    let first = start_with(&app, &who, capped.clone()).await.expect("start");
    let same = start_with(&app, &who, capped).await.expect("dedupe");
    assert!(same.deduplicated);
    assert_eq!(same.run.id, first.run.id);
    let other = start_with(&app, &who, RunOptions::default()).await;
    assert!(
        matches!(other, Err(RunError::Conflict { active_run_id }) if active_run_id == first.run.id),
        "{other:?}"
    );
    drain(&app, first.run.id).await;
}

async fn the_cap_of_an_active_run_can_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    execute_jobs(&app, 1).await;
    let capped = control::set_max_concurrency(
        &app.ctx,
        run_id,
        Some(&who),
        Some(1),
        "the host database is busy",
        &meta(),
    )
    .await
    .expect("cap");
    assert_eq!(capped.options.max_concurrency, Some(1));
    // One tenant claimed (not finished): the cap is reached, and the run says so.
    let held = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
        .await
        .expect("claim")
        .expect("a job");
    service::start_item(
        &app.ctx,
        run_id,
        held.payload["item_id"].as_i64().expect("item"),
        1,
        &held.worker,
        false,
    )
    .await
    .expect("start");
    assert!(
        jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
            .await
            .expect("claim")
            .is_none(),
        "a second tenant was claimed under a cap of 1"
    );
    let view = run_view(&app, run_id).await;
    assert_eq!(view.waiting_for.map(|w| w.reason), Some(WaitReason::Capped));
    // A dead worker's slot does not block the run: its job is reclaimed once its lease expires.
    app.clock.advance(chrono::Duration::seconds(31));
    let reclaimed = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
        .await
        .expect("claim")
        .expect("the lost job");
    assert_eq!(reclaimed.id, held.id);
    app.ctx.jobs.run(&app.ctx, &reclaimed).await.expect("run");
    jobs::complete(&app.db, &reclaimed).await.expect("complete");
    let bad = control::set_max_concurrency(
        &app.ctx,
        run_id,
        Some(&who),
        Some(0),
        "no tenant at all",
        &meta(),
    )
    .await;
    assert!(matches!(bad, Err(RunError::Invalid { .. })), "{bad:?}");
    control::set_max_concurrency(
        &app.ctx,
        run_id,
        Some(&who),
        None,
        "the host database is fine",
        &meta(),
    )
    .await
    .expect("uncap");
    let run = drain(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!(run.options, RunOptions::default());
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'runbook.run.options_changed'"
        )
        .await,
        2
    );
}

async fn a_small_run_is_served_between_a_big_runs_tenants(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    // A run over all tenants, fanned out, one tenant done.
    let big = start_with(&app, &who, RunOptions::default())
        .await
        .expect("big")
        .run
        .id;
    execute_jobs(&app, 2).await;
    // A one-tenant run of the other runbook starts now: its fan-out, then its tenant, are
    // served next, not after the big run's remaining tenants.
    let pf = atlas_ops::runs::preflight::preflight(
        &app.ctx,
        "findings.stale.close",
        Scope::Tenant { tenant_id: ids[5] },
        &json!({"last_seen_before": (app.ctx.now() - chrono::Duration::days(30)).to_rfc3339()}),
        Some(&who),
        Default::default(),
    )
    .await
    .expect("preflight");
    let mut req = start_request(&pf, Some(&who));
    req.allow_no_changes = true;
    let small = start(&app.ctx, req).await.expect("small").run.id;
    let waiting = run_view(&app, small).await;
    assert_eq!(
        waiting.waiting_for.map(|w| w.reason),
        Some(WaitReason::Workers)
    );
    execute_jobs(&app, 2).await;
    let small_view = run_view(&app, small).await;
    assert_eq!(
        small_view.status,
        RunStatus::Completed,
        "served within two jobs"
    );
    let big_view = run_view(&app, big).await;
    assert_eq!(big_view.counts.processed, 1, "the big run waited one job");
    // Then the big run goes on.
    let run = drain(&app, big).await;
    assert_eq!(run.counts.succeeded, 6);
}

async fn pause_resume_and_options_over_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    let viewer = app
        .operator_token("viewer", &[Capability::RunsView, Capability::RunsCancel])
        .await;
    let controller = app
        .operator_token(
            "controller",
            &[Capability::RunsView, Capability::RunsControl],
        )
        .await;
    let post = |path: String, token: String, body: Value| {
        let app = &app;
        async move {
            app.client()
                .post(app.url(&path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request")
        }
    };
    let reason = json!({"reason": "the host is being migrated"});
    let pause = format!("/system/api/ops/runs/{run_id}/pause");
    let resume = format!("/system/api/ops/runs/{run_id}/resume");
    assert_eq!(
        post(pause.clone(), viewer.clone(), reason.clone())
            .await
            .status(),
        403
    );
    assert_eq!(
        post(
            pause.clone(),
            controller.clone(),
            json!({"reason": "short"})
        )
        .await
        .status(),
        422
    );
    assert_eq!(
        post(resume.clone(), controller.clone(), reason.clone())
            .await
            .status(),
        409
    );
    let paused = post(pause.clone(), controller.clone(), reason.clone()).await;
    assert_eq!(paused.status(), 200);
    let paused: Value = paused.json().await.expect("json");
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["pause"]["reason"], "operator");
    assert_eq!(paused["pause"]["by"]["username"], "controller");
    assert_eq!(paused["waiting_for"]["reason"], "paused");
    let again = post(pause.clone(), controller.clone(), reason.clone()).await;
    assert_eq!(again.status(), 409);
    let problem: Value = again.json().await.expect("problem");
    assert_eq!(problem["code"], "invalid_state");
    let patched = app
        .client()
        .patch(app.url(&format!("/system/api/ops/runs/{run_id}/options")))
        .bearer_auth(&controller)
        .json(&json!({"max_concurrency": 4, "reason": "go gently on the host"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.expect("json");
    assert_eq!(patched["options"]["max_concurrency"], 4);
    let resumed = post(resume.clone(), controller.clone(), reason.clone()).await;
    assert_eq!(resumed.status(), 200);
    let resumed: Value = resumed.json().await.expect("json");
    assert_eq!(resumed["status"], "queued", "no tenant had started");
    let run = drain(&app, run_id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    let patch_done = app
        .client()
        .patch(app.url(&format!("/system/api/ops/runs/{run_id}/options")))
        .bearer_auth(&controller)
        .json(&json!({"max_concurrency": 4, "reason": "go gently on the host"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(patch_done.status(), 409);
    let _ = who;
}

async fn the_event_stream_carries_a_pause_and_a_resume_as_progress(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    let token = app.operator_token("watcher", &[Capability::RunsView]).await;
    let mut res = app
        .client()
        .get(app.url(&format!("/system/api/ops/runs/{run_id}/events")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let mut text = String::new();
    atlas_ops_tests::sse::events_until(&mut res, &mut text, |(_, run)| run["status"] == "queued")
        .await;
    control::pause(
        &app.ctx,
        run_id,
        Some(&who),
        "hold it for the stream",
        &meta(),
    )
    .await
    .expect("pause");
    let all = atlas_ops_tests::sse::events_until(&mut res, &mut text, |(_, run)| {
        run["status"] == "paused"
    })
    .await;
    let (name, paused) = all.last().expect("an event");
    assert_eq!(name, "progress");
    assert_eq!(paused["pause"]["reason"], "operator");
    assert_eq!(paused["waiting_for"]["reason"], "paused");
    control::resume(
        &app.ctx,
        run_id,
        Some(&who),
        "let the stream go on",
        &meta(),
    )
    .await
    .expect("resume");
    let all = atlas_ops_tests::sse::events_until(&mut res, &mut text, |(_, run)| {
        run["status"] == "queued" && run["pause"].is_null()
    })
    .await;
    assert!(
        all.iter().all(|(n, _)| n == "progress"),
        "no new event names: {all:?}"
    );
    drain(&app, run_id).await;
}

async fn a_resumed_run_is_not_stalled_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.allow_unfinished_jobs();
    let who = seed(&app).await;
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    execute_jobs(&app, 2).await;
    // A worker holds a tenant (and hangs), the run is paused for ten minutes, then resumed.
    let held = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(3600))
        .await
        .expect("claim")
        .expect("a tenant job");
    let item = held.payload["item_id"].as_i64().expect("item");
    service::start_item(&app.ctx, run_id, item, 1, &held.worker, false)
        .await
        .expect("start");
    control::pause(
        &app.ctx,
        run_id,
        Some(&who),
        "look at the host first",
        &meta(),
    )
    .await
    .expect("pause");
    app.clock.advance(chrono::Duration::seconds(600));
    let paused = run_view(&app, run_id).await;
    assert_eq!((paused.stalled.clone(), paused.eta_seconds), (None, None));
    let resumed = control::resume(
        &app.ctx,
        run_id,
        Some(&who),
        "the host is fine now",
        &meta(),
    )
    .await
    .expect("resume");
    assert_eq!(
        resumed.stalled, None,
        "quiet time starts again at the resume"
    );
    assert!(resumed.progress_percent <= 100.0);
    // Still nothing finishing 31 s after the resume (over the 30 s floor): stalled since it.
    app.clock.advance(chrono::Duration::seconds(31));
    let stalled = run_view(&app, run_id)
        .await
        .stalled
        .expect("stalled 31 s after the resume");
    assert!(
        stalled.since >= paused.pause.expect("paused").since,
        "{stalled:?}"
    );
    assert_eq!(stalled.running, 1);
}

async fn a_requeued_tenant_keeps_its_runs_pause(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    execute_jobs(&app, 1).await;
    control::pause(
        &app.ctx,
        run_id,
        Some(&who),
        "hold while the host is patched",
        &meta(),
    )
    .await
    .expect("pause");
    // A tenant's job is lost; the reconciler gives it a new one, in the run's group.
    let item = count(
        &app.db,
        &format!("SELECT MIN(id) FROM run_items WHERE run_id = {run_id}"),
    )
    .await;
    app.db
        .execute_unprepared(&format!(
            "DELETE FROM jobs WHERE kind = 'run.tenant' AND subject_id = {item}"
        ))
        .await
        .expect("lose the job");
    app.clock.advance(chrono::Duration::minutes(2));
    let repairs = atlas_ops::runs::reconcile::reconcile(&app.ctx)
        .await
        .expect("reconcile");
    assert_eq!(repairs.requeued, 1);
    assert_eq!(
        count(
            &app.db,
            &format!("SELECT COUNT(*) FROM jobs WHERE subject_id = {item} AND group_id = {run_id} AND ordinal IS NOT NULL")
        )
        .await,
        1
    );
    assert_eq!(
        try_execute_one(&app.ctx).await.expect("poll"),
        Tick::Empty,
        "still paused"
    );
    control::resume(
        &app.ctx,
        run_id,
        Some(&who),
        "the host is patched now",
        &meta(),
    )
    .await
    .expect("resume");
    let run = drain(&app, run_id).await;
    assert_eq!((run.counts.succeeded, run.counts.running), (6, 0));
}

async fn a_job_of_a_run_that_completed_meanwhile_finds_its_work_done(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let lease = chrono::Duration::seconds(30);
    // The last tenant's job is claimed; the run is cancelled before it starts: it is done.
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    execute_jobs(&app, 6).await;
    let last = jobs::claim(&app.db, app.ctx.now(), lease)
        .await
        .expect("claim")
        .expect("the last tenant's job");
    let cancelled = service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "racing the last tenant",
        &meta(),
    )
    .await
    .expect("cancel");
    assert_eq!(cancelled.status, RunStatus::Completed);
    app.ctx
        .jobs
        .run(&app.ctx, &last)
        .await
        .expect("nothing to hand back");
    assert!(jobs::complete(&app.db, &last).await.expect("complete"));
    // A job handed back while its run was paused, then the run cancelled and completed: the job
    // leaves the removed group and is claimed like any other, finding its item cancelled.
    let run_id = start_with(&app, &who, RunOptions::default())
        .await
        .expect("start")
        .run
        .id;
    execute_jobs(&app, 6).await;
    let last = jobs::claim(&app.db, app.ctx.now(), lease)
        .await
        .expect("claim")
        .expect("the last tenant's job");
    control::pause(
        &app.ctx,
        run_id,
        Some(&who),
        "hold the last tenant",
        &meta(),
    )
    .await
    .expect("pause");
    let refused = app
        .ctx
        .jobs
        .run(&app.ctx, &last)
        .await
        .expect_err("handed back");
    assert!(refused.is::<HandBack>());
    assert!(
        jobs::release(&app.db, &last, app.ctx.now())
            .await
            .expect("release")
    );
    service::cancel(&app.ctx, run_id, Some(&who), "not needed any more", &meta())
        .await
        .expect("cancel");
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM job_groups").await, 0);
    run_due_jobs(&app).await;
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM jobs").await,
        0,
        "no job is stranded"
    );
}

db_tests!(
    a_job_of_a_run_that_completed_meanwhile_finds_its_work_done,
    a_requeued_tenant_keeps_its_runs_pause,
    the_event_stream_carries_a_pause_and_a_resume_as_progress,
    a_resumed_run_is_not_stalled_at_once,
    a_capped_run_never_runs_more_items_than_its_cap,
    a_paused_run_starts_nothing_until_it_is_resumed,
    a_paused_run_can_be_cancelled,
    the_failure_budget_pauses_the_run_once_and_a_resume_counts_afresh,
    waves_run_the_canary_tenants_first_and_pause_at_each_gate,
    bad_options_are_refused_and_create_nothing,
    options_are_part_of_a_runs_identity,
    the_cap_of_an_active_run_can_change,
    a_small_run_is_served_between_a_big_runs_tenants,
    pause_resume_and_options_over_the_api,
);
