//! Signing by incremental update: byte ranges, placeholders, fields, appearances, DocMDP,
//! prepared fields and FieldMDP locks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use std::io::{Cursor, Read, Seek, SeekFrom};

use common::*;
use eseal_pdf::sigdict::{FieldLock, SubFilter};
use eseal_pdf::sign::{
    sign_incremental, Appearance, AppearanceContent, PreparedField, SealImage, SignOptions,
    SignOutcome, SignatureTarget,
};
use eseal_pdf::{Dict, Error, Object, PdfReader, XrefKind};

fn sign(pdf: &[u8], opts: &SignOptions) -> Result<(Vec<u8>, SignOutcome, RecordingSigner), Error> {
    let mut signer = RecordingSigner::new(4096);
    let mut out = Cursor::new(Vec::new());
    let outcome = sign_incremental(&mut Cursor::new(pdf), &mut out, opts, &mut signer)?;
    Ok((out.into_inner(), outcome, signer))
}

/// Checks the invariants every signed output must satisfy.
fn check_signed(original: &[u8], signed: &[u8], outcome: &SignOutcome, signer: &RecordingSigner) {
    assert_eq!(
        &signed[..original.len()],
        original,
        "original bytes are a prefix"
    );
    let [zero, a, b, c] = outcome.byte_range.numbers();
    assert_eq!(zero, 0);
    assert_eq!(
        b + c,
        signed.len() as u64,
        "second range ends at the end of the file"
    );
    let gap = &signed[a as usize..b as usize];
    assert_eq!(gap[0], b'<');
    assert_eq!(gap[gap.len() - 1], b'>');
    assert!(gap[1..gap.len() - 1].iter().all(u8::is_ascii_hexdigit));
    assert!(
        signed[..a as usize].ends_with(b"/Contents "),
        "gap is exactly the /Contents string"
    );
    let mut expected = signed[..a as usize].to_vec();
    expected.extend_from_slice(&signed[b as usize..]);
    assert_eq!(
        signer.fed, expected,
        "the signer saw exactly the byte ranges"
    );
    // The /ByteRange written in the file is the one reported.
    let text = String::from_utf8_lossy(signed);
    let at = text.rfind("/ByteRange [").unwrap() + 12;
    let nums: Vec<u64> = text[at..]
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(nums, outcome.byte_range.numbers().to_vec());
    // The new revision ends with the keywords on lines of their own (pyHanko insists).
    let tail = &signed[outcome.revision.startxref as usize..];
    let sx = tail
        .windows(9)
        .rposition(|w| w == b"startxref")
        .expect("startxref");
    assert!(
        sx > 0 && tail[sx - 1] == b'\n',
        "startxref must start a line: {}",
        String::from_utf8_lossy(tail)
    );
    assert!(tail.ends_with(b"%%EOF\n"));
    // The container is in /Contents.
    let hex = std::str::from_utf8(&gap[1..gap.len() - 1]).unwrap();
    assert!(
        hex.starts_with("0420"),
        "DER written at the start of /Contents"
    );
    // Re-opens with our reader and with lopdf; passes qpdf --check.
    let mut r = PdfReader::open(Cursor::new(signed)).unwrap();
    let f = r
        .form_field(&outcome.field_name)
        .unwrap()
        .expect("field present");
    assert!(f.is_signature() && f.has_value());
    let sig = r.resolve_dict(f.value.as_ref().unwrap(), "sig").unwrap();
    assert!(sig.has_name("Type", "Sig"));
    lopdf::Document::load_mem(signed).expect("lopdf opens the signed file");
    assert!(qpdf_check(signed), "qpdf --check");
}

fn visible_at(page: usize, rect: [f64; 4], appearance: Appearance) -> SignOptions {
    SignOptions {
        target: SignatureTarget::NewField {
            name: None,
            page,
            rect: eseal_pdf::sign::FieldRect::User(rect),
        },
        appearance,
        ..Default::default()
    }
}

fn rgba_png() -> Vec<u8> {
    let mut buf = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut buf, 4, 2);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        let px: Vec<u8> = (0..8)
            .flat_map(|i| [255, 0, 0, if i % 2 == 0 { 255 } else { 0 }])
            .collect();
        w.write_image_data(&px).unwrap();
    }
    buf
}

/// A valid 8×8 grey baseline JPEG written by hand: flat quantisation table, one-symbol
/// Huffman tables, and a scan with a zero DC difference and an end-of-block.
fn tiny_jpeg() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend_from_slice(&[0xFF, 0xDB, 0, 67, 0]);
    j.extend_from_slice(&[1; 64]);
    j.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
    for class in [0x00, 0x10] {
        j.extend_from_slice(&[0xFF, 0xC4, 0, 20, class, 1]);
        j.extend_from_slice(&[0; 15]);
        j.push(0);
    }
    j.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 63, 0]);
    j.extend_from_slice(&[0x3F, 0xFF, 0xD9]);
    j
}

#[test]
fn invisible_signature_on_classic_file() {
    let pdf = classic_pdf(&basic_objects(2), " /ID [<0102> <0102>]");
    let opts = SignOptions {
        reason: Some("Approval".into()),
        ..Default::default()
    };
    let (signed, outcome, signer) = sign(&pdf, &opts).unwrap();
    check_signed(&pdf, &signed, &outcome, &signer);
    assert_eq!(outcome.field_name, "Signature1");
    let mut r = PdfReader::open(Cursor::new(&signed[..])).unwrap();
    assert_eq!(r.revisions().len(), 2);
    assert_eq!(r.revisions()[0].end_offset, pdf.len() as u64);
    assert_eq!(r.last_revision().xref_kind(), XrefKind::Table);
    let t = r.trailer().clone();
    let Some(Object::Array(id)) = t.get("ID") else {
        panic!("no /ID")
    };
    assert_eq!(id[0], Object::String(vec![1, 2]), "first /ID kept");
    assert_ne!(id[1], Object::String(vec![1, 2]), "second /ID changed");
    let f = r.form_field("Signature1").unwrap().unwrap();
    assert_eq!(f.widgets[0].rect, Some([0.0; 4]));
    assert_eq!(f.dict.get("F").and_then(Object::as_i64), Some(132));
    let acro = r.acro_form().unwrap().unwrap();
    assert_eq!(acro.get("SigFlags").and_then(Object::as_i64), Some(3));
    let page = r.page(0).unwrap();
    let Some(Object::Array(annots)) = page.dict.get("Annots") else {
        panic!("no /Annots")
    };
    assert_eq!(annots[0], Object::Reference(f.obj_ref));
    let sig = r.resolve_dict(f.value.as_ref().unwrap(), "sig").unwrap();
    assert!(sig.has_name("SubFilter", "ETSI.CAdES.detached"));
    assert_eq!(
        sig.get("Reason").and_then(Object::as_string),
        Some(&b"Approval"[..])
    );
}

#[test]
fn original_without_final_newline_gets_one() {
    let mut pdf = classic_pdf(&basic_objects(1), "");
    pdf.pop(); // drop the final "\n"
    let (signed, outcome, signer) = sign(&pdf, &SignOptions::default()).unwrap();
    assert_eq!(signed[pdf.len()], b'\n');
    check_signed(&pdf, &signed, &outcome, &signer);
}

#[test]
fn xref_stream_file_gets_an_xref_stream_update() {
    let pdf = xref_stream_pdf();
    let opts = SignOptions {
        sub_filter: SubFilter::Pkcs7Detached,
        ..visible_at(
            1,
            [100.0, 100.0, 200.0, 150.0],
            Appearance::Image(SealImage::new(rgba_png())),
        )
    };
    let (signed, outcome, signer) = sign(&pdf, &opts).unwrap();
    check_signed(&pdf, &signed, &outcome, &signer);
    let mut r = PdfReader::open(Cursor::new(&signed[..])).unwrap();
    assert_eq!(r.last_revision().xref_kind(), XrefKind::Stream);
    let f = r.form_field("Signature1").unwrap().unwrap();
    let sig = r.resolve_dict(f.value.as_ref().unwrap(), "sig").unwrap();
    assert!(sig.has_name("SubFilter", "adbe.pkcs7.detached"));
    // Appearance: form XObject drawing an image with a soft mask.
    let ap = r.resolve_dict(f.dict.get("AP").unwrap(), "AP").unwrap();
    let Object::Stream(form) = r.resolve(ap.get("N").unwrap()).unwrap() else {
        panic!("no /N stream")
    };
    assert!(form.dict.has_name("Subtype", "Form"));
    let content = r.stream_decoded(&form).unwrap();
    assert!(String::from_utf8_lossy(&content).contains("/Seal Do"));
    let res = r
        .resolve_dict(form.dict.get("Resources").unwrap(), "res")
        .unwrap();
    let xo = r.resolve_dict(res.get("XObject").unwrap(), "xo").unwrap();
    let Object::Stream(img) = r.resolve(xo.get("Seal").unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(img.dict.get("Width").and_then(Object::as_i64), Some(4));
    assert!(img.dict.contains("SMask"));
}

#[test]
fn hybrid_and_updated_files_sign() {
    let pdf = hybrid_pdf();
    let (signed, outcome, signer) = sign(&pdf, &SignOptions::default()).unwrap();
    check_signed(&pdf, &signed, &outcome, &signer);

    let mut pdf = classic_pdf(&basic_objects(1), "");
    append_update(&mut pdf, &[(5, b"(one)".to_vec())], 6);
    append_update(&mut pdf, &[(6, b"(two)".to_vec())], 7);
    let (signed, outcome, signer) = sign(&pdf, &SignOptions::default()).unwrap();
    check_signed(&pdf, &signed, &outcome, &signer);
    assert_eq!(
        PdfReader::open(Cursor::new(&signed[..]))
            .unwrap()
            .revisions()
            .len(),
        4
    );
}

#[test]
fn jpeg_on_rotated_page_gets_a_turning_matrix() {
    let mut objs = basic_objects(1);
    objs[2].1 = b"<< /Type /Page /Parent 2 0 R /Rotate 90 /Contents 4 0 R >>".to_vec();
    let pdf = classic_pdf(&objs, "");
    let opts = visible_at(
        0,
        [300.0, 300.0, 380.0, 420.0],
        Appearance::Image(SealImage::new(tiny_jpeg())),
    );
    let (signed, outcome, signer) = sign(&pdf, &opts).unwrap();
    check_signed(&pdf, &signed, &outcome, &signer);
    let mut r = PdfReader::open(Cursor::new(&signed[..])).unwrap();
    let f = r.form_field("Signature1").unwrap().unwrap();
    let ap = r.resolve_dict(f.dict.get("AP").unwrap(), "AP").unwrap();
    let Object::Stream(form) = r.resolve(ap.get("N").unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(
        form.dict.get("BBox"),
        Some(&Object::Array(vec![
            0.into(),
            0.into(),
            120.into(),
            80.into()
        ]))
    );
    assert_eq!(
        form.dict.get("Matrix"),
        Some(&Object::Array(vec![
            0.into(),
            1.into(),
            (-1).into(),
            0.into(),
            80.into(),
            0.into()
        ]))
    );
}

#[test]
fn rect_outside_page_is_refused() {
    let pdf = classic_pdf(&basic_objects(1), "");
    let opts = visible_at(
        0,
        [1000.0, 1000.0, 1100.0, 1100.0],
        Appearance::Image(SealImage::new(tiny_jpeg())),
    );
    assert!(matches!(
        sign(&pdf, &opts),
        Err(Error::RectOutsidePage { .. })
    ));
    let opts = visible_at(
        5,
        [0.0, 0.0, 10.0, 10.0],
        Appearance::Image(SealImage::new(tiny_jpeg())),
    );
    assert!(matches!(
        sign(&pdf, &opts),
        Err(Error::PageOutOfRange { .. })
    ));
}

#[test]
fn vector_content_hook_with_nested_streams() {
    let pdf = classic_pdf(&basic_objects(1), "");
    let font_file = Object::Stream(eseal_pdf::Stream::new(Dict::new(), b"fontdata".to_vec()));
    let font = Dict::new()
        .with("Type", Object::name("Font"))
        .with("FontFile2", font_file);
    let content = AppearanceContent {
        content: b"1 0 0 rg 0 0 50 50 re f".to_vec(),
        resources: Dict::new().with("Font", Dict::new().with("F1", font)),
        width: 50.0,
        height: 50.0,
    };
    let opts = visible_at(0, [10.0, 10.0, 110.0, 110.0], Appearance::Content(content));
    let (signed, outcome, signer) = sign(&pdf, &opts).unwrap();
    check_signed(&pdf, &signed, &outcome, &signer);
    let text = String::from_utf8_lossy(&signed[pdf.len()..]).into_owned();
    assert!(
        text.contains("/FontFile2 "),
        "font file became an indirect object"
    );
    assert!(
        text.contains("q 2 0 0 2 0 0 cm"),
        "content scaled into the rectangle"
    );
}

#[test]
fn cjk_text_is_utf16() {
    let pdf = classic_pdf(&basic_objects(1), "");
    let opts = SignOptions {
        reason: Some("同意".into()),
        location: Some("北京".into()),
        ..Default::default()
    };
    let (signed, ..) = sign(&pdf, &opts).unwrap();
    let text = String::from_utf8_lossy(&signed[pdf.len()..]).into_owned();
    assert!(text.contains("/Reason <FEFF540C610F>"), "{text}");
}

#[test]
fn certify_prepare_then_fill_keeps_first_revision() {
    let pdf = classic_pdf(&basic_objects(2), "");
    let opts = SignOptions {
        target: SignatureTarget::NewField {
            name: Some("Certifier".into()),
            page: 0,
            rect: eseal_pdf::sign::FieldRect::Invisible,
        },
        certify: Some(2),
        prepare_fields: vec![
            PreparedField {
                name: "Finance".into(),
                page: 1,
                rect: eseal_pdf::sign::FieldRect::User([50.0, 50.0, 150.0, 150.0]),
            },
            PreparedField {
                name: "Legal".into(),
                page: 1,
                rect: eseal_pdf::sign::FieldRect::User([200.0, 50.0, 300.0, 150.0]),
            },
        ],
        lock_fields: Some(FieldLock::Include(vec!["Certifier".into()])),
        ..Default::default()
    };
    let (first, outcome1, signer) = sign(&pdf, &opts).unwrap();
    check_signed(&pdf, &first, &outcome1, &signer);
    {
        let mut r = PdfReader::open(Cursor::new(&first[..])).unwrap();
        let cat = r.catalog().unwrap();
        let perms = r.resolve_dict(cat.get("Perms").unwrap(), "perms").unwrap();
        let f = r.form_field("Certifier").unwrap().unwrap();
        assert_eq!(perms.get("DocMDP"), f.value.as_ref());
        assert!(f.lock.as_ref().unwrap().has_name("Action", "Include"));
        let sig = r.resolve_dict(f.value.as_ref().unwrap(), "sig").unwrap();
        let Some(Object::Array(refs)) = sig.get("Reference") else {
            panic!("no /Reference")
        };
        assert_eq!(refs.len(), 2);
        assert!(refs[0]
            .as_dict()
            .unwrap()
            .has_name("TransformMethod", "DocMDP"));
        assert!(refs[1]
            .as_dict()
            .unwrap()
            .has_name("TransformMethod", "FieldMDP"));
        let fin = r.form_field("Finance").unwrap().unwrap();
        assert!(fin.is_signature() && !fin.has_value());
        let page1 = r.page(1).unwrap();
        assert_eq!(
            page1
                .dict
                .get("Annots")
                .and_then(Object::as_array)
                .map(Vec::len),
            Some(2)
        );
    }
    // A second signer fills a prepared field with a picture, adding no field.
    let opts2 = SignOptions {
        target: SignatureTarget::ExistingField("Finance".into()),
        appearance: Appearance::Image(SealImage::new(rgba_png())),
        ..Default::default()
    };
    let (second, outcome2, signer2) = sign(&first, &opts2).unwrap();
    check_signed(&first, &second, &outcome2, &signer2);
    assert_eq!(&second[..pdf.len()], &pdf[..]);
    let mut r = PdfReader::open(Cursor::new(&second[..])).unwrap();
    assert_eq!(r.revisions().len(), 3);
    assert_eq!(r.revisions()[1].end_offset, first.len() as u64);
    let fin = r.form_field("Finance").unwrap().unwrap();
    assert!(fin.has_value());
    assert_eq!(fin.widgets[0].rect, Some([50.0, 50.0, 150.0, 150.0]));
    assert_eq!(r.form_fields().unwrap().len(), 3);
    // Filling it again fails; a new certification fails.
    assert!(matches!(
        sign(&second, &opts2),
        Err(Error::FieldAlreadySigned(_))
    ));
    let recert = SignOptions {
        certify: Some(2),
        ..Default::default()
    };
    assert!(matches!(
        sign(&second, &recert),
        Err(Error::CertifyAfterSignature)
    ));
    assert!(matches!(
        sign(
            &second,
            &SignOptions {
                target: SignatureTarget::ExistingField("Nope".into()),
                ..Default::default()
            }
        ),
        Err(Error::FieldNotFound(_))
    ));
}

#[test]
fn lock_all_and_certify_p1_refuses_later_signatures() {
    let pdf = classic_pdf(&basic_objects(1), "");
    let opts = SignOptions {
        certify: Some(1),
        lock_fields: Some(FieldLock::All),
        ..Default::default()
    };
    let (first, outcome, signer) = sign(&pdf, &opts).unwrap();
    check_signed(&pdf, &first, &outcome, &signer);
    let text = String::from_utf8_lossy(&first[pdf.len()..]).into_owned();
    assert!(text.contains("/Action /All"));
    assert!(matches!(
        sign(&first, &SignOptions::default()),
        Err(Error::CertifiedNoChanges)
    ));
    assert!(matches!(
        sign(
            &pdf,
            &SignOptions {
                certify: Some(4),
                ..Default::default()
            }
        ),
        Err(Error::InvalidOption(_))
    ));
}

#[test]
fn too_large_signature_names_the_sizes() {
    let pdf = classic_pdf(&basic_objects(1), "");
    let mut signer = RecordingSigner::new(16);
    signer.result_len = 40;
    let mut out = Cursor::new(Vec::new());
    let err = sign_incremental(
        &mut Cursor::new(&pdf[..]),
        &mut out,
        &SignOptions::default(),
        &mut signer,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Error::SignatureTooLarge {
            needed: 40,
            reserved: 16
        }
    ));
    assert!(err.to_string().contains("40") && err.to_string().contains("16"));
}

#[test]
fn output_must_be_empty() {
    let pdf = classic_pdf(&basic_objects(1), "");
    let mut out = Cursor::new(b"junk".to_vec());
    let mut signer = RecordingSigner::new(64);
    assert!(matches!(
        sign_incremental(
            &mut Cursor::new(&pdf[..]),
            &mut out,
            &SignOptions::default(),
            &mut signer
        ),
        Err(Error::OutputNotEmpty(4))
    ));
}

#[test]
fn qpdf_linearized_and_object_stream_files_sign() {
    let pdf = classic_pdf(&basic_objects(3), "");
    for args in [&["--linearize"][..], &["--object-streams=generate"][..]] {
        let Some(variant) = qpdf_transform(&pdf, args) else {
            return;
        };
        let opts = visible_at(
            2,
            [10.0, 10.0, 60.0, 60.0],
            Appearance::Image(SealImage::new(tiny_jpeg())),
        );
        let (signed, outcome, signer) = sign(&variant, &opts).unwrap();
        check_signed(&variant, &signed, &outcome, &signer);
    }
}

/// Counts reads and remembers the largest single one.
struct CountingReader<R> {
    inner: R,
    largest: usize,
    total: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.largest = self.largest.max(n);
        self.total += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for CountingReader<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn large_file_is_streamed_not_read_whole() {
    // ~50 MB: one page whose content stream is 50 MB of text.
    let big = vec![b'%'; 50 * 1024 * 1024];
    let mut objs = basic_objects(1);
    objs[3].1 = stream_body("", &big);
    let pdf = classic_pdf(&objs, "");
    drop(big);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let original_len = pdf.len() as u64;
    drop(pdf);
    let mut input = CountingReader {
        inner: std::fs::File::open(&path).unwrap(),
        largest: 0,
        total: 0,
    };
    let mut output = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.path().join("signed.pdf"))
        .unwrap();
    let mut signer = RecordingSigner::new(8192);
    signer.keep = false;
    let outcome = sign_incremental(
        &mut input,
        &mut output,
        &SignOptions::default(),
        &mut signer,
    )
    .unwrap();
    assert!(
        input.largest <= 1024 * 1024,
        "largest single read was {} bytes",
        input.largest
    );
    assert!(
        input.total < original_len + 2 * 1024 * 1024,
        "read the input about once"
    );
    let [_, a, b, c] = outcome.byte_range.numbers();
    assert_eq!(signer.fed_len, a + c);
    assert_eq!(b + c, output.metadata().unwrap().len());
}
