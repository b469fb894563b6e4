//! Prometheus metrics: what the HTTP layer and the services record, rendered in the text format.

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every metric Pépite exports, registered once.
pub struct Metrics {
    registry: Registry,
    /// GraphQL requests by operation type (`query`, `mutation`, `unknown`) and outcome (`ok`, `error`, `refused`).
    pub requests: IntCounterVec,
    /// GraphQL request durations by operation type, in seconds.
    pub request_seconds: HistogramVec,
    /// GraphQL errors by `extensions.code`.
    pub errors: IntCounterVec,
    /// Time spent in the search index for `search`, in seconds.
    pub search_seconds: HistogramVec,
    /// Entities in the database, by kind.
    pub entities: IntGaugeVec,
    /// Documents in the search index.
    pub index_documents: IntGauge,
    /// The last change-log position the search index applied.
    pub index_position: IntGauge,
    /// Index commits since start: each makes a group of writes searchable.
    pub index_commits: IntCounter,
    /// Memory the search index's facet ordinals and values' documents hold, in bytes.
    pub index_facet_memory_bytes: IntGauge,
    /// Database connections by state (`in_use`, `idle`).
    pub pool_connections: IntGaugeVec,
    /// Resident memory of the process, in bytes.
    pub resident_memory_bytes: IntGauge,
    /// WebSocket connections open.
    pub websockets: IntGauge,
    /// WebSocket clients closed (code 4008) because they took no message in time.
    pub websockets_too_slow: IntCounter,
}

/// The process-wide metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter");
    registry.register(Box::new(metric.clone())).expect("registered once");
    metric
}

fn histogram(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let buckets = vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    let metric = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels).expect("a valid histogram");
    registry.register(Box::new(metric.clone())).expect("registered once");
    metric
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let metric = IntGauge::new(name, help).expect("a valid gauge");
    registry.register(Box::new(metric.clone())).expect("registered once");
    metric
}

fn gauges(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let metric = IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid gauge");
    registry.register(Box::new(metric.clone())).expect("registered once");
    metric
}

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        Metrics {
            requests: counter(&registry, "pepite_requests_total", "GraphQL requests.", &["operation", "outcome"]),
            request_seconds: histogram(
                &registry,
                "pepite_request_duration_seconds",
                "GraphQL request durations.",
                &["operation"],
            ),
            errors: counter(&registry, "pepite_graphql_errors_total", "GraphQL errors by code.", &["code"]),
            search_seconds: histogram(&registry, "pepite_search_duration_seconds", "Search latency.", &["kind"]),
            entities: gauges(&registry, "pepite_entities", "Entities in the database.", &["kind"]),
            index_documents: gauge(&registry, "pepite_index_documents", "Documents in the search index."),
            index_position: gauge(&registry, "pepite_index_position", "Last change applied to the index."),
            index_commits: {
                let metric = IntCounter::new("pepite_index_commits_total", "Index commits since start.")
                    .expect("a valid counter");
                registry.register(Box::new(metric.clone())).expect("registered once");
                metric
            },
            index_facet_memory_bytes: gauge(
                &registry,
                "pepite_index_facet_memory_bytes",
                "Memory the search index's facet ordinals and values' documents hold.",
            ),
            pool_connections: gauges(&registry, "pepite_db_pool_connections", "Database pool connections.", &["state"]),
            resident_memory_bytes: gauge(
                &registry,
                "pepite_process_resident_memory_bytes",
                "Resident memory of the process.",
            ),
            websockets: gauge(&registry, "pepite_websocket_connections", "WebSocket connections open."),
            websockets_too_slow: {
                let metric =
                    IntCounter::new("pepite_websocket_too_slow_total", "WebSocket clients closed as too slow.")
                        .expect("a valid counter");
                registry.register(Box::new(metric.clone())).expect("registered once");
                metric
            },
            registry,
        }
    }

    /// Every metric in Prometheus' text format.
    pub fn render(&self) -> String {
        if let Some(bytes) = resident_memory() {
            self.resident_memory_bytes.set(bytes as i64);
        }
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(cause = %err, "metrics could not be encoded");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Resident memory from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_memory() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
