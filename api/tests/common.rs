//! Shared helpers for the command-line tests.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub const PASS: &str = "test-passphrase";

/// `eseal` with the passphrase in the environment, run in `dir`.
pub fn eseal(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
        .current_dir(dir)
        .env("ESEAL_KEY_PASSPHRASE", PASS)
        .args(args)
        .output()
        .expect("run eseal")
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = eseal(dir, args);
    assert!(
        out.status.success(),
        "eseal {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An external tool the test needs. In CI (`CI` set) a missing tool fails the test; on a
/// developer machine the test is skipped with a note.
pub fn tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required in CI (.ci/run installs it)"
        );
        eprintln!("note: {name} not installed; skipping its checks");
    }
    found
}

/// Seals `in.pdf` (a one-page PDF written here) into `signed.pdf` with the [`hierarchy`]'s seal,
/// passing `extra` options to `eseal sign`; returns the sealed bytes.
pub fn sealed_with_hierarchy(dir: &Path, alg: &str, extra: &[&str]) -> Vec<u8> {
    hierarchy(dir, alg);
    std::fs::write(dir.join("in.pdf"), simple_pdf(1)).expect("write in.pdf");
    let mut args = vec![
        "sign",
        "--in",
        "in.pdf",
        "--out",
        "signed.pdf",
        "--key",
        "seal.key",
        "--cert",
        "seal.pem",
        "--chain",
        "seal.chain.pem",
    ];
    args.extend_from_slice(extra);
    ok(dir, &args);
    std::fs::read(dir.join("signed.pdf")).expect("read signed.pdf")
}

/// province (root) → city → county hierarchy and one seal certificate `seal`.
pub fn hierarchy(dir: &Path, alg: &str) {
    ok(
        dir,
        &[
            "ca",
            "init",
            "--dir",
            "prov",
            "--name",
            "Test Province Root CA",
            "--alg",
            alg,
        ],
    );
    ok(
        dir,
        &[
            "ca",
            "sub",
            "--dir",
            "city",
            "--parent",
            "prov",
            "--name",
            "Test City CA",
        ],
    );
    ok(
        dir,
        &[
            "ca",
            "sub",
            "--dir",
            "county",
            "--parent",
            "city",
            "--name",
            "Test County CA",
        ],
    );
    ok(
        dir,
        &[
            "cert",
            "issue",
            "--ca",
            "county",
            "--name",
            "测试县市场监督管理局",
            "--uscc",
            "91350100M000100Y43",
            "--out",
            "seal",
        ],
    );
}

/// A small valid PDF (classic xref) with `pages` A4 pages of text, made here byte by byte.
pub fn simple_pdf(pages: usize) -> Vec<u8> {
    let mut objs: Vec<String> = Vec::new();
    objs.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objs.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    ));
    objs.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into());
    for i in 0..pages {
        objs.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        let text = format!(
            "BT /F1 24 Tf 72 760 Td (Business licence, page {}) Tj ET",
            i + 1
        );
        objs.push(format!(
            "<< /Length {} >>\nstream\n{text}\nendstream",
            text.len()
        ));
    }
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Path of a file in the repository's testdata folder.
pub fn testdata(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(name)
}
