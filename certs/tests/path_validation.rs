//! RFC 5280 path validation: the chains we make pass; each broken rule fails with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::time::{Duration, SystemTime};

use const_oid::db::rfc5280;
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use eseal_certs::crl::Revocation;
use eseal_certs::issue::{self, ext, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::testing::TestPki;
use eseal_certs::validate::{validate, PathFailure, Purpose, RevocationStatus, Validation};
use eseal_certs::{inspect, Algorithm, Certificate, SigningKey, SoftwareKey};
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;

const DAY: Duration = Duration::from_secs(86_400);

fn now() -> SystemTime {
    SystemTime::now()
}

fn check(
    pki: &TestPki,
    leaf: &Certificate,
    crls: &[eseal_certs::crl::Crl],
    at: SystemTime,
) -> Result<eseal_certs::validate::ValidPath, eseal_certs::validate::PathError> {
    validate(
        leaf,
        &Validation {
            anchors: std::slice::from_ref(&pki.root),
            intermediates: std::slice::from_ref(&pki.intermediate),
            crls,
            ocsp: &[],
            at,
            purpose: Purpose::DocumentSigning,
        },
    )
}

fn reason(
    r: Result<eseal_certs::validate::ValidPath, eseal_certs::validate::PathError>,
) -> PathFailure {
    r.expect_err("path should fail").reason
}

/// A leaf issued by the intermediate with exactly these extensions and validity.
fn raw_leaf(pki: &TestPki, exts: Vec<Extension>, nb: SystemTime, na: SystemTime) -> Certificate {
    let key = SoftwareKey::generate(pki.algorithm).unwrap();
    issue::issue_raw(
        SubjectName::common("raw leaf").to_name().unwrap(),
        pki.intermediate.tbs_certificate().subject().clone(),
        key.public_key(),
        nb,
        na,
        exts,
        &pki.intermediate_key,
    )
    .unwrap()
}

fn seal_exts() -> Vec<Extension> {
    vec![ext(
        rfc5280::ID_CE_KEY_USAGE,
        true,
        &KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation),
    )
    .unwrap()]
}

#[test]
fn chains_we_issue_validate_in_both_suites() {
    for alg in Algorithm::ALL {
        let pki = TestPki::new(alg).unwrap();
        let path = check(&pki, &pki.leaf, &[], now()).unwrap();
        assert_eq!(path.certificates.len(), 3, "{alg}");
        assert_eq!(path.anchor(), &pki.root);
        assert_eq!(path.revocation, vec![RevocationStatus::NotChecked; 2]);
    }
}

#[test]
fn crl_that_does_not_list_the_leaf_marks_it_good() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let crl = pki.intermediate_crl(&[]).unwrap();
    let path = check(&pki, &pki.leaf, &[crl], now()).unwrap();
    assert!(matches!(
        path.revocation[0],
        RevocationStatus::GoodPerCrl { .. }
    ));
}

#[test]
fn expired_leaf_fails() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let leaf = raw_leaf(&pki, seal_exts(), now() - 10 * DAY, now() - DAY);
    assert!(matches!(
        reason(check(&pki, &leaf, &[], now())),
        PathFailure::Expired(_)
    ));
}

#[test]
fn not_yet_valid_leaf_fails() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let leaf = raw_leaf(&pki, seal_exts(), now() + DAY, now() + 10 * DAY);
    assert!(matches!(
        reason(check(&pki, &leaf, &[], now())),
        PathFailure::NotYetValid(_)
    ));
}

#[test]
fn leaf_checked_after_its_expiry_fails() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    assert!(matches!(
        reason(check(&pki, &pki.leaf, &[], now() + 400 * DAY)),
        PathFailure::Expired(_)
    ));
}

#[test]
fn wrong_issuer_key_fails_the_signature() {
    // Claims the intermediate as issuer but is signed by another key.
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let impostor = SoftwareKey::generate(Algorithm::P256).unwrap();
    let key = SoftwareKey::generate(Algorithm::P256).unwrap();
    let leaf = issue::issue_raw(
        SubjectName::common("forged").to_name().unwrap(),
        pki.intermediate.tbs_certificate().subject().clone(),
        key.public_key(),
        now() - DAY,
        now() + DAY,
        seal_exts(),
        &impostor,
    )
    .unwrap();
    assert_eq!(
        reason(check(&pki, &leaf, &[], now())),
        PathFailure::BadSignature
    );
}

#[test]
fn unknown_issuer_has_no_path() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let other = TestPki::new(Algorithm::P256).unwrap();
    assert!(matches!(
        reason(check(&pki, &other.leaf, &[], now())),
        PathFailure::NoPathToAnchor(_)
    ));
}

#[test]
fn missing_intermediate_has_no_path() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let r = validate(
        &pki.leaf,
        &Validation {
            anchors: std::slice::from_ref(&pki.root),
            intermediates: &[],
            crls: &[],
            ocsp: &[],
            at: now(),
            purpose: Purpose::DocumentSigning,
        },
    );
    assert!(matches!(reason(r), PathFailure::NoPathToAnchor(_)));
}

/// An intermediate with given extensions, signed by the root, and a seal leaf under it.
fn custom_intermediate(pki: &TestPki, exts: Vec<Extension>) -> (Certificate, Certificate) {
    let ca_key = SoftwareKey::generate(pki.algorithm).unwrap();
    let ca_name = SubjectName::common("custom CA").to_name().unwrap();
    let ca = issue::issue_raw(
        ca_name.clone(),
        pki.root.tbs_certificate().subject().clone(),
        ca_key.public_key(),
        now() - DAY,
        now() + 100 * DAY,
        exts,
        &pki.root_key,
    )
    .unwrap();
    let leaf_key = SoftwareKey::generate(pki.algorithm).unwrap();
    let leaf = issue::issue_raw(
        SubjectName::common("leaf under custom CA")
            .to_name()
            .unwrap(),
        ca_name,
        leaf_key.public_key(),
        now() - DAY,
        now() + 10 * DAY,
        seal_exts(),
        &ca_key,
    )
    .unwrap();
    (ca, leaf)
}

fn via(pki: &TestPki, ca: &Certificate, leaf: &Certificate) -> PathFailure {
    reason(validate(
        leaf,
        &Validation {
            anchors: std::slice::from_ref(&pki.root),
            intermediates: std::slice::from_ref(ca),
            crls: &[],
            ocsp: &[],
            at: now(),
            purpose: Purpose::DocumentSigning,
        },
    ))
}

#[test]
fn ca_without_key_cert_sign_fails() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let (ca, leaf) = custom_intermediate(
        &pki,
        vec![
            ext(
                rfc5280::ID_CE_BASIC_CONSTRAINTS,
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: None,
                },
            )
            .unwrap(),
            ext(
                rfc5280::ID_CE_KEY_USAGE,
                true,
                &KeyUsage(KeyUsages::CRLSign.into()),
            )
            .unwrap(),
        ],
    );
    assert_eq!(
        via(&pki, &ca, &leaf),
        PathFailure::IssuerCannotSignCertificates
    );
}

#[test]
fn issuer_without_basic_constraints_ca_fails() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let (ca, leaf) = custom_intermediate(
        &pki,
        vec![ext(
            rfc5280::ID_CE_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
        )
        .unwrap()],
    );
    assert_eq!(via(&pki, &ca, &leaf), PathFailure::IssuerNotCa);
}

#[test]
fn path_length_constraint_exceeded_fails() {
    // The test intermediate has pathLen 0: a CA below it breaks the constraint.
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let county_key = SoftwareKey::generate(Algorithm::P256).unwrap();
    let county = issue::issue(
        &Issuer {
            certificate: &pki.intermediate,
            key: &pki.intermediate_key,
        },
        &CertRequest::new(
            SubjectName::common("County CA").to_name().unwrap(),
            county_key.public_key().clone(),
            CertKind::SubCa { path_len: Some(0) },
            100,
        ),
    )
    .unwrap();
    let leaf = issue::issue(
        &Issuer {
            certificate: &county,
            key: &county_key,
        },
        &CertRequest::new(
            SubjectName::common("county seal").to_name().unwrap(),
            SoftwareKey::generate(Algorithm::P256)
                .unwrap()
                .public_key()
                .clone(),
            CertKind::Seal,
            10,
        ),
    )
    .unwrap();
    let r = validate(
        &leaf,
        &Validation {
            anchors: std::slice::from_ref(&pki.root),
            intermediates: &[pki.intermediate.clone(), county],
            crls: &[],
            ocsp: &[],
            at: now(),
            purpose: Purpose::DocumentSigning,
        },
    );
    let err = r.unwrap_err();
    assert_eq!(
        err.reason,
        PathFailure::PathLengthExceeded {
            allowed: 0,
            found: 1
        }
    );
    assert_eq!(err.depth, 2, "the constrained CA is the one blamed");
}

#[test]
fn three_levels_below_a_root_validate_when_path_lengths_allow() {
    // province root → city (pathLen 1) → county (pathLen 0) → seal
    let root_key = SoftwareKey::generate(Algorithm::Sm2).unwrap();
    let root = issue::create_root(
        &root_key,
        &CertRequest::new(
            SubjectName::common("省级根").to_name().unwrap(),
            root_key.public_key().clone(),
            CertKind::Root { path_len: None },
            100,
        ),
    )
    .unwrap();
    let mut parent = (root.clone(), root_key);
    let mut intermediates = Vec::new();
    for (name, len) in [("市级 CA", 1u8), ("县级 CA", 0u8)] {
        let k = SoftwareKey::generate(Algorithm::Sm2).unwrap();
        let c = issue::issue(
            &Issuer {
                certificate: &parent.0,
                key: &parent.1,
            },
            &CertRequest::new(
                SubjectName::common(name).to_name().unwrap(),
                k.public_key().clone(),
                CertKind::SubCa {
                    path_len: Some(len),
                },
                100,
            ),
        )
        .unwrap();
        intermediates.push(c.clone());
        parent = (c, k);
    }
    let leaf = issue::issue(
        &Issuer {
            certificate: &parent.0,
            key: &parent.1,
        },
        &CertRequest::new(
            SubjectName::common("县政务服务中心").to_name().unwrap(),
            SoftwareKey::generate(Algorithm::Sm2)
                .unwrap()
                .public_key()
                .clone(),
            CertKind::Seal,
            10,
        ),
    )
    .unwrap();
    let path = validate(
        &leaf,
        &Validation {
            anchors: &[root],
            intermediates: &intermediates,
            crls: &[],
            ocsp: &[],
            at: now(),
            purpose: Purpose::DocumentSigning,
        },
    )
    .unwrap();
    assert_eq!(path.certificates.len(), 4);
}

fn revoke(serial: &Certificate, at: SystemTime, reason: CrlReason) -> Revocation {
    Revocation {
        serial_hex: inspect::serial_hex(serial),
        revoked_at: at,
        reason,
    }
}

#[test]
fn revoked_leaf_fails_with_reason() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let crl = pki
        .intermediate_crl(&[revoke(
            &pki.leaf,
            now() - Duration::from_secs(30),
            CrlReason::KeyCompromise,
        )])
        .unwrap();
    match reason(check(&pki, &pki.leaf, &[crl], now())) {
        PathFailure::Revoked { reason, .. } => assert_eq!(reason, "keyCompromise"),
        other => panic!("{other}"),
    }
}

#[test]
fn leaf_revoked_later_is_valid_at_an_earlier_time() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let crl = pki
        .intermediate_crl(&[revoke(&pki.leaf, now() + DAY, CrlReason::Superseded)])
        .unwrap();
    check(&pki, &pki.leaf, std::slice::from_ref(&crl), now()).unwrap();
    assert!(matches!(
        reason(check(&pki, &pki.leaf, &[crl], now() + 2 * DAY)),
        PathFailure::Revoked { .. }
    ));
}

#[test]
fn revoked_intermediate_fails() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let root_crl = eseal_certs::crl::create_crl(
        &Issuer {
            certificate: &pki.root,
            key: &pki.root_key,
        },
        1,
        now() - DAY,
        now() + DAY,
        &[revoke(
            &pki.intermediate,
            now() - Duration::from_secs(10),
            CrlReason::CaCompromise,
        )],
    )
    .unwrap();
    let err = check(&pki, &pki.leaf, &[root_crl], now()).unwrap_err();
    assert!(matches!(err.reason, PathFailure::Revoked { .. }));
    assert_eq!(err.depth, 1);
}

#[test]
fn crl_signed_by_another_key_fails_closed() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let other = TestPki::new(Algorithm::P256).unwrap();
    // Signed by another key but carrying our intermediate's name.
    let forged = eseal_certs::crl::create_crl(
        &Issuer {
            certificate: &pki.intermediate,
            key: &other.intermediate_key,
        },
        1,
        now() - DAY,
        now() + DAY,
        &[],
    )
    .unwrap();
    assert_eq!(
        reason(check(&pki, &pki.leaf, &[forged], now())),
        PathFailure::CrlBadSignature
    );
}

#[test]
fn unknown_critical_extension_fails() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let mut exts = seal_exts();
    exts.push(Extension {
        extn_id: ObjectIdentifier::new_unwrap("1.2.3.4.5.6.7"),
        critical: true,
        extn_value: OctetString::new(vec![0x05, 0x00]).unwrap(),
    });
    let leaf = raw_leaf(&pki, exts, now() - DAY, now() + DAY);
    assert_eq!(
        reason(check(&pki, &leaf, &[], now())),
        PathFailure::UnknownCriticalExtension("1.2.3.4.5.6.7".into())
    );
}

#[test]
fn unknown_non_critical_extension_is_ignored() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let mut exts = seal_exts();
    exts.push(Extension {
        extn_id: ObjectIdentifier::new_unwrap("1.2.3.4.5.6.7"),
        critical: false,
        extn_value: OctetString::new(vec![0x05, 0x00]).unwrap(),
    });
    let leaf = raw_leaf(&pki, exts, now() - DAY, now() + DAY);
    check(&pki, &leaf, &[], now()).unwrap();
}

#[test]
fn sm2_certificate_signed_with_another_id_fails() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    // A CA that signs with the empty ID (OpenSSL's default) instead of 1234567812345678.
    struct EmptyIdSigner<'a>(&'a SoftwareKey);
    impl SigningKey for EmptyIdSigner<'_> {
        fn algorithm(&self) -> Algorithm {
            self.0.algorithm()
        }
        fn public_key(&self) -> &eseal_certs::PublicKey {
            self.0.public_key()
        }
        fn sign_digest(&self, d: &[u8]) -> eseal_certs::Result<Vec<u8>> {
            self.0.sign_digest(d)
        }
        fn sign(&self, m: &[u8]) -> eseal_certs::Result<Vec<u8>> {
            let d = self.0.public_key().signing_digest_with_id(m, b"")?;
            self.0.sign_digest(&d)
        }
    }
    let key = SoftwareKey::generate(Algorithm::Sm2).unwrap();
    let leaf = issue::issue_raw(
        SubjectName::common("empty-id leaf").to_name().unwrap(),
        pki.intermediate.tbs_certificate().subject().clone(),
        key.public_key(),
        now() - DAY,
        now() + DAY,
        seal_exts(),
        &EmptyIdSigner(&pki.intermediate_key),
    )
    .unwrap();
    assert_eq!(
        reason(check(&pki, &leaf, &[], now())),
        PathFailure::BadSignature
    );
}

#[test]
fn leaf_without_signing_key_usage_fails() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let leaf = raw_leaf(
        &pki,
        vec![ext(
            rfc5280::ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::KeyEncipherment.into()),
        )
        .unwrap()],
        now() - DAY,
        now() + DAY,
    );
    assert_eq!(
        reason(check(&pki, &leaf, &[], now())),
        PathFailure::KeyUsageForbidsSigning
    );
}

/// Signers' EKUs as real CAs issue them: Microsoft Document Signing (with client
/// authentication) is accepted, as Acrobat accepts it; client authentication alone is not.
#[test]
fn leaf_with_microsoft_document_signing_eku_may_seal() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let with = |ekus: &[&str]| {
        let mut exts = seal_exts();
        exts.push(
            ext(
                rfc5280::ID_CE_EXT_KEY_USAGE,
                false,
                &ExtendedKeyUsage(
                    ekus.iter()
                        .map(|o| ObjectIdentifier::new_unwrap(o))
                        .collect(),
                ),
            )
            .unwrap(),
        );
        raw_leaf(&pki, exts, now() - DAY, now() + DAY)
    };
    let ms = with(&["1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.10.3.12"]);
    assert!(check(&pki, &ms, &[], now()).is_ok());
    let client_only = with(&["1.3.6.1.5.5.7.3.2"]);
    assert_eq!(
        reason(check(&pki, &client_only, &[], now())),
        PathFailure::ExtendedKeyUsageForbids("document signing")
    );
}

#[test]
fn leaf_with_server_auth_only_eku_cannot_seal() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let mut exts = seal_exts();
    exts.push(
        ext(
            rfc5280::ID_CE_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1")]),
        )
        .unwrap(),
    );
    let leaf = raw_leaf(&pki, exts, now() - DAY, now() + DAY);
    assert_eq!(
        reason(check(&pki, &leaf, &[], now())),
        PathFailure::ExtendedKeyUsageForbids("document signing")
    );
}

#[test]
fn seal_certificate_is_not_a_time_stamping_certificate() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let r = validate(
        &pki.leaf,
        &Validation {
            anchors: std::slice::from_ref(&pki.root),
            intermediates: std::slice::from_ref(&pki.intermediate),
            crls: &[],
            ocsp: &[],
            at: now(),
            purpose: Purpose::TimeStamping,
        },
    );
    assert_eq!(
        reason(r),
        PathFailure::ExtendedKeyUsageForbids("time-stamping")
    );
}

#[test]
fn expired_intermediate_fails_even_when_leaf_is_valid() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let (ca, leaf) = custom_intermediate(
        &pki,
        vec![ext(
            rfc5280::ID_CE_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: None,
            },
        )
        .unwrap()],
    );
    // custom CA valid 100 days; at day 50 the leaf (10 days) is expired, so use a fresh view:
    let later = now() + 101 * DAY;
    let err = validate(
        &leaf,
        &Validation {
            anchors: std::slice::from_ref(&pki.root),
            intermediates: &[ca],
            crls: &[],
            ocsp: &[],
            at: later,
            purpose: Purpose::Any,
        },
    )
    .unwrap_err();
    assert!(matches!(err.reason, PathFailure::Expired(_)));
    assert_eq!(
        err.depth, 1,
        "the intermediate is checked first (from the anchor down)"
    );
}

#[test]
fn anchor_outside_its_validity_fails() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let err = check(&pki, &pki.leaf, &[], now() + 4000 * DAY).unwrap_err();
    assert_eq!(err.reason, PathFailure::AnchorNotValid);
}

#[test]
fn tampered_certificate_fails_the_signature() {
    use der::{Decode, Encode};
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let mut der = pki.leaf.to_der().unwrap();
    // Change one byte of the subject's UTF-8 common name.
    let pos = der.windows(3).position(|w| w == "电".as_bytes()).unwrap();
    der[pos + 2] ^= 1;
    let tampered = Certificate::from_der(&der).unwrap();
    assert_eq!(
        reason(check(&pki, &tampered, &[], now())),
        PathFailure::BadSignature
    );
}

#[test]
fn p256_certificate_claiming_sm2_signature_is_rejected() {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    struct Liar<'a>(&'a SoftwareKey);
    impl SigningKey for Liar<'_> {
        fn algorithm(&self) -> Algorithm {
            Algorithm::Sm2
        }
        fn public_key(&self) -> &eseal_certs::PublicKey {
            self.0.public_key()
        }
        fn sign_digest(&self, d: &[u8]) -> eseal_certs::Result<Vec<u8>> {
            self.0.sign_digest(d)
        }
    }
    let key = SoftwareKey::generate(Algorithm::P256).unwrap();
    let leaf = issue::issue_raw(
        SubjectName::common("liar").to_name().unwrap(),
        pki.intermediate.tbs_certificate().subject().clone(),
        key.public_key(),
        now() - DAY,
        now() + DAY,
        seal_exts(),
        &Liar(&pki.intermediate_key),
    )
    .unwrap();
    assert!(matches!(
        reason(check(&pki, &leaf, &[], now())),
        PathFailure::UnsupportedSignature(_)
    ));
}

#[test]
fn several_regional_anchors_recognise_each_others_seals() {
    let guangdong = TestPki::new(Algorithm::Sm2).unwrap();
    let fujian = TestPki::new(Algorithm::P256).unwrap();
    let anchors = [guangdong.root.clone(), fujian.root.clone()];
    let intermediates = [guangdong.intermediate.clone(), fujian.intermediate.clone()];
    for (pki, leaf) in [(&guangdong, &guangdong.leaf), (&fujian, &fujian.leaf)] {
        let path = validate(
            leaf,
            &Validation {
                anchors: &anchors,
                intermediates: &intermediates,
                crls: &[],
                ocsp: &[],
                at: now(),
                purpose: Purpose::DocumentSigning,
            },
        )
        .unwrap();
        assert_eq!(path.anchor(), &pki.root);
    }
    // Without the other region's anchor, its seals are not recognised.
    let r = validate(
        &fujian.leaf,
        &Validation {
            anchors: &anchors[..1],
            intermediates: &intermediates,
            crls: &[],
            ocsp: &[],
            at: now(),
            purpose: Purpose::DocumentSigning,
        },
    );
    assert!(matches!(reason(r), PathFailure::NoPathToAnchor(_)));
}

#[test]
fn seal_certificate_carries_the_profile_the_issue_asks_for() {
    let pki = TestPki::new(Algorithm::Sm2).unwrap();
    let ku = inspect::key_usage(&pki.leaf).unwrap().unwrap();
    assert!(ku.digital_signature() && ku.non_repudiation() && !ku.key_cert_sign());
    let eku = inspect::extended_key_usage(&pki.leaf).unwrap().unwrap();
    assert!(
        eku.contains(&eseal_certs::oid::OID_KP_DOCUMENT_SIGNING)
            && eku.contains(&eseal_certs::oid::OID_KP_EMAIL_PROTECTION)
    );
    assert_eq!(
        eseal_certs::name::uscc(pki.leaf.tbs_certificate().subject()).as_deref(),
        Some(eseal_certs::testing::TEST_USCC)
    );
    assert_eq!(
        inspect::authority_key_identifier(&pki.leaf),
        inspect::subject_key_identifier(&pki.intermediate)
    );
    let bc = inspect::basic_constraints(&pki.intermediate)
        .unwrap()
        .unwrap();
    assert!(bc.ca);
    assert_eq!(bc.path_len_constraint, Some(0));
}
