//! Logs and traces. Logs: pretty for a terminal, JSON lines (`LOG_FORMAT=json`) for production.
//!
//! Traces (docs/spec.md §20): with `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, the service's spans (requests, run starts, job
//! claims, jobs, fan-outs, tenant jobs) go to the collector over OTLP/HTTP (protobuf) through
//! the OpenTelemetry SDK: `tracing-opentelemetry` turns the `tracing` spans into OpenTelemetry
//! ones, the SDK's batch span processor queues them (bounded) and its own thread hands them to
//! the SDK's OTLP exporter, so a slow or unreachable collector never holds up a request or a
//! job. Spans that do not reach the collector (queue full, export failed) are counted in
//! `/metrics` (`atlas_trace_spans_dropped_total`). Unset, no exporter exists and the
//! subscriber is the log formatter alone.
//!
//! One run is one trace, across processes: a job stores the W3C `traceparent` of the span that
//! enqueued it (`jobs.trace_context`), and the worker that claims it makes the job's span a
//! child of it ([`current_trace_context`], [`set_parent`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    Span as _, SpanKind, TraceContextExt, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider, SpanData, SpanExporter,
    SpanProcessor,
};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// The service name when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES` names one.
pub const DEFAULT_SERVICE_NAME: &str = "atlas-ops";

/// How long shutting down waits for the last spans to be exported: a collector that is down
/// delays the exit of `serve` or `worker` by this much at most.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(3);

/// The tracer of this process, once traces are exported (for the spans not made through
/// `tracing`: a job's claim, which is known to belong to a trace only after it happened).
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// The installed telemetry; dropping it flushes the spans still queued and stops the exporter.
#[must_use = "dropping it shuts the tracer provider down"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported (the environment asked for it and the exporter is set up).
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }
}

impl Drop for Telemetry {
    /// Exports what is queued (waiting at most a few seconds) and stops the exporter.
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT)
        {
            tracing::warn!(%error, "trace exporter did not shut down cleanly");
        }
    }
}

/// Installs the global subscriber, with the trace exporter when the environment asks for one;
/// a second call (tests) installs nothing and exports nothing.
pub fn init(level: &str, format: LogFormat) -> Telemetry {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    if !otlp_configured(|key| std::env::var(key).ok()) {
        init_logs_only(filter, format);
        return Telemetry { provider: None };
    }
    let provider = match build_provider() {
        Ok(provider) => provider,
        Err(error) => {
            init_logs_only(filter, format);
            tracing::error!(error = %error, "cannot set up the trace exporter; traces are off");
            return Telemetry { provider: None };
        }
    };
    let tracer = provider.tracer("atlas-ops");
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Pretty => fmt.compact().boxed(),
    };
    // The spans are this service's own, whatever LOG_LEVEL says about the log lines.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer.clone())
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_filter(Targets::new().with_target("atlas_ops", tracing::Level::INFO));
    let installed = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init()
        .is_ok();
    if !installed || TRACER.set(tracer).is_err() {
        let _ = provider.shutdown();
        return Telemetry { provider: None };
    }
    tracing::info!("exporting traces over OTLP/HTTP");
    Telemetry {
        provider: Some(provider),
    }
}

fn init_logs_only(filter: EnvFilter, format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// Whether the standard variables ask for trace export: an OTLP endpoint is set (an empty
/// value counts as unset), and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`
/// turns it off.
fn otlp_configured(env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |key: &str| env(key).is_some_and(|v| !v.trim().is_empty());
    let is =
        |key: &str, value: &str| env(key).is_some_and(|v| v.trim().eq_ignore_ascii_case(value));
    (set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || set("OTEL_EXPORTER_OTLP_ENDPOINT"))
        && !is("OTEL_SDK_DISABLED", "true")
        && !is("OTEL_TRACES_EXPORTER", "none")
}

/// The SDK's OTLP/HTTP exporter and batch span processor, configured by the `OTEL_*`
/// variables (endpoint, headers, timeout, `OTEL_BSP_*`, sampler, resource), each wrapped in a
/// counter of the spans that never reach the collector.
fn build_provider() -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()?;
    let config = BatchConfigBuilder::default().build();
    let capacity = std::env::var("OTEL_BSP_MAX_QUEUE_SIZE")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(opentelemetry_sdk::trace::OTEL_BSP_MAX_QUEUE_SIZE_DEFAULT);
    let queued = Arc::new(AtomicUsize::new(0));
    let exporter = CountingExporter {
        inner: exporter,
        queued: queued.clone(),
        failing: Arc::new(AtomicBool::new(false)),
    };
    let processor = BoundedProcessor {
        inner: BatchSpanProcessor::builder(exporter)
            .with_batch_config(config)
            .build(),
        queued,
        capacity,
    };
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource())
        .build())
}

/// The SDK's resource (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`), named `atlas-ops`
/// where they name no service.
fn resource() -> Resource {
    let detected = Resource::builder().build();
    let unnamed = detected
        .get(&opentelemetry::Key::from_static_str("service.name"))
        .is_none_or(|name| name.as_str().starts_with("unknown_service"));
    if unnamed {
        Resource::builder()
            .with_service_name(DEFAULT_SERVICE_NAME)
            .build()
    } else {
        detected
    }
}

/// Spans that did not reach the collector, by reason, in `/metrics`.
fn dropped(reason: &str, spans: usize) {
    if let Some(metrics) = crate::metrics::global() {
        metrics.observe_dropped_spans(reason, spans as u64);
    }
}

/// The batch span processor with its queue's occupancy counted: a span that would find the
/// queue full is dropped here, counted, instead of inside the SDK's processor, which drops it
/// uncounted. `queued` counts the spans handed on and not yet through an export (it is never
/// below what the processor's queue holds), so the processor itself never finds its queue full.
#[derive(Debug)]
struct BoundedProcessor {
    inner: BatchSpanProcessor,
    queued: Arc<AtomicUsize>,
    capacity: usize,
}

impl SpanProcessor for BoundedProcessor {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            dropped("queue_full", 1);
            return;
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// The SDK's OTLP exporter, counting the spans of a failed export as dropped and releasing the
/// exported batch from the queue count of [`BoundedProcessor`].
#[derive(Debug)]
struct CountingExporter<E> {
    inner: E,
    queued: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
}

/// Takes `n` spans off the queue count when dropped: after the export, or if the export's
/// future is abandoned.
struct Release(Arc<AtomicUsize>, usize);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.fetch_sub(self.1, Ordering::AcqRel);
    }
}

impl<E: SpanExporter> SpanExporter for CountingExporter<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let spans = batch.len();
        let release = Release(self.queued.clone(), spans);
        let failing = self.failing.clone();
        let export = self.inner.export(batch);
        async move {
            let _release = release;
            let result = export.await;
            match &result {
                Ok(()) => {
                    if failing.swap(false, Ordering::Relaxed) {
                        tracing::info!("trace export works again");
                    }
                }
                Err(error) => {
                    dropped("export_failed", spans);
                    if !failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(%error, spans, "trace export failed; spans are dropped until it works again");
                    }
                }
            }
            result
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// The current span's trace context as a W3C `traceparent`, to store with a job this span
/// enqueues; `None` when traces are off or there is no span.
pub fn current_trace_context() -> Option<String> {
    TRACER.get()?;
    traceparent_of(&tracing::Span::current().context())
}

fn traceparent_of(cx: &Context) -> Option<String> {
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(cx, &mut carrier);
    carrier.remove("traceparent")
}

/// The remote parent a stored or received `traceparent` names; `None` when it is missing or
/// malformed (the span then starts a trace of its own).
fn parent_context(traceparent: Option<&str>) -> Option<Context> {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent?.to_owned())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    cx.span().span_context().is_valid().then_some(cx)
}

/// Makes `span` (not yet entered) a child of `traceparent` — a job's stored context, or a
/// request's `traceparent` header. Without one, or with a malformed one, `span` keeps its
/// place.
pub fn set_parent(span: &tracing::Span, traceparent: Option<&str>) {
    if TRACER.get().is_none() {
        return;
    }
    if let Some(cx) = parent_context(traceparent) {
        let _ = span.set_parent(cx);
    }
}

/// Records a job's claim, which took from `started` until now, as a span in the trace the job
/// belongs to (its stored `traceparent`); nothing without one, so that polls of an empty
/// queue are never traced.
pub fn record_claim(
    traceparent: Option<&str>,
    started: SystemTime,
    job_id: i64,
    kind: &str,
    attempt: i32,
) {
    let (Some(tracer), Some(parent)) = (TRACER.get(), parent_context(traceparent)) else {
        return;
    };
    let mut span = tracer
        .span_builder("job.claim")
        .with_kind(SpanKind::Consumer)
        .with_start_time(started)
        .with_attributes([
            KeyValue::new("job_id", job_id),
            KeyValue::new("kind", kind.to_owned()),
            KeyValue::new("attempt", i64::from(attempt)),
        ])
        .start_with_context(tracer, &parent);
    span.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| vars.get(key).cloned()
    }

    #[test]
    fn an_endpoint_turns_export_on_and_the_standard_switches_turn_it_off() {
        assert!(!otlp_configured(env(&[])));
        assert!(!otlp_configured(env(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            " "
        )])));
        assert!(otlp_configured(env(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://127.0.0.1:4318"
        )])));
        assert!(otlp_configured(env(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://127.0.0.1:4318/v1/traces"
        )])));
        for off in [
            ("OTEL_SDK_DISABLED", "TRUE"),
            ("OTEL_TRACES_EXPORTER", "none"),
        ] {
            assert!(!otlp_configured(env(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
                off,
            ])));
        }
    }

    #[test]
    fn a_traceparent_survives_the_round_trip_through_the_jobs_column() {
        let provider = SdkTracerProvider::builder().build();
        let tracer = provider.tracer("test");
        let span = tracer.start("run.start");
        let cx = Context::new().with_span(span);
        let stored = traceparent_of(&cx).expect("a valid context has a traceparent");
        let expected = cx.span().span_context().clone();
        assert_eq!(
            stored,
            format!("00-{}-{}-01", expected.trace_id(), expected.span_id())
        );
        let parent = parent_context(Some(&stored)).expect("it parses back");
        let restored = parent.span().span_context().clone();
        assert_eq!(restored.trace_id(), expected.trace_id());
        assert_eq!(restored.span_id(), expected.span_id());
        assert!(restored.is_sampled() && restored.is_remote());
        // A child started under the restored context is in the same trace.
        let child = tracer.start_with_context("job", &parent);
        assert_eq!(child.span_context().trace_id(), expected.trace_id());
    }

    #[test]
    fn a_missing_or_malformed_traceparent_names_no_parent() {
        assert!(traceparent_of(&Context::new()).is_none());
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra\u{0}",
        ] {
            assert!(parent_context(Some(bad)).is_none(), "{bad:?}");
        }
        assert!(parent_context(None).is_none());
    }

    /// An exporter that answers at once, with success or failure.
    #[derive(Debug)]
    struct Answers(bool);

    impl SpanExporter for Answers {
        fn export(&self, _batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
            let ok = self.0;
            async move {
                if ok {
                    Ok(())
                } else {
                    Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                        "collector down".into(),
                    ))
                }
            }
        }
    }

    /// A provider whose batch processor exports only when flushed, behind the counting
    /// adapters with room for `capacity` (< 100) spans; and its queue count.
    fn counted(exporter: Answers, capacity: usize) -> (SdkTracerProvider, Arc<AtomicUsize>) {
        let queued = Arc::new(AtomicUsize::new(0));
        let exporter = CountingExporter {
            inner: exporter,
            queued: queued.clone(),
            failing: Arc::new(AtomicBool::new(false)),
        };
        // The processor's own queue and batch are larger, so that it never exports by itself.
        let config = BatchConfigBuilder::default()
            .with_scheduled_delay(Duration::from_secs(3600))
            .with_max_queue_size(100)
            .with_max_export_batch_size(100)
            .build();
        let processor = BoundedProcessor {
            inner: BatchSpanProcessor::builder(exporter)
                .with_batch_config(config)
                .build(),
            queued: queued.clone(),
            capacity,
        };
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .build();
        (provider, queued)
    }

    fn dropped_so_far() -> u64 {
        crate::metrics::global().map_or(0, |m| m.dropped_spans())
    }

    // One test for both reasons: the counter is process-wide, and no other test drops spans.
    #[test]
    fn spans_that_never_reach_the_collector_are_dropped_and_counted() {
        // The queue is full.
        let (provider, queued) = counted(Answers(true), 2);
        let tracer = provider.tracer("test");
        let before = dropped_so_far();
        for _ in 0..5 {
            tracer.start("tenant").end();
        }
        assert_eq!(queued.load(Ordering::Acquire), 2);
        assert_eq!(dropped_so_far() - before, 3);
        provider.force_flush().expect("flush");
        assert_eq!(
            queued.load(Ordering::Acquire),
            0,
            "exported spans leave the queue"
        );
        tracer.start("tenant").end();
        assert_eq!(dropped_so_far() - before, 3, "room again after the export");
        provider.shutdown().expect("shutdown");

        // The export fails.
        let (provider, queued) = counted(Answers(false), 10);
        let tracer = provider.tracer("test");
        let before = dropped_so_far();
        for _ in 0..4 {
            tracer.start("tenant").end();
        }
        assert!(provider.force_flush().is_err());
        assert_eq!(dropped_so_far() - before, 4);
        assert_eq!(queued.load(Ordering::Acquire), 0);
        let _ = provider.shutdown();
    }

    #[test]
    fn traces_off_store_nothing_and_parent_nothing() {
        // No exporter in unit tests: the hooks are no-ops.
        let span = tracing::info_span!("job");
        set_parent(
            &span,
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        assert!(current_trace_context().is_none());
        record_claim(None, SystemTime::now(), 1, "run.tenant", 1);
    }
}
