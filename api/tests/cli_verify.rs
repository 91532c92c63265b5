//! `eseal verify`: exit codes (0 all TOTAL-PASSED, 1 any not or no signature, 2 usage or
//! unreadable input), the three report formats, `--crl`, `--at` and `--out`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use common::*;

fn setup() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    sealed_with_hierarchy(d.path(), "p256", &["--name", "合同专用章"]);
    d
}

#[test]
fn valid_seal_exits_0_in_every_format() {
    let d = setup();
    let p = d.path();
    let text = ok(p, &["verify", "signed.pdf", "--trust", "prov/ca.pem"]);
    assert!(
        text.contains("TOTAL-PASSED") && text.contains("合同专用章"),
        "{text}"
    );
    let json = ok(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "eseal-verify/1");
    assert_eq!(v["verdict"]["passed"], true);
    assert_eq!(v["signatures"][0]["indication"], "TOTAL-PASSED");
    assert_eq!(v["signatures"][0]["signer"]["uscc"], "91350100M000100Y43");
    ok(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--format",
            "html",
            "--out",
            "r.html",
        ],
    );
    let html = std::fs::read_to_string(p.join("r.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("TOTAL-PASSED"));
    // Paths validated at a given date: before the certificates existed → not valid.
    let out = eseal(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--at",
            "2001-01-01",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn revoked_signer_with_crl_exits_1() {
    let d = setup();
    let p = d.path();
    let serial = ok(p, &["cert", "show", "seal.pem"]);
    let serial = serial
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("serial:")
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| panic!("serial in {serial}"));
    ok(
        p,
        &["cert", "revoke", "--ca", "county", "--serial", &serial],
    );
    ok(p, &["crl", "--ca", "county", "--out", "county.crl"]);
    let out = eseal(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--crl",
            "county.crl",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("REVOKED"));
}

#[test]
fn tampered_unsigned_and_untrusted_exit_1() {
    let d = setup();
    let p = d.path();
    let mut pdf = std::fs::read(p.join("signed.pdf")).unwrap();
    let at = pdf.windows(8).position(|w| w == b"Business").unwrap();
    pdf[at] = b'b';
    std::fs::write(p.join("tampered.pdf"), &pdf).unwrap();
    let out = eseal(p, &["verify", "tampered.pdf", "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("HASH_FAILURE"));
    let out = eseal(p, &["verify", "in.pdf", "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no signature"), "{}", stderr(&out));
    ok(
        p,
        &[
            "ca",
            "init",
            "--dir",
            "other",
            "--name",
            "Other Root CA",
            "--alg",
            "p256",
        ],
    );
    let out = eseal(p, &["verify", "signed.pdf", "--trust", "other/ca.pem"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NO_CERTIFICATE_CHAIN_FOUND"));
}

#[test]
fn usage_and_unreadable_input_exit_2() {
    let d = setup();
    let p = d.path();
    std::fs::write(p.join("junk.pdf"), b"hello").unwrap();
    for args in [
        vec!["verify", "missing.pdf", "--trust", "prov/ca.pem"],
        vec!["verify", "junk.pdf", "--trust", "prov/ca.pem"],
        vec!["verify", "signed.pdf"],
        vec!["verify", "signed.pdf", "--trust", "missing.pem"],
        vec![
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--at",
            "yesterday",
        ],
        vec![
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--format",
            "xml",
        ],
    ] {
        let out = eseal(p, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

/// A DSS naming one stream a thousand times, the stream decoding (Flate twice) to 48 MiB of
/// zeros: about 30 KB on disk, 48 GB of decoding without a budget.
fn with_dss_bomb(signed: &[u8]) -> Vec<u8> {
    use eseal_pdf::writer::{write_incremental, IncrementalUpdate};
    use eseal_pdf::{Dict, Object, PdfReader, Stream};
    use std::io::{Cursor, Write};
    let zlib = |data: &[u8]| {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let data = zlib(&zlib(&vec![0u8; 48 << 20]));
    let mut reader = PdfReader::open(Cursor::new(signed)).unwrap();
    let mut update = IncrementalUpdate::new(&reader);
    let filters = Object::Array(vec![
        Object::name("FlateDecode"),
        Object::name("FlateDecode"),
    ]);
    let bomb = update.add(Object::Stream(Stream::new(
        Dict::new().with("Filter", filters),
        data,
    )));
    let mut catalog = reader.catalog().unwrap();
    catalog.set(
        "DSS",
        Dict::new().with("Certs", Object::Array(vec![Object::Reference(bomb); 1000])),
    );
    update.set(reader.catalog_ref().unwrap(), catalog);
    let mut out = Vec::new();
    write_incremental(&mut reader, &update, &mut out).unwrap();
    out
}

#[test]
fn a_decompression_bomb_exits_2_naming_the_limit() {
    let d = setup();
    let p = d.path();
    let signed = std::fs::read(p.join("signed.pdf")).unwrap();
    std::fs::write(p.join("bomb.pdf"), with_dss_bomb(&signed)).unwrap();
    let out = eseal(p, &["verify", "bomb.pdf", "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the limit for one document"),
        "{}",
        stderr(&out)
    );
    // The limit is the user's, in MiB; the plain file decodes nothing and passes even at 0.
    let out = eseal(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--max-decoded-mib",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
