//! Per-client rate limits for the routes anyone may call (the public verify and presentation
//! pages, the TSA): a layer put on a group of routes with [`RateLimit::layer`], one GCRA
//! bucket (governor) per client address and group.
//!
//! The client is the peer address of the connection (`ConnectInfo`); an IPv6 client is its /64,
//! the block one host usually holds, so that walking through its own addresses gains nothing.
//! Behind a reverse proxy every client has the proxy's address: limit there, and set the rate
//! to 0 (off) here.
//!
//! Over the limit: 429 with `Retry-After` (whole seconds until the bucket admits one more),
//! as an RFC 9457 problem document or, for page groups, as the same HTML error page the pages
//! use (a problem document when the client asks for JSON); counted in
//! `eseal_rate_limited_total{route}`, never written to the audit log.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::Shared;

/// One group's limit (settings `page_rate_per_minute`/`page_burst`,
/// `tsa_rate_per_minute`/`tsa_burst`).
#[derive(Debug, Clone, Copy)]
pub struct RateSettings {
    /// Requests a client may make per minute, on average; 0 turns the limit off.
    pub per_minute: u32,
    /// Requests a client may make at once after a quiet spell.
    pub burst: u32,
}

/// How a refusal is written for a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A problem document.
    Problem,
    /// An HTML page, or a problem document when the client asks for JSON.
    Page,
}

/// A group's limiter, cheap to clone into the layer.
#[derive(Clone)]
pub struct RateLimit {
    limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    answer: Answer,
    state: Shared,
}

/// How often clients that have been quiet long enough to have a full bucket are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(60);

impl RateLimit {
    /// A limiter for one group of routes. Needs the tokio runtime (a task forgets quiet
    /// clients; it ends with the limiter).
    pub fn new(state: Shared, settings: RateSettings, answer: Answer) -> RateLimit {
        let limiter = NonZeroU32::new(settings.per_minute).map(|rate| {
            let burst = NonZeroU32::new(settings.burst).unwrap_or(NonZeroU32::MIN);
            let limiter = Arc::new(RateLimiter::keyed(
                Quota::per_minute(rate).allow_burst(burst),
            ));
            forget_quiet_clients(Arc::downgrade(&limiter));
            limiter
        });
        RateLimit {
            limiter,
            answer,
            state,
        }
    }

    /// The middleware, for `Router::route_layer` (after routing, so that the route template
    /// names the counter).
    pub async fn layer(State(limit): State<RateLimit>, req: Request, next: Next) -> Response {
        let Some(limiter) = &limit.limiter else {
            return next.run(req).await;
        };
        let client = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| client_key(a.ip()))
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        let Err(not_until) = limiter.check_key(&client) else {
            return next.run(req).await;
        };
        let wait = not_until.wait_time_from(limiter.clock().now());
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| p.as_str());
        limit.state.metrics.rate_limited(route);
        refusal(limit.answer, req.headers(), wait)
    }
}

/// Drops the buckets of clients that are back to a full burst, so that the map holds only
/// recent clients; stops when the limiter is gone.
fn forget_quiet_clients(limiter: std::sync::Weak<DefaultKeyedRateLimiter<IpAddr>>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FORGET_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(l) = limiter.upgrade() else { return };
            l.retain_recent();
            l.shrink_to_fit();
        }
    });
}

/// The bucket a client address falls in: IPv4 as is (also when mapped into IPv6), IPv6 by
/// its /64.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

fn refusal(answer: Answer, headers: &axum::http::HeaderMap, wait: Duration) -> Response {
    // Whole seconds, rounded up, and at least one: a client that retries at once is refused.
    let secs = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1);
    let text = format!("too many requests from your address; try again in {secs} s");
    let mut resp = match answer {
        Answer::Problem => {
            super::error::problem_response(StatusCode::TOO_MANY_REQUESTS, "rate-limited", text)
        }
        Answer::Page => super::routes::refusal_page(
            headers,
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests 请求过于频繁",
            &text,
        ),
    };
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_keyed_by_ipv4_address_and_ipv6_block() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.8".parse().unwrap();
        assert_eq!(client_key(v4), v4);
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        let r = refusal(
            Answer::Problem,
            &axum::http::HeaderMap::new(),
            Duration::from_millis(1200),
        );
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let r = refusal(Answer::Page, &axum::http::HeaderMap::new(), Duration::ZERO);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        assert!(r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}
