//! SPEC §11, the HTTP-level hardening rules, one section per rule.

use atlas_ops_tests::{Backend, db_tests, spawn_app};
use reqwest::Method;

// ---------------------------------------------------------------------------------------------
// Metrics cannot be inflated

/// The `atlas_http_requests_total` series of a scrape: (labels, value).
fn request_series(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("atlas_http_requests_total{"))
        .filter_map(|l| {
            let (labels, value) = l.rsplit_once("} ")?;
            Some((labels.to_owned(), value.parse().ok()?))
        })
        .collect()
}

async fn made_up_methods_do_not_create_metric_series(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client();
    for i in 0..200 {
        let method = Method::from_bytes(format!("INFLATE{i}").as_bytes()).expect("method");
        // Half at a real route, half at paths no route knows.
        let path = if i % 2 == 0 {
            "/healthz".to_owned()
        } else {
            format!("/no-such-path/{i}")
        };
        client
            .request(method, app.url(&path))
            .send()
            .await
            .expect("request");
    }
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("body");
    let series = request_series(&text);
    let known = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
    ];
    for (labels, _) in &series {
        assert!(
            !labels.contains("INFLATE"),
            "a made-up method is a label: {labels}"
        );
        assert!(
            known
                .iter()
                .any(|m| labels.starts_with(&format!("method=\"{m}\""))),
            "unexpected method label: {labels}"
        );
    }
    let other = series
        .iter()
        .filter(|(labels, _)| labels.starts_with("method=\"other\""))
        .collect::<Vec<_>>();
    assert!(
        (1..=3).contains(&other.len()),
        "made-up methods share a few series: {other:?}"
    );
    let counted: f64 = other.iter().map(|(_, v)| v).sum();
    assert!(
        counted >= 200.0,
        "every made-up request is counted: {other:?}"
    );
    assert!(
        series.len() <= 20,
        "the series stay few: {} of them\n{text}",
        series.len()
    );
}

db_tests!(made_up_methods_do_not_create_metric_series,);
