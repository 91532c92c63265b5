//! The lean reader on classic, xref-stream, hybrid, updated, linearized, encrypted and broken
//! files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use std::io::Cursor;

use common::*;
use eseal_pdf::reader::XrefEntry;
use eseal_pdf::{Error, ObjRef, Object, PdfReader, XrefKind};

fn open(pdf: &[u8]) -> Result<PdfReader<Cursor<&[u8]>>, Error> {
    PdfReader::open(Cursor::new(pdf))
}

#[test]
fn classic_xref_opens_and_finds_pages() {
    let pdf = classic_pdf(&basic_objects(3), "");
    let mut r = open(&pdf).unwrap();
    assert_eq!(r.revisions().len(), 1);
    assert_eq!(r.last_revision().xref_kind(), XrefKind::Table);
    assert_eq!(r.last_revision().end_offset, pdf.len() as u64);
    assert_eq!(r.page_count().unwrap(), 3);
    let p = r.page(2).unwrap();
    assert_eq!(p.obj_ref, ObjRef::new(7, 0));
    assert_eq!(
        p.media_box,
        [0.0, 0.0, 595.0, 842.0],
        "inherited from /Pages"
    );
    assert!(matches!(
        r.page(3),
        Err(Error::PageOutOfRange { page: 4, count: 3 })
    ));
    let Object::Stream(s) = r.get(ObjRef::new(8, 0)).unwrap() else {
        panic!("not a stream")
    };
    assert_eq!(
        &*r.stream_decoded(&s).unwrap(),
        b"BT /F1 12 Tf 72 720 Td (Page 3) Tj ET"
    );
}

#[test]
fn inherited_rotate_and_cropbox() {
    let mut objs = basic_objects(1);
    objs[1].1 = b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 600 800] /Rotate -270 /CropBox [10 10 590 790] >>".to_vec();
    let pdf = classic_pdf(&objs, "");
    let mut r = open(&pdf).unwrap();
    let p = r.page(0).unwrap();
    assert_eq!(p.rotate, 90);
    assert_eq!(p.crop_box, [10.0, 10.0, 590.0, 790.0]);
    // 100×50 box at view position (20, 30) on a page turned 90°.
    assert_eq!(
        p.rect_from_view(20.0, 30.0, 100.0, 50.0),
        [510.0, 30.0, 560.0, 130.0]
    );
}

#[test]
fn xref_stream_with_object_streams_and_png_predictor() {
    let pdf = xref_stream_pdf();
    let mut r = open(&pdf).unwrap();
    assert_eq!(r.last_revision().xref_kind(), XrefKind::Stream);
    assert_eq!(
        r.xref_entry(3),
        Some(XrefEntry::InObjectStream {
            stream: 7,
            index: 2
        })
    );
    assert_eq!(r.page_count().unwrap(), 2);
    assert_eq!(r.page(1).unwrap().obj_ref, ObjRef::new(5, 0));
    assert!(r.catalog().unwrap().has_name("Type", "Catalog"));
}

#[test]
fn hybrid_file_resolves_objects_from_xrefstm() {
    let pdf = hybrid_pdf();
    let mut r = open(&pdf).unwrap();
    assert_eq!(r.last_revision().xref_kind(), XrefKind::Hybrid);
    assert_eq!(
        r.xref_entry(2),
        Some(XrefEntry::InObjectStream {
            stream: 5,
            index: 0
        })
    );
    assert_eq!(r.page_count().unwrap(), 1);
    assert_eq!(r.page(0).unwrap().obj_ref, ObjRef::new(3, 0));
}

#[test]
fn prev_chain_of_three_revisions() {
    let mut pdf = classic_pdf(&basic_objects(1), "");
    let end0 = pdf.len() as u64;
    append_update(&mut pdf, &[(5, b"<< /Info 1 >>".to_vec())], 6);
    let end1 = pdf.len() as u64;
    append_update(
        &mut pdf,
        &[
            (3, b"<< /Type /Page /Parent 2 0 R /Rotate 180 >>".to_vec()),
            (6, b"(x)".to_vec()),
        ],
        7,
    );
    let mut r = open(&pdf).unwrap();
    let revs = r.revisions();
    assert_eq!(revs.len(), 3);
    assert_eq!(
        revs.iter().map(|v| v.end_offset).collect::<Vec<_>>(),
        vec![end0, end1, pdf.len() as u64]
    );
    assert!(revs.iter().all(|v| v.has_eof_marker));
    assert_eq!(
        revs[1].trailer().get("Prev").and_then(Object::as_i64),
        Some(revs[0].startxref() as i64)
    );
    // The newest definition of object 3 wins.
    assert_eq!(r.page(0).unwrap().rotate, 180);
    assert_eq!(r.size(), 7);
}

#[test]
fn prev_cycle_is_an_error() {
    let mut pdf = classic_pdf(&basic_objects(1), "");
    let first = last_startxref(&pdf);
    // An update whose /Prev points to itself.
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n5 1\n{first:010} 00000 n\r\ntrailer\n<< /Size 6 /Root 1 0 R /Prev {xref} >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    assert!(matches!(open(&pdf), Err(Error::PrevCycle { .. })));
}

#[test]
fn encrypted_file_is_refused() {
    let mut objs = basic_objects(1);
    objs.push((
        5,
        b"<< /Filter /Standard /V 1 /R 2 /O (x) /U (y) /P -4 >>".to_vec(),
    ));
    let pdf = classic_pdf(&objs, " /Encrypt 5 0 R /ID [<01> <01>]");
    assert!(matches!(open(&pdf), Err(Error::Encrypted)));
}

#[test]
fn broken_xref_is_an_error() {
    let mut pdf = classic_pdf(&basic_objects(1), "");
    // Point startxref into the middle of an object.
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    pdf.truncate(at);
    pdf.extend_from_slice(b"startxref\n20\n%%EOF\n");
    assert!(matches!(open(&pdf), Err(Error::BrokenXref { .. })));
    // An xref entry pointing at the wrong object.
    let mut pdf = classic_pdf(&basic_objects(1), "");
    let xref = last_startxref(&pdf) as usize;
    let entry1 = xref + b"xref\n0 1\n0000000000 65535 f\r\n1 1\n".len();
    pdf[entry1..entry1 + 10].copy_from_slice(b"0000000019");
    let mut r = open(&pdf).unwrap();
    assert!(matches!(
        r.catalog(),
        Err(Error::BrokenXref { .. }) | Err(Error::Syntax { .. })
    ));
}

#[test]
fn missing_startxref_and_non_pdf() {
    assert!(matches!(open(b"hello world"), Err(Error::NotPdf(_))));
    assert!(matches!(
        open(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"),
        Err(Error::NotPdf(_))
    ));
    assert!(open(b"").is_err());
}

/// Exercises the whole read path (pages, fields, streams) and ignores the result.
fn read_everything(pdf: &[u8]) {
    eseal_pdf::parse_for_fuzz(pdf);
}

#[test]
fn truncated_and_garbage_inputs_do_not_panic() {
    for pdf in [
        classic_pdf(&basic_objects(2), ""),
        xref_stream_pdf(),
        hybrid_pdf(),
    ] {
        for cut in (0..pdf.len()).step_by(7) {
            read_everything(&pdf[..cut]);
        }
        // Flip bytes one at a time (deterministic pseudo-random positions).
        let mut seed = 0x2545F491u32;
        for _ in 0..400 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let mut m = pdf.clone();
            let i = seed as usize % m.len();
            m[i] = (seed >> 8) as u8;
            read_everything(&m);
        }
    }
    read_everything(b"%PDF-1.7\nstartxref\n99999999999999999999\n%%EOF");
    read_everything(b"%PDF-1.7\nxref\n0 99999999999\ntrailer<<>>\nstartxref\n9\n%%EOF");
    read_everything(&[b'['; 100_000]);
}

#[test]
fn huge_length_and_self_referencing_length_are_errors_not_panics() {
    let mut objs = basic_objects(1);
    objs[3].1 = b"<< /Length 99999999999 >>\nstream\nabc\nendstream".to_vec();
    objs.push((5, b"<< /Length 5 0 R >>\nstream\nabc\nendstream".to_vec()));
    let pdf = classic_pdf(&objs, "");
    let mut r = open(&pdf).unwrap();
    // Falls back to finding `endstream`.
    let Object::Stream(s) = r.get(ObjRef::new(4, 0)).unwrap() else {
        panic!()
    };
    assert_eq!(r.stream_raw(&s).unwrap(), b"abc");
    let _ = r.get(ObjRef::new(5, 0));
}

#[test]
fn qpdf_linearized_and_object_stream_variants() {
    let pdf = classic_pdf(&basic_objects(3), "");
    let Some(lin) = qpdf_transform(&pdf, &["--linearize"]) else {
        return;
    };
    let mut r = open(&lin).unwrap();
    assert_eq!(
        r.revisions().len(),
        1,
        "the two sections of a linearized file are one revision"
    );
    assert!(r.revisions()[0].is_linearized());
    assert_eq!(r.revisions()[0].end_offset, lin.len() as u64);
    assert_eq!(r.page_count().unwrap(), 3);
    r.page(2).unwrap();

    let stm = qpdf_transform(&pdf, &["--object-streams=generate"]).unwrap();
    let mut r = open(&stm).unwrap();
    assert_eq!(r.last_revision().xref_kind(), XrefKind::Stream);
    assert_eq!(r.page_count().unwrap(), 3);
    r.page(1).unwrap();

    let both = qpdf_transform(&pdf, &["--linearize", "--object-streams=generate"]).unwrap();
    let mut r = open(&both).unwrap();
    assert_eq!(r.page_count().unwrap(), 3);
    r.page(2).unwrap();
}

#[test]
fn form_fields_with_hierarchical_names() {
    let mut objs = basic_objects(1);
    objs[0].1 = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>".to_vec();
    objs.push((
        5,
        b"<< /T (parent) /FT /Sig /Kids [6 0 R 7 0 R] >>".to_vec(),
    ));
    objs.push((
        6,
        b"<< /T (a) /Subtype /Widget /Rect [10 10 110 60] /P 3 0 R >>".to_vec(),
    ));
    objs.push((
        7,
        b"<< /T <FEFF540C610F> /FT /Tx /V (x) /Kids [8 0 R] >>".to_vec(),
    ));
    objs.push((
        8,
        b"<< /Subtype /Widget /Rect [0 0 1 1] /P 3 0 R /Parent 7 0 R >>".to_vec(),
    ));
    let pdf = classic_pdf(&objs, "");
    let mut r = open(&pdf).unwrap();
    let fields = r.form_fields().unwrap();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0].full_name, "parent.a");
    assert!(fields[0].is_signature() && !fields[0].has_value());
    assert_eq!(fields[0].widgets[0].rect, Some([10.0, 10.0, 110.0, 60.0]));
    assert_eq!(fields[0].widgets[0].page, Some(ObjRef::new(3, 0)));
    assert_eq!(fields[1].full_name, "parent.同意");
    assert_eq!(fields[1].field_type.as_deref(), Some("Tx"));
    assert_eq!(fields[1].widgets[0].obj_ref, ObjRef::new(8, 0));
}

#[test]
fn repair_rebuilds_unsigned_files_and_refuses_signed_ones() {
    let mut pdf = xref_stream_pdf();
    // Break the startxref value.
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    pdf.truncate(at);
    pdf.extend_from_slice(b"startxref\n3\n%%EOF\n");
    assert!(matches!(open(&pdf), Err(Error::BrokenXref { .. })));
    let mut r = eseal_pdf::repair::open_repaired(Cursor::new(&pdf[..])).unwrap();
    assert!(r.is_repaired());
    assert_eq!(r.page_count().unwrap(), 2);
    let mut fixed = Vec::new();
    eseal_pdf::repair::rewrite_repaired(Cursor::new(&pdf[..]), &mut fixed).unwrap();
    let mut r = open(&fixed).unwrap();
    assert_eq!(r.page_count().unwrap(), 2);
    r.page(1).unwrap();
    assert!(qpdf_check(&fixed));

    // A signed file with a broken xref is not rewritten.
    let mut signer = RecordingSigner::new(64);
    let mut signed = Cursor::new(Vec::new());
    let clean = classic_pdf(&basic_objects(1), "");
    eseal_pdf::sign::sign_incremental(
        &mut Cursor::new(&clean[..]),
        &mut signed,
        &Default::default(),
        &mut signer,
    )
    .unwrap();
    let mut signed = signed.into_inner();
    let at = signed.windows(9).rposition(|w| w == b"startxref").unwrap();
    signed.truncate(at);
    signed.extend_from_slice(b"startxref\n3\n%%EOF\n");
    let mut sink = Vec::new();
    assert!(matches!(
        eseal_pdf::repair::rewrite_repaired(Cursor::new(&signed[..]), &mut sink),
        Err(Error::RepairWouldBreakSignatures)
    ));
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for Counted<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn repair_scan_reads_each_byte_a_bounded_number_of_times() {
    // A file full of `obj` keywords that do not start objects (a fuzzer found this shape:
    // every false candidate used to re-read a whole chunk).
    let mut data = b"%PDF-1.7\n".to_vec();
    while data.len() < 3 * 1024 * 1024 {
        data.extend_from_slice(b"1 0 obj <<< ]] 2 0 obj >> x obj\n");
    }
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    let src = Counted {
        inner: std::io::Cursor::new(&data),
        read: read.clone(),
    };
    let _ = eseal_pdf::repair::open_repaired(src);
    // Linear: the scan's budget is 16 reads per byte plus 1 MiB.
    assert!(
        read.get() < 16 * data.len() as u64 + 4 * 1024 * 1024,
        "read {} bytes of a {}-byte file",
        read.get(),
        data.len()
    );
}
