//! Round trips for both suites and the ways a token must be refused. OpenSSL as a judge is in
//! `tests/tsp_openssl.rs`.

use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use eseal_certs::issue::{issue, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::testing::TestPki;
use eseal_certs::{Algorithm, Certificate, SigningKey, SoftwareKey};

use super::*;

const POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1.1");

struct Fixture {
    pki: TestPki,
    tsa_key: SoftwareKey,
    tsa_cert: Certificate,
}

fn fixture(alg: Algorithm, kind: CertKind) -> Fixture {
    let pki = TestPki::new(alg).unwrap();
    let tsa_key = SoftwareKey::generate(alg).unwrap();
    let tsa_cert = issue(
        &Issuer {
            certificate: &pki.intermediate,
            key: &pki.intermediate_key,
        },
        &CertRequest::new(
            SubjectName::common("Test TSA").to_name().unwrap(),
            tsa_key.public_key().clone(),
            kind,
            365,
        ),
    )
    .unwrap();
    Fixture {
        pki,
        tsa_key,
        tsa_cert,
    }
}

impl Fixture {
    fn tsa(&self) -> Tsa<'_> {
        Tsa {
            key: &self.tsa_key,
            certificate: &self.tsa_cert,
            chain: std::slice::from_ref(&self.pki.intermediate),
            policy: POLICY,
            accuracy: Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            },
        }
    }

    fn stamp(&self, data: &[u8]) -> (Request, Answer) {
        let alg = self.pki.algorithm.digest();
        let req = Request::new(alg, &alg.hash(data)).unwrap();
        let answer = self
            .tsa()
            .respond(
                &req.to_der().unwrap(),
                &[0x01, 0x02, 0x03],
                SystemTime::now(),
            )
            .unwrap();
        (req, answer)
    }
}

#[test]
fn token_round_trip_both_suites() {
    for alg in [Algorithm::P256, Algorithm::Sm2] {
        let f = fixture(alg, CertKind::TimeStamping);
        let (req, answer) = f.stamp(b"signature value");
        let token = req.read_response(&answer.der).unwrap();
        token.check_imprint(b"signature value").unwrap();
        let checked = token.verify_signature(&[]).unwrap();
        assert_eq!(checked.tsa_certificate, f.tsa_cert);
        assert_eq!(checked.algorithm, alg);
        let now = SystemTime::now();
        assert!(checked.gen_time <= now && checked.gen_time + Duration::from_secs(5) > now);
        checked
            .validate_path(&token, std::slice::from_ref(&f.pki.root), &[], &[], now)
            .unwrap();
        let tst = token.tst_info();
        assert_eq!(tst.policy, POLICY);
        assert_eq!(tst.serial_number.as_bytes(), [1, 2, 3]);
        assert_eq!(tst.accuracy.unwrap().seconds, Some(1));
        assert_eq!(token.serial_hex(), "010203");
        assert_eq!(answer.issued.unwrap().serial_number, tst.serial_number);
    }
}

#[test]
fn imprint_and_nonce_must_match() {
    let f = fixture(Algorithm::P256, CertKind::TimeStamping);
    let (req, answer) = f.stamp(b"one");
    let token = req.read_response(&answer.der).unwrap();
    assert!(matches!(
        token.check_imprint(b"two"),
        Err(TspError::ImprintMismatch)
    ));
    // The same answer read against another request (other nonce, other imprint).
    let (other, _) = f.stamp(b"one");
    assert!(matches!(
        other.read_response(&answer.der),
        Err(TspError::NonceMismatch)
    ));
    let (other, _) = f.stamp(b"two");
    assert!(matches!(
        other.read_response(&answer.der),
        Err(TspError::ImprintMismatch)
    ));
}

#[test]
fn certreq_false_gives_a_token_without_certificates() {
    let f = fixture(Algorithm::P256, CertKind::TimeStamping);
    let mut req = Request::new(Algorithm::P256.digest(), &[7u8; 32]).unwrap();
    req.request.cert_req = false;
    let answer = f
        .tsa()
        .respond(&req.to_der().unwrap(), &[9], SystemTime::now())
        .unwrap();
    let token = req.read_response(&answer.der).unwrap();
    assert!(token.certificates().is_empty());
    assert!(token.verify_signature(&[]).is_err());
    token
        .verify_signature(std::slice::from_ref(&f.tsa_cert))
        .unwrap();
}

#[test]
fn a_seal_certificate_is_no_tsa() {
    // Signed by a key whose certificate lacks the critical timeStamping EKU.
    let f = fixture(Algorithm::P256, CertKind::Seal);
    let (req, answer) = f.stamp(b"x");
    let token = req.read_response(&answer.der).unwrap();
    let e = token.verify_signature(&[]).unwrap_err();
    assert!(matches!(e, TspError::TsaCertificate(_)), "{e}");
}

#[test]
fn tampered_tstinfo_fails_the_signature() {
    let f = fixture(Algorithm::P256, CertKind::TimeStamping);
    let (req, answer) = f.stamp(b"x");
    let token = req.read_response(&answer.der).unwrap();
    let mut der = token.der().to_vec();
    // Change the serial number (0x01 0x02 0x03 in the TSTInfo) to 0x01 0x02 0x04.
    let at = der
        .windows(5)
        .position(|w| w == [0x02, 0x03, 0x01, 0x02, 0x03])
        .unwrap();
    der[at + 4] = 0x04;
    let token = TimestampToken::parse(&der).unwrap();
    let e = token.verify_signature(&[]).unwrap_err();
    assert!(matches!(e, TspError::Signature(_)), "{e}");
}

#[test]
fn path_is_checked_against_the_anchors_and_the_time() {
    let f = fixture(Algorithm::Sm2, CertKind::TimeStamping);
    let (req, answer) = f.stamp(b"x");
    let token = req.read_response(&answer.der).unwrap();
    let checked = token.verify_signature(&[]).unwrap();
    let other = TestPki::new(Algorithm::Sm2).unwrap();
    assert!(checked
        .validate_path(&token, &[other.root], &[], &[], SystemTime::now())
        .is_err());
    let later = SystemTime::now() + Duration::from_secs(400 * 86_400);
    assert!(matches!(
        checked.validate_path(&token, std::slice::from_ref(&f.pki.root), &[], &[], later),
        Err(TspError::Path(_))
    ));
}

#[test]
fn bad_requests_are_rejected_with_a_reason() {
    let f = fixture(Algorithm::P256, CertKind::TimeStamping);
    let tsa = f.tsa();
    let reject = |der: &[u8], bit: usize| {
        let answer = tsa.respond(der, &[1], SystemTime::now()).unwrap();
        assert!(answer.issued.is_none());
        let resp = TimeStampResp::from_der(&answer.der).unwrap();
        assert_eq!(resp.status.status, STATUS_REJECTION);
        let bits = resp.status.fail_info.unwrap();
        assert!(bits.bits().nth(bit).unwrap(), "failure bit {bit}");
        assert!(matches!(
            read_response(&answer.der),
            Err(TspError::Rejected { status: 2, .. })
        ));
    };
    reject(b"not DER", FAIL_BAD_DATA_FORMAT as usize);
    let mut req = Request::new(Algorithm::P256.digest(), &[7u8; 32]).unwrap();
    req.request.message_imprint.hash_algorithm.oid = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    reject(&req.to_der().unwrap(), FAIL_BAD_ALG as usize);
    let mut req = Request::new(Algorithm::P256.digest(), &[7u8; 31]).unwrap();
    req.request.version = 1;
    reject(&req.to_der().unwrap(), FAIL_BAD_DATA_FORMAT as usize);
    let mut req = Request::new(Algorithm::P256.digest(), &[7u8; 32]).unwrap();
    req.request.version = 2;
    reject(&req.to_der().unwrap(), FAIL_BAD_REQUEST as usize);
}

#[test]
fn types_round_trip_through_der() {
    let acc = Accuracy {
        seconds: Some(1),
        millis: Some(500),
        micros: None,
    };
    let der = acc.to_der().unwrap();
    assert_eq!(der, [0x30, 0x07, 0x02, 0x01, 0x01, 0x80, 0x02, 0x01, 0xF4]);
    assert_eq!(Accuracy::from_der(&der).unwrap(), acc);
    // certReq FALSE is the DEFAULT and so absent from the DER.
    let mut req = Request::new(Algorithm::P256.digest(), &[1u8; 32]).unwrap();
    req.request.cert_req = false;
    let der = req.to_der().unwrap();
    assert!(!der.ends_with(&[0x01, 0x01, 0x00]));
    assert_eq!(TimeStampReq::from_der(&der).unwrap(), req.request);
}
