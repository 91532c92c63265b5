//! Crash test (run by scripts/crash-test.sh; ignored in the normal test run): a sealing load,
//! SIGKILL of the server by its PID mid-load, a restart, then proof that every sealing the
//! client saw acknowledged is in the database and in the audit log, and that the log's
//! inclusion and consistency proofs verify.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod service_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use service_support::{prove_entry, sample_pdf, Db, Server};
use sha2::{Digest, Sha256};

#[test]
#[ignore = "crash test: run scripts/crash-test.sh"]
fn sigkill_during_sealing_loses_no_acknowledged_sealing() {
    let db = if std::env::var("ESEAL_CRASH_DB").as_deref() == Ok("postgres") {
        Db::Postgres
    } else {
        Db::Sqlite
    };
    let Some(mut s) = Server::start(db) else {
        return;
    };
    let seal = s.demo_seal();
    let load_ms: u64 = std::env::var("ESEAL_CRASH_LOAD_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let head_before: Value = s.get("/v1/log/head", None).json().unwrap();
    let acked: Arc<Mutex<Vec<(String, i64, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let pdf = Arc::new(sample_pdf(100 * 1024));
    let mut workers = Vec::new();
    let (attempted, errors) = (Arc::new(Mutex::new(0u64)), Arc::new(Mutex::new(0u64)));
    for _ in 0..4 {
        let (url, key, acked, stop, pdf) = (
            s.url(&format!("/v1/seals/{seal}/sign")),
            s.admin.clone(),
            acked.clone(),
            stop.clone(),
            pdf.clone(),
        );
        let (att, err) = (attempted.clone(), errors.clone());
        workers.push(std::thread::spawn(move || {
            let c = Server::client();
            while !stop.load(Ordering::Relaxed) {
                *att.lock().unwrap() += 1;
                let r = c
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/pdf")
                    .body(pdf.to_vec())
                    .send();
                let Ok(r) = r else {
                    *err.lock().unwrap() += 1;
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                if r.status() != 200 {
                    *err.lock().unwrap() += 1;
                    continue;
                }
                let id = r.headers()["x-eseal-sealing-id"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let idx: i64 = r.headers()["x-eseal-log-index"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                // Acknowledged = the whole sealed file received.
                if let Ok(body) = r.bytes() {
                    acked
                        .lock()
                        .unwrap()
                        .push((id, idx, hex::encode(Sha256::digest(&body))));
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(load_ms));
    let pid = s.child.as_ref().unwrap().id();
    let killed_at = Instant::now();
    s.kill(); // SIGKILL to this PID, mid-load.
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    println!(
        "crash test: {} sealings acknowledged in {load_ms} ms, {} attempted, {} failed (the kill), server PID {pid} killed with SIGKILL",
        acked.len(),
        attempted.lock().map(|g| *g).unwrap_or(0),
        errors.lock().map(|g| *g).unwrap_or(0)
    );
    s.spawn();
    println!("restarted in {:.1} s", killed_at.elapsed().as_secs_f64());
    assert!(!acked.is_empty(), "no sealing completed before the kill");
    let head: Value = s.get("/v1/log/head", None).json().unwrap();
    for (id, idx, sha) in &acked {
        let r = s.get(&format!("/v1/sealings/{id}"), Some(&s.admin));
        assert_eq!(
            r.status(),
            200,
            "acknowledged sealing {id} missing after the crash"
        );
        let rec: Value = r.json().unwrap();
        assert_eq!(rec["log_index"], *idx);
        assert_eq!(
            rec["output_sha256"],
            sha.as_str(),
            "the stored hash is the file the client got"
        );
        let entry = prove_entry(&s, *idx);
        assert_eq!(entry["details"]["sealing_id"], id.as_str());
    }
    let m = head_before["tree_size"].as_u64().unwrap();
    let n = head["tree_size"].as_u64().unwrap();
    let c: Value = s
        .get(
            &format!("/v1/log/proof/consistency?first={m}&second={n}"),
            None,
        )
        .json()
        .unwrap();
    assert_eq!(
        c["first_root"], head_before["root_hash"],
        "the log before the crash is a prefix of the log after it"
    );
    let total: i64 = s.sql(async |p| {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) FROM sealings")
            .fetch_one(&p)
            .await
            .unwrap()
            .get::<i64, _>(0)
    });
    println!(
        "crash test passed: all {} acknowledged sealings found in the database ({} stored in all) and proven in the log (tree {m} -> {n}, consistency proof OK)",
        acked.len(),
        total
    );
}
