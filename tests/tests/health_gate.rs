//! The database health gate (docs/spec.md §14): while an indicator is over its threshold no
//! tenant starts, on SQLite (the external check) and PostgreSQL (its own indicators too); once
//! healthy samples follow, the run completes with the exact data.

use std::time::Duration;

use atlas_ops::demo::SeedShape;
use atlas_ops::domain::run::Scope;
use atlas_ops::health::{self, GateState};
use atlas_ops::runs::control;
use atlas_ops_tests::runs::{
    count, expected_after, preflight_and_start, seed, seed_shape, slow_down_rebuilds, snapshot,
    wait_until,
};
use atlas_ops_tests::sse::events_until;
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

/// The run's items that have started, and those that have finished.
async fn started_and_finished(app: &TestApp, run_id: i64) -> (i64, i64) {
    (
        count(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND started_at IS NOT NULL"
            ),
        )
        .await,
        count(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND completed_at IS NOT NULL"
            ),
        )
        .await,
    )
}

/// Stops the workers (and their sampler).
async fn stop(shutdown: CancellationToken, workers: Vec<tokio::task::JoinHandle<()>>) {
    shutdown.cancel();
    for worker in workers {
        worker.await.expect("worker");
    }
}

/// An app whose health gate watches a local external check answering as `mode`, sampled every
/// 100 ms and released after 2 healthy samples; its workers poll every 20 ms.
async fn checked_app(backend: Backend, mode: Mode) -> (webhook::Webhook, TestApp) {
    let check = webhook::start().await;
    check.set_mode(mode);
    let url = check.url.clone();
    let app = spawn_app_with(backend, move |s| {
        s.health.check_url = Some(url);
        s.health.sample_every = Duration::from_millis(100);
        s.health.recovery_samples = 2;
        s.worker_poll = Duration::from_millis(20);
    })
    .await;
    (check, app)
}

async fn an_external_check_holds_every_run_until_it_recovers(backend: Backend) {
    let (check, app) = checked_app(backend, Mode::Down).await;
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
    // The one episode, ended, for the chart to shade.
    let episodes = samples["episodes"].as_array().expect("episodes");
    assert_eq!(episodes.len(), 1, "{episodes:?}");
    assert_eq!(episodes[0]["indicator"], "external_check");
    assert!(episodes[0]["ended_at"].as_str() > episodes[0]["started_at"].as_str());
    assert_eq!(state["recovery_samples"], 2);
    assert_eq!(state["sample_every_seconds"], 0.1);
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
    stop(shutdown, workers).await;
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
    stop(shutdown, workers).await;
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    assert_one_episode_audited(&app, run_id).await;
    let _ = other.close().await;
    let _ = own.close().await;
}

/// A run resumed from a pause while the gate is throttled goes back to waiting — stamped with
/// the throttle — and starts nothing until the episode ends.
async fn a_run_resumed_during_an_episode_stays_unstarted_until_it_ends(backend: Backend) {
    let (check, app) = checked_app(backend, Mode::Up).await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    let meta = atlas_ops::auth::RequestMeta::from_source("cli");
    control::pause(&app.ctx, run_id, Some(&who), "looking first", &meta)
        .await
        .expect("pause");
    let shutdown = CancellationToken::new();
    let workers = atlas_ops::app::spawn_workers(&app.ctx, 2, &shutdown);
    check.set_mode(Mode::Down);
    wait_for_gate(&app, GateState::Throttled).await;
    let resumed = control::resume(&app.ctx, run_id, Some(&who), "go on", &meta)
        .await
        .expect("resume");
    assert_eq!(
        resumed.status,
        atlas_ops::domain::run::RunStatus::Queued,
        "nothing had started"
    );
    assert_throttled(&app, run_id, "external_check").await;
    // The event stream carries the throttle, and its end.
    let token = app
        .operator_token(
            "watcher",
            &[atlas_ops::domain::capability::Capability::RunsView],
        )
        .await;
    let mut stream = app
        .client()
        .get(app.url(&format!("/system/api/ops/runs/{run_id}/events")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("events");
    let mut text = String::new();
    let seen = events_until(&mut stream, &mut text, |(_, run)| {
        run["throttle"]["indicator"] == "external_check"
    })
    .await;
    assert_eq!(seen.last().map(|(name, _)| name.as_str()), Some("progress"));
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        started_and_finished(&app, run_id).await,
        (0, 0),
        "a tenant started during the episode"
    );
    check.set_mode(Mode::Up);
    events_until(&mut stream, &mut text, |(_, run)| {
        run["throttle"].is_null() && run["status"] != "queued"
    })
    .await;
    drop(stream);
    assert!(
        wait_until(&app, &completed(run_id), Duration::from_secs(30)).await,
        "the run did not complete once healthy"
    );
    stop(shutdown, workers).await;
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    assert_one_episode_audited(&app, run_id).await;
}

/// The sampler has a connection of its own: with every connection of the service's pool taken
/// (a stuck batch, a burst of requests), it still samples — and still holds the gate.
async fn the_sampler_samples_while_the_pool_is_exhausted(backend: Backend) {
    let (_check, app) = checked_app(backend, Mode::Down).await;
    let shutdown = CancellationToken::new();
    let sampler = atlas_ops::health::sampler::spawn(&app.ctx, &shutdown);
    wait_for_gate(&app, GateState::Throttled).await;
    // Every connection of the pool (the test pool has 10), each inside a transaction.
    let mut taken = Vec::new();
    for _ in 0..10 {
        let txn = app.ctx.db.begin().await.expect("a pooled connection");
        txn.execute_unprepared("SELECT 1").await.expect("select");
        taken.push(txn);
    }
    // Read on a connection of the test's own.
    let reader = atlas_ops::db::connect(&app.database.url, 1)
        .await
        .expect("connect");
    let gate_on = async |db: &sea_orm::DatabaseConnection| {
        health::view(db, &app.ctx.settings.health, app.ctx.now())
            .await
            .expect("view")
    };
    let first = gate_on(&reader).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let later = gate_on(&reader).await;
    assert!(
        later.sampled_at > first.sampled_at,
        "no sample while the pool was exhausted: {first:?} then {later:?}"
    );
    assert_eq!(later.state, GateState::Throttled);
    let fresh = count(
        &reader,
        &format!(
            "SELECT COUNT(*) FROM health_samples WHERE sampled_at > '{}'",
            first.sampled_at.expect("sampled").to_rfc3339()
        ),
    )
    .await;
    assert!(fresh >= 5, "{fresh} samples in a second");
    for txn in taken {
        txn.rollback().await.expect("rollback");
    }
    shutdown.cancel();
    sampler.await.expect("sampler");
    let _ = reader.close().await;
}

db_tests!(
    an_external_check_holds_every_run_until_it_recovers,
    a_run_resumed_during_an_episode_stays_unstarted_until_it_ends,
    the_sampler_samples_while_the_pool_is_exhausted
);

/// Mid-run, another client holds a transaction open: within a few samples no tenant starts and
/// `processed` stays flat while tenants remain; its end lets the run complete exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_transaction_held_mid_run_stops_tenants_starting_until_it_ends() {
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.health.max_oldest_transaction_seconds = 2.0;
        s.health.sample_every = Duration::from_millis(200);
        s.health.recovery_samples = 2;
        s.worker_poll = Duration::from_millis(20);
    })
    .await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    // Each tenant takes a second, so the run is still going when the gate closes.
    slow_down_rebuilds(&app, 1.0).await;
    let shutdown = CancellationToken::new();
    let workers = atlas_ops::app::spawn_workers(&app.ctx, 1, &shutdown);
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    assert!(
        wait_until(
            &app,
            &format!(
                "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND completed_at IS NOT NULL"
            ),
            Duration::from_secs(20)
        )
        .await,
        "no tenant finished"
    );
    let other = sea_orm::Database::connect(&app.database.url)
        .await
        .expect("connect as another client");
    let held = other.begin().await.expect("begin");
    held.execute_unprepared("SELECT 1").await.expect("select");
    let throttled = wait_for_gate(&app, GateState::Throttled).await;
    assert_eq!(
        throttled.reason.map(|r| r.name).as_deref(),
        Some("oldest_transaction_seconds")
    );
    assert_throttled(&app, run_id, "oldest_transaction_seconds").await;
    // The tenant in flight when the gate closed finishes; then nothing moves for 5 s.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let (started, finished) = started_and_finished(&app, run_id).await;
    assert_eq!(started, finished, "the in-flight tenant finished");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        started_and_finished(&app, run_id).await,
        (started, finished),
        "a tenant started or finished during the episode"
    );
    let view = run_view(&app, run_id).await;
    assert_eq!(view.counts.processed, finished);
    assert!(view.counts.processed < view.counts.total, "tenants remain");
    let token = app
        .operator_token(
            "watcher",
            &[atlas_ops::domain::capability::Capability::RunsView],
        )
        .await;
    let health: serde_json::Value = app
        .client()
        .get(app.url("/system/api/ops/health"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["state"], "throttled");
    assert_eq!(health["reason"]["name"], "oldest_transaction_seconds");
    held.rollback().await.expect("rollback");
    assert!(
        wait_until(&app, &completed(run_id), Duration::from_secs(30)).await,
        "the run did not complete once the transaction ended"
    );
    stop(shutdown, workers).await;
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    assert_one_episode_audited(&app, run_id).await;
    let _ = other.close().await;
}

/// A large tenant whose transaction outlasts the oldest-transaction threshold never trips the
/// gate: the service's own connections are left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_services_own_long_tenant_transaction_never_trips_the_gate() {
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.health.max_oldest_transaction_seconds = 1.0;
        s.health.sample_every = Duration::from_millis(100);
        s.worker_poll = Duration::from_millis(20);
    })
    .await;
    let who = seed_shape(
        &app,
        SeedShape {
            workspaces: 1,
            tenants: 1,
            findings_per_tenant: 20_000,
        },
    )
    .await;
    let before = snapshot(&app.db).await;
    // However fast this machine rebuilds 20,000 findings, the transaction lasts over 1 s.
    slow_down_rebuilds(&app, 1.5).await;
    let shutdown = CancellationToken::new();
    let workers = atlas_ops::app::spawn_workers(&app.ctx, 1, &shutdown);
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    assert!(
        wait_until(&app, &completed(run_id), Duration::from_secs(60)).await,
        "the run did not complete"
    );
    stop(shutdown, workers).await;
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    let longest = count(
        &app.db,
        &format!(
            "SELECT MAX(EXTRACT(EPOCH FROM completed_at - started_at) * 1000)::bigint \
             FROM run_items WHERE run_id = {run_id}"
        ),
    )
    .await;
    assert!(longest > 1_000, "the tenant took {longest} ms");
    let sampled = count(
        &app.db,
        "SELECT COUNT(*) FROM health_samples WHERE indicator = 'oldest_transaction_seconds'",
    )
    .await;
    assert!(sampled >= 10, "{sampled} samples");
    let over = count(&app.db, "SELECT COUNT(*) FROM health_samples WHERE over").await;
    assert_eq!(over, 0, "the gate tripped on the service's own transaction");
    let audits = count(
        &app.db,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'runbook.run.throttled'",
    )
    .await;
    assert_eq!(audits, 0);
}

/// Sessions blocked on a row lock the test holds are lock waiters; once it lets go, the gate
/// recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sessions_waiting_on_a_row_lock_throttle_the_gate() {
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.health.max_lock_waiters = 1.0;
        s.health.max_oldest_transaction_seconds = 0.0;
        s.health.sample_every = Duration::from_millis(200);
        s.health.recovery_samples = 2;
    })
    .await;
    seed(&app).await;
    let shutdown = CancellationToken::new();
    let sampler = atlas_ops::health::sampler::spawn(&app.ctx, &shutdown);
    wait_for_gate(&app, GateState::Healthy).await;
    let holder = sea_orm::Database::connect(&app.database.url)
        .await
        .expect("connect");
    let lock = holder.begin().await.expect("begin");
    lock.execute_unprepared("SELECT id FROM tenants WHERE external_id = 'tenant-001' FOR UPDATE")
        .await
        .expect("lock");
    // Two sessions wait on it.
    let mut waiters = Vec::new();
    for _ in 0..2 {
        let url = app.database.url.clone();
        waiters.push(tokio::spawn(async move {
            let db = sea_orm::Database::connect(&url).await.expect("connect");
            db.execute_unprepared(
                "UPDATE tenants SET name = name WHERE external_id = 'tenant-001'",
            )
            .await
            .expect("update once the lock goes");
            let _ = db.close().await;
        }));
    }
    let throttled = wait_for_gate(&app, GateState::Throttled).await;
    let reason = throttled.reason.expect("a reason");
    assert_eq!(reason.name, "lock_waiters");
    assert_eq!(reason.value, Some(2.0), "two sessions wait");
    assert_eq!(reason.threshold, 1.0);
    lock.rollback().await.expect("release");
    for waiter in waiters {
        waiter.await.expect("waiter");
    }
    let healthy = wait_for_gate(&app, GateState::Healthy).await;
    let waiting = healthy
        .indicators
        .iter()
        .find(|r| r.name == "lock_waiters")
        .expect("lock_waiters");
    assert_eq!(waiting.value, Some(0.0));
    shutdown.cancel();
    sampler.await.expect("sampler");
    let _ = holder.close().await;
}

/// Replication lag needs a replica, which this machine does not have: a view in a schema ahead
/// of `pg_catalog` on the database's search path stands in for `pg_stat_replication`, so the
/// indicator's own SQL reads a lag of 45 s, then none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replication_lag_over_its_threshold_throttles_the_gate() {
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.health.max_replication_lag_seconds = 30.0;
        s.health.sample_every = Duration::from_millis(200);
        s.health.recovery_samples = 2;
    })
    .await;
    let database: String = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT current_database()",
        ))
        .await
        .expect("query")
        .expect("row")
        .try_get_by_index(0)
        .expect("name");
    for sql in [
        "CREATE SCHEMA standin".to_owned(),
        "CREATE TABLE standin.lag (seconds float8 NOT NULL)".into(),
        "INSERT INTO standin.lag VALUES (45)".into(),
        "CREATE VIEW standin.pg_stat_replication AS \
         SELECT make_interval(secs => seconds) AS replay_lag FROM standin.lag"
            .into(),
        format!("ALTER DATABASE \"{database}\" SET search_path = standin, pg_catalog, public"),
    ] {
        app.db.execute_unprepared(&sql).await.expect(&sql);
    }
    // The sampler's connection is opened after this, so it has the search path.
    let shutdown = CancellationToken::new();
    let sampler = atlas_ops::health::sampler::spawn(&app.ctx, &shutdown);
    let throttled = wait_for_gate(&app, GateState::Throttled).await;
    let reason = throttled.reason.expect("a reason");
    assert_eq!(reason.name, "replication_lag_seconds");
    assert_eq!(reason.value, Some(45.0));
    assert_eq!(reason.threshold, 30.0);
    app.db
        .execute_unprepared("UPDATE standin.lag SET seconds = 2")
        .await
        .expect("caught up");
    let healthy = wait_for_gate(&app, GateState::Healthy).await;
    let lag = healthy
        .indicators
        .iter()
        .find(|r| r.name == "replication_lag_seconds")
        .expect("replication_lag_seconds");
    assert_eq!(lag.value, Some(2.0));
    assert!(!lag.over);
    shutdown.cancel();
    sampler.await.expect("sampler");
}
