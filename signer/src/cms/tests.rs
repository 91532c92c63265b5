//! Round trips and the ways a detached signature must fail, for both suites. External judges
//! (OpenSSL for P-256, gmssl for SM2) are in `tests/interop.rs`.

use std::sync::OnceLock;

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerInfos};
use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use eseal_certs::testing::TestPki;
use eseal_certs::{Algorithm, SigningKey};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;

use super::attr::*;
use super::content_type::{GMT_DATA, GMT_SIGNED_DATA, ID_DATA};
use super::*;

const CONTENT: &[u8] = b"%PDF-1.7 the signed byte ranges of a document";

fn pki(alg: Algorithm) -> &'static TestPki {
    static P256: OnceLock<TestPki> = OnceLock::new();
    static SM2: OnceLock<TestPki> = OnceLock::new();
    let cell = match alg {
        Algorithm::P256 => &P256,
        Algorithm::Sm2 => &SM2,
    };
    cell.get_or_init(|| TestPki::new(alg).unwrap())
}

fn digest(alg: Algorithm, content: &[u8]) -> Vec<u8> {
    alg.digest().hash(content)
}

fn sign_with(alg: Algorithm, options: &SignOptions) -> Vec<u8> {
    let p = pki(alg);
    sign_detached(
        &p.leaf_key,
        &p.leaf,
        std::slice::from_ref(&p.intermediate),
        &digest(alg, CONTENT),
        options,
    )
    .unwrap()
}

fn sign(alg: Algorithm) -> Vec<u8> {
    sign_with(alg, &SignOptions::default())
}

fn verify(der: &[u8], alg: Algorithm) -> Result<SignerVerdict, CmsError> {
    SignedCms::parse(der)?.verify_detached(&digest(alg, CONTENT))
}

/// Decode, let `edit` change the SignedData, re-encode (without re-signing).
fn edit(der: &[u8], edit: impl FnOnce(&mut SignedData)) -> Vec<u8> {
    let mut ci = ContentInfo::from_der(der).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    edit(&mut sd);
    ci.content = Any::encode_from(&sd).unwrap();
    ci.to_der().unwrap()
}

/// Replace the signed attributes with `attrs` (or none) and sign again with the leaf key,
/// under the SM2 ID `sm2_id`: a forger who holds the key but breaks the rules.
fn resign(alg: Algorithm, der: &[u8], attrs: Option<Vec<Attribute>>, sm2_id: &[u8]) -> Vec<u8> {
    let key = &pki(alg).leaf_key;
    edit(der, |sd| {
        let mut si = sd.signer_infos.0.as_slice()[0].clone();
        si.signed_attrs = attrs.map(|a| SetOfVec::try_from(a).unwrap());
        let tbs = match &si.signed_attrs {
            Some(a) => a.to_der().unwrap(),
            None => CONTENT.to_vec(),
        };
        let digest = key
            .public_key()
            .signing_digest_with_id(&tbs, sm2_id)
            .unwrap();
        si.signature = OctetString::new(key.sign_digest(&digest).unwrap()).unwrap();
        sd.signer_infos = SignerInfos::try_from(vec![si]).unwrap();
    })
}

fn signed_attrs(der: &[u8]) -> Vec<Attribute> {
    let cms = SignedCms::parse(der).unwrap();
    cms.signer()
        .unwrap()
        .signed_attributes()
        .unwrap()
        .iter()
        .cloned()
        .collect()
}

fn with_attr(der: &[u8], oid: ObjectIdentifier, value: &impl Encode) -> Vec<Attribute> {
    let mut attrs: Vec<_> = signed_attrs(der)
        .into_iter()
        .filter(|a| a.oid != oid)
        .collect();
    attrs.push(attribute(oid, value).unwrap());
    attrs
}

const DEFAULT_ID: &[u8] = b"1234567812345678";

#[test]
fn p256_round_trip() {
    let der = sign(Algorithm::P256);
    let v = verify(&der, Algorithm::P256).unwrap();
    assert_eq!(v.algorithm, Algorithm::P256);
    assert_eq!(v.signer_certificate, pki(Algorithm::P256).leaf);
    assert_eq!(v.ess, EssBinding::SigningCertificateV2);
    assert!(v.algorithm_protection);
    assert!(v.is_pades_baseline());
    let cms = SignedCms::parse(&der).unwrap();
    assert_eq!(cms.family(), ContentTypeFamily::Pkcs7);
    assert_eq!(cms.econtent_type(), ID_DATA);
    assert_eq!(cms.certificates().len(), 2);
}

#[test]
fn sm2_round_trip() {
    let der = sign(Algorithm::Sm2);
    let v = verify(&der, Algorithm::Sm2).unwrap();
    assert_eq!(v.algorithm, Algorithm::Sm2);
    assert_eq!(v.digest_algorithm, eseal_certs::DigestAlgorithm::Sm3);
    assert_eq!(v.ess, EssBinding::SigningCertificateV2);
    assert!(!v.algorithm_protection);
    let signer = SignedCms::parse(&der).unwrap().signer().unwrap().clone();
    assert_eq!(
        signer.info().signature_algorithm.oid.to_string(),
        "1.2.156.10197.1.501"
    );
    assert_eq!(
        signer.info().digest_alg.oid.to_string(),
        "1.2.156.10197.1.401"
    );
}

#[test]
fn ess_v2_omits_default_sha256_and_names_sm3() {
    for (alg, named) in [(Algorithm::P256, false), (Algorithm::Sm2, true)] {
        let attrs = signed_attrs(&sign(alg));
        let ess = attrs
            .iter()
            .find(|a| a.oid == ID_AA_SIGNING_CERTIFICATE_V2)
            .unwrap();
        let v2: SigningCertificateV2 = ess.values.as_slice()[0].decode_as().unwrap();
        let id = &v2.certs[0];
        assert_eq!(id.hash_algorithm.is_some(), named, "{alg}");
        let cert_der = pki(alg).leaf.to_der().unwrap();
        assert_eq!(
            id.cert_hash.as_bytes(),
            alg.digest().hash(&cert_der).as_slice()
        );
        assert!(id.issuer_serial.is_some());
    }
}

#[test]
fn no_signing_time_unless_asked() {
    let der = sign(Algorithm::P256);
    assert!(!signed_attrs(&der).iter().any(|a| a.oid == ID_SIGNING_TIME));
    let options = SignOptions {
        signing_time: Some(std::time::SystemTime::now()),
        ..SignOptions::default()
    };
    let v = verify(&sign_with(Algorithm::P256, &options), Algorithm::P256).unwrap();
    assert!(v.signing_time.is_some());
    assert!(!v.is_pades_baseline());
}

#[test]
fn tampered_content_digest_fails() {
    for alg in Algorithm::ALL {
        let der = sign(alg);
        let other = digest(alg, b"%PDF-1.7 the signed byte ranges of a documenT");
        let err = SignedCms::parse(&der)
            .unwrap()
            .verify_detached(&other)
            .unwrap_err();
        assert!(matches!(err, CmsError::DigestMismatch), "{alg}: {err}");
        assert_eq!(
            err.to_string(),
            "message digest does not match the signed bytes"
        );
    }
}

#[test]
fn tampered_signed_attribute_fails() {
    for alg in Algorithm::ALL {
        let der = sign(alg);
        // Swap the message digest for that of other content, without re-signing.
        let forged_digest = OctetString::new(digest(alg, b"other content")).unwrap();
        let attrs = with_attr(&der, ID_MESSAGE_DIGEST, &forged_digest);
        let forged = edit(&der, |sd| {
            let mut si = sd.signer_infos.0.as_slice()[0].clone();
            si.signed_attrs = Some(SetOfVec::try_from(attrs).unwrap());
            sd.signer_infos = SignerInfos::try_from(vec![si]).unwrap();
        });
        let err = SignedCms::parse(&forged)
            .unwrap()
            .verify_detached(&digest(alg, b"other content"))
            .unwrap_err();
        assert!(matches!(err, CmsError::BadSignature), "{alg}: {err}");
    }
}

#[test]
fn tampered_signature_bytes_fail() {
    let der = sign(Algorithm::Sm2);
    let cms = SignedCms::parse(&der).unwrap();
    let sig = cms.signer().unwrap().signature().to_vec();
    let pos = der.windows(sig.len()).position(|w| w == sig).unwrap();
    let mut forged = der.clone();
    forged[pos + sig.len() - 1] ^= 1;
    assert!(matches!(
        verify(&forged, Algorithm::Sm2),
        Err(CmsError::BadSignature)
    ));
}

#[test]
fn ess_naming_another_certificate_fails() {
    for alg in Algorithm::ALL {
        let p = pki(alg);
        let der = sign(alg);
        // Re-signed by the real key, but the ESS hash is of the intermediate certificate.
        let mut attrs = signed_attrs(&der);
        for a in attrs
            .iter_mut()
            .filter(|a| a.oid == ID_AA_SIGNING_CERTIFICATE_V2)
        {
            let mut v2: SigningCertificateV2 = a.values.as_slice()[0].decode_as().unwrap();
            let other = p.intermediate.to_der().unwrap();
            v2.certs[0].cert_hash = OctetString::new(alg.digest().hash(&other)).unwrap();
            *a = attribute(ID_AA_SIGNING_CERTIFICATE_V2, &v2).unwrap();
        }
        let forged = resign(alg, &der, Some(attrs), DEFAULT_ID);
        let err = verify(&forged, alg).unwrap_err();
        assert!(matches!(err, CmsError::EssV2CertMismatch), "{alg}: {err}");
        assert_eq!(
            err.to_string(),
            "ESS signing-certificate-v2 names a different certificate"
        );
    }
}

#[test]
fn ess_issuer_serial_of_another_certificate_fails() {
    let alg = Algorithm::P256;
    let p = pki(alg);
    let der = sign(alg);
    let mut attrs = signed_attrs(&der);
    for a in attrs
        .iter_mut()
        .filter(|a| a.oid == ID_AA_SIGNING_CERTIFICATE_V2)
    {
        let mut v2: SigningCertificateV2 = a.values.as_slice()[0].decode_as().unwrap();
        if let Some(is) = v2.certs[0].issuer_serial.as_mut() {
            is.serial_number = p.intermediate.tbs_certificate().serial_number().clone();
        }
        *a = attribute(ID_AA_SIGNING_CERTIFICATE_V2, &v2).unwrap();
    }
    let forged = resign(alg, &der, Some(attrs), DEFAULT_ID);
    assert!(matches!(
        verify(&forged, alg),
        Err(CmsError::EssIssuerSerialMismatch)
    ));
}

#[test]
fn ess_absent_is_reported() {
    let alg = Algorithm::P256;
    let der = sign(alg);
    let attrs: Vec<_> = signed_attrs(&der)
        .into_iter()
        .filter(|a| a.oid != ID_AA_SIGNING_CERTIFICATE_V2)
        .collect();
    let v = verify(&resign(alg, &der, Some(attrs), DEFAULT_ID), alg).unwrap();
    assert_eq!(v.ess, EssBinding::Absent);
    assert!(!v.is_pades_baseline());
}

#[test]
fn ess_v1_sha1_is_checked() {
    use sha1::Digest;
    let alg = Algorithm::P256;
    let p = pki(alg);
    let der = sign(alg);
    let v1_for = |cert: &x509_cert::Certificate| SigningCertificate {
        certs: vec![EssCertId {
            cert_hash: OctetString::new(sha1::Sha1::digest(cert.to_der().unwrap()).to_vec())
                .unwrap(),
            issuer_serial: None,
        }],
        policies: None,
    };
    let good = with_attr(&der, ID_AA_SIGNING_CERTIFICATE, &v1_for(&p.leaf));
    let good: Vec<_> = good
        .into_iter()
        .filter(|a| a.oid != ID_AA_SIGNING_CERTIFICATE_V2)
        .collect();
    let v = verify(&resign(alg, &der, Some(good), DEFAULT_ID), alg).unwrap();
    assert_eq!(v.ess, EssBinding::SigningCertificateV1);
    let bad = with_attr(&der, ID_AA_SIGNING_CERTIFICATE, &v1_for(&p.intermediate));
    assert!(matches!(
        verify(&resign(alg, &der, Some(bad), DEFAULT_ID), alg),
        Err(CmsError::EssV1CertMismatch)
    ));
}

#[test]
fn without_signed_attributes_is_refused() {
    for alg in Algorithm::ALL {
        // A valid signature directly over the content, as RFC 5652 permits and PAdES forbids.
        let forged = resign(alg, &sign(alg), None, DEFAULT_ID);
        let cms = SignedCms::parse(&forged).unwrap();
        assert!(cms.signer().unwrap().signed_attributes().is_none());
        let err = cms.verify_detached(&digest(alg, CONTENT)).unwrap_err();
        assert!(matches!(err, CmsError::NoSignedAttributes), "{alg}: {err}");
    }
}

#[test]
fn sm2_signature_under_another_id_fails() {
    let alg = Algorithm::Sm2;
    let der = sign(alg);
    let attrs = signed_attrs(&der);
    // Same attributes re-signed by the same key: accepted with the default ID ...
    assert!(verify(&resign(alg, &der, Some(attrs.clone()), DEFAULT_ID), alg).is_ok());
    // ... refused with the empty ID (OpenSSL 3.0's default) or any other.
    for id in [&b""[..], b"ALICE123@YAHOO.COM"] {
        let forged = resign(alg, &der, Some(attrs.clone()), id);
        assert!(matches!(verify(&forged, alg), Err(CmsError::BadSignature)));
    }
}

#[test]
fn gmt0010_content_types_round_trip() {
    let options = SignOptions {
        content_types: ContentTypeFamily::GmT0010,
        ..SignOptions::default()
    };
    let der = sign_with(Algorithm::Sm2, &options);
    let cms = SignedCms::parse(&der).unwrap();
    assert_eq!(cms.family(), ContentTypeFamily::GmT0010);
    assert_eq!(cms.econtent_type(), GMT_DATA);
    assert_eq!(
        ContentInfo::from_der(&der).unwrap().content_type,
        GMT_SIGNED_DATA
    );
    verify(&der, Algorithm::Sm2).unwrap();
}

#[test]
fn content_type_attribute_must_match() {
    let alg = Algorithm::Sm2;
    let der = sign(alg);
    // Signed content-type says GM/T data, eContentType says PKCS#7 data.
    let attrs = with_attr(&der, ID_CONTENT_TYPE, &GMT_DATA);
    let err = verify(&resign(alg, &der, Some(attrs), DEFAULT_ID), alg).unwrap_err();
    assert!(matches!(err, CmsError::ContentTypeMismatch { .. }), "{err}");
    let attrs: Vec<_> = signed_attrs(&der)
        .into_iter()
        .filter(|a| a.oid != ID_CONTENT_TYPE)
        .collect();
    let err = verify(&resign(alg, &der, Some(attrs), DEFAULT_ID), alg).unwrap_err();
    assert!(
        matches!(err, CmsError::MissingAttribute("content-type")),
        "{err}"
    );
}

#[test]
fn duplicate_message_digest_is_refused() {
    let alg = Algorithm::P256;
    let der = sign(alg);
    let mut attrs = signed_attrs(&der);
    let other = OctetString::new(digest(alg, b"other")).unwrap();
    attrs.push(attribute(ID_MESSAGE_DIGEST, &other).unwrap());
    let err = verify(&resign(alg, &der, Some(attrs), DEFAULT_ID), alg).unwrap_err();
    assert!(
        matches!(err, CmsError::DuplicateAttribute("message-digest")),
        "{err}"
    );
}

#[test]
fn sm2_signature_oid_301_1_accepted() {
    let der = edit(&sign(Algorithm::Sm2), |sd| {
        let mut si = sd.signer_infos.0.as_slice()[0].clone();
        si.signature_algorithm.oid = eseal_certs::algorithm::OID_SM2_SIGN;
        sd.signer_infos = SignerInfos::try_from(vec![si]).unwrap();
    });
    let cms = SignedCms::parse(&der).unwrap();
    assert_eq!(
        cms.signer()
            .unwrap()
            .info()
            .signature_algorithm
            .oid
            .to_string(),
        "1.2.156.10197.1.301.1"
    );
    verify(&der, Algorithm::Sm2).unwrap();
}

#[test]
fn algorithm_protection_mismatch_fails() {
    let alg = Algorithm::P256;
    let der = sign(alg);
    let wrong = CmsAlgorithmProtection {
        digest_algorithm: AlgorithmIdentifierOwned {
            oid: ID_SHA384,
            parameters: None,
        },
        signature_algorithm: Some(AlgorithmIdentifierOwned {
            oid: alg.signature_oid(),
            parameters: None,
        }),
        mac_algorithm: None,
    };
    let attrs = with_attr(&der, ID_AA_CMS_ALGORITHM_PROTECTION, &wrong);
    let err = verify(&resign(alg, &der, Some(attrs), DEFAULT_ID), alg).unwrap_err();
    assert!(
        matches!(err, CmsError::AlgorithmProtectionMismatch),
        "{err}"
    );
}

#[test]
fn signer_missing_from_certificates_fails_unless_given() {
    let alg = Algorithm::P256;
    let der = edit(&sign(alg), |sd| {
        let leaf = pki(alg).leaf.clone();
        let kept: Vec<_> = sd
            .certificates
            .take()
            .unwrap()
            .0
            .into_vec()
            .into_iter()
            .filter(|c| *c != cms::cert::CertificateChoices::Certificate(leaf.clone()))
            .collect();
        sd.certificates = Some(kept.try_into().unwrap());
    });
    let cms = SignedCms::parse(&der).unwrap();
    let d = digest(alg, CONTENT);
    let err = cms.verify_detached(&d).unwrap_err();
    assert_eq!(
        err.to_string(),
        "signer certificate not found in the signature"
    );
    cms.verify_detached_with(&d, &[pki(alg).leaf.clone()])
        .unwrap();
}

#[test]
fn wrong_key_or_digest_length_is_refused_when_signing() {
    let p = pki(Algorithm::P256);
    let d = digest(Algorithm::P256, CONTENT);
    let err = sign_detached(&p.root_key, &p.leaf, &[], &d, &SignOptions::default()).unwrap_err();
    assert!(matches!(err, CmsError::KeyNotCertified), "{err}");
    let err =
        sign_detached(&p.leaf_key, &p.leaf, &[], &d[..20], &SignOptions::default()).unwrap_err();
    assert!(
        matches!(err, CmsError::DigestLength { got: 20, .. }),
        "{err}"
    );
}

#[test]
fn two_step_signing_checks_the_returned_signature() {
    let alg = Algorithm::Sm2;
    let p = pki(alg);
    let d = digest(alg, CONTENT);
    let prepared = PreparedSignature::new(alg, &p.leaf, &[], &d, &SignOptions::default()).unwrap();
    let wrong = p.root_key.sign(prepared.to_be_signed()).unwrap();
    assert!(matches!(
        prepared.clone().finish(&wrong),
        Err(CmsError::BadSignature)
    ));
    let good = p.leaf_key.sign(prepared.to_be_signed()).unwrap();
    verify(&prepared.finish(&good).unwrap(), alg).unwrap();
}

#[test]
fn estimate_len_bounds_the_signature() {
    for alg in Algorithm::ALL {
        let p = pki(alg);
        let chain = [p.intermediate.clone()];
        let estimate = estimate_len(alg, &p.leaf, &chain, &SignOptions::default()).unwrap();
        for _ in 0..8 {
            let len = sign(alg).len();
            assert!(
                len <= estimate && estimate - len <= 4,
                "{alg}: {len} vs {estimate}"
            );
        }
    }
}

/// A stand-in for an RFC 3161 token: any ContentInfo will do for carrying it.
fn fake_token() -> Vec<u8> {
    ContentInfo {
        content_type: ID_DATA,
        content: Any::encode_from(&OctetString::new(&b"token"[..]).unwrap()).unwrap(),
    }
    .to_der()
    .unwrap()
}

#[test]
fn unsigned_timestamp_attribute_can_be_added() {
    for alg in Algorithm::ALL {
        let der = sign(alg);
        let token = fake_token();
        let with_ts = add_unsigned_attribute(&der, timestamp_attribute(&token).unwrap()).unwrap();
        let v = verify(&with_ts, alg).unwrap();
        assert_eq!(v.timestamp_tokens, vec![token.clone()]);
        // The signed part is byte-for-byte unchanged.
        let before = SignedCms::parse(&der).unwrap();
        let after = SignedCms::parse(&with_ts).unwrap();
        assert_eq!(
            before.signer().unwrap().signed_attributes_der(),
            after.signer().unwrap().signed_attributes_der()
        );
        assert_eq!(
            before.signer().unwrap().signature(),
            after.signer().unwrap().signature()
        );
    }
}

#[test]
fn zero_padding_is_tolerated_other_trailing_bytes_are_not() {
    let mut der = sign(Algorithm::P256);
    der.extend([0u8; 100]);
    verify(&der, Algorithm::P256).unwrap();
    der.push(1);
    assert!(matches!(
        SignedCms::parse(&der),
        Err(CmsError::TrailingData)
    ));
}

#[test]
fn ber_indefinite_length_is_read_and_verified() {
    let der = sign(Algorithm::P256);
    // 30 82 LL LL <body>  ->  30 80 <body> 00 00
    assert_eq!(&der[..2], &[0x30, 0x82]);
    let mut ber = vec![0x30, 0x80];
    ber.extend(&der[4..]);
    ber.extend([0, 0]);
    let cms = SignedCms::parse(&ber).unwrap();
    cms.verify_detached(&digest(Algorithm::P256, CONTENT))
        .unwrap();
    assert!(cms.deviations().is_empty());
    // The content digest still decides.
    assert!(matches!(
        cms.verify_detached(&digest(Algorithm::P256, b"other")),
        Err(CmsError::DigestMismatch)
    ));
    // Padding after the end-of-contents octets is tolerated, other bytes are not.
    ber.extend([0u8; 10]);
    SignedCms::parse(&ber).unwrap();
    ber.push(7);
    assert!(matches!(
        SignedCms::parse(&ber),
        Err(CmsError::TrailingData)
    ));
    // Every prefix and flipped byte of the BER form fails cleanly or verifies only when the
    // flip is outside what is signed (the fuzz target also wraps its input this way).
    ber.truncate(ber.len() - 11);
    for len in 0..ber.len() {
        parse_for_fuzz(&ber[..len]);
    }
    for pos in 0..ber.len() {
        let mut flipped = ber.clone();
        flipped[pos] ^= 0x55;
        parse_for_fuzz(&flipped);
        let mut wrapped = vec![0x30, 0x80];
        wrapped.extend_from_slice(&flipped[..pos]);
        wrapped.extend_from_slice(&[0, 0]);
        parse_for_fuzz(&wrapped);
    }
    // An indefinite length that never ends is malformed, not a panic.
    let unterminated = [0x30, 0x80, 0x06, 0x01, 0x2A];
    let e = SignedCms::parse(&unterminated).unwrap_err().to_string();
    assert!(e.contains("BER encoding: truncated"), "{e}");
}

/// Two SignerInfos: the first signer's and a second one by the same key.
fn two_signers(second: impl FnOnce(&mut cms::signed_data::SignerInfo)) -> Vec<u8> {
    let a = sign(Algorithm::P256);
    let b = sign(Algorithm::P256);
    let info = |der: &[u8]| {
        let sd: SignedData = ContentInfo::from_der(der)
            .unwrap()
            .content
            .decode_as()
            .unwrap();
        sd.signer_infos.0.as_slice()[0].clone()
    };
    let mut other = info(&b);
    second(&mut other);
    edit(&a, |sd| {
        let first = sd.signer_infos.0.as_slice()[0].clone();
        sd.signer_infos = SignerInfos::try_from(vec![first, other]).unwrap();
    })
}

#[test]
fn every_signer_is_checked() {
    let both = two_signers(|_| {});
    let cms = SignedCms::parse(&both).unwrap();
    assert_eq!(cms.signers().len(), 2);
    cms.verify_detached(&digest(Algorithm::P256, CONTENT))
        .unwrap();
    let deviations = cms.deviations();
    assert!(
        deviations.iter().any(|d| d.contains("2 signers")),
        "{deviations:?}"
    );
    // One bad signer fails the whole, whichever it is.
    let bad = two_signers(|si| {
        let mut sig = si.signature.as_bytes().to_vec();
        let last = sig.len() - 1;
        sig[last] ^= 1;
        si.signature = OctetString::new(sig).unwrap();
    });
    assert!(matches!(
        verify(&bad, Algorithm::P256),
        Err(CmsError::BadSignature)
    ));
    // A signer with another digest algorithm cannot be checked against our digest (the SET
    // may put it first, where it fails as a P-256 signature over SHA-384).
    let mixed = two_signers(|si| si.digest_alg.oid = ID_SHA384);
    assert!(matches!(
        verify(&mixed, Algorithm::P256),
        Err(CmsError::SignerDigestsDiffer | CmsError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn garbage_and_truncated_input_fail_without_panic() {
    let der = sign(Algorithm::Sm2);
    for len in 0..der.len() {
        assert!(
            SignedCms::parse(&der[..len]).is_err(),
            "prefix of {len} bytes parsed"
        );
        parse_for_fuzz(&der[..len]);
    }
    for pos in 0..der.len() {
        let mut flipped = der.clone();
        flipped[pos] ^= 0x55;
        parse_for_fuzz(&flipped);
        if let Ok(cms) = SignedCms::parse(&flipped) {
            let d = digest(Algorithm::Sm2, CONTENT);
            assert!(
                cms.verify_detached(&d).is_err() || flipped_is_unsigned(&der, pos),
                "flip at {pos} of {} still verifies: {}",
                der.len(),
                hex::encode(&der[pos.saturating_sub(8)..pos + 8])
            );
        }
    }
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for n in 0..2000 {
        let bytes: Vec<u8> = (0..n % 300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(SignedCms::parse(&bytes).is_err());
        parse_for_fuzz(&bytes);
    }
    assert!(matches!(
        SignedCms::parse(b"not a signature"),
        Err(CmsError::Malformed { .. })
    ));
}

/// Whether byte `pos` lies outside everything the signature check depends on: the
/// SignedData digestAlgorithms (not cross-checked, as many producers get it wrong) and the
/// intermediate certificate (path validation is not done here).
fn flipped_is_unsigned(der: &[u8], pos: usize) -> bool {
    let within = |part: &[u8]| {
        let start = der.windows(part.len()).position(|w| w == part).unwrap();
        (start..start + part.len()).contains(&pos)
    };
    let cms = SignedCms::parse(der).unwrap();
    let inter = cms
        .certificates()
        .iter()
        .find(|c| c.certificate != pki(Algorithm::Sm2).leaf)
        .unwrap();
    let digest_algorithms = cms.signed_data().digest_algorithms.to_der().unwrap();
    within(&inter.der) || within(&digest_algorithms)
}

/// DER tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend(content);
    out
}

/// Our P-256 signature over [`CONTENT`] with its signed attributes (each DER) laid out by
/// `layout` and signed again as laid out: what producers that order or add attributes their
/// own way write. Returns the ContentInfo and the attributes' bytes.
fn resigned(layout: impl FnOnce(&mut Vec<Vec<u8>>)) -> (Vec<u8>, Vec<u8>) {
    let alg = Algorithm::P256;
    let key = &pki(alg).leaf_key;
    let der = sign(alg);
    let sd: SignedData = ContentInfo::from_der(&der)
        .unwrap()
        .content
        .decode_as()
        .unwrap();
    let si = sd.signer_infos.0.as_slice()[0].clone();
    let mut attrs: Vec<Vec<u8>> = si
        .signed_attrs
        .as_ref()
        .unwrap()
        .iter()
        .map(|a| a.to_der().unwrap())
        .collect();
    layout(&mut attrs);
    let attrs = attrs.concat();
    let signature = key.sign(&tlv(0x31, &attrs)).unwrap();
    let signer_info = tlv(
        0x30,
        &[
            si.version.to_der().unwrap(),
            si.sid.to_der().unwrap(),
            si.digest_alg.to_der().unwrap(),
            tlv(0xA0, &attrs),
            si.signature_algorithm.to_der().unwrap(),
            OctetString::new(signature).unwrap().to_der().unwrap(),
        ]
        .concat(),
    );
    let mut certs = sd.certificates.as_ref().unwrap().0.to_der().unwrap();
    certs[0] = 0xA0;
    let signed_data = tlv(
        0x30,
        &[
            sd.version.to_der().unwrap(),
            sd.digest_algorithms.to_der().unwrap(),
            sd.encap_content_info.to_der().unwrap(),
            certs,
            tlv(0x31, &signer_info),
        ]
        .concat(),
    );
    let ci = tlv(
        0x30,
        &[
            super::content_type::ID_SIGNED_DATA.to_der().unwrap(),
            tlv(0xA0, &signed_data),
        ]
        .concat(),
    );
    (ci, attrs)
}

#[test]
fn unsorted_signed_attributes_verify_as_signed() {
    // Some producers do not sort the SET OF signed attributes. A decoder sorts them, so the
    // check must use the bytes as they came, not a re-encoding.
    let alg = Algorithm::P256;
    let (ci, attrs) = resigned(|attrs| attrs.reverse());
    let cms = SignedCms::parse(&ci).unwrap();
    let signer = cms.signer().unwrap();
    let reencoded = signer.signed_attributes().unwrap().to_der().unwrap();
    assert_ne!(
        signer.signed_attributes_der().unwrap(),
        reencoded.as_slice()
    );
    assert!(!signer.signed_attributes_in_der_order());
    cms.verify_detached(&digest(alg, CONTENT)).unwrap();
    let deviations = cms.deviations();
    assert!(
        deviations
            .iter()
            .any(|d| d.contains("not in DER order (RFC 5652 §5.3)")),
        "{deviations:?}"
    );
    // The bytes as sent are what is checked: one changed bit in them fails.
    let at = ci.windows(attrs.len()).position(|w| w == attrs).unwrap() + attrs.len() - 1;
    let mut flipped = ci.clone();
    flipped[at] ^= 1;
    assert!(SignedCms::parse(&flipped)
        .unwrap()
        .verify_detached(&digest(alg, CONTENT))
        .is_err());
    // A signature in DER order has no such deviation.
    let sorted = SignedCms::parse(&sign(alg)).unwrap();
    assert!(sorted.signer().unwrap().signed_attributes_in_der_order());
    assert!(sorted.deviations().is_empty());
    // Rewriting such a signature would change what was signed: refused.
    assert!(matches!(
        add_unsigned_attribute(&ci, timestamp_attribute(&fake_token()).unwrap()),
        Err(CmsError::SignedAttributesNotCanonical)
    ));
}

/// Acrobat keeps the CRLs and OCSP responses it fetched at signing time in the
/// adbe-revocationInfoArchival signed attribute (ISO 32000-2 §12.8.3.3.2): they are evidence.
#[test]
fn crls_in_the_adobe_revocation_attribute_are_evidence() {
    use crate::validation::revocation::embedded_crls;
    let p = pki(Algorithm::P256);
    let crl = eseal_certs::crl::crl_to_der(&p.intermediate_crl(&[]).unwrap()).unwrap();
    let archival = tlv(0x30, &tlv(0xA0, &tlv(0x30, &crl)));
    let oid = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113583.1.1.8");
    let attribute = tlv(
        0x30,
        &[oid.to_der().unwrap(), tlv(0x31, &archival)].concat(),
    );
    let (ci, _) = resigned(|attrs| {
        attrs.push(attribute);
        attrs.sort();
    });
    let cms = SignedCms::parse(&ci).unwrap();
    cms.verify_detached(&digest(Algorithm::P256, CONTENT))
        .unwrap();
    let found = embedded_crls(&cms);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].tbs_cert_list.issuer,
        *p.intermediate.tbs_certificate().subject()
    );
    // Our own signature carries none.
    assert!(embedded_crls(&SignedCms::parse(&sign(Algorithm::P256)).unwrap()).is_empty());
}
