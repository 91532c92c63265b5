//! Prometheus metrics in the text exposition format: requests by route and status, a latency
//! histogram per route, seals applied, verification verdicts, anonymous refusals and rate
//! limits, TSA tokens, the parse pool and connections.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::Shared;

const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    seals_applied: u64,
    verdicts: BTreeMap<String, u64>,
    anonymous_denials: BTreeMap<&'static str, u64>,
    rate_limited: BTreeMap<String, u64>,
    tsa_tokens: u64,
    connections_open: u64,
    connections_accepted: u64,
    connections_closed: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        if let Ok(mut g) = self.inner.lock() {
            f(&mut g);
        }
    }

    pub fn request(&self, method: &str, route: &str, status: u16, secs: f64) {
        self.with(|m| {
            *m.requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
            let h = m.latency.entry(route.to_string()).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += secs;
            h.count += 1;
        });
    }

    pub fn seal_applied(&self) {
        self.with(|m| m.seals_applied += 1);
    }

    /// A request refused before anyone was identified (no key, an unknown key): counted, not
    /// logged one by one, so anonymous traffic cannot grow the audit log.
    pub fn anonymous_denied(&self, reason: &'static str) {
        self.with(|m| *m.anonymous_denials.entry(reason).or_default() += 1);
    }

    /// A request refused by a rate limit (route template).
    pub fn rate_limited(&self, route: &str) {
        self.with(|m| *m.rate_limited.entry(route.to_string()).or_default() += 1);
    }

    /// A token issued by the TSA (the audit log has one entry per period, not per token).
    pub fn tsa_token(&self) {
        self.with(|m| m.tsa_tokens += 1);
    }

    pub fn connection_opened(&self) {
        self.with(|m| {
            m.connections_open += 1;
            m.connections_accepted += 1;
        });
    }

    /// A connection ended: `closed` by either side as usual, or by a limit (`header_timeout`,
    /// `idle_timeout`).
    pub fn connection_closed(&self, how: &'static str) {
        self.with(|m| {
            m.connections_open = m.connections_open.saturating_sub(1);
            *m.connections_closed.entry(how).or_default() += 1;
        });
    }

    pub fn verdict(&self, indication: &str) {
        self.with(|m| *m.verdicts.entry(indication.to_string()).or_default() += 1);
    }

    pub fn render(&self) -> String {
        let mut o = String::new();
        let Ok(m) = self.inner.lock() else {
            return o;
        };
        o.push_str("# HELP eseal_http_requests_total HTTP requests by route and status.\n");
        o.push_str("# TYPE eseal_http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(
                o,
                "eseal_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        o.push_str("# HELP eseal_http_request_duration_seconds Request latency by route.\n");
        o.push_str("# TYPE eseal_http_request_duration_seconds histogram\n");
        for (route, h) in &m.latency {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "eseal_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                o,
                "eseal_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                o,
                "eseal_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                o,
                "eseal_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        o.push_str("# HELP eseal_seals_applied_total Seals applied by this process.\n");
        o.push_str("# TYPE eseal_seals_applied_total counter\n");
        let _ = writeln!(o, "eseal_seals_applied_total {}", m.seals_applied);
        o.push_str("# HELP eseal_verifications_total Verification verdicts by indication.\n");
        o.push_str("# TYPE eseal_verifications_total counter\n");
        for (v, n) in &m.verdicts {
            let _ = writeln!(o, "eseal_verifications_total{{indication=\"{v}\"}} {n}");
        }
        o.push_str(
            "# HELP eseal_anonymous_denials_total Requests refused before a key was known.\n",
        );
        o.push_str("# TYPE eseal_anonymous_denials_total counter\n");
        for (reason, n) in &m.anonymous_denials {
            let _ = writeln!(
                o,
                "eseal_anonymous_denials_total{{reason=\"{reason}\"}} {n}"
            );
        }
        o.push_str("# HELP eseal_rate_limited_total Requests refused by a per-client rate limit, by route.\n");
        o.push_str("# TYPE eseal_rate_limited_total counter\n");
        for (route, n) in &m.rate_limited {
            let _ = writeln!(o, "eseal_rate_limited_total{{route=\"{route}\"}} {n}");
        }
        o.push_str("# HELP eseal_tsa_tokens_total Time-stamp tokens issued by this process.\n");
        o.push_str("# TYPE eseal_tsa_tokens_total counter\n");
        let _ = writeln!(o, "eseal_tsa_tokens_total {}", m.tsa_tokens);
        o.push_str("# HELP eseal_connections_open Client connections open now.\n");
        o.push_str("# TYPE eseal_connections_open gauge\n");
        let _ = writeln!(o, "eseal_connections_open {}", m.connections_open);
        o.push_str("# HELP eseal_connections_accepted_total Client connections accepted.\n");
        o.push_str("# TYPE eseal_connections_accepted_total counter\n");
        let _ = writeln!(
            o,
            "eseal_connections_accepted_total {}",
            m.connections_accepted
        );
        o.push_str("# HELP eseal_connections_closed_total Client connections ended, by how.\n");
        o.push_str("# TYPE eseal_connections_closed_total counter\n");
        for (how, n) in &m.connections_closed {
            let _ = writeln!(o, "eseal_connections_closed_total{{how=\"{how}\"}} {n}");
        }
        drop(m);
        render_parse_pool(&mut o, super::parse_pool::global().stats());
        o
    }
}

fn render_parse_pool(o: &mut String, s: super::parse_pool::PoolStats) {
    let gauges = [
        (
            "eseal_parse_workers",
            "Parse jobs that may run at once.",
            s.workers,
        ),
        ("eseal_parse_running", "Parse jobs running now.", s.running),
        (
            "eseal_parse_waiting",
            "Parse jobs waiting for a worker.",
            s.waiting,
        ),
    ];
    for (name, help, v) in gauges {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
    }
    o.push_str("# HELP eseal_parse_refused_total Parse jobs refused: queue full (503) or over the time limit (422).\n");
    o.push_str("# TYPE eseal_parse_refused_total counter\n");
    let _ = writeln!(
        o,
        "eseal_parse_refused_total{{reason=\"queue_full\"}} {}",
        s.refused_full
    );
    let _ = writeln!(
        o,
        "eseal_parse_refused_total{{reason=\"timeout\"}} {}",
        s.timed_out
    );
}

/// Middleware: counts and times every request under its route template (never the raw path,
/// which could carry ids without bound).
pub async fn track(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.request(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}
