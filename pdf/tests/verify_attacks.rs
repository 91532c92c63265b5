//! Every attack class of `standards.md`, each with its own document built here from a
//! signature our signer made (or crafted by hand), and the verdict the verifier must give.
//! Set `ESEAL_VERIFY_SAVE=DIR` to keep the documents (they seed the fuzzers).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::time::SystemTime;

use eseal_pdf::sign::{Appearance, AppearanceContent, SignOptions, SignatureTarget};
use eseal_pdf::verify::{Indication, SubIndication};
use eseal_pdf::Dict;
use verify_common::*;

const FAILED: Indication = Indication::TotalFailed;
const INDETERMINATE: Indication = Indication::Indeterminate;

fn signed() -> (eseal_certs::testing::TestPki, Vec<u8>) {
    let pki = pki();
    let pdf = seal_with(&pki, &base_pdf(), &SignOptions::default());
    assert_all_passed(&verify(&pdf, &options(&pki)));
    (pki, pdf)
}

/// Byte position of the last occurrence of `needle`.
fn rfind(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .rposition(|w| w == needle)
        .unwrap()
}

// ---- USF: universal signature forgery -------------------------------------------------

/// A signature field whose value is a crafted signature dictionary (no real signature).
fn usf(sig_dict: &str) -> Vec<u8> {
    let base = base_pdf();
    let (s, f) = (20, 21);
    let catalog = format!(
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [8 0 R 9 0 R {f} 0 R] /SigFlags 3 >> >>"
    );
    let field = format!(
        "<< /FT /Sig /T (Forged) /V {s} 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>"
    );
    append(
        &base,
        &[
            (1, catalog.into_bytes()),
            (s, sig_dict.as_bytes().to_vec()),
            (f, field.into_bytes()),
        ],
    )
}

#[test]
fn usf_variants_fail_with_format_failure() {
    let pki = pki();
    let head = "/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached";
    let variants = [
        (
            "contents_missing",
            format!("<< {head} /ByteRange [0 100 200 300] >>"),
        ),
        (
            "contents_empty",
            format!("<< {head} /ByteRange [0 100 200 300] /Contents <> >>"),
        ),
        (
            "contents_null",
            format!("<< {head} /ByteRange [0 100 200 300] /Contents null >>"),
        ),
        (
            "contents_wrong_type",
            format!("<< {head} /ByteRange [0 100 200 300] /Contents 42 >>"),
        ),
        (
            "byterange_missing",
            format!("<< {head} /Contents <3000> >>"),
        ),
        (
            "byterange_three",
            format!("<< {head} /ByteRange [0 100 200] /Contents <3000> >>"),
        ),
        (
            "byterange_negative",
            format!("<< {head} /ByteRange [0 -1 200 300] /Contents <3000> >>"),
        ),
        (
            "byterange_reals",
            format!("<< {head} /ByteRange [0 100.0 200 300] /Contents <3000> >>"),
        ),
        (
            "byterange_null",
            format!("<< {head} /ByteRange null /Contents <3000> >>"),
        ),
        (
            "byterange_not_zero",
            format!("<< {head} /ByteRange [5 100 200 300] /Contents <3000> >>"),
        ),
    ];
    for (name, dict) in variants {
        let pdf = usf(&dict);
        save(&format!("usf_{name}"), &pdf);
        let r = verify(&pdf, &options(&pki));
        assert_eq!(
            r.signatures.len(),
            1,
            "{name}: the forged signature is found"
        );
        assert_sig(&r, 0, FAILED, SubIndication::FormatFailure);
    }
}

#[test]
fn usf_redefining_a_real_signature_dictionary_fails() {
    let (pki, pdf) = signed();
    // Redefine the signature dictionary without /ByteRange and /Contents.
    let mut reader = eseal_pdf::PdfReader::open(std::io::Cursor::new(&pdf)).unwrap();
    let field = reader.form_field("Signature1").unwrap().unwrap();
    let sig = field.value.unwrap().as_reference().unwrap();
    let forged = append(
        &pdf,
        &[(sig.num, b"<< /Type /Sig /Filter /Adobe.PPKLite >>".to_vec())],
    );
    save("usf_redefined_dictionary", &forged);
    let r = verify(&forged, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::FormatFailure);
}

// ---- ISA: incremental saving ------------------------------------------------------------

fn new_content() -> Vec<u8> {
    common::stream_body("", b"BT /F1 12 Tf 72 720 Td (Licence: REVOKED) Tj ET")
}

#[test]
fn isa_with_valid_xref_fails() {
    let (pki, pdf) = signed();
    let attacked = append(&pdf, &[(4, new_content())]);
    save("isa_valid_xref", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
    assert!(disallowed_mentions(&r, 0, "object 4"), "{}", r.to_text());
}

#[test]
fn isa_with_broken_xref_fails() {
    let (pki, pdf) = signed();
    let mut attacked = append(&pdf, &[(4, new_content())]);
    // Point the new xref entry of object 4 at garbage.
    let at = rfind(&attacked, b"4 1\n") + 4;
    attacked[at..at + 10].copy_from_slice(b"0000000003");
    save("isa_broken_xref", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
}

#[test]
fn isa_without_xref_fails() {
    let (pki, pdf) = signed();
    let mut attacked = pdf.clone();
    attacked.extend_from_slice(b"4 0 obj\n");
    attacked.extend_from_slice(&new_content());
    attacked.extend_from_slice(b"\nendobj\n");
    save("isa_no_xref", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
    assert!(
        disallowed_mentions(&r, 0, "belong to no revision"),
        "{}",
        r.to_text()
    );
    // Same with a copied startxref/%%EOF that still points to the signed xref.
    let startxref = &pdf[rfind(&pdf, b"startxref")..];
    attacked.extend_from_slice(startxref);
    save("isa_no_xref_old_startxref", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_eq!(r.signatures[0].indication, FAILED, "{}", r.to_text());
}

// ---- SWA: signature wrapping -------------------------------------------------------------

/// Rewrites the `/ByteRange` numbers in place (same width).
fn rewrite_byte_range(pdf: &mut [u8], f: impl Fn([u64; 4]) -> [u64; 4]) {
    let at = rfind(pdf, b"/ByteRange [") + 12;
    let end = at + pdf[at..].iter().position(|b| *b == b']').unwrap();
    let text = std::str::from_utf8(&pdf[at..end]).unwrap();
    let v: Vec<u64> = text
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let n = f([v[0], v[1], v[2], v[3]]);
    let s = format!("{} {} {} {}", n[0], n[1], n[2], n[3]);
    let s = format!("{s:<width$}", width = end - at);
    pdf[at..end].copy_from_slice(s.as_bytes());
}

#[test]
fn swa_moved_range_fails() {
    let (pki, pdf) = signed();
    let mut attacked = pdf.clone();
    rewrite_byte_range(&mut attacked, |[z, a, b, c]| [z, a, b + 40, c - 40]);
    save("swa_moved_range", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::FormatFailure);
}

#[test]
fn swa_objects_hidden_in_the_gap_fail() {
    let (pki, pdf) = signed();
    let mut attacked = pdf.clone();
    // The container leaves zero padding at the end of /Contents: put an object there.
    let close = rfind(&attacked, b"0000>") + 4; // the `>` of /Contents
    let hidden = b"> 4 0 obj <</Length 10>> stream\nBT ET     \nendstream endobj <";
    let start = close - hidden.len();
    attacked[start..close].copy_from_slice(hidden);
    let offset = start + 2;
    let attacked = append(&attacked, &[]);
    let mut attacked = attacked;
    // An update whose xref sends object 4 into the gap.
    let xref = rfind(&attacked, b"\nxref\n") + 1;
    let table = format!("xref\n4 1\n{offset:010} 00000 n\r\n");
    attacked.splice(xref..xref + 5, table.bytes());
    save("swa_hidden_in_gap", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_eq!(
        r.signatures.first().map(|s| s.indication),
        Some(FAILED),
        "{}",
        r.to_text()
    );
    assert!(!r.passed());
}

// ---- Shadow attacks ----------------------------------------------------------------------

#[test]
fn shadow_hide_removing_an_overlay_fails() {
    let (pki, pdf) = signed();
    let page = object_text(&pdf, 3).replacen("6 0 R ", "", 1);
    let attacked = append(&pdf, &[(3, page.into_bytes())]);
    save("shadow_hide", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
    assert!(
        disallowed_mentions(&r, 0, "removed or reordered"),
        "{}",
        r.to_text()
    );
}

#[test]
fn shadow_replace_redefining_a_font_fails() {
    let (pki, pdf) = signed();
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Symbol >>".to_vec();
    let attacked = append(&pdf, &[(5, font)]);
    save("shadow_replace_font", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
    assert!(disallowed_mentions(&r, 0, "Font"), "{}", r.to_text());
}

#[test]
fn shadow_replace_changing_an_appearance_without_value_fails() {
    let pki = pki();
    let pdf = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            certify: Some(2),
            ..Default::default()
        },
    );
    let n = size(&pdf);
    let field = object_text(&pdf, 9).replacen(">>", &format!(" /AP << /N {n} 0 R >> >>"), 1);
    let stream = common::stream_body(
        " /Type /XObject /Subtype /Form /BBox [0 0 200 20]",
        b"BT (approved) Tj ET",
    );
    let attacked = append(&pdf, &[(9, field.into_bytes()), (n, stream)]);
    save("shadow_replace_appearance", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
}

#[test]
fn shadow_hide_and_replace_repointing_content_fails() {
    let (pki, pdf) = signed();
    let page = object_text(&pdf, 3).replace("/Contents 4 0 R", "/Contents 7 0 R");
    let attacked = append(&pdf, &[(3, page.into_bytes())]);
    save("shadow_hide_and_replace", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
    assert!(disallowed_mentions(&r, 0, "/Contents"), "{}", r.to_text());
}

// ---- EAA and SSA -------------------------------------------------------------------------

fn add_annotation(pdf: &[u8], annot: &str) -> Vec<u8> {
    let n = size(pdf);
    let page = append_to_annots(&object_text(pdf, 3), n);
    append(
        pdf,
        &[(3, page.into_bytes()), (n, annot.as_bytes().to_vec())],
    )
}

#[test]
fn eaa_covering_annotations_fail_at_p2_and_p3() {
    let pki = pki();
    let cover = "<< /Type /Annot /Subtype /FreeText /Rect [60 700 300 740] /DA (/F1 12 Tf) /Contents (Licence: REVOKED) >>";
    for p in [2, 3] {
        let pdf = seal_with(
            &pki,
            &base_pdf(),
            &SignOptions {
                certify: Some(p),
                ..Default::default()
            },
        );
        let attacked = add_annotation(&pdf, cover);
        save(&format!("eaa_p{p}"), &attacked);
        let r = verify(&attacked, &options(&pki));
        assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
        assert!(disallowed_mentions(&r, 0, "FreeText"), "{}", r.to_text());
    }
    // A large note icon at P=3 covers content too.
    let pdf = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            certify: Some(3),
            ..Default::default()
        },
    );
    let big = add_annotation(
        &pdf,
        "<< /Type /Annot /Subtype /Text /Rect [0 0 595 842] >>",
    );
    assert_sig(
        &verify(&big, &options(&pki)),
        0,
        FAILED,
        SubIndication::DisallowedChange,
    );
}

#[test]
fn ssa_new_visible_signature_after_certification_fails() {
    let pki = pki();
    let pdf = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            certify: Some(2),
            ..Default::default()
        },
    );
    let sneaky = SignOptions {
        target: SignatureTarget::NewField {
            name: Some("Sneaky".into()),
            page: 0,
            rect: eseal_pdf::sign::FieldRect::User([60.0, 700.0, 300.0, 740.0]),
        },
        appearance: Appearance::Content(AppearanceContent {
            content: b"1 1 1 rg 0 0 10 10 re f".to_vec(),
            resources: Dict::new(),
            width: 10.0,
            height: 10.0,
        }),
        ..Default::default()
    };
    let attacked = seal_with(&pki, &pdf, &sneaky);
    save("ssa", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
    assert!(
        disallowed_mentions(&r, 0, "visible signature field"),
        "{}",
        r.to_text()
    );
    assert_eq!(
        r.signatures[1].indication,
        Indication::TotalPassed,
        "the sneaky signature itself is intact"
    );
}

// ---- Revision-boundary confusion ---------------------------------------------------------

#[test]
fn eof_inside_a_later_stream_or_trailer_does_not_confuse() {
    let (pki, pdf) = signed();
    // A later revision whose stream holds `%%EOF`: still one revision, and its change is caught.
    let content = common::stream_body("", b"BT (x) Tj ET\n%%EOF\n");
    let attacked = append(&pdf, &[(4, content)]);
    save("eof_in_stream", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_eq!(r.file.revisions, 3);
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
    // `%%EOF` inside a later trailer: still one revision; nothing changed, so the seal passes.
    let mut benign = pdf.clone();
    let prev = common::last_startxref(&pdf);
    let xref = benign.len();
    benign.extend_from_slice(
        format!("xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size {} /Root 1 0 R /Prev {prev} /Note (%%EOF) >>\nstartxref\n{xref}\n%%EOF\n", size(&pdf)).as_bytes(),
    );
    save("eof_in_trailer", &benign);
    let r = verify(&benign, &options(&pki));
    assert_eq!(r.file.revisions, 3);
    assert_all_passed(&r);
}

#[test]
fn appended_linearization_dictionary_fails() {
    let (pki, pdf) = signed();
    let n = size(&pdf);
    let lin = format!(
        "<< /Linearized 1 /L {} /O 3 /E 0 /N 1 /T 0 /H [0 0] >>",
        pdf.len() + 200
    );
    let attacked = append(&pdf, &[(n, lin.into_bytes())]);
    save("linearized_appended", &attacked);
    let r = verify(&attacked, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::DisallowedChange);
    assert!(
        disallowed_mentions(&r, 0, "linearization"),
        "{}",
        r.to_text()
    );
}

// ---- CMS and certificates ----------------------------------------------------------------

#[test]
fn cms_without_signed_attributes_fails() {
    let pki = pki();
    let pdf = forged(&pki, &base_pdf(), Forgery::NoSignedAttributes);
    save("cms_no_signed_attributes", &pdf);
    let r = verify(&pdf, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::FormatFailure);
    assert!(r.signatures[0].reasons[0].contains("signed attributes"));
}

/// Not an attack the signature falls to, but a deviation from PAdES B-B: the certificate is
/// found by issuer and serial only. EU DSS's default policy warns (SigningCertificatePresent
/// at WARN), as pyHanko and pdfsig accept it; the report says so and never calls it B-B.
#[test]
fn cms_without_ess_binding_passes_with_a_named_warning() {
    let pki = pki();
    let pdf = forged(&pki, &base_pdf(), Forgery::NoEss);
    save("cms_no_ess", &pdf);
    let r = verify(&pdf, &options(&pki));
    assert_all_passed(&r);
    let sig = &r.signatures[0];
    assert!(
        sig.warnings
            .iter()
            .any(|w| w.contains("ESS signing-certificate-v2 is missing")),
        "{}",
        r.to_text()
    );
    assert_eq!(
        sig.level,
        None,
        "no baseline level without ESS: {}",
        r.to_text()
    );
}

#[test]
fn tampered_signed_bytes_fail_with_hash_failure() {
    let (pki, mut pdf) = signed();
    let at = rfind(&pdf, b"Licence: granted");
    pdf[at] = b'l';
    let r = verify(&pdf, &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::HashFailure);
}

#[test]
fn revoked_signer_fails() {
    let (pki, pdf) = signed();
    save("revoked_signer", &pdf);
    // Revoked an hour before the claimed signing time: the signer admits signing afterwards.
    let r = verify(&pdf, &revoked_options(&pki, SystemTime::now() - hours(1)));
    assert_sig(&r, 0, FAILED, SubIndication::Revoked);
    // Signed (by its claim) a day ago, revoked an hour ago: no proof it was signed before.
    let old = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            signing_time: Some(time::OffsetDateTime::now_utc() - time::Duration::days(1)),
            ..Default::default()
        },
    );
    let r = verify(&old, &revoked_options(&pki, SystemTime::now() - hours(1)));
    assert_sig(&r, 0, INDETERMINATE, SubIndication::RevokedNoPoe);
}

#[test]
fn untrusted_signer_is_indeterminate() {
    let (_, pdf) = signed();
    let other = pki();
    save("untrusted_signer", &pdf);
    let r = verify(&pdf, &options(&other));
    assert_sig(&r, 0, INDETERMINATE, SubIndication::NoCertificateChainFound);
}

#[test]
fn expired_at_validation_time_is_out_of_bounds() {
    let (pki, pdf) = signed();
    let mut opts = options(&pki);
    opts.at = Some(SystemTime::now() + hours(24 * 400));
    let r = verify(&pdf, &opts);
    assert_sig(&r, 0, INDETERMINATE, SubIndication::OutOfBoundsNoPoe);
}

#[test]
fn document_without_signature_is_not_valid() {
    let r = verify(&base_pdf(), &options(&pki()));
    assert!(!r.passed() && r.signatures.is_empty());
    assert!(r.verdict.summary.contains("no signature"));
}

#[test]
fn malformed_gb_t_38540_contents_fail_as_format() {
    let pki = pki();
    struct Ses;
    impl eseal_pdf::sign::ContentSigner for Ses {
        fn reserved_len(&self) -> usize {
            64
        }
        fn update(&mut self, _: &[u8]) {}
        fn finish(&mut self) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
            // SES_Signature ::= SEQUENCE { TBS_Sign SEQUENCE { version INTEGER 4 } ... }
            Ok(vec![0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x04])
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    eseal_pdf::sign::sign_incremental(
        &mut std::io::Cursor::new(base_pdf()),
        &mut out,
        &SignOptions::default(),
        &mut Ses,
    )
    .unwrap();
    let r = verify(out.get_ref(), &options(&pki));
    assert_sig(&r, 0, FAILED, SubIndication::FormatFailure);
    assert!(r.signatures[0].reasons[0].contains("GB/T 38540"));
}
