//! Independent judges of our CMS: OpenSSL for P-256 (`openssl cms -verify`), and the pure
//! Python `gmssl` package with `asn1crypto` for SM2 (OpenSSL 3.0 uses an empty SM2 ID and is
//! no judge there). Each test prints a note and passes when its tool is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use der::EncodePem;
use eseal_certs::testing::TestPki;
use eseal_certs::Algorithm;
use eseal_signer::cms::{
    add_unsigned_attribute, sign_detached, timestamp_attribute, ContentTypeFamily, SignOptions,
};

const CONTENT: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nthe signed byte ranges";
const INTEROP_PYTHON: &str = "/root/.cache/eseal-interop/venv/bin/python";

/// Sign CONTENT and write sig.der, data.bin and root.pem into a fresh directory.
fn signed_files(alg: Algorithm, options: &SignOptions) -> (tempfile::TempDir, TestPki, Vec<u8>) {
    let pki = TestPki::new(alg).unwrap();
    let digest = alg.digest().hash(CONTENT);
    let der = sign_detached(
        &pki.leaf_key,
        &pki.leaf,
        std::slice::from_ref(&pki.intermediate),
        &digest,
        options,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sig.der"), &der).unwrap();
    std::fs::write(dir.path().join("data.bin"), CONTENT).unwrap();
    let pem = pki.root.to_pem(der::pem::LineEnding::LF).unwrap();
    std::fs::write(dir.path().join("root.pem"), pem).unwrap();
    (dir, pki, der)
}

fn have(program: &str) -> bool {
    Command::new(program).arg("version").output().is_ok()
}

fn openssl_verify(dir: &Path, sig: &str, content: &str) -> Output {
    let output = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(dir.join(sig))
        .arg("-content")
        .arg(dir.join(content))
        .arg("-CAfile")
        .arg(dir.join("root.pem"))
        .args(["-purpose", "any", "-out"])
        .arg(dir.join("out.bin"))
        .output()
        .unwrap();
    println!(
        "openssl cms -verify {sig} {content}: {} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    output
}

fn one_byte_changed(dir: &Path) {
    let mut changed = CONTENT.to_vec();
    changed[10] ^= 0x01;
    std::fs::write(dir.join("changed.bin"), changed).unwrap();
}

#[test]
fn openssl_verifies_p256_cms_and_rejects_changed_content() {
    if !have("openssl") {
        println!("NOTE: openssl not found; P-256 interop check skipped");
        return;
    }
    let (dir, _pki, _) = signed_files(Algorithm::P256, &SignOptions::default());
    assert!(openssl_verify(dir.path(), "sig.der", "data.bin")
        .status
        .success());
    assert_eq!(std::fs::read(dir.path().join("out.bin")).unwrap(), CONTENT);
    one_byte_changed(dir.path());
    assert!(!openssl_verify(dir.path(), "sig.der", "changed.bin")
        .status
        .success());
}

#[test]
fn openssl_verifies_p256_cms_with_unsigned_attribute_added() {
    if !have("openssl") {
        println!("NOTE: openssl not found; P-256 interop check skipped");
        return;
    }
    let (dir, _pki, der) = signed_files(Algorithm::P256, &SignOptions::default());
    // Any ContentInfo will do as a stand-in token: OpenSSL does not check unsigned attributes.
    let token = std::fs::read(dir.path().join("sig.der")).unwrap();
    let with_ts = add_unsigned_attribute(&der, timestamp_attribute(&token).unwrap()).unwrap();
    std::fs::write(dir.path().join("sig-ts.der"), with_ts).unwrap();
    assert!(openssl_verify(dir.path(), "sig-ts.der", "data.bin")
        .status
        .success());
    let printed = Command::new("openssl")
        .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"])
        .arg(dir.path().join("sig-ts.der"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&printed.stdout);
    for expected in [
        "id-smime-aa-signingCertificateV2",
        "id-smime-aa-timeStampToken",
        "messageDigest",
    ] {
        assert!(text.contains(expected), "openssl -print lacks {expected}");
    }
}

fn gmssl_check(dir: &Path, content: &str) -> Option<Output> {
    if !Path::new(INTEROP_PYTHON).exists() {
        println!("NOTE: {INTEROP_PYTHON} not found; gmssl SM2 check skipped");
        return None;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gmssl_cms.py");
    let output = Command::new(INTEROP_PYTHON)
        .arg(script)
        .arg(dir.join("sig.der"))
        .arg(dir.join(content))
        .output()
        .unwrap();
    println!(
        "gmssl {content}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(output)
}

fn gmssl_judges_sm2(family: ContentTypeFamily) {
    let options = SignOptions {
        content_types: family,
        ..SignOptions::default()
    };
    let (dir, _pki, _) = signed_files(Algorithm::Sm2, &options);
    let Some(out) = gmssl_check(dir.path(), "data.bin") else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("valid_default_id=True"), "{text}");
    assert!(text.contains("valid_empty_id=False"), "{text}");
    assert!(text.contains("signature_alg=1.2.156.10197.1.501"), "{text}");
    let gmt = family == ContentTypeFamily::GmT0010;
    assert!(text.contains(&format!(
        "gmt0010_oids={}",
        if gmt { "True" } else { "False" }
    )));
    one_byte_changed(dir.path());
    let out = gmssl_check(dir.path(), "changed.bin").unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact=False"));
}

#[test]
fn gmssl_verifies_sm2_cms_pkcs7_oids() {
    gmssl_judges_sm2(ContentTypeFamily::Pkcs7);
}

#[test]
fn gmssl_verifies_sm2_cms_gmt0010_oids() {
    gmssl_judges_sm2(ContentTypeFamily::GmT0010);
}

#[test]
fn we_verify_p256_cms_made_by_openssl() {
    use eseal_signer::cms::SignedCms;
    if !have("openssl") {
        println!("NOTE: openssl not found; foreign P-256 CMS check skipped");
        return;
    }
    let (dir, pki, _) = signed_files(Algorithm::P256, &SignOptions::default());
    let d = dir.path();
    let pem = |c: &x509_cert::Certificate| c.to_pem(der::pem::LineEnding::LF).unwrap();
    std::fs::write(d.join("leaf.pem"), pem(&pki.leaf)).unwrap();
    std::fs::write(d.join("inter.pem"), pem(&pki.intermediate)).unwrap();
    std::fs::write(
        d.join("key.pem"),
        pki.leaf_key.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    let status = Command::new("openssl")
        .args([
            "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER", "-in",
        ])
        .arg(d.join("data.bin"))
        .arg("-signer")
        .arg(d.join("leaf.pem"))
        .arg("-inkey")
        .arg(d.join("key.pem"))
        .arg("-certfile")
        .arg(d.join("inter.pem"))
        .arg("-out")
        .arg(d.join("openssl.der"))
        .status()
        .unwrap();
    assert!(status.success());
    let cms = SignedCms::parse(&std::fs::read(d.join("openssl.der")).unwrap()).unwrap();
    let verdict = cms
        .verify_detached(&Algorithm::P256.digest().hash(CONTENT))
        .unwrap();
    println!(
        "OpenSSL-made CMS: ESS {:?}, signing time {:?}, algorithm protection {}",
        verdict.ess,
        verdict.signing_time.map(|t| t.to_string()),
        verdict.algorithm_protection
    );
    assert_eq!(verdict.signer_certificate, pki.leaf);
    let mut changed = CONTENT.to_vec();
    changed[10] ^= 1;
    assert!(cms
        .verify_detached(&Algorithm::P256.digest().hash(&changed))
        .is_err());
}
