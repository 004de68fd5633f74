//! Prometheus metrics of the server (`/metrics`): requests and latency per search mode, engine
//! errors, embedding time, requests turned away. Kept in the server's own registry.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// Buckets in seconds: 1 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// `/search` requests by mode and outcome (ok, bad_request, engine_error, error).
    pub searches: IntCounterVec,
    /// Wall time of answered `/search` requests by mode.
    pub search_seconds: HistogramVec,
    /// Engine failures (unreachable or an error answer) by mode.
    pub engine_errors: IntCounterVec,
    /// Model time by route (`search` embeds the query, `embed` the request's texts).
    pub embed_seconds: HistogramVec,
    /// `/embed` requests by outcome.
    pub embeds: IntCounterVec,
    /// Requests turned away: `overloaded` (all slots busy) or `timeout`.
    pub rejected: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            let opts = HistogramOpts::new(name, help).buckets(BUCKETS.to_vec());
            let h = HistogramVec::new(opts, labels).expect("valid metric");
            registry
                .register(Box::new(h.clone()))
                .expect("unique metric");
            h
        };
        Metrics {
            searches: counter(
                "sembridge_search_requests_total",
                "Search requests by mode and outcome",
                &["mode", "outcome"],
            ),
            search_seconds: histogram(
                "sembridge_search_seconds",
                "Wall time of answered search requests, embedding included",
                &["mode"],
            ),
            engine_errors: counter(
                "sembridge_engine_errors_total",
                "Searches the engine failed (unreachable or an error answer)",
                &["mode"],
            ),
            embed_seconds: histogram(
                "sembridge_embed_seconds",
                "Model time per request",
                &["route"],
            ),
            embeds: counter(
                "sembridge_embed_requests_total",
                "Embed requests by outcome",
                &["outcome"],
            ),
            rejected: counter(
                "sembridge_rejected_requests_total",
                "Requests turned away: overloaded or timed out",
                &["reason"],
            ),
            registry,
        }
    }

    pub fn observe_embed(&self, route: &str, took: Duration) {
        self.embed_seconds
            .with_label_values(&[route])
            .observe(took.as_secs_f64());
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec fails only on metric families that violate the format, which the
        // constructors above rule out.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms_in_text_format() {
        let m = Metrics::new();
        m.searches.with_label_values(&["knn", "ok"]).inc();
        m.search_seconds.with_label_values(&["knn"]).observe(0.003);
        m.observe_embed("search", Duration::from_millis(2));
        let text = m.render();
        assert!(
            text.contains(r#"sembridge_search_requests_total{mode="knn",outcome="ok"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"sembridge_search_seconds_bucket{mode="knn",le="0.005"} 1"#));
        assert!(text.contains(r#"sembridge_embed_seconds_count{route="search"} 1"#));
        assert!(text.contains("# TYPE sembridge_search_seconds histogram"));
    }
}
