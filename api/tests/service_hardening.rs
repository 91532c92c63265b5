//! The service under hostile load, on SQLite and PostgreSQL: parses run on a bounded pool with
//! a time limit (the async workers stay free, a parse beyond the queue gets 503).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod service_support;

use std::time::{Duration, Instant};

use service_support::{sample_pdf, Db, Server};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Runs `test` on a server started with `vars`, on SQLite and (with DATABASE_URL) PostgreSQL.
fn on_both(vars: &[(&str, &str)], test: impl Fn(&mut Server)) {
    for db in [Db::Sqlite, Db::Postgres] {
        if let Some(mut s) = Server::start_with(db, env(vars)) {
            test(&mut s);
        }
    }
}

/// The value of one metrics line (name with labels, as printed).
fn metric(s: &Server, series: &str) -> Option<u64> {
    let text = s.get("/metrics", None).text().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Polls until `f` holds (a bounded wait for a state, not a timing assertion).
fn wait_for(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
fn verify_upload(base: &str, key: &str, pdf: Vec<u8>) -> reqwest::blocking::Response {
    Server::client()
        .post(format!("{base}/v1/verify"))
        .bearer_auth(key)
        .header("content-type", "application/pdf")
        .body(pdf)
        .send()
        .unwrap()
}
// ---------------------------------------------------------------------------------------
// 1. The parse pool

/// Two workers, one place in the queue, and every parse held 4 s by the test hook: three
/// uploads fill the pool; meanwhile the service answers /healthz, and a fourth upload (a
/// verification or a sealing, however small) gets 503 with Retry-After.
#[test]
fn parses_beyond_the_queue_are_refused_and_health_still_answers() {
    on_both(
        &[
            ("ESEAL_PARSE_WORKERS", "2"),
            ("ESEAL_PARSE_QUEUE", "1"),
            ("ESEAL_PARSE_TIMEOUT_SECS", "60"),
            ("ESEAL_TEST_PARSE_DELAY_MS", "4000"),
        ],
        |s| {
            let pdf = sample_pdf(5_000);
            let slow: Vec<_> = (0..3)
                .map(|_| {
                    let (base, key, pdf) = (s.base.clone(), s.admin.clone(), pdf.clone());
                    std::thread::spawn(move || verify_upload(&base, &key, pdf).status().as_u16())
                })
                .collect();
            wait_for("two parses running and one waiting", || {
                metric(s, "eseal_parse_running") == Some(2)
                    && metric(s, "eseal_parse_waiting") == Some(1)
            });
            // The async workers are free: health answers while the pool is full.
            for _ in 0..5 {
                let r = s.get("/healthz", None);
                assert_eq!(r.status().as_u16(), 200);
            }
            let r = verify_upload(&s.base, &s.admin, pdf.clone());
            assert_eq!(r.status().as_u16(), 503);
            assert!(r.headers().contains_key("retry-after"));
            let p: serde_json::Value = r.json().unwrap();
            assert!(p["type"].as_str().unwrap().ends_with("/busy"), "{p}");
            assert!(p["detail"].as_str().unwrap().contains("2 at once"), "{p}");
            // Sealing a small upload goes through the same pool.
            let seal = s.demo_seal();
            let r = s.post_pdf(&format!("/v1/seals/{seal}/sign"), &s.admin, &pdf);
            assert_eq!(r.status().as_u16(), 503);
            assert!(r.headers().contains_key("retry-after"));
            for h in slow {
                assert_eq!(h.join().unwrap(), 200);
            }
            assert_eq!(
                metric(s, "eseal_parse_refused_total{reason=\"queue_full\"}"),
                Some(2)
            );
            // Once the pool is free again, sealing works.
            let r = s.post_pdf(&format!("/v1/seals/{seal}/sign"), &s.admin, &pdf);
            assert_eq!(r.status().as_u16(), 200);
        },
    );
}

/// A parse past its time limit is answered 422 naming the limit, and counted.
#[test]
fn a_parse_past_its_time_limit_is_unprocessable() {
    on_both(
        &[
            ("ESEAL_PARSE_TIMEOUT_SECS", "1"),
            ("ESEAL_TEST_PARSE_DELAY_MS", "3000"),
        ],
        |s| {
            let r = verify_upload(&s.base, &s.admin, sample_pdf(5_000));
            assert_eq!(r.status().as_u16(), 422);
            let p: serde_json::Value = r.json().unwrap();
            assert!(
                p["detail"].as_str().unwrap().contains("parse_timeout_secs"),
                "{p}"
            );
            assert_eq!(
                metric(s, "eseal_parse_refused_total{reason=\"timeout\"}"),
                Some(1)
            );
        },
    );
}
