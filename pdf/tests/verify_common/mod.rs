//! Helpers for the verifier tests: a test PKI, a base document with a font, an unused
//! alternative content stream, an overlay annotation and two text fields, sealing with our
//! signer, crafted incremental updates, and a signer that breaks the CMS rules on purpose.
#![allow(dead_code)]

use std::io::{Cursor, Read};
use std::time::{Duration, SystemTime};

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerInfos};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use eseal_certs::crl::Revocation;
use eseal_certs::testing::TestPki;
use eseal_certs::{inspect, Algorithm, SigningKey};
use eseal_pdf::seal::{seal, Sealer};
use eseal_pdf::sign::{sign_incremental, ContentSigner, SignOptions};
use eseal_pdf::verify::{verify_bytes, Indication, Report, SubIndication, VerifyOptions};
use eseal_pdf::writer::serialize::write_object;
use eseal_pdf::{ObjRef, PdfReader};

use super::common::{append_update, classic_pdf, stream_body};

pub fn pki() -> TestPki {
    TestPki::new(Algorithm::P256).expect("test PKI")
}

/// One page with text in font /F1 (object 5), an overlay square annotation (object 6) in
/// `/Annots`, an unused alternative content stream (object 7), and an AcroForm with two text
/// fields `Name` (8) and `Note` (9).
pub fn base_pdf() -> Vec<u8> {
    let objs = vec![
        (
            1,
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [8 0 R 9 0 R] >> >>".to_vec(),
        ),
        (
            2,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_vec(),
        ),
        (
            3,
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 8 0 R 9 0 R] >>".to_vec(),
        ),
        (4, stream_body("", b"BT /F1 12 Tf 72 720 Td (Licence: granted) Tj ET")),
        (
            5,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        ),
        (
            6,
            b"<< /Type /Annot /Subtype /Square /Rect [60 700 300 740] /IC [1 1 1] /P 3 0 R >>".to_vec(),
        ),
        (7, stream_body("", b"BT /F1 12 Tf 72 720 Td (Licence: REVOKED) Tj ET")),
        (
            8,
            b"<< /FT /Tx /T (Name) /V (Alice) /Type /Annot /Subtype /Widget /Rect [72 600 272 620] /P 3 0 R >>".to_vec(),
        ),
        (
            9,
            b"<< /FT /Tx /T (Note) /V (none) /Type /Annot /Subtype /Widget /Rect [72 560 272 580] /P 3 0 R >>".to_vec(),
        ),
    ];
    classic_pdf(&objs, "")
}

pub fn sealer_opts() -> SignOptions {
    SignOptions::default()
}

/// Seals with the PKI's leaf (intermediate embedded).
pub fn seal_with(pki: &TestPki, pdf: &[u8], opts: &SignOptions) -> Vec<u8> {
    let chain = [pki.intermediate.clone()];
    let sealer = Sealer {
        key: &pki.leaf_key,
        certificate: &pki.leaf,
        chain: &chain,
        reserve: None,
    };
    let mut out = Cursor::new(Vec::new());
    seal(&mut Cursor::new(pdf), &mut out, opts, &sealer).expect("seal");
    out.into_inner()
}

/// Trust the PKI's root, with an empty CRL from the intermediate.
pub fn options(pki: &TestPki) -> VerifyOptions {
    VerifyOptions {
        trust_anchors: vec![pki.root.clone().into()],
        crls: vec![pki.intermediate_crl(&[]).expect("crl")],
        at: None,
        file_name: None,
        ..Default::default()
    }
}

pub fn verify(pdf: &[u8], opts: &VerifyOptions) -> Report {
    verify_bytes(pdf, opts).expect("verifiable input")
}

/// Saves a test document when `ESEAL_VERIFY_SAVE` names a folder (seeds for the fuzzers).
pub fn save(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("ESEAL_VERIFY_SAVE") {
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(std::path::Path::new(&dir).join(format!("{name}.pdf")), pdf);
    }
}

/// Asserts every signature passed, printing the report otherwise.
pub fn assert_all_passed(r: &Report) {
    assert!(
        r.passed()
            && r.signatures
                .iter()
                .all(|s| s.indication == Indication::TotalPassed),
        "expected TOTAL-PASSED:\n{}",
        r.to_text()
    );
}

/// Asserts signature `i` has this indication and sub-indication.
pub fn assert_sig(r: &Report, i: usize, ind: Indication, sub: SubIndication) {
    let s = r
        .signatures
        .get(i)
        .unwrap_or_else(|| panic!("no signature {i}:\n{}", r.to_text()));
    assert_eq!(
        (s.indication, s.sub_indication),
        (ind, Some(sub)),
        "signature {i}:\n{}",
        r.to_text()
    );
    assert!(!r.passed());
}

/// Whether some disallowed change of signature `i` mentions `needle`.
pub fn disallowed_mentions(r: &Report, i: usize, needle: &str) -> bool {
    r.signatures[i]
        .disallowed_changes
        .iter()
        .any(|c| c.description.contains(needle))
}

/// `/Size` of the newest trailer.
pub fn size(pdf: &[u8]) -> u32 {
    PdfReader::open(Cursor::new(pdf)).unwrap().size()
}

/// Object `num` as the newest revision has it, serialised (for redefinitions).
pub fn object_body(pdf: &[u8], num: u32) -> Vec<u8> {
    let mut r = PdfReader::open(Cursor::new(pdf)).unwrap();
    let o = r.get(ObjRef::new(num, 0)).unwrap();
    let mut b = Vec::new();
    write_object(&mut b, &o).unwrap();
    b
}

/// Object `num` as text (for editing).
pub fn object_text(pdf: &[u8], num: u32) -> String {
    String::from_utf8_lossy(&object_body(pdf, num)).into_owned()
}

/// Appends a classic incremental update (xref table, trailer with /Prev).
pub fn append(pdf: &[u8], objs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = pdf.to_vec();
    let max = objs.iter().map(|(n, _)| n + 1).max().unwrap_or(0);
    append_update(&mut out, objs, size(pdf).max(max));
    out
}

/// Revokes the PKI's leaf at `at` in a fresh intermediate CRL.
pub fn revoked_options(pki: &TestPki, at: SystemTime) -> VerifyOptions {
    let serial = inspect::serial_hex(&pki.leaf);
    let crl = pki
        .intermediate_crl(&[Revocation {
            serial_hex: serial,
            revoked_at: at,
            reason: x509_cert::ext::pkix::crl::CrlReason::KeyCompromise,
        }])
        .unwrap();
    VerifyOptions {
        crls: vec![crl],
        ..options(pki)
    }
}

pub fn hours(h: u64) -> Duration {
    Duration::from_secs(h * 3600)
}

/// How a [`RuleBreakingSigner`] breaks the CMS.
#[derive(Clone, Copy)]
pub enum Forgery {
    /// Sign the content itself, without signed attributes.
    NoSignedAttributes,
    /// Drop ESS signing-certificate-v2 and sign again.
    NoEss,
}

/// A content signer that holds the real key but breaks the PAdES rules.
pub struct RuleBreakingSigner<'a> {
    pub pki: &'a TestPki,
    pub forgery: Forgery,
    pub data: Vec<u8>,
}

impl ContentSigner for RuleBreakingSigner<'_> {
    fn reserved_len(&self) -> usize {
        8192
    }
    fn update(&mut self, chunk: &[u8]) {
        self.data.extend_from_slice(chunk);
    }
    fn finish(&mut self) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let key = &self.pki.leaf_key;
        let digest = Algorithm::P256.digest().hash(&self.data);
        let der = eseal_signer::cms::sign_detached(
            key,
            &self.pki.leaf,
            std::slice::from_ref(&self.pki.intermediate),
            &digest,
            &eseal_signer::cms::SignOptions::default(),
        )?;
        let mut ci = ContentInfo::from_der(&der)?;
        let mut sd: SignedData = ci.content.decode_as()?;
        let mut si = sd.signer_infos.0.as_slice()[0].clone();
        let tbs = match self.forgery {
            Forgery::NoSignedAttributes => {
                si.signed_attrs = None;
                self.data.clone()
            }
            Forgery::NoEss => {
                let attrs: Vec<_> = si
                    .signed_attrs
                    .take()
                    .unwrap()
                    .into_vec()
                    .into_iter()
                    .filter(|a| a.oid.to_string() != "1.2.840.113549.1.9.16.2.47")
                    .collect();
                let set = SetOfVec::try_from(attrs)?;
                let tbs = set.to_der()?;
                si.signed_attrs = Some(set);
                tbs
            }
        };
        let digest = key.public_key().signing_digest(&tbs)?;
        si.signature = OctetString::new(key.sign_digest(&digest)?)?;
        sd.signer_infos = SignerInfos::try_from(vec![si])?;
        ci.content = Any::encode_from(&sd)?;
        Ok(ci.to_der()?)
    }
}

pub fn forged(pki: &TestPki, pdf: &[u8], forgery: Forgery) -> Vec<u8> {
    let mut signer = RuleBreakingSigner {
        pki,
        forgery,
        data: Vec::new(),
    };
    let mut out = Cursor::new(Vec::new());
    sign_incremental(
        &mut Cursor::new(pdf),
        &mut out,
        &SignOptions::default(),
        &mut signer,
    )
    .expect("sign");
    out.into_inner()
}

pub fn read_all(mut r: impl Read) -> Vec<u8> {
    let mut v = Vec::new();
    r.read_to_end(&mut v).unwrap();
    v
}

/// A page dictionary's text with `n 0 R` appended to its inline `/Annots`.
pub fn append_to_annots(page: &str, n: u32) -> String {
    let at = page.find("/Annots [").expect("inline /Annots");
    let close = at + page[at..].find(']').unwrap();
    format!("{} {n} 0 R{}", &page[..close], &page[close..])
}
