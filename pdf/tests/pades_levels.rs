//! PAdES B-T, B-LT and B-LTA made with an in-process TSA, and what the verifier makes of them:
//! the level reached, timestamps checked, and validation at the time the timestamps prove
//! (a clock moved past the seal certificate's expiry, a revocation after signing).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::cell::Cell;
use std::io::Cursor;
use std::time::{Duration, SystemTime};

use der::asn1::ObjectIdentifier;
use eseal_certs::crl::{create_crl, crl_to_der, Crl, Revocation};
use eseal_certs::issue::{issue, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::testing::TestPki;
use eseal_certs::{inspect, Algorithm, Certificate, DigestAlgorithm, SigningKey, SoftwareKey};
use eseal_pdf::pades::{
    add_document_timestamp, add_dss, embedded_material, Timestamper, ValidationData,
};
use eseal_pdf::seal::{seal_timestamped, Sealer};
use eseal_pdf::sigdict::SubFilter;
use eseal_pdf::sign::SignOptions;
use eseal_pdf::verify::{Indication, Report, SignatureKind, SubIndication, VerifyOptions};
use eseal_signer::tsp::{Accuracy, Request, Tsa};
use x509_cert::ext::pkix::crl::CrlReason;

use verify_common::{base_pdf, verify};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.7");

/// A PKI whose seal certificate is valid for one hour only, and a TSA under its intermediate.
struct World {
    pki: TestPki,
    seal_cert: Certificate,
    tsa_key: SoftwareKey,
    tsa_cert: Certificate,
    serial: Cell<u64>,
}

impl World {
    fn new() -> Self {
        let pki = TestPki::new(Algorithm::P256).unwrap();
        let now = SystemTime::now();
        let mut req = CertRequest::new(
            SubjectName::common("Short-lived seal").to_name().unwrap(),
            pki.leaf_key.public_key().clone(),
            CertKind::Seal,
            1,
        );
        req.not_before = now - Duration::from_secs(600);
        req.not_after = now + Duration::from_secs(3600);
        let seal_cert = issue(&issuer(&pki), &req).unwrap();
        let tsa_key = SoftwareKey::generate(Algorithm::P256).unwrap();
        let tsa_cert = issue(
            &issuer(&pki),
            &CertRequest::new(
                SubjectName::common("Test TSA").to_name().unwrap(),
                tsa_key.public_key().clone(),
                CertKind::TimeStamping,
                3650,
            ),
        )
        .unwrap();
        World {
            pki,
            seal_cert,
            tsa_key,
            tsa_cert,
            serial: Cell::new(0),
        }
    }

    /// A token over `digest`, as a client gets it: request, response, checks.
    fn token(&self, alg: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, BoxError> {
        let tsa = Tsa {
            key: &self.tsa_key,
            certificate: &self.tsa_cert,
            chain: std::slice::from_ref(&self.pki.intermediate),
            policy: POLICY,
            accuracy: Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            },
        };
        self.serial.set(self.serial.get() + 1);
        let req = Request::new(alg, digest)?;
        let answer = tsa.respond(
            &req.to_der()?,
            &self.serial.get().to_be_bytes(),
            SystemTime::now(),
        )?;
        Ok(req.read_response(&answer.der)?.der().to_vec())
    }

    fn tsa(&self) -> impl Timestamper + '_ {
        move |alg: DigestAlgorithm, digest: &[u8]| self.token(alg, digest)
    }

    fn seal(&self, timestamped: bool) -> Vec<u8> {
        let chain = [self.pki.intermediate.clone()];
        let sealer = Sealer {
            key: &self.pki.leaf_key,
            certificate: &self.seal_cert,
            chain: &chain,
            reserve: None,
        };
        let tsa = self.tsa();
        let mut out = Cursor::new(Vec::new());
        seal_timestamped(
            &mut Cursor::new(base_pdf()),
            &mut out,
            &SignOptions::default(),
            &sealer,
            timestamped.then_some(&tsa as &dyn Timestamper),
        )
        .unwrap();
        out.into_inner()
    }

    /// The CRLs of both CAs, listing `revoked` under the intermediate.
    fn crls(&self, revoked: &[Revocation]) -> Vec<Crl> {
        let now = SystemTime::now();
        let root = create_crl(
            &Issuer {
                certificate: &self.pki.root,
                key: &self.pki.root_key,
            },
            1,
            now - Duration::from_secs(60),
            now + Duration::from_secs(30 * 86_400),
            &[],
        )
        .unwrap();
        vec![root, self.pki.intermediate_crl(revoked).unwrap()]
    }

    fn with_dss(&self, pdf: &[u8]) -> Vec<u8> {
        let mut data = ValidationData::default();
        for c in embedded_material(Cursor::new(pdf)).unwrap().certificates {
            data.add_certificate(&c).unwrap();
        }
        data.add_certificate(&self.pki.root).unwrap();
        for crl in self.crls(&[]) {
            data.add_crl(crl_to_der(&crl).unwrap());
        }
        let mut out = Cursor::new(Vec::new());
        add_dss(&mut Cursor::new(pdf), &mut out, &data).unwrap();
        out.into_inner()
    }

    fn with_doc_timestamp(&self, pdf: &[u8]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        add_document_timestamp(&mut Cursor::new(pdf), &mut out, &self.tsa()).unwrap();
        out.into_inner()
    }

    fn lta(&self) -> Vec<u8> {
        self.with_doc_timestamp(&self.with_dss(&self.seal(true)))
    }

    /// Trust the root; CRLs only as given.
    fn options(&self, at: Option<SystemTime>, crls: Vec<Crl>) -> VerifyOptions {
        VerifyOptions {
            trust_anchors: vec![self.pki.root.clone().into()],
            crls,
            at,
            ..Default::default()
        }
    }
}

fn issuer(pki: &TestPki) -> Issuer<'_> {
    Issuer {
        certificate: &pki.intermediate,
        key: &pki.intermediate_key,
    }
}

fn level(r: &Report, i: usize) -> Option<&str> {
    r.signatures[i].level.map(|l| l.name())
}

fn assert_passed(r: &Report) {
    assert!(r.passed(), "{}", r.to_text());
}

#[test]
fn each_level_is_reported() {
    let w = World::new();
    let crls = w.crls(&[]);

    let bb = w.seal(false);
    let r = verify(&bb, &w.options(None, crls.clone()));
    assert_passed(&r);
    assert_eq!(level(&r, 0), Some("b-b"));
    assert!(r.signatures[0].timestamps.is_empty());

    let bt = w.seal(true);
    let r = verify(&bt, &w.options(None, crls.clone()));
    assert_passed(&r);
    assert_eq!(level(&r, 0), Some("b-t"), "{}", r.to_text());
    let ts = &r.signatures[0].timestamps[0];
    assert!(ts.valid, "{ts:?}");
    assert_eq!(ts.kind, "signature-timestamp");
    assert_eq!(
        ts.tsa.as_deref(),
        Some(inspect::subject(&w.tsa_cert).as_str())
    );
    assert!(r.signatures[0]
        .signing_time
        .as_ref()
        .is_some_and(|t| t.source.contains("proven")));

    // B-LT: the DSS alone carries the CRLs; the verifier is given none.
    let lt = w.with_dss(&bt);
    assert!(lt.starts_with(&bt), "B-LT must only append");
    let r = verify(&lt, &w.options(None, Vec::new()));
    assert_passed(&r);
    assert_eq!(level(&r, 0), Some("b-lt"), "{}", r.to_text());

    let lta = w.with_doc_timestamp(&lt);
    assert!(lta.starts_with(&lt), "B-LTA must only append");
    let r = verify(&lta, &w.options(None, Vec::new()));
    assert_passed(&r);
    assert_eq!(r.signatures.len(), 2);
    assert_eq!(level(&r, 0), Some("b-lta"), "{}", r.to_text());
    let doc_ts = &r.signatures[1];
    assert_eq!(doc_ts.kind, SignatureKind::DocumentTimestamp);
    assert_eq!(doc_ts.sub_filter, Some(SubFilter::Rfc3161));
    assert!(doc_ts.timestamps[0].valid);
    assert_eq!(doc_ts.level, None);
    // The TSA's path ends at the same root: the document timestamp names it too.
    let fingerprint = inspect::fingerprint_sha256(&w.pki.root).unwrap();
    for s in &r.signatures {
        let anchor = s.trust_anchor.as_ref().expect("path to an anchor");
        assert_eq!(anchor.sha256, fingerprint);
    }
}

#[test]
fn b_t_without_dss_is_not_b_lt() {
    // A DSS is needed for B-LT even when the verifier is given every CRL; a document
    // timestamp straight after the signature gives B-T only.
    let w = World::new();
    let ts_only = w.with_doc_timestamp(&w.seal(false));
    let r = verify(&ts_only, &w.options(None, w.crls(&[])));
    assert_passed(&r);
    assert_eq!(level(&r, 0), Some("b-t"), "{}", r.to_text());
}

#[test]
fn clock_moved_past_expiry_lta_stays_valid_bb_does_not() {
    let w = World::new();
    let later = SystemTime::now() + Duration::from_secs(3 * 3600);
    let lta = w.lta();
    let r = verify(&lta, &w.options(Some(later), Vec::new()));
    assert_passed(&r);
    assert_eq!(level(&r, 0), Some("b-lta"));

    let bb = w.seal(false);
    let r = verify(&bb, &w.options(Some(later), w.crls(&[])));
    verify_common::assert_sig(
        &r,
        0,
        Indication::Indeterminate,
        SubIndication::OutOfBoundsNoPoe,
    );
    assert_eq!(level(&r, 0), None);
}

#[test]
fn revoked_after_the_timestamp_stays_valid_revoked_before_fails() {
    let w = World::new();
    let bt = w.seal(true);
    let bb = w.seal(false);
    let revoke = |at: SystemTime| {
        w.crls(&[Revocation {
            serial_hex: inspect::serial_hex(&w.seal_cert),
            revoked_at: at,
            reason: CrlReason::KeyCompromise,
        }])
    };
    let soon = SystemTime::now() + Duration::from_secs(600);
    let check_at = Some(SystemTime::now() + Duration::from_secs(1800));

    let r = verify(&bt, &w.options(check_at, revoke(soon)));
    assert_passed(&r);
    let r = verify(&bb, &w.options(check_at, revoke(soon)));
    verify_common::assert_sig(
        &r,
        0,
        Indication::Indeterminate,
        SubIndication::RevokedNoPoe,
    );

    let before = SystemTime::now() - Duration::from_secs(300);
    let r = verify(&bt, &w.options(check_at, revoke(before)));
    verify_common::assert_sig(&r, 0, Indication::TotalFailed, SubIndication::Revoked);
}

#[test]
fn a_timestamp_from_an_untrusted_tsa_proves_nothing() {
    let w = World::new();
    let stranger = World::new();
    // The seal is ours, the timestamp is from another PKI's TSA.
    let chain = [w.pki.intermediate.clone()];
    let sealer = Sealer {
        key: &w.pki.leaf_key,
        certificate: &w.seal_cert,
        chain: &chain,
        reserve: None,
    };
    let tsa = stranger.tsa();
    let mut out = Cursor::new(Vec::new());
    seal_timestamped(
        &mut Cursor::new(base_pdf()),
        &mut out,
        &SignOptions::default(),
        &sealer,
        Some(&tsa),
    )
    .unwrap();
    let pdf = out.into_inner();
    let r = verify(&pdf, &w.options(None, w.crls(&[])));
    assert_passed(&r);
    assert!(!r.signatures[0].timestamps[0].valid);
    assert_eq!(level(&r, 0), Some("b-b"));
    let later = SystemTime::now() + Duration::from_secs(3 * 3600);
    let r = verify(&pdf, &w.options(Some(later), w.crls(&[])));
    verify_common::assert_sig(
        &r,
        0,
        Indication::Indeterminate,
        SubIndication::OutOfBoundsNoPoe,
    );
}

#[test]
fn archive_twice_and_a_tampered_document_timestamp() {
    let w = World::new();
    let lta = w.lta();
    // `eseal archive`: validation data for the last timestamp, then a new one.
    let archived = w.with_doc_timestamp(&w.with_dss(&lta));
    assert!(archived.starts_with(&lta));
    let r = verify(&archived, &w.options(None, Vec::new()));
    assert_passed(&r);
    assert_eq!(r.signatures.len(), 3);
    assert_eq!(
        embedded_material(Cursor::new(&archived))
            .unwrap()
            .doc_timestamps
            .len(),
        2
    );
    // One byte of the signed part changed under the last document timestamp.
    let mut bad = archived.clone();
    let at = lta.len() + 10;
    bad[at] ^= 0x01;
    let r = verify(&bad, &w.options(None, Vec::new()));
    assert!(!r.passed());
}

#[test]
fn an_sm2_seal_gets_a_p256_timestamp() {
    // The signature timestamp uses the signer's digest (SM3) as its imprint algorithm.
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let w = World::new();
    let chain = [pki.intermediate.clone()];
    let sealer = Sealer {
        key: &pki.leaf_key,
        certificate: &pki.leaf,
        chain: &chain,
        reserve: None,
    };
    let tsa = w.tsa();
    let mut out = Cursor::new(Vec::new());
    seal_timestamped(
        &mut Cursor::new(base_pdf()),
        &mut out,
        &SignOptions::default(),
        &sealer,
        Some(&tsa),
    )
    .unwrap();
    let opts = VerifyOptions {
        trust_anchors: vec![pki.root.clone().into(), w.pki.root.clone().into()],
        crls: vec![pki.intermediate_crl(&[]).unwrap()],
        ..Default::default()
    };
    let r = verify(&out.into_inner(), &opts);
    assert_passed(&r);
    assert_eq!(level(&r, 0), Some("b-t"), "{}", r.to_text());
}

#[test]
fn b_lt_needs_the_crls_in_the_file_not_only_in_the_verifier() {
    // A DSS with certificates only: the verifier's own CRLs check the path, but the file does
    // not carry what a later verifier needs, so it is B-T.
    let w = World::new();
    let bt = w.seal(true);
    let mut data = ValidationData::default();
    for c in embedded_material(Cursor::new(&bt)).unwrap().certificates {
        data.add_certificate(&c).unwrap();
    }
    let mut out = Cursor::new(Vec::new());
    add_dss(&mut Cursor::new(&bt), &mut out, &data).unwrap();
    let r = verify(&out.into_inner(), &w.options(None, w.crls(&[])));
    assert_passed(&r);
    assert_eq!(level(&r, 0), Some("b-t"), "{}", r.to_text());
}

/// The last signature of `pdf` stamped again by the World's TSA after `edit` changed its
/// dictionary (keeping every length): a producer that writes the dictionary its own way.
fn restamp_last(w: &World, pdf: &[u8], edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = pdf.to_vec();
    edit(&mut out);
    assert_eq!(out.len(), pdf.len());
    let at = out.windows(10).rposition(|x| x == b"/ByteRange").unwrap();
    let text = String::from_utf8_lossy(&out[at..at + 80]).to_string();
    let nums: Vec<usize> = text[text.find('[').unwrap() + 1..text.find(']').unwrap()]
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let (a, b, c, d) = (nums[0], nums[1], nums[2], nums[3]);
    let mut covered = out[a..a + b].to_vec();
    covered.extend_from_slice(&out[c..c + d]);
    let token = w
        .token(
            DigestAlgorithm::Sha256,
            &DigestAlgorithm::Sha256.hash(&covered),
        )
        .unwrap();
    let hex: String = token.iter().map(|x| format!("{x:02X}")).collect();
    let start = a + b + 1; // after '<'
    let room = c - 1 - start;
    assert!(hex.len() <= room);
    out[start..start + room].fill(b'0');
    out[start..start + hex.len()].copy_from_slice(hex.as_bytes());
    out
}

#[test]
fn a_timestamp_is_judged_whatever_its_dictionarys_type() {
    // Some producers write `/SubFilter /ETSI.RFC3161` with `/Type /Sig`, or with no `/Type`.
    let w = World::new();
    let ts_only = w.with_doc_timestamp(&w.seal(false));
    let last = ts_only
        .windows(18)
        .rposition(|x| x == b"/Type/DocTimeStamp");
    let last = last.or_else(|| {
        ts_only
            .windows(19)
            .rposition(|x| x == b"/Type /DocTimeStamp")
    });
    let at = last.expect("the document timestamp's /Type");
    for (what, replacement) in [("/Type /Sig", &b"/Type/Sig"[..]), ("no /Type", b"")] {
        let pdf = restamp_last(&w, &ts_only, |pdf| {
            let len = if pdf[at + 5] == b' ' { 19 } else { 18 };
            pdf[at..at + len].fill(b' ');
            pdf[at..at + replacement.len()].copy_from_slice(replacement);
        });
        let r = verify(&pdf, &w.options(None, w.crls(&[])));
        assert_passed(&r);
        assert_eq!(r.signatures.len(), 2, "{what}");
        let doc_ts = &r.signatures[1];
        assert_eq!(doc_ts.kind, SignatureKind::DocumentTimestamp, "{what}");
        assert!(doc_ts.timestamps[0].valid, "{what}");
        assert_eq!(level(&r, 0), Some("b-t"), "{what}: {}", r.to_text());
    }
}
