//! `eseal verify --online`: CRLs fetched from the certificates' own distribution points (a
//! local HTTP server made here), the report naming where each piece of evidence came from,
//! the on-disk cache, bad answers and a server that is down — and nothing fetched without the
//! flag.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;

/// Answers GET /NAME with the body set for NAME (404 otherwise) and counts every request.
struct Server {
    base: String,
    bodies: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn start() -> Server {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
        let bodies: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let requests = Arc::new(AtomicUsize::new(0));
        let (b, r) = (bodies.clone(), requests.clone());
        // Lives as long as the test process; each test has its own port.
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let mut buf = [0u8; 8192];
                let n = s.read(&mut buf).unwrap_or(0);
                r.fetch_add(1, Ordering::SeqCst);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let body = b.lock().unwrap().get(path.trim_start_matches('/')).cloned();
                let (status, body) = match body {
                    Some(body) => ("200 OK", body),
                    None => ("404 Not Found", b"not here".to_vec()),
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(&body);
            }
        });
        Server {
            base,
            bodies,
            requests,
        }
    }

    fn serve(&self, name: &str, body: Vec<u8>) {
        self.bodies.lock().unwrap().insert(name.to_string(), body);
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// province → city → county and a seal, each CA writing `BASE/<ca>.crl` as the CRL
/// distribution point of what it issues; `signed.pdf` sealed by it.
fn pki_with_distribution_points(dir: &Path, base: &str) {
    let url = |ca: &str| format!("{base}/{ca}.crl");
    ok(
        dir,
        &[
            "ca",
            "init",
            "--dir",
            "prov",
            "--name",
            "Online Root CA",
            "--alg",
            "p256",
            "--crl-url",
            &url("prov"),
        ],
    );
    for (ca, parent, name) in [
        ("city", "prov", "Online City CA"),
        ("county", "city", "Online County CA"),
    ] {
        ok(
            dir,
            &[
                "ca",
                "sub",
                "--dir",
                ca,
                "--parent",
                parent,
                "--name",
                name,
                "--crl-url",
                &url(ca),
            ],
        );
    }
    ok(
        dir,
        &[
            "cert",
            "issue",
            "--ca",
            "county",
            "--name",
            "在线测试局",
            "--uscc",
            "91350100M000100Y43",
            "--out",
            "seal",
        ],
    );
    std::fs::write(dir.join("in.pdf"), simple_pdf(1)).unwrap();
    ok(
        dir,
        &[
            "sign",
            "--in",
            "in.pdf",
            "--out",
            "signed.pdf",
            "--key",
            "seal.key",
            "--cert",
            "seal.pem",
            "--chain",
            "seal.chain.pem",
        ],
    );
}

/// Publishes each CA's current CRL on the server.
fn publish(dir: &Path, server: &Server) {
    for ca in ["prov", "city", "county"] {
        let out = format!("{ca}.crl");
        ok(dir, &["crl", "--ca", ca, "--out", &out]);
        server.serve(&out, std::fs::read(dir.join(&out)).unwrap());
    }
}

/// `eseal verify signed.pdf` with the cache under `dir/cache`.
fn verify(dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .args(["verify", "signed.pdf", "--trust", "prov/ca.pem"])
        .args(extra)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn serial_of(dir: &Path, cert: &str) -> String {
    let shown = ok(dir, &["cert", "show", cert]);
    shown
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("serial:")
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| panic!("serial in {shown}"))
}

#[test]
fn fetched_crls_pass_and_the_second_run_reads_the_cache() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let server = Server::start();
    pki_with_distribution_points(p, &server.base);
    publish(p, &server);

    let first = verify(p, &["--online"]);
    let report = text(&first);
    assert_eq!(first.status.code(), Some(0), "{report}");
    assert!(report.contains("good per CRL of "), "{report}");
    assert!(
        report.contains(&format!("fetched from {}/county.crl", server.base)),
        "{report}"
    );
    assert!(
        report.contains(&format!("fetched from {}/prov.crl", server.base)),
        "{report}"
    );
    // One CRL per certificate below the root: the seal's, the county's and the city's.
    assert_eq!(server.requests(), 3);

    let second = verify(p, &["--online"]);
    let report = text(&second);
    assert_eq!(second.status.code(), Some(0), "{report}");
    assert!(
        report.contains(&format!(
            "read from cache (fetched from {}/county.crl)",
            server.base
        )),
        "{report}"
    );
    assert_eq!(server.requests(), 3, "the second run went to the network");

    // --no-cache asks again.
    let third = verify(p, &["--online", "--no-cache"]);
    assert_eq!(third.status.code(), Some(0), "{}", text(&third));
    assert_eq!(server.requests(), 6);
}

#[test]
fn without_online_nothing_is_fetched() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let server = Server::start();
    pki_with_distribution_points(p, &server.base);
    publish(p, &server);
    // Without revocation evidence the seal passes with warnings (B-B), as always.
    let out = verify(p, &[]);
    let report = text(&out);
    assert!(report.contains("not checked"), "{report}");
    assert_eq!(server.requests(), 0);
    // The caller's CRL files are named as such.
    let out = verify(
        p,
        &[
            "--crl",
            "prov.crl",
            "--crl",
            "city.crl",
            "--crl",
            "county.crl",
        ],
    );
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report.contains("given by the caller"), "{report}");
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_fetched_crl_that_revokes_the_seal_gives_revoked() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let server = Server::start();
    pki_with_distribution_points(p, &server.base);
    let serial = serial_of(p, "seal.pem");
    ok(
        p,
        &["cert", "revoke", "--ca", "county", "--serial", &serial],
    );
    publish(p, &server);
    let out = verify(p, &["--online"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("REVOKED"), "{report}");
}

#[test]
fn a_server_that_is_down_gives_indeterminate_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // A port that was free a moment ago and is closed now.
    let base = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    pki_with_distribution_points(p, &base);
    let out = verify(p, &["--online", "--fetch-timeout", "3"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("INDETERMINATE"), "{report}");
    assert!(report.contains("TRY_LATER"), "{report}");
    assert!(
        report.contains("CRL for '") && report.contains(&format!("{base}/county.crl")),
        "{report}"
    );
}

#[test]
fn bad_answers_are_warnings_and_never_a_pass() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let server = Server::start();
    pki_with_distribution_points(p, &server.base);
    publish(p, &server);
    // An HTML error page where the county's CRL should be, and the city's CRL where the
    // province's should be (signed by another issuer).
    server.serve(
        "county.crl",
        b"<html><body>502 Bad Gateway</body></html>".to_vec(),
    );
    server.serve("prov.crl", std::fs::read(p.join("city.crl")).unwrap());
    let out = verify(p, &["--online"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("INDETERMINATE"), "{report}");
    assert!(report.contains("the answer is not a CRL"), "{report}");
    assert!(report.contains("the CRL is issued by"), "{report}");
    // Neither was kept: a fixed server is asked again.
    publish(p, &server);
    let out = verify(p, &["--online"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_server_that_never_answers_is_cut_off_by_the_timeout() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // Accepts connections and never writes a byte.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming() {
            held.push(s);
        }
    });
    pki_with_distribution_points(p, &base);
    let out = verify(p, &["--online", "--fetch-timeout", "1"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("TRY_LATER"), "{report}");
    assert!(report.contains("no answer in time"), "{report}");
}

/// `openssl s_server -WWW` serving the files of a folder over TLS on 127.0.0.1, with a server
/// certificate for that address under a test CA; stopped when dropped.
struct TlsServer {
    child: std::process::Child,
    base: String,
    files: std::path::PathBuf,
    ca: std::path::PathBuf,
}

impl TlsServer {
    fn start(dir: &Path) -> Option<TlsServer> {
        let openssl = |args: &[&str]| {
            Command::new("openssl")
                .current_dir(dir)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
        };
        if openssl(&["version"]).is_none() {
            assert!(std::env::var_os("CI").is_none(), "CI needs openssl");
            eprintln!("skipped: no openssl");
            return None;
        }
        std::fs::write(
            dir.join("srv.ext"),
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        for args in [
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "tls-ca.key",
                "-out",
                "tls-ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=Online TLS test CA",
            ][..],
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "srv.key",
                "-out",
                "srv.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
            &[
                "x509",
                "-req",
                "-in",
                "srv.csr",
                "-CA",
                "tls-ca.pem",
                "-CAkey",
                "tls-ca.key",
                "-CAcreateserial",
                "-out",
                "srv.pem",
                "-days",
                "2",
                "-extfile",
                "srv.ext",
            ],
        ] {
            assert!(openssl(args).is_some(), "openssl {args:?} failed");
        }
        let files = dir.join("www");
        std::fs::create_dir_all(&files).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .current_dir(&files)
            .args(["s_server", "-quiet", "-WWW", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(dir.join("srv.pem"))
            .arg("-key")
            .arg(dir.join("srv.key"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = TlsServer {
            child,
            base: format!("https://127.0.0.1:{port}"),
            files,
            ca: dir.join("tls-ca.pem"),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("openssl s_server did not start on port {port}");
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Over https, the server's certificate is checked: with the test CA given by `--ca-bundle`
/// the CRLs are fetched and named with their https URL; without it the handshake fails and
/// the seal is INDETERMINATE (TRY_LATER), never a pass.
#[test]
fn crls_are_fetched_over_https_from_a_server_the_bundle_vouches_for() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let Some(tls) = TlsServer::start(p) else {
        return;
    };
    pki_with_distribution_points(p, &tls.base);
    for ca in ["prov", "city", "county"] {
        let out = format!("{ca}.crl");
        ok(p, &["crl", "--ca", ca, "--out", &out]);
        std::fs::copy(p.join(&out), tls.files.join(&out)).unwrap();
    }
    let bundle = tls.ca.to_string_lossy().into_owned();
    let out = verify(p, &["--online", "--no-cache", "--ca-bundle", &bundle]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(
        report.contains(&format!("fetched from {}/county.crl", tls.base)),
        "{report}"
    );

    let out = verify(p, &["--online", "--no-cache"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("TRY_LATER"), "{report}");
}
