//! OpenSSL as the judge of our RFC 3161 code, both ways: our request answered by
//! `openssl ts -reply` and read back by us; OpenSSL's request answered by our TSA and checked
//! by `openssl ts -verify` (which insists on the TSA certificate's critical timeStamping EKU
//! and the ESS binding). Each test prints a note and passes when openssl is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use der::EncodePem;
use eseal_certs::issue::{issue, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::testing::TestPki;
use eseal_certs::{Algorithm, Certificate, DigestAlgorithm, SigningKey, SoftwareKey};
use eseal_signer::tsp::{Accuracy, Request, Tsa};

const DATA: &[u8] = b"the signature value of a sealed licence";
/// RFC 5612 documentation arc (openssl.cnf names 1.2.3.4.1 "tsa_policy1", which hides it).
const POLICY: &str = "1.3.6.1.4.1.32473.1.1";

fn have_openssl() -> bool {
    Command::new("openssl").arg("version").output().is_ok()
}

fn pem(c: &Certificate) -> String {
    c.to_pem(der::pem::LineEnding::LF).unwrap()
}

struct Setup {
    dir: tempfile::TempDir,
    pki: TestPki,
    tsa_key: SoftwareKey,
    tsa_cert: Certificate,
}

fn setup() -> Setup {
    let pki = TestPki::new(Algorithm::P256).unwrap();
    let tsa_key = SoftwareKey::generate(Algorithm::P256).unwrap();
    let tsa_cert = issue(
        &Issuer {
            certificate: &pki.intermediate,
            key: &pki.intermediate_key,
        },
        &CertRequest::new(
            SubjectName::common("Test TSA").to_name().unwrap(),
            tsa_key.public_key().clone(),
            CertKind::TimeStamping,
            365,
        ),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.bin"), DATA).unwrap();
    std::fs::write(d.join("root.pem"), pem(&pki.root)).unwrap();
    std::fs::write(d.join("chain.pem"), pem(&pki.intermediate)).unwrap();
    std::fs::write(d.join("tsa.pem"), pem(&tsa_cert)).unwrap();
    std::fs::write(
        d.join("tsa.key"),
        tsa_key.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(d.join("serial"), "01\n").unwrap();
    std::fs::write(
        d.join("ts.cnf"),
        format!(
            "[ tsa ]\ndefault_tsa = t\n[ t ]\ndir = {}\nserial = $dir/serial\n\
             crypto_device = builtin\nsigner_cert = $dir/tsa.pem\ncerts = $dir/chain.pem\n\
             signer_key = $dir/tsa.key\nsigner_digest = sha256\ndefault_policy = {POLICY}\n\
             digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = no\n\
             tsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            d.display()
        ),
    )
    .unwrap();
    Setup {
        dir,
        pki,
        tsa_key,
        tsa_cert,
    }
}

fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    println!(
        "openssl {}: {} {} {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    out
}

#[test]
fn openssl_answers_our_request_and_we_verify_its_token() {
    if !have_openssl() {
        println!("NOTE: openssl not found; RFC 3161 interop check skipped");
        return;
    }
    let s = setup();
    let d = s.dir.path();
    let req = Request::new(DigestAlgorithm::Sha256, &DigestAlgorithm::Sha256.hash(DATA)).unwrap();
    std::fs::write(d.join("req.tsq"), req.to_der().unwrap()).unwrap();
    let out = openssl(
        d,
        &[
            "ts",
            "-reply",
            "-config",
            "ts.cnf",
            "-queryfile",
            "req.tsq",
            "-out",
            "resp.tsr",
        ],
    );
    assert!(out.status.success());
    let resp = std::fs::read(d.join("resp.tsr")).unwrap();
    let token = req.read_response(&resp).unwrap();
    token.check_imprint(DATA).unwrap();
    assert_eq!(
        token.tst_info().policy,
        ObjectIdentifier::new_unwrap(POLICY)
    );
    let checked = token.verify_signature(&[]).unwrap();
    assert_eq!(checked.tsa_certificate, s.tsa_cert);
    checked
        .validate_path(
            &token,
            std::slice::from_ref(&s.pki.root),
            &[],
            &[],
            SystemTime::now(),
        )
        .unwrap();
    assert!(token.check_imprint(b"other data").is_err());
}

/// `clock_precision_digits = 3` makes openssl write genTime with milliseconds
/// (`YYYYMMDDhhmmss.fffZ`), as many TSAs do; the token reads and verifies.
#[test]
fn openssl_token_with_fractional_seconds_reads_and_verifies() {
    if !have_openssl() {
        println!("NOTE: openssl not found; fractional genTime check skipped");
        return;
    }
    let s = setup();
    let d = s.dir.path();
    let mut cnf = std::fs::read_to_string(d.join("ts.cnf")).unwrap();
    cnf.push_str("clock_precision_digits = 3\n");
    std::fs::write(d.join("ts.cnf"), cnf).unwrap();
    let req = Request::new(DigestAlgorithm::Sha256, &DigestAlgorithm::Sha256.hash(DATA)).unwrap();
    std::fs::write(d.join("req.tsq"), req.to_der().unwrap()).unwrap();
    let args = [
        "ts",
        "-reply",
        "-config",
        "ts.cnf",
        "-queryfile",
        "req.tsq",
        "-out",
        "resp.tsr",
    ];
    assert!(openssl(d, &args).status.success());
    let resp = std::fs::read(d.join("resp.tsr")).unwrap();
    let text = openssl(d, &["ts", "-reply", "-in", "resp.tsr", "-text"]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    let line = text.lines().find(|l| l.starts_with("Time stamp:")).unwrap();
    assert!(line.contains('.'), "openssl wrote no fraction: {line}");
    let token = req.read_response(&resp).unwrap();
    token.check_imprint(DATA).unwrap();
    let checked = token.verify_signature(&[]).unwrap();
    let at = checked.gen_time;
    checked
        .validate_path(
            &token,
            std::slice::from_ref(&s.pki.root),
            &[],
            &[],
            SystemTime::now(),
        )
        .unwrap();
    let now = SystemTime::now();
    assert!(at <= now && now.duration_since(at).unwrap().as_secs() < 60);
}

#[test]
fn openssl_verifies_our_tsa_token_and_rejects_other_data() {
    if !have_openssl() {
        println!("NOTE: openssl not found; RFC 3161 interop check skipped");
        return;
    }
    let s = setup();
    let d = s.dir.path();
    let out = openssl(
        d,
        &[
            "ts", "-query", "-data", "data.bin", "-sha256", "-cert", "-out", "req.tsq",
        ],
    );
    assert!(out.status.success());
    let tsa = Tsa {
        key: &s.tsa_key,
        certificate: &s.tsa_cert,
        chain: std::slice::from_ref(&s.pki.intermediate),
        policy: ObjectIdentifier::new_unwrap(POLICY),
        accuracy: Accuracy {
            seconds: Some(1),
            millis: None,
            micros: None,
        },
    };
    let answer = tsa
        .respond(
            &std::fs::read(d.join("req.tsq")).unwrap(),
            &[0x42],
            SystemTime::now(),
        )
        .unwrap();
    assert!(answer.issued.is_some());
    std::fs::write(d.join("resp.tsr"), &answer.der).unwrap();
    let verify = |data: &str| {
        openssl(
            d,
            &[
                "ts",
                "-verify",
                "-queryfile",
                "req.tsq",
                "-in",
                "resp.tsr",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "chain.pem",
            ],
        )
        .status
        .success()
            && openssl(
                d,
                &[
                    "ts",
                    "-verify",
                    "-data",
                    data,
                    "-in",
                    "resp.tsr",
                    "-CAfile",
                    "root.pem",
                    "-untrusted",
                    "chain.pem",
                ],
            )
            .status
            .success()
    };
    assert!(
        verify("data.bin"),
        "openssl ts -verify must accept our token"
    );
    std::fs::write(d.join("other.bin"), b"other data").unwrap();
    assert!(
        !verify("other.bin"),
        "openssl ts -verify must reject other data"
    );
    // The reply as text names our policy, serial and accuracy.
    let text = openssl(d, &["ts", "-reply", "-in", "resp.tsr", "-text"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(POLICY)
            && text.contains("Serial number: 0x42")
            && text.contains("Accuracy: 0x01 seconds"),
        "{text}"
    );
}

#[test]
fn openssl_verifies_a_token_without_certificates_given_them_separately() {
    // certReq FALSE: the token carries no certificate; openssl needs it with -untrusted.
    if !have_openssl() {
        println!("NOTE: openssl not found; RFC 3161 interop check skipped");
        return;
    }
    let s = setup();
    let d = s.dir.path();
    let mut req =
        Request::new(DigestAlgorithm::Sha256, &DigestAlgorithm::Sha256.hash(DATA)).unwrap();
    req.request.cert_req = false;
    let tsa = Tsa {
        key: &s.tsa_key,
        certificate: &s.tsa_cert,
        chain: &[],
        policy: ObjectIdentifier::new_unwrap(POLICY),
        accuracy: Accuracy::default(),
    };
    let answer = tsa
        .respond(&req.to_der().unwrap(), &[7], SystemTime::now())
        .unwrap();
    std::fs::write(d.join("resp.tsr"), &answer.der).unwrap();
    let mut both = pem(&s.tsa_cert);
    both.push_str(&pem(&s.pki.intermediate));
    std::fs::write(d.join("untrusted.pem"), both).unwrap();
    let ok = openssl(
        d,
        &[
            "ts",
            "-verify",
            "-data",
            "data.bin",
            "-in",
            "resp.tsr",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "untrusted.pem",
        ],
    );
    assert!(ok.status.success());
}
