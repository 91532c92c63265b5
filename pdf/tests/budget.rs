//! Decompression bombs against the reader's budget: a few kilobytes that decode to gigabytes,
//! or one stream named a thousand times, are refused naming the limit, never judged on the
//! part that happened to fit, and never allowed to take the memory of the process.
//!
//! The bombs are made here, by the test: a sealed document given a DSS whose /Certs name one
//! double-Flate stream a thousand times, and a document whose incremental updates each carry a
//! cross-reference stream padded with tens of megabytes of zeros.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::io::Cursor;

use eseal_certs::testing::TestPki;
use eseal_pdf::reader::{Budget, PdfReader, DEFAULT_DECODED_BYTES};
use eseal_pdf::verify::{verify_bytes, VerifyError};
use verify_common::*;

const MIB: usize = 1024 * 1024;

/// A stream whose data decodes (Flate twice) to `zeros` zero bytes: a few kilobytes on disk.
fn double_flate_zeros(zeros: usize) -> Vec<u8> {
    let once = common::zlib(&vec![0u8; zeros]);
    common::stream_body(" /Filter [/FlateDecode /FlateDecode]", &common::zlib(&once))
}

/// A sealed document, then an update whose DSS names `stream` `times` times as certificates.
fn sealed_with_dss(pki: &TestPki, stream: Vec<u8>, times: usize) -> Vec<u8> {
    let sealed = seal_with(pki, &base_pdf(), &sealer_opts());
    let n = size(&sealed);
    let refs = format!("{n} 0 R ").repeat(times);
    let catalog = object_text(&sealed, 1);
    let open = catalog.trim_end().strip_suffix(">>").expect("a dictionary");
    let catalog = format!("{open} /DSS << /Certs [{refs}] >> >>");
    append(&sealed, &[(n, stream), (1, catalog.into_bytes())])
}

#[test]
fn a_dss_naming_one_bomb_a_thousand_times_is_refused_naming_the_limit() {
    let pki = pki();
    let bomb = sealed_with_dss(&pki, double_flate_zeros(48 * MIB), 1000);
    assert!(bomb.len() < 200 * 1024, "{} bytes", bomb.len());
    save("dss-bomb", &bomb);
    match verify_bytes(&bomb, &options(&pki)) {
        Err(VerifyError::TooCostly { limit }) => assert_eq!(limit, DEFAULT_DECODED_BYTES),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(r) => panic!("judged in part: {}", r.to_text()),
    }
    // The same document with a budget large enough for a thousand decodings is not refused:
    // what decides is the budget, not the shape of the file.
    let small = sealed_with_dss(&pki, double_flate_zeros(1024), 1000);
    let r = verify_bytes(&small, &options(&pki)).expect("within the budget");
    assert!(r.passed(), "{}", r.to_text());
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
fn cross_reference_streams_padded_with_zeros_spend_one_budget() {
    // Two padded updates fit: the file opens and its revisions are read.
    let fits = padded_xref_streams(2, 8 * MIB);
    let r = PdfReader::open(Cursor::new(&fits)).expect("opens");
    assert_eq!(r.revisions().len(), 3);
    // Eight updates of 48 MiB each are 384 MiB of decoding: refused, naming the budget.
    let bomb = padded_xref_streams(8, 48 * MIB);
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    save("xref-bomb", &bomb);
    let budget = Budget::default();
    let err = PdfReader::open_with_budget(Cursor::new(&bomb), budget.clone())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("one document"), "{err}");
    assert!(budget.spent());
    let pki = pki();
    assert!(matches!(
        verify_bytes(&bomb, &options(&pki)),
        Err(VerifyError::TooCostly { .. })
    ));
    // A caller may give a larger budget where it knows its documents.
    let roomy = Budget::new(512 * MIB as u64);
    assert!(PdfReader::open_with_budget(Cursor::new(&bomb), roomy).is_ok());
}
