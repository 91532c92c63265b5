//! The change rules aligned with ISO 32000-2 §12.8.2.2 (Table 257), the `/Lock /P` of
//! Table 236 and ETSI EN 319 142-1 §5.4: each rule
//! shown on a document made here (our signer, then a crafted incremental update), allowed where
//! its permission holds and refused where it does not, and named in the report.
//! Set `ESEAL_VERIFY_SAVE=DIR` to keep the documents.
//!
//! Each test notes, as "pyHanko:", what pyHanko's difference analysis (the interop kit's
//! pinned version, `pyhanko sign validate`, its standard diff policy) said of the saved
//! document. Where it is stricter, the reason is given: its standard policy has no rules for
//! annotations or the structure tree, and it counts anything a new field brings in beyond the
//! field itself (an empty appearance stream) as form filling.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::io::Cursor;
use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use eseal_certs::issue::{issue, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::testing::TestPki;
use eseal_certs::{Algorithm, Certificate, DigestAlgorithm, SigningKey, SoftwareKey};
use eseal_pdf::pades::{add_document_timestamp, add_dss, embedded_material, ValidationData};
use eseal_pdf::sign::{SignOptions, SignatureTarget};
use eseal_pdf::verify::{Indication, Report, SubIndication};
use eseal_signer::tsp::{Accuracy, Request, Tsa};

use common::{classic_pdf, stream_body};
use verify_common::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const FAILED: Indication = Indication::TotalFailed;

fn certified(p: u8) -> SignOptions {
    SignOptions {
        certify: Some(p),
        ..Default::default()
    }
}

/// Whether signature `i` has an allowed change under `rule`.
fn allowed_by(r: &Report, i: usize, rule: &str) -> bool {
    r.signatures[i]
        .allowed_changes
        .iter()
        .any(|c| c.rule.as_deref() == Some(rule))
}

fn assert_failed(r: &Report, needle: &str) {
    assert_sig(r, 0, FAILED, SubIndication::DisallowedChange);
    assert!(disallowed_mentions(r, 0, needle), "{}", r.to_text());
}

/// Keeps the root as `root.der` next to the saved documents (for the other validators).
fn save_root(pki: &TestPki) {
    if let Some(dir) = std::env::var_os("ESEAL_VERIFY_SAVE") {
        use der::Encode;
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(
            std::path::Path::new(&dir).join("root.der"),
            pki.root.to_der().unwrap(),
        );
    }
}

// ---- P=1: validation data only ----------------------------------------------------------

/// A TSA under the PKI's intermediate.
struct TestTsa {
    key: SoftwareKey,
    cert: Certificate,
    intermediate: Certificate,
}

impl TestTsa {
    fn new(pki: &TestPki) -> Self {
        let key = SoftwareKey::generate(Algorithm::P256).unwrap();
        let cert = issue(
            &Issuer {
                certificate: &pki.intermediate,
                key: &pki.intermediate_key,
            },
            &CertRequest::new(
                SubjectName::common("Rules TSA").to_name().unwrap(),
                key.public_key().clone(),
                CertKind::TimeStamping,
                30,
            ),
        )
        .unwrap();
        TestTsa {
            key,
            cert,
            intermediate: pki.intermediate.clone(),
        }
    }

    fn token(&self, alg: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, BoxError> {
        let tsa = Tsa {
            key: &self.key,
            certificate: &self.cert,
            chain: std::slice::from_ref(&self.intermediate),
            policy: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.7"),
            accuracy: Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            },
        };
        let req = Request::new(alg, digest)?;
        let answer = tsa.respond(&req.to_der()?, &[1], SystemTime::now())?;
        Ok(req.read_response(&answer.der)?.der().to_vec())
    }
}

/// `eseal archive`: the embedded certificates and the CRLs into the DSS, then a document
/// timestamp.
fn archive(pki: &TestPki, tsa: &TestTsa, pdf: &[u8]) -> Vec<u8> {
    let mut data = ValidationData::default();
    for c in embedded_material(Cursor::new(pdf)).unwrap().certificates {
        data.add_certificate(&c).unwrap();
    }
    data.add_certificate(&pki.root).unwrap();
    data.add_crl(eseal_certs::crl::crl_to_der(&pki.intermediate_crl(&[]).unwrap()).unwrap());
    let mut with_dss = Cursor::new(Vec::new());
    add_dss(&mut Cursor::new(pdf), &mut with_dss, &data).unwrap();
    let with_dss = with_dss.into_inner();
    let stamp = |alg: DigestAlgorithm, digest: &[u8]| tsa.token(alg, digest);
    let mut out = Cursor::new(Vec::new());
    add_document_timestamp(&mut Cursor::new(&with_dss), &mut out, &stamp).unwrap();
    out.into_inner()
}

/// ISO 32000-2 §12.8.2.2.1 / ETSI EN 319 142-1 §5.4: a DSS and a document timestamp do not
/// break a P=1 certification, so an archived P=1 document passes; a form filled in it still
/// fails. pyHanko: stricter, it rejects this file: it clears a new invisible document
/// timestamp field at its LTA level but the empty `/AP` stream our signer gives the widget at
/// form-filling level, which P=1 forbids (a signer matter, not a change rule).
#[test]
fn archived_p1_certified_document_passes() {
    let pki = pki();
    let tsa = TestTsa::new(&pki);
    let p1 = seal_with(&pki, &base_pdf(), &certified(1));
    let archived = archive(&pki, &tsa, &p1);
    save("rules_p1_archived", &archived);
    save_root(&pki);
    let r = verify(&archived, &options(&pki));
    assert_all_passed(&r);
    assert_eq!(r.signatures.len(), 2, "{}", r.to_text());
    for rule in ["AddDss", "AddDocTimeStamp", "PageAnnotsAppendWidget"] {
        assert!(allowed_by(&r, 0, rule), "{rule}:\n{}", r.to_text());
    }
    // Archived twice: the second DSS extends the first.
    let twice = archive(&pki, &tsa, &archived);
    assert_all_passed(&verify(&twice, &options(&pki)));
    // Anything else after P=1 still fails.
    let note = object_text(&archived, 9).replacen("/V (none)", "/V (filled)", 1);
    let filled = append(&archived, &[(9, note.into_bytes())]);
    assert_failed(&verify(&filled, &options(&pki)), "P=1");
}

/// An archiving tool records itself in the XMP metadata (and /Info) in the revision that adds
/// validation data, as pyHanko's `timestamp_pdf` does: allowed at P=1 beside the DSS update,
/// not alone. pyHanko: the same (metadata is cleared at its LTA_UPDATES level); on its own
/// archive of the interop kit's P=1 sample, our verifier now passes where it failed.
#[test]
fn metadata_beside_validation_data_is_allowed_at_p1() {
    let pki = pki();
    let tsa = TestTsa::new(&pki);
    let archived = archive(&pki, &tsa, &seal_with(&pki, &base_pdf(), &certified(1)));
    let catalog = object_text(&archived, 1);
    let at = catalog.find("/DSS ").unwrap() + 5;
    let dss: u32 = catalog[at..].split(' ').next().unwrap().parse().unwrap();
    let n = size(&archived);
    let xmp = stream_body(
        " /Type /Metadata /Subtype /XML",
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><pdf:Producer xmlns:pdf='http://ns.adobe.com/pdf/1.3/'>archiver</pdf:Producer></x:xmpmeta>",
    );
    let with_xmp = catalog.replacen(
        "/Type /Catalog",
        &format!("/Type /Catalog /Metadata {n} 0 R"),
        1,
    );
    let vri = object_text(&archived, dss).replacen("<<", "<< /VRI << >>", 1);
    let beside = append(
        &archived,
        &[
            (1, with_xmp.clone().into_bytes()),
            (dss, vri.into_bytes()),
            (n, xmp.clone()),
        ],
    );
    save("rules_p1_metadata_beside_dss", &beside);
    let r = verify(&beside, &options(&pki));
    assert_all_passed(&r);
    assert!(allowed_by(&r, 0, "MetadataUpdate"), "{}", r.to_text());
    let alone = append(&archived, &[(1, with_xmp.into_bytes()), (n, xmp)]);
    assert_failed(&verify(&alone, &options(&pki)), "P=1");
}

/// The catalog's `/Version` and `/Extensions` (the ESIC extension level a PAdES signer
/// declares) are validation bookkeeping, allowed at P=1. pyHanko: the same ("signature
/// maintenance", compatible with P=1).
#[test]
fn version_and_extensions_are_allowed_at_p1() {
    let pki = pki();
    let p1 = seal_with(&pki, &base_pdf(), &certified(1));
    let catalog = object_text(&p1, 1).replacen(
        "/Type /Catalog",
        "/Type /Catalog /Version /2.0 /Extensions << /ESIC << /BaseVersion /1.7 /ExtensionLevel 5 >> >>",
        1,
    );
    let declared = append(&p1, &[(1, catalog.into_bytes())]);
    save("rules_p1_extensions", &declared);
    let r = verify(&declared, &options(&pki));
    assert_all_passed(&r);
    assert!(
        allowed_by(&r, 0, "CatalogVersionOrExtensions"),
        "{}",
        r.to_text()
    );
    // /Extensions that is not made of extension dictionaries is not explained.
    let catalog = object_text(&p1, 1).replacen(
        "/Type /Catalog",
        "/Type /Catalog /Extensions << /ESIC << /CA 0 >> >>",
        1,
    );
    let odd = append(&p1, &[(1, catalog.into_bytes())]);
    assert_failed(&verify(&odd, &options(&pki)), "/Extensions");
    // /Version as something other than a name is not explained.
    let catalog = object_text(&p1, 1).replacen("/Type /Catalog", "/Type /Catalog /Version 2", 1);
    let odd = append(&p1, &[(1, catalog.into_bytes())]);
    assert_failed(&verify(&odd, &options(&pki)), "/Version");
}

// ---- /Lock /P ---------------------------------------------------------------------------

/// The base document plus an empty signature field `Approval` (object 10, invisible) whose
/// `/Lock` (object 11) locks `Note` and carries `/P p`.
fn with_locked_field(p: u8) -> Vec<u8> {
    let objs = vec![
        (
            1,
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [8 0 R 9 0 R 10 0 R] >> >>"
                .to_vec(),
        ),
        (
            2,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_vec(),
        ),
        (
            3,
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [8 0 R 9 0 R 10 0 R] >>".to_vec(),
        ),
        (4, stream_body("", b"BT /F1 12 Tf 72 720 Td (Licence: granted) Tj ET")),
        (5, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec()),
        (6, b"<< >>".to_vec()),
        (7, b"<< >>".to_vec()),
        (
            8,
            b"<< /FT /Tx /T (Name) /V (Alice) /Type /Annot /Subtype /Widget /Rect [72 600 272 620] /P 3 0 R >>".to_vec(),
        ),
        (
            9,
            b"<< /FT /Tx /T (Note) /V (none) /Type /Annot /Subtype /Widget /Rect [72 560 272 580] /P 3 0 R >>".to_vec(),
        ),
        (
            10,
            b"<< /FT /Sig /T (Approval) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 2 /P 3 0 R /Lock 11 0 R >>".to_vec(),
        ),
        (
            11,
            format!("<< /Type /SigFieldLock /Action /Include /Fields [(Note)] /P {p} >>")
                .into_bytes(),
        ),
    ];
    classic_pdf(&objs, "")
}

fn sign_locked(pki: &TestPki, p: u8) -> Vec<u8> {
    let opts = SignOptions {
        target: SignatureTarget::ExistingField("Approval".into()),
        ..Default::default()
    };
    let signed = seal_with(pki, &with_locked_field(p), &opts);
    assert_all_passed(&verify(&signed, &options(pki)));
    signed
}

/// A note annotation (small, allowed at P=3) appended to page 1 (object 3).
fn add_note(pdf: &[u8]) -> Vec<u8> {
    let n = size(pdf);
    let page = append_to_annots(&object_text(pdf, 3), n);
    append(
        pdf,
        &[
            (3, page.into_bytes()),
            (
                n,
                b"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (seen) >>".to_vec(),
            ),
        ],
    )
}

/// `/Lock /P 1`: once `Approval` is signed, nothing may follow, not even a signature (before,
/// a later signature was accepted). pyHanko: the same (the first signature's modifications
/// "incompatible with the current document modification policy").
#[test]
fn lock_p1_then_a_signature_fails() {
    let pki = pki();
    let locked = sign_locked(&pki, 1);
    let after = seal_with(&pki, &locked, &SignOptions::default());
    save("rules_lock_p1_signed_again", &after);
    let r = verify(&after, &options(&pki));
    assert_failed(&r, "/Lock has /P 1");
    assert_eq!(r.signatures[1].indication, Indication::TotalPassed);
    // Validation data stays allowed, as under a P=1 certification.
    let tsa = TestTsa::new(&pki);
    assert_all_passed(&verify(&archive(&pki, &tsa, &locked), &options(&pki)));
}

/// `/Lock /P 2`: signing and filling unlocked fields may follow, annotations may not; the
/// field lock (`Note`) still holds. `/Lock /P 3` allows the annotation. pyHanko: P 2 + new
/// signature compatible, the same.
#[test]
fn lock_p2_allows_signing_and_p3_annotations() {
    let pki = pki();
    let locked = sign_locked(&pki, 2);
    let after = seal_with(&pki, &locked, &SignOptions::default());
    save("rules_lock_p2_signed_again", &after);
    let r = verify(&after, &options(&pki));
    assert_all_passed(&r);
    assert!(allowed_by(&r, 0, "AddSignatureField"), "{}", r.to_text());
    assert_failed(&verify(&add_note(&locked), &options(&pki)), "/Lock level");
    let filled = object_text(&locked, 9).replacen("/V (none)", "/V (x)", 1);
    let filled = append(&locked, &[(9, filled.into_bytes())]);
    assert_failed(&verify(&filled, &options(&pki)), "locked");

    let locked3 = sign_locked(&pki, 3);
    let r = verify(&add_note(&locked3), &options(&pki));
    assert_all_passed(&r);
    assert!(allowed_by(&r, 0, "AnnotationUnderP3"), "{}", r.to_text());
}

// ---- The form's defaults ------------------------------------------------------------------

/// `/DA`, `/DR` and `/NeedAppearances` of the AcroForm are form-filling bookkeeping: allowed
/// at P=2, not at P=1. pyHanko: P=2 compatible ("signing and form filling"), the same.
#[test]
fn acroform_defaults_at_p2_not_p1() {
    let pki = pki();
    let defaults = |pdf: &[u8]| {
        let n = size(pdf);
        let catalog = object_text(pdf, 1).replacen(
            "/Fields [",
            &format!("/DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv {n} 0 R >> >> /NeedAppearances true /Fields ["),
            1,
        );
        append(
            pdf,
            &[
                (1, catalog.into_bytes()),
                (
                    n,
                    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
                ),
            ],
        )
    };
    let p2 = seal_with(&pki, &base_pdf(), &certified(2));
    let changed = defaults(&p2);
    save("rules_acroform_defaults_p2", &changed);
    let r = verify(&changed, &options(&pki));
    assert_all_passed(&r);
    assert!(allowed_by(&r, 0, "AcroFormDefaults"), "{}", r.to_text());
    let p1 = seal_with(&pki, &base_pdf(), &certified(1));
    assert_failed(&verify(&defaults(&p1), &options(&pki)), "P=1");
}

// ---- Structure tree -----------------------------------------------------------------------

/// The base document, tagged: a structure tree root (10) with one `/Document` element (11)
/// and a parent tree (12).
fn tagged() -> Vec<u8> {
    let mut objs = vec![
        (
            1,
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [8 0 R 9 0 R] >> /StructTreeRoot 10 0 R /MarkInfo << /Marked true >> >>".to_vec(),
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
        (5, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec()),
        (
            6,
            b"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (old note) >>"
                .to_vec(),
        ),
        (7, b"<< >>".to_vec()),
        (
            8,
            b"<< /FT /Tx /T (Name) /V (Alice) /Type /Annot /Subtype /Widget /Rect [72 600 272 620] /P 3 0 R >>".to_vec(),
        ),
        (
            9,
            b"<< /FT /Tx /T (Note) /V (none) /Type /Annot /Subtype /Widget /Rect [72 560 272 580] /P 3 0 R >>".to_vec(),
        ),
        (
            10,
            b"<< /Type /StructTreeRoot /K 11 0 R /ParentTree 12 0 R /ParentTreeNextKey 0 >>"
                .to_vec(),
        ),
        (
            11,
            b"<< /Type /StructElem /S /Document /P 10 0 R /K [] >>".to_vec(),
        ),
        (12, b"<< /Nums [] >>".to_vec()),
    ];
    objs.sort_by_key(|(n, _)| *n);
    classic_pdf(&objs, "")
}

/// A note added with its structure element, parent tree entry and the page's tab order.
fn note_with_structure(pdf: &[u8], with_note: bool) -> Vec<u8> {
    let n = size(pdf);
    let (note, elem) = (n, n + 1);
    let mut page = object_text(pdf, 3).replacen("/Type /Page", "/Type /Page /Tabs /S", 1);
    if with_note {
        page = append_to_annots(&page, note);
    }
    let mut objs = vec![
        (3, page.into_bytes()),
        (
            note,
            b"<< /Type /Annot /Subtype /Text /Rect [40 10 60 30] /Contents (new) /StructParent 0 >>".to_vec(),
        ),
        (
            elem,
            format!("<< /Type /StructElem /S /Annot /P 11 0 R /K << /Type /OBJR /Obj {note} 0 R >> >>").into_bytes(),
        ),
        (
            10,
            b"<< /Type /StructTreeRoot /K 11 0 R /ParentTree 12 0 R /ParentTreeNextKey 1 >>"
                .to_vec(),
        ),
        (
            11,
            format!("<< /Type /StructElem /S /Document /P 10 0 R /K [{elem} 0 R] >>").into_bytes(),
        ),
        (12, format!("<< /Nums [0 {elem} 0 R] >>").into_bytes()),
    ];
    objs.sort_by_key(|(n, _)| *n);
    append(pdf, &objs)
}

/// Structure updates (tagged PDF) follow an allowed annotation; alone, or beside an
/// annotation the level forbids, they fail. pyHanko: stricter, it rejects both (its standard
/// policy explains structure tree objects only as paths to existing fields).
#[test]
fn structure_updates_follow_an_annotation() {
    let pki = pki();
    let signed = seal_with(&pki, &tagged(), &SignOptions::default());
    assert_all_passed(&verify(&signed, &options(&pki)));
    let noted = note_with_structure(&signed, true);
    save("rules_structure_with_note", &noted);
    let r = verify(&noted, &options(&pki));
    assert_all_passed(&r);
    for rule in ["StructureForAnnotation", "AnnotationUnderP3"] {
        assert!(allowed_by(&r, 0, rule), "{rule}:\n{}", r.to_text());
    }
    let alone = note_with_structure(&signed, false);
    save("rules_structure_alone", &alone);
    assert_failed(
        &verify(&alone, &options(&pki)),
        "no annotation or signature change",
    );
    let p2 = seal_with(&pki, &tagged(), &certified(2));
    assert_failed(
        &verify(&note_with_structure(&p2, true), &options(&pki)),
        "StructureForAnnotation",
    );
    // A structure element rewritten (not appended to) is not explained.
    let elem = object_text(&signed, 11).replacen("/S /Document", "/S /Part", 1);
    let changed = append(&signed, &[(11, elem.into_bytes())]);
    assert_failed(&verify(&changed, &options(&pki)), "structure element");
}

/// A new (empty, invisible) signature field added to a tagged document with its structure
/// element: the structure changes take the field's permission (P=2: allowed; P=1: not).
/// pyHanko: stricter, it rejects the P=2 file too (new structure elements are unexplained
/// objects to it).
#[test]
fn structure_updates_follow_a_signature_field() {
    let pki = pki();
    let add_field = |pdf: &[u8]| {
        let n = size(pdf);
        let (field, elem) = (n, n + 1);
        let catalog =
            object_text(pdf, 1).replacen("/Fields [", &format!("/Fields [{field} 0 R "), 1);
        let catalog = {
            // Appended at the end of the list, as signers do.
            let at = catalog.find("/Fields [").unwrap();
            let close = at + catalog[at..].find(']').unwrap();
            let list = catalog[at..close].replacen(&format!("{field} 0 R "), "", 1);
            format!("{}{list} {field} 0 R{}", &catalog[..at], &catalog[close..])
        };
        let page = append_to_annots(&object_text(pdf, 3), field);
        let mut objs = vec![
            (1, catalog.into_bytes()),
            (3, page.into_bytes()),
            (
                10,
                b"<< /Type /StructTreeRoot /K 11 0 R /ParentTree 12 0 R /ParentTreeNextKey 1 >>"
                    .to_vec(),
            ),
            (
                11,
                format!("<< /Type /StructElem /S /Document /P 10 0 R /K [{elem} 0 R] >>")
                    .into_bytes(),
            ),
            (12, format!("<< /Nums [0 {elem} 0 R] >>").into_bytes()),
            (
                field,
                b"<< /FT /Sig /T (Later) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 2 /P 3 0 R /StructParent 0 >>".to_vec(),
            ),
            (
                elem,
                format!("<< /Type /StructElem /S /Form /P 11 0 R /K << /Type /OBJR /Obj {field} 0 R >> >>").into_bytes(),
            ),
        ];
        objs.sort_by_key(|(n, _)| *n);
        append(pdf, &objs)
    };
    let p2 = seal_with(&pki, &tagged(), &certified(2));
    let added = add_field(&p2);
    save("rules_structure_with_field", &added);
    let r = verify(&added, &options(&pki));
    assert_all_passed(&r);
    for rule in [
        "StructureForAnnotation",
        "AddSignatureField",
        "PageAnnotsAppendWidget",
    ] {
        assert!(allowed_by(&r, 0, rule), "{rule}:\n{}", r.to_text());
    }
    let p1 = seal_with(&pki, &tagged(), &certified(1));
    assert_failed(
        &verify(&add_field(&p1), &options(&pki)),
        "StructureForAnnotation",
    );
}

// ---- Annotation removal -------------------------------------------------------------------

/// Removing a comment is allowed at P=3 and without certification (Table 257: P=3 permits
/// annotation deletion), not at P=2; removing a covering annotation stays a shadow-hide attack
/// (verify_attacks.rs). pyHanko: stricter, it rejects the removal with and without
/// certification (its standard policy has no annotation rules; the page change is
/// unexplained to it).
#[test]
fn comment_removal_at_p3_and_without_certification() {
    let pki = pki();
    let remove = |pdf: &[u8]| {
        let page = object_text(pdf, 3).replacen("6 0 R ", "", 1);
        append(pdf, &[(3, page.into_bytes())])
    };
    for (name, opts) in [("plain", SignOptions::default()), ("p3", certified(3))] {
        let signed = seal_with(&pki, &tagged(), &opts);
        let removed = remove(&signed);
        save(&format!("rules_comment_removed_{name}"), &removed);
        let r = verify(&removed, &options(&pki));
        assert_all_passed(&r);
        assert!(allowed_by(&r, 0, "AnnotationRemoval"), "{}", r.to_text());
    }
    let p2 = seal_with(&pki, &tagged(), &certified(2));
    assert_failed(&verify(&remove(&p2), &options(&pki)), "AnnotationRemoval");
    // A form field's widget may not go.
    let signed = seal_with(&pki, &tagged(), &SignOptions::default());
    let page = object_text(&signed, 3).replacen("8 0 R ", "", 1);
    let gone = append(&signed, &[(3, page.into_bytes())]);
    assert_failed(&verify(&gone, &options(&pki)), "widget was removed");
}

/// A new annotation may stand before the ones that were signed (some writers put a new
/// signature widget first; pyHanko and EU DSS compare these arrays as sets), but what was
/// signed keeps its order: swapping two annotations changes which is drawn over which, and
/// reordering the form's fields is no change a rule explains.
#[test]
fn new_entries_may_go_first_but_signed_ones_keep_their_order() {
    let pki = pki();
    let signed = seal_with(&pki, &tagged(), &SignOptions::default());
    let n = size(&signed);
    let page = object_text(&signed, 3).replacen("/Annots [", &format!("/Annots [{n} 0 R "), 1);
    let note = b"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (first) >>";
    let first = append(&signed, &[(3, page.into_bytes()), (n, note.to_vec())]);
    save("rules_note_first", &first);
    let r = verify(&first, &options(&pki));
    assert_all_passed(&r);
    assert!(allowed_by(&r, 0, "AnnotationUnderP3"), "{}", r.to_text());

    let page = object_text(&signed, 3).replacen("6 0 R 8 0 R", "8 0 R 6 0 R", 1);
    assert!(page.contains("8 0 R 6 0 R"), "{page}");
    let swapped = append(&signed, &[(3, page.into_bytes())]);
    assert_failed(&verify(&swapped, &options(&pki)), "reordered");

    let catalog = object_text(&signed, 1).replacen("8 0 R 9 0 R", "9 0 R 8 0 R", 1);
    assert!(catalog.contains("9 0 R 8 0 R"), "{catalog}");
    let fields = append(&signed, &[(1, catalog.into_bytes())]);
    assert_failed(&verify(&fields, &options(&pki)), "reordered");
}
