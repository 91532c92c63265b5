//! The service under hostile load, on SQLite and PostgreSQL: parses run on a bounded pool with
//! a time limit (the async workers stay free, a parse beyond the queue gets 503); connections
//! have a header-read timeout, an idle timeout and a cap; anonymous routes are rate-limited
//! per client address (429, counted, never audited); and the TSA accounts for its tokens with
//! one audit entry per period.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod service_support;

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::{Duration, Instant};

use eseal_certs::DigestAlgorithm;
use eseal_signer::tsp::{Request, QUERY_CONTENT_TYPE};
use service_support::{prove_entry, sample_pdf, Db, Server};

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
// ---------------------------------------------------------------------------------------
// 2. Connections

/// Reads one HTTP/1.1 response (head and Content-Length body); its status line.
fn read_response(c: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "closed before a response");
        data.extend_from_slice(&buf[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).to_string();
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        if data.len() >= end + 4 + len {
            return head.lines().next().unwrap_or_default().to_string();
        }
    }
}

/// What a read on an otherwise silent connection gives within `wait`: the server closed it
/// (`Closed`), or it stayed open (`Open`).
#[derive(Debug, PartialEq)]
enum Silence {
    Closed,
    Open,
    Data,
}

fn after_silence(c: &mut TcpStream, wait: Duration) -> Silence {
    c.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 256];
    match c.read(&mut buf) {
        Ok(0) => Silence::Closed,
        Ok(_) => Silence::Data,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Silence::Open,
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Silence::Closed,
        Err(e) => panic!("{e}"),
    }
}

fn connect(s: &Server) -> TcpStream {
    TcpStream::connect(s.base.trim_start_matches("http://")).unwrap()
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: eseal\r\n\r\n";

/// Half a request head, then silence: closed after the header timeout, unanswered. An idle
/// keep-alive connection: closed after the idle timeout. A request that takes longer than
/// both (a slow parse) is not cut.
#[test]
fn slow_heads_and_idle_connections_are_closed() {
    on_both(
        &[
            ("ESEAL_HEADER_READ_TIMEOUT_SECS", "1"),
            ("ESEAL_IDLE_TIMEOUT_SECS", "2"),
            ("ESEAL_TEST_PARSE_DELAY_MS", "3500"),
        ],
        |s| {
            let mut half = connect(s);
            half.write_all(b"GET /healthz HTTP/1.1\r\nHost: ese")
                .unwrap();
            assert_eq!(
                after_silence(&mut half, Duration::from_secs(30)),
                Silence::Closed
            );
            wait_for("the header timeout counted", || {
                metric(s, "eseal_connections_closed_total{how=\"header_timeout\"}") >= Some(1)
            });

            // Nothing at all after connecting counts as a slow head too.
            let mut mute = connect(s);
            assert_eq!(
                after_silence(&mut mute, Duration::from_secs(30)),
                Silence::Closed
            );

            let mut idle = connect(s);
            idle.write_all(HEALTH).unwrap();
            assert_eq!(read_response(&mut idle), "HTTP/1.1 200 OK");
            // Kept alive for a second request...
            idle.write_all(HEALTH).unwrap();
            assert_eq!(read_response(&mut idle), "HTTP/1.1 200 OK");
            // ...then closed once idle.
            assert_eq!(
                after_silence(&mut idle, Duration::from_secs(30)),
                Silence::Closed
            );
            wait_for("the idle timeout counted", || {
                metric(s, "eseal_connections_closed_total{how=\"idle_timeout\"}") >= Some(1)
            });

            // A request in flight for longer than both limits is answered.
            let r = verify_upload(&s.base, &s.admin, sample_pdf(3_000));
            assert_eq!(r.status().as_u16(), 200);
        },
    );
}

/// With max_connections = 2, a third connection is held in the listen backlog, unserved, until
/// one of the two closes; then it is served.
#[test]
fn connections_beyond_the_cap_wait_until_one_closes() {
    on_both(&[("ESEAL_MAX_CONNECTIONS", "2")], |s| {
        let mut first = connect(s);
        first.write_all(HEALTH).unwrap();
        assert_eq!(read_response(&mut first), "HTTP/1.1 200 OK");
        let mut second = connect(s);
        second.write_all(HEALTH).unwrap();
        assert_eq!(read_response(&mut second), "HTTP/1.1 200 OK");

        // The kernel completes the handshake; the service does not take the connection.
        let mut third = connect(s);
        third.write_all(HEALTH).unwrap();
        assert_eq!(
            after_silence(&mut third, Duration::from_secs(2)),
            Silence::Open
        );

        drop(first);
        third
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        assert_eq!(read_response(&mut third), "HTTP/1.1 200 OK");
        drop(second);
        drop(third);
        wait_for("both connections released", || {
            metric(s, "eseal_connections_open") <= Some(1)
        });
    });
}

fn audit_entries(s: &Server) -> i64 {
    s.sql(async |pool| {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&pool)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    })
}
// ---------------------------------------------------------------------------------------
// 3. Rate limits

fn client_from(ip: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn timestamp_request() -> Vec<u8> {
    Request::new(DigestAlgorithm::Sha256, &DigestAlgorithm::Sha256.hash(b"x"))
        .unwrap()
        .to_der()
        .unwrap()
}

/// A burst beyond the limit gets 429 with Retry-After (an HTML page on the pages, a problem
/// document when asked for JSON and on the TSA), counted per route and never audited; another
/// client address has its own allowance.
#[test]
fn anonymous_routes_are_limited_per_client() {
    on_both(
        &[
            ("ESEAL_PAGE_RATE_PER_MINUTE", "1"),
            ("ESEAL_PAGE_BURST", "3"),
            ("ESEAL_TSA_RATE_PER_MINUTE", "1"),
            ("ESEAL_TSA_BURST", "2"),
        ],
        |s| {
            let audited = audit_entries(s);
            let me = client_from("127.0.0.1");
            let page = s.url("/v/NO-SUCH-LICENCE");
            for _ in 0..3 {
                assert_eq!(me.get(&page).send().unwrap().status().as_u16(), 404);
            }
            let r = me.get(&page).send().unwrap();
            assert_eq!(r.status().as_u16(), 429);
            let wait: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(wait >= 1, "{wait}");
            assert!(r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"));
            assert!(r.text().unwrap().contains("Too many requests"));
            let r = me
                .get(&page)
                .header("accept", "application/json")
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 429);
            assert_eq!(
                r.headers()["content-type"].to_str().unwrap(),
                "application/problem+json"
            );
            let p: serde_json::Value = r.json().unwrap();
            assert_eq!(p["status"], 429);
            assert!(p["type"].as_str().unwrap().ends_with("/rate-limited"));
            // The upload-and-compare and the presentation pages share the pages' allowance.
            let r = me
                .post(&page)
                .header("content-type", "application/pdf")
                .body(sample_pdf(2_000))
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 429);
            let r = me.get(s.url("/p/NOCODE")).send().unwrap();
            assert_eq!(r.status().as_u16(), 429);

            // Another address is another client.
            let other = client_from("127.0.0.2");
            assert_eq!(other.get(&page).send().unwrap().status().as_u16(), 404);

            // The TSA has its own allowance, answered as problem documents.
            let tsa = |c: &reqwest::blocking::Client| {
                c.post(s.url("/tsa"))
                    .header("content-type", QUERY_CONTENT_TYPE)
                    .body(timestamp_request())
                    .send()
                    .unwrap()
            };
            assert_eq!(tsa(&me).status().as_u16(), 200);
            assert_eq!(tsa(&me).status().as_u16(), 200);
            let r = tsa(&me);
            assert_eq!(r.status().as_u16(), 429);
            assert!(r.headers().contains_key("retry-after"));
            assert_eq!(
                r.headers()["content-type"].to_str().unwrap(),
                "application/problem+json"
            );
            assert_eq!(tsa(&other).status().as_u16(), 200);

            // Routes with keys are not limited here.
            for _ in 0..10 {
                assert_eq!(
                    me.get(s.url("/healthz")).send().unwrap().status().as_u16(),
                    200
                );
            }
            assert_eq!(
                metric(s, "eseal_rate_limited_total{route=\"/v/{identifier}\"}"),
                Some(3)
            );
            assert_eq!(
                metric(s, "eseal_rate_limited_total{route=\"/p/{code}\"}"),
                Some(1)
            );
            assert_eq!(
                metric(s, "eseal_rate_limited_total{route=\"/tsa\"}"),
                Some(1)
            );
            assert_eq!(audit_entries(s), audited, "nothing audited");
        },
    );
}
// ---------------------------------------------------------------------------------------
// 4. TSA accounting

/// 200 timestamps add one audit entry (written when the process stops, the period being a
/// minute), whose count and serial ranges match the tokens; the entry is in the Merkle log.
#[test]
fn tsa_tokens_are_accounted_for_in_one_entry_per_period() {
    on_both(&[("ESEAL_TSA_BURST", "1000")], |s| {
        let before = audit_entries(s);
        let client = Server::client();
        let mut serials = Vec::new();
        for i in 0..200u32 {
            let req = Request::new(
                DigestAlgorithm::Sha256,
                &DigestAlgorithm::Sha256.hash(&i.to_be_bytes()),
            )
            .unwrap();
            let r = client
                .post(s.url("/tsa"))
                .header("content-type", QUERY_CONTENT_TYPE)
                .body(req.to_der().unwrap())
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let t = req.read_response(&r.bytes().unwrap()).unwrap();
            serials.push(u64::from_str_radix(&t.serial_hex(), 16).unwrap());
        }
        assert_eq!(metric(s, "eseal_tsa_tokens_total"), Some(200));
        assert!(audit_entries(s) - before <= 2);
        assert!(s.terminate().success());
        s.spawn();
        let added = audit_entries(s) - before;
        assert!((1..=2).contains(&added), "{added} entries for 200 tokens");
        let rows: Vec<(i64, String)> = s.sql(async |pool| {
            use sqlx::Row;
            sqlx::query("SELECT idx, entry FROM audit_log WHERE kind = 'tsa.tokens' ORDER BY idx")
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
                .collect()
        });
        assert!(!rows.is_empty());
        let mut count = 0;
        let mut ranges = Vec::new();
        for (_, e) in &rows {
            let v: serde_json::Value = serde_json::from_str(e).unwrap();
            count += v["details"]["count"].as_u64().unwrap();
            for r in v["details"]["serials"].as_array().unwrap() {
                ranges.push((r[0].as_u64().unwrap(), r[1].as_u64().unwrap()));
            }
        }
        assert_eq!(count, 200);
        let covered: u64 = ranges.iter().map(|(a, b)| b - a + 1).sum();
        assert_eq!(covered, 200, "{ranges:?}");
        for serial in &serials {
            assert!(ranges.iter().any(|(a, b)| a <= serial && serial <= b));
        }
        let parsed = prove_entry(s, rows[0].0);
        assert_eq!(parsed["kind"], "tsa.tokens");
    });
}
