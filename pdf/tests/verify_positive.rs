//! The verifier on our own signer's outputs: every case of the sealing issue must pass with no
//! false alarm, and the report must say what was signed and which later changes a rule allowed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use eseal_pdf::sigdict::DocMdpPermission;
use eseal_pdf::sigdict::FieldLock;
use eseal_pdf::sign::{
    Appearance, AppearanceContent, PreparedField, SealImage, SignOptions, SignatureTarget,
};
use eseal_pdf::verify::{Indication, SignatureKind, SubIndication, TrustAnchor};
use eseal_pdf::Dict;
use verify_common::*;

fn png() -> Vec<u8> {
    let mut buf = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut buf, 2, 2);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[255, 0, 0, 255].repeat(4)).unwrap();
    }
    buf
}

fn new_field(name: &str, rect: [f64; 4], appearance: Appearance) -> SignOptions {
    SignOptions {
        target: SignatureTarget::NewField {
            name: Some(name.into()),
            page: 0,
            rect: eseal_pdf::sign::FieldRect::User(rect),
        },
        appearance,
        ..Default::default()
    }
}

fn vector() -> Appearance {
    Appearance::Content(AppearanceContent {
        content: b"1 0 0 rg 0 0 10 10 re f".to_vec(),
        resources: Dict::new(),
        width: 10.0,
        height: 10.0,
    })
}

#[test]
fn invisible_seal_passes_with_full_report() {
    let pki = pki();
    let opts = SignOptions {
        name: Some("测试市市场监督管理局 合同专用章".into()),
        ..Default::default()
    };
    let pdf = seal_with(&pki, &base_pdf(), &opts);
    save("positive_invisible", &pdf);
    let r = verify(&pdf, &options(&pki));
    assert_all_passed(&r);
    let s = &r.signatures[0];
    assert_eq!(s.kind, SignatureKind::Approval);
    assert_eq!(s.seal_name, "测试市市场监督管理局 合同专用章");
    let signer = s.signer.as_ref().unwrap();
    assert_eq!(signer.organization.as_deref(), Some("测试市市场监督管理局"));
    assert_eq!(
        signer.uscc.as_deref(),
        Some(eseal_certs::testing::TEST_USCC)
    );
    assert_eq!(s.chain.len(), 3, "leaf, intermediate, root");
    assert!(s.chain[0].revocation.starts_with("good per CRL"));
    assert!(s.coverage.covers_whole_file && s.coverage.bytes_after == 0);
    assert_eq!(s.signing_time.as_ref().unwrap().source, "claimed /M");
    assert_eq!(s.digest_algorithm.as_deref(), Some("SHA-256"));
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["schema"], "eseal-verify/1");
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-PASSED");
}

#[test]
fn sm2_seal_passes() {
    let pki = eseal_certs::testing::TestPki::new(eseal_certs::Algorithm::Sm2).unwrap();
    let pdf = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let r = verify(&pdf, &options(&pki));
    assert_all_passed(&r);
    assert_eq!(r.signatures[0].digest_algorithm.as_deref(), Some("SM3"));
}

#[test]
fn visible_image_and_vector_seals_pass() {
    let pki = pki();
    let img = seal_with(
        &pki,
        &base_pdf(),
        &new_field(
            "Seal",
            [300.0, 300.0, 400.0, 400.0],
            Appearance::Image(SealImage::new(png())),
        ),
    );
    save("positive_visible_image", &img);
    assert_all_passed(&verify(&img, &options(&pki)));
    let vec = seal_with(
        &pki,
        &base_pdf(),
        &new_field("Seal", [300.0, 300.0, 340.0, 340.0], vector()),
    );
    assert_all_passed(&verify(&vec, &options(&pki)));
}

#[test]
fn two_and_three_sequential_seals_pass() {
    let pki = pki();
    let one = seal_with(
        &pki,
        &base_pdf(),
        &new_field("A", [10.0, 10.0, 50.0, 50.0], vector()),
    );
    let two = seal_with(
        &pki,
        &one,
        &new_field("B", [60.0, 10.0, 100.0, 50.0], vector()),
    );
    let three = seal_with(&pki, &two, &SignOptions::default());
    save("positive_three", &three);
    let r = verify(&three, &options(&pki));
    assert_all_passed(&r);
    assert_eq!(r.signatures.len(), 3);
    assert_eq!(
        r.signatures
            .iter()
            .map(|s| s.coverage.revision)
            .collect::<Vec<_>>(),
        vec![Some(1), Some(2), Some(3)],
        "signing order follows the revisions"
    );
    let first = &r.signatures[0];
    assert!(!first.coverage.covers_whole_file);
    let rules: Vec<_> = first
        .allowed_changes
        .iter()
        .filter_map(|c| c.rule.as_deref())
        .collect();
    assert!(
        rules.contains(&"AddSignatureField") && rules.contains(&"PageAnnotsAppendWidget"),
        "{rules:?}"
    );
}

#[test]
fn certification_with_prepared_fields_then_approvals_pass() {
    let pki = pki();
    let certify = SignOptions {
        certify: Some(2),
        prepare_fields: vec![
            PreparedField {
                name: "Dept2".into(),
                page: 0,
                rect: eseal_pdf::sign::FieldRect::User([100.0, 100.0, 150.0, 150.0]),
            },
            PreparedField {
                name: "Dept3".into(),
                page: 0,
                rect: eseal_pdf::sign::FieldRect::User([200.0, 100.0, 250.0, 150.0]),
            },
        ],
        ..Default::default()
    };
    let p0 = seal_with(&pki, &base_pdf(), &certify);
    let into = |name: &str| SignOptions {
        target: SignatureTarget::ExistingField(name.into()),
        appearance: vector(),
        ..Default::default()
    };
    let p1 = seal_with(&pki, &p0, &into("Dept2"));
    let p2 = seal_with(&pki, &p1, &into("Dept3"));
    save("positive_certified_prepared", &p2);
    let r = verify(&p2, &options(&pki));
    assert_all_passed(&r);
    assert_eq!(r.signatures[0].kind, SignatureKind::Certification);
    assert_eq!(
        r.signatures[0].certification_level,
        Some(DocMdpPermission::FormFillingAndSigning)
    );
    assert!(r.signatures[0]
        .allowed_changes
        .iter()
        .any(|c| c.rule.as_deref() == Some("FillPreparedSignatureField")));
    // An invisible approval in a new field is allowed at P=2 too.
    let p3 = seal_with(&pki, &p2, &SignOptions::default());
    assert_all_passed(&verify(&p3, &options(&pki)));
}

/// Fills text field 8 (`Name`) or 9 (`Note`) with a new value and a new appearance.
fn fill(pdf: &[u8], num: u32, value: &str) -> Vec<u8> {
    let ap = size(pdf);
    let old = object_text(pdf, num);
    let at = old.find("/V (").unwrap();
    let end = at + old[at..].find(')').unwrap() + 1;
    let field = format!(
        "{}/V ({value}) /AP << /N {ap} 0 R >>{}",
        &old[..at],
        &old[end..]
    );
    let stream = common::stream_body(
        " /Type /XObject /Subtype /Form /BBox [0 0 200 20]",
        format!("BT ({value}) Tj ET").as_bytes(),
    );
    append(pdf, &[(num, field.into_bytes()), (ap, stream)])
}

#[test]
fn field_locks_allow_other_fields_and_signatures() {
    let pki = pki();
    let locked = SignOptions {
        lock_fields: Some(FieldLock::Include(vec!["Name".into()])),
        ..Default::default()
    };
    let p0 = seal_with(&pki, &base_pdf(), &locked);
    let p1 = fill(&p0, 9, "checked");
    let p2 = seal_with(&pki, &p1, &SignOptions::default());
    save("positive_fieldmdp", &p2);
    let r = verify(&p2, &options(&pki));
    assert_all_passed(&r);
    assert!(r.signatures[0]
        .allowed_changes
        .iter()
        .any(|c| c.rule.as_deref() == Some("FormValueOnUnlockedField")));
    // The locked field changed: the locking signature fails, the later one does not cover it.
    let bad = fill(&p2, 8, "Mallory");
    let r = verify(&bad, &options(&pki));
    assert_sig(
        &r,
        0,
        Indication::TotalFailed,
        SubIndication::DisallowedChange,
    );
    assert!(disallowed_mentions(&r, 0, "locked"), "{}", r.to_text());
}

#[test]
fn form_filling_under_p2_passes_but_not_under_p1() {
    let pki = pki();
    let p2 = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            certify: Some(2),
            ..Default::default()
        },
    );
    assert_all_passed(&verify(&fill(&p2, 9, "ok"), &options(&pki)));
    let p1 = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            certify: Some(1),
            ..Default::default()
        },
    );
    assert_all_passed(&verify(&p1, &options(&pki)));
    let r = verify(&fill(&p1, 9, "ok"), &options(&pki));
    assert_sig(
        &r,
        0,
        Indication::TotalFailed,
        SubIndication::DisallowedChange,
    );
    assert!(disallowed_mentions(&r, 0, "P=1"));
}

#[test]
fn small_note_annotation_allowed_at_p3_only() {
    let pki = pki();
    let note = |pdf: &[u8]| {
        let n = size(pdf);
        let page = append_to_annots(&object_text(pdf, 3), n);
        append(
            pdf,
            &[
                (3, page.into_bytes()),
                (
                    n,
                    b"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (seen) >>"
                        .to_vec(),
                ),
            ],
        )
    };
    let p3 = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            certify: Some(3),
            ..Default::default()
        },
    );
    let r = verify(&note(&p3), &options(&pki));
    assert_all_passed(&r);
    assert!(r.signatures[0]
        .allowed_changes
        .iter()
        .any(|c| c.rule.as_deref() == Some("AnnotationUnderP3")));
    let p2 = seal_with(
        &pki,
        &base_pdf(),
        &SignOptions {
            certify: Some(2),
            ..Default::default()
        },
    );
    let r = verify(&note(&p2), &options(&pki));
    assert_sig(
        &r,
        0,
        Indication::TotalFailed,
        SubIndication::DisallowedChange,
    );
}

#[test]
fn report_formats_escape_and_round_trip() {
    let pki = pki();
    let opts = SignOptions {
        name: Some("<script>alert(1)</script>".into()),
        ..Default::default()
    };
    let pdf = seal_with(&pki, &base_pdf(), &opts);
    let r = verify(&pdf, &options(&pki));
    let html = r.to_html();
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    assert!(!html.contains("http://") && !html.contains("https://") && html.contains("<style>"));
    assert!(r.to_text().contains("TOTAL-PASSED"));
}

/// The service hashes an upload while receiving it and hands that state to the sealer, which
/// continues from it over the appended bytes: the signature must be the same as with the file
/// hashed afresh (it verifies), a state of another hash function must be ignored, and a state
/// claiming more bytes than the signed range holds must be refused.
#[test]
fn sealing_continues_from_the_inputs_hash() {
    use eseal_certs::Hasher;
    use eseal_pdf::seal::{reserve_for, seal_prehashed, Sealer};
    use eseal_pdf::sign::HashedPrefix;
    use sha2::Digest;
    use std::io::Cursor;

    let pki = pki();
    let pdf = base_pdf();
    let chain = [pki.intermediate.clone()];
    let reserve = reserve_for(&pki.leaf_key, &pki.leaf, &chain).unwrap();
    let sealer = Sealer {
        key: &pki.leaf_key,
        certificate: &pki.leaf,
        chain: &chain,
        reserve: Some(reserve),
    };
    let prefixed = |state: Hasher, len: u64| {
        let mut out = Cursor::new(Vec::new());
        seal_prehashed(
            &mut Cursor::new(&pdf),
            &mut out,
            &sealer_opts(),
            &sealer,
            HashedPrefix { state, len },
        )
        .map(|_| out.into_inner())
    };

    let sealed = prefixed(
        Hasher::Sha256(sha2::Sha256::new_with_prefix(&pdf)),
        pdf.len() as u64,
    )
    .unwrap();
    assert_eq!(&sealed[..pdf.len()], &pdf[..], "earlier bytes untouched");
    assert_all_passed(&verify(&sealed, &options(&pki)));

    // A wrong state gives a signature over other bytes: the verifier must see it.
    let wrong = prefixed(
        Hasher::Sha256(sha2::Sha256::new_with_prefix(b"other")),
        pdf.len() as u64,
    )
    .unwrap();
    let r = verify(&wrong, &options(&pki));
    assert_eq!(r.signatures[0].indication, Indication::TotalFailed, "{r:?}");

    // SM3 state for a P-256 seal (SHA-256): ignored, the file is hashed afresh.
    let mut sm3 = eseal_certs::DigestAlgorithm::Sm3.hasher();
    sm3.update(&pdf);
    assert_all_passed(&verify(
        &prefixed(sm3, pdf.len() as u64).unwrap(),
        &options(&pki),
    ));

    let too_long = prefixed(Hasher::Sha256(sha2::Sha256::new()), 10_000_000);
    assert!(
        too_long.is_err(),
        "a prefix longer than the signed range is refused"
    );
}

#[test]
fn the_report_names_the_trust_anchor_each_path_ended_at() {
    let pki = pki();
    let other = verify_common::pki();
    let pdf = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let mut opts = options(&pki);
    opts.trust_anchors = vec![
        other.root.clone().into(),
        TrustAnchor {
            certificate: pki.root.clone(),
            label: Some("Fujian Market CA / Fujian Root".into()),
            region: Some("CN-FJ".into()),
        },
    ];
    let r = verify(&pdf, &opts);
    assert_all_passed(&r);
    let anchor = r.signatures[0].trust_anchor.as_ref().unwrap();
    assert_eq!(
        anchor.label.as_deref(),
        Some("Fujian Market CA / Fujian Root")
    );
    assert_eq!(anchor.region.as_deref(), Some("CN-FJ"));
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let a = &json["signatures"][0]["trust_anchor"];
    assert_eq!(a["label"], "Fujian Market CA / Fujian Root");
    assert_eq!(a["region"], "CN-FJ");
    assert_eq!(
        a["sha256"],
        eseal_certs::inspect::fingerprint_sha256(&pki.root).unwrap()
    );
    assert_eq!(a["subject"], eseal_certs::inspect::subject(&pki.root));
    let line = "trust anchor: Fujian Market CA / Fujian Root (CN-FJ) — ";
    assert!(r.to_text().contains(line), "{}", r.to_text());
    assert!(r
        .to_html()
        .contains("<th>Trust anchor</th><td>Fujian Market CA / Fujian Root (CN-FJ)"));

    // Only the other root trusted: no path, and the report says null.
    opts.trust_anchors = vec![other.root.clone().into()];
    let r = verify(&pdf, &opts);
    assert!(!r.passed());
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert!(json["signatures"][0]["trust_anchor"].is_null());
    assert!(!r.to_text().contains("trust anchor:"));
}

/// The seal's CMS rewritten in BER, as Adobe and most national tools write it: the outer
/// SEQUENCE with an indefinite length (`30 80 … 00 00` takes the bytes `30 82 LL LL` took, so
/// the `/Contents` keeps its size). `/Contents` is outside the byte range: still valid.
#[test]
fn a_cms_in_ber_verifies_in_a_pdf() {
    let p = pki();
    let pdf = seal_with(&p, &base_pdf(), &sealer_opts());
    let br = pdf.windows(10).rposition(|w| w == b"/ByteRange").unwrap();
    let text = String::from_utf8_lossy(&pdf[br..br + 80]).to_string();
    let nums: Vec<usize> = text[text.find('[').unwrap() + 1..text.find(']').unwrap()]
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    // The hex string lies between the two ranges, inside `<` and `>`.
    let (at, end) = (nums[1] + 1, nums[2] - 1);
    let hex = std::str::from_utf8(&pdf[at..end]).unwrap();
    let der: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(&der[..2], &[0x30, 0x82]);
    let len = usize::from(der[2]) << 8 | usize::from(der[3]);
    let mut ber = vec![0x30, 0x80];
    ber.extend_from_slice(&der[4..4 + len]);
    ber.extend_from_slice(&[0, 0]);
    let ber_hex: String = ber.iter().map(|b| format!("{b:02X}")).collect();
    let mut out = pdf.clone();
    out[at..end].fill(b'0');
    out[at..at + ber_hex.len()].copy_from_slice(ber_hex.as_bytes());
    assert_ne!(out, pdf);
    let r = verify(&out, &options(&p));
    assert_all_passed(&r);
    // A changed byte in the signed part is still caught.
    let mut bad = out.clone();
    let at = bad.windows(6).position(|w| w == b"(none)").unwrap();
    bad[at + 2] = b'i';
    let r = verify(&bad, &options(&p));
    assert!(!r.passed());
}
