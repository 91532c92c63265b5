//! Keys: generation, signing both ways, and every import/export format we promise.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use eseal_certs::{Algorithm, Error, PublicKey, SigningKey, SoftwareKey};
use zeroize::Zeroizing;

fn no_pass() -> impl FnMut() -> eseal_certs::Result<Zeroizing<String>> {
    || Err(Error::PassphraseRequired)
}

fn pass(p: &'static str) -> impl FnMut() -> eseal_certs::Result<Zeroizing<String>> {
    move || Ok(Zeroizing::new(p.to_string()))
}

#[test]
fn sign_and_verify_both_suites_and_reject_other_messages() {
    for alg in Algorithm::ALL {
        let key = SoftwareKey::generate(alg).unwrap();
        let sig = key.sign(b"licence bytes").unwrap();
        key.public_key().verify(b"licence bytes", &sig).unwrap();
        assert!(
            key.public_key().verify(b"licence bytez", &sig).is_err(),
            "{alg}"
        );
        // DER SEQUENCE { r, s }
        assert_eq!(sig[0], 0x30, "{alg}");
    }
}

/// Software signatures are hedged: the nonce takes fresh randomness besides the RFC 6979
/// derivation, so signing one digest twice gives two different valid signatures (with a
/// purely deterministic nonce a fault in one of them would give the key away).
#[test]
fn signing_one_digest_twice_gives_two_valid_signatures() {
    for alg in Algorithm::ALL {
        let key = SoftwareKey::generate(alg).unwrap();
        let digest = key.public_key().signing_digest(b"licence bytes").unwrap();
        let (a, b) = (
            key.sign_digest(&digest).unwrap(),
            key.sign_digest(&digest).unwrap(),
        );
        assert_ne!(
            a, b,
            "{alg}: the nonce must not be a function of key and digest alone"
        );
        key.public_key().verify_digest(&digest, &a).unwrap();
        key.public_key().verify_digest(&digest, &b).unwrap();
    }
}

#[test]
fn sm2_signature_uses_the_default_id_and_fails_under_another() {
    let key = SoftwareKey::generate(Algorithm::Sm2).unwrap();
    let sig = key.sign(b"m").unwrap();
    key.public_key()
        .verify_with_id(b"m", &sig, b"1234567812345678")
        .unwrap();
    assert!(key.public_key().verify_with_id(b"m", &sig, b"").is_err());
}

#[test]
fn sm2_signature_verifies_with_the_sm2_crate_itself() {
    // Independent of our Z_A computation: the sm2 crate hashes the message itself.
    use sm2::dsa::signature::Verifier;
    let key = SoftwareKey::generate(Algorithm::Sm2).unwrap();
    let sig = key.sign(b"independent").unwrap();
    let PublicKey::Sm2(pk) = key.public_key() else {
        panic!()
    };
    let vk = sm2::dsa::VerifyingKey::new("1234567812345678", *pk).unwrap();
    vk.verify(
        b"independent",
        &sm2::dsa::Signature::from_der(&sig).unwrap(),
    )
    .unwrap();
}

#[test]
fn pkcs8_plain_round_trip_keeps_the_key() {
    for alg in Algorithm::ALL {
        let key = SoftwareKey::generate(alg).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let back = SoftwareKey::load(pem.as_bytes(), &mut no_pass())
            .unwrap()
            .key;
        assert_eq!(back.public_key(), key.public_key());
        let der = key.to_pkcs8_der().unwrap();
        let back = SoftwareKey::load(&der, &mut no_pass()).unwrap().key;
        assert_eq!(back.public_key(), key.public_key());
    }
}

#[test]
fn encrypted_pkcs8_needs_the_right_passphrase() {
    for alg in Algorithm::ALL {
        let key = SoftwareKey::generate(alg).unwrap();
        let pem = key.to_encrypted_pkcs8_pem("correct horse").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert!(!pem.contains("BEGIN PRIVATE KEY"));
        let back = SoftwareKey::load(pem.as_bytes(), &mut pass("correct horse")).unwrap();
        assert_eq!(back.key.public_key(), key.public_key());
        let err = SoftwareKey::load(pem.as_bytes(), &mut pass("wrong")).unwrap_err();
        assert!(matches!(err, Error::WrongPassphrase), "{err}");
        let err = SoftwareKey::load(pem.as_bytes(), &mut no_pass()).unwrap_err();
        assert!(matches!(err, Error::PassphraseRequired), "{err}");
    }
}

#[test]
fn empty_passphrase_is_refused_for_writing() {
    let key = SoftwareKey::generate(Algorithm::P256).unwrap();
    assert!(key.to_encrypted_pkcs8_pem("").is_err());
}

#[test]
fn sec1_round_trip_names_the_curve() {
    for alg in Algorithm::ALL {
        let key = SoftwareKey::generate(alg).unwrap();
        let pem = key.to_sec1_pem().unwrap();
        assert!(pem.contains("BEGIN EC PRIVATE KEY"));
        let back = SoftwareKey::load(pem.as_bytes(), &mut no_pass())
            .unwrap()
            .key;
        assert_eq!(back.public_key(), key.public_key());
        assert_eq!(back.algorithm(), alg);
    }
}

#[test]
fn pkcs12_round_trip_carries_key_and_chain_and_checks_the_password() {
    let pki = eseal_certs::testing::TestPki::new(Algorithm::P256).unwrap();
    let p12 = pki.leaf_key.to_pkcs12(&pki.chain(), "test").unwrap();
    let bundle = SoftwareKey::load(&p12, &mut pass("test")).unwrap();
    assert_eq!(bundle.key.public_key(), pki.leaf_key.public_key());
    assert_eq!(bundle.certificates.len(), 2);
    assert!(bundle.certificates.contains(&pki.leaf));
    let err = SoftwareKey::load(&p12, &mut pass("nope")).unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
}

#[test]
fn garbage_and_truncated_keys_give_errors_not_panics() {
    let key = SoftwareKey::generate(Algorithm::P256).unwrap();
    let der = key.to_pkcs8_der().unwrap();
    for n in [0, 1, 5, der.len() / 2, der.len() - 1] {
        assert!(SoftwareKey::load(&der[..n], &mut no_pass()).is_err());
    }
    assert!(SoftwareKey::load(
        b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n",
        &mut no_pass()
    )
    .is_err());
    let err = SoftwareKey::load(
        b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        &mut no_pass(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no private key"), "{err}");
}

#[test]
fn public_key_spki_round_trip() {
    for alg in Algorithm::ALL {
        let key = SoftwareKey::generate(alg).unwrap();
        let der = key.public_key().to_spki_der().unwrap();
        assert_eq!(&PublicKey::from_spki_der(&der).unwrap(), key.public_key());
    }
}
