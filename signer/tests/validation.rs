//! `eseal_signer::validation` on its own, without a PDF: detached CAdES signatures over a
//! stream, as `.p7s` and ASiC-S files use them, and the profile rules for the signed attributes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::io::Cursor;
use std::time::SystemTime;

use eseal_certs::testing::TestPki;
use eseal_certs::Algorithm;
use eseal_signer::cms::{sign_detached, ContentTypeFamily, SignOptions};
use eseal_signer::validation::{
    check_cades, verify_detached, Indication, Profile, SubIndication, TrustAnchor, TrustContext,
};

const CONTENT: &[u8] = b"a trusted electronic file (\xe5\x8f\xaf\xe4\xbf\xa1\xe7\x94\xb5\xe5\xad\x90\xe6\x96\x87\xe4\xbb\xb6)";

fn sign(pki: &TestPki, signing_time: Option<SystemTime>) -> Vec<u8> {
    let options = SignOptions {
        content_types: ContentTypeFamily::Pkcs7,
        signing_time,
        algorithm_protection: None,
        unsigned_attributes: Vec::new(),
    };
    sign_detached(
        &pki.leaf_key,
        &pki.leaf,
        std::slice::from_ref(&pki.intermediate),
        &pki.algorithm.digest().hash(CONTENT),
        &options,
    )
    .unwrap()
}

fn context(anchors: &[TrustAnchor]) -> TrustContext<'_> {
    TrustContext {
        anchors,
        extra_certificates: &[],
        crls: &[],
        dss_crls: &[],
        ocsp: &[],
        dss_ocsp: &[],
        ocsp_fetch: None,
        online: None,
        at: SystemTime::now(),
    }
}

#[test]
fn a_detached_signature_passes_at_b_b_in_both_suites() {
    for alg in [Algorithm::P256, Algorithm::Sm2] {
        let pki = TestPki::new(alg).unwrap();
        let p7s = sign(&pki, Some(SystemTime::now()));
        let anchors = [pki.root.clone().into()];
        let v = verify_detached(&mut Cursor::new(CONTENT), &p7s, &context(&anchors)).unwrap();
        assert_eq!(v.outcome.failure, None, "{alg}");
        assert_eq!(v.level, Some("b-b"));
        assert_eq!(v.content_length, CONTENT.len() as u64);
        assert!(v.claimed_signing_time.is_some());
        assert_eq!(v.outcome.chain.len(), 3, "signer, intermediate, anchor");
        assert!(!v.outcome.revocation_complete, "no CRL was given");
        assert!(v.outcome.warnings.iter().any(|w| w.contains("not checked")));
        let signer = v.outcome.signer.unwrap();
        assert_eq!(
            signer.uscc.as_deref(),
            Some(eseal_certs::testing::TEST_USCC)
        );
    }
}

#[test]
fn failures_carry_their_sub_indication() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let p7s = sign(&pki, None);
    let anchors = [pki.root.clone().into()];
    let sub = |content: &[u8], sig: &[u8], anchors| {
        let v = verify_detached(&mut Cursor::new(content), sig, &context(anchors)).unwrap();
        assert_eq!(v.level, None);
        v.outcome.failure.unwrap().0
    };
    assert_eq!(sub(b"changed", &p7s, &anchors), SubIndication::HashFailure);
    assert_eq!(
        sub(CONTENT, b"not a signature", &anchors),
        SubIndication::FormatFailure
    );
    assert_eq!(
        sub(CONTENT, &p7s, &[]),
        SubIndication::NoCertificateChainFound
    );
    assert_eq!(
        SubIndication::NoCertificateChainFound.indication(),
        Indication::Indeterminate
    );
}

#[test]
fn pades_baseline_notes_a_signing_time_attribute_and_cms_does_not() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let p7s = sign(&pki, Some(SystemTime::now()));
    let anchors = [pki.root.clone().into()];
    let ctx = context(&anchors);
    let digest = pki.algorithm.digest().hash(CONTENT);
    let warnings = |profile| {
        let mut digest_of = |_| Ok(digest.clone());
        let out = check_cades(&p7s, &mut digest_of, profile, None, &ctx, None);
        assert_eq!(out.failure, None);
        out.warnings
            .iter()
            .any(|w| w.contains("signing-time attribute"))
    };
    assert!(warnings(Profile::PadesBaseline));
    assert!(!warnings(Profile::Cms));
}

#[test]
fn the_outcome_names_the_anchor_the_path_ended_at() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let other = TestPki::new(Algorithm::P256).unwrap();
    let p7s = sign(&pki, Some(SystemTime::now()));
    let named = TrustAnchor {
        certificate: pki.root.clone(),
        label: Some("Fujian Market CA / Fujian Root".into()),
        region: Some("CN-FJ".into()),
    };
    let anchors = [other.root.clone().into(), named];
    let v = verify_detached(&mut Cursor::new(CONTENT), &p7s, &context(&anchors)).unwrap();
    let anchor = v.outcome.trust_anchor.expect("the path ends at an anchor");
    assert_eq!(
        anchor.label.as_deref(),
        Some("Fujian Market CA / Fujian Root")
    );
    assert_eq!(anchor.region.as_deref(), Some("CN-FJ"));
    assert_eq!(
        anchor.sha256,
        eseal_certs::inspect::fingerprint_sha256(&pki.root).unwrap()
    );
    assert!(anchor.subject.contains("Test Province Root CA"));

    let bare = [pki.root.clone().into()];
    let v = verify_detached(&mut Cursor::new(CONTENT), &p7s, &context(&bare)).unwrap();
    let anchor = v.outcome.trust_anchor.expect("the path ends at an anchor");
    assert_eq!((anchor.label, anchor.region), (None, None));

    let elsewhere = [other.root.clone().into()];
    let v = verify_detached(&mut Cursor::new(CONTENT), &p7s, &context(&elsewhere)).unwrap();
    assert!(v.outcome.failure.is_some());
    assert_eq!(v.outcome.trust_anchor, None, "no path, no anchor");
}

/// The DER signature with its outer SEQUENCE in BER indefinite-length form.
fn indefinite(der: &[u8]) -> Vec<u8> {
    assert_eq!(&der[..2], &[0x30, 0x82]);
    let mut ber = vec![0x30, 0x80];
    ber.extend(&der[4..]);
    ber.extend([0, 0]);
    ber
}

/// Two SignerInfos from two signatures by the same signer.
fn two_signers(pki: &TestPki) -> Vec<u8> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerInfos};
    use der::{Any, Decode, Encode};
    let decode = |der: &[u8]| -> (ContentInfo, SignedData) {
        let ci = ContentInfo::from_der(der).unwrap();
        let sd = ci.content.decode_as().unwrap();
        (ci, sd)
    };
    let (mut ci, mut sd) = decode(&sign(pki, None));
    let (_, other) = decode(&sign(pki, None));
    let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
    infos.extend(other.signer_infos.0.iter().cloned());
    sd.signer_infos = SignerInfos::try_from(infos).unwrap();
    ci.content = Any::encode_from(&sd).unwrap();
    ci.to_der().unwrap()
}

#[test]
fn ber_and_several_signers_pass_and_say_so() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let anchors = [pki.root.clone().into()];
    let check = |content: &[u8], sig: &[u8]| {
        verify_detached(&mut Cursor::new(content), sig, &context(&anchors))
            .unwrap()
            .outcome
    };
    let ber = indefinite(&sign(&pki, None));
    let out = check(CONTENT, &ber);
    assert_eq!(out.failure, None, "{:?}", out.warnings);
    assert!(!out.warnings.iter().any(|w| w.contains("signers")));
    assert_eq!(
        check(b"changed", &ber).failure.unwrap().0,
        SubIndication::HashFailure
    );
    let two = two_signers(&pki);
    let out = check(CONTENT, &two);
    assert_eq!(out.failure, None, "{:?}", out.warnings);
    assert!(
        out.warnings.iter().any(|w| w.contains("2 signers")),
        "{:?}",
        out.warnings
    );
    assert_eq!(
        check(b"changed", &indefinite(&two)).failure.unwrap().0,
        SubIndication::HashFailure
    );
}
