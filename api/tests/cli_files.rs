//! `eseal sign-file` / `eseal verify-file`: detached CAdES signatures (P-256 and SM2) over any
//! file and ASiC-S containers; the report and exit codes of `eseal verify`; openssl accepts
//! the P-256 `.p7s`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use std::path::Path;

use common::*;

const CONTENT: &[u8] =
    b"<licence><holder>91350100M000100Y43</holder><scope>retail</scope></licence>\n";

fn signed(alg: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hierarchy(p, alg);
    std::fs::write(p.join("licence.xml"), CONTENT).unwrap();
    ok(
        p,
        &[
            "sign-file",
            "--in",
            "licence.xml",
            "--out",
            "licence.p7s",
            "--key",
            "seal.key",
            "--cert",
            "seal.pem",
            "--chain",
            "seal.chain.pem",
            "--asic",
            "licence.asics",
        ],
    );
    d
}

fn verify_json(p: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["verify-file"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let out = eseal(p, &all);
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {}", stderr(&out)));
    (code, v)
}

#[test]
fn p256_and_sm2_round_trip_detached_and_asic() {
    for (alg, digest, sig_alg) in [("p256", "SHA-256", "p256"), ("sm2", "SM3", "sm2")] {
        let d = signed(alg);
        let p = d.path();
        let (code, v) = verify_json(p, &["licence.xml", "licence.p7s", "--trust", "prov/ca.pem"]);
        assert_eq!(code, 0, "{alg}: {v}");
        assert_eq!(v["schema"], "eseal-verify/1");
        assert_eq!(v["verdict"]["passed"], true);
        let s = &v["signatures"][0];
        assert_eq!(s["indication"], "TOTAL-PASSED", "{alg}: {s}");
        assert_eq!(s["digest_algorithm"], digest);
        assert!(
            s["signature_algorithm"].as_str().unwrap().contains(sig_alg),
            "{s}"
        );
        assert_eq!(s["signer"]["uscc"], "91350100M000100Y43");
        assert_eq!(
            s["signing_time"]["source"],
            "claimed signing-time attribute"
        );
        assert_eq!(
            s["chain"].as_array().unwrap().len(),
            4,
            "seal, county, city, root"
        );
        assert_eq!(v["file"]["length"], CONTENT.len());

        // The ASiC-S container alone verifies the same way.
        let (code, v) = verify_json(p, &["licence.asics", "--trust", "prov/ca.pem"]);
        assert_eq!(code, 0, "{alg} asic: {v}");
        assert!(v["file"]["name"].as_str().unwrap().contains("licence.xml"));

        // Text report for people.
        let text = ok(
            p,
            &[
                "verify-file",
                "licence.xml",
                "licence.p7s",
                "--trust",
                "prov/ca.pem",
            ],
        );
        assert!(text.contains("TOTAL-PASSED"), "{text}");
    }
}

#[test]
fn asic_layout_follows_en_319_162() {
    let d = signed("p256");
    let zip = std::fs::read(d.path().join("licence.asics")).unwrap();
    // First local header: "mimetype", stored (method 0), its content right after the name.
    assert_eq!(&zip[..4], b"PK\x03\x04");
    assert_eq!(u16::from_le_bytes([zip[8], zip[9]]), 0, "stored");
    let name_len = u16::from_le_bytes([zip[26], zip[27]]) as usize;
    let extra_len = u16::from_le_bytes([zip[28], zip[29]]) as usize;
    assert_eq!(&zip[30..30 + name_len], b"mimetype");
    assert_eq!(extra_len, 0, "no extra field on mimetype");
    let start = 30 + name_len;
    assert_eq!(&zip[start..start + 31], b"application/vnd.etsi.asic-s+zip");
    let text = String::from_utf8_lossy(&zip);
    assert!(text.contains("META-INF/signature.p7s"));
    assert!(text.contains("licence.xml"));
}

#[test]
fn tampered_file_and_wrong_trust_fail_with_exit_1() {
    let d = signed("sm2");
    let p = d.path();
    let mut changed = CONTENT.to_vec();
    changed[20] ^= 1;
    std::fs::write(p.join("changed.xml"), &changed).unwrap();
    let (code, v) = verify_json(p, &["changed.xml", "licence.p7s", "--trust", "prov/ca.pem"]);
    assert_eq!(code, 1);
    assert_eq!(v["signatures"][0]["indication"], "TOTAL-FAILED");
    assert_eq!(v["signatures"][0]["sub_indication"], "HASH_FAILURE");

    ok(
        p,
        &[
            "ca",
            "init",
            "--dir",
            "other",
            "--name",
            "Other Root CA",
            "--alg",
            "sm2",
        ],
    );
    let (code, v) = verify_json(
        p,
        &["licence.xml", "licence.p7s", "--trust", "other/ca.pem"],
    );
    assert_eq!(code, 1);
    assert_eq!(v["signatures"][0]["indication"], "INDETERMINATE");
    assert_eq!(
        v["signatures"][0]["sub_indication"],
        "NO_CERTIFICATE_CHAIN_FOUND"
    );

    // A signature that is not CMS at all.
    std::fs::write(p.join("junk.p7s"), b"not a signature").unwrap();
    let (code, v) = verify_json(p, &["licence.xml", "junk.p7s", "--trust", "prov/ca.pem"]);
    assert_eq!(code, 1);
    assert_eq!(v["signatures"][0]["sub_indication"], "FORMAT_FAILURE");
}

#[test]
fn tampered_asic_fails() {
    let d = signed("p256");
    let p = d.path();
    // Rebuild the container with other content but the original signature.
    std::fs::write(p.join("licence.xml"), b"forged").unwrap();
    ok(
        p,
        &[
            "sign-file",
            "--in",
            "licence.xml",
            "--out",
            "forged.p7s",
            "--key",
            "seal.key",
            "--cert",
            "seal.pem",
            "--asic",
            "forged.asics",
        ],
    );
    let original = std::fs::read(p.join("licence.p7s")).unwrap();
    let forged = std::fs::read(p.join("forged.p7s")).unwrap();
    let mut zip = std::fs::read(p.join("forged.asics")).unwrap();
    // Same length (same key and chain layout): swap the signature bytes in place.
    if let (Some(at), true) = (find(&zip, &forged), original.len() == forged.len()) {
        zip[at..at + forged.len()].copy_from_slice(&original);
        // The zip's CRC no longer matches; the reader must refuse or the check must fail.
        std::fs::write(p.join("swapped.asics"), &zip).unwrap();
        let out = eseal(
            p,
            &["verify-file", "swapped.asics", "--trust", "prov/ca.pem"],
        );
        assert_ne!(out.status.code(), Some(0));
    }
    // Layout errors are input errors (exit 2).
    std::fs::write(p.join("plain.zip"), b"PK\x03\x04garbage").unwrap();
    let out = eseal(p, &["verify-file", "plain.zip", "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn usage_errors_exit_2() {
    let d = signed("p256");
    let p = d.path();
    let out = eseal(p, &["verify-file", "licence.xml", "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("signature file"), "{}", stderr(&out));
    let out = eseal(
        p,
        &[
            "verify-file",
            "missing.xml",
            "licence.p7s",
            "--trust",
            "prov/ca.pem",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = eseal(
        p,
        &[
            "sign-file",
            "--in",
            "licence.xml",
            "--out",
            "x.p7s",
            "--key",
            "seal.key",
            "--cert",
            "seal.pem",
            "--level",
            "b-t",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("b-t"), "{}", stderr(&out));
    assert!(!p.join("x.p7s").exists());
}

#[test]
fn openssl_cms_accepts_p256_p7s() {
    if !tool("openssl") {
        return;
    }
    let d = signed("p256");
    let p = d.path();
    let run = |content: &str| {
        std::process::Command::new("openssl")
            .current_dir(p)
            .args([
                "cms",
                "-verify",
                "-binary",
                "-content",
                content,
                "-inform",
                "DER",
                "-in",
                "licence.p7s",
                "-CAfile",
                "prov/ca.pem",
                "-out",
                "/dev/null",
            ])
            .output()
            .unwrap()
    };
    let out = run("licence.xml");
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(p.join("changed.xml"), b"changed").unwrap();
    assert!(!run("changed.xml").status.success());
}
