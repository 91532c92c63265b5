//! Certificates and CRLs made by OpenSSL with RSA (PKCS#1 v1.5 and PSS), P-384, P-521,
//! brainpool and Ed25519 verify with our code: a root's self-signature, and a CRL it signed; a changed CRL
//! does not. SHA-1 and RSA-1024 are verified but reported weak by `policy`. Each test prints a
//! note and passes when openssl is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::path::Path;
use std::process::Command;

use der::{DecodePem, Encode};
use eseal_certs::{crl, inspect, Certificate};

fn openssl(dir: &Path, args: &[&str]) -> bool {
    let Ok(out) = Command::new("openssl").args(args).current_dir(dir).output() else {
        return false;
    };
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

/// A self-signed root of `key_args` signed with `sign_args`, and a CRL it issued.
fn root_and_crl(key_args: &[&str], sign_args: &[&str]) -> Option<(Certificate, crl::Crl)> {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("index.txt"), "").unwrap();
    std::fs::write(d.join("crlnumber"), "01\n").unwrap();
    std::fs::write(
        d.join("ca.cnf"),
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\n\
         default_crl_days=7\ndefault_md=default\n\
         [v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    )
    .unwrap();
    let mut a = vec!["genpkey", "-out", "root.key"];
    a.extend_from_slice(key_args);
    if !openssl(d, &a) {
        return None;
    }
    let mut a = vec![
        "req",
        "-new",
        "-x509",
        "-key",
        "root.key",
        "-subj",
        "/CN=Foreign Root",
        "-days",
        "2",
        "-out",
        "root.pem",
        "-config",
        "ca.cnf",
        "-extensions",
        "v3",
    ];
    a.extend_from_slice(sign_args);
    openssl(d, &a);
    let mut a = vec![
        "ca", "-gencrl", "-config", "ca.cnf", "-keyfile", "root.key", "-cert", "root.pem", "-out",
        "root.crl",
    ];
    // `openssl ca` names the hash with `-md`.
    let md: Vec<String> = sign_args
        .iter()
        .flat_map(|x| match x.strip_prefix("-sha") {
            Some(bits) => vec!["-md".to_string(), format!("sha{bits}")],
            None => vec![x.to_string()],
        })
        .collect();
    a.extend(md.iter().map(String::as_str));
    openssl(d, &a);
    let root = Certificate::from_pem(std::fs::read(d.join("root.pem")).unwrap()).unwrap();
    let crl = crl::crls_from_bytes(&std::fs::read(d.join("root.crl")).unwrap())
        .unwrap()
        .remove(0);
    Some((root, crl))
}

fn self_signature_verifies(root: &Certificate) {
    let key = inspect::verifying_key(root).unwrap();
    let tbs = root.tbs_certificate().to_der().unwrap();
    inspect::verify_signed_by(&tbs, root.signature_algorithm(), root.signature(), &key).unwrap();
}

fn check(key_args: &[&str], sign_args: &[&str], weak: Option<&str>) {
    let Some((root, mut list)) = root_and_crl(key_args, sign_args) else {
        eprintln!("openssl not found; skipped");
        return;
    };
    self_signature_verifies(&root);
    let key = inspect::verifying_key(&root).unwrap();
    crl::verify_crl_signature(&list, &key).unwrap();
    let why = inspect::signature_weakness(root.signature_algorithm(), &key);
    match (weak, why) {
        (None, None) => {}
        (Some(w), Some(why)) => assert!(why.contains(w), "{why}"),
        (w, why) => panic!("weakness {why:?}, expected {w:?}"),
    }
    // A CRL changed after signing no longer verifies.
    list.tbs_cert_list.this_update = list.tbs_cert_list.next_update.unwrap();
    assert!(crl::verify_crl_signature(&list, &key).is_err());
}

#[test]
fn rsa_pkcs1v15_sha256_and_sha512() {
    let rsa = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
    check(&rsa, &["-sha256"], None);
    check(&rsa, &["-sha512"], None);
}

#[test]
fn rsa_pss() {
    check(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        &[
            "-sha384",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:48",
        ],
        None,
    );
}

#[test]
fn ecdsa_p384_p521() {
    check(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        &["-sha384"],
        None,
    );
    check(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        &["-sha512"],
        None,
    );
}

#[test]
fn ecdsa_brainpool() {
    let bp = |c: &'static str| ["-algorithm", "EC", "-pkeyopt", c];
    check(&bp("ec_paramgen_curve:brainpoolP256r1"), &["-sha256"], None);
    check(&bp("ec_paramgen_curve:brainpoolP384r1"), &["-sha384"], None);
}

#[test]
fn ed25519() {
    check(&["-algorithm", "ED25519"], &[], None);
}

#[test]
fn sha1_and_rsa_1024_verify_but_are_weak() {
    check(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        &["-sha1"],
        Some("SHA-1"),
    );
    check(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        &["-sha256"],
        Some("RSA key of 1024 bits is below 2048"),
    );
}
