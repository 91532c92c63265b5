//! GB/T 38540 seals and seal signatures: round trips, version 1 reading, tolerant reading of
//! other producers' encodings, and every way a seal or signature must fail.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use der::asn1::{BitString, Ia5String, OctetString, UintRef, UtcTime};
use der::{Decode, Encode, Sequence};
use eseal_certs::testing::{TestPki, TEST_USCC};
use eseal_certs::{Algorithm, DigestAlgorithm, SigningKey};
use eseal_signer::ses::seal::*;
use eseal_signer::ses::signature::*;
use eseal_signer::ses::*;
use x509_cert::Certificate;

const DAY: Duration = Duration::from_secs(86_400);
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR not a whole picture";
const OTHER_USCC: &str = "11220000013544541J";

/// The maker's PKI and the signer's PKI.
fn pkis() -> &'static (TestPki, TestPki) {
    static P: OnceLock<(TestPki, TestPki)> = OnceLock::new();
    P.get_or_init(|| {
        (
            TestPki::new(Algorithm::Sm2).unwrap(),
            TestPki::new(Algorithm::Sm2).unwrap(),
        )
    })
}

fn maker() -> (&'static dyn SigningKey, &'static Certificate) {
    let p = &pkis().0;
    (&p.intermediate_key, &p.intermediate)
}

fn signer() -> (&'static dyn SigningKey, &'static Certificate) {
    let p = &pkis().1;
    (&p.leaf_key, &p.leaf)
}

/// A signer whose certificate is in no seal's list (same USCC, other key).
fn stranger() -> (&'static dyn SigningKey, &'static Certificate) {
    let p = &pkis().0;
    (&p.leaf_key, &p.leaf)
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn request(form: CertListForm) -> SealRequest {
    let t = now();
    SealRequest {
        vendor_id: ESEAL_VENDOR_ID.into(),
        es_id: "35010020240001".into(),
        seal_type: SealType::Contract,
        name: "测试市市场监督管理局合同专用章".into(),
        owner: Owner {
            code: OwnerCode::enterprise(TEST_USCC).unwrap(),
            name: Some("测试市市场监督管理局".into()),
        },
        certificates: vec![signer().1.clone()],
        list_form: form,
        created: t,
        valid_start: t - DAY,
        valid_end: t + 300 * DAY,
        picture: Picture {
            kind: "PNG".into(),
            data: PNG.to_vec(),
            width_mm: 40,
            height_mm: 40,
        },
        extra_ext_datas: Vec::new(),
    }
}

fn seal_with(form: CertListForm) -> Vec<u8> {
    let (k, c) = maker();
    make_seal(k, c, &request(form)).unwrap()
}

fn seal() -> Vec<u8> {
    seal_with(CertListForm::Certificates)
}

fn digest() -> Vec<u8> {
    DigestAlgorithm::Sm3.hash(b"%PDF-1.7 the ByteRange bytes")
}

fn sign_request(digest: &[u8]) -> SignatureRequest<'_> {
    SignatureRequest {
        data_digest: digest,
        time: now(),
        property_info: PDF_PROPERTY_INFO,
        ext_datas: Vec::new(),
    }
}

fn signature_over(seal_der: &[u8]) -> Vec<u8> {
    let d = digest();
    let (k, c) = signer();
    make_signature(seal_der, k, c, &sign_request(&d)).unwrap()
}

fn assert_all_passed(v: &SesVerification) {
    for (step, check) in v.steps() {
        match step {
            "certificate path" | "timestamp" => {
                assert!(matches!(check, Check::NotChecked(_)), "{step}: {check:?}")
            }
            _ => assert_eq!(check, &Check::Passed, "{step}"),
        }
    }
    assert!(v.is_valid());
}

// ---------------------------------------------------------------- DER helpers for hand-made

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend([0x81, n as u8]);
    } else if n < 0x10000 {
        out.extend([0x82, (n >> 8) as u8, n as u8]);
    } else {
        out.extend([0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// The elements inside a constructed DER value (test-side walker, lengths < 2^24).
fn elements(value: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < value.len() {
        let first = value[i + 1] as usize;
        let (len, hdr) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7F;
            let len = value[i + 2..i + 2 + n]
                .iter()
                .fold(0usize, |a, &b| (a << 8) | b as usize);
            (len, 2 + n)
        };
        out.push(value[i..i + hdr + len].to_vec());
        i += hdr + len;
    }
    out
}

fn contents(element: &[u8]) -> Vec<u8> {
    let first = element[1] as usize;
    let hdr = if first < 0x80 { 2 } else { 2 + (first & 0x7F) };
    element[hdr..].to_vec()
}

fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut c = vec![0u8];
    c.extend_from_slice(bytes);
    tlv(0x03, &c)
}

#[derive(Sequence)]
struct DerSig<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// DER SEQUENCE { r, s } → raw 64-byte r ‖ s.
fn raw_rs(der_sig: &[u8]) -> Vec<u8> {
    let sig = DerSig::from_der(der_sig).unwrap();
    let mut out = vec![0u8; 64];
    let (r, s) = (sig.r.as_bytes(), sig.s.as_bytes());
    out[32 - r.len()..32].copy_from_slice(r);
    out[64 - s.len()..].copy_from_slice(s);
    out
}

/// A version 4 SES_Signature assembled by hand: the TBS is signed as given, the timestamp
/// element (if any) appended as given.
fn hand_signature(
    tbs: &[u8],
    key: &dyn SigningKey,
    cert: &Certificate,
    raw: bool,
    ts: Option<Vec<u8>>,
) -> Vec<u8> {
    let mut sig = key.sign(tbs).unwrap();
    if raw {
        sig = raw_rs(&sig);
    }
    let mut body = tbs.to_vec();
    body.extend(tlv(0x04, &cert.to_der().unwrap()));
    body.extend(Algorithm::Sm2.signature_oid().to_der().unwrap());
    body.extend(bit_string(&sig));
    if let Some(ts) = ts {
        body.extend(ts);
    }
    tlv(0x30, &body)
}

// ------------------------------------------------------------------------------- seals

#[test]
fn v4_seal_round_trip() {
    let der = seal();
    let s = Seal::parse(&der).unwrap();
    assert_eq!(s.version, SesVersion::V4);
    assert_eq!(
        (s.header_id.as_str(), s.header_version, s.vendor_id.as_str()),
        ("ES", 4, "eseal")
    );
    assert_eq!(s.es_id, "35010020240001");
    assert_eq!(s.seal_type(), Some(SealType::Contract));
    assert_eq!(s.type_code, 4);
    assert_eq!(s.name, "测试市市场监督管理局合同专用章");
    assert_eq!(s.cert_list_type, Some(1));
    assert!(cert_listed(&s, &signer().1.to_der().unwrap()));
    assert!(!cert_listed(&s, &stranger().1.to_der().unwrap()));
    assert_eq!(s.picture.kind, "PNG");
    assert_eq!((s.picture.width_mm, s.picture.height_mm), (40, 40));
    assert_eq!(s.picture.data, PNG);
    let owner = s.owner().unwrap().unwrap();
    assert_eq!(owner.code, OwnerCode::Uscc(TEST_USCC.into()));
    assert_eq!(owner.name.as_deref(), Some("测试市市场监督管理局"));
    assert_eq!(s.ext_datas[0].extn_id, OID_SES_OWNER_CODE);
    assert!(!s.ext_datas[0].critical);
    assert_eq!(s.maker_certificate().unwrap(), *maker().1);
    assert_eq!(s.signature_algorithm.to_string(), "1.2.156.10197.1.501");
    // The types re-encode to the same bytes, and the maker signed DER(SES_SealInfo).
    let typed = SesSeal::from_der(&der).unwrap();
    assert_eq!(typed.to_der().unwrap(), der);
    assert_eq!(s.signed_bytes(), typed.seal_info.to_der().unwrap());
    let check = check_seal(&s, now());
    assert!(check.is_valid(), "{:?}", check.failures());
    assert!(
        check.steps().iter().all(|(_, c)| c.is_passed()),
        "{check:?}"
    );
}

#[test]
fn tampered_seal_fails_the_maker_signature() {
    let mut typed = SesSeal::from_der(&seal()).unwrap();
    typed.seal_info.property.name = "另一个单位合同专用章".into();
    let s = Seal::parse(&typed.to_der().unwrap()).unwrap();
    let check = check_seal(&s, now());
    assert_eq!(
        check.maker_signature,
        Check::Failed(SesError::BadMakerSignature)
    );
    assert!(!check.is_valid());

    // Also when one byte of the signed picture changes in place.
    let der = seal();
    let at = der.windows(8).position(|w| w == b"not a wh").unwrap();
    let mut bad = der.clone();
    bad[at] ^= 0x20;
    let check = check_seal(&Seal::parse(&bad).unwrap(), now());
    assert_eq!(
        check.maker_signature,
        Check::Failed(SesError::BadMakerSignature)
    );
}

#[test]
fn seal_validity_window_is_enforced_before_and_after() {
    let s = Seal::parse(&seal()).unwrap();
    assert!(check_seal(&s, now()).validity.is_passed());
    let before = check_seal(&s, now() - 2 * DAY);
    assert!(
        matches!(
            before.validity,
            Check::Failed(SesError::SealNotYetValid { .. })
        ),
        "{before:?}"
    );
    let after = check_seal(&s, now() + 301 * DAY);
    assert!(
        matches!(after.validity, Check::Failed(SesError::SealExpired { .. })),
        "{after:?}"
    );
    let msg = after.validity.error().unwrap().to_string();
    assert!(msg.contains("expired"), "{msg}");

    // A signature made inside the window verifies; make_signature refuses outside it.
    let d = digest();
    let (k, c) = signer();
    let mut req = sign_request(&d);
    req.time = now() + 400 * DAY;
    assert!(matches!(
        make_signature(&seal(), k, c, &req),
        Err(SesError::SealExpired { .. })
    ));
}

#[test]
fn cert_list_by_sm3_digest() {
    let der = seal_with(CertListForm::Sm3Digests);
    let s = Seal::parse(&der).unwrap();
    assert_eq!(s.cert_list_type, Some(2));
    let CertList::Digests(d) = &s.cert_list else {
        panic!("expected digests: {:?}", s.cert_list)
    };
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].kind.to_string(), "SM3");
    assert_eq!(
        d[0].value.as_bytes(),
        DigestAlgorithm::Sm3.hash(&signer().1.to_der().unwrap())
    );
    assert!(check_seal(&s, now()).is_valid());
    assert!(cert_listed(&s, &signer().1.to_der().unwrap()));
    assert!(!cert_listed(&s, &stranger().1.to_der().unwrap()));
    let v = verify_signature(&signature_over(&der), Some(&digest())).unwrap();
    assert_all_passed(&v);
}

#[test]
fn cert_list_problems_are_reported() {
    let (k, c) = maker();
    // certListType says certificates, the list holds digests.
    let mut info = seal_info(&request(CertListForm::Sm3Digests)).unwrap();
    info.property.cert_list_type = 1;
    let s = Seal::parse(&sign_seal_info(k, c, info).unwrap().to_der().unwrap()).unwrap();
    assert_eq!(
        check_seal(&s, now()).cert_list,
        Check::Failed(SesError::CertListType {
            declared: 1,
            found: "certificate digests"
        })
    );
    // Unknown digest type.
    let mut info = seal_info(&request(CertListForm::Sm3Digests)).unwrap();
    if let CertList::Digests(d) = &mut info.property.cert_list {
        d[0].kind = der::asn1::PrintableString::new("MD5").unwrap();
    }
    let s = Seal::parse(&sign_seal_info(k, c, info).unwrap().to_der().unwrap()).unwrap();
    assert!(matches!(
        check_seal(&s, now()).cert_list,
        Check::Failed(SesError::UnknownDigestType { index: 0, .. })
    ));
    // A listed "certificate" that is not one.
    let mut info = seal_info(&request(CertListForm::Certificates)).unwrap();
    info.property.cert_list =
        CertList::Certificates(vec![OctetString::new(vec![1, 2, 3]).unwrap()]);
    let s = Seal::parse(&sign_seal_info(k, c, info).unwrap().to_der().unwrap()).unwrap();
    assert!(matches!(
        check_seal(&s, now()).cert_list,
        Check::Failed(SesError::ListedCertificate { index: 0, .. })
    ));
}

#[test]
fn picture_must_be_present_and_of_its_type() {
    let (k, c) = maker();
    let mut req = request(CertListForm::Certificates);
    req.picture.data.clear();
    assert_eq!(make_seal(k, c, &req), Err(SesError::PictureMissing));
    let mut req = request(CertListForm::Certificates);
    req.picture.kind = "GIF".into();
    assert_eq!(
        make_seal(k, c, &req),
        Err(SesError::PictureType("GIF".into()))
    );
    let mut req = request(CertListForm::Certificates);
    req.picture.kind = "JPG".into();
    assert_eq!(
        make_seal(k, c, &req),
        Err(SesError::PictureData("JPG".into()))
    );

    let mut info = seal_info(&request(CertListForm::Certificates)).unwrap();
    info.picture.data = OctetString::new(Vec::new()).unwrap();
    let s = Seal::parse(&sign_seal_info(k, c, info).unwrap().to_der().unwrap()).unwrap();
    let check = check_seal(&s, now());
    assert_eq!(check.picture, Check::Failed(SesError::PictureMissing));
    assert!(check.maker_signature.is_passed());
}

// ------------------------------------------------------------------- GM/T 0031 version 1

fn v1_seal() -> Vec<u8> {
    v1_seal_with(None)
}

fn v1_seal_with(ext_datas: Option<Vec<ExtData>>) -> Vec<u8> {
    let (k, c) = maker();
    let t = now();
    let utc = |t: SystemTime| UtcTime::from_system_time(t).unwrap();
    let info = SesSealInfoV1 {
        header: SesHeader {
            id: Ia5String::new("ES").unwrap(),
            version: 1,
            vid: Ia5String::new("legacy-vendor").unwrap(),
        },
        es_id: Ia5String::new("V1-0001").unwrap(),
        property: SesEsPropertyInfoV1 {
            seal_type: 1,
            name: "测试单位".into(),
            cert_list: vec![OctetString::new(signer().1.to_der().unwrap()).unwrap()],
            create_date: utc(t),
            valid_start: utc(t - DAY),
            valid_end: utc(t + 30 * DAY),
        },
        picture: SesEsPictrueInfo {
            kind: Ia5String::new("PNG").unwrap(),
            data: OctetString::new(PNG.to_vec()).unwrap(),
            width: 42,
            height: 42,
        },
        ext_datas,
    };
    let cert = OctetString::new(c.to_der().unwrap()).unwrap();
    let alg = Algorithm::Sm2.signature_oid();
    // GM/T 0031: the maker signs SEQUENCE { sealInfo, cert, signatureAlgorithm }.
    let to_sign = SesSealSignedPartV1 {
        seal_info: info.clone(),
        cert: cert.clone(),
        signature_algorithm: alg,
    };
    let sig = k.sign(&to_sign.to_der().unwrap()).unwrap();
    SesSealV1 {
        seal_info: info,
        sign_info: SesSignInfoV1 {
            cert,
            signature_algorithm: alg,
            sign_data: BitString::from_bytes(&sig).unwrap(),
        },
    }
    .to_der()
    .unwrap()
}

#[test]
fn v1_seal_is_read_and_checked() {
    let s = Seal::parse(&v1_seal()).unwrap();
    assert_eq!(s.version, SesVersion::V1);
    assert_eq!(s.header_version, 1);
    assert_eq!(s.vendor_id, "legacy-vendor");
    assert_eq!(s.seal_type(), Some(SealType::LegalName));
    assert_eq!(s.cert_list_type, None);
    assert!(cert_listed(&s, &signer().1.to_der().unwrap()));
    let check = check_seal(&s, now());
    assert!(check.maker_signature.is_passed(), "{check:?}");
    assert!(check.is_valid(), "{check:?}");
    assert!(matches!(check.owner, Check::NotChecked(_)));
    assert!(check_seal(&s, now() + 31 * DAY).validity.is_failed());
}

/// A GM/T 0031 signature over `d` with the version 1 seal, built from the standard's layout.
fn v1_signature(d: &[u8]) -> Vec<u8> {
    let (k, c) = signer();
    let tbs = TbsSignV1 {
        version: 1,
        eseal: SesSealV1::from_der(&v1_seal()).unwrap(),
        time_info: BitString::from_bytes(
            der::asn1::GeneralizedTime::from_system_time(now())
                .unwrap()
                .to_der()
                .unwrap()[2..]
                .as_ref(),
        )
        .unwrap(),
        data_hash: BitString::from_bytes(d).unwrap(),
        property_info: Ia5String::new("PDF").unwrap(),
        cert: OctetString::new(c.to_der().unwrap()).unwrap(),
        signature_algorithm: Algorithm::Sm2.signature_oid(),
    };
    let sig = k.sign(&tbs.to_der().unwrap()).unwrap();
    SesSignatureV1 {
        to_sign: tbs,
        signature: BitString::from_bytes(&sig).unwrap(),
    }
    .to_der()
    .unwrap()
}

#[test]
fn v1_signature_is_read_and_verified() {
    let d = digest();
    let der = v1_signature(&d);
    assert!(looks_like_ses_signature(&der));
    let v = verify_signature(&der, Some(&d)).unwrap();
    assert_eq!(v.parsed.version, SesVersion::V1);
    assert_eq!(v.parsed.seal.version, SesVersion::V1);
    assert!(v.signing_time().is_some());
    assert_eq!(v.parsed.property_info, "PDF");
    // v1 seal has no owner extension: binding not checked, everything else passes.
    assert!(matches!(v.owner_binding, Check::NotChecked(_)));
    for (step, check) in v.steps() {
        assert!(!check.is_failed(), "{step}: {check:?}");
    }
    assert!(v.is_valid());
    assert_eq!(
        verify_signature(&der, Some(&[0u8; 32])).unwrap().data_hash,
        Check::Failed(SesError::DataHashMismatch)
    );
}

/// `2.25.<uuid>` (X.667): an arc of 128 bits, beyond const-oid's u32 arcs.
fn uuid_oid(uuid: u128) -> RawOid {
    let mut arc = vec![(uuid & 0x7F) as u8];
    let mut rest = uuid >> 7;
    while rest > 0 {
        arc.push(0x80 | (rest & 0x7F) as u8);
        rest >>= 7;
    }
    arc.reverse();
    let mut content = vec![0x69]; // 2.25
    content.extend(arc);
    RawOid::from_content(&content).unwrap()
}

/// A GM/T 0031 signature over `d` assembled by hand, with `time_info` as the whole timeInfo
/// element, over the seal `seal`.
fn v1_signature_with(d: &[u8], seal: &[u8], time_info: Vec<u8>) -> Vec<u8> {
    let (k, c) = signer();
    let tbs = tlv(
        0x30,
        &[
            vec![0x02, 0x01, 0x01],
            seal.to_vec(),
            time_info,
            bit_string(d),
            tlv(0x16, b"PDF"),
            tlv(0x04, &c.to_der().unwrap()),
            Algorithm::Sm2.signature_oid().to_der().unwrap(),
        ]
        .concat(),
    );
    let sig = k.sign(&tbs).unwrap();
    tlv(0x30, &[tbs, bit_string(&sig)].concat())
}

/// Vendors write version 1 timeInfo as a UTCTime, as a GeneralizedTime, or as a BIT STRING
/// holding UTCTime text or a DER time, and name extensions under `2.25.<UUID>`: all read, and
/// the signature verifies.
#[test]
fn v1_time_info_variants_and_uuid_oids_are_read() {
    let d = digest();
    let uuid = 0xf81d4fae_7dec_11d0_a765_00a0c91e6bf6_u128;
    let ext = ExtData {
        extn_id: uuid_oid(uuid),
        critical: false,
        extn_value: OctetString::new(b"vendor data".to_vec()).unwrap(),
    };
    let seal = v1_seal_with(Some(vec![ext]));
    let parsed_seal = Seal::parse(&seal).unwrap();
    assert_eq!(
        parsed_seal.ext_datas[0].extn_id.to_string(),
        format!("2.25.{uuid}")
    );
    assert!(check_seal(&parsed_seal, now()).is_valid());
    let t = now();
    let utc_der = UtcTime::from_system_time(t).unwrap().to_der().unwrap();
    let gen_der = der::asn1::GeneralizedTime::from_system_time(t)
        .unwrap()
        .to_der()
        .unwrap();
    let utc_text = utc_der[2..].to_vec();
    assert_eq!(utc_text.len(), 13, "YYMMDDHHMMSSZ");
    let variants = [
        ("UTCTime", utc_der.clone()),
        ("GeneralizedTime", gen_der.clone()),
        ("BIT STRING of UTCTime text", bit_string(&utc_text)),
        ("BIT STRING of a DER UTCTime", bit_string(&utc_der)),
        ("BIT STRING of a DER GeneralizedTime", bit_string(&gen_der)),
        ("PrintableString", tlv(0x13, &utc_text)),
    ];
    let whole_seconds = |x: SystemTime| x.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    for (what, time_info) in variants {
        let der = v1_signature_with(&d, &seal, time_info);
        let v = verify_signature(&der, Some(&d)).unwrap();
        assert_eq!(v.parsed.version, SesVersion::V1, "{what}");
        let signed_at = v
            .signing_time()
            .unwrap_or_else(|| panic!("{what}: no time"));
        assert_eq!(whole_seconds(signed_at), whole_seconds(t), "{what}");
        for (step, check) in v.steps() {
            assert!(!check.is_failed(), "{what}: {step}: {check:?}");
        }
        assert!(v.is_valid(), "{what}");
        // One changed byte of the signed part fails.
        let mut bad = der.clone();
        let at = bad.windows(3).position(|w| w == b"PDF").unwrap();
        bad[at] = b'O';
        let v = verify_signature(&bad, Some(&d)).unwrap();
        assert!(!v.is_valid(), "{what}: tampered accepted");
    }
}

// --------------------------------------------------------------------- seal signatures

#[test]
fn ses_signature_round_trip() {
    let seal_der = seal();
    let der = signature_over(&seal_der);
    assert!(looks_like_ses_signature(&der));
    let typed = SesSignature::from_der(&der).unwrap();
    assert_eq!(typed.to_der().unwrap(), der);
    assert_eq!(typed.to_sign.version, 4);
    assert_eq!(typed.to_sign.eseal.to_der().unwrap(), seal_der);
    assert_eq!(
        typed.to_sign.data_hash.as_bytes(),
        Some(digest().as_slice())
    );

    let v = verify_signature(&der, Some(&digest())).unwrap();
    assert_all_passed(&v);
    assert_eq!(v.parsed.version, SesVersion::V4);
    assert_eq!(v.parsed.seal.der(), seal_der);
    assert_eq!(v.parsed.property_info, PDF_PROPERTY_INFO);
    assert_eq!(v.signer_certificate.as_ref(), Some(signer().1));
    assert_eq!(v.maker_certificate.as_ref(), Some(maker().1));
    assert_eq!(v.owner.as_ref().unwrap().code.code(), TEST_USCC);
    assert_eq!(v.timestamp, Check::NotChecked("no timestamp".into()));
    let t = v.signing_time().unwrap();
    assert!(t <= now() && t + Duration::from_secs(120) > now());

    // Zero padding from a PDF /Contents placeholder is ignored.
    let mut padded = der.clone();
    padded.extend([0u8; 500]);
    assert!(looks_like_ses_signature(&padded));
    assert!(verify_signature(&padded, Some(&digest()))
        .unwrap()
        .is_valid());
    // Without a digest the data hash is reported unchecked and the result is not valid.
    let v = verify_signature(&der, None).unwrap();
    assert!(matches!(v.data_hash, Check::NotChecked(_)));
    assert!(!v.is_valid());
}

#[test]
fn tampered_data_hash_is_caught() {
    let der = signature_over(&seal());
    let other = DigestAlgorithm::Sm3.hash(b"other bytes");
    let v = verify_signature(&der, Some(&other)).unwrap();
    assert_eq!(v.data_hash, Check::Failed(SesError::DataHashMismatch));
    assert!(v.signature.is_passed());
    assert!(!v.is_valid());
    assert_eq!(
        verify_signature(&der, Some(&other[..20]))
            .unwrap()
            .data_hash,
        Check::Failed(SesError::DataHashLength { got: 20 })
    );
    // Changing dataHash inside the signature breaks the signature over TBS_Sign.
    let d = digest();
    let at = der.windows(32).position(|w| w == d.as_slice()).unwrap();
    let mut bad = der.clone();
    bad[at..at + 32].copy_from_slice(&other);
    let v = verify_signature(&bad, Some(&other)).unwrap();
    assert!(v.data_hash.is_passed());
    assert_eq!(v.signature, Check::Failed(SesError::BadSignature));
    assert!(!v.is_valid());
}

#[test]
fn signer_not_in_cert_list_is_refused_and_flagged() {
    let seal_der = seal();
    let d = digest();
    let (k, c) = stranger();
    assert_eq!(
        make_signature(&seal_der, k, c, &sign_request(&d)),
        Err(SesError::SignerNotInCertList)
    );
    let tbs = TbsSign {
        version: 4,
        eseal: SesSeal::from_der(&seal_der).unwrap(),
        time_info: der::asn1::GeneralizedTime::from_system_time(now()).unwrap(),
        data_hash: BitString::from_bytes(&d).unwrap(),
        property_info: Ia5String::new("PDF").unwrap(),
        ext_datas: None,
    };
    let der = sign_tbs(k, c, tbs).unwrap().to_der().unwrap();
    let v = verify_signature(&der, Some(&d)).unwrap();
    assert!(v.signature.is_passed());
    assert_eq!(
        v.signer_listed,
        Check::Failed(SesError::SignerNotInCertList)
    );
    assert!(!v.is_valid());
    // Same for a seal listing digests.
    let der_digests = seal_with(CertListForm::Sm3Digests);
    assert_eq!(
        make_signature(&der_digests, k, c, &sign_request(&d)),
        Err(SesError::SignerNotInCertList)
    );
    // A key that is not the certificate's is refused.
    assert_eq!(
        make_signature(&seal_der, k, signer().1, &sign_request(&d)),
        Err(SesError::KeyNotCertified { whose: "signer" })
    );
}

#[test]
fn raw_r_s_signature_values_are_accepted() {
    // The maker's seal signature as raw r ‖ s.
    let (mk, mc) = maker();
    let info = seal_info(&request(CertListForm::Certificates)).unwrap();
    let sig = raw_rs(&mk.sign(&info.to_der().unwrap()).unwrap());
    assert_eq!(sig.len(), 64);
    let seal_der = SesSeal {
        seal_info: info,
        cert: OctetString::new(mc.to_der().unwrap()).unwrap(),
        sign_alg_id: Algorithm::Sm2.signature_oid(),
        signed_value: BitString::from_bytes(&sig).unwrap(),
    }
    .to_der()
    .unwrap();
    assert!(check_seal(&Seal::parse(&seal_der).unwrap(), now()).is_valid());

    // The signer's signature as raw r ‖ s.
    let typed = SesSignature::from_der(&signature_over(&seal_der)).unwrap();
    let (k, c) = signer();
    let der = hand_signature(&typed.to_sign.to_der().unwrap(), k, c, true, None);
    let v = verify_signature(&der, Some(&digest())).unwrap();
    assert_eq!(v.parsed.signature.len(), 64);
    assert_all_passed(&v);
    // A changed raw value fails.
    let mut bad = der.clone();
    let n = bad.len();
    bad[n - 5] ^= 0x01;
    let v = verify_signature(&bad, Some(&digest())).unwrap();
    assert_eq!(v.signature, Check::Failed(SesError::BadSignature));
}

fn ext_datas() -> Vec<ExtData> {
    vec![ExtData {
        extn_id: const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.38540.99").into(),
        critical: false,
        extn_value: OctetString::new(b"note".to_vec()).unwrap(),
    }]
}

#[test]
fn ext_datas_explicit_implicit_and_untagged_are_accepted() {
    let d = digest();
    let (k, c) = signer();
    let mut req = sign_request(&d);
    req.ext_datas = ext_datas();
    let explicit = make_signature(&seal(), k, c, &req).unwrap();
    let v = verify_signature(&explicit, Some(&d)).unwrap();
    assert_eq!(v.parsed.ext_datas_tagging, Some(Tagging::Explicit));
    assert_eq!(v.parsed.ext_datas, ext_datas());
    assert_all_passed(&v);

    let tbs = elements(&contents(&explicit))[0].clone();
    let fields = elements(&contents(&tbs));
    assert_eq!(fields.len(), 6);
    assert_eq!(fields[5][0], 0xA0);
    let seq_of = contents(&fields[5]); // the explicit [0] holds SEQUENCE OF ExtData
    let variants = [
        (Tagging::Implicit, tlv(0xA0, &contents(&seq_of))),
        (Tagging::Untagged, seq_of.clone()),
    ];
    for (tagging, field) in variants {
        let mut body: Vec<u8> = fields[..5].concat();
        body.extend(field);
        let der = hand_signature(&tlv(0x30, &body), k, c, false, None);
        let v = verify_signature(&der, Some(&d)).unwrap();
        assert_eq!(v.parsed.ext_datas_tagging, Some(tagging));
        assert_eq!(v.parsed.ext_datas, ext_datas(), "{tagging:?}");
        assert_all_passed(&v);
    }
}

#[test]
fn time_stamp_explicit_implicit_and_untagged_are_accepted() {
    let der = signature_over(&seal());
    let tbs = elements(&contents(&der))[0].clone();
    let (k, c) = signer();
    let token = tlv(0x30, &[0x02, 0x01, 0x05]); // stands in for an RFC 3161 token
    let mut implicit = vec![0x00];
    implicit.extend(&token);
    let variants = [
        (Tagging::Explicit, tlv(0xA0, &bit_string(&token))),
        (Tagging::Implicit, tlv(0x80, &implicit)),
        (Tagging::Untagged, bit_string(&token)),
    ];
    for (tagging, field) in variants {
        let der = hand_signature(&tbs, k, c, false, Some(field));
        let v = verify_signature(&der, Some(&digest())).unwrap();
        assert_eq!(v.parsed.time_stamp_tagging, Some(tagging));
        assert_eq!(
            v.parsed.time_stamp.as_deref(),
            Some(token.as_slice()),
            "{tagging:?}"
        );
        assert_eq!(
            v.timestamp,
            Check::NotChecked("a timestamp is present; it is not checked".into())
        );
        assert_all_passed(&v);
    }
    // The explicit form is also what the typed structure writes.
    let mut typed = SesSignature::from_der(&der).unwrap();
    typed.time_stamp = Some(BitString::from_bytes(&token).unwrap());
    let v = verify_signature(&typed.to_der().unwrap(), Some(&digest())).unwrap();
    assert_eq!(v.parsed.time_stamp_tagging, Some(Tagging::Explicit));
}

#[test]
fn every_prefix_and_random_flips_fail_without_panicking() {
    let seal_der = seal();
    let der = signature_over(&seal_der);
    let mc = maker().1;
    for n in 0..der.len() {
        assert!(SealSignature::parse(&der[..n]).is_err(), "prefix {n}");
        assert!(verify_signature(&der[..n], Some(&digest())).is_err());
        parse_for_fuzz(&der[..n]);
    }
    for n in 0..seal_der.len() {
        assert!(Seal::parse(&seal_der[..n]).is_err(), "seal prefix {n}");
    }
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..1500 {
        let mut bad = der.clone();
        let at = (next() % bad.len() as u64) as usize;
        let bit = 1u8 << (next() % 8);
        bad[at] ^= bit;
        parse_for_fuzz(&bad);
        if let Ok(v) = verify_signature(&bad, Some(&digest())) {
            assert!(
                !v.is_valid(),
                "flip of bit {bit:#04x} at {at} went unnoticed"
            );
        }
        let mut bad_seal = seal_der.clone();
        let at = (next() % bad_seal.len() as u64) as usize;
        bad_seal[at] ^= 1u8 << (next() % 8);
        if let Ok(s) = Seal::parse(&bad_seal) {
            // The maker certificate sits outside what the maker signs (version 4): a flip in
            // its unsigned parts leaves the key, and only its path validation catches it.
            assert!(
                !check_seal(&s, now()).is_valid() || s.maker_cert_der != mc.to_der().unwrap(),
                "seal flip at {at} went unnoticed"
            );
        }
    }
    for garbage in [
        &b""[..],
        b"\x30",
        b"\x30\x80\x00\x00",
        b"\x30\x84\xff\xff\xff\xff",
        b"%PDF-1.7",
    ] {
        assert!(SealSignature::parse(garbage).is_err());
        assert!(Seal::parse(garbage).is_err());
        assert!(!looks_like_ses_signature(garbage));
        parse_for_fuzz(garbage);
    }
}

#[test]
fn sniffing_tells_ses_from_cms() {
    let der = signature_over(&seal());
    assert!(looks_like_ses_signature(&der));
    // ContentInfo { contentType signedData, [0] { SignedData ... } } starts with an OID.
    let oid = const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    let mut ci = oid.to_der().unwrap();
    ci.extend(tlv(0xA0, &tlv(0x30, &[0x02, 0x01, 0x01])));
    assert!(!looks_like_ses_signature(&tlv(0x30, &ci)));
    // A seal on its own is not a seal signature.
    assert!(!looks_like_ses_signature(&seal()));
}

// ----------------------------------------------------------------------------- binding

#[test]
fn owner_code_mismatch_is_flagged() {
    let (mk, mc) = maker();
    // make_seal refuses a seal whose owner is not the certificates' organisation.
    let mut req = request(CertListForm::Certificates);
    req.owner.code = OwnerCode::enterprise(OTHER_USCC).unwrap();
    assert_eq!(
        make_seal(mk, mc, &req),
        Err(SesError::OwnerCodeMismatch {
            seal: OTHER_USCC.into(),
            certificate: TEST_USCC.into()
        })
    );
    // A seal made elsewhere with another owner code: the verifier flags it.
    let mut info = seal_info(&request(CertListForm::Certificates)).unwrap();
    let other = Owner {
        code: OwnerCode::enterprise(OTHER_USCC).unwrap(),
        name: None,
    };
    info.ext_datas = Some(vec![other.to_extension().unwrap()]);
    let seal_der = sign_seal_info(mk, mc, info).unwrap().to_der().unwrap();
    let v = verify_signature(&signature_over(&seal_der), Some(&digest())).unwrap();
    assert_eq!(
        v.owner_binding,
        Check::Failed(SesError::OwnerCodeMismatch {
            seal: OTHER_USCC.into(),
            certificate: TEST_USCC.into()
        })
    );
    assert!(
        v.signature.is_passed() && v.signer_listed.is_passed() && v.maker_signature.is_passed()
    );
    assert!(!v.is_valid());
    // A personal seal needs a resident ID number.
    let mut req = request(CertListForm::Certificates);
    req.seal_type = SealType::LegalRepresentative;
    assert!(matches!(
        make_seal(mk, mc, &req),
        Err(SesError::InvalidOwnerCode { .. })
    ));
}

#[test]
fn uscc_and_resident_id_are_validated() {
    assert_eq!(
        OwnerCode::enterprise("91350100m000100y43").unwrap(),
        OwnerCode::Uscc(TEST_USCC.into())
    );
    assert!(OwnerCode::enterprise(OTHER_USCC).is_ok());
    let err = OwnerCode::enterprise("11220000013544541K").unwrap_err();
    assert!(matches!(&err, SesError::InvalidOwnerCode { .. }));
    assert!(err.to_string().contains("expected 'J'"), "{err}");
    assert!(OwnerCode::enterprise("1122000001354454IJ").is_err());
    assert!(OwnerCode::person("11010519491231002X").is_ok());
    assert!(OwnerCode::person("440524188001010014").is_ok());
    assert!(OwnerCode::person("110105194912310021").is_err());
    assert!(OwnerCode::person("11010519491231002").is_err());
    assert_eq!(
        OwnerCode::for_seal_type(SealType::LegalRepresentative, "11010519491231002x").unwrap(),
        OwnerCode::ResidentId("11010519491231002X".into())
    );
    assert!(OwnerCode::for_seal_type(SealType::Finance, "11010519491231002X").is_err());
    // The extension round-trips and re-validates what it reads.
    let owner = Owner {
        code: OwnerCode::person("11010519491231002X").unwrap(),
        name: Some("张三".into()),
    };
    let ext = owner.to_extension().unwrap();
    assert_eq!(ext.extn_id.to_string(), "1.3.6.1.4.1.32473.38540.1");
    assert_eq!(Owner::from_extension(&ext).unwrap(), owner);
    let forged = Owner {
        code: OwnerCode::ResidentId("110105194912310021".into()),
        name: None,
    };
    assert!(Owner::from_extension(&forged.to_extension().unwrap()).is_err());
}

#[test]
fn seal_type_codes_and_names() {
    let table: Vec<(i64, &str)> = SealType::ALL.iter().map(|t| (t.code(), t.name())).collect();
    assert_eq!(
        table,
        [
            (1, "法定名称章"),
            (2, "财务专用章"),
            (3, "发票专用章"),
            (4, "合同专用章"),
            (5, "法定代表人名章"),
            (99, "其他")
        ]
    );
    assert_eq!("04".parse::<SealType>().unwrap(), SealType::Contract);
    assert_eq!("99".parse::<SealType>().unwrap(), SealType::Other);
    assert!("06".parse::<SealType>().is_err());
    assert_eq!(SealType::Invoice.to_string(), "03 发票专用章");
    assert_eq!(SealType::from_code(7), None);
}

// ------------------------------------------------------------------ independent checker

/// The interop venv's python (asn1crypto, gmssl); `None` (with a note) when absent outside CI.
fn interop_python() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME").unwrap_or_default();
    let py = std::path::Path::new(&home).join(".cache/eseal-interop/venv/bin/python");
    if py.exists() {
        return Some(py);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI: {} is missing; the independent GB/T 38540 check cannot run",
        py.display()
    );
    println!("NOTE: {} not found; ses_check.py skipped", py.display());
    None
}

fn ses_check(py: &std::path::Path, args: &[&str]) -> (bool, serde_json::Value) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/ses_check.py");
    let out = std::process::Command::new(py)
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("ses_check.py {}: {stdout}", args[0]);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), serde_json::from_str(line).unwrap())
}

fn assert_checks(json: &serde_json::Value, expected_true: &[&str]) {
    for name in expected_true {
        assert_eq!(
            json["checks"][name],
            serde_json::Value::Bool(true),
            "{name}: {json}"
        );
    }
}

#[test]
fn independent_checker_accepts_our_seals_and_signatures() {
    let Some(py) = interop_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, data: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p.to_str().unwrap().to_string()
    };
    let d = digest();
    let dhex = hex::encode(&d);
    for (form, name) in [
        (CertListForm::Certificates, "certs"),
        (CertListForm::Sm3Digests, "digests"),
    ] {
        let seal_der = seal_with(form);
        let (ok, json) = ses_check(&py, &["seal", &write(&format!("{name}.esl"), &seal_der)]);
        assert!(ok, "{json}");
        assert_checks(
            &json,
            &[
                "format",
                "header",
                "maker_signature",
                "validity",
                "cert_list",
                "picture",
                "owner_code",
            ],
        );
        assert_eq!(json["info"]["version"], 4);
        assert_eq!(json["info"]["owner"]["code"], TEST_USCC);

        let sig = signature_over(&seal_der);
        let path = write(&format!("{name}.der"), &sig);
        let (ok, json) = ses_check(&py, &["signature", &path, "--data-digest", &dhex]);
        assert!(ok, "{json}");
        assert_checks(
            &json,
            &[
                "signature",
                "signer_in_cert_list",
                "seal_maker_signature",
                "seal_validity",
                "data_hash",
                "owner_binding",
            ],
        );
        // The checker is not a rubber stamp: a wrong digest fails it.
        let (ok, json) = ses_check(
            &py,
            &["signature", &path, "--data-digest", &hex::encode([0u8; 32])],
        );
        assert!(!ok);
        assert_eq!(json["checks"]["data_hash"], false);
    }
    // A seal changed after signing fails there too.
    let der = seal();
    let at = der.windows(8).position(|w| w == b"not a wh").unwrap();
    let mut bad = der.clone();
    bad[at] ^= 0x20;
    let (ok, json) = ses_check(&py, &["seal", &write("bad.esl", &bad)]);
    assert!(!ok);
    assert_eq!(json["checks"]["maker_signature"], false);
    // Raw r||s values and an implicit timestamp, as other producers write them.
    let typed = SesSignature::from_der(&signature_over(&seal())).unwrap();
    let (k, c) = signer();
    let token = tlv(0x30, &[0x02, 0x01, 0x05]);
    let mut implicit = vec![0x00];
    implicit.extend(&token);
    let raw = hand_signature(
        &typed.to_sign.to_der().unwrap(),
        k,
        c,
        true,
        Some(tlv(0x80, &implicit)),
    );
    let (ok, json) = ses_check(
        &py,
        &["signature", &write("raw.der", &raw), "--data-digest", &dhex],
    );
    assert!(ok, "{json}");
    assert_eq!(json["info"]["timestamp_present"], true);
    // GM/T 0031 version 1 seal.
    let (ok, json) = ses_check(&py, &["seal", &write("v1.esl", &v1_seal())]);
    assert!(ok, "{json}");
    assert_eq!(json["info"]["version"], 1);
    let (ok, json) = ses_check(
        &py,
        &[
            "signature",
            &write("v1.der", &v1_signature(&d)),
            "--data-digest",
            &dhex,
        ],
    );
    assert!(ok, "{json}");
    assert_eq!(json["info"]["version"], 1);
    assert_checks(
        &json,
        &[
            "signature",
            "signer_in_cert_list",
            "seal_maker_signature",
            "seal_validity",
            "data_hash",
        ],
    );
}
