//! The TSA of `eseal serve` (`POST /tsa`, RFC 3161 over HTTP) on SQLite and PostgreSQL:
//! tokens that verify to the service's root with a critical-EKU TSA certificate, nonces
//! echoed, serial numbers that never repeat across restarts and across two processes on one
//! store, every token accounted for in the audit log (one entry per process and period); and
//! the CLI's `sign --level` and `archive` against it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
#[macro_use]
mod service_support;

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use eseal_certs::{Certificate, DigestAlgorithm};
use eseal_signer::tsp::{read_response, Request, TimestampToken, QUERY_CONTENT_TYPE};
use service_support::{sample_pdf, Db, Server};

fn root(s: &Server) -> Certificate {
    eseal_certs::authority::read_certs(&s.data.join("demo-root.pem")).unwrap()[0].clone()
}

/// One timestamp over `data` from the TSA at `base`, checked against its request.
fn stamp(base: &str, data: &[u8]) -> TimestampToken {
    let req = Request::new(DigestAlgorithm::Sha256, &DigestAlgorithm::Sha256.hash(data)).unwrap();
    let resp = Server::client()
        .post(format!("{base}/tsa"))
        .header("content-type", QUERY_CONTENT_TYPE)
        .body(req.to_der().unwrap())
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/timestamp-reply"
    );
    req.read_response(&resp.bytes().unwrap()).unwrap()
}

fn serial(t: &TimestampToken) -> u128 {
    u128::from_str_radix(&t.serial_hex(), 16).unwrap()
}

/// A second `eseal serve` on the same store and data folder (so the same master key).
fn second_process(s: &Server, env: &[(String, String)]) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eseal"));
    cmd.args(["serve", "--data"])
        .arg(&s.data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("ESEAL_KEY_PASSPHRASE")
        .env_remove("ESEAL_DATABASE_URL")
        .env_remove("ESEAL_LISTEN")
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(d) = &s.database {
        cmd.arg("--database").arg(d);
    }
    let child = cmd.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while reqwest::blocking::get(format!("{base}/healthz"))
        .map_or(true, |r| !r.status().is_success())
    {
        assert!(
            Instant::now() < deadline,
            "second eseal serve did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, base)
}

/// The `tsa.tokens` audit entries: their tokens in all, and every serial range they name.
fn logged_tokens(s: &Server) -> (u64, Vec<(u128, u128)>) {
    let entries: Vec<String> = s.sql(async |pool| {
        use sqlx::Row;
        sqlx::query("SELECT entry FROM audit_log WHERE kind = 'tsa.tokens'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect()
    });
    let mut count = 0;
    let mut ranges = Vec::new();
    for e in entries {
        let v: serde_json::Value = serde_json::from_str(&e).unwrap();
        count += v["details"]["count"].as_u64().unwrap();
        for r in v["details"]["serials"].as_array().unwrap() {
            ranges.push((
                r[0].as_u64().unwrap() as u128,
                r[1].as_u64().unwrap() as u128,
            ));
        }
    }
    (count, ranges)
}

/// Both processes write their audit entry each second here, so the test need not stop them.
fn short_audit_period() -> Vec<(String, String)> {
    vec![("ESEAL_TSA_AUDIT_PERIOD_SECS".into(), "1".into())]
}

fn tsa_tokens(db: Db) {
    let Some(s) = Server::start_with(db, short_audit_period()) else {
        return;
    };
    let s = &s;
    let anchors = [root(s)];
    let openapi: serde_json::Value = s.get("/openapi.json", None).json().unwrap();
    assert!(openapi["paths"]["/tsa"]["post"].is_object());

    let t = stamp(&s.base, b"one");
    t.check_imprint(b"one").unwrap();
    let checked = t.verify_signature(&[]).unwrap();
    checked
        .validate_path(&t, &anchors, &[], &[], SystemTime::now())
        .unwrap();
    let tst = t.tst_info();
    assert_eq!(tst.accuracy.and_then(|a| a.seconds), Some(1));
    assert!(tst.nonce.is_some());
    let age = SystemTime::now()
        .duration_since(checked.gen_time)
        .unwrap_or_default();
    assert!(age < Duration::from_secs(60));

    // Two processes on one store, eight requests each in parallel: no serial twice.
    let (mut other, other_base) = second_process(s, &short_audit_period());
    let mut handles = Vec::new();
    for i in 0..16 {
        let base = if i % 2 == 0 {
            s.base.clone()
        } else {
            other_base.clone()
        };
        handles.push(std::thread::spawn(move || {
            serial(&stamp(&base, format!("doc {i}").as_bytes()))
        }));
    }
    let mut serials: HashSet<u128> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(serials.insert(serial(&t)));
    assert_eq!(serials.len(), 17);

    // Every token is accounted for, by the process that issued it, within a few periods.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (count, ranges) = loop {
        let (count, ranges) = logged_tokens(s);
        if count >= 17 || Instant::now() > deadline {
            break (count, ranges);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(count, 17, "{ranges:?}");
    for serial in &serials {
        assert!(
            ranges.iter().any(|(a, b)| a <= serial && serial <= b),
            "serial {serial} not logged in {ranges:?}"
        );
    }
    let _ = other.kill();
    let _ = other.wait();

    // Bad requests: wrong media type, and a body that is no TimeStampReq.
    let r = Server::client()
        .post(s.url("/tsa"))
        .header("content-type", "application/octet-stream")
        .body(vec![0x30, 0x00])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let r = Server::client()
        .post(s.url("/tsa"))
        .header("content-type", QUERY_CONTENT_TYPE)
        .body(b"not a request".to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let e = read_response(&r.bytes().unwrap()).unwrap_err();
    assert!(e.to_string().contains("refused"), "{e}");

    // This process issued the first token and eight of the sixteen; rejections are no tokens.
    let metrics = s.get("/metrics", None).text().unwrap();
    assert!(
        metrics.lines().any(|l| l == "eseal_tsa_tokens_total 9"),
        "{metrics}"
    );
}
mod tsa_tokens {
    #[test]
    fn sqlite() {
        super::tsa_tokens(super::Db::Sqlite);
    }
    #[test]
    fn postgres() {
        super::tsa_tokens(super::Db::Postgres);
    }
}

/// Serial numbers go on after a restart (same store, new process).
#[test]
fn tsa_serials_survive_a_restart() {
    for db in [Db::Sqlite, Db::Postgres] {
        let Some(mut s) = Server::start(db) else {
            continue;
        };
        let before = serial(&stamp(&s.base, b"a"));
        assert!(s.terminate().success());
        s.spawn();
        let after = serial(&stamp(&s.base, b"b"));
        assert!(after > before, "{db:?}: {after} after {before}");
    }
}

fn json_report(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = common::eseal(dir, args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "eseal {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            common::stderr(&out)
        )
    })
}

/// `eseal sign --level` for each level and `eseal archive`, against the service's TSA; the
/// seal comes from a CLI-made hierarchy, the TSA from the service's.
#[test]
fn cli_levels_and_archive_against_the_service_tsa() {
    let Some(s) = Server::start(Db::Sqlite) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    common::hierarchy(p, "p256");
    for ca in ["prov", "city", "county"] {
        common::ok(p, &["crl", "--ca", ca, "--out", &format!("{ca}.crl")]);
    }
    std::fs::write(p.join("in.pdf"), sample_pdf(20_000)).unwrap();
    std::fs::copy(s.data.join("demo-root.pem"), p.join("service-root.pem")).unwrap();
    let tsa = s.url("/tsa");
    let sign = |level: &str, out: &str| {
        common::ok(
            p,
            &[
                "sign",
                "--in",
                "in.pdf",
                "--out",
                out,
                "--key",
                "seal.key",
                "--cert",
                "seal.pem",
                "--chain",
                "seal.chain.pem",
                "--level",
                level,
                "--tsa",
                &tsa,
                "--crl",
                "county.crl",
                "--crl",
                "city.crl",
                "--crl",
                "prov.crl",
            ],
        );
    };
    let verify = |file: &str| {
        json_report(
            p,
            &[
                "verify",
                file,
                "--trust",
                "prov/ca.pem",
                "--trust",
                "service-root.pem",
                "--format",
                "json",
            ],
        )
    };
    for level in ["b-b", "b-t", "b-lt", "b-lta"] {
        let out = format!("{level}.pdf");
        sign(level, &out);
        let r = verify(&out);
        assert_eq!(r["verdict"]["passed"], true, "{level}: {r:#}");
        assert_eq!(r["signatures"][0]["level"], level, "{level}: {r:#}");
    }
    // b-t without a TSA is a usage error.
    let out = common::eseal(
        p,
        &[
            "sign", "--in", "in.pdf", "--out", "x.pdf", "--key", "seal.key", "--cert", "seal.pem",
            "--level", "b-t",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("--tsa"));

    // archive: DSS for the last timestamp (with the service CA's CRL fetched by URL) and a
    // fresh document timestamp; everything still passes, now with two document timestamps.
    let cas: Vec<String> = s.sql(async |pool| {
        use sqlx::Row;
        sqlx::query("SELECT id FROM cas")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect()
    });
    let mut args: Vec<String> = ["archive", "b-lta.pdf", "archived.pdf", "--tsa", &tsa]
        .iter()
        .map(|x| x.to_string())
        .collect();
    for ca in &cas {
        args.push("--crl".into());
        args.push(s.url(&format!("/v1/cas/{ca}/crl")));
        // The service's OCSP responders speak for its CAs (the TSA's chain), not for the
        // CLI-made seal's: those answers go into the DSS, the others are skipped.
        args.push("--ocsp".into());
        args.push(s.url(&format!("/v1/cas/{ca}/ocsp")));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::ok(p, &args);
    let before = std::fs::read(p.join("b-lta.pdf")).unwrap();
    let after = std::fs::read(p.join("archived.pdf")).unwrap();
    assert!(after.starts_with(&before), "archive only appends");
    let tail = String::from_utf8_lossy(&after[before.len()..]);
    assert!(tail.contains("/OCSPs"), "the DSS holds OCSP responses");
    let r = verify("archived.pdf");
    assert_eq!(r["verdict"]["passed"], true, "{r:#}");
    let sigs = r["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 3);
    assert_eq!(sigs[0]["level"], "b-lta");
    assert!(sigs[1..]
        .iter()
        .all(|x| x["kind"] == "document-timestamp" && x["timestamps"][0]["valid"] == true));

    // The judge: openssl ts -verify on a token straight from /tsa.
    if common::tool("openssl") {
        let data = p.join("data.bin");
        std::fs::write(&data, b"licence 2026-001").unwrap();
        let q = Command::new("openssl")
            .current_dir(p)
            .args([
                "ts", "-query", "-data", "data.bin", "-sha256", "-cert", "-out", "q.tsq",
            ])
            .status()
            .unwrap();
        assert!(q.success());
        let resp = Server::client()
            .post(&tsa)
            .header("content-type", QUERY_CONTENT_TYPE)
            .body(std::fs::read(p.join("q.tsq")).unwrap())
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        std::fs::write(p.join("r.tsr"), &resp).unwrap();
        let v = Command::new("openssl")
            .current_dir(p)
            .args([
                "ts",
                "-verify",
                "-data",
                "data.bin",
                "-in",
                "r.tsr",
                "-CAfile",
                "service-root.pem",
            ])
            .output()
            .unwrap();
        assert!(
            v.status.success(),
            "openssl ts -verify: {}",
            String::from_utf8_lossy(&v.stderr)
        );
    }
}

/// Moving the clock with `eseal verify --at` past the seal certificate's expiry: the B-LTA file
/// still verifies (its timestamps prove the seal was made while the certificate was valid, and
/// the DSS carries the revocation data of that time), the B-B file is INDETERMINATE.
#[test]
fn b_lta_outlives_its_seal_certificate_and_b_b_does_not() {
    let Some(s) = Server::start(Db::Sqlite) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    common::hierarchy(p, "p256");
    // A seal certificate valid for one day only.
    common::ok(
        p,
        &[
            "cert",
            "issue",
            "--ca",
            "county",
            "--name",
            "短期印章测试局",
            "--uscc",
            "91350100M000100Y43",
            "--days",
            "1",
            "--out",
            "short",
        ],
    );
    for ca in ["prov", "city", "county"] {
        common::ok(p, &["crl", "--ca", ca, "--out", &format!("{ca}.crl")]);
    }
    std::fs::write(p.join("in.pdf"), sample_pdf(20_000)).unwrap();
    std::fs::copy(s.data.join("demo-root.pem"), p.join("service-root.pem")).unwrap();
    let tsa = s.url("/tsa");
    for level in ["b-b", "b-lta"] {
        let out = format!("{level}.pdf");
        let mut args = vec![
            "sign",
            "--in",
            "in.pdf",
            "--out",
            &out,
            "--key",
            "short.key",
            "--cert",
            "short.pem",
            "--chain",
            "short.chain.pem",
            "--level",
            level,
        ];
        if level != "b-b" {
            args.extend([
                "--tsa",
                &tsa,
                "--crl",
                "county.crl",
                "--crl",
                "city.crl",
                "--crl",
                "prov.crl",
            ]);
        }
        common::ok(p, &args);
    }
    let three_days_on = (time::OffsetDateTime::now_utc() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let verify = |file: &str, at: Option<&str>| {
        let mut args = vec![
            "verify",
            file,
            "--trust",
            "prov/ca.pem",
            "--trust",
            "service-root.pem",
            "--format",
            "json",
        ];
        if let Some(at) = at {
            args.extend(["--at", at]);
        }
        json_report(p, &args)
    };
    // Today both pass.
    for f in ["b-b.pdf", "b-lta.pdf"] {
        let r = verify(f, None);
        assert_eq!(r["verdict"]["passed"], true, "{f} now: {r:#}");
    }
    // Three days on, after the seal certificate expired.
    let lta = verify("b-lta.pdf", Some(&three_days_on));
    assert_eq!(lta["verdict"]["passed"], true, "b-lta later: {lta:#}");
    assert_eq!(
        lta["signatures"][0]["indication"], "TOTAL-PASSED",
        "{lta:#}"
    );
    assert_eq!(lta["signatures"][0]["level"], "b-lta", "{lta:#}");
    let bb = verify("b-b.pdf", Some(&three_days_on));
    assert_eq!(bb["verdict"]["passed"], false, "b-b later: {bb:#}");
    assert_eq!(bb["signatures"][0]["indication"], "INDETERMINATE", "{bb:#}");
    let out = common::eseal(
        p,
        &[
            "verify",
            "b-b.pdf",
            "--trust",
            "prov/ca.pem",
            "--at",
            &three_days_on,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit 1 for a seal that is not valid then"
    );
}
