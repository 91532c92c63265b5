//! Signatures made by OpenSSL with the algorithms real files use, verified by us: RSA PKCS#1
//! v1.5 and RSASSA-PSS (1024/2048/3072 bits), ECDSA on P-256/P-384/P-521, Ed25519, with
//! SHA-256/384/512, SHA3 and SHA-1. Intact: TOTAL-PASSED, or INDETERMINATE /
//! CRYPTO_CONSTRAINTS_FAILURE when weak (SHA-1, RSA under 2048 bits, also in the chain);
//! changed content: HASH_FAILURE; a signature under another key: SIG_CRYPTO_FAILURE. Each test
//! prints a note and passes when openssl is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use eseal_certs::Certificate;
use eseal_signer::validation::{verify_detached, SubIndication, TrustAnchor, TrustContext};

const CONTENT: &[u8] = b"a licence, as it was sealed";

fn have_openssl() -> bool {
    Command::new("openssl").arg("version").output().is_ok()
}

fn run(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How to make a key: `openssl genpkey` arguments.
fn genpkey(kind: &str) -> Vec<&str> {
    match kind {
        "rsa1024" => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        "rsa2048" => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "rsa3072" => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        "p256" => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "p384" => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "p521" => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        "bp256" => vec![
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:brainpoolP256r1",
        ],
        "bp384" => vec![
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:brainpoolP384r1",
        ],
        "ed25519" => vec!["-algorithm", "ED25519"],
        other => panic!("no key kind {other}"),
    }
}

/// A root and a signer certificate under it, made by openssl in `dir`.
struct Pki {
    dir: tempfile::TempDir,
    root: Certificate,
}

impl Pki {
    /// `root_kind`/`leaf_kind`: key kinds; `cert_md`: the hash the root signs the leaf with.
    fn new(root_kind: &str, leaf_kind: &str, cert_md: &str) -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("ext.cnf"),
            "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
             subjectKeyIdentifier=hash\n\
             [leaf]\nbasicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,nonRepudiation\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .unwrap();
        let mut a = vec!["genpkey", "-out", "root.key"];
        a.extend(genpkey(root_kind));
        run(d, &a);
        let mut a = vec!["genpkey", "-out", "leaf.key"];
        a.extend(genpkey(leaf_kind));
        run(d, &a);
        let mut root = vec![
            "req",
            "-new",
            "-x509",
            "-key",
            "root.key",
            "-subj",
            "/CN=Algorithm Test Root",
            "-days",
            "30",
            "-out",
            "root.pem",
            "-config",
            "ext.cnf",
            "-extensions",
            "ca",
        ];
        if root_kind != "ed25519" {
            root.push("-sha256");
        }
        run(d, &root);
        run(
            d,
            &[
                "req",
                "-new",
                "-key",
                "leaf.key",
                "-subj",
                "/CN=Algorithm Test Signer",
                "-out",
                "leaf.csr",
            ],
        );
        let mut leaf = vec![
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "root.pem",
            "-CAkey",
            "root.key",
            "-set_serial",
            "2",
            "-days",
            "30",
            "-out",
            "leaf.pem",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "leaf",
        ];
        let md = format!("-{cert_md}");
        if root_kind != "ed25519" {
            leaf.push(&md);
        }
        run(d, &leaf);
        std::fs::write(d.join("content.bin"), CONTENT).unwrap();
        let root = pem_cert(&d.join("root.pem"));
        Pki { dir, root }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A detached CAdES signature by the leaf key, `extra` being further `openssl cms` options.
    fn sign(&self, md: &str, extra: &[&str]) -> Vec<u8> {
        let mut a = vec![
            "cms",
            "-sign",
            "-binary",
            "-cades",
            "-in",
            "content.bin",
            "-signer",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-md",
            md,
            "-outform",
            "DER",
            "-out",
            "sig.p7s",
        ];
        a.extend_from_slice(extra);
        run(self.dir.path(), &a);
        std::fs::read(self.path("sig.p7s")).unwrap()
    }
}

fn pem_cert(path: &Path) -> Certificate {
    use der::DecodePem;
    Certificate::from_pem(std::fs::read(path).unwrap()).unwrap()
}

/// The first failure of validating `sig` over `content` with `root` trusted, `None` if passed.
fn check(root: &Certificate, sig: &[u8], content: &[u8]) -> Option<(SubIndication, String)> {
    let anchors = [TrustAnchor::from(root.clone())];
    let ctx = TrustContext {
        anchors: &anchors,
        extra_certificates: &[],
        crls: &[],
        dss_crls: &[],
        ocsp: &[],
        dss_ocsp: &[],
        ocsp_fetch: None,
        online: None,
        at: SystemTime::now(),
    };
    let v = verify_detached(&mut Cursor::new(content.to_vec()), sig, &ctx).unwrap();
    v.outcome.failure
}

fn tampered() -> Vec<u8> {
    let mut c = CONTENT.to_vec();
    c[0] ^= 1;
    c
}

/// Intact passes (or is weak as `weak` says), tampered is HASH_FAILURE.
fn assert_case(pki: &Pki, sig: &[u8], weak: Option<&str>, what: &str) {
    match (check(&pki.root, sig, CONTENT), weak) {
        (None, None) => {}
        (Some((SubIndication::CryptoConstraintsFailure, why)), Some(w)) => {
            assert!(why.contains(w), "{what}: reason {why:?} should name {w:?}")
        }
        (got, _) => panic!("{what}: intact signature gave {got:?}, weak = {weak:?}"),
    }
    let (sub, why) = check(&pki.root, sig, &tampered()).expect("tampered must fail");
    assert_eq!(sub, SubIndication::HashFailure, "{what}: {why}");
}

macro_rules! skip_without_openssl {
    () => {
        if !have_openssl() {
            eprintln!("openssl not found; skipped");
            return;
        }
    };
}

#[test]
fn rsa_pkcs1v15_sha256_384_512_and_sha3() {
    skip_without_openssl!();
    let pki = Pki::new("rsa2048", "rsa2048", "sha256");
    for md in [
        "sha256", "sha384", "sha512", "sha3-256", "sha3-384", "sha3-512",
    ] {
        let sig = pki.sign(md, &[]);
        assert_case(&pki, &sig, None, &format!("RSA PKCS#1 v1.5 {md}"));
    }
}

#[test]
fn rsa_pss_with_its_parameters() {
    skip_without_openssl!();
    let pki = Pki::new("rsa3072", "rsa3072", "sha256");
    for (md, salt) in [("sha256", "32"), ("sha512", "64"), ("sha256", "20")] {
        let sig = pki.sign(
            md,
            &[
                "-keyopt",
                "rsa_padding_mode:pss",
                "-keyopt",
                &format!("rsa_pss_saltlen:{salt}"),
            ],
        );
        assert_case(&pki, &sig, None, &format!("RSASSA-PSS {md} salt {salt}"));
    }
}

#[test]
fn ecdsa_p384_p521_and_p256_with_longer_hashes() {
    skip_without_openssl!();
    for (kind, md) in [
        ("p384", "sha384"),
        ("p384", "sha512"),
        ("p521", "sha512"),
        ("p256", "sha384"),
        ("bp256", "sha256"),
        ("bp384", "sha384"),
    ] {
        let pki = Pki::new(kind, kind, "sha256");
        let sig = pki.sign(md, &[]);
        assert_case(&pki, &sig, None, &format!("ECDSA {kind} {md}"));
    }
}

/// OpenSSL 3.0's CMS cannot sign with Ed25519; pyHanko (the interop kit's venv) can.
fn pyhanko_python() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let py = Path::new(&home).join(".cache/eseal-interop/venv/bin/python");
    py.exists().then_some(py)
}

const PYHANKO_SIGN: &str = "import sys, asyncio\n\
from pyhanko.sign import signers\n\
key, cert, data, md, out = sys.argv[1:6]\n\
s = signers.SimpleSigner.load(key, cert)\n\
ci = asyncio.run(s.async_sign_general_data(open(data, 'rb').read(), md, detached=True))\n\
open(out, 'wb').write(ci.dump())\n";

fn pyhanko_sign(py: &Path, pki: &Pki, key: &str, cert: &str) -> Vec<u8> {
    let out = Command::new(py)
        .args([
            "-c",
            PYHANKO_SIGN,
            key,
            cert,
            "content.bin",
            "sha512",
            "py.p7s",
        ])
        .current_dir(pki.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(pki.path("py.p7s")).unwrap()
}

#[test]
fn ed25519_pure_eddsa() {
    skip_without_openssl!();
    let Some(py) = pyhanko_python() else {
        eprintln!("the interop kit's pyHanko is not installed; skipped");
        return;
    };
    let pki = Pki::new("ed25519", "ed25519", "sha256");
    let sig = pyhanko_sign(&py, &pki, "leaf.key", "leaf.pem");
    assert_case(&pki, &sig, None, "Ed25519");
    // The same signed attributes with a signature by another Ed25519 key.
    run(
        pki.dir.path(),
        &["genpkey", "-algorithm", "ED25519", "-out", "other.key"],
    );
    let other = pyhanko_sign(&py, &pki, "other.key", "leaf.pem");
    let forged = swap_signature_value(&sig, &other);
    let (sub, why) = check(&pki.root, &forged, CONTENT).expect("must fail");
    assert_eq!(sub, SubIndication::SigCryptoFailure, "{why}");
}

#[test]
fn sha1_is_weak_but_told_intact_from_tampered() {
    skip_without_openssl!();
    let pki = Pki::new("rsa2048", "rsa2048", "sha256");
    let sig = pki.sign("sha1", &[]);
    assert_case(&pki, &sig, Some("SHA-1"), "RSA SHA-1");
    let pki = Pki::new("p256", "p256", "sha256");
    let sig = pki.sign("sha1", &[]);
    assert_case(&pki, &sig, Some("SHA-1"), "ECDSA SHA-1");
}

#[test]
fn rsa_1024_is_weak() {
    skip_without_openssl!();
    let pki = Pki::new("rsa2048", "rsa1024", "sha256");
    let sig = pki.sign("sha256", &[]);
    assert_case(
        &pki,
        &sig,
        Some("RSA key of 1024 bits is below 2048"),
        "RSA 1024",
    );
}

#[test]
fn weak_signature_and_weak_chain_are_both_named() {
    skip_without_openssl!();
    let pki = Pki::new("rsa2048", "rsa1024", "sha1");
    let sig = pki.sign("sha1", &[]);
    let (sub, why) = check(&pki.root, &sig, CONTENT).expect("weak");
    assert_eq!(sub, SubIndication::CryptoConstraintsFailure);
    for needle in ["SHA-1", "RSA key of 1024 bits", "Algorithm Test Signer"] {
        assert!(why.contains(needle), "{needle:?} missing from {why:?}");
    }
}

#[test]
fn sha1_in_the_chain_is_weak() {
    skip_without_openssl!();
    let pki = Pki::new("rsa2048", "p256", "sha1");
    let sig = pki.sign("sha256", &[]);
    assert_case(
        &pki,
        &sig,
        Some("Algorithm Test Signer"),
        "SHA-1 certificate",
    );
}

#[test]
fn signature_under_another_key_is_sig_crypto_failure() {
    skip_without_openssl!();
    for kind in ["rsa2048", "p384", "p521"] {
        let pki = Pki::new(kind, kind, "sha256");
        // Same certificate, other key of the same kind: openssl refuses to sign with a key
        // that is not the certificate's, so the signature value is swapped in afterwards.
        let good = pki.sign("sha512", &[]);
        run(pki.dir.path(), &{
            let mut a = vec!["genpkey", "-out", "other.key"];
            a.extend(genpkey(kind));
            a
        });
        run(
            pki.dir.path(),
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "other.key",
                "-subj",
                "/CN=Algorithm Test Signer",
                "-days",
                "1",
                "-out",
                "other.pem",
            ],
        );
        let mut a = vec![
            "cms",
            "-sign",
            "-binary",
            "-cades",
            "-in",
            "content.bin",
            "-signer",
            "other.pem",
            "-inkey",
            "other.key",
            "-md",
            "sha512",
            "-outform",
            "DER",
            "-out",
            "other.p7s",
        ];
        a.push("-nocerts");
        run(pki.dir.path(), &a);
        let other = std::fs::read(pki.path("other.p7s")).unwrap();
        let forged = swap_signature_value(&good, &other);
        let (sub, why) = check(&pki.root, &forged, CONTENT).expect("must fail");
        assert_eq!(sub, SubIndication::SigCryptoFailure, "{kind}: {why}");
    }
}

/// `good` with its SignerInfo's signature value replaced by `other`'s (same length for the
/// kinds used: RSA 2048 and Ed25519 fixed; ECDSA DER may differ by a byte, so re-encoded).
fn swap_signature_value(good: &[u8], other: &[u8]) -> Vec<u8> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use der::{Decode, Encode};
    let value = |der: &[u8]| {
        let ci = ContentInfo::from_der(der).unwrap();
        let sd: SignedData = ci.content.decode_as().unwrap();
        sd
    };
    let mut sd = value(good);
    let theirs = value(other);
    let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
    infos[0].signature = theirs
        .signer_infos
        .0
        .iter()
        .next()
        .unwrap()
        .signature
        .clone();
    sd.signer_infos = cms::signed_data::SignerInfos(infos.try_into().unwrap());
    let ci = ContentInfo {
        content_type: const_oid::db::rfc5911::ID_SIGNED_DATA,
        content: der::Any::encode_from(&sd).unwrap(),
    };
    ci.to_der().unwrap()
}

/// `sig` with the SignerInfo's signatureAlgorithm replaced by `oid` (no parameters).
fn with_signature_algorithm(sig: &[u8], oid: &str) -> Vec<u8> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use der::{Decode, Encode};
    let ci = ContentInfo::from_der(sig).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
    infos[0].signature_algorithm = spki::AlgorithmIdentifierOwned {
        oid: const_oid::ObjectIdentifier::new_unwrap(oid),
        parameters: None,
    };
    sd.signer_infos = cms::signed_data::SignerInfos(infos.try_into().unwrap());
    ContentInfo {
        content_type: const_oid::db::rfc5911::ID_SIGNED_DATA,
        content: der::Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
}

#[test]
fn unsupported_algorithm_is_named_and_the_digest_is_checked_first() {
    skip_without_openssl!();
    let pki = Pki::new("rsa2048", "rsa2048", "sha256");
    // DSA with SHA-256: recognised, implemented by no crate we keep.
    let sig = with_signature_algorithm(&pki.sign("sha256", &[]), "2.16.840.1.101.3.4.3.2");
    let (sub, why) = check(&pki.root, &sig, CONTENT).expect("unsupported");
    assert_eq!(sub, SubIndication::CryptoConstraintsFailure, "{why}");
    assert!(why.contains("DSA with SHA-256"), "{why}");
    let (sub, why) = check(&pki.root, &sig, &tampered()).expect("tampered");
    assert_eq!(sub, SubIndication::HashFailure, "{why}");
}
