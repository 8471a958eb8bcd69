//! The database health gate (docs/spec.md §14): while an indicator is over its threshold no
//! tenant starts, on SQLite (the external check) and PostgreSQL (its own indicators too); once
//! healthy samples follow, the run completes with the exact data.

use std::time::Duration;

use atlas_ops::domain::run::Scope;
use atlas_ops::health::{self, GateState};
use atlas_ops_tests::runs::{
    count, expected_after, preflight_and_start, seed, snapshot, wait_until,
};
use atlas_ops_tests::webhook::{self, Mode};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app_with};
use sea_orm::{ConnectionTrait, TransactionTrait};
use tokio_util::sync::CancellationToken;

async fn gate(app: &TestApp) -> health::HealthView {
    health::view(&app.db, &app.ctx.settings.health, app.ctx.now())
        .await
        .expect("health view")
}

/// Waits (up to 20 s) for the gate to reach `state`.
async fn wait_for_gate(app: &TestApp, state: GateState) -> health::HealthView {
    for _ in 0..400 {
        let view = gate(app).await;
        if view.state == state {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gate never became {state:?}: {:?}", gate(app).await);
}

async fn run_view(app: &TestApp, run_id: i64) -> atlas_ops::runs::query::RunView {
    let run = atlas_ops::runs::query::find(&app.db, run_id)
        .await
        .expect("find")
        .expect("run");
    atlas_ops::runs::query::view(&app.db, &app.ctx.runbooks, run, app.ctx.now())
        .await
        .expect("view")
}

/// Waits (up to 10 s) for the run started during an episode to show it, and checks what it
/// says: the indicator, no ETA, waiting for the gate.
async fn assert_throttled(app: &TestApp, run_id: i64, indicator: &str) {
    for _ in 0..200 {
        let view = run_view(app, run_id).await;
        if let Some(throttle) = &view.throttle {
            assert_eq!(throttle.indicator, indicator);
            assert_eq!(view.eta_seconds, None);
            assert_eq!(
                view.waiting_for.map(|w| w.reason),
                Some(atlas_ops::runs::control::WaitReason::Throttled)
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("run {run_id} never showed the throttle");
}

/// One `runbook.run.throttled` and one `runbook.run.unthrottled` for the run's one episode.
async fn assert_one_episode_audited(app: &TestApp, run_id: i64) {
    for action in ["runbook.run.throttled", "runbook.run.unthrottled"] {
        let n = count(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND target_id = '{run_id}'"
            ),
        )
        .await;
        assert_eq!(n, 1, "{action}");
    }
    let view = run_view(app, run_id).await;
    assert_eq!(view.throttle, None, "the stamp is gone");
}

fn completed(run_id: i64) -> String {
    format!("SELECT COUNT(*) FROM operation_runs WHERE id = {run_id} AND status = 'completed'")
}

async fn an_external_check_holds_every_run_until_it_recovers(backend: Backend) {
    let check = webhook::start().await;
    check.set_mode(Mode::Down);
    let url = check.url.clone();
    let app = spawn_app_with(backend, move |s| {
        s.health.check_url = Some(url);
        s.health.sample_every = Duration::from_millis(100);
        s.health.recovery_samples = 2;
        s.worker_poll = Duration::from_millis(20);
    })
    .await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    assert_eq!(gate(&app).await.state, GateState::Stale, "no sampler yet");
    let shutdown = CancellationToken::new();
    let workers = atlas_ops::app::spawn_workers(&app.ctx, 2, &shutdown);
    let throttled = wait_for_gate(&app, GateState::Throttled).await;
    let reason = throttled.reason.expect("a reason");
    assert_eq!(reason.name, "external_check");
    assert!(reason.over);
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(metrics.contains("atlas_dispatch_throttled 1"), "{metrics}");
    assert!(
        metrics.contains("atlas_health_indicator{indicator=\"external_check\"} 1"),
        "{metrics}"
    );
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    assert_throttled(&app, run_id, "external_check").await;
    // The fan-out runs (it is no tenant); no tenant starts while the check fails.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        count(
            &app.db,
            &format!("SELECT COUNT(*) FROM run_items WHERE run_id = {run_id}")
        )
        .await,
        6,
        "the fan-out is not held"
    );
    assert_eq!(
        count(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND started_at IS NOT NULL"
            )
        )
        .await,
        0,
        "a tenant started while the check failed"
    );
    check.set_mode(Mode::Up);
    let healthy = wait_for_gate(&app, GateState::Healthy).await;
    assert!(healthy.healthy_streak >= 2);
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(metrics.contains("atlas_dispatch_throttled 0"), "{metrics}");
    // Over the API: the gate, and its samples for the console's chart.
    let token = app
        .operator_token(
            "watcher",
            &[atlas_ops::domain::capability::Capability::RunsView],
        )
        .await;
    let get = |path: &str| app.client().get(app.url(path)).bearer_auth(&token).send();
    let res = get("/system/api/ops/health").await.expect("health");
    assert_eq!(res.status(), 200);
    let state: serde_json::Value = res.json().await.expect("json");
    assert_eq!(state["state"], "healthy");
    let res = get("/system/api/ops/health/samples")
        .await
        .expect("samples");
    assert_eq!(res.status(), 200);
    let samples: serde_json::Value = res.json().await.expect("json");
    let items = samples["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .any(|s| s["name"] == "external_check" && s["over"] == true)
    );
    assert!(
        items
            .iter()
            .any(|s| s["name"] == "external_check" && s["over"] == false)
    );
    assert!(items.iter().all(|s| s["sampled_at"].is_string()));
    for bad in ["?since=yesterday", "?limit=5"] {
        let res = get(&format!("/system/api/ops/health/samples{bad}"))
            .await
            .expect("bad");
        assert_eq!(res.status(), 422, "{bad}");
    }
    assert!(
        wait_until(&app, &completed(run_id), Duration::from_secs(30)).await,
        "the run did not complete once healthy"
    );
    shutdown.cancel();
    for worker in workers {
        worker.await.expect("worker");
    }
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    assert_one_episode_audited(&app, run_id).await;
    let samples = count(
        &app.db,
        "SELECT COUNT(*) FROM health_samples WHERE indicator = 'external_check'",
    )
    .await;
    assert!(samples >= 4, "{samples} samples kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_another_clients_long_transaction_holds_the_runs_and_the_services_own_does_not() {
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.health.max_oldest_transaction_seconds = 2.0;
        s.health.sample_every = Duration::from_millis(200);
        s.health.recovery_samples = 2;
        s.worker_poll = Duration::from_millis(20);
    })
    .await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    let shutdown = CancellationToken::new();
    let workers = atlas_ops::app::spawn_workers(&app.ctx, 1, &shutdown);
    // The service's own transaction (its connections are named atlas-ops) never trips it.
    let own = atlas_ops::db::connect(&app.database.url, 1)
        .await
        .expect("connect");
    let own_txn = own.begin().await.expect("begin");
    own_txn
        .execute_unprepared("SELECT 1")
        .await
        .expect("select");
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let view = gate(&app).await;
    assert_eq!(view.state, GateState::Healthy, "{view:?}");
    own_txn.rollback().await.expect("rollback");
    // Another client's transaction open for over 2 s does.
    let other = sea_orm::Database::connect(&app.database.url)
        .await
        .expect("connect as another client");
    let held = other.begin().await.expect("begin");
    held.execute_unprepared("SELECT 1").await.expect("select");
    let throttled = wait_for_gate(&app, GateState::Throttled).await;
    let reason = throttled.reason.expect("a reason");
    assert_eq!(reason.name, "oldest_transaction_seconds");
    assert!(reason.value.unwrap_or(0.0) > 2.0, "{reason:?}");
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        count(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND started_at IS NOT NULL"
            )
        )
        .await,
        0,
        "a tenant started during the episode"
    );
    held.rollback().await.expect("rollback");
    wait_for_gate(&app, GateState::Healthy).await;
    assert!(
        wait_until(&app, &completed(run_id), Duration::from_secs(30)).await,
        "the run did not complete once the transaction ended"
    );
    shutdown.cancel();
    for worker in workers {
        worker.await.expect("worker");
    }
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    assert_one_episode_audited(&app, run_id).await;
    let _ = other.close().await;
    let _ = own.close().await;
}

db_tests!(an_external_check_holds_every_run_until_it_recovers);
