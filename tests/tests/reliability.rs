//! Worker processes on PostgreSQL: a worker SIGKILLed in the middle of a tenant is recovered
//! by another process, and two worker processes share one queue without running an item twice.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use atlas_ops::domain::run::Scope;
use atlas_ops_tests::runs::{count, expected_after, preflight_and_start, seed, snapshot};
use atlas_ops_tests::{Backend, TestApp, spawn_app};
use sea_orm::ConnectionTrait;

fn worker_process(app: &TestApp, workers: usize) -> Child {
    Command::new(atlas_ops_tests::atlas_ops_bin!())
        .args(["worker", "--count", &workers.to_string()])
        .env("DATABASE_URL", &app.database.url)
        .env("APP_ENV", "demo")
        .env(
            "SESSION_SECRET",
            "worker-session-secret-0123456789abcdef0123",
        )
        .env("JWT_SECRET", "worker-jwt-secret-0123456789abcdef0123456789")
        .env("JOB_LEASE_SECONDS", "2")
        .env("WORKER_POLL_MS", "50")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create(format!("/tmp/worker-{}.log", uuid::Uuid::new_v4()))
                .map(Stdio::from)
                .unwrap_or(Stdio::null()),
        )
        .spawn()
        .expect("spawn atlas-ops worker")
}

/// Every tenant rebuild takes at least `seconds` (a statement-level trigger sleeps).
async fn slow_down_rebuilds(app: &TestApp, seconds: f64) {
    app.db
        .execute_unprepared(&format!(
            "CREATE FUNCTION slow_rebuild() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep({seconds}); RETURN NULL; END $$ LANGUAGE plpgsql"
        ))
        .await
        .expect("function");
    app.db
        .execute_unprepared(
            "CREATE TRIGGER slow_rebuild AFTER UPDATE ON findings FOR EACH STATEMENT EXECUTE FUNCTION slow_rebuild()",
        )
        .await
        .expect("trigger");
}

async fn wait_until(app: &TestApp, sql: &str, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if count(&app.db, sql).await > 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_sigkilled_worker_loses_nothing_and_counts_nothing_twice() {
    let app = spawn_app(Backend::Postgres).await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    slow_down_rebuilds(&app, 1.5).await;
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    let mut first = worker_process(&app, 1);
    assert!(
        wait_until(
            &app,
            "SELECT COUNT(*) FROM run_items WHERE status = 'running'",
            Duration::from_secs(20)
        )
        .await,
        "the first worker never started a tenant"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.kill().expect("SIGKILL the worker mid-tenant");
    let _ = first.wait();
    let mut second = worker_process(&app, 2);
    let done = wait_until(
        &app,
        &format!(
            "SELECT COUNT(*) FROM operation_runs WHERE id = {} AND status = 'completed'",
            started.run.id
        ),
        Duration::from_secs(90),
    )
    .await;
    let _ = second.kill();
    let _ = second.wait();
    assert!(done, "the run did not complete after the crash");
    let run = atlas_ops::runs::query::find(&app.db, started.run.id)
        .await
        .expect("find")
        .expect("run");
    assert_eq!(run.outcome.as_deref(), Some("succeeded"));
    assert_eq!(
        (run.total, run.processed, run.succeeded, run.failed),
        (6, 6, 6, 0)
    );
    assert!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM run_items WHERE attempts >= 2"
        )
        .await
            >= 1,
        "the interrupted tenant was retried"
    );
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM notifications").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_worker_processes_share_the_queue() {
    let app = spawn_app(Backend::Postgres).await;
    let who = seed(&app).await;
    slow_down_rebuilds(&app, 0.4).await;
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    let mut a = worker_process(&app, 1);
    let mut b = worker_process(&app, 1);
    // Both processes hold a tenant at the same time at some point.
    let overlapped = wait_until(
        &app,
        "SELECT COUNT(*) - 1 FROM run_items WHERE status = 'running'",
        Duration::from_secs(30),
    )
    .await;
    let done = wait_until(
        &app,
        &format!(
            "SELECT COUNT(*) FROM operation_runs WHERE id = {} AND status = 'completed'",
            started.run.id
        ),
        Duration::from_secs(60),
    )
    .await;
    let _ = a.kill();
    let _ = b.kill();
    let _ = a.wait();
    let _ = b.wait();
    assert!(done, "run did not complete");
    assert!(overlapped, "the two processes never worked in parallel");
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM run_items WHERE attempts <> 1"
        )
        .await,
        0,
        "no item ran twice"
    );
    let run = atlas_ops::runs::query::find(&app.db, started.run.id)
        .await
        .expect("find")
        .expect("run");
    assert_eq!((run.processed, run.succeeded), (6, 6));
}
