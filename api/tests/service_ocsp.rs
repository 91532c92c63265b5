//! The OCSP responder of `eseal serve` (RFC 6960), on SQLite and PostgreSQL: good, then revoked
//! after revocation through the API, unknown for serials the CA never issued, POST and GET
//! forms, nonces, and `openssl ocsp` accepting the answers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
#[macro_use]
mod service_support;

use std::time::{Duration, SystemTime};

use base64::Engine;
use eseal_certs::ocsp::{
    CertId, OcspRequest, OcspResponse, ParsedResponse, ResponseStatus, Status,
};
use eseal_certs::{inspect, Certificate};
use serde_json::{json, Value};
use service_support::{Db, Server};

const HOUR: Duration = Duration::from_secs(3600);

fn pem_cert(pem: &str) -> Certificate {
    inspect::certificates_from_bytes(pem.as_bytes())
        .unwrap()
        .remove(0)
}

fn post_ocsp(s: &Server, ca: &str, der: Vec<u8>) -> Vec<u8> {
    let r = Server::client()
        .post(s.url(&format!("/v1/cas/{ca}/ocsp")))
        .header("content-type", "application/ocsp-request")
        .body(der)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/ocsp-response");
    r.bytes().unwrap().to_vec()
}

fn status(s: &Server, ca: &str, cert: &Certificate, issuer: &Certificate) -> Status {
    let req = OcspRequest::new(cert, issuer, true).unwrap();
    let resp = ParsedResponse::from_der(&post_ocsp(s, ca, req.to_der().unwrap())).unwrap();
    assert_eq!(resp.nonce(), req.nonce(), "the nonce is echoed");
    resp.check(cert, issuer, SystemTime::now(), HOUR)
        .unwrap()
        .status
}

/// `openssl ocsp` against the running responder; returns its stdout+stderr.
fn openssl_ocsp(s: &Server, ca: &str, dir: &std::path::Path, extra: &[&str]) -> String {
    let url = s.url(&format!("/v1/cas/{ca}/ocsp"));
    let mut args = vec![
        "ocsp",
        "-issuer",
        "issuer.pem",
        "-cert",
        "cert.pem",
        "-CAfile",
        "root.pem",
        "-url",
        &url,
    ];
    args.extend_from_slice(extra);
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(&args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl ocsp failed: {text}");
    text
}

fn responder(s: &Server) {
    let root = s.root_ca_for(&s.admin, "OCSP Root CA");
    let root_id = root["id"].as_str().unwrap().to_string();
    let sub: Value = s
        .post_json(
            "/v1/cas",
            &s.admin,
            &json!({"name": "OCSP Sub CA", "level": "county", "parent_id": root_id}),
        )
        .json()
        .unwrap();
    let sub_id = sub["id"].as_str().unwrap().to_string();
    let ca_pem = |id: &str| {
        s.get(&format!("/v1/cas/{id}/certificate"), None)
            .text()
            .unwrap()
    };
    let (root_pem, sub_pem) = (ca_pem(&root_id), ca_pem(&sub_id));
    let (root_cert, sub_cert) = (pem_cert(&root_pem), pem_cert(&sub_pem));
    let issued: Value = s
        .post_json(
            &format!("/v1/cas/{sub_id}/certificates"),
            &s.admin,
            &json!({"common_name": "OCSP Test Seal"}),
        )
        .json()
        .unwrap();
    let cert_pem = issued["certificate_pem"].as_str().unwrap().to_string();
    let cert = pem_cert(&cert_pem);

    // Certificates name their issuer's responder.
    let url = s.url(&format!("/v1/cas/{sub_id}/ocsp"));
    assert_eq!(eseal_certs::ocsp::responder_urls(&cert), vec![url.clone()]);
    assert_eq!(
        eseal_certs::ocsp::responder_urls(&sub_cert),
        vec![s.url(&format!("/v1/cas/{root_id}/ocsp"))]
    );

    assert_eq!(status(s, &sub_id, &cert, &sub_cert), Status::Good);
    // The sub CA's own status comes from the root's responder.
    assert_eq!(status(s, &root_id, &sub_cert, &root_cert), Status::Good);

    // GET form: base64 then URL-encoded, in the path.
    let req = OcspRequest::new(&cert, &sub_cert, false).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(req.to_der().unwrap());
    let escaped = b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let r = s.get(&format!("/v1/cas/{sub_id}/ocsp/{escaped}"), None);
    assert_eq!(r.status().as_u16(), 200);
    let got = ParsedResponse::from_der(&r.bytes().unwrap()).unwrap();
    assert_eq!(
        got.check(&cert, &sub_cert, SystemTime::now(), HOUR)
            .unwrap()
            .status,
        Status::Good
    );

    let dir = tempfile::tempdir().unwrap();
    let openssl = common::tool("openssl");
    if openssl {
        std::fs::write(dir.path().join("issuer.pem"), &sub_pem).unwrap();
        std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(dir.path().join("root.pem"), &root_pem).unwrap();
        let out = openssl_ocsp(s, &sub_id, dir.path(), &[]);
        assert!(out.contains("Response verify OK"), "{out}");
        assert!(out.contains("cert.pem: good"), "{out}");
    }

    // The CLI verifier asks the responder only when allowed to.
    let key_pass = issued["key_passphrase"].as_str().unwrap().to_string();
    std::fs::write(
        dir.path().join("seal.key"),
        issued["key_pem"].as_str().unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("seal.pem"), &cert_pem).unwrap();
    std::fs::write(dir.path().join("chain.pem"), &sub_pem).unwrap();
    std::fs::write(dir.path().join("root.pem"), &root_pem).unwrap();
    std::fs::write(dir.path().join("licence.xml"), b"<licence/>").unwrap();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_eseal"))
            .current_dir(dir.path())
            .env("ESEAL_KEY_PASSPHRASE", &key_pass)
            .args(args)
            .output()
            .unwrap()
    };
    let out = cli(&[
        "sign-file",
        "--in",
        "licence.xml",
        "--out",
        "licence.p7s",
        "--key",
        "seal.key",
        "--cert",
        "seal.pem",
        "--chain",
        "chain.pem",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // CAdES B-T with the service's own TSA.
    std::fs::write(dir.path().join("demo-root.pem"), s.root_pem()).unwrap();
    let tsa = s.url("/tsa");
    let out = cli(&[
        "sign-file",
        "--in",
        "licence.xml",
        "--out",
        "bt.p7s",
        "--key",
        "seal.key",
        "--cert",
        "seal.pem",
        "--chain",
        "chain.pem",
        "--level",
        "b-t",
        "--tsa",
        &tsa,
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = cli(&[
        "verify-file",
        "licence.xml",
        "bt.p7s",
        "--trust",
        "root.pem",
        "--trust",
        "demo-root.pem",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["signatures"][0]["level"], "b-t", "{v}");
    assert_eq!(v["signatures"][0]["timestamps"][0]["valid"], true, "{v}");
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify-file",
            "licence.xml",
            "licence.p7s",
            "--trust",
            "root.pem",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = cli(&args);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
        (out.status.code(), v)
    };
    let (code, v) = verify(&["--ocsp-fetch", &s.base]);
    assert_eq!(code, Some(0), "{v}");
    let chain = &v["signatures"][0]["chain"];
    assert!(
        chain[0]["revocation"]
            .as_str()
            .unwrap()
            .starts_with("good per OCSP"),
        "{chain}"
    );
    assert!(
        chain[1]["revocation"]
            .as_str()
            .unwrap()
            .starts_with("good per OCSP"),
        "the sub CA is checked at the root's responder: {chain}"
    );
    let (code, v) = verify(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["signatures"][0]["chain"][0]["revocation"], "not checked");
    let (code, v) = verify(&["--ocsp-fetch", "http://127.0.0.1:1/"]);
    assert_eq!(code, Some(0));
    let warnings = v["signatures"][0]["warnings"].to_string();
    assert!(warnings.contains("not in the allowed list"), "{warnings}");

    // Revoke through the API: the responder says so at once, with time and reason.
    let before = SystemTime::now() - Duration::from_secs(2);
    let cert_id = issued["id"].as_str().unwrap();
    let r = s.post_json(
        &format!("/v1/certificates/{cert_id}/revoke"),
        &s.admin,
        &json!({"reason": "keyCompromise"}),
    );
    assert_eq!(r.status().as_u16(), 200);
    match status(s, &sub_id, &cert, &sub_cert) {
        Status::Revoked { at, reason } => {
            assert!(at >= before && at <= SystemTime::now());
            assert_eq!(
                reason,
                Some(x509_cert::ext::pkix::crl::CrlReason::KeyCompromise)
            );
        }
        other => panic!("expected revoked, got {other:?}"),
    }
    let (code, v) = verify(&["--ocsp-fetch", &s.base]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["signatures"][0]["indication"], "INDETERMINATE");
    assert!(
        v["signatures"][0]["reasons"]
            .to_string()
            .contains("keyCompromise"),
        "{v}"
    );
    if openssl {
        let out = openssl_ocsp(s, &sub_id, dir.path(), &[]);
        assert!(out.contains("Response verify OK"), "{out}");
        assert!(out.contains("cert.pem: revoked"), "{out}");
        assert!(out.contains("Reason: keyCompromise"), "{out}");
    }

    // A serial the CA never issued, and a certificate of another CA: unknown.
    let mut raw = [0u8; 16];
    raw[0] = 0x41;
    let id = CertId::for_serial(
        x509_cert::serial_number::SerialNumber::new(&raw).unwrap(),
        &sub_cert,
    )
    .unwrap();
    let mut req = OcspRequest::new(&cert, &sub_cert, false).unwrap();
    req.tbs_request.request_list[0].req_cert = id.clone();
    let resp = ParsedResponse::from_der(&post_ocsp(s, &sub_id, req.to_der().unwrap())).unwrap();
    let single = &resp.data().responses[0];
    assert_eq!(single.cert_id, id);
    assert!(matches!(
        single.cert_status,
        eseal_certs::ocsp::CertStatus::Unknown(_)
    ));
    // Asked at the root's responder, the sub CA's certificate is unknown (and a client must
    // not accept the root's word for the sub CA's certificates anyway).
    let req = OcspRequest::new(&cert, &sub_cert, false).unwrap();
    let resp = ParsedResponse::from_der(&post_ocsp(s, &root_id, req.to_der().unwrap())).unwrap();
    assert!(matches!(
        resp.data().responses[0].cert_status,
        eseal_certs::ocsp::CertStatus::Unknown(_)
    ));
    assert!(matches!(
        resp.status_for(&cert, &sub_cert),
        Err(eseal_certs::ocsp::OcspError::ResponderNotAuthorised(_))
    ));

    // Garbage is answered with an OCSP malformedRequest, not an HTTP error.
    let der = post_ocsp(s, &sub_id, b"not an OCSP request".to_vec());
    assert_eq!(
        <OcspResponse as der::Decode>::from_der(&der)
            .unwrap()
            .response_status,
        ResponseStatus::MalformedRequest
    );
    let r = s.get(&format!("/v1/cas/{sub_id}/ocsp/%%%%"), None);
    assert!(r.status().as_u16() == 200 || r.status().as_u16() == 400);
    // No such CA.
    let r = Server::client()
        .post(s.url("/v1/cas/ca_nope/ocsp"))
        .body(req.to_der().unwrap())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}
both!(responder);
