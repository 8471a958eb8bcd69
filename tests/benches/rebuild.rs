//! `make bench`: the Rebuild Findings Lifecycle pipeline against a hand-written single-statement
//! SQL rebuild of the same data, on PostgreSQL (docs/spec.md §10).
//!
//! For each shape (tenants × findings per tenant): generate legacy data server-side, clone it
//! (`CREATE DATABASE ... TEMPLATE`), then
//! (a) time the reference: R1–R7 as one `UPDATE ... FROM (window query)` over all tenants, and
//!     its read-only scan (the same query as a `SELECT count(*)`);
//! (b) time the real pipeline on the clone: `preflight`, then an all-tenants run through the
//!     durable job queue with the default workers, from start to completed;
//! (c) time a second, idempotent run;
//! (d) compare checksums of every finding's columns ((a) vs (b)) and check (c) changed nothing;
//! (e) after two Close Stale runs, time the revert of (b) (docs/spec.md §15): its preflight and
//!     its run, the rows restored and the conflicts (the rows Close Stale changed since).
//! Peak RSS of this process (which hosts the workers, as `serve` does) is recorded, and run
//! detail polling is measured with `wrk` while a run is going. Results go to bench/RESULTS.md.
//!
//! `BENCH_SHAPES=1000x1000,100x10000,10000x100` picks the shapes (that is the default).
//! `BENCH_SQLITE_SHAPES=100x1000` (the default; empty to skip) runs the same comparison on SQLite:
//! the pipeline against the reference statement run by the `sqlite3` shell.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use atlas_ops::context::AppContext;
use atlas_ops::domain::run::{Outcome, Reason, RunStatus, Scope, Source};
use atlas_ops::runs::start::{StartRequest, start};
use atlas_ops::runs::{preflight, revert};
use atlas_ops_tests::postgres;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio_util::sync::CancellationToken;

const OPEN: &str = "('new','triaged','in_progress','reopened')";

/// Legacy data in which every rule has work, generated inside PostgreSQL.
fn generator_sql(tenants: u64, per_tenant: u64) -> Vec<String> {
    let keys = (per_tenant / 3).max(1);
    vec![
        "INSERT INTO workspaces (name) SELECT 'Bench workspace ' || g FROM generate_series(1, 10) g".into(),
        "INSERT INTO tenants (workspace_id, external_id, name) SELECT min(id), 'platform', 'Platform' FROM workspaces".into(),
        format!(
            "INSERT INTO tenants (workspace_id, external_id, name) \
             SELECT (SELECT min(id) FROM workspaces) + (g % 10), 'bench-' || lpad(g::text, 6, '0'), 'Bench tenant ' || g \
             FROM generate_series(1, {tenants}) g"
        ),
        format!(
            "INSERT INTO findings (tenant_id, recurrence_key, severity, status, first_seen_at, last_seen_at, \
               times_seen, due_at, triaged_at, resolved_at, closed_at, closed_reason, created_at, updated_at) \
             SELECT t.id, 'rk-' || (h1 % {keys}), \
               (ARRAY['low','medium','high','critical'])[1 + h2 % 4], \
               CASE WHEN h3 % 100 < 25 THEN 'new' WHEN h3 % 100 < 40 THEN 'acknowledged' WHEN h3 % 100 < 50 THEN 'triaged' \
                    WHEN h3 % 100 < 60 THEN 'in_progress' WHEN h3 % 100 < 65 THEN 'reopened' WHEN h3 % 100 < 80 THEN 'resolved' \
                    WHEN h3 % 100 < 92 THEN 'closed' ELSE 'risk_accepted' END, \
               CASE WHEN h4 % 100 < 20 THEN NULL ELSE c - make_interval(hours => h4 % 48) END, \
               CASE WHEN h5 % 100 < 15 THEN NULL WHEN h5 % 100 < 25 THEN c - make_interval(hours => 49 + h5 % 72) \
                    ELSE c + make_interval(hours => h5 % 2160) END, \
               CASE WHEN h6 % 100 < 10 THEN NULL WHEN h6 % 100 < 15 THEN 0 WHEN h6 % 100 < 18 THEN -1 ELSE 1 + h6 % 20 END, \
               CASE WHEN h7 % 2 = 0 THEN NULL ELSE c + interval '10 days' END, \
               CASE WHEN h7 % 3 = 0 THEN NULL ELSE c + interval '2 hours' END, \
               CASE WHEN h8 % 2 = 0 THEN NULL ELSE c + interval '3 days' END, \
               CASE WHEN h8 % 3 = 0 THEN NULL ELSE c + interval '4 days' END, \
               NULL, c, c + make_interval(hours => 1 + h2 % 1440) \
             FROM tenants t CROSS JOIN generate_series(1, {per_tenant}) g \
             CROSS JOIN LATERAL (SELECT '2025-01-01T00:00:00Z'::timestamptz + make_interval(mins => g * 37) AS c, \
               abs(hashtext(t.id || ':' || g || ':1')) AS h1, abs(hashtext(t.id || ':' || g || ':2')) AS h2, \
               abs(hashtext(t.id || ':' || g || ':3')) AS h3, abs(hashtext(t.id || ':' || g || ':4')) AS h4, \
               abs(hashtext(t.id || ':' || g || ':5')) AS h5, abs(hashtext(t.id || ':' || g || ':6')) AS h6, \
               abs(hashtext(t.id || ':' || g || ':7')) AS h7, abs(hashtext(t.id || ':' || g || ':8')) AS h8) x \
             WHERE t.external_id <> 'platform'"
        ),
        "UPDATE findings SET closed_reason = 'fixed' WHERE status = 'closed'".into(),
        "ANALYZE".into(),
    ]
}

/// The same kind of legacy data generated inside SQLite (random hashes instead of `hashtext`;
/// timestamps in the RFC 3339 text the application itself writes).
fn sqlite_generator_sql(tenants: u64, per_tenant: u64) -> Vec<String> {
    let keys = (per_tenant / 3).max(1);
    let ts = |modifiers: &str| {
        format!(
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', '2025-01-01 00:00:00', '+' || m || ' minutes'{modifiers})"
        )
    };
    let hashes = (1..=8)
        .map(|k| format!("random() & 2147483647 AS h{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        "INSERT INTO workspaces (name) WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 10) \
         SELECT 'Bench workspace ' || g FROM s".into(),
        "INSERT INTO tenants (workspace_id, external_id, name) SELECT min(id), 'platform', 'Platform' FROM workspaces".into(),
        format!(
            "INSERT INTO tenants (workspace_id, external_id, name) \
             WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {tenants}) \
             SELECT (SELECT min(id) FROM workspaces) + (g % 10), 'bench-' || printf('%06d', g), 'Bench tenant ' || g FROM s"
        ),
        format!(
            "INSERT INTO findings (tenant_id, recurrence_key, severity, status, first_seen_at, last_seen_at, \
               times_seen, due_at, triaged_at, resolved_at, closed_at, closed_reason, created_at, updated_at) \
             WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {per_tenant}), \
             x AS MATERIALIZED (SELECT t.id AS tid, g * 37 AS m, {hashes} \
               FROM tenants t CROSS JOIN s WHERE t.external_id <> 'platform') \
             SELECT tid, 'rk-' || (h1 % {keys}), \
               CASE h2 % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high' ELSE 'critical' END, \
               CASE WHEN h3 % 100 < 25 THEN 'new' WHEN h3 % 100 < 40 THEN 'acknowledged' WHEN h3 % 100 < 50 THEN 'triaged' \
                    WHEN h3 % 100 < 60 THEN 'in_progress' WHEN h3 % 100 < 65 THEN 'reopened' WHEN h3 % 100 < 80 THEN 'resolved' \
                    WHEN h3 % 100 < 92 THEN 'closed' ELSE 'risk_accepted' END, \
               CASE WHEN h4 % 100 < 20 THEN NULL ELSE {first} END, \
               CASE WHEN h5 % 100 < 15 THEN NULL WHEN h5 % 100 < 25 THEN {last_before} ELSE {last_after} END, \
               CASE WHEN h6 % 100 < 10 THEN NULL WHEN h6 % 100 < 15 THEN 0 WHEN h6 % 100 < 18 THEN -1 ELSE 1 + h6 % 20 END, \
               CASE WHEN h7 % 2 = 0 THEN NULL ELSE {due} END, \
               CASE WHEN h7 % 3 = 0 THEN NULL ELSE {triaged} END, \
               CASE WHEN h8 % 2 = 0 THEN NULL ELSE {resolved} END, \
               CASE WHEN h8 % 3 = 0 THEN NULL ELSE {closed} END, \
               NULL, {created}, {updated} \
             FROM x",
            first = ts(", '-' || (h4 % 48) || ' hours'"),
            last_before = ts(", '-' || (49 + h5 % 72) || ' hours'"),
            last_after = ts(", '+' || (h5 % 2160) || ' hours'"),
            due = ts(", '+10 days'"),
            triaged = ts(", '+2 hours'"),
            resolved = ts(", '+3 days'"),
            closed = ts(", '+4 days'"),
            created = ts(""),
            updated = ts(", '+' || (1 + h2 % 1440) || ' hours'"),
        ),
        "UPDATE findings SET closed_reason = 'fixed' WHERE status = 'closed'".into(),
        "ANALYZE".into(),
    ]
}

/// The two back-ends' spellings of the few non-portable parts of the reference statement.
#[derive(Debug, Clone, Copy)]
enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// Two-argument maximum / minimum of non-null values.
    fn greatest(self) -> &'static str {
        match self {
            Dialect::Postgres => "GREATEST",
            Dialect::Sqlite => "max",
        }
    }

    fn least(self) -> &'static str {
        match self {
            Dialect::Postgres => "LEAST",
            Dialect::Sqlite => "min",
        }
    }

    /// `ts` plus `days` days (SQLite: in the RFC 3339 text the application writes).
    fn plus_days(self, ts: &str, days: &str) -> String {
        match self {
            Dialect::Postgres => format!("{ts} + make_interval(days => {days})"),
            Dialect::Sqlite => {
                format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {ts}, '+' || ({days}) || ' days')")
            }
        }
    }

    /// Null-safe row inequality.
    fn distinct(self) -> &'static str {
        match self {
            Dialect::Postgres => "IS DISTINCT FROM",
            Dialect::Sqlite => "IS NOT",
        }
    }
}

/// R1–R7 (docs/spec.md §2) over every tenant as one query: the new value of each writable column.
fn reference_query(d: Dialect) -> String {
    let (greatest, least) = (d.greatest(), d.least());
    let due = d.plus_days(
        "fs",
        "CASE severity WHEN 'critical' THEN 3 WHEN 'high' THEN 7 WHEN 'medium' THEN 14 WHEN 'low' THEN 30 END",
    );
    format!(
        "WITH b AS ( \
           SELECT id, tenant_id, recurrence_key, severity, updated_at, due_at, resolved_at, closed_at, closed_reason, \
             COALESCE(first_seen_at, created_at) AS fs, \
             {greatest}(COALESCE(last_seen_at, first_seen_at, created_at), COALESCE(first_seen_at, created_at)) AS ls, \
             {greatest}(COALESCE(times_seen, 1), 1) AS ts, \
             CASE WHEN status = 'acknowledged' THEN 'triaged' ELSE status END AS st, \
             CASE WHEN status = 'acknowledged' THEN COALESCE(triaged_at, updated_at) ELSE triaged_at END AS tr \
           FROM findings WHERE tenant_id IN (SELECT id FROM tenants WHERE external_id <> 'platform')), \
         g AS ( \
           SELECT b.*, st IN {OPEN} AS op, COUNT(*) OVER w AS n, SUM(ts) OVER w AS sum_ts, MAX(ls) OVER w AS max_ls, \
             ROW_NUMBER() OVER (PARTITION BY tenant_id, recurrence_key, st IN {OPEN} ORDER BY fs, id) AS rn \
           FROM b WINDOW w AS (PARTITION BY tenant_id, recurrence_key, st IN {OPEN})), \
         r5 AS ( \
           SELECT id, severity, updated_at, due_at, resolved_at, fs, tr, \
             CASE WHEN op AND n > 1 AND rn = 1 THEN CAST({least}(sum_ts, 2147483647) AS integer) ELSE ts END AS ts, \
             CASE WHEN op AND n > 1 AND rn = 1 THEN max_ls ELSE ls END AS ls, \
             CASE WHEN op AND n > 1 AND rn > 1 THEN 'closed' ELSE st END AS st, \
             CASE WHEN op AND n > 1 AND rn > 1 THEN 'duplicate' ELSE closed_reason END AS cr, \
             CASE WHEN op AND n > 1 AND rn > 1 THEN updated_at ELSE closed_at END AS ca \
           FROM g) \
         SELECT id, st AS status, fs AS first_seen_at, ls AS last_seen_at, ts AS times_seen, \
           CASE WHEN st IN {OPEN} AND due_at IS NULL THEN {due} ELSE due_at END AS due_at, \
           tr AS triaged_at, \
           CASE WHEN st = 'resolved' AND resolved_at IS NULL THEN updated_at ELSE resolved_at END AS resolved_at, \
           CASE WHEN st IN ('closed','risk_accepted') AND ca IS NULL THEN updated_at ELSE ca END AS closed_at, \
           cr AS closed_reason \
         FROM r5"
    )
}

const WRITABLE: [&str; 9] = [
    "status",
    "first_seen_at",
    "last_seen_at",
    "times_seen",
    "due_at",
    "triaged_at",
    "resolved_at",
    "closed_at",
    "closed_reason",
];

fn cols(alias: &str) -> String {
    WRITABLE.map(|c| format!("{alias}.{c}")).join(", ")
}

fn reference_update(d: Dialect) -> String {
    let set = WRITABLE.map(|c| format!("{c} = v.{c}")).join(", ");
    format!(
        "UPDATE findings AS f SET {set} FROM ({}) v WHERE f.id = v.id AND ({}) {} ({})",
        reference_query(d),
        cols("f"),
        d.distinct(),
        cols("v"),
    )
}

fn reference_scan(d: Dialect) -> String {
    format!(
        "SELECT COUNT(*) FROM findings f JOIN ({}) v ON f.id = v.id WHERE ({}) {} ({})",
        reference_query(d),
        cols("f"),
        d.distinct(),
        cols("v"),
    )
}

fn checksum_sql() -> String {
    "SELECT md5(string_agg(concat_ws('|', id, tenant_id, recurrence_key, severity, status, first_seen_at, last_seen_at, \
       times_seen, due_at, triaged_at, resolved_at, closed_at, closed_reason, created_at, updated_at), ',' ORDER BY id)) FROM findings"
        .to_owned()
}

async fn one_string(db: &DatabaseConnection, sql: &str) -> String {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .expect("query")
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default()
}

async fn one_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .expect("query")
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(-1)
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

struct ShapeResult {
    shape: String,
    findings: i64,
    generate: Duration,
    reference: Duration,
    reference_scan: Duration,
    preflight: Duration,
    pipeline: Duration,
    second: Duration,
    /// The second Rebuild's estimate (from the first's measured cost).
    second_estimate: u64,
    stale: (PipelineRun, PipelineRun),
    /// The revert of the first Rebuild, after the Close Stale runs changed some of its rows.
    undo: RevertTiming,
    checksums_match: bool,
    second_changed: i64,
    peak_rss_mib: f64,
    polling: Option<String>,
}

/// One run through the pipeline: its preflight's time and estimate, the run's time and what it
/// changed.
struct PipelineRun {
    run_id: i64,
    preflight: Duration,
    estimated_seconds: u64,
    run: Duration,
    changed: i64,
}

/// Preflights and runs `runbook` over all tenants with `parameters`, waiting for the end.
async fn pipeline_run(
    ctx: &AppContext,
    runbook: &str,
    parameters: serde_json::Value,
) -> PipelineRun {
    let t = Instant::now();
    let pf = preflight::preflight(
        ctx,
        runbook,
        Scope::AllTenants,
        &parameters,
        None,
        Default::default(),
    )
    .await
    .expect("preflight");
    let preflight_time = t.elapsed();
    let t = Instant::now();
    let started = start(
        ctx,
        StartRequest {
            runbook: pf.runbook.clone(),
            scope: Scope::AllTenants,
            parameters: pf.parameters.clone(),
            initiator: None,
            reason: Reason::parse("migration", "benchmark of the rebuild pipeline")
                .expect("reason"),
            source: Source::Cli,
            confirmation: pf.confirmation.phrase.clone(),
            preflight_id: pf.preflight_id.clone(),
            allow_no_changes: true,
            options: Default::default(),
            retry_of: None,
            reverts: None,
            meta: Default::default(),
            idempotency: None,
        },
    )
    .await
    .expect("start");
    let run = completed(ctx, started.run.id).await;
    PipelineRun {
        run_id: run.id,
        preflight: preflight_time,
        estimated_seconds: pf.estimated_seconds,
        run: t.elapsed(),
        changed: run.findings_changed,
    }
}

/// Waits for run `id` to complete (polling every 20 ms); it must succeed.
async fn completed(ctx: &AppContext, id: i64) -> atlas_ops::entities::operation_runs::Model {
    loop {
        let run = atlas_ops::runs::query::find(&ctx.db, id)
            .await
            .expect("find")
            .expect("run");
        if run.status == RunStatus::Completed {
            assert_eq!(
                run.outcome,
                Some(Outcome::Succeeded),
                "bench run must succeed"
            );
            return run;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The revert of a completed run (docs/spec.md §15): its preflight's time, the revert run's,
/// the rows it restored and the conflicts it left alone.
struct RevertTiming {
    preflight: Duration,
    run: Duration,
    restored: i64,
    conflicts: i64,
}

/// Reverts run `run_id` over its tenants, waiting for the end.
async fn revert_run(ctx: &AppContext, run_id: i64) -> RevertTiming {
    let t = Instant::now();
    let pf = revert::preflight(ctx, run_id, None, Default::default())
        .await
        .expect("revert preflight");
    let preflight_time = t.elapsed();
    let t = Instant::now();
    let started = revert::start(
        ctx,
        run_id,
        StartRequest {
            runbook: pf.runbook.clone(),
            scope: Scope::AllTenants,
            parameters: serde_json::Value::Null,
            initiator: None,
            reason: Reason::parse("migration", "benchmark of a revert").expect("reason"),
            source: Source::Cli,
            confirmation: pf.confirmation.phrase.clone(),
            preflight_id: pf.preflight_id.clone(),
            allow_no_changes: true,
            options: Default::default(),
            retry_of: None,
            reverts: Some(run_id),
            meta: Default::default(),
            idempotency: None,
        },
    )
    .await
    .expect("revert");
    let run = completed(ctx, started.run.id).await;
    RevertTiming {
        preflight: preflight_time,
        run: t.elapsed(),
        restored: run.findings_changed,
        conflicts: run.conflicts,
    }
}

const REBUILD: &str = "findings.lifecycle.rebuild";
const CLOSE_STALE: &str = "findings.stale.close";

/// Close Stale Findings on the rebuilt data: first the low findings last seen before February
/// (its first measured run), then every severity last seen before March — whose estimate comes
/// from the first run's measured cost (docs/spec.md §21).
async fn close_stale_runs(ctx: &AppContext) -> (PipelineRun, PipelineRun) {
    let first = pipeline_run(
        ctx,
        CLOSE_STALE,
        serde_json::json!({"last_seen_before": "2025-02-01T00:00:00Z", "severities": ["low"]}),
    )
    .await;
    let second = pipeline_run(
        ctx,
        CLOSE_STALE,
        serde_json::json!({"last_seen_before": "2025-03-01T00:00:00Z"}),
    )
    .await;
    (first, second)
}

/// wrk script: every connection polls like a client does, sending `If-None-Match` with the
/// last ETag it received, and the statuses are counted (so the 304 share is known).
const CONDITIONAL_POLLING_LUA: &str = r#"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) etag = nil; n304 = 0; n200 = 0; nother = 0 end
function request()
  if etag == nil then return wrk.format() end
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["If-None-Match"] = etag
  return wrk.format(nil, nil, headers)
end
function response(status, headers, body)
  if status == 304 then n304 = n304 + 1
  elseif status == 200 then
    n200 = n200 + 1
    etag = headers["etag"] or headers["ETag"] or etag
  else nother = nother + 1 end
end
function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("n304"); b = b + t:get("n200"); c = c + t:get("nother")
  end
  io.write(string.format("statuses: 304=%d 200=%d other=%d\n", a, b, c))
end
"#;

/// Polls run detail with wrk (50 connections, 20 s, conditional requests) while a run is going.
async fn polling_under_load(ctx: &AppContext) -> Option<String> {
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("wrk not installed (apt-get install wrk)".into());
    }
    let app = atlas_ops::http::Application::build(ctx.clone()).ok()?;
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let token = atlas_ops::auth::tokens::create_for_username(
        ctx,
        "bench",
        "bench",
        1,
        None,
        &Default::default(),
    )
    .await
    .ok()?
    .token;
    // Reset the data's lifecycle columns is not needed: a second run still walks every tenant.
    let pf = preflight::preflight(
        ctx,
        "findings.lifecycle.rebuild",
        Scope::AllTenants,
        &serde_json::Value::Null,
        None,
        Default::default(),
    )
    .await
    .ok()?;
    let run = start(
        ctx,
        StartRequest {
            runbook: pf.runbook.clone(),
            scope: Scope::AllTenants,
            parameters: pf.parameters.clone(),
            initiator: None,
            reason: Reason::parse("migration", "benchmark of run polling").ok()?,
            source: Source::Cli,
            confirmation: pf.confirmation.phrase.clone(),
            preflight_id: pf.preflight_id.clone(),
            allow_no_changes: true,
            options: Default::default(),
            retry_of: None,
            reverts: None,
            meta: Default::default(),
            idempotency: None,
        },
    )
    .await
    .ok()?;
    let url = format!("http://127.0.0.1:{port}/system/api/ops/runs/{}", run.run.id);
    let script = std::env::temp_dir().join(format!("atlas-bench-{}.lua", std::process::id()));
    std::fs::write(&script, CONDITIONAL_POLLING_LUA).ok()?;
    let out = tokio::process::Command::new("wrk")
        .args(["-t2", "-c50", "-d20s", "--latency", "-s"])
        .arg(&script)
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .arg(&url)
        .output()
        .await
        .ok()?;
    let _ = std::fs::remove_file(&script);
    let still_running = atlas_ops::runs::query::find(&ctx.db, run.run.id)
        .await
        .ok()
        .flatten()
        .is_some_and(|r| r.status != RunStatus::Completed);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let pick = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
            .unwrap_or_else(|| "?".into())
    };
    let non_2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .map_or(0, |n| n.trim().parse::<u64>().unwrap_or(u64::MAX));
    let statuses = text
        .lines()
        .find_map(|l| l.strip_prefix("statuses:"))
        .unwrap_or("?")
        .trim()
        .to_owned();
    Some(format!(
        "{} req/s, p50 {}, p99 {}, non-2xx responses {non_2xx}, {statuses} (each connection \
         sends If-None-Match with the last ETag it saw); run still going when wrk ended: {}",
        pick("Requests/sec:"),
        pick("50%"),
        pick("99%"),
        if still_running { "yes" } else { "no" }
    ))
}

async fn bench_shape(tenants: u64, per_tenant: u64, measure_polling: bool) -> ShapeResult {
    let source = postgres::create_database().await;
    let db = atlas_ops::db::connect(&source.url, 4)
        .await
        .expect("connect");
    atlas_ops::db::migrate(&db).await.expect("migrate");
    let t = Instant::now();
    for sql in generator_sql(tenants, per_tenant) {
        db.execute_unprepared(&sql).await.expect("generate");
    }
    let generate = t.elapsed();
    let findings = one_i64(&db, "SELECT COUNT(*) FROM findings").await;
    db.close().await.expect("close");

    // (a) the reference, on its own copy.
    let reference_copy = postgres::clone_database(&source).await;
    let rdb = atlas_ops::db::connect(&reference_copy.url, 2)
        .await
        .expect("connect");
    let t = Instant::now();
    let to_change = one_i64(&rdb, &reference_scan(Dialect::Postgres)).await;
    let reference_scan_time = t.elapsed();
    let t = Instant::now();
    rdb.execute_unprepared(&reference_update(Dialect::Postgres))
        .await
        .expect("reference update");
    let reference = t.elapsed();
    let reference_sum = one_string(&rdb, &checksum_sql()).await;
    assert!(to_change > 0, "the generated data has work");

    // (b) and (c) the pipeline, on another copy, with the default workers in this process.
    let pipeline_copy = postgres::clone_database(&source).await;
    let mut settings = atlas_ops_tests::test_settings(&pipeline_copy.url);
    // wrk polls from one IP; the general per-IP flood limiter (50/s by default) would answer
    // nearly every request with 429, which measures the limiter instead of run detail.
    settings.api_rate_per_second = 1_000_000;
    settings.api_rate_burst = 1_000_000;
    let workers = 2;
    let pdb = atlas_ops::db::connect(&pipeline_copy.url, (workers + 8) as u32)
        .await
        .expect("connect");
    let ctx = atlas_ops::app::context(pdb.clone(), settings);
    atlas_ops::auth::operators::create_operator(
        &pdb,
        "bench",
        None,
        "pipeline-password-0451",
        &atlas_ops::domain::capability::Capability::ALL,
    )
    .await
    .expect("operator");
    let shutdown = CancellationToken::new();
    let handles = atlas_ops::app::spawn_workers(&ctx, workers, &shutdown);
    let first = pipeline_run(&ctx, REBUILD, serde_json::Value::Null).await;
    let (preflight_time, pipeline, changed) = (first.preflight, first.run, first.changed);
    let pipeline_sum = one_string(&pdb, &checksum_sql()).await;
    let second_run = pipeline_run(&ctx, REBUILD, serde_json::Value::Null).await;
    let (second, second_changed) = (second_run.run, second_run.changed);
    let stale = close_stale_runs(&ctx).await;
    let undo = revert_run(&ctx, first.run_id).await;
    assert_eq!(
        undo.restored + undo.conflicts,
        changed,
        "a revert restores or keeps every row the run changed"
    );
    let polling = if measure_polling {
        polling_under_load(&ctx).await
    } else {
        None
    };
    shutdown.cancel();
    for h in handles {
        let _ = h.await;
    }
    assert_eq!(
        changed, to_change,
        "pipeline and reference change the same findings"
    );
    ShapeResult {
        shape: format!("{tenants} × {per_tenant}"),
        findings,
        generate,
        reference,
        reference_scan: reference_scan_time,
        preflight: preflight_time,
        pipeline,
        second,
        second_estimate: second_run.estimated_seconds,
        stale,
        undo,
        checksums_match: reference_sum == pipeline_sum,
        second_changed,
        peak_rss_mib: rss_kib("VmHWM:") as f64 / 1024.0,
        polling,
    }
}

struct SqliteResult {
    shape: String,
    findings: i64,
    reference: Duration,
    pipeline: Duration,
    second: Duration,
    rows_differing: i64,
    second_changed: i64,
}

/// Runs `sql` with the sqlite3 command-line shell on `file`; returns its output and wall time.
fn sqlite3(file: &std::path::Path, sql: &str) -> (String, Duration) {
    use std::io::Write as _;
    let t = Instant::now();
    let mut child = std::process::Command::new("sqlite3")
        .arg(file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sqlite3 (apt-get install sqlite3)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(sql.as_bytes())
        .expect("write sql");
    let out = child.wait_with_output().expect("sqlite3");
    assert!(out.status.success(), "sqlite3 failed");
    (
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        t.elapsed(),
    )
}

/// docs/spec.md §10 on SQLite: the pipeline against the same single statement run by the sqlite3 shell,
/// each on its own copy of the generated file.
async fn bench_sqlite(tenants: u64, per_tenant: u64) -> SqliteResult {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = |name: &str| dir.path().join(name);
    let url = |name: &str| format!("sqlite://{}?mode=rwc", path(name).display());
    let db = atlas_ops::db::connect(&url("source.sqlite3"), 1)
        .await
        .expect("connect");
    atlas_ops::db::migrate(&db).await.expect("migrate");
    for sql in sqlite_generator_sql(tenants, per_tenant) {
        db.execute_unprepared(&sql).await.expect("generate");
    }
    for copy in ["reference.sqlite3", "pipeline.sqlite3"] {
        db.execute_unprepared(&format!("VACUUM INTO '{}'", path(copy).display()))
            .await
            .expect("copy");
    }
    let findings = one_i64(&db, "SELECT COUNT(*) FROM findings").await;
    db.close().await.expect("close");

    // The shell runs with the application's settings: WAL and synchronous=NORMAL.
    let pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;\n";
    let (_, reference) = sqlite3(
        &path("reference.sqlite3"),
        &format!("{pragmas}{};", reference_update(Dialect::Sqlite)),
    );

    let workers = 2;
    let settings = atlas_ops_tests::test_settings(&url("pipeline.sqlite3"));
    let pdb = atlas_ops::db::connect(&url("pipeline.sqlite3"), (workers + 8) as u32)
        .await
        .expect("connect");
    let ctx = atlas_ops::app::context(pdb.clone(), settings);
    let shutdown = CancellationToken::new();
    let handles = atlas_ops::app::spawn_workers(&ctx, workers, &shutdown);
    let pipeline = pipeline_run(&ctx, REBUILD, serde_json::Value::Null)
        .await
        .run;
    let second_run = pipeline_run(&ctx, REBUILD, serde_json::Value::Null).await;
    let (second, second_changed) = (second_run.run, second_run.changed);
    shutdown.cancel();
    for h in handles {
        let _ = h.await;
    }
    pdb.close().await.expect("close");

    let differing = format!(
        "ATTACH '{}' AS p; SELECT (SELECT COUNT(*) FROM findings) - (SELECT COUNT(*) FROM p.findings) \
         + (SELECT COUNT(*) FROM findings f JOIN p.findings v ON f.id = v.id WHERE ({}) IS NOT ({}));",
        path("pipeline.sqlite3").display(),
        cols("f"),
        cols("v"),
    );
    let (rows_differing, _) = sqlite3(&path("reference.sqlite3"), &differing);
    SqliteResult {
        shape: format!("{tenants} × {per_tenant}"),
        findings,
        reference,
        pipeline,
        second,
        rows_differing: rows_differing.parse().unwrap_or(-1),
        second_changed,
    }
}

/// `"1000x1000,100x10000"` → `[(1000, 1000), (100, 10000)]`; malformed entries are skipped.
fn parse_shapes(list: &str) -> Vec<(u64, u64)> {
    list.split(',')
        .filter_map(|shape| {
            let (t, f) = shape.split_once('x')?;
            Some((t.trim().parse().ok()?, f.trim().parse().ok()?))
        })
        .collect()
}

fn main() {
    // Traces as `serve` and `worker` have them: exported when OTEL_EXPORTER_OTLP_ENDPOINT is
    // set (docs/configuration.md), so a run with a collector up compares with one without.
    // Log lines are kept to warnings (LOG_LEVEL) so that they do not weigh on the figures.
    let log_level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "warn".into());
    let telemetry = atlas_ops::telemetry::init(&log_level, atlas_ops::config::LogFormat::Pretty);
    let shapes =
        std::env::var("BENCH_SHAPES").unwrap_or_else(|_| "1000x1000,100x10000,10000x100".into());
    let sqlite_shapes = std::env::var("BENCH_SQLITE_SHAPES").unwrap_or_else(|_| "100x1000".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut results = Vec::new();
    for (i, (t, f)) in parse_shapes(&shapes).into_iter().enumerate() {
        eprintln!("bench: shape {t} × {f}");
        let r = runtime.block_on(bench_shape(t, f, i == 0));
        eprintln!(
            "bench: {} close stale: preflight={:.2?} first={:.2?} changed={} second estimated={}s took={:.2?} changed={}; rebuild preflight={:.2?} second estimated={}s",
            r.shape,
            r.stale.1.preflight,
            r.stale.0.run,
            r.stale.0.changed,
            r.stale.1.estimated_seconds,
            r.stale.1.run,
            r.stale.1.changed,
            r.preflight,
            r.second_estimate
        );
        eprintln!(
            "bench: {} findings={} reference={:.2?} pipeline={:.2?} ratio={:.2} second={:.2?} scan={:.2?} checksums_match={} rss={:.0}MiB polling={:?}",
            r.shape,
            r.findings,
            r.reference,
            r.pipeline,
            r.pipeline.as_secs_f64() / r.reference.as_secs_f64(),
            r.second,
            r.reference_scan,
            r.checksums_match,
            r.peak_rss_mib,
            r.polling
        );
        results.push(r);
    }
    let mut sqlite_results = Vec::new();
    for (t, f) in parse_shapes(&sqlite_shapes) {
        eprintln!("bench: SQLite shape {t} × {f}");
        let r = runtime.block_on(bench_sqlite(t, f));
        eprintln!(
            "bench: SQLite {} findings={} reference={:.2?} pipeline={:.2?} ratio={:.2} second={:.2?} rows_differing={} second_changed={}",
            r.shape,
            r.findings,
            r.reference,
            r.pipeline,
            r.pipeline.as_secs_f64() / r.reference.as_secs_f64(),
            r.second,
            r.rows_differing,
            r.second_changed
        );
        sqlite_results.push(r);
    }
    let traces = if telemetry.exporting() {
        let dropped = atlas_ops::metrics::global().map_or(0, |m| m.dropped_spans());
        format!(
            "Traces: exported over OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` ({dropped} spans dropped)."
        )
    } else {
        "Traces: off (no `OTEL_EXPORTER_OTLP_ENDPOINT`).".to_owned()
    };
    eprintln!("bench: {traces}");
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmark results\n");
    let _ = writeln!(
        md,
        "Machine: {} cores, PostgreSQL at DATABASE_URL/TEST_DATABASE_URL (local; TLS: `PGSSLMODE={}`). Command: `make bench` (`BENCH_SHAPES={shapes}`). Release build, 2 workers and the health sampler in the benchmark process (as `serve` runs them; default thresholds). Where the time goes and why: `bench/PROFILE.md`. {traces}\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::env::var("PGSSLMODE").unwrap_or_else(|_| "prefer".into())
    );
    let _ = writeln!(
        md,
        "| shape | findings | generate | reference UPDATE | pipeline run | ratio | reference scan | preflight | 2nd run | 2nd/scan | checksums match | 2nd run changed | peak RSS |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &results {
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} s | {:.2} s | {:.2} s | {:.2}× | {:.2} s | {:.2} s | {:.2} s | {:.2}× | {} | {} | {:.0} MiB |",
            r.shape,
            r.findings,
            r.generate.as_secs_f64(),
            r.reference.as_secs_f64(),
            r.pipeline.as_secs_f64(),
            r.pipeline.as_secs_f64() / r.reference.as_secs_f64(),
            r.reference_scan.as_secs_f64(),
            r.preflight.as_secs_f64(),
            r.second.as_secs_f64(),
            r.second.as_secs_f64() / r.reference_scan.as_secs_f64(),
            if r.checksums_match { "yes" } else { "NO" },
            r.second_changed,
            r.peak_rss_mib
        );
    }
    let _ = writeln!(
        md,
        "\nPreflights and estimates (`estimated_seconds`: from the runbook's last completed run, docs/spec.md §21). Close Stale runs on the rebuilt data: first `severities: [low]`, last seen before 2025-02-01; then every severity, last seen before 2025-03-01.\n"
    );
    let _ = writeln!(
        md,
        "| shape | Rebuild preflight | Rebuild 2nd run: estimated / took | Close Stale preflight | Close Stale 1st run (changed) | Close Stale 2nd: estimated / took (changed) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for r in &results {
        let (a, b) = &r.stale;
        let _ = writeln!(
            md,
            "| {} | {:.2} s | {} s / {:.2} s | {:.2} s | {:.2} s ({}) | {} s / {:.2} s ({}) |",
            r.shape,
            r.preflight.as_secs_f64(),
            r.second_estimate,
            r.second.as_secs_f64(),
            b.preflight.as_secs_f64(),
            a.run.as_secs_f64(),
            a.changed,
            b.estimated_seconds,
            b.run.as_secs_f64(),
            b.changed
        );
    }
    let _ = writeln!(
        md,
        "\nRevert (docs/spec.md §15) of the first Rebuild run, after the Close Stale runs: rows they closed since are conflicts, left alone.\n"
    );
    let _ = writeln!(
        md,
        "| shape | revert preflight | revert run | rows restored | conflicts | revert run / first Rebuild run |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for r in &results {
        let _ = writeln!(
            md,
            "| {} | {:.2} s | {:.2} s | {} | {} | {:.2}× |",
            r.shape,
            r.undo.preflight.as_secs_f64(),
            r.undo.run.as_secs_f64(),
            r.undo.restored,
            r.undo.conflicts,
            r.undo.run.as_secs_f64() / r.pipeline.as_secs_f64()
        );
    }
    for r in &results {
        if let Some(p) = &r.polling {
            let _ = writeln!(
                md,
                "\nRun-detail polling during a run of {} (wrk, 2 threads, 50 connections, 20 s, bearer token): {p}",
                r.shape
            );
        }
    }
    if !sqlite_results.is_empty() {
        let _ = writeln!(
            md,
            "\nSQLite (WAL, synchronous=NORMAL): the pipeline with 2 workers against the reference statement run by the `sqlite3` shell on a copy of the same file.\n"
        );
        let _ = writeln!(
            md,
            "| shape | findings | reference UPDATE (sqlite3) | pipeline run | ratio | 2nd run | rows differing | 2nd run changed |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
        for r in &sqlite_results {
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} s | {:.2} s | {:.2}× | {:.2} s | {} | {} |",
                r.shape,
                r.findings,
                r.reference.as_secs_f64(),
                r.pipeline.as_secs_f64(),
                r.pipeline.as_secs_f64() / r.reference.as_secs_f64(),
                r.second.as_secs_f64(),
                r.rows_differing,
                r.second_changed
            );
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/RESULTS.md");
    std::fs::write(&path, &md).expect("write RESULTS.md");
    print!("{md}");
    assert!(
        results
            .iter()
            .all(|r| r.checksums_match && r.second_changed == 0)
            && sqlite_results
                .iter()
                .all(|r| r.rows_differing == 0 && r.second_changed == 0),
        "checksum mismatch or non-idempotent run"
    );
}
