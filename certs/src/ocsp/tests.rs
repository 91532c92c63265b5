use std::time::{Duration, SystemTime};

use x509_cert::ext::pkix::crl::CrlReason;

use super::*;
use crate::issue::{issue, CertKind, CertRequest, Issuer};
use crate::name::SubjectName;
use crate::testing::TestPki;
use crate::{Algorithm, SoftwareKey};

const DAY: Duration = Duration::from_secs(86_400);

fn answer(pki: &TestPki, status: Status) -> Answer {
    let now = SystemTime::now();
    Answer {
        cert_id: CertId::new(&pki.leaf, &pki.intermediate).unwrap(),
        status,
        this_update: now - Duration::from_secs(60),
        next_update: Some(now + DAY),
    }
}

fn ca_responder(pki: &TestPki) -> Responder<'_> {
    Responder {
        certificate: &pki.intermediate,
        key: &pki.intermediate_key,
    }
}

fn delegate(pki: &TestPki, kind: CertKind) -> (Certificate, SoftwareKey) {
    let key = SoftwareKey::generate(pki.algorithm).unwrap();
    let req = CertRequest::new(
        SubjectName::common("Test City OCSP Responder")
            .to_name()
            .unwrap(),
        key.public_key().clone(),
        kind,
        30,
    );
    let cert = issue(
        &Issuer {
            certificate: &pki.intermediate,
            key: &pki.intermediate_key,
        },
        &req,
    )
    .unwrap();
    (cert, key)
}

fn check(pki: &TestPki, der: &[u8], at: SystemTime) -> Result<CheckedStatus, OcspError> {
    ParsedResponse::from_der(der)?.check(&pki.leaf, &pki.intermediate, at, DAY)
}

#[test]
fn good_revoked_unknown_round_trip_in_both_suites() {
    for alg in Algorithm::ALL {
        let pki = TestPki::new(alg).unwrap();
        let now = SystemTime::now();
        let revoked_at = now - Duration::from_secs(3600);
        for (status, expect) in [
            (Status::Good, Status::Good),
            (Status::Unknown, Status::Unknown),
            (
                Status::Revoked {
                    at: revoked_at,
                    reason: Some(CrlReason::KeyCompromise),
                },
                Status::Revoked {
                    // GeneralizedTime keeps whole seconds.
                    at: GeneralizedTime::from_system_time(revoked_at)
                        .unwrap()
                        .to_system_time(),
                    reason: Some(CrlReason::KeyCompromise),
                },
            ),
        ] {
            let der =
                sign_response(&ca_responder(&pki), &[answer(&pki, status)], None, now).unwrap();
            let got = check(&pki, &der, now).unwrap();
            assert_eq!(got.status, expect, "{alg}");
            assert_eq!(got.responder, inspect::subject(&pki.intermediate));
        }
    }
}

#[test]
fn request_round_trip_and_nonce_echo() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let req = OcspRequest::new(&pki.leaf, &pki.intermediate, true).unwrap();
    let parsed = OcspRequest::from_der(&req.to_der().unwrap()).unwrap();
    assert_eq!(parsed, req);
    let nonce = parsed.nonce().expect("nonce");
    assert_eq!(nonce.len(), 32);
    let id = parsed.cert_ids().next().unwrap();
    assert_eq!(id.hash_algorithm.oid, OID_SHA1);
    assert!(id.matches(&pki.leaf, &pki.intermediate));
    assert!(!id.matches(&pki.intermediate, &pki.root));
    assert_eq!(id.serial_hex(), inspect::serial_hex(&pki.leaf));
    let der = sign_response(
        &ca_responder(&pki),
        &[answer(&pki, Status::Good)],
        Some(&nonce),
        SystemTime::now(),
    )
    .unwrap();
    assert_eq!(ParsedResponse::from_der(&der).unwrap().nonce(), Some(nonce));
}

#[test]
fn delegated_responder_needs_ocsp_signing_eku() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let now = SystemTime::now();
    let (cert, key) = delegate(&pki, CertKind::OcspSigning);
    let responder = Responder {
        certificate: &cert,
        key: &key,
    };
    let der = sign_response(&responder, &[answer(&pki, Status::Good)], None, now).unwrap();
    let got = check(&pki, &der, now).unwrap();
    assert_eq!(got.status, Status::Good);
    assert!(got.responder.starts_with("CN=Test City OCSP Responder"));

    // A seal certificate from the same CA may not speak for it.
    let (cert, key) = delegate(&pki, CertKind::Seal);
    let responder = Responder {
        certificate: &cert,
        key: &key,
    };
    let der = sign_response(&responder, &[answer(&pki, Status::Good)], None, now).unwrap();
    let err = check(&pki, &der, now).unwrap_err();
    assert!(
        matches!(&err, OcspError::ResponderNotAuthorised(m) if m.contains("OCSPSigning")),
        "{err}"
    );
}

#[test]
fn wrong_responder_is_rejected() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let other = TestPki::new(Algorithm::P256).unwrap();
    let now = SystemTime::now();
    // Another CA answers about our leaf: it is not the issuer and not delegated.
    let der = sign_response(
        &ca_responder(&other),
        &[answer(&pki, Status::Good)],
        None,
        now,
    )
    .unwrap();
    assert!(matches!(
        check(&pki, &der, now),
        Err(OcspError::ResponderNotAuthorised(_))
    ));
    // A delegate of the other CA, with the right EKU, is still not ours.
    let (cert, key) = delegate(&other, CertKind::OcspSigning);
    let der = sign_response(
        &Responder {
            certificate: &cert,
            key: &key,
        },
        &[answer(&pki, Status::Good)],
        None,
        now,
    )
    .unwrap();
    let err = check(&pki, &der, now).unwrap_err();
    assert!(
        // Same CA name in the other PKI, different key: the delegation does not verify.
        matches!(&err, OcspError::ResponderNotAuthorised(m) if m.contains("not signed by the issuer")),
        "{err}"
    );
}

#[test]
fn tampered_response_fails_signature() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let now = SystemTime::now();
    let der = sign_response(
        &ca_responder(&pki),
        &[answer(&pki, Status::Good)],
        None,
        now,
    )
    .unwrap();
    let mut parsed = ParsedResponse::from_der(&der).unwrap();
    // Claim a later production time than was signed.
    parsed.basic.tbs_response_data.produced_at =
        GeneralizedTime::from_system_time(now + DAY).unwrap();
    assert_eq!(
        parsed.check(&pki.leaf, &pki.intermediate, now, DAY),
        Err(OcspError::BadSignature)
    );
}

#[test]
fn stale_and_premature_responses_are_not_fresh() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let now = SystemTime::now();
    let der = sign_response(
        &ca_responder(&pki),
        &[answer(&pki, Status::Good)],
        None,
        now,
    )
    .unwrap();
    assert!(matches!(
        check(&pki, &der, now + 2 * DAY),
        Err(OcspError::NotFresh(m)) if m.contains("nextUpdate")
    ));
    assert!(matches!(
        check(&pki, &der, now - DAY),
        Err(OcspError::NotFresh(m)) if m.contains("thisUpdate")
    ));
    // Without nextUpdate the caller's maximum age applies.
    let mut a = answer(&pki, Status::Good);
    a.next_update = None;
    a.this_update = now - 2 * DAY;
    let der = sign_response(&ca_responder(&pki), &[a], None, now).unwrap();
    assert!(matches!(
        check(&pki, &der, now),
        Err(OcspError::NotFresh(_))
    ));
}

#[test]
fn answer_for_another_certificate_is_no_answer() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let now = SystemTime::now();
    let mut a = answer(&pki, Status::Good);
    a.cert_id = CertId::new(&pki.intermediate, &pki.intermediate).unwrap();
    let der = sign_response(&ca_responder(&pki), &[a], None, now).unwrap();
    assert_eq!(check(&pki, &der, now), Err(OcspError::NoAnswer));
}

#[test]
fn error_responses_and_garbage_are_errors_not_panics() {
    let der = error_response(ResponseStatus::TryLater);
    assert_eq!(
        OcspResponse::from_der(&der).unwrap().response_status,
        ResponseStatus::TryLater
    );
    assert!(matches!(
        ParsedResponse::from_der(&der),
        Err(OcspError::NotSuccessful(s)) if s == "trylater"
    ));
    let junks: [&[u8]; 4] = [b"", b"\x30\x00", b"\x30\x03\x0a\x01\x00", &[0xff; 40]];
    for junk in junks {
        assert!(ParsedResponse::from_der(junk).is_err());
        assert!(OcspRequest::from_der(junk).is_err());
    }
}

#[test]
fn issued_certificates_carry_the_ocsp_url() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let key = SoftwareKey::generate(Algorithm::P256).unwrap();
    let mut req = CertRequest::new(
        SubjectName::common("seal").to_name().unwrap(),
        key.public_key().clone(),
        CertKind::Seal,
        30,
    );
    req.ocsp_url = Some("http://127.0.0.1:8080/v1/cas/1/ocsp".into());
    let cert = issue(
        &Issuer {
            certificate: &pki.intermediate,
            key: &pki.intermediate_key,
        },
        &req,
    )
    .unwrap();
    assert_eq!(
        responder_urls(&cert),
        vec!["http://127.0.0.1:8080/v1/cas/1/ocsp".to_string()]
    );
    assert!(responder_urls(&pki.leaf).is_empty());
}

#[test]
fn path_validation_uses_ocsp_as_revocation_evidence() {
    use crate::validate::{validate, PathFailure, Purpose, RevocationStatus, Validation};
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let now = SystemTime::now();
    let run = |responses: &[ParsedResponse], at: SystemTime| {
        validate(
            &pki.leaf,
            &Validation {
                anchors: std::slice::from_ref(&pki.root),
                intermediates: std::slice::from_ref(&pki.intermediate),
                crls: &[],
                ocsp: responses,
                at,
                purpose: Purpose::DocumentSigning,
            },
        )
    };
    let parsed = |status: Status| {
        let der = sign_response(&ca_responder(&pki), &[answer(&pki, status)], None, now).unwrap();
        ParsedResponse::from_der(&der).unwrap()
    };

    let path = run(&[parsed(Status::Good)], now).unwrap();
    assert!(matches!(
        &path.revocation[0],
        RevocationStatus::GoodPerOcsp { responder, .. } if responder.contains("Test City CA")
    ));
    assert_eq!(path.revocation[1], RevocationStatus::NotChecked);

    let revoked_at = now - Duration::from_secs(10);
    let revoked = parsed(Status::Revoked {
        at: revoked_at,
        reason: Some(CrlReason::KeyCompromise),
    });
    let err = run(std::slice::from_ref(&revoked), now).unwrap_err();
    assert_eq!(err.depth, 0);
    assert!(
        matches!(&err.reason, PathFailure::Revoked { reason, .. } if reason == "keyCompromise"),
        "{err}"
    );
    // Checked at a time before the revocation, the same response does not fail the path.
    assert!(run(&[revoked], now - Duration::from_secs(30)).is_ok());

    // A response from another CA's key about our leaf is rejected, not ignored.
    let other = TestPki::new(Algorithm::P256).unwrap();
    let mut forged = answer(&pki, Status::Good);
    forged.this_update = now;
    let der = sign_response(&ca_responder(&other), &[forged], None, now).unwrap();
    let err = run(&[ParsedResponse::from_der(&der).unwrap()], now).unwrap_err();
    assert!(matches!(err.reason, PathFailure::OcspInvalid(_)), "{err}");
}
