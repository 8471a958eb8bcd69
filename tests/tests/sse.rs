//! `GET /system/api/ops/runs/{id}/events`: progress events while a run goes, then one
//! `completed` event with the final counts, then the stream ends.

use std::time::Duration;

use atlas_ops::domain::capability::Capability;
use atlas_ops_tests::runs::{drain, queued_run};
use atlas_ops_tests::sse::events;
use atlas_ops_tests::{Backend, db_tests, spawn_app};

async fn the_event_stream_follows_a_run_to_completion(backend: Backend) {
    let app = spawn_app(backend).await;
    let run_id = queued_run(&app).await;
    let token = app.operator_token("watcher", &[Capability::RunsView]).await;
    let client = app.client();

    let mut res = client
        .get(app.url(&format!("/system/api/ops/runs/{run_id}/events")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    // The first event arrives at once: the run as it is now (queued).
    let mut text = String::new();
    while events(&text).is_empty() {
        let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk())
            .await
            .expect("first event in time")
            .expect("chunk")
            .expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let first = events(&text);
    assert_eq!(first[0].0, "progress");
    assert_eq!(first[0].1["id"], run_id);
    assert_eq!(first[0].1["status"], "queued");

    // Work the queue while the stream is open; it must end by itself.
    let final_view = drain(&app, run_id).await;
    let rest = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = res.chunk().await.expect("chunk") {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(rest.is_ok(), "the stream did not end after completion");

    let all = events(&text);
    let (last_name, last) = all.last().expect("events");
    assert_eq!(last_name, "completed");
    assert_eq!(last["status"], "completed");
    assert_eq!(
        last["outcome"],
        final_view.outcome.map(|o| o.as_str()).unwrap_or_default()
    );
    assert_eq!(last["counts"]["total"], 6);
    assert_eq!(last["counts"]["processed"], 6);
    assert_eq!(last["counts"]["succeeded"], 6);
    assert_eq!(
        last["counts"]["findings_changed"],
        final_view.counts.findings_changed
    );
    assert_eq!(
        all[all.len() - 2].0,
        "progress",
        "completion is also a progress event"
    );
    assert!(
        all.iter().all(|(n, _)| n == "progress" || n == "completed"),
        "only progress and completed events"
    );
}

async fn unknown_or_unauthorized_streams_get_problem_documents(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.operator_token("watcher", &[Capability::RunsView]).await;
    let client = app.client();
    let res = client
        .get(app.url("/system/api/ops/runs/424242/events"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let res = app.get("/system/api/ops/runs/1/events").await;
    assert_eq!(res.status(), 401);
    let nobody = app
        .operator_token("nobody", &[Capability::RunbooksView])
        .await;
    let res = client
        .get(app.url("/system/api/ops/runs/1/events"))
        .bearer_auth(&nobody)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 403);
}

db_tests!(
    the_event_stream_follows_a_run_to_completion,
    unknown_or_unauthorized_streams_get_problem_documents,
);
