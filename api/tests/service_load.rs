//! Load driver (run by scripts/load-test.sh; ignored in the normal test run): drives a running
//! service (ESEAL_URL, ESEAL_KEY) with `wrk` (C, one thread, keep-alive connections, so the
//! client takes as little of the shared cores as a client can) doing concurrent sealing and
//! then verification requests for a bounded time, prints throughput and latency percentiles,
//! and measures in the same run the raw limit: SHA-256 over the document plus one P-256
//! signature, on every core at once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod service_support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use eseal_certs::{Algorithm, SigningKey, SoftwareKey};
use serde_json::Value;
use service_support::{sample_pdf, Server};
use sha2::{Digest, Sha256};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs wrk against `url` POSTing `body` for `secs` over `conns` connections; returns the
/// JSON line of scripts/load/post-pdf.lua and the rate per second.
fn wrk(url: &str, key: &str, body: &Path, conns: u64, secs: u64) -> (Value, f64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/load/post-pdf.lua");
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--timeout",
            "10s",
        ])
        .arg("-s")
        .arg(&script)
        .arg(url)
        .env("ESEAL_LOAD_BODY", body)
        .env("ESEAL_KEY", key)
        .output()
        .expect("wrk (Debian package wrk) must be installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}");
    let line = text
        .lines()
        .rfind(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no summary from wrk: {text}"));
    let v: Value = serde_json::from_str(line).expect("wrk summary");
    let rate = v["requests"].as_f64().unwrap() / (v["duration_us"].as_f64().unwrap() / 1e6);
    (v, rate)
}

fn report(what: &str, conns: u64, (v, rate): &(Value, f64)) {
    println!(
        "{what}: {} requests ({} not 200, {} socket errors) with {conns} connections: {rate:.0}/s; latency ms p50 {} p90 {} p99 {} max {}",
        v["requests"], v["non_2xx"], v["errors"], v["p50_ms"], v["p90_ms"], v["p99_ms"], v["max_ms"]
    );
    assert_eq!(v["non_2xx"], 0, "every request must succeed");
    assert_eq!(v["errors"], 0, "no socket errors or timeouts");
}

/// The HTTP path alone, measured the same way: axum on tokio (as the service) reading the
/// body and answering `answer_len` bytes, nothing else. Returns its URL.
fn http_floor(answer_len: usize) -> String {
    use axum::routing::post;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let answer = axum::body::Bytes::from(vec![b'%'; answer_len]);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/floor",
                    post(move |body: axum::body::Bytes| async move {
                        assert!(!body.is_empty());
                        answer
                    }),
                )
                .layer(axum::extract::DefaultBodyLimit::max(64 << 20));
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        })
    });
    format!("http://{addr}/floor")
}

/// Hashing the document and one P-256 signature, on `threads` threads at once for `secs`;
/// documents per second in all.
fn raw_limit(pdf: &[u8], threads: usize, secs: u64) -> f64 {
    let start = Instant::now();
    let done: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let key = SoftwareKey::generate(Algorithm::P256).unwrap();
                    let end = Instant::now() + Duration::from_secs(secs);
                    let mut n = 0u64;
                    while Instant::now() < end {
                        let d = Sha256::digest(pdf);
                        let _ = key.sign_digest(&d).unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    done as f64 / start.elapsed().as_secs_f64()
}

#[test]
#[ignore = "load test: run scripts/load-test.sh"]
fn load() {
    let url = std::env::var("ESEAL_URL").expect("ESEAL_URL");
    let key = std::env::var("ESEAL_KEY").expect("ESEAL_KEY");
    let secs = env_num("ESEAL_LOAD_SECS", 20);
    let conns = env_num("ESEAL_LOAD_CONNECTIONS", 32);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    let pdf = sample_pdf(100 * 1024);
    let c = Server::client();
    let seals: Value = c
        .get(format!("{url}/v1/seals"))
        .bearer_auth(&key)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let seal = seals[0]["id"].as_str().unwrap().to_string();
    let sign_url = format!("{url}/v1/seals/{seal}/sign");
    let sealed = c
        .post(&sign_url)
        .bearer_auth(&key)
        .header("content-type", "application/pdf")
        .body(pdf.clone())
        .send()
        .unwrap()
        .bytes()
        .unwrap()
        .to_vec();
    let verdict = c
        .post(format!("{url}/v1/verify"))
        .bearer_auth(&key)
        .header("content-type", "application/pdf")
        .body(sealed.clone())
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(verdict.contains("TOTAL-PASSED"), "{verdict}");
    println!(
        "document: {} bytes (sealed: {} bytes); {cores} cores shared by the service and wrk",
        pdf.len(),
        sealed.len()
    );
    let (pdf_path, sealed_path) = (dir.path().join("in.pdf"), dir.path().join("sealed.pdf"));
    std::fs::write(&pdf_path, &pdf).unwrap();
    std::fs::write(&sealed_path, &sealed).unwrap();

    let sealing = wrk(&sign_url, &key, &pdf_path, conns, secs);
    report(
        "sealing (POST /v1/seals/{id}/sign, 100 KB)",
        conns,
        &sealing,
    );
    let verification = wrk(
        &format!("{url}/v1/verify"),
        &key,
        &sealed_path,
        conns,
        (secs / 2).max(5),
    );
    report("verification (POST /v1/verify)", conns, &verification);

    let floor = wrk(
        &http_floor(sealed.len()),
        &key,
        &pdf_path,
        conns,
        (secs / 2).max(5),
    );
    report(
        "HTTP floor (read 100 KB, answer as many bytes as the sealed file, nothing else)",
        conns,
        &floor,
    );
    println!(
        "sealing runs at {:.1}% of the HTTP floor's rate",
        100.0 * sealing.1 / floor.1
    );

    let limit = raw_limit(&pdf, cores, 5);
    println!(
        "raw limit: SHA-256 of 100 KB + one P-256 signature on {cores} threads at once: {limit:.0}/s"
    );
    println!(
        "sealing over HTTP reaches {:.1}% of the raw limit (target 50%)",
        100.0 * sealing.1 / limit
    );
}
