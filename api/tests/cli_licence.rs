//! `eseal licence` end to end: render, issue (certify P=2 and fill the QR code), annotate,
//! info, and `eseal verify` on the result, before and after the copy's expiry; bad input gives
//! exit 2 and a message that names the problem.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use common::*;

const DATA: &str = r#"{"identifier": "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
 "type_code": "11100000000013338W032", "type_name": "营业执照",
 "issuer_name": "福州市市场监督管理局", "issuer_code": "11220000013544541J",
 "holder_name": "福州电子印章科技有限公司", "holder_code": "91350100M000100Y43",
 "issued_on": "2026-11-30", "fields": {"scope": "软件开发"}}"#;

#[test]
fn licence_render_issue_annotate_info_and_verify() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    hierarchy(dir, "p256");
    ok(
        dir,
        &[
            "cert",
            "issue",
            "--ca",
            "county",
            "--name",
            "电子证照共享服务平台",
            "--uscc",
            "11220000013544541J",
            "--out",
            "platform",
        ],
    );
    ok(dir, &["crl", "--ca", "county", "--out", "county.crl.pem"]);
    std::fs::write(dir.join("data.json"), DATA).unwrap();

    ok(
        dir,
        &[
            "licence",
            "render",
            "--data",
            "data.json",
            "--out",
            "rendered.pdf",
        ],
    );
    let rendered = std::fs::read(dir.join("rendered.pdf")).unwrap();
    assert!(rendered.starts_with(b"%PDF-"));

    let url = ok(
        dir,
        &[
            "licence",
            "issue",
            "--data",
            "data.json",
            "--key",
            "seal.key",
            "--cert",
            "seal.pem",
            "--chain",
            "seal.chain.pem",
            "--seal-image",
            testdata("seal-red.png").to_str().unwrap(),
            "--verify-url",
            "https://v.invalid/l/{identifier}?d={digest}",
            "--out",
            "issued.pdf",
        ],
    );
    let url = url.trim();
    assert!(
        url.starts_with("https://v.invalid/l/1.2.156.3005.2.11100000000013338W032."),
        "{url}"
    );
    let digest = url.rsplit("?d=").next().unwrap();
    assert_eq!(digest.len(), 22);

    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let expires = format!(
        "{:04}-{:02}-{:02}",
        expires.year(),
        u8::from(expires.month()),
        expires.day()
    );
    ok(
        dir,
        &[
            "licence",
            "annotate",
            "--in",
            "issued.pdf",
            "--out",
            "copy.pdf",
            "--key",
            "platform.key",
            "--cert",
            "platform.pem",
            "--chain",
            "platform.chain.pem",
            "--purpose",
            "办理银行开户",
            "--agency",
            "某某银行",
            "--expires",
            &expires,
            "--copy",
            "3",
        ],
    );
    let info: serde_json::Value =
        serde_json::from_str(&ok(dir, &["licence", "info", "copy.pdf"])).unwrap();
    assert_eq!(info["qr_url"], url);
    assert_eq!(info["sealed_digest"], digest);
    assert_eq!(info["holder_name"], "福州电子印章科技有限公司");
    assert_eq!(info["annotation"]["copy_number"], 3);

    let verify = |at: Option<&str>| {
        let mut args = vec![
            "verify",
            "copy.pdf",
            "--trust",
            "prov/ca.pem",
            "--chain",
            "seal.chain.pem",
            "--format",
            "json",
        ];
        if let Some(at) = at {
            args.extend(["--at", at]);
        }
        eseal(dir, &args)
    };
    let now = verify(None);
    assert!(now.status.success(), "{}", stderr(&now));
    let report: serde_json::Value = serde_json::from_slice(&now.stdout).unwrap();
    assert_eq!(report["annotation"]["expired"], false);
    assert_eq!(report["signatures"].as_array().unwrap().len(), 2);

    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(40)).date();
    let later = format!(
        "{:04}-{:02}-{:02}",
        later.year(),
        u8::from(later.month()),
        later.day()
    );
    let after = verify(Some(&later));
    assert_eq!(after.status.code(), Some(1), "an expired copy is not valid");
    let report: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(report["annotation"]["expired"], true);
    for s in report["signatures"].as_array().unwrap() {
        assert_eq!(
            s["indication"], "TOTAL-PASSED",
            "the seals keep their own indication"
        );
    }

    // Expiry in the past, far future, and a broken identifier: exit 2 with the reason.
    let past = eseal(
        dir,
        &[
            "licence",
            "annotate",
            "--in",
            "issued.pdf",
            "--out",
            "bad.pdf",
            "--key",
            "platform.key",
            "--cert",
            "platform.pem",
            "--purpose",
            "x",
            "--agency",
            "y",
            "--expires",
            "2020-01-01",
        ],
    );
    assert_eq!(past.status.code(), Some(2));
    assert!(stderr(&past).contains("in the past"), "{}", stderr(&past));
    assert!(!dir.join("bad.pdf").exists());
    std::fs::write(dir.join("bad.json"), DATA.replace(".001.F", ".001.G")).unwrap();
    let bad = eseal(
        dir,
        &[
            "licence", "render", "--data", "bad.json", "--out", "bad.pdf",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("expected 'F'"), "{}", stderr(&bad));
}
