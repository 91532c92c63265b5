//! Shared helpers for the command-line tests.
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
