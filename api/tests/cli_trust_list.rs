#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `eseal verify --trust-list FILE --trust-list-signer PEM` (and `verify-file`): a seal whose
//! root comes only from another region's signed ETSI TS 119 612 list verifies, and the report
//! names the anchor by the list's label and territory; a list changed after signing, signed by
//! someone else, or given without its signer stops the command with exit 2 naming the problem.
//! The lists are signed by xmlsec1 through `testdata/make-trust-list.py`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/make-trust-list.py"
);
const LABEL: &str = "Fujian Market Regulation CA / Fujian Province Root";

/// A province hierarchy, a sealed PDF and a detached signature, and a list (signed by
/// `signer.pem`) that names the province root.
fn setup() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    sealed_with_hierarchy(p, "p256", &[]);
    let seal = [
        "--key",
        "seal.key",
        "--cert",
        "seal.pem",
        "--chain",
        "seal.chain.pem",
    ];
    std::fs::write(p.join("report.txt"), "a trusted electronic file").unwrap();
    let mut sign_file = vec!["sign-file", "--in", "report.txt", "--out", "report.p7s"];
    sign_file.extend(seal);
    ok(p, &sign_file);
    make_list(
        p,
        "list.xml",
        "signer",
        "CA/QC|granted|Fujian Market Regulation CA|Fujian Province Root|prov/ca.pem",
    );
    d
}

/// Runs the script in `dir`: `out` listing `service`, signed by `signer`.key/.pem (made when
/// missing).
fn make_list(dir: &Path, out: &str, signer: &str, service: &str) {
    let (key, cert) = (format!("{signer}.key"), format!("{signer}.pem"));
    let mut cmd = Command::new("python3");
    cmd.current_dir(dir).arg(SCRIPT).args([
        "--out",
        out,
        "--signer-key",
        &key,
        "--signer-cert",
        &cert,
        "--territory",
        "CN-FJ",
        "--service",
        service,
    ]);
    if !dir.join(&cert).exists() {
        cmd.args(["--new-signer", "ec"]);
    }
    let run = cmd.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn list_args<'a>(list: &'a str, signer: &'a str) -> Vec<&'a str> {
    vec!["--trust-list", list, "--trust-list-signer", signer]
}

#[test]
fn a_seal_whose_root_comes_from_a_signed_list_passes_and_names_its_region() {
    if !tool("xmlsec1") {
        return;
    }
    let d = setup();
    let p = d.path();
    let mut args = vec!["verify", "signed.pdf", "--format", "json"];
    args.extend(list_args("list.xml", "signer.pem"));
    let v: serde_json::Value = serde_json::from_str(&ok(p, &args)).unwrap();
    let sig = &v["signatures"][0];
    assert_eq!(sig["indication"], "TOTAL-PASSED", "{v}");
    assert_eq!(sig["trust_anchor"]["label"], LABEL);
    assert_eq!(sig["trust_anchor"]["region"], "CN-FJ");
    let subject = sig["trust_anchor"]["subject"].as_str().unwrap();
    assert!(subject.contains("Test Province Root CA"), "{subject}");

    let mut args = vec!["verify", "signed.pdf"];
    args.extend(list_args("list.xml", "signer.pem"));
    let text = ok(p, &args);
    assert!(
        text.contains(&format!("trust anchor: {LABEL} (CN-FJ)")),
        "{text}"
    );

    // verify-file shares the options: the detached signature passes the same way.
    let mut args = vec![
        "verify-file",
        "report.txt",
        "report.p7s",
        "--format",
        "json",
    ];
    args.extend(list_args("list.xml", "signer.pem"));
    let v: serde_json::Value = serde_json::from_str(&ok(p, &args)).unwrap();
    assert_eq!(v["signatures"][0]["indication"], "TOTAL-PASSED", "{v}");
    assert_eq!(v["signatures"][0]["trust_anchor"]["region"], "CN-FJ");

    // A list naming another root: the province's seal has no anchor any more (exit 1).
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
            "p256",
        ],
    );
    make_list(
        p,
        "other.xml",
        "signer",
        "CA/QC|granted|Other CA|Other Root|other/ca.pem",
    );
    let mut args = vec!["verify", "signed.pdf"];
    args.extend(list_args("other.xml", "signer.pem"));
    let out = eseal(p, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn a_tampered_or_foreign_list_exits_2_naming_the_problem() {
    if !tool("xmlsec1") {
        return;
    }
    let d = setup();
    let p = d.path();
    let xml = std::fs::read_to_string(p.join("list.xml")).unwrap();
    std::fs::write(
        p.join("tampered.xml"),
        xml.replacen("Fujian Province Root", "Fujian Province Rooz", 1),
    )
    .unwrap();
    make_list(
        p,
        "foreign.xml",
        "someone-else",
        "CA/QC|granted|Fujian Market Regulation CA|Fujian Province Root|prov/ca.pem",
    );
    let cases = [
        ("tampered.xml", "signer.pem", "changed after it was signed"),
        ("foreign.xml", "signer.pem", "signed by another certificate"),
        ("list.xml", "prov/ca.pem", "signed by another certificate"),
        ("missing.xml", "signer.pem", "missing.xml"),
    ];
    for (list, signer, want) in cases {
        let mut args = vec!["verify", "signed.pdf"];
        args.extend(list_args(list, signer));
        let out = eseal(p, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{list}: {err}");
        assert!(err.contains(list) && err.contains(want), "{list}: {err}");
        assert!(out.stdout.is_empty(), "no report for a refused list");
    }
    // Each list needs its signer, and something must be trusted.
    let out = eseal(p, &["verify", "signed.pdf", "--trust-list", "list.xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("needs its own --trust-list-signer"),
        "{}",
        stderr(&out)
    );
    let out = eseal(p, &["verify", "signed.pdf"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
