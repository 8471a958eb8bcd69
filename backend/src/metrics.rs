//! Prometheus metrics: one process-wide registry, fed by the HTTP middleware (in `http/`), the
//! job worker, and a refresh from the database at scrape time.
//!
//! Why the `prometheus` crate with its own [`Registry`] rather than the `metrics` facade: no
//! global recorder to install (tests start many apps in one process), no HTTP listener or
//! push gateway dependencies, and the text encoder is all `/metrics` needs.

use crate::domain::run::RunStatus;
use std::sync::OnceLock;
use std::time::Duration;

use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// The metrics this service exports.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    runs: IntGaugeVec,
    jobs: IntGaugeVec,
    job_duration: HistogramVec,
    trace_spans_dropped: IntCounterVec,
    health_indicator: GaugeVec,
    dispatch_throttled: IntGauge,
}

impl Metrics {
    fn build() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new("atlas_http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "atlas_http_request_duration_seconds",
                "HTTP request latency",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route", "status"],
        )?;
        let runs = IntGaugeVec::new(
            Opts::new("atlas_runs", "Operation runs by status"),
            &["status"],
        )?;
        let jobs = IntGaugeVec::new(
            Opts::new("atlas_jobs", "Jobs in the queue by state"),
            &["state"],
        )?;
        let job_duration = HistogramVec::new(
            HistogramOpts::new("atlas_job_duration_seconds", "Time to handle one job").buckets(
                vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                ],
            ),
            &["kind", "result"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(runs.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        let trace_spans_dropped = IntCounterVec::new(
            Opts::new(
                "atlas_trace_spans_dropped_total",
                "Spans that never reached the trace collector: the export queue was full, or \
                 their export failed (docs/spec.md §20)",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(job_duration.clone()))?;
        let health_indicator = GaugeVec::new(
            Opts::new(
                "atlas_health_indicator",
                "The database health gate's indicators as last sampled (docs/spec.md §14)",
            ),
            &["indicator"],
        )?;
        let dispatch_throttled = IntGauge::new(
            "atlas_dispatch_throttled",
            "1 while the health gate holds every run's tenants, else 0",
        )?;
        registry.register(Box::new(health_indicator.clone()))?;
        registry.register(Box::new(dispatch_throttled.clone()))?;
        registry.register(Box::new(trace_spans_dropped.clone()))?;
        // Both reasons read 0 until a span is dropped, rather than being absent.
        for reason in DROP_REASONS {
            trace_spans_dropped.with_label_values(&[reason]);
        }
        Ok(Self {
            registry,
            http_requests,
            http_duration,
            runs,
            jobs,
            job_duration,
            trace_spans_dropped,
            health_indicator,
            dispatch_throttled,
        })
    }

    /// Counts one answered HTTP request. `route` is the matched pattern (never the raw path,
    /// which would make the label set unbounded); `method` is bounded here by [`method_label`],
    /// so no caller can turn made-up methods into new series.
    pub fn observe_http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [method_label(method), route, status.as_str()];
        self.http_requests.with_label_values(&labels).inc();
        self.http_duration
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Records how long one job took and whether it succeeded.
    pub fn observe_job(&self, kind: &str, ok: bool, elapsed: Duration) {
        let result = if ok { "ok" } else { "error" };
        self.job_duration
            .with_label_values(&[kind, result])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts `spans` that will never reach the trace collector, for `reason` (`queue_full` or
    /// `export_failed`; anything else is counted as `export_failed`, so the label set stays
    /// bounded).
    pub fn observe_dropped_spans(&self, reason: &str, spans: u64) {
        let reason = DROP_REASONS
            .into_iter()
            .find(|known| *known == reason)
            .unwrap_or("export_failed");
        self.trace_spans_dropped
            .with_label_values(&[reason])
            .inc_by(spans);
    }

    /// Spans dropped so far, whatever the reason.
    pub fn dropped_spans(&self) -> u64 {
        DROP_REASONS
            .into_iter()
            .map(|reason| self.trace_spans_dropped.with_label_values(&[reason]).get())
            .sum()
    }

    /// Reloads the run, job and health gauges from the database (called on every scrape).
    pub async fn refresh(
        &self,
        db: &impl ConnectionTrait,
        health: &crate::health::HealthView,
    ) -> Result<(), DbErr> {
        for reading in &health.indicators {
            if let Some(value) = reading.value {
                self.health_indicator
                    .with_label_values(&[reading.name.as_str()])
                    .set(value);
            }
        }
        self.dispatch_throttled.set(i64::from(
            health.state == crate::health::GateState::Throttled,
        ));
        let runs = counts(
            db,
            "SELECT status, COUNT(*) FROM operation_runs GROUP BY status",
        )
        .await?;
        // Every status is reported, so one with no rows reads 0, not absent.
        for status in <RunStatus as sea_orm::Iterable>::iter().map(RunStatus::as_str) {
            self.runs
                .with_label_values(&[status])
                .set(lookup(&runs, status));
        }
        let jobs = counts(db, "SELECT status, COUNT(*) FROM jobs GROUP BY status").await?;
        // The queue calls a waiting job `pending`; the metric says `queued`.
        self.jobs
            .with_label_values(&["queued"])
            .set(lookup(&jobs, "pending"));
        self.jobs
            .with_label_values(&["running"])
            .set(lookup(&jobs, "running"));
        Ok(())
    }

    /// Everything in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::warn!(error = %e, "cannot encode metrics");
        }
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

/// Why spans were dropped: the batch queue was full, or an export to the collector failed.
const DROP_REASONS: [&str; 2] = ["queue_full", "export_failed"];

/// The `method` label of a request: the standard methods a browser or script sends as
/// themselves, anything else `other`. HTTP allows any token as a method and actix accepts it, so
/// without this a client could create one time series per made-up method until the scrape (and
/// the process's memory) is swamped. Methods are case-sensitive: `get` is not `GET`.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

async fn counts(db: &impl ConnectionTrait, sql: &str) -> Result<Vec<(String, i64)>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let status = r.try_get_by_index::<String>(0).ok()?;
            let n = r.try_get_by_index::<i64>(1).ok()?;
            Some((status, n))
        })
        .collect())
}

fn lookup(rows: &[(String, i64)], key: &str) -> i64 {
    rows.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
}

/// The process-wide metrics, or `None` if the registry could not be built (metric names are
/// constants, so that is a programming error; it is logged and metrics are skipped).
pub fn global() -> Option<&'static Metrics> {
    static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
    METRICS
        .get_or_init(|| match Metrics::build() {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::error!(error = %e, "cannot build the metrics registry");
                None
            }
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_observed_metrics() {
        let m = Metrics::build().expect("registry");
        m.observe_http("GET", "/healthz", 200, Duration::from_millis(3));
        m.observe_job("run.tenant", true, Duration::from_millis(30));
        let text = m.render();
        assert!(text.contains(
            "atlas_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ));
        assert!(
            text.contains("atlas_job_duration_seconds_count{kind=\"run.tenant\",result=\"ok\"} 1")
        );
        assert!(text.contains("atlas_trace_spans_dropped_total{reason=\"queue_full\"} 0"));
        m.observe_dropped_spans("export_failed", 7);
        m.observe_dropped_spans("made-up", 1);
        let text = m.render();
        assert!(text.contains("atlas_trace_spans_dropped_total{reason=\"export_failed\"} 8"));
        assert_eq!(m.dropped_spans(), 8);
    }

    #[test]
    fn methods_outside_the_standard_set_share_one_label() {
        for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            assert_eq!(method_label(method), method);
        }
        for method in ["get", "TRACE", "CONNECT", "PROPFIND", "X-INFLATE-0001", ""] {
            assert_eq!(method_label(method), "other", "{method:?}");
        }
        let m = Metrics::build().expect("registry");
        for i in 0..50 {
            m.observe_http(&format!("M{i}"), "unmatched", 404, Duration::ZERO);
        }
        let text = m.render();
        let series = text
            .lines()
            .filter(|l| l.starts_with("atlas_http_requests_total{"))
            .collect::<Vec<_>>();
        assert_eq!(
            series,
            ["atlas_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 50"]
        );
    }
}
