//! `eseal verify`: exit codes (0 all TOTAL-PASSED, 1 any not or no signature, 2 usage,
//! unreadable input or a file too costly to read), the three report formats, `--crl`, `--at`,
//! `--out`, and the bombs of `testdata/make-bombs.py`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use common::*;

fn setup() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    sealed_with_hierarchy(d.path(), "p256", &["--name", "合同专用章"]);
    d
}

#[test]
fn valid_seal_exits_0_in_every_format() {
    let d = setup();
    let p = d.path();
    let text = ok(p, &["verify", "signed.pdf", "--trust", "prov/ca.pem"]);
    assert!(
        text.contains("TOTAL-PASSED") && text.contains("合同专用章"),
        "{text}"
    );
    let json = ok(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "eseal-verify/1");
    assert_eq!(v["verdict"]["passed"], true);
    assert_eq!(v["signatures"][0]["indication"], "TOTAL-PASSED");
    assert_eq!(v["signatures"][0]["signer"]["uscc"], "91350100M000100Y43");
    ok(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--format",
            "html",
            "--out",
            "r.html",
        ],
    );
    let html = std::fs::read_to_string(p.join("r.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("TOTAL-PASSED"));
    // Paths validated at a given date: before the certificates existed → not valid.
    let out = eseal(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--at",
            "2001-01-01",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn revoked_signer_with_crl_exits_1() {
    let d = setup();
    let p = d.path();
    let serial = ok(p, &["cert", "show", "seal.pem"]);
    let serial = serial
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("serial:")
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| panic!("serial in {serial}"));
    ok(
        p,
        &["cert", "revoke", "--ca", "county", "--serial", &serial],
    );
    ok(p, &["crl", "--ca", "county", "--out", "county.crl"]);
    let out = eseal(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--crl",
            "county.crl",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("REVOKED"));
}

#[test]
fn tampered_unsigned_and_untrusted_exit_1() {
    let d = setup();
    let p = d.path();
    let mut pdf = std::fs::read(p.join("signed.pdf")).unwrap();
    let at = pdf.windows(8).position(|w| w == b"Business").unwrap();
    pdf[at] = b'b';
    std::fs::write(p.join("tampered.pdf"), &pdf).unwrap();
    let out = eseal(p, &["verify", "tampered.pdf", "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("HASH_FAILURE"));
    let out = eseal(p, &["verify", "in.pdf", "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no signature"), "{}", stderr(&out));
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
            "p256",
        ],
    );
    let out = eseal(p, &["verify", "signed.pdf", "--trust", "other/ca.pem"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NO_CERTIFICATE_CHAIN_FOUND"));
}

/// Data appended after the last `%%EOF` (more than the 2 KiB readers search for `startxref`)
/// is no reason to refuse the file as "not a PDF" (exit 2): the seal is judged, and it is not
/// valid because it does not cover those bytes (exit 1, with the reason). pdfsig says of such a
/// file "Signature is Valid" and "not total document signed"; pyHanko refuses to read it ("EOF
/// marker not found").
#[test]
fn data_after_the_last_eof_exits_1_saying_the_seal_does_not_cover_it() {
    let d = setup();
    let p = d.path();
    let mut pdf = std::fs::read(p.join("signed.pdf")).unwrap();
    pdf.extend_from_slice(&b"appended after signing ".repeat(200));
    std::fs::write(p.join("appended.pdf"), &pdf).unwrap();
    let out = eseal(p, &["verify", "appended.pdf", "--trust", "prov/ca.pem"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", stderr(&out));
    assert!(
        stdout.contains("no signature covers the whole file"),
        "{stdout}"
    );
}

#[test]
fn usage_and_unreadable_input_exit_2() {
    let d = setup();
    let p = d.path();
    std::fs::write(p.join("junk.pdf"), b"hello").unwrap();
    for args in [
        vec!["verify", "missing.pdf", "--trust", "prov/ca.pem"],
        vec!["verify", "junk.pdf", "--trust", "prov/ca.pem"],
        vec!["verify", "signed.pdf"],
        vec!["verify", "signed.pdf", "--trust", "missing.pem"],
        vec![
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--at",
            "yesterday",
        ],
        vec![
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--format",
            "xml",
        ],
    ] {
        let out = eseal(p, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

/// The bombs `testdata/make-bombs.py` makes from a sealed file, with the limit that refuses
/// each.
fn bombs() -> [(&'static str, &'static str, u64); 6] {
    use eseal_pdf::reader::{
        Limit, DEFAULT_DECODED_BYTES, DEFAULT_OBJECTS, DEFAULT_XREF_ENTRIES, MAX_DECODED_STREAM,
    };
    let entries = (Limit::XrefEntries.what(), DEFAULT_XREF_ENTRIES);
    let objects = (Limit::Objects.what(), DEFAULT_OBJECTS);
    [
        ("xref-stream-bomb.pdf", entries.0, entries.1),
        ("xref-entries-bomb.pdf", entries.0, entries.1),
        (
            "dss-bomb.pdf",
            Limit::DecodedStream.what(),
            MAX_DECODED_STREAM,
        ),
        (
            "streams-bomb.pdf",
            Limit::DecodedBytes.what(),
            DEFAULT_DECODED_BYTES,
        ),
        ("objstm-bomb.pdf", objects.0, objects.1),
        ("content-bomb.pdf", objects.0, objects.1),
    ]
}

/// Runs the bomb script on the sealed file of `dir` into `dir/bombs`; false when python3 is
/// missing on a developer machine.
fn make_bombs(dir: &std::path::Path) -> bool {
    if !tool("python3") {
        return false;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/make-bombs.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(dir.join("bombs"))
        .arg("--signed")
        .arg(dir.join("signed.pdf"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    true
}

#[test]
fn every_bomb_of_the_script_exits_2_naming_its_limit() {
    let d = setup();
    let p = d.path();
    if !make_bombs(p) {
        return;
    }
    for (name, what, limit) in bombs() {
        let file = p.join("bombs").join(name);
        // Small files: the cost is in what they declare or expand to.
        let len = std::fs::metadata(&file).unwrap().len();
        assert!(len < 128 * 1024, "{name}: {len} bytes");
        let path = format!("bombs/{name}");
        let out = eseal(p, &["verify", &path, "--trust", "prov/ca.pem"]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let expected = format!("{what} exceed the limit of {limit}");
        assert!(stderr(&out).contains(&expected), "{name}: {}", stderr(&out));
    }
}

#[test]
fn the_decoding_limit_is_the_users_in_mib() {
    let d = setup();
    let p = d.path();
    // The plain file decodes nothing and passes even at 0.
    let out = eseal(
        p,
        &[
            "verify",
            "signed.pdf",
            "--trust",
            "prov/ca.pem",
            "--max-decoded-mib",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    if !make_bombs(p) {
        return;
    }
    // Six distinct streams of 48 MiB, 288 MiB: refused at the default 256, read at 512.
    let bomb = "bombs/streams-bomb.pdf";
    let out = eseal(p, &["verify", bomb, "--trust", "prov/ca.pem"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let roomy = [
        "verify",
        bomb,
        "--trust",
        "prov/ca.pem",
        "--max-decoded-mib",
        "512",
    ];
    let out = eseal(p, &roomy);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
}
