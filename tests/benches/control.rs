//! `make bench`, run control (docs/spec.md §13), on PostgreSQL:
//!
//! 1. **A paused run costs the other runs' claims nothing.** The claim latency of a
//!    100-tenant run's jobs (claim, then hand back, 500 times) alone, then beside a paused
//!    all-tenants run holding 10,000 pending tenant jobs.
//! 2. **Fairness.** During a 2,000-tenant run on one worker, a one-tenant run of the other
//!    runbook is started: how long it waits to complete, against the big run's median item
//!    time (it should wait about one tenant job, not the big run's remaining thousands).
//!
//! Results go to bench/CONTROL.md (and standard error).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use atlas_ops::context::AppContext;
use atlas_ops::demo::{self, SeedShape};
use atlas_ops::domain::run::{Reason, RunStatus, Scope, Source};
use atlas_ops::jobs::{self, worker};
use atlas_ops::runs::start::{StartRequest, start};
use atlas_ops::runs::{control, preflight, query};
use atlas_ops_tests::postgres;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tokio_util::sync::CancellationToken;

const REBUILD: &str = "findings.lifecycle.rebuild";
const CLOSE_STALE: &str = "findings.stale.close";

async fn context(
    tenants: usize,
    findings_per_tenant: usize,
) -> (AppContext, postgres::DroppedDatabase) {
    let database = postgres::create_database().await;
    let db = atlas_ops::db::connect(&database.url, 8)
        .await
        .expect("connect");
    atlas_ops::db::migrate(&db).await.expect("migrate");
    demo::seed(
        &db,
        SeedShape {
            workspaces: 10,
            tenants,
            findings_per_tenant,
        },
        Some("bench-password-0451".into()),
    )
    .await
    .expect("seed");
    let settings = atlas_ops_tests::test_settings(&database.url);
    (atlas_ops::app::context(db, settings), database)
}

/// The preflight of `runbook` over `scope`, and the start request confirmed against it.
async fn preflighted(ctx: &AppContext, runbook: &str, scope: Scope) -> StartRequest {
    let parameters = match runbook {
        CLOSE_STALE => serde_json::json!({
            "last_seen_before": (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339()
        }),
        _ => serde_json::Value::Null,
    };
    let pf = preflight::preflight(
        ctx,
        runbook,
        scope.clone(),
        &parameters,
        None,
        Default::default(),
    )
    .await
    .expect("preflight");
    StartRequest {
        runbook: runbook.into(),
        scope,
        parameters: pf.parameters.clone(),
        initiator: None,
        reason: Reason::parse("migration", "benchmark of run control").expect("reason"),
        source: Source::Cli,
        confirmation: pf.confirmation.phrase.clone(),
        preflight_id: pf.preflight_id.clone(),
        allow_no_changes: true,
        options: Default::default(),
        retry_of: None,
        reverts: None,
        meta: Default::default(),
        idempotency: None,
    }
}

/// Preflight + start of `runbook` over `scope`; returns the run id.
async fn start_run(ctx: &AppContext, runbook: &str, scope: Scope) -> i64 {
    let req = preflighted(ctx, runbook, scope).await;
    start(ctx, req).await.expect("start").run.id
}

async fn one_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(-1)
}

/// Median and 95th percentile of `n` claims (each handed straight back).
async fn claim_latency(ctx: &AppContext, n: usize) -> (Duration, Duration) {
    let lease = chrono::Duration::seconds(30);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let job = jobs::claim(&ctx.db, ctx.now(), lease)
            .await
            .expect("claim")
            .expect("a claimable job");
        times.push(t.elapsed());
        assert_eq!(job.kind, "run.tenant");
        jobs::release(&ctx.db, &job, ctx.now())
            .await
            .expect("hand back");
    }
    times.sort();
    (times[n / 2], times[n * 95 / 100])
}

struct PausedRunCost {
    alone: (Duration, Duration),
    beside: (Duration, Duration),
    held_jobs: i64,
}

async fn paused_run_cost() -> PausedRunCost {
    let (ctx, _database) = context(10_000, 2).await;
    let first: Vec<i64> = ctx
        .db
        .query_all_raw(Statement::from_string(
            ctx.db.get_database_backend(),
            "SELECT id FROM tenants WHERE external_id <> 'platform' ORDER BY id LIMIT 100",
        ))
        .await
        .expect("tenants")
        .iter()
        .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
        .collect();
    let small = start_run(
        &ctx,
        CLOSE_STALE,
        Scope::Tenants {
            tenant_ids: Some(first),
            external_ids: None,
        },
    )
    .await;
    // Its fan-out (ungrouped, so claimed first).
    worker::try_execute_one(&ctx).await.expect("fan-out");
    let alone = claim_latency(&ctx, 500).await;
    // The big run fans out 10,000 tenant jobs, then is paused: its jobs stay pending.
    let big = start_run(&ctx, REBUILD, Scope::AllTenants).await;
    control::pause(
        &ctx,
        big,
        None,
        "benchmark: hold the big run",
        &Default::default(),
    )
    .await
    .expect("pause");
    worker::try_execute_one(&ctx).await.expect("fan-out");
    let held_jobs = one_i64(
        &ctx.db,
        &format!("SELECT COUNT(*) FROM jobs WHERE group_id = {big} AND status = 'pending'"),
    )
    .await;
    let beside = claim_latency(&ctx, 500).await;
    let _ = small;
    PausedRunCost {
        alone,
        beside,
        held_jobs,
    }
}

struct Fairness {
    waited: Duration,
    median_item: Duration,
    big_processed_meanwhile: i64,
}

async fn fairness() -> Fairness {
    let (ctx, _database) = context(2_000, 100).await;
    let big = start_run(&ctx, REBUILD, Scope::AllTenants).await;
    let shutdown = CancellationToken::new();
    let workers = worker::spawn(&ctx, 1, &shutdown);
    let processed = format!("SELECT processed FROM operation_runs WHERE id = {big}");
    while one_i64(&ctx.db, &processed).await < 100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let tenant = one_i64(
        &ctx.db,
        "SELECT MAX(id) FROM tenants WHERE external_id <> 'platform'",
    )
    .await;
    // Timed from the start (its preflight, which only reads, comes before).
    let req = preflighted(&ctx, CLOSE_STALE, Scope::Tenant { tenant_id: tenant }).await;
    let before = one_i64(&ctx.db, &processed).await;
    let t = Instant::now();
    let small = start(&ctx, req).await.expect("start").run.id;
    loop {
        let run = query::find(&ctx.db, small)
            .await
            .expect("find")
            .expect("run");
        if run.status == RunStatus::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let waited = t.elapsed();
    let big_processed_meanwhile = one_i64(&ctx.db, &processed).await - before;
    shutdown.cancel();
    for w in workers {
        let _ = w.await;
    }
    let mut items: Vec<Duration> = ctx
        .db
        .query_all_raw(Statement::from_string(
            ctx.db.get_database_backend(),
            format!(
                "SELECT CAST(EXTRACT(EPOCH FROM (completed_at - started_at)) * 1000000 AS BIGINT) \
                 FROM run_items WHERE run_id = {big} AND status = 'succeeded'"
            ),
        ))
        .await
        .expect("items")
        .iter()
        .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
        .map(|us| Duration::from_micros(us.max(0) as u64))
        .collect();
    items.sort();
    Fairness {
        waited,
        median_item: items[items.len() / 2],
        big_processed_meanwhile,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    eprintln!("bench: run control: claims beside a paused 10,000-tenant run");
    let cost = runtime.block_on(paused_run_cost());
    eprintln!(
        "bench: claim latency alone median={:.2?} p95={:.2?}; beside a paused run with {} pending jobs median={:.2?} p95={:.2?}",
        cost.alone.0, cost.alone.1, cost.held_jobs, cost.beside.0, cost.beside.1
    );
    eprintln!("bench: run control: a one-tenant run during a 2,000-tenant run on one worker");
    let fair = runtime.block_on(fairness());
    eprintln!(
        "bench: fairness waited={:.2?} median big-run item={:.2?} ratio={:.1} big run processed meanwhile={}",
        fair.waited,
        fair.median_item,
        fair.waited.as_secs_f64() / fair.median_item.as_secs_f64(),
        fair.big_processed_meanwhile
    );
    let mut md = String::new();
    let _ = writeln!(md, "# Run control benchmark\n");
    let _ = writeln!(
        md,
        "Machine: {} cores, PostgreSQL (local). Command: `make bench` (`cargo bench -p atlas-ops-tests --bench control`), release build. What it shows: docs/spec.md §13.\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    let _ = writeln!(md, "## Claims beside a paused run\n");
    let _ = writeln!(
        md,
        "A 100-tenant run's tenant jobs claimed (and handed back) 500 times, alone and beside a paused all-tenants run holding {} pending tenant jobs (10,000 tenants).\n",
        cost.held_jobs
    );
    let _ = writeln!(md, "| | median claim | p95 claim |\n|---|---|---|");
    let _ = writeln!(
        md,
        "| alone | {:.2?} | {:.2?} |",
        cost.alone.0, cost.alone.1
    );
    let _ = writeln!(
        md,
        "| beside the paused run | {:.2?} | {:.2?} |\n",
        cost.beside.0, cost.beside.1
    );
    let _ = writeln!(md, "## Fairness between runs\n");
    let _ = writeln!(
        md,
        "A 2,000-tenant Rebuild run (100 findings each) on one worker; after 100 tenants a one-tenant Close Stale run is started (timed from its start request to its completion; its preflight comes before).\n"
    );
    let _ = writeln!(
        md,
        "| one-tenant run: start to completed | big run's median item | ratio | big-run tenants finished meanwhile |\n|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| {:.2?} | {:.2?} | {:.1} | {} |",
        fair.waited,
        fair.median_item,
        fair.waited.as_secs_f64() / fair.median_item.as_secs_f64(),
        fair.big_processed_meanwhile
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/CONTROL.md");
    std::fs::write(&path, md).expect("write bench/CONTROL.md");
    eprintln!("bench: wrote {}", path.display());
}
