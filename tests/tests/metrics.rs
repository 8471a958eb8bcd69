//! `GET /metrics`: Prometheus text with HTTP, run, job and job-duration metrics.

use atlas_ops::domain::run::Scope;
use atlas_ops_tests::runs::{drain, preflight_and_start, seed};
use atlas_ops_tests::{Backend, db_tests, spawn_app};

/// The value of the first sample line starting with `prefix`.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn metrics_report_requests_runs_and_jobs(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    drain(&app, run_id).await;

    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("text/plain"), "{ct}");
    let text = res.text().await.expect("body");
    for name in [
        "atlas_http_requests_total",
        "atlas_http_request_duration_seconds_bucket",
        "atlas_runs",
        "atlas_jobs",
        "atlas_job_duration_seconds_bucket",
        "atlas_trace_spans_dropped_total",
        "atlas_dispatch_throttled",
    ] {
        assert!(
            text.contains(&format!("# TYPE {}", name.trim_end_matches("_bucket"))),
            "{name} missing:\n{text}"
        );
    }
    let healthz = sample(
        &text,
        "atlas_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}",
    )
    .expect("healthz counter");
    assert!(healthz >= 1.0);
    // This app's run is completed; the registry is process-wide, so other tests' runs may
    // be counted too, but never fewer than ours.
    assert!(sample(&text, "atlas_runs{status=\"completed\"}").expect("runs gauge") >= 1.0);
    assert!(sample(&text, "atlas_jobs{state=\"queued\"}").is_some());
    assert!(sample(&text, "atlas_jobs{state=\"running\"}").is_some());
    assert!(
        sample(
            &text,
            "atlas_job_duration_seconds_count{kind=\"run.tenant\",result=\"ok\"}"
        )
        .expect("job durations")
            >= 6.0
    );
}

db_tests!(metrics_report_requests_runs_and_jobs);
