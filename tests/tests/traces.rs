//! OpenTelemetry traces (docs/spec.md §20), black-box: the real binary as `serve` (the start
//! request) and two `worker` processes export to a small OTLP/HTTP receiver started here, which
//! decodes the protobuf with the `opentelemetry-proto` types.
//!
//! - one run is one trace: the start request, the run's start, its fan-out, the job claims and
//!   the three tenant jobs, each with the run id, across the two worker processes (on
//!   PostgreSQL both take tenants; on SQLite, where rebuilds cannot be slowed down, one may
//!   take them all);
//! - with the collector down, the same run takes about as long, and `/metrics` counts the spans
//!   that could not be exported;
//! - the `jobs.trace_context` column migrates down and up on both back-ends, and a claim hands
//!   the stored context to the worker.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atlas_ops::demo::{self, SeedShape};
use atlas_ops::domain::capability::Capability;
use atlas_ops::jobs;
use atlas_ops_tests::process::AtlasProcess;
use atlas_ops_tests::runs::{completed, queued_run, slow_down_rebuilds, wait_until};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const RB: &str = "/system/api/ops/runbooks/findings.lifecycle.rebuild";

fn bin() -> std::path::PathBuf {
    atlas_ops_tests::atlas_ops_bin!()
}

/// One span as the receiver got it.
#[derive(Debug, Clone)]
struct Received {
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    name: String,
    attributes: HashMap<String, String>,
    /// The exporting process's resource attributes (`service.name`, `service.instance.id`).
    resource: HashMap<String, String>,
}

impl Received {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(kvs: &[KeyValue]) -> HashMap<String, String> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
        .collect()
}

/// A minimal OTLP/HTTP collector on 127.0.0.1: accepts `POST /v1/traces` (protobuf, keep-alive
/// connections) and keeps every span it decodes.
struct Receiver {
    endpoint: String,
    spans: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let spans = Arc::new(Mutex::new(Vec::new()));
        let kept = spans.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(stream, kept.clone()));
            }
        });
        Self {
            endpoint,
            spans,
            task,
        }
    }

    fn spans(&self) -> Vec<Received> {
        self.spans.lock().expect("spans").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn connection(mut stream: TcpStream, spans: Arc<Mutex<Vec<Received>>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let head_end = loop {
            if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buffer.drain(..head_end + length).skip(head_end).collect();
        let ok = head.starts_with("post /v1/traces ");
        if ok {
            let request = ExportTraceServiceRequest::decode(body.as_slice()).expect("protobuf");
            let mut kept = spans.lock().expect("spans");
            for resource_spans in request.resource_spans {
                let resource = attributes(
                    &resource_spans
                        .resource
                        .map(|r| r.attributes)
                        .unwrap_or_default(),
                );
                for span in resource_spans.scope_spans.into_iter().flat_map(|s| s.spans) {
                    kept.push(Received {
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        name: span.name,
                        attributes: attributes(&span.attributes),
                        resource: resource.clone(),
                    });
                }
            }
        }
        let answer: &[u8] = if ok {
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"
        } else {
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
        };
        if stream.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// A fresh database with three tenants, and an API token. On PostgreSQL each rebuild takes at
/// least half a second, so that both worker processes get a tenant.
async fn three_tenants(backend: Backend) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    demo::seed(
        &app.db,
        SeedShape {
            workspaces: 1,
            tenants: 3,
            findings_per_tenant: 30,
        },
        Some("seed-password-0451".into()),
    )
    .await
    .expect("seed");
    if backend == Backend::Postgres {
        slow_down_rebuilds(&app, 0.5).await;
    }
    let token = app.operator_token("tracer", &Capability::ALL).await;
    (app, token)
}

/// `serve` (no workers of its own) and two single-worker `worker` processes, all exporting to
/// `endpoint`, each named by `service.instance.id`. Spans are exported every 100 ms.
async fn processes(app: &TestApp, endpoint: &str) -> Vec<AtlasProcess> {
    let resource = |instance: &str| format!("service.instance.id={instance}");
    let server = resource("server");
    let env = |resource: &str| -> Vec<(String, String)> {
        vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint.into()),
            ("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()),
            ("OTEL_RESOURCE_ATTRIBUTES".into(), resource.into()),
        ]
    };
    let server_env = env(&server);
    let mut spawned =
        vec![AtlasProcess::serve(&bin(), &app.database.url, 0, &borrowed(&server_env)).await];
    for instance in ["worker-a", "worker-b"] {
        let worker_env = env(&resource(instance));
        spawned.push(AtlasProcess::worker(
            &bin(),
            &app.database.url,
            1,
            &borrowed(&worker_env),
        ));
    }
    spawned
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Preflight and start an all-tenants run over HTTP on `server`; returns the run id.
async fn start_run(server: &str, token: &str) -> i64 {
    let client = reqwest::Client::new();
    let preflight: Value = client
        .post(format!("{server}{RB}/preflight"))
        .bearer_auth(token)
        .json(&json!({"scope": {"kind": "all_tenants"}}))
        .send()
        .await
        .expect("preflight")
        .json()
        .await
        .expect("preflight json");
    let res = client
        .post(format!("{server}{RB}/runs"))
        .bearer_auth(token)
        .json(&json!({
            "scope": {"kind": "all_tenants"},
            "preflight_id": preflight["preflight_id"],
            "reason": {"code": "data_repair", "text": "trace one run across processes"},
            "confirmation": preflight["confirmation"]["phrase"],
        }))
        .send()
        .await
        .expect("start");
    assert_eq!(res.status(), 201, "start");
    let run: Value = res.json().await.expect("run json");
    run["id"].as_i64().expect("run id")
}

/// Starts a run on `procs[0]` and waits for the workers to complete it; returns how long that
/// took.
async fn timed_run(app: &TestApp, procs: &[AtlasProcess], token: &str) -> (i64, Duration) {
    let server = procs[0].address.clone().expect("server address");
    let started = Instant::now();
    let run_id = start_run(&server, token).await;
    let done = wait_until(app, &completed(run_id), Duration::from_secs(60)).await;
    let took = started.elapsed();
    assert!(
        done,
        "run {run_id} did not complete:\n{}\n{}",
        procs[1].log_text(),
        procs[2].log_text()
    );
    (run_id, took)
}

/// SIGTERMs every process and waits for it to exit (a graceful stop flushes its spans).
async fn stop(procs: &mut [AtlasProcess]) {
    for p in procs.iter() {
        p.terminate();
    }
    for p in procs.iter_mut() {
        assert!(
            p.wait_exit(Duration::from_secs(20)).await.is_some(),
            "a process did not stop:\n{}",
            p.log_text()
        );
    }
}

/// `atlas_trace_spans_dropped_total`, both reasons added up, from `server`'s `/metrics`.
async fn dropped_spans(server: &str) -> u64 {
    let text = reqwest::get(format!("{server}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .filter(|l| l.starts_with("atlas_trace_spans_dropped_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// A run over three tenants with the collector up is one trace: the start request, the run's
/// start, the fan-out, four claims and jobs, three tenant jobs, each with the run id. Returns
/// how long the run took.
async fn one_run_is_one_trace(backend: Backend) -> Duration {
    let receiver = Receiver::start().await;
    let (app, token) = three_tenants(backend).await;
    let mut procs = processes(&app, &receiver.endpoint).await;
    let (run_id, with_collector) = timed_run(&app, &procs, &token).await;
    stop(&mut procs).await;
    let spans = receiver.spans();
    let run = run_id.to_string();
    let start = spans
        .iter()
        .find(|s| s.name == "run.start" && s.attr("run_id") == Some(run.as_str()))
        .unwrap_or_else(|| panic!("no run.start span for run {run_id}: {spans:#?}"));
    let trace: Vec<&Received> = spans
        .iter()
        .filter(|s| s.trace_id == start.trace_id)
        .collect();
    let named = |name: &str| -> Vec<&Received> {
        trace.iter().copied().filter(|s| s.name == name).collect()
    };
    // The request that started the run is the start's parent, with its request id.
    let request = trace
        .iter()
        .find(|s| s.span_id == start.parent_span_id)
        .expect("the start's parent span is in the trace");
    assert_eq!(request.name, "POST /system/api/ops/runbooks/{key}/runs");
    assert!(
        request.attr("request_id").is_some_and(|id| !id.is_empty()),
        "{request:?}"
    );
    assert_eq!(request.resource["service.instance.id"], "server");
    assert_eq!(start.resource["service.name"], "atlas-ops");
    let fanout = named("run.fanout");
    assert_eq!(fanout.len(), 1, "{trace:#?}");
    assert_eq!(fanout[0].attr("run_id"), Some(run.as_str()));
    let tenants = named("run.tenant");
    assert_eq!(tenants.len(), 3, "{trace:#?}");
    for tenant in &tenants {
        assert_eq!(tenant.attr("run_id"), Some(run.as_str()), "{tenant:?}");
        assert_eq!(tenant.attr("outcome"), Some("succeeded"), "{tenant:?}");
        assert_eq!(tenant.attr("attempt"), Some("1"), "{tenant:?}");
        assert!(tenant.attr("item_id").is_some(), "{tenant:?}");
        assert!(
            tenant.attr("rows_changed").is_some_and(|n| n != "0"),
            "{tenant:?}"
        );
    }
    let external_ids: BTreeSet<&str> = tenants
        .iter()
        .filter_map(|s| s.attr("tenant.external_id"))
        .collect();
    assert_eq!(external_ids.len(), 3, "{tenants:#?}");
    // The fan-out and every tenant job ran under a claimed job of the same trace.
    assert_eq!(named("job.claim").len(), 4, "{trace:#?}");
    assert_eq!(named("job").len(), 4, "{trace:#?}");
    let workers: BTreeSet<&str> = named("job")
        .iter()
        .map(|s| s.resource["service.instance.id"].as_str())
        .collect();
    // On SQLite, without the slowed-down rebuilds, one worker may take every tenant.
    let expected: BTreeSet<&str> = match backend {
        Backend::Postgres => BTreeSet::from(["worker-a", "worker-b"]),
        Backend::Sqlite => BTreeSet::from(["worker-a", "worker-b"])
            .intersection(&workers)
            .copied()
            .collect(),
    };
    assert!(!workers.is_empty() && workers == expected, "{workers:?}");
    with_collector
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_one_run_is_one_trace_across_worker_processes() {
    one_run_is_one_trace(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_run_is_one_trace_across_worker_processes_and_a_dead_collector_costs_nothing()
{
    let with_collector = one_run_is_one_trace(Backend::Postgres).await;

    // Collector down: nothing listens on the endpoint's port.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let (app, token) = three_tenants(Backend::Postgres).await;
    let mut procs = processes(&app, &closed).await;
    let (_, without_collector) = timed_run(&app, &procs, &token).await;
    assert!(
        without_collector < with_collector * 2 + Duration::from_secs(1),
        "with the collector down the run took {without_collector:?}, with it {with_collector:?}"
    );
    let server = procs[0].address.clone().expect("server address");
    let started = Instant::now();
    let mut dropped = 0;
    while dropped == 0 && started.elapsed() < Duration::from_secs(20) {
        dropped = dropped_spans(&server).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "run with the collector up: {with_collector:?}; down: {without_collector:?}; \
         spans the server dropped: {dropped}"
    );
    assert!(dropped > 0, "the server counted no dropped spans");
    stop(&mut procs).await;
}

/// The column migrates down and up again, and a claim hands the stored context on.
async fn the_trace_context_column_migrates_and_reaches_the_claim(backend: Backend) {
    use migration::{Migrator, MigratorTrait};

    let app = spawn_app(backend).await;
    app.allow_unfinished_jobs();
    // One connection of its own: SQLite checks an `ALTER TABLE ... DROP COLUMN` against the
    // schema the connection cached, and the app's connections may predate the column; with one
    // connection every step of the walk down and up sees the schema the step before left (with
    // a pool of ten, the walk up once failed under load with "duplicate column name").
    let db = atlas_ops::db::connect(&app.database.url, 1)
        .await
        .expect("connect");
    // Down to just before the trace migration, whatever came after it.
    let trace_migration = "m20261207_000002_add_job_trace_context";
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .expect("applied");
    let steps = applied
        .iter()
        .rev()
        .position(|m| m.name() == trace_migration)
        .expect("the trace migration is applied")
        + 1;
    Migrator::down(&db, Some(steps as u32)).await.expect("down");
    let last = Migrator::get_applied_migrations(&db)
        .await
        .expect("applied");
    assert_eq!(
        last.last().map(|m| m.name().to_owned()).as_deref(),
        Some("m20261207_000001_add_job_subjects_and_chores")
    );
    Migrator::up(&db, None).await.expect("up");
    queued_run(&app).await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    app.db
        .execute_unprepared(&format!("UPDATE jobs SET trace_context = '{traceparent}'"))
        .await
        .expect("store a context");
    let job = jobs::claim(&app.db, app.ctx.now(), chrono::Duration::seconds(30))
        .await
        .expect("claim")
        .expect("the fan-out is due");
    assert_eq!(job.trace_context.as_deref(), Some(traceparent));
}

db_tests!(the_trace_context_column_migrates_and_reaches_the_claim);
