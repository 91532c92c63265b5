//! Bombs against the reader's budget: a few kilobytes that decode to gigabytes, one stream named
//! a thousand times, a cross-reference stream declaring millions of entries, an object stream
//! of millions of tiny objects. Each is refused naming the limit, never judged on the part that
//! happened to fit, and never allowed to take the memory of the process; a stream named many
//! times is decoded once, and padding after a cross-reference stream's rows is never inflated.
//!
//! The bombs are made here, by the test, as incremental updates of a sealed document.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::io::{Cursor, Write};

use eseal_certs::testing::TestPki;
use eseal_pdf::reader::{
    Budget, Limit, Limits, PdfReader, DEFAULT_DECODED_BYTES, DEFAULT_OBJECTS, DEFAULT_XREF_ENTRIES,
    MAX_DECODED_STREAM,
};
use eseal_pdf::verify::{verify_bytes, VerifyError, VerifyOptions};
use eseal_pdf::Object;
use verify_common::*;

const MIB: usize = 1024 * 1024;

/// A stream whose data decodes (Flate twice) to `zeros` zero bytes: a few kilobytes on disk.
fn double_flate_zeros(zeros: usize) -> Vec<u8> {
    let mut once = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let chunk = vec![0u8; MIB];
    let mut left = zeros;
    while left > 0 {
        let n = left.min(MIB);
        once.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    let once = once.finish().unwrap();
    common::stream_body(" /Filter [/FlateDecode /FlateDecode]", &common::zlib(&once))
}

fn sealed(pki: &TestPki) -> Vec<u8> {
    seal_with(pki, &base_pdf(), &sealer_opts())
}

/// The catalog of `pdf` (object 1) with `extra` added to its dictionary.
fn catalog_with(pdf: &[u8], extra: &str) -> Vec<u8> {
    let catalog = object_text(pdf, 1);
    let open = catalog.trim_end().strip_suffix(">>").expect("a dictionary");
    format!("{open} {extra} >>").into_bytes()
}

/// A sealed document, then an update whose DSS names `stream` `times` times as certificates.
fn sealed_with_dss(pki: &TestPki, stream: Vec<u8>, times: usize) -> Vec<u8> {
    let sealed = sealed(pki);
    let n = size(&sealed);
    let refs = format!("{n} 0 R ").repeat(times);
    let catalog = catalog_with(&sealed, &format!("/DSS << /Certs [{refs}] >>"));
    append(&sealed, &[(n, stream), (1, catalog)])
}

/// The refusal `verify_bytes` gives, or a panic naming what it gave instead.
fn refusal(pdf: &[u8], opts: &VerifyOptions) -> (&'static str, u64) {
    match verify_bytes(pdf, opts) {
        Err(VerifyError::TooCostly { what, limit }) => (what, limit),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(r) => panic!("judged in part: {}", r.to_text()),
    }
}

/// The `/Certs` streams of the DSS of `r`.
fn dss_certs<R: std::io::Read + std::io::Seek>(r: &mut PdfReader<R>) -> Vec<eseal_pdf::Stream> {
    let catalog = r.catalog().unwrap();
    let dss = r.resolve_dict(catalog.get("DSS").unwrap(), "DSS").unwrap();
    let certs = r.resolve(dss.get("Certs").unwrap()).unwrap();
    certs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| match r.resolve(c).unwrap() {
            Object::Stream(s) => s,
            other => panic!("not a stream: {other:?}"),
        })
        .collect()
}

#[test]
fn a_stream_named_a_thousand_times_from_two_readers_is_decoded_and_charged_once() {
    let pki = pki();
    let doc = sealed_with_dss(&pki, double_flate_zeros(48 * MIB), 1000);
    assert!(doc.len() < 200 * 1024, "{} bytes", doc.len());
    save("dss-named-1000-times", &doc);
    let budget = Budget::default();
    let mut before = None;
    // Two readers of one document, as the verifier's revision views are.
    for _ in 0..2 {
        let mut r = PdfReader::open_with_budget(Cursor::new(&doc), budget.clone()).unwrap();
        before.get_or_insert(budget.used().decoded_bytes);
        let certs = dss_certs(&mut r);
        assert_eq!(certs.len(), 1000);
        for s in &certs {
            assert_eq!(r.stream_decoded(s).unwrap().len(), 48 * MIB);
        }
    }
    let charged = budget.used().decoded_bytes - before.unwrap();
    assert_eq!(charged, 48 * MIB as u64);
    // The verifier, too, decodes it once: a budget that fits one decoding but not two suffices.
    let opts = VerifyOptions {
        decoded_bytes: Some(49 * MIB as u64),
        ..options(&pki)
    };
    let r = verify_bytes(&doc, &opts).expect("within the budget");
    assert!(r.passed(), "{}", r.to_text());
}

#[test]
fn an_object_stream_read_from_every_revision_view_is_decoded_once() {
    let pki = pki();
    // The catalog lives in an object stream of a little over 1 MiB decoded.
    let padding = "a".repeat(MIB);
    let mut doc = common::xref_stream_pdf_with(&format!(" /Padding ({padding})"));
    for _ in 0..3 {
        doc = seal_with(&pki, &doc, &sealer_opts());
    }
    // Every view of the change analysis reads the catalog; 2 MiB suffice only if the object
    // stream is decoded once for all of them.
    let opts = VerifyOptions {
        decoded_bytes: Some(2 * MIB as u64),
        ..options(&pki)
    };
    let r = verify_bytes(&doc, &opts).expect("within the budget");
    assert_eq!(r.signatures.len(), 3);
    assert!(r.passed(), "{}", r.to_text());
}

#[test]
fn a_dss_naming_a_stream_over_the_per_stream_cap_is_refused_naming_that_limit() {
    let pki = pki();
    let bomb = sealed_with_dss(
        &pki,
        double_flate_zeros(MAX_DECODED_STREAM as usize + MIB),
        1000,
    );
    assert!(bomb.len() < 200 * 1024, "{} bytes", bomb.len());
    save("dss-bomb", &bomb);
    assert_eq!(
        refusal(&bomb, &options(&pki)),
        (Limit::DecodedStream.what(), MAX_DECODED_STREAM)
    );
}

#[test]
fn distinct_streams_past_the_document_budget_are_refused_naming_it() {
    let pki = pki();
    let sealed = sealed(&pki);
    let n = size(&sealed);
    // Six distinct streams of 48 MiB each: 288 MiB, past the 256 MiB of one document.
    let mut objects: Vec<(u32, Vec<u8>)> = (0..6)
        .map(|i| (n + i, double_flate_zeros(48 * MIB)))
        .collect();
    let refs: String = (0..6).map(|i| format!("{} 0 R ", n + i)).collect();
    objects.push((
        1,
        catalog_with(&sealed, &format!("/DSS << /Certs [{refs}] >>")),
    ));
    let bomb = append(&sealed, &objects);
    assert_eq!(
        refusal(&bomb, &options(&pki)),
        (Limit::DecodedBytes.what(), DEFAULT_DECODED_BYTES)
    );
}

/// `updates` incremental updates after a small classic file, each with a cross-reference
/// stream whose rows are followed by `padding` zero bytes (ignored after the rows, but decoded).
fn padded_xref_streams(updates: u32, padding: usize) -> Vec<u8> {
    let mut pdf = common::classic_pdf(&common::basic_objects(1), "");
    let first = verify_common::size(&pdf);
    for size in first..first + updates {
        let prev = common::last_startxref(&pdf);
        let at = pdf.len() as u64;
        let mut rows = vec![1u8];
        rows.extend_from_slice(&(at as u32).to_be_bytes());
        rows.extend_from_slice(&[0, 0]);
        rows.resize(rows.len() + padding, 0);
        let body = common::stream_body(
            &format!(
                " /Type /XRef /Size {} /Index [{size} 1] /W [1 4 2] /Root 1 0 R /Prev {prev} \
                 /Filter /FlateDecode",
                size + 1
            ),
            &common::zlib(&rows),
        );
        pdf.extend_from_slice(format!("{size} 0 obj\n").as_bytes());
        pdf.extend_from_slice(&body);
        pdf.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
    }
    pdf
}

#[test]
fn cross_reference_streams_padded_with_zeros_cost_their_rows() {
    // Eight updates whose rows are followed by 48 MiB of zeros each: 384 MiB if inflated whole.
    let padded = padded_xref_streams(8, 48 * MIB);
    assert!(padded.len() < 1024 * 1024, "{} bytes", padded.len());
    save("xref-padding", &padded);
    let budget = Budget::new(MIB as u64);
    let r = PdfReader::open_with_budget(Cursor::new(&padded), budget.clone()).expect("opens");
    assert_eq!(r.revisions().len(), 9);
    // Seven bytes of rows each; nothing of the padding.
    assert_eq!(budget.used().decoded_bytes, 8 * 7);
}

/// Appends to `pdf` an update whose cross-reference stream lists the `direct` objects by offset
/// and `members` (object number, object stream) by their index in that list.
fn append_with_xref_stream(
    pdf: &[u8],
    direct: &[(u32, Vec<u8>)],
    members: &[(u32, u32)],
) -> Vec<u8> {
    let mut out = pdf.to_vec();
    let prev = common::last_startxref(pdf);
    let mut rows: Vec<(u32, [u8; 7])> = Vec::new();
    for (n, body) in direct {
        let at = out.len() as u32;
        out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
        let mut row = [1, 0, 0, 0, 0, 0, 0];
        row[1..5].copy_from_slice(&at.to_be_bytes());
        rows.push((*n, row));
    }
    for (i, (n, stm)) in members.iter().enumerate() {
        let mut row = [2, 0, 0, 0, 0, 0, 0];
        row[1..5].copy_from_slice(&stm.to_be_bytes());
        row[5..7].copy_from_slice(&(i as u16).to_be_bytes());
        rows.push((*n, row));
    }
    let xref = direct
        .iter()
        .map(|(n, _)| *n)
        .chain(members.iter().map(|(n, _)| *n))
        .max()
        .unwrap()
        .max(size(pdf))
        + 1;
    let at = out.len() as u32;
    let mut self_row = [1, 0, 0, 0, 0, 0, 0];
    self_row[1..5].copy_from_slice(&at.to_be_bytes());
    rows.push((xref, self_row));
    let index: String = rows.iter().map(|(n, _)| format!("{n} 1 ")).collect();
    let data: Vec<u8> = rows.iter().flat_map(|(_, r)| *r).collect();
    let body = common::stream_body(
        &format!(
            " /Type /XRef /Size {} /Index [{index}] /W [1 4 2] /Root 1 0 R /Prev {prev} \
             /Filter /FlateDecode",
            xref + 1
        ),
        &common::zlib(&data),
    );
    out.extend_from_slice(format!("{xref} 0 obj\n").as_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
    out
}

/// An update whose cross-reference stream declares `entries` entries of one byte each: a few
/// kilobytes on disk.
fn declaring_xref_entries(pdf: &[u8], entries: u64) -> Vec<u8> {
    let mut out = pdf.to_vec();
    let prev = common::last_startxref(pdf);
    let at = out.len();
    let body = common::stream_body(
        &format!(
            " /Type /XRef /Size {entries} /W [1 0 0] /Root 1 0 R /Prev {prev} /Filter /FlateDecode"
        ),
        &common::zlib(&vec![1u8; entries as usize]),
    );
    out.extend_from_slice(format!("{} 0 obj\n", entries - 1).as_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
    out
}

#[test]
fn a_cross_reference_stream_declaring_millions_of_entries_is_refused_before_decoding() {
    let pki = pki();
    let sealed = sealed(&pki);
    let bomb = declaring_xref_entries(&sealed, 3 * DEFAULT_XREF_ENTRIES / 2);
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    save("xref-entries-bomb", &bomb);
    let budget = Budget::default();
    let err = PdfReader::open_with_budget(Cursor::new(&bomb), budget.clone())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("cross-reference entries"), "{err}");
    assert_eq!(budget.used().decoded_bytes, 0, "decoded before counting");
    assert_eq!(
        refusal(&bomb, &options(&pki)),
        (Limit::XrefEntries.what(), DEFAULT_XREF_ENTRIES)
    );
    // The limit is the caller's: the sealed file alone passes by default and is refused with
    // room for five entries.
    assert!(verify_bytes(&sealed, &options(&pki)).unwrap().passed());
    let tight = VerifyOptions {
        xref_entries: Some(5),
        ..options(&pki)
    };
    assert_eq!(refusal(&sealed, &tight), (Limit::XrefEntries.what(), 5));
}

/// An object stream holding `objects`, declaring `declared` members: the ones it holds, then
/// the last of them over and over.
fn object_stream(objects: &[(u32, Vec<u8>)], declared: usize) -> Vec<u8> {
    let mut header = String::new();
    let mut data = Vec::new();
    let mut last = String::new();
    for (n, body) in objects {
        last = format!("{n} {} ", data.len());
        header.push_str(&last);
        data.extend_from_slice(body);
        data.push(b' ');
    }
    header.push_str(&last.repeat(declared - objects.len()));
    let first = header.len();
    let mut all = header.into_bytes();
    all.extend_from_slice(&data);
    common::stream_body(
        &format!(" /Type /ObjStm /N {declared} /First {first} /Filter /FlateDecode"),
        &common::zlib(&all),
    )
}

#[test]
fn an_object_stream_of_millions_of_tiny_objects_is_refused_while_it_is_parsed() {
    let pki = pki();
    let sealed = sealed(&pki);
    let stm = size(&sealed);
    let count = 3 * DEFAULT_OBJECTS as usize / 2;
    let catalog = catalog_with(&sealed, &format!("/Bomb [{}]", "0 ".repeat(count)));
    let bomb = append_with_xref_stream(
        &sealed,
        &[(stm, object_stream(&[(1, catalog)], 1))],
        &[(1, stm)],
    );
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    save("objstm-bomb", &bomb);
    let budget = Budget::default();
    let mut r = PdfReader::open_with_budget(Cursor::new(&bomb), budget.clone()).unwrap();
    let err = r.catalog().unwrap_err();
    assert!(err.to_string().contains("objects parsed"), "{err}");
    assert_eq!(
        budget.used().objects,
        DEFAULT_OBJECTS,
        "the budget is spent"
    );
    assert_eq!(
        refusal(&bomb, &options(&pki)),
        (Limit::Objects.what(), DEFAULT_OBJECTS)
    );
}

#[test]
fn the_members_an_object_stream_declares_are_charged_as_objects() {
    let pki = pki();
    let sealed = sealed(&pki);
    let stm = size(&sealed);
    let catalog = catalog_with(&sealed, "/Changed true");
    let doc = append_with_xref_stream(
        &sealed,
        &[(stm, object_stream(&[(1, catalog)], 500_000))],
        &[(1, stm)],
    );
    let budget = Budget::with_limits(Limits {
        objects: 400_000,
        ..Limits::default()
    });
    let mut r = PdfReader::open_with_budget(Cursor::new(&doc), budget.clone()).unwrap();
    assert!(r.catalog().is_err());
    assert_eq!(budget.refusal().unwrap().what, Limit::Objects.what());
    // With room for them, the same document reads.
    let mut r = PdfReader::open(Cursor::new(&doc)).unwrap();
    assert!(r.catalog().unwrap().contains("Changed"));
}

#[test]
fn the_caller_sets_the_objects_limit() {
    let pki = pki();
    let sealed = sealed(&pki);
    let tight = VerifyOptions {
        objects: Some(50),
        ..options(&pki)
    };
    assert_eq!(refusal(&sealed, &tight), (Limit::Objects.what(), 50));
}
