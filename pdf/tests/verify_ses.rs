//! GB/T 38540 seal signatures in PDFs: made with `seal_ses`, recognised by sniffing, checked in
//! the standard's order, and reported with the seal's name, type and owner.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::io::Cursor;
use std::time::{Duration, SystemTime};

use eseal_certs::testing::{TestPki, TEST_USCC};
use eseal_certs::Algorithm;
use eseal_pdf::seal::{seal_ses, Sealer};
use eseal_pdf::sign::SignOptions;
use eseal_pdf::verify::{verify_bytes, Indication, SubIndication, VerifyOptions};
use eseal_signer::ses::{self, CertListForm, Owner, OwnerCode, Picture, SealRequest, SealType};
use verify_common::base_pdf;

/// A contract seal of the test organisation, made with the root's key as seal maker (so the
/// maker's certificate does not help build the signer's path).
fn contract_seal(pki: &TestPki) -> Vec<u8> {
    let now = SystemTime::now();
    let picture = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/seal-red.png"),
    )
    .unwrap();
    ses::make_seal(
        &pki.root_key,
        &pki.root,
        &SealRequest {
            vendor_id: ses::ESEAL_VENDOR_ID.into(),
            es_id: "TEST-0001".into(),
            seal_type: SealType::Contract,
            name: "测试市市场监督管理局合同专用章".into(),
            owner: Owner {
                code: OwnerCode::enterprise(TEST_USCC).unwrap(),
                name: None,
            },
            certificates: vec![pki.leaf.clone()],
            list_form: CertListForm::Certificates,
            created: now,
            valid_start: now - Duration::from_secs(60),
            valid_end: now + Duration::from_secs(86_400 * 30),
            picture: Picture {
                kind: "PNG".into(),
                data: picture,
                width_mm: 40,
                height_mm: 40,
            },
            extra_ext_datas: Vec::new(),
        },
    )
    .unwrap()
}

fn sealed(pki: &TestPki) -> Vec<u8> {
    let seal = contract_seal(pki);
    let sealer = Sealer {
        key: &pki.leaf_key,
        certificate: &pki.leaf,
        chain: &[],
        reserve: None,
    };
    let mut out = Cursor::new(Vec::new());
    seal_ses(
        &mut Cursor::new(base_pdf()),
        &mut out,
        &SignOptions::default(),
        &sealer,
        &seal,
    )
    .unwrap();
    out.into_inner()
}

fn opts(pki: &TestPki) -> VerifyOptions {
    VerifyOptions {
        trust_anchors: vec![pki.root.clone().into()],
        intermediates: vec![pki.intermediate.clone()],
        crls: vec![pki.intermediate_crl(&[]).unwrap()],
        ..Default::default()
    }
}

#[test]
fn seal_signature_passes_and_reports_the_seal() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let pdf = sealed(&pki);
    let r = verify_bytes(&pdf, &opts(&pki)).unwrap();
    let s = &r.signatures[0];
    assert_eq!(s.indication, Indication::TotalPassed, "{:?}", s.reasons);
    let seal = s.seal.as_ref().expect("seal facts");
    assert_eq!(seal.name, "测试市市场监督管理局合同专用章");
    assert_eq!(seal.seal_type, "04 合同专用章");
    assert_eq!(
        seal.owner.as_deref(),
        Some(format!("unified social credit code {TEST_USCC}").as_str())
    );
    assert!(
        seal.checks
            .iter()
            .any(|(k, v)| k == "data hash" && v == "passed"),
        "{:?}",
        seal.checks
    );
    assert_eq!(s.digest_algorithm.as_deref(), Some("SM3"));
    assert_eq!(s.chain.len(), 3, "leaf, intermediate, root");
    let text = r.to_text();
    assert!(
        text.contains("合同专用章") && text.contains("seal owner"),
        "{text}"
    );
}

#[test]
fn changed_byte_is_a_hash_failure() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let mut pdf = sealed(&pki);
    // A byte of the original document, inside the first signed range.
    let pos = pdf.windows(6).position(|w| w == b"/Pages").unwrap();
    pdf[pos + 1] = b'Q';
    let r = verify_bytes(&pdf, &opts(&pki)).unwrap();
    assert_eq!(r.signatures[0].indication, Indication::TotalFailed);
    assert_eq!(
        r.signatures[0].sub_indication,
        Some(SubIndication::HashFailure)
    );
}

#[test]
fn seal_maker_outside_the_trust_anchors_fails_closed() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let pdf = sealed(&pki);
    // Another region's root: neither the signer's nor the maker's path is trusted.
    let other = TestPki::new(Algorithm::Sm2).unwrap();
    let r = verify_bytes(
        &pdf,
        &VerifyOptions {
            trust_anchors: vec![other.root.clone().into()],
            intermediates: vec![pki.intermediate.clone()],
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(r.signatures[0].indication, Indication::TotalPassed);
    assert!(
        r.signatures[0]
            .reasons
            .iter()
            .any(|w| w.contains("seal maker")),
        "{:?}",
        r.signatures[0].reasons
    );
}

#[test]
fn missing_intermediate_leaves_no_chain() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let pdf = sealed(&pki);
    let r = verify_bytes(
        &pdf,
        &VerifyOptions {
            trust_anchors: vec![pki.root.clone().into()],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        r.signatures[0].sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );
}
