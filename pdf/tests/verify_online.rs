//! The verifier's online hook (`eseal verify --online`): OCSP answers fetched from the
//! responder a certificate names are used after the same checks as any other, the chain says
//! where they came from (fetched, cache, caller), and a useless answer is TRY_LATER, never a
//! pass. (The CLI's HTTP side and CRLs over the wire: api/tests/cli_online.rs.)
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
use eseal_pdf::verify::{
    verify_bytes, Fetched, Indication, OnlineFetch, Report, SubIndication, VerifyOptions,
};
use verify_common::{base_pdf, pki, seal_with, sealer_opts};

const URL: &str = "https://ocsp.example.test/city";

fn pki_with_aia() -> TestPki {
    let mut p = pki();
    let key = SoftwareKey::generate(p.algorithm).unwrap();
    let mut req = CertRequest::new(
        SubjectName::common("Online-checked seal")
            .to_name()
            .unwrap(),
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

/// The root's current CRL (the test PKI's intermediate names a distribution point).
fn root_crl(p: &TestPki) -> Vec<u8> {
    let now = SystemTime::now();
    let crl = eseal_certs::crl::create_crl(
        &Issuer {
            certificate: &p.root,
            key: &p.root_key,
        },
        1,
        now - Duration::from_secs(60),
        now + Duration::from_secs(86_400),
        &[],
    )
    .unwrap();
    eseal_certs::crl::crl_to_der(&crl).unwrap()
}

/// An online fetcher whose OCSP side answers with `answer(nonce)`, marked `cached`, and
/// whose CRL side serves the root's CRL.
fn online(
    p: &TestPki,
    calls: Arc<AtomicUsize>,
    cached: bool,
    answer: impl Fn(Option<Vec<u8>>) -> Vec<u8> + Send + Sync + 'static,
) -> OnlineFetch {
    let crl = root_crl(p);
    OnlineFetch {
        crl: Arc::new(move |_: &str, _: &_| {
            Ok(Fetched {
                body: crl.clone(),
                cached: false,
            })
        }),
        ocsp: Arc::new(move |url: &str, request: &[u8], _: &_, _: &_| {
            assert_eq!(url, URL);
            calls.fetch_add(1, Ordering::SeqCst);
            let nonce = OcspRequest::from_der(request).unwrap().nonce();
            Ok(Fetched {
                body: answer(nonce),
                cached,
            })
        }),
    }
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
fn a_fetched_answer_passes_and_says_where_it_came_from() {
    let p = Arc::new(pki_with_aia());
    let calls = Arc::new(AtomicUsize::new(0));
    let q = p.clone();
    let r = verify(
        &p,
        VerifyOptions {
            online: Some(online(&p, calls.clone(), false, move |n| {
                response(&q, Status::Good, n.as_deref())
            })),
            ..Default::default()
        },
    );
    assert!(r.passed(), "{}", r.to_text());
    let rev = &r.signatures[0].chain[0].revocation;
    assert!(rev.starts_with("good per OCSP"), "{rev}");
    assert!(rev.ends_with(&format!(", fetched from {URL}")), "{rev}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let rev = &r.signatures[0].chain[1].revocation;
    assert!(rev.starts_with("good per CRL of "), "{rev}");
    assert!(
        rev.ends_with("fetched from http://127.0.0.1:8080/crl/root.crl"),
        "{rev}"
    );

    // From the cache: another request's nonce is no mismatch, and the report says so.
    let q = p.clone();
    let r = verify(
        &p,
        VerifyOptions {
            online: Some(online(&p, calls.clone(), true, move |_| {
                response(&q, Status::Good, Some(b"an older request"))
            })),
            ..Default::default()
        },
    );
    assert!(r.passed(), "{}", r.to_text());
    let rev = &r.signatures[0].chain[0].revocation;
    assert!(
        rev.ends_with(&format!(", read from cache (fetched from {URL})")),
        "{rev}"
    );

    // A fresh answer with the wrong nonce is a replay: not used.
    let q = p.clone();
    let r = verify(
        &p,
        VerifyOptions {
            online: Some(online(&p, calls.clone(), false, move |_| {
                response(&q, Status::Good, Some(b"an older request"))
            })),
            ..Default::default()
        },
    );
    assert!(!r.passed(), "{}", r.to_text());
    assert_eq!(
        r.signatures[0].sub_indication,
        Some(SubIndication::TryLater)
    );

    // The same answer given by the caller: nothing fetched, and named as the caller's.
    let before = calls.load(Ordering::SeqCst);
    let q = p.clone();
    let r = verify(
        &p,
        VerifyOptions {
            ocsp_responses: vec![response(&p, Status::Good, None)],
            online: Some(online(&p, calls.clone(), false, move |n| {
                response(&q, Status::Good, n.as_deref())
            })),
            ..Default::default()
        },
    );
    assert!(r.passed(), "{}", r.to_text());
    let rev = &r.signatures[0].chain[0].revocation;
    assert!(rev.ends_with(", given by the caller"), "{rev}");
    assert_eq!(calls.load(Ordering::SeqCst), before);
}

#[test]
fn a_fetched_revocation_fails_and_junk_is_try_later() {
    let p = Arc::new(pki_with_aia());
    let calls = Arc::new(AtomicUsize::new(0));
    let q = p.clone();
    let r = verify(
        &p,
        VerifyOptions {
            online: Some(online(&p, calls.clone(), false, move |n| {
                let revoked = Status::Revoked {
                    at: SystemTime::now() - Duration::from_secs(5),
                    reason: None,
                };
                response(&q, revoked, n.as_deref())
            })),
            ..Default::default()
        },
    );
    assert!(!r.passed());
    let s = &r.signatures[0];
    assert!(
        matches!(
            s.sub_indication,
            Some(SubIndication::Revoked | SubIndication::RevokedNoPoe)
        ),
        "{}",
        r.to_text()
    );

    let r = verify(
        &p,
        VerifyOptions {
            online: Some(online(&p, calls.clone(), false, |_| {
                b"<html>503 Service Unavailable</html>".to_vec()
            })),
            ..Default::default()
        },
    );
    let s = &r.signatures[0];
    assert_eq!(s.indication, Indication::Indeterminate, "{}", r.to_text());
    assert_eq!(s.sub_indication, Some(SubIndication::TryLater));
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains(URL) && w.contains("not a usable OCSP response")),
        "{:?}",
        s.warnings
    );
}
