//! CMS as OpenSSL writes it with `-stream`: BER with indefinite lengths and the content in a
//! constructed OCTET STRING (the framing Adobe and most national tools use), with one signer
//! and with two. (`-stream` always encapsulates the content; the detached BER case is in the
//! unit tests.) Each test prints a note and passes
//! when openssl is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::path::Path;
use std::process::Command;

use der::EncodePem;
use eseal_certs::issue::{issue, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::testing::TestPki;
use eseal_certs::{Algorithm, Certificate, SigningKey, SoftwareKey};
use eseal_signer::cms::{CmsError, SignedCms};

const DATA: &[u8] = b"%PDF-1.7 the byte ranges a streaming signer signed";

fn have_openssl() -> bool {
    Command::new("openssl").arg("version").output().is_ok()
}

fn pem(c: &Certificate) -> String {
    c.to_pem(der::pem::LineEnding::LF).unwrap()
}

fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    println!(
        "openssl {}: {} {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    out
}

/// A test PKI's leaf and a second signer under its intermediate, as files in a temp dir.
fn setup() -> (tempfile::TempDir, TestPki) {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let second_key = SoftwareKey::generate(Algorithm::P256).unwrap();
    let second = issue(
        &Issuer {
            certificate: &pki.intermediate,
            key: &pki.intermediate_key,
        },
        &CertRequest::new(
            SubjectName::common("Second signer").to_name().unwrap(),
            second_key.public_key().clone(),
            CertKind::Seal,
            365,
        ),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.bin"), DATA).unwrap();
    std::fs::write(d.join("chain.pem"), pem(&pki.intermediate)).unwrap();
    std::fs::write(d.join("a.pem"), pem(&pki.leaf)).unwrap();
    std::fs::write(
        d.join("a.key"),
        pki.leaf_key.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(d.join("b.pem"), pem(&second)).unwrap();
    std::fs::write(
        d.join("b.key"),
        second_key.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    (dir, pki)
}

/// `openssl cms -sign -stream` of the data by the given signers.
fn sign_streaming(d: &Path, signers: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "cms",
        "-sign",
        "-stream",
        "-binary",
        "-outform",
        "DER",
        "-md",
        "sha256",
        "-in",
        "data.bin",
        "-certfile",
        "chain.pem",
        "-out",
        "sig.p7s",
    ];
    let names: Vec<(String, String)> = signers
        .iter()
        .map(|s| (format!("{s}.pem"), format!("{s}.key")))
        .collect();
    for (cert, key) in &names {
        args.extend(["-signer", cert.as_str(), "-inkey", key.as_str()]);
    }
    assert!(openssl(d, &args).status.success());
    std::fs::read(d.join("sig.p7s")).unwrap()
}

#[test]
fn openssl_streamed_ber_signature_verifies_and_catches_tampering() {
    if !have_openssl() {
        println!("NOTE: openssl not found; BER interop check skipped");
        return;
    }
    let (dir, _pki) = setup();
    let ber = sign_streaming(dir.path(), &["a"]);
    assert_eq!(
        &ber[..2],
        &[0x30, 0x80],
        "openssl -stream writes indefinite lengths"
    );
    let cms = SignedCms::parse(&ber).unwrap();
    let (_, content) = cms.verify_encapsulated_with(&[]).unwrap();
    assert_eq!(content, DATA);
    assert!(cms.deviations().is_empty());
    // One changed bit of the streamed content: the digest no longer matches.
    let at = ber.windows(DATA.len()).position(|w| w == DATA).unwrap() + 3;
    let mut tampered = ber.clone();
    tampered[at] ^= 1;
    assert!(matches!(
        SignedCms::parse(&tampered)
            .unwrap()
            .verify_encapsulated_with(&[]),
        Err(CmsError::DigestMismatch)
    ));
}

#[test]
fn openssl_signature_with_two_signers_checks_both() {
    if !have_openssl() {
        println!("NOTE: openssl not found; two-signer interop check skipped");
        return;
    }
    let (dir, _pki) = setup();
    let ber = sign_streaming(dir.path(), &["a", "b"]);
    let cms = SignedCms::parse(&ber).unwrap();
    assert_eq!(cms.signers().len(), 2);
    cms.verify_encapsulated_with(&[]).unwrap();
    assert!(cms.deviations().iter().any(|d| d.contains("2 signers")));
    // Breaking the second signer's signature value fails the whole.
    let sig = cms.signers()[1].signature().to_vec();
    let at = ber.windows(sig.len()).position(|w| w == sig).unwrap() + sig.len() - 1;
    let mut broken = ber.clone();
    broken[at] ^= 1;
    assert!(matches!(
        SignedCms::parse(&broken)
            .unwrap()
            .verify_encapsulated_with(&[]),
        Err(CmsError::BadSignature)
    ));
}
