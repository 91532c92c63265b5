//! The PKCS#11 key backend against SoftHSM2 (Debian's `softhsm2`): a P-256 key generated in a
//! fresh token signs digests that p256 verifies; the key is found again by its label; wrong
//! PINs, unknown tokens and labels are clear errors. Skipped without SoftHSM2 outside CI.
//!
//! One test function: a PKCS#11 login belongs to the whole process, so the wrong-PIN check
//! must run before the first successful login.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::path::Path;
use std::process::Command;

use eseal_certs::{Error, Pkcs11Token, SigningKey};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256};

fn module() -> String {
    std::env::var("SOFTHSM2_MODULE").unwrap_or_else(|_| "/usr/lib/softhsm/libsofthsm2.so".into())
}

fn have_softhsm() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v softhsm2-util"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
        && Path::new(&module()).exists();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "SoftHSM2 is required in CI (.ci/run installs softhsm2)"
        );
        eprintln!("note: SoftHSM2 not installed; skipping the PKCS#11 tests");
    }
    found
}

#[test]
fn softhsm_p256_keys() {
    if !have_softhsm() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tokens")).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.path().display()
        ),
    )
    .unwrap();
    // SoftHSM reads its configuration when the module is initialised, below.
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let out = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "test",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let module = module();
    let module = Path::new(&module);

    // Wrong PIN: refused as such, before any successful login of this process.
    match Pkcs11Token::open(module, "test", "9999") {
        Err(Error::WrongPassphrase) => {}
        other => panic!("wrong PIN gave {other:?}"),
    }
    // No such token.
    assert!(matches!(
        Pkcs11Token::open(module, "no-such-token", "1234"),
        Err(Error::InvalidInput { .. })
    ));

    let token = Pkcs11Token::open(module, "test", "1234").unwrap();
    assert!(!format!("{token:?}").contains("1234"), "PIN never printed");
    let key = token.generate_p256("seal-1").unwrap();
    assert_eq!(key.algorithm(), eseal_certs::Algorithm::P256);

    // Signatures verify with p256 on its own, over the digest we sent.
    let point = key.public_key().to_sec1_uncompressed();
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap();
    for msg in [&b"licence"[..], &[0u8; 1000][..]] {
        let digest = Sha256::digest(msg);
        let der = key.sign_digest(&digest).unwrap();
        let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
        vk.verify_prehash(&digest, &sig).unwrap();
        // And not over another digest.
        assert!(vk.verify_prehash(&Sha256::digest(b"other"), &sig).is_err());
        // The trait's message path hashes first.
        key.public_key()
            .verify(msg, &key.sign(msg).unwrap())
            .unwrap();
    }
    assert!(key.sign_digest(&[1u8; 20]).is_err(), "only 32-byte digests");

    // Found again by label, with the same public key; from another thread too.
    let again = token.key("seal-1").unwrap();
    assert_eq!(again.public_key().to_sec1_uncompressed(), point);
    let t2 = token.clone();
    let h = std::thread::spawn(move || {
        let k = t2.key("seal-1").unwrap();
        k.sign_digest(&Sha256::digest(b"x")).unwrap()
    });
    let sig = p256::ecdsa::Signature::from_der(&h.join().unwrap()).unwrap();
    vk.verify_prehash(&Sha256::digest(b"x"), &sig).unwrap();

    // Labels are unique; unknown labels are a missing key.
    assert!(matches!(
        token.generate_p256("seal-1"),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(token.key("seal-2"), Err(Error::NoKey(_))));
    // A second key is a different key.
    let other = token.generate_p256("seal-2").unwrap();
    assert_ne!(other.public_key().to_sec1_uncompressed(), point);
}
