//! `eseal ca`, `eseal cert`, `eseal crl` end to end, judged by our validator and by openssl.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use std::process::Command;

use common::*;

#[test]
fn help_lists_the_commands() {
    let out = eseal(std::env::temp_dir().as_path(), &["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["ca", "cert", "crl"] {
        assert!(text.contains(cmd), "{text}");
    }
}

#[test]
fn hierarchy_writes_the_promised_files_with_keys_encrypted() {
    let d = tempfile::tempdir().unwrap();
    hierarchy(d.path(), "p256");
    for f in [
        "prov/ca.pem",
        "prov/ca.key",
        "city/ca.pem",
        "county/ca.key",
        "seal.pem",
        "seal.key",
        "seal.chain.pem",
    ] {
        assert!(d.path().join(f).exists(), "{f}");
    }
    for key in ["prov/ca.key", "county/ca.key", "seal.key"] {
        let text = std::fs::read_to_string(d.path().join(key)).unwrap();
        assert!(
            text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
            "{key}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.path().join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{key} readable by others");
        }
    }
    let chain = std::fs::read_to_string(d.path().join("seal.chain.pem")).unwrap();
    assert_eq!(
        chain.matches("BEGIN CERTIFICATE").count(),
        3,
        "county, city, root"
    );
}

#[test]
fn verify_exit_codes_valid_revoked_and_bad_input() {
    for alg in ["p256", "sm2"] {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        hierarchy(p, alg);
        let verify = [
            "cert",
            "verify",
            "seal.pem",
            "--trust",
            "prov/ca.pem",
            "--chain",
            "seal.chain.pem",
        ];
        let out = ok(p, &verify);
        assert!(out.starts_with("VALID"), "{out}");

        let serial = ok(p, &["cert", "show", "seal.pem"])
            .lines()
            .find_map(|l| l.strip_prefix("serial:").map(|s| s.trim().to_string()))
            .unwrap();
        ok(
            p,
            &[
                "cert",
                "revoke",
                "--ca",
                "county",
                "--serial",
                &serial,
                "--reason",
                "keyCompromise",
            ],
        );
        ok(p, &["crl", "--ca", "county", "--out", "county.crl"]);
        let mut args = verify.to_vec();
        args.extend(["--crl", "county.crl"]);
        let out = eseal(p, &args);
        assert_eq!(out.status.code(), Some(1), "{alg}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("revoked") && stderr(&out).contains("keyCompromise"),
            "{}",
            stderr(&out)
        );

        // Revoking twice or an unknown serial is an input error.
        let out = eseal(
            p,
            &[
                "cert",
                "revoke",
                "--ca",
                "county",
                "--serial",
                &serial,
                "--reason",
                "superseded",
            ],
        );
        assert_eq!(out.status.code(), Some(2));
        let out = eseal(
            p,
            &[
                "cert",
                "revoke",
                "--ca",
                "county",
                "--serial",
                "01",
                "--reason",
                "superseded",
            ],
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("not issued by this CA"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn verify_at_a_time_before_issuance_is_not_valid_and_bad_times_are_input_errors() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hierarchy(p, "sm2");
    let out = eseal(
        p,
        &[
            "cert",
            "verify",
            "seal.pem",
            "--trust",
            "prov/ca.pem",
            "--chain",
            "seal.chain.pem",
            "--at",
            "2020-01-01",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not yet valid") || stderr(&out).contains("trust anchor"),
        "{}",
        stderr(&out)
    );
    let out = eseal(
        p,
        &[
            "cert",
            "verify",
            "seal.pem",
            "--trust",
            "prov/ca.pem",
            "--at",
            "yesterday",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid time"));
}

#[test]
fn other_regions_root_does_not_validate_and_both_roots_do() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hierarchy(p, "p256");
    ok(
        p,
        &[
            "ca",
            "init",
            "--dir",
            "other",
            "--name",
            "Other Province Root CA",
            "--alg",
            "sm2",
        ],
    );
    let out = eseal(
        p,
        &[
            "cert",
            "verify",
            "seal.pem",
            "--trust",
            "other/ca.pem",
            "--chain",
            "seal.chain.pem",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no trust anchor"), "{}", stderr(&out));
    ok(
        p,
        &[
            "cert",
            "verify",
            "seal.pem",
            "--trust",
            "other/ca.pem",
            "--trust",
            "prov/ca.pem",
            "--chain",
            "seal.chain.pem",
        ],
    );
}

#[test]
fn malformed_files_and_wrong_passphrases_name_the_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hierarchy(p, "p256");
    std::fs::write(
        p.join("junk.pem"),
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let out = eseal(p, &["cert", "verify", "junk.pem", "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("junk.pem"), "{}", stderr(&out));
    let out = eseal(
        p,
        &["cert", "verify", "missing.pem", "--trust", "prov/ca.pem"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.pem"), "{}", stderr(&out));

    let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .current_dir(p)
        .env("ESEAL_KEY_PASSPHRASE", "wrong")
        .args(["crl", "--ca", "county", "--out", "x.crl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("county/ca.key") && err.contains("wrong passphrase"),
        "{err}"
    );
}

#[test]
fn invalid_uscc_is_refused_with_the_expected_check_character() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(
        p,
        &[
            "ca", "init", "--dir", "prov", "--name", "Root", "--alg", "p256",
        ],
    );
    let out = eseal(
        p,
        &[
            "cert",
            "issue",
            "--ca",
            "prov",
            "--name",
            "Org",
            "--uscc",
            "91350100M000100Y44",
            "--out",
            "x",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected '3'"), "{}", stderr(&out));
    assert!(!p.join("x.key").exists(), "nothing written on error");
}

#[test]
fn no_subordinate_below_path_length_zero_and_no_overwrite() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hierarchy(p, "p256");
    let out = eseal(
        p,
        &[
            "ca",
            "sub",
            "--dir",
            "village",
            "--parent",
            "county",
            "--name",
            "Village CA",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pathLenConstraint is 0"),
        "{}",
        stderr(&out)
    );
    let out = eseal(
        p,
        &[
            "ca", "init", "--dir", "prov", "--name", "Again", "--alg", "p256",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("refusing to overwrite"));
}

#[test]
fn openssl_accepts_p256_chains_with_crl_checks() {
    if !tool("openssl") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hierarchy(p, "p256");
    ok(p, &["crl", "--ca", "county", "--out", "county.crl.pem"]);
    ok(p, &["crl", "--ca", "city", "--out", "city.crl.pem"]);
    ok(p, &["crl", "--ca", "prov", "--out", "prov.crl.pem"]);
    let crls: String = ["county", "city", "prov"]
        .iter()
        .map(|c| std::fs::read_to_string(p.join(format!("{c}.crl.pem"))).unwrap())
        .collect();
    std::fs::write(p.join("crls.pem"), crls).unwrap();
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .current_dir(p)
            .args(args)
            .output()
            .unwrap()
    };
    let verify = [
        "verify",
        "-crl_check_all",
        "-CAfile",
        "prov/ca.pem",
        "-untrusted",
        "seal.chain.pem",
        "-CRLfile",
        "crls.pem",
        "seal.pem",
    ];
    let out = openssl(&verify);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // After revocation openssl agrees with us.
    let serial = ok(p, &["cert", "show", "seal.pem"])
        .lines()
        .find_map(|l| l.strip_prefix("serial:").map(|s| s.trim().to_string()))
        .unwrap();
    ok(
        p,
        &[
            "cert",
            "revoke",
            "--ca",
            "county",
            "--serial",
            &serial,
            "--reason",
            "keyCompromise",
        ],
    );
    ok(p, &["crl", "--ca", "county", "--out", "county.crl.pem"]);
    let crls: String = ["county", "city", "prov"]
        .iter()
        .map(|c| std::fs::read_to_string(p.join(format!("{c}.crl.pem"))).unwrap())
        .collect();
    std::fs::write(p.join("crls.pem"), crls).unwrap();
    let out = openssl(&verify);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("revoked")
            || String::from_utf8_lossy(&out.stderr).contains("revoked")
    );
}

#[test]
fn openssl_accepts_sm2_certificates_with_the_default_id() {
    if !tool("openssl") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hierarchy(p, "sm2");
    // OpenSSL 3.0 applies -vfyopt distid only to the certificate being verified, so each
    // link is checked on its own against its issuer as a partial-chain anchor.
    for (cert, issuer) in [
        ("seal.pem", "county/ca.pem"),
        ("county/ca.pem", "city/ca.pem"),
        ("city/ca.pem", "prov/ca.pem"),
    ] {
        let out = Command::new("openssl")
            .current_dir(p)
            .args([
                "verify",
                "-vfyopt",
                "distid:1234567812345678",
                "-partial_chain",
                "-CAfile",
                issuer,
                cert,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cert}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // And without the ID (OpenSSL's empty default) it fails: the ID really is in the signature.
        let out = Command::new("openssl")
            .current_dir(p)
            .args(["verify", "-partial_chain", "-CAfile", issuer, cert])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{cert} verified without the ID");
    }
}

#[test]
fn p12_export_is_readable_by_openssl() {
    if !tool("openssl") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(
        p,
        &[
            "ca", "init", "--dir", "prov", "--name", "Root", "--alg", "p256",
        ],
    );
    ok(
        p,
        &[
            "cert",
            "issue",
            "--ca",
            "prov",
            "--name",
            "Org",
            "--uscc",
            "91350100M000100Y43",
            "--out",
            "org",
            "--p12",
        ],
    );
    let out = Command::new("openssl")
        .current_dir(p)
        .args([
            "pkcs12",
            "-in",
            "org.p12",
            "-passin",
            &format!("pass:{PASS}"),
            "-nodes",
            "-info",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("BEGIN PRIVATE KEY") && text.matches("BEGIN CERTIFICATE").count() == 2,
        "{text}"
    );
}
