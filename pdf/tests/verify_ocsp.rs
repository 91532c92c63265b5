//! OCSP in the verifier: responses given by the caller count as revocation evidence (good and
//! revoked), and the fetcher is used only for AIA URLs in the allow-list, with nonces checked.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use eseal_certs::issue::{issue, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::ocsp::{self, Answer, OcspRequest, Responder, Status};
use eseal_certs::testing::TestPki;
use eseal_certs::{SigningKey, SoftwareKey};
use eseal_pdf::verify::{verify_bytes, OcspFetch, Report, VerifyOptions};
use verify_common::{base_pdf, pki, seal_with, sealer_opts};

const URL: &str = "http://127.0.0.1:9/v1/cas/city/ocsp";

/// The test PKI with a leaf that names an OCSP responder.
fn pki_with_aia() -> TestPki {
    let mut p = pki();
    let key = SoftwareKey::generate(p.algorithm).unwrap();
    let mut req = CertRequest::new(
        SubjectName::common("OCSP-checked seal").to_name().unwrap(),
        key.public_key().clone(),
        CertKind::Seal,
        30,
    );
    req.ocsp_url = Some(URL.into());
    p.leaf = issue(
        &Issuer {
            certificate: &p.intermediate,
            key: &p.intermediate_key,
        },
        &req,
    )
    .unwrap();
    p.leaf_key = key;
    p
}

/// The intermediate's signed answer about the leaf; `nonce` echoed.
fn response(p: &TestPki, status: Status, nonce: Option<&[u8]>) -> Vec<u8> {
    let now = SystemTime::now();
    ocsp::sign_response(
        &Responder {
            certificate: &p.intermediate,
            key: &p.intermediate_key,
        },
        &[Answer {
            cert_id: ocsp::CertId::new(&p.leaf, &p.intermediate).unwrap(),
            status,
            this_update: now - Duration::from_secs(30),
            next_update: Some(now + Duration::from_secs(3600)),
        }],
        nonce,
        now,
    )
    .unwrap()
}

fn verify(p: &TestPki, opts: VerifyOptions) -> Report {
    let pdf = seal_with(p, &base_pdf(), &sealer_opts());
    verify_bytes(
        &pdf,
        &VerifyOptions {
            trust_anchors: vec![p.root.clone().into()],
            ..opts
        },
    )
    .unwrap()
}

#[test]
fn given_responses_are_revocation_evidence() {
    let p = pki_with_aia();
    let r = verify(
        &p,
        VerifyOptions {
            ocsp_responses: vec![response(&p, Status::Good, None)],
            ..Default::default()
        },
    );
    assert!(r.passed(), "{}", r.to_text());
    let rev = &r.signatures[0].chain[0].revocation;
    assert!(rev.starts_with("good per OCSP"), "{rev}");

    let revoked = response(
        &p,
        Status::Revoked {
            at: SystemTime::now() - Duration::from_secs(5),
            reason: Some(x509_cert::ext::pkix::crl::CrlReason::KeyCompromise),
        },
        None,
    );
    let r = verify(
        &p,
        VerifyOptions {
            ocsp_responses: vec![revoked],
            ..Default::default()
        },
    );
    assert!(!r.passed());
    let s = &r.signatures[0];
    assert!(
        s.reasons.join(" ").contains("keyCompromise"),
        "{:?}",
        s.reasons
    );

    // Junk among the responses is not evidence and not a crash.
    let r = verify(
        &p,
        VerifyOptions {
            ocsp_responses: vec![b"junk".to_vec()],
            ..Default::default()
        },
    );
    assert!(r.passed());
    assert_eq!(r.signatures[0].chain[0].revocation, "not checked");
}

#[test]
fn fetcher_is_used_only_for_allowed_urls() {
    let p = Arc::new(pki_with_aia());
    let calls = Arc::new(AtomicUsize::new(0));
    let fetcher = |allowed: &str, p: Arc<TestPki>, calls: Arc<AtomicUsize>| OcspFetch {
        allowed_urls: vec![allowed.to_string()],
        fetch: Arc::new(move |url: &str, request: &[u8]| {
            assert_eq!(url, URL);
            calls.fetch_add(1, Ordering::SeqCst);
            let req = OcspRequest::from_der(request).map_err(|e| e.to_string())?;
            Ok(response(&p, Status::Good, req.nonce().as_deref()))
        }),
    };
    let r = verify(
        &p,
        VerifyOptions {
            ocsp_fetch: Some(fetcher("http://127.0.0.1:9/", p.clone(), calls.clone())),
            ..Default::default()
        },
    );
    assert!(r.passed(), "{}", r.to_text());
    assert!(r.signatures[0].chain[0]
        .revocation
        .starts_with("good per OCSP"));
    // Only the leaf names a responder; the intermediate is not asked about.
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let r = verify(
        &p,
        VerifyOptions {
            ocsp_fetch: Some(fetcher("http://10.0.0.1/", p.clone(), calls.clone())),
            ..Default::default()
        },
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "not allowed: not asked");
    let warnings = r.signatures[0].warnings.join(" ");
    assert!(warnings.contains("not in the allowed list"), "{warnings}");
}

#[test]
fn fetched_answer_with_a_foreign_nonce_is_refused() {
    let p = Arc::new(pki_with_aia());
    let q = p.clone();
    let r = verify(
        &p,
        VerifyOptions {
            ocsp_fetch: Some(OcspFetch {
                allowed_urls: vec![URL.into()],
                fetch: Arc::new(move |_: &str, _: &[u8]| {
                    Ok(response(&q, Status::Good, Some(b"replayed-nonce")))
                }),
            }),
            ..Default::default()
        },
    );
    assert_eq!(r.signatures[0].chain[0].revocation, "not checked");
    let warnings = r.signatures[0].warnings.join(" ");
    assert!(warnings.contains("nonce"), "{warnings}");
    // A failing fetch is a warning, not a failure of the signature.
    let r = verify(
        &p,
        VerifyOptions {
            ocsp_fetch: Some(OcspFetch {
                allowed_urls: vec![URL.into()],
                fetch: Arc::new(|_: &str, _: &[u8]| Err("cannot connect".to_string())),
            }),
            ..Default::default()
        },
    );
    assert!(r.passed());
    assert!(r.signatures[0]
        .warnings
        .join(" ")
        .contains("cannot connect"));
}
