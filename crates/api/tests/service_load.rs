//! Load client (run by scripts/load-test.sh; ignored in the normal test run): drives a running
//! service (ESEAL_URL, ESEAL_KEY) with concurrent sealing and then verification requests for a
//! bounded time, prints throughput and latency percentiles, and measures in the same run the
//! raw limit: SHA-256 over the document plus one P-256 signature, per core.

mod service_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eseal_certs::{Algorithm, SigningKey, SoftwareKey};
use service_support::{sample_pdf, Server};
use sha2::{Digest, Sha256};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs `workers` threads doing `req` until `secs` pass; returns (ok, errors, latencies ms).
fn drive(
    workers: usize,
    secs: u64,
    req: Arc<dyn Fn(&reqwest::blocking::Client) -> bool + Send + Sync>,
) -> (usize, usize, Vec<f64>) {
    let lat = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(0usize));
    let end = Instant::now() + Duration::from_secs(secs);
    let mut hs = Vec::new();
    for _ in 0..workers {
        let (lat, errors, req) = (lat.clone(), errors.clone(), req.clone());
        hs.push(std::thread::spawn(move || {
            let c = Server::client();
            while Instant::now() < end {
                let t = Instant::now();
                let ok = req(&c);
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if ok {
                    lat.lock().unwrap().push(ms);
                } else {
                    *errors.lock().unwrap() += 1;
                }
            }
        }));
    }
    for h in hs {
        h.join().unwrap();
    }
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(|a, b| a.total_cmp(b));
    let e = *errors.lock().unwrap();
    (l.len(), e, l)
}

fn report(what: &str, secs: u64, workers: usize, (ok, err, l): &(usize, usize, Vec<f64>)) -> f64 {
    let rate = *ok as f64 / secs as f64;
    println!(
        "{what}: {ok} ok, {err} errors in {secs} s with {workers} clients: {rate:.1}/s; latency ms p50 {:.1} p90 {:.1} p99 {:.1} max {:.1}",
        pct(l, 50.0),
        pct(l, 90.0),
        pct(l, 99.0),
        l.last().copied().unwrap_or(f64::NAN)
    );
    rate
}

/// Hashing the document and one P-256 signature, on one core, for `secs`; per second.
fn raw_limit(pdf: &[u8], secs: u64) -> f64 {
    let key = SoftwareKey::generate(Algorithm::P256).unwrap();
    let end = Instant::now() + Duration::from_secs(secs);
    let mut n = 0u64;
    let start = Instant::now();
    while Instant::now() < end {
        let d = Sha256::digest(pdf);
        let _ = key.sign_digest(&d).unwrap();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

#[test]
#[ignore = "load test: run scripts/load-test.sh"]
fn load() {
    let url = std::env::var("ESEAL_URL").expect("ESEAL_URL");
    let key = std::env::var("ESEAL_KEY").expect("ESEAL_KEY");
    let secs = env_num("ESEAL_LOAD_SECS", 20);
    let workers = env_num("ESEAL_LOAD_CLIENTS", 4) as usize;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let pdf = Arc::new(sample_pdf(100 * 1024));
    let c = Server::client();
    let seals: serde_json::Value = c
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
        .body(pdf.to_vec())
        .send()
        .unwrap()
        .bytes()
        .unwrap()
        .to_vec();
    println!(
        "document: {} bytes (sealed: {} bytes); {cores} cores",
        pdf.len(),
        sealed.len()
    );

    let (k, p) = (key.clone(), pdf.clone());
    let seal_req = Arc::new(move |c: &reqwest::blocking::Client| {
        c.post(&sign_url)
            .bearer_auth(&k)
            .header("content-type", "application/pdf")
            .body(p.to_vec())
            .send()
            .ok()
            .filter(|r| r.status() == 200)
            .and_then(|r| r.bytes().ok())
            .is_some()
    });
    let sealing = drive(workers, secs, seal_req);
    let seal_rate = report(
        "sealing (POST /v1/seals/{id}/sign, 100 KB)",
        secs,
        workers,
        &sealing,
    );

    let (k, s2) = (key.clone(), Arc::new(sealed));
    let verify_url = format!("{url}/v1/verify");
    let verify_req = Arc::new(move |c: &reqwest::blocking::Client| {
        c.post(&verify_url)
            .bearer_auth(&k)
            .header("content-type", "application/pdf")
            .body(s2.to_vec())
            .send()
            .ok()
            .filter(|r| r.status() == 200)
            .and_then(|r| r.text().ok())
            .is_some_and(|t| t.contains("TOTAL-PASSED"))
    });
    let vsecs = (secs / 2).max(5);
    let verification = drive(workers, vsecs, verify_req);
    report(
        "verification (POST /v1/verify)",
        vsecs,
        workers,
        &verification,
    );

    let per_core = raw_limit(&pdf, 3);
    let limit = per_core * cores as f64;
    println!(
        "raw limit: SHA-256 of 100 KB + one P-256 signature: {per_core:.0}/s per core, {limit:.0}/s on {cores} cores"
    );
    println!(
        "sealing over HTTP reaches {:.1}% of the raw limit (target 50%)",
        100.0 * seal_rate / limit
    );
}
