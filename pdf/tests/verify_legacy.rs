//! The legacy sub-filters, recognised and judged weak (SHA-1): `/adbe.x509.rsa_sha1` (a bare
//! PKCS#1 signature in `/Contents`, certificates in `/Cert`, ISO 32000-1 §12.8.3.2) and
//! `/adbe.pkcs7.sha1` (a CMS SignedData encapsulating the SHA-1 digest of the byte ranges,
//! §12.8.3.3.1). Documents are built here: an incremental update with the signature field,
//! signed by `openssl`. Intact: INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE naming SHA-1;
//! a changed byte: TOTAL-FAILED / HASH_FAILURE. Passes with a note when openssl is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;
mod verify_common;

use std::path::Path;
use std::process::Command;

use der::DecodePem;
use eseal_pdf::verify::{Indication, SubIndication, VerifyOptions};
use verify_common::*;

const CONTENTS_ROOM: usize = 8192;

fn openssl(dir: &Path, args: &[&str]) -> Option<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(())
}

/// An RSA-2048 root and signer made by openssl; `None` without openssl.
fn rsa_pki(dir: &Path) -> Option<()> {
    std::fs::write(
        dir.join("ext.cnf"),
        "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\n\
         [leaf]\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,nonRepudiation\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .unwrap();
    for key in ["root.key", "leaf.key"] {
        openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                key,
            ],
        )?;
    }
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "root.key",
            "-subj",
            "/CN=Legacy Test Root",
            "-days",
            "30",
            "-sha256",
            "-out",
            "root.pem",
            "-config",
            "ext.cnf",
            "-extensions",
            "ca",
        ],
    )?;
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "leaf.key",
            "-subj",
            "/CN=Legacy Test Signer",
            "-out",
            "leaf.csr",
        ],
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "root.pem",
            "-CAkey",
            "root.key",
            "-set_serial",
            "7",
            "-days",
            "30",
            "-sha256",
            "-out",
            "leaf.pem",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "leaf",
        ],
    )?;
    openssl(
        dir,
        &[
            "x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der",
        ],
    )
}

/// The base document with a signature field whose dictionary has `/SubFilter sub_filter`,
/// `extra` entries and a zeroed `/Contents`; the `/ByteRange` is filled in. Returns the
/// document and the offset of the `<` that opens `/Contents`.
fn prepared(sub_filter: &str, extra: &str) -> (Vec<u8>, usize) {
    let base = base_pdf();
    let (s, f) = (20, 21);
    let catalog = format!(
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [8 0 R 9 0 R {f} 0 R] /SigFlags 3 >> >>"
    );
    let sig = format!(
        "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /{sub_filter} {extra} \
         /ByteRange [0000000000 0000000000 0000000000 0000000000] \
         /Contents <{}> >>",
        "0".repeat(2 * CONTENTS_ROOM)
    );
    let field = format!(
        "<< /FT /Sig /T (Legacy) /V {s} 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>"
    );
    let mut pdf = append(
        &base,
        &[
            (1, catalog.into_bytes()),
            (s, sig.into_bytes()),
            (f, field.into_bytes()),
        ],
    );
    let lt = find(&pdf, b"/Contents <") + 10;
    let gt = lt + 2 * CONTENTS_ROOM + 2;
    let ranges = format!("{:010} {:010} {:010} {:010}", 0, lt, gt, pdf.len() - gt);
    let at = find(&pdf, b"/ByteRange [") + 12;
    pdf[at..at + ranges.len()].copy_from_slice(ranges.as_bytes());
    (pdf, lt)
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

/// SHA-1 of everything but `/Contents`.
fn ranges_sha1(pdf: &[u8], lt: usize) -> Vec<u8> {
    let gt = lt + 2 * CONTENTS_ROOM + 2;
    let mut h = eseal_certs::DigestAlgorithm::Sha1.hasher();
    h.update(&pdf[..lt]);
    h.update(&pdf[gt..]);
    h.finish()
}

fn fill_contents(pdf: &mut [u8], lt: usize, value: &[u8]) {
    let hex = hex::encode_upper(value);
    assert!(hex.len() <= 2 * CONTENTS_ROOM);
    pdf[lt + 1..lt + 1 + hex.len()].copy_from_slice(hex.as_bytes());
}

fn opts(dir: &Path) -> VerifyOptions {
    let root =
        eseal_certs::Certificate::from_pem(std::fs::read(dir.join("root.pem")).unwrap()).unwrap();
    VerifyOptions {
        trust_anchors: vec![root.into()],
        ..Default::default()
    }
}

/// Intact is weak (never passes) naming SHA-1; one changed signed byte is HASH_FAILURE.
fn assert_weak_then_tampered(pdf: &[u8], dir: &Path) {
    let r = verify(pdf, &opts(dir));
    assert_sig(
        &r,
        0,
        Indication::Indeterminate,
        SubIndication::CryptoConstraintsFailure,
    );
    let reasons = r.signatures[0].reasons.join("; ");
    assert!(reasons.contains("SHA-1"), "{reasons}");
    let mut changed = pdf.to_vec();
    let at = find(&changed, b"Licence: granted") + 9;
    changed[at] = b'G';
    let r = verify(&changed, &opts(dir));
    assert_sig(&r, 0, Indication::TotalFailed, SubIndication::HashFailure);
}

#[test]
fn adbe_x509_rsa_sha1_is_recognised_and_weak() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    if rsa_pki(dir).is_none() {
        eprintln!("openssl not found; skipped");
        return;
    }
    let cert = std::fs::read(dir.join("leaf.der")).unwrap();
    let (mut pdf, lt) = prepared(
        "adbe.x509.rsa_sha1",
        &format!("/Cert [<{}>]", hex::encode_upper(&cert)),
    );
    std::fs::write(dir.join("digest.bin"), ranges_sha1(&pdf, lt)).unwrap();
    openssl(
        dir,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "leaf.key",
            "-pkeyopt",
            "digest:sha1",
            "-in",
            "digest.bin",
            "-out",
            "sig.bin",
        ],
    )
    .unwrap();
    let sig = std::fs::read(dir.join("sig.bin")).unwrap();
    let mut value = vec![0x04, 0x82, (sig.len() >> 8) as u8, sig.len() as u8];
    value.extend_from_slice(&sig);
    fill_contents(&mut pdf, lt, &value);
    assert_weak_then_tampered(&pdf, dir);

    // A signature by another key over the same bytes: SIG_CRYPTO_FAILURE, not a hash failure.
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "other.key",
        ],
    )
    .unwrap();
    openssl(
        dir,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "other.key",
            "-pkeyopt",
            "digest:sha1",
            "-in",
            "digest.bin",
            "-out",
            "other.bin",
        ],
    )
    .unwrap();
    let other = std::fs::read(dir.join("other.bin")).unwrap();
    let mut value = vec![0x04, 0x82, (other.len() >> 8) as u8, other.len() as u8];
    value.extend_from_slice(&other);
    fill_contents(&mut pdf, lt, &value);
    let r = verify(&pdf, &opts(dir));
    assert_sig(
        &r,
        0,
        Indication::TotalFailed,
        SubIndication::SigCryptoFailure,
    );
}

#[test]
fn adbe_pkcs7_sha1_is_recognised_and_weak() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    if rsa_pki(dir).is_none() {
        eprintln!("openssl not found; skipped");
        return;
    }
    let (mut pdf, lt) = prepared("adbe.pkcs7.sha1", "");
    std::fs::write(dir.join("digest.bin"), ranges_sha1(&pdf, lt)).unwrap();
    openssl(
        dir,
        &[
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-cades",
            "-in",
            "digest.bin",
            "-signer",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-md",
            "sha256",
            "-outform",
            "DER",
            "-out",
            "sig.p7s",
        ],
    )
    .unwrap();
    fill_contents(&mut pdf, lt, &std::fs::read(dir.join("sig.p7s")).unwrap());
    assert_weak_then_tampered(&pdf, dir);
}
