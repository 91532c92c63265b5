//! Revisions as ISO 32000-2 §7.5.5/§7.5.6 allow them and real producers write them: comments
//! between the trailer and `startxref` (iText's `%iText-Core-x.y.z`), `%%EOF` with or without
//! the end-of-line after it, data after the last `%%EOF`, and `startxref`/`/Prev` pointers a
//! few bytes off. Each file is made here: sealed by our signer, then edited where the producer
//! differs and signed again over the edited bytes (so the signature is genuine for them).
//!
//! What the reference validators say of each file was checked by hand on files saved with
//! `ESEAL_VERIFY_SAVE=DIR` (poppler 22.12 `pdfsig FILE`; pyHanko 0.38 `pyhanko sign validate
//! --pretty-print FILE`, with `--trust` the file's own CA certificate); it is written next to
//! each test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use eseal_certs::testing::TestPki;
use eseal_pdf::sign::SignOptions;
use eseal_pdf::verify::{Indication, Report};
use eseal_pdf::PdfReader;
use eseal_signer::cms::{self, ContentTypeFamily};
use sha2::{Digest, Sha256};
use verify_common::*;

/// Position of the last `needle`.
fn rfind(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .rposition(|w| w == needle)
        .unwrap()
}

/// Signs the newest signature of `pdf` again over its bytes as they are now, ending at
/// `end`: the producer's layout is edited in first, then the byte range and `/Contents` are
/// written as a signer would have written them.
fn resign_last(pki: &TestPki, pdf: &mut [u8], end: usize) {
    let br_at = rfind(pdf, b"/ByteRange [") + b"/ByteRange [".len();
    let close = br_at + pdf[br_at..].iter().position(|b| *b == b']').unwrap();
    let text = std::str::from_utf8(&pdf[br_at..close]).unwrap().to_string();
    let nums: Vec<usize> = text
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let (a, b) = (nums[1], nums[2]);
    let new = format!("0 {a} {b} {}", end - b);
    assert!(new.len() <= text.len());
    pdf[br_at..close].copy_from_slice(format!("{new:<w$}", w = text.len()).as_bytes());
    let mut h = Sha256::new();
    h.update(&pdf[..a]);
    h.update(&pdf[b..end]);
    let digest = h.finalize();
    let opts = cms::SignOptions {
        content_types: ContentTypeFamily::Pkcs7,
        ..Default::default()
    };
    let der = cms::sign_detached(
        &pki.leaf_key,
        &pki.leaf,
        std::slice::from_ref(&pki.intermediate),
        &digest,
        &opts,
    )
    .unwrap();
    let hex = hex::encode_upper(der);
    assert_eq!(pdf[a], b'<');
    assert!(hex.len() <= b - a - 2);
    pdf[a + 1..a + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    for x in &mut pdf[a + 1 + hex.len()..b - 1] {
        *x = b'0';
    }
}

/// Sealed once, with `edit` applied to the signed revision before it is signed again.
fn sealed_and_edited(pki: &TestPki, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut pdf = seal_with(pki, &base_pdf(), &SignOptions::default());
    edit(&mut pdf);
    let end = pdf.len();
    resign_last(pki, &mut pdf, end);
    pdf
}

/// Comments where iText and others write them: between the trailer and `startxref`, and
/// between `startxref`'s offset and `%%EOF`.
fn itext_comments(pdf: &mut Vec<u8>) {
    let at = rfind(pdf, b"startxref");
    pdf.splice(
        at..at,
        b"%iText-Core-7.2.5\n% a second comment line\r\n"
            .iter()
            .copied(),
    );
}

/// `%%EOF` with no end-of-line after it.
fn no_eol(pdf: &mut Vec<u8>) {
    while matches!(pdf.last(), Some(b'\n' | b'\r')) {
        pdf.pop();
    }
    assert!(pdf.ends_with(b"%%EOF"));
}

fn sealed_twice(pki: &TestPki, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let once = sealed_and_edited(pki, edit);
    assert_all_passed(&verify(&once, &options(pki)));
    seal_with(pki, &once, &SignOptions::default())
}

fn assert_two_passed_with_changes_analysed(r: &Report) {
    assert_eq!(r.signatures.len(), 2, "{}", r.to_text());
    assert_all_passed(r);
    // The first signature's revision was found, so its change analysis ran and found the
    // second signature (an allowed change).
    assert_eq!(
        r.signatures[0].coverage.revision,
        Some(1),
        "{}",
        r.to_text()
    );
    assert!(
        !r.signatures[0].allowed_changes.is_empty(),
        "no change analysed:\n{}",
        r.to_text()
    );
    assert!(r.signatures[1].coverage.covers_whole_file);
}

/// pdfsig: both signatures "Signature is Valid", the first "Not total document signed", the
/// second "Total document signed". pyHanko: both "cryptographically sound", the first "does
/// not cover the entire file. All modifications relate to signing and form filling
/// operations".
#[test]
fn comments_before_startxref_in_a_signed_revision() {
    let pki = pki();
    let pdf = sealed_twice(&pki, itext_comments);
    save("revisions-itext-comment", &pdf);
    let r = verify(&pdf, &options(&pki));
    assert_two_passed_with_changes_analysed(&r);
}

/// Comments after the `xref` table's rows and between objects of an unsigned update (between
/// the two signatures) are syntax (§7.2.4): the update reads and is analysed.
#[test]
fn comments_inside_an_unsigned_update() {
    let pki = pki();
    let once = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let mut pdf = append(&once, &[]);
    let xref = rfind(&pdf, b"trailer");
    pdf.splice(xref..xref, b"% written by some tool\n".iter().copied());
    let at = rfind(&pdf, b"startxref");
    pdf.splice(at..at, b"%iText-Core-7.2.5\n".iter().copied());
    let twice = seal_with(&pki, &pdf, &SignOptions::default());
    let r = verify(&twice, &options(&pki));
    assert_eq!(r.signatures.len(), 2, "{}", r.to_text());
    assert_all_passed(&r);
    assert_eq!(r.file.revisions, 4);
}

/// pdfsig: "Signature is Valid", "Total document signed" (one signature); both valid, the
/// first "Not total document signed" (two). pyHanko: "judged VALID" for each, the first one's
/// modifications "relate to signing and form filling operations".
#[test]
fn eof_without_end_of_line_in_the_last_and_an_earlier_revision() {
    let pki = pki();
    let once = sealed_and_edited(&pki, no_eol);
    save("revisions-no-eol-last", &once);
    let r = verify(&once, &options(&pki));
    assert_all_passed(&r);
    assert!(r.signatures[0].coverage.covers_whole_file);

    // The next update starts with an end-of-line of its own, which the first signature does
    // not cover.
    let pdf = seal_with(&pki, &once, &SignOptions::default());
    assert_eq!(pdf[once.len()], b'\n');
    save("revisions-no-eol-earlier", &pdf);
    let r = verify(&pdf, &options(&pki));
    assert_two_passed_with_changes_analysed(&r);
}

/// A byte range that stops at `%%EOF` while the file goes on with `\r\n` (some signers leave
/// the last line's end outside). pdfsig: "Signature is Valid", "Not total document signed".
/// pyHanko: "cryptographically sound", "does not cover the entire file", modifications "may be
/// illegitimate" but "compatible with the current document modification policy" (valid when
/// trusted, as for trailing white space and NULs).
#[test]
fn byte_range_ending_before_the_crlf_after_eof() {
    let pki = pki();
    let mut pdf = seal_with(&pki, &base_pdf(), &SignOptions::default());
    no_eol(&mut pdf);
    let end = pdf.len();
    pdf.extend_from_slice(b"\r\n");
    resign_last(&pki, &mut pdf, end);
    save("revisions-crlf-unsigned", &pdf);
    let r = verify(&pdf, &options(&pki));
    assert_all_passed(&r);
    assert!(!r.signatures[0].coverage.covers_whole_file);
    let twice = seal_with(&pki, &pdf, &SignOptions::default());
    assert_two_passed_with_changes_analysed(&verify(&twice, &options(&pki)));

    // Two bytes short of `%%EOF` is not the end of the revision.
    let mut short = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let end = short.len() - 3;
    resign_last(&pki, &mut short, end);
    let r = verify(&short, &options(&pki));
    assert!(!r.passed());
    assert!(
        r.to_text().contains("not the end of any revision"),
        "{}",
        r.to_text()
    );
}

/// A signed revision whose last line is followed by blank lines, all signed (writers that end
/// the file with extra end-of-lines): the byte range reaches past the `%%EOF` line over white
/// space only. pdfsig: "Signature is Valid", "Total document signed". pyHanko:
/// "cryptographically sound", "covers the entire file". Signed bytes beyond it that are not
/// white space are no revision's (stricter than pyHanko, which reads back up to 1 KiB to
/// `%%EOF` whatever stands there).
#[test]
fn byte_range_covering_blank_lines_after_eof() {
    let pki = pki();
    let pdf = sealed_and_edited(&pki, |pdf| pdf.extend_from_slice(b"\r\n  \n\n"));
    save("revisions-signed-blank-lines", &pdf);
    let r = verify(&pdf, &options(&pki));
    assert_all_passed(&r);
    assert!(r.signatures[0].coverage.covers_whole_file);
    let twice = seal_with(&pki, &pdf, &SignOptions::default());
    assert_two_passed_with_changes_analysed(&verify(&twice, &options(&pki)));

    let bad = sealed_and_edited(&pki, |pdf| pdf.extend_from_slice(b"\n% more\n"));
    let r = verify(&bad, &options(&pki));
    assert!(!r.passed());
    assert!(
        r.to_text().contains("not the end of any revision"),
        "{}",
        r.to_text()
    );
}

/// Data appended after the last `%%EOF` (here more than the 2 KiB most readers search for
/// `startxref`): the file is read, and the signature is not valid because it does not cover
/// those bytes. pdfsig: "Signature is Valid", "Not total document signed". pyHanko (strict or
/// not): refuses to read the file ("EOF marker not found"). White space and NULs after
/// `%%EOF` are padding and change nothing (pdfsig: valid, "Not total document signed";
/// pyHanko: "judged VALID", "does not cover the entire file").
#[test]
fn data_after_the_last_eof_is_reported_not_refused() {
    let pki = pki();
    let signed = seal_with(&pki, &base_pdf(), &SignOptions::default());
    for junk in [
        b"this is not part of the document".repeat(3),
        b"x".repeat(5000),
        [b"\n\n".to_vec(), b"%binary \x01\x02 ".repeat(300)].concat(),
    ] {
        let mut pdf = signed.clone();
        pdf.extend_from_slice(&junk);
        save("revisions-trailing-junk", &pdf);
        let r = verify(&pdf, &options(&pki));
        assert!(!r.passed(), "{}", r.to_text());
        assert_eq!(r.signatures.len(), 1, "{}", r.to_text());
        assert_ne!(r.signatures[0].indication, Indication::TotalPassed);
        assert!(!r.signatures[0].coverage.covers_whole_file);
        assert!(
            r.document_problems
                .iter()
                .any(|p| p.contains("no signature covers the whole file")),
            "{}",
            r.to_text()
        );
    }
    for padding in [&b"\n\n  \r\n"[..], &[0u8; 3000][..]] {
        let mut pdf = signed.clone();
        pdf.extend_from_slice(padding);
        assert_all_passed(&verify(&pdf, &options(&pki)));
    }
}

/// Moves the newest `/Prev` value by `delta` bytes, keeping the file's length (the number is
/// written on a field padded with spaces).
fn shift_last_prev(pdf: &mut [u8], delta: i64) {
    let at = rfind(pdf, b"/Prev ") + b"/Prev ".len();
    let len = pdf[at..].iter().position(|b| !b.is_ascii_digit()).unwrap();
    let value: i64 = std::str::from_utf8(&pdf[at..at + len])
        .unwrap()
        .parse()
        .unwrap();
    let text = format!("{}", value + delta);
    assert_eq!(text.len(), len, "keep the width");
    pdf[at..at + len].copy_from_slice(text.as_bytes());
}

/// `/Prev` of an unsigned update a few bytes off (before and after the section it means):
/// recovered, both signatures judged, the change analysis runs, and the report says what was
/// recovered. pdfsig: "Couldn't find trailer dictionary", then both "Signature is Valid"
/// (poppler rebuilds the cross-reference data by scanning). pyHanko (strict or not): "Generic
/// processing error" (it does not read the file).
#[test]
fn prev_a_few_bytes_off_is_recovered() {
    let pki = pki();
    let once = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let mut update = append(&once, &[]);
    for delta in [-3i64, 2] {
        let mut pdf = update.clone();
        shift_last_prev(&mut pdf, delta);
        let twice = seal_with(&pki, &pdf, &SignOptions::default());
        save("revisions-prev-off", &twice);
        let r = verify(&twice, &options(&pki));
        assert_eq!(r.signatures.len(), 2, "{}", r.to_text());
        assert_all_passed(&r);
        assert_eq!(r.file.revisions, 4);
        assert!(
            r.signatures[0]
                .warnings
                .iter()
                .any(|w| w.contains("broken cross-reference chain recovered")),
            "{}",
            r.to_text()
        );
    }
    // A `/Prev` nowhere near a section: the previous revision is the one whose `startxref`
    // line stands last before the update (pdfsig: both valid, as above).
    let mut pdf = update.clone();
    let at = rfind(&pdf, b"/Prev ") + b"/Prev ".len();
    pdf[at] = if pdf[at] == b'1' { b'2' } else { b'1' };
    let twice = seal_with(&pki, &pdf, &SignOptions::default());
    save("revisions-prev-far", &twice);
    let r = verify(&twice, &options(&pki));
    assert_eq!(r.signatures.len(), 2, "{}", r.to_text());
    assert_all_passed(&r);
    assert_eq!(r.file.revisions, 4);
    // A change hidden in the update with the broken pointer is still analysed.
    update = append(
        &once,
        &[(4, b"<< /Length 0 >>\nstream\n\nendstream".to_vec())],
    );
    shift_last_prev(&mut update, -3);
    let r = verify(&update, &options(&pki));
    assert_eq!(
        r.signatures[0].indication,
        Indication::TotalFailed,
        "{}",
        r.to_text()
    );
}

/// After a recovery, an object defined in the file but not where the recovered chain says (here
/// a later definition no cross-reference section lists) would show another document to readers
/// that rebuild the chain by scanning: the document has a problem and no signature passes.
#[test]
fn a_recovered_chain_must_agree_with_a_scan_of_the_file() {
    let pki = pki();
    let once = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let mut hidden = once.clone();
    hidden.extend_from_slice(b"4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n");
    let mut pdf = append(&hidden, &[]);
    shift_last_prev(&mut pdf, -3);
    let r = verify(&pdf, &options(&pki));
    assert!(!r.passed(), "{}", r.to_text());
    assert_ne!(r.signatures[0].indication, Indication::TotalPassed);
    assert!(
        r.document_problems
            .iter()
            .any(|p| p.contains("readers that rebuild the chain")),
        "{}",
        r.to_text()
    );
}

/// A pointer near a section that is there but broken is not recovered to some other section
/// further away (readers would disagree on which one counts): the file stays broken.
#[test]
fn a_broken_section_is_not_passed_over() {
    let pki = pki();
    let once = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let mut pdf = append(&once, &[]);
    shift_last_prev(&mut pdf, -3);
    // Break the table the /Prev meant (the signed revision's): its first subsection header.
    let prev_xref = rfind(&pdf[..rfind(&pdf, b"xref\n")], b"xref\n");
    pdf[prev_xref + 5] = b'x';
    assert!(PdfReader::open(std::io::Cursor::new(&pdf)).is_err());
    let r = verify(&pdf, &options(&pki));
    assert!(!r.passed());
    assert!(
        r.document_problems
            .iter()
            .any(|p| p.contains("revision structure is broken")),
        "{}",
        r.to_text()
    );
}

/// A `startxref` that points a few bytes before its `xref` keyword is recovered as well; one
/// that points nowhere near a section stays a broken file.
#[test]
fn startxref_off_is_recovered_only_nearby() {
    let pki = pki();
    let once = seal_with(&pki, &base_pdf(), &SignOptions::default());
    let mut pdf = append(&once, &[]);
    let at = rfind(&pdf, b"startxref") + b"startxref\n".len();
    let len = pdf[at..].iter().position(|b| !b.is_ascii_digit()).unwrap();
    let value: u64 = std::str::from_utf8(&pdf[at..at + len])
        .unwrap()
        .parse()
        .unwrap();
    let near = format!("{}", value - 5);
    pdf[at..at + len].copy_from_slice(near.as_bytes());
    let r = verify(&pdf, &options(&pki));
    assert_eq!(r.file.revisions, 3, "{}", r.to_text());
    assert_all_passed(&r);

    // Deep inside the signature's `/Contents` hex string, far from any section.
    let hex = rfind(&pdf, b"/Contents <") + 4000;
    let far = format!("{hex:0len$}");
    pdf[at..at + len].copy_from_slice(far.as_bytes());
    assert!(PdfReader::open(std::io::Cursor::new(&pdf)).is_err());
    let r = verify(&pdf, &options(&pki));
    assert!(!r.passed());
}
