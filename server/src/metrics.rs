//! Prometheus metrics, kept in atomics and rendered as text at `GET /metrics`: requests by
//! route and status, request latency (histogram), and what sync moved.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

const BUCKETS_MS: &[u64] = &[1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/// The server's counters and latency histograms, for `GET /metrics`.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// Requests, changes and connections refused for a limit (issue 28), by the limit's tag.
    limits: Mutex<BTreeMap<&'static str, u64>>,
    /// Changes received in pushes.
    pub changes_in: AtomicU64,
    /// Changes newly applied.
    pub changes_applied: AtomicU64,
    /// Changes sent in pulls.
    pub changes_out: AtomicU64,
    /// Records the write gate refused.
    pub records_refused: AtomicU64,
    /// Photo bytes uploaded.
    pub blob_bytes_in: AtomicU64,
    /// Photo bytes downloaded.
    pub blob_bytes_out: AtomicU64,
    /// Failed logins.
    pub logins_failed: AtomicU64,
    /// Login attempts refused unchecked (429) while a wait was imposed.
    pub logins_throttled: AtomicU64,
    /// Failures that imposed (or lengthened) a wait on an account.
    pub login_lockouts: AtomicU64,
}

#[derive(Default, Clone)]
struct Histogram {
    buckets: Vec<u64>,
    sum_ms: f64,
    count: u64,
}

impl Metrics {
    /// Counts a request to `route` (the matched path) answered with `status` after `ms`
    /// milliseconds.
    pub fn observe(&self, route: &str, status: u16, ms: f64) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((route.to_owned(), status))
            .or_default() += 1;
        let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = l.entry(route.to_owned()).or_insert_with(|| Histogram {
            buckets: vec![0; BUCKETS_MS.len()],
            ..Default::default()
        });
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b as f64 {
                h.buckets[i] += 1;
            }
        }
        h.sum_ms += ms;
        h.count += 1;
    }

    /// Counts a refusal for the limit named `tag` (`depth`, `ops`, `body_bytes`, ...).
    pub fn limit(&self, tag: &'static str) {
        *self
            .limits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tag)
            .or_default() += 1;
    }

    /// Adds `n` to `counter`.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Every metric in the Prometheus text format, for `GET /metrics`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP offgrid_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(s, "# TYPE offgrid_http_requests_total counter");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                s,
                "offgrid_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP offgrid_http_request_duration_seconds Request latency."
        );
        let _ = writeln!(s, "# TYPE offgrid_http_request_duration_seconds histogram");
        for (route, h) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            for (i, b) in BUCKETS_MS.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "offgrid_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{}\"}} {}",
                    *b as f64 / 1000.0,
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                s,
                "offgrid_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                s,
                "offgrid_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum_ms / 1000.0
            );
            let _ = writeln!(
                s,
                "offgrid_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            s,
            "# HELP offgrid_limit_refusals_total Requests, changes and connections refused for a limit."
        );
        let _ = writeln!(s, "# TYPE offgrid_limit_refusals_total counter");
        for (tag, n) in self.limits.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(s, "offgrid_limit_refusals_total{{limit=\"{tag}\"}} {n}");
        }
        for (name, help, c) in [
            (
                "offgrid_sync_changes_received_total",
                "Changes received in pushes.",
                &self.changes_in,
            ),
            (
                "offgrid_sync_changes_applied_total",
                "Changes newly applied.",
                &self.changes_applied,
            ),
            (
                "offgrid_sync_changes_sent_total",
                "Changes sent in pulls.",
                &self.changes_out,
            ),
            (
                "offgrid_sync_records_refused_total",
                "Pushed records the write gate refused.",
                &self.records_refused,
            ),
            (
                "offgrid_blob_bytes_received_total",
                "Photo bytes uploaded.",
                &self.blob_bytes_in,
            ),
            (
                "offgrid_blob_bytes_sent_total",
                "Photo bytes downloaded.",
                &self.blob_bytes_out,
            ),
            (
                "offgrid_logins_failed_total",
                "Failed logins.",
                &self.logins_failed,
            ),
            (
                "offgrid_logins_throttled_total",
                "Login attempts refused unchecked while a wait was imposed (429).",
                &self.logins_throttled,
            ),
            (
                "offgrid_login_lockouts_total",
                "Failed logins that imposed a wait on an account.",
                &self.login_lockouts,
            ),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}");
            let _ = writeln!(s, "# TYPE {name} counter");
            let _ = writeln!(s, "{name} {}", c.load(Ordering::Relaxed));
        }
        s
    }
}
