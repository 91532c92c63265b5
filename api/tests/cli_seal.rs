//! `eseal seal create/show` and `eseal sign --seal [--format ses]`: GB/T 38540 seals made,
//! drawn, bound to their owner and applied.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use common::*;
use eseal_signer::ses;

/// An SM2 root, a seal maker's certificate and an organisation's seal certificate.
fn setup() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(
        p,
        &[
            "ca", "init", "--dir", "root", "--name", "SM2 Root", "--alg", "sm2",
        ],
    );
    ok(
        p,
        &[
            "cert",
            "issue",
            "--ca",
            "root",
            "--name",
            "电子印章制作中心",
            "--uscc",
            "91350100M000100Y43",
            "--out",
            "maker",
        ],
    );
    ok(
        p,
        &[
            "cert",
            "issue",
            "--ca",
            "root",
            "--name",
            "福建示例科技有限公司",
            "--uscc",
            "91350100M000100Y43",
            "--out",
            "org",
        ],
    );
    std::fs::write(p.join("in.pdf"), simple_pdf(1)).unwrap();
    d
}

fn create(p: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "seal",
        "create",
        "--maker-key",
        "maker.key",
        "--maker-cert",
        "maker.pem",
        "--cert",
        "org.pem",
        "--out",
        "s.esl",
    ];
    args.extend_from_slice(extra);
    eseal(p, &args)
}

#[test]
fn drawn_seals_of_each_kind_are_made_and_check_out() {
    let d = setup();
    let p = d.path();
    for (ty, draw, code) in [
        ("04", "round", "91350100M000100Y43"),
        ("03", "oval", "91350100M000100Y43"),
        ("01", "round", "91350100M000100Y43"),
    ] {
        let out = create(
            p,
            &[
                "--name",
                "示例章",
                "--type",
                ty,
                "--owner-code",
                code,
                "--draw",
                draw,
            ],
        );
        if !out.status.success() && stderr(&out).contains("CJK font") {
            assert!(
                std::env::var_os("CI").is_none(),
                "a CJK font is required in CI"
            );
            return;
        }
        assert!(out.status.success(), "{ty}: {}", stderr(&out));
        let shown = ok(p, &["seal", "show", "s.esl", "--png", "s.png"]);
        assert!(shown.contains(&format!("type:      {ty}")), "{shown}");
        assert!(
            shown.contains("owner:     unified social credit code 91350100M000100Y43"),
            "{shown}"
        );
        assert!(!shown.contains("FAILED"), "{shown}");
        let png = std::fs::read(p.join("s.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let seal = ses::Seal::parse(&std::fs::read(p.join("s.esl")).unwrap()).unwrap();
        let (w, h) = (seal.picture.width_mm, seal.picture.height_mm);
        if ty == "03" {
            assert_eq!((w, h), (40, 30));
        } else {
            assert_eq!((w, h), (40, 40));
        }
        std::fs::remove_file(p.join("s.esl")).unwrap();
    }
}

#[test]
fn wrong_owner_codes_and_tampered_seals_are_refused() {
    let d = setup();
    let p = d.path();
    let png = testdata("seal-red.png").display().to_string();
    // Check character wrong.
    let out = create(
        p,
        &[
            "--name",
            "章",
            "--type",
            "04",
            "--owner-code",
            "91350100M000100Y44",
            "--image",
            &png,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("check character"), "{}", stderr(&out));
    // An enterprise seal whose code differs from the certificate's.
    let out = create(
        p,
        &[
            "--name",
            "章",
            "--type",
            "04",
            "--owner-code",
            "11220000013544541J",
            "--image",
            &png,
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // A name seal needs a resident ID, not a USCC.
    let out = create(
        p,
        &[
            "--name",
            "章",
            "--type",
            "05",
            "--owner-code",
            "91350100M000100Y43",
            "--image",
            &png,
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let out = create(
        p,
        &[
            "--name",
            "合同专用章",
            "--type",
            "04",
            "--owner-code",
            "91350100M000100Y43",
            "--image",
            &png,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut der = std::fs::read(p.join("s.esl")).unwrap();
    let pos = der
        .windows("合同".len())
        .position(|w| w == "合同".as_bytes())
        .unwrap();
    der[pos] ^= 1;
    std::fs::write(p.join("bad.esl"), &der).unwrap();
    let out = eseal(p, &["seal", "show", "bad.esl"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("seal maker signature: FAILED"));
}

/// The digest GB/T 38540 signs in a PDF: SM3 over the two ranges of the last /ByteRange.
fn last_signature(pdf: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let text = String::from_utf8_lossy(pdf);
    let at = text.rfind("/ByteRange [").unwrap() + 12;
    let nums: Vec<usize> = text[at..]
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let mut h = eseal_certs::DigestAlgorithm::Sm3.hasher();
    h.update(&pdf[nums[0]..nums[0] + nums[1]]);
    h.update(&pdf[nums[2]..nums[2] + nums[3]]);
    let hex = &pdf[nums[1] + 1..nums[2] - 1];
    let der = hex::decode(std::str::from_utf8(hex).unwrap()).unwrap();
    (der, h.finish())
}

#[test]
fn sign_with_a_seal_writes_a_gbt38540_signature_or_cms_with_its_picture() {
    let d = setup();
    let p = d.path();
    let png = testdata("seal-red.png").display().to_string();
    let out = create(
        p,
        &[
            "--name",
            "福建示例科技有限公司合同专用章",
            "--type",
            "04",
            "--owner-code",
            "91350100M000100Y43",
            "--image",
            &png,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    ok(
        p,
        &[
            "sign", "--in", "in.pdf", "--out", "ses.pdf", "--key", "org.key", "--cert", "org.pem",
            "--seal", "s.esl", "--format", "ses",
        ],
    );
    let pdf = std::fs::read(p.join("ses.pdf")).unwrap();
    assert!(String::from_utf8_lossy(&pdf).contains("/SubFilter /adbe.pkcs7.detached"));
    let (der, digest) = last_signature(&pdf);
    assert!(ses::looks_like_ses_signature(&der));
    let v = ses::verify_signature(&der, Some(&digest)).unwrap();
    assert!(v.is_valid(), "{:?}", v.failures());
    // The seal's picture was drawn: the widget has a 40 x 40 mm (113.4 pt) rectangle.
    let mut r = eseal_pdf::reader::PdfReader::open(std::io::Cursor::new(&pdf)).unwrap();
    let f = r.form_field("Signature1").unwrap().unwrap();
    let rect = f.widgets[0].rect.unwrap();
    assert!(((rect[2] - rect[0]) - 113.39).abs() < 0.1, "{rect:?}");

    // The other department's certificate is not in the seal's list: refused.
    ok(
        p,
        &[
            "cert",
            "issue",
            "--ca",
            "root",
            "--name",
            "其他单位",
            "--uscc",
            "91350100M000100Y43",
            "--out",
            "other",
        ],
    );
    let out = eseal(
        p,
        &[
            "sign",
            "--in",
            "in.pdf",
            "--out",
            "x.pdf",
            "--key",
            "other.key",
            "--cert",
            "other.pem",
            "--seal",
            "s.esl",
            "--format",
            "ses",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!p.join("x.pdf").exists());

    // CMS with the seal's picture.
    ok(
        p,
        &[
            "sign", "--in", "in.pdf", "--out", "cms.pdf", "--key", "org.key", "--cert", "org.pem",
            "--seal", "s.esl",
        ],
    );
    let pdf = std::fs::read(p.join("cms.pdf")).unwrap();
    let (der, _) = last_signature(&pdf);
    assert!(!ses::looks_like_ses_signature(&der));
    eseal_signer::cms::SignedCms::parse(&der).unwrap();
    // --format ses without a seal is a usage error.
    let out = eseal(
        p,
        &[
            "sign", "--in", "in.pdf", "--out", "y.pdf", "--key", "org.key", "--cert", "org.pem",
            "--format", "ses",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn drawn_picture_names_the_organisation_not_the_seal() {
    use eseal_signer::picture::{FontSource, SealDrawing};
    let Ok(font) = FontSource::system_default() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "a CJK font is required in CI"
        );
        return;
    };
    let d = setup();
    let p = d.path();
    let out = create(
        p,
        &[
            "--name",
            "福建示例科技有限公司合同专用章",
            "--type",
            "04",
            "--owner-code",
            "91350100M000100Y43",
            "--draw",
            "round",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let seal = ses::Seal::parse(&std::fs::read(p.join("s.esl")).unwrap()).unwrap();
    // The same drawing made directly: organisation on the arc, 合同专用章 under the star, code below.
    let expected = SealDrawing::for_type(
        ses::SealType::Contract,
        "福建示例科技有限公司",
        Some("91350100M000100Y43"),
    )
    .unwrap()
    .to_png(&font, 300.0 / 25.4)
    .unwrap();
    assert!(
        seal.picture.data == expected,
        "the drawn seal differs from the organisation's contract seal"
    );
}
