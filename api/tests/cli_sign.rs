//! `eseal sign` end to end: formats of keys, visible seals as renderers draw them, sequential
//! seals into prepared fields, and clear errors that leave nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use eseal_pdf::reader::PdfReader;

fn setup(alg: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    hierarchy(d.path(), alg);
    ok(
        d.path(),
        &[
            "cert",
            "issue",
            "--ca",
            "county",
            "--name",
            "第二部门",
            "--uscc",
            "91350100M000100Y43",
            "--out",
            "dept2",
        ],
    );
    std::fs::write(d.path().join("in.pdf"), simple_pdf(2)).unwrap();
    d
}

fn sign_args<'a>(who: &'a str, input: &'a str, out: &'a str) -> Vec<String> {
    [
        "sign",
        "--in",
        input,
        "--out",
        out,
        "--key",
        &format!("{who}.key"),
        "--cert",
        &format!("{who}.pem"),
        "--chain",
        &format!("{who}.chain.pem"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run(dir: &std::path::Path, args: &[String]) -> std::process::Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    eseal(dir, &a)
}

fn signature_fields(pdf: &[u8]) -> Vec<(String, bool)> {
    let mut r = PdfReader::open(std::io::Cursor::new(pdf)).unwrap();
    r.form_fields()
        .unwrap()
        .into_iter()
        .filter(|f| f.is_signature())
        .map(|f| (f.full_name.clone(), f.has_value()))
        .collect()
}

#[test]
fn invisible_seal_appends_and_keeps_every_earlier_byte() {
    for alg in ["p256", "sm2"] {
        let d = setup(alg);
        let p = d.path();
        let out = run(p, &sign_args("seal", "in.pdf", "out.pdf"));
        assert!(out.status.success(), "{}", stderr(&out));
        let original = std::fs::read(p.join("in.pdf")).unwrap();
        let signed = std::fs::read(p.join("out.pdf")).unwrap();
        assert_eq!(&signed[..original.len()], &original[..]);
        assert_eq!(
            signature_fields(&signed),
            vec![("Signature1".to_string(), true)]
        );
        assert!(no_partial_files(p));
    }
}

fn no_partial_files(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    })
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_writes_the_target_and_keeps_the_link() {
    let d = setup("p256");
    let p = d.path();
    std::fs::write(p.join("real.pdf"), b"old").unwrap();
    std::os::unix::fs::symlink(p.join("real.pdf"), p.join("link.pdf")).unwrap();
    let out = run(p, &sign_args("seal", "in.pdf", "link.pdf"));
    assert!(out.status.success(), "{}", stderr(&out));
    let meta = std::fs::symlink_metadata(p.join("link.pdf")).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    let written = std::fs::read(p.join("real.pdf")).unwrap();
    assert!(written.starts_with(&simple_pdf(2)) && written.ends_with(b"%%EOF\n"));
    assert!(no_partial_files(p));
}

#[test]
fn stdin_to_stdout_gives_the_same_kind_of_file() {
    let d = setup("p256");
    let p = d.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .current_dir(p)
        .env("ESEAL_KEY_PASSPHRASE", PASS)
        .args(sign_args("seal", "-", "-"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = simple_pdf(1);
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.starts_with(&input));
    assert!(out.stdout.ends_with(b"%%EOF\n"));
    assert_eq!(signature_fields(&out.stdout).len(), 1);
}

#[test]
fn pkcs12_key_needs_no_cert_and_key_cert_mismatch_is_refused() {
    let d = setup("p256");
    let p = d.path();
    ok(
        p,
        &[
            "cert",
            "issue",
            "--ca",
            "county",
            "--name",
            "P12 Org",
            "--uscc",
            "91350100M000100Y43",
            "--out",
            "p12org",
            "--p12",
        ],
    );
    ok(
        p,
        &[
            "sign",
            "--in",
            "in.pdf",
            "--out",
            "p12.pdf",
            "--key",
            "p12org.p12",
        ],
    );
    let out = eseal(
        p,
        &[
            "sign",
            "--in",
            "in.pdf",
            "--out",
            "bad.pdf",
            "--key",
            "seal.key",
            "--cert",
            "dept2.pem",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does not match"), "{}", stderr(&out));
    assert!(!p.join("bad.pdf").exists());
}

#[test]
fn wrong_passphrase_and_bad_pdf_fail_cleanly_without_output() {
    let d = setup("p256");
    let p = d.path();
    let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .current_dir(p)
        .env("ESEAL_KEY_PASSPHRASE", "not it")
        .args(sign_args("seal", "in.pdf", "out.pdf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("seal.key") && stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );
    assert!(!p.join("out.pdf").exists());

    std::fs::write(p.join("notpdf.pdf"), b"this is not a PDF at all").unwrap();
    let out = run(p, &sign_args("seal", "notpdf.pdf", "out.pdf"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("notpdf.pdf"), "{}", stderr(&out));
    assert!(!p.join("out.pdf").exists() && no_partial_files(p));

    let out = run(
        p,
        &[
            sign_args("seal", "in.pdf", "out.pdf"),
            vec![
                "--page".into(),
                "9".into(),
                "--image".into(),
                testdata("seal-red.png").display().to_string(),
            ],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("page 9 does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn certified_document_collects_department_seals_in_prepared_fields() {
    let d = setup("sm2");
    let p = d.path();
    let png = testdata("seal-red.png").display().to_string();
    let mut first = sign_args("seal", "in.pdf", "c1.pdf");
    first.extend(
        [
            "--certify",
            "2",
            "--image",
            &png,
            "--rect",
            "400,60,113,113",
            "--prepare-fields",
            "dept2@1:250,60,113,113,dept3@2:100,100,113,113",
        ]
        .map(String::from),
    );
    let out = run(p, &first);
    assert!(out.status.success(), "{}", stderr(&out));
    let c1 = std::fs::read(p.join("c1.pdf")).unwrap();
    let fields = signature_fields(&c1);
    assert!(
        fields.contains(&("dept2".into(), false)) && fields.contains(&("dept3".into(), false)),
        "{fields:?}"
    );

    let mut second = sign_args("dept2", "c1.pdf", "c2.pdf");
    second.extend(["--field", "dept2", "--image", &png].map(String::from));
    let out = run(p, &second);
    assert!(out.status.success(), "{}", stderr(&out));
    let c2 = std::fs::read(p.join("c2.pdf")).unwrap();
    assert_eq!(
        &c2[..c1.len()],
        &c1[..],
        "the certified revision is untouched"
    );
    // The prepared field kept its rectangle: the widget is still at 250,60.
    let mut r = PdfReader::open(std::io::Cursor::new(&c2)).unwrap();
    let f = r.form_field("dept2").unwrap().unwrap();
    let rect = f.widgets[0].rect.unwrap();
    assert!(
        (rect[0] - 250.0).abs() < 0.01 && (rect[1] - 60.0).abs() < 0.01,
        "{rect:?}"
    );
    assert!(f.has_value());

    // A document certified with P=1 takes no further seal.
    let mut p1 = sign_args("seal", "in.pdf", "p1.pdf");
    p1.extend(["--certify", "1"].map(String::from));
    assert!(run(p, &p1).status.success());
    let out = run(p, &sign_args("dept2", "p1.pdf", "p1b.pdf"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Pixels of a rendered page: (width, height, RGBA rows).
fn decode_png(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let mut rgba = Vec::with_capacity((info.width * info.height * 4) as usize);
    for px in buf[..info.buffer_size()].chunks(channels) {
        let (r, g, b) = match channels {
            1 | 2 => (px[0], px[0], px[0]),
            _ => (px[0], px[1], px[2]),
        };
        rgba.extend_from_slice(&[r, g, b, 255]);
    }
    (info.width, info.height, rgba)
}

fn pixel(img: &(u32, u32, Vec<u8>), x: u32, y_from_bottom: u32) -> (u8, u8, u8) {
    let (w, h, data) = img;
    let y = h - 1 - y_from_bottom;
    let i = ((y * w + x) * 4) as usize;
    (data[i], data[i + 1], data[i + 2])
}

fn is_red((r, g, b): (u8, u8, u8)) -> bool {
    r > 150 && g < 110 && b < 110
}

fn is_white((r, g, b): (u8, u8, u8)) -> bool {
    r > 235 && g > 235 && b > 235
}

/// The seal is drawn where asked, red where the picture is red and see-through where the
/// picture is transparent, in poppler's and in PDFBox's rendering.
#[test]
fn visible_seal_renders_in_poppler_and_pdfbox() {
    if !tool("pdftoppm") {
        return;
    }
    let d = setup("p256");
    let p = d.path();
    let png = testdata("seal-red.png").display().to_string();
    // 200x200 pt seal with its lower-left corner at (300, 100) on page 1 (595x842 pt).
    let mut args = sign_args("seal", "in.pdf", "visible.pdf");
    args.extend(["--image", &png, "--page", "1", "--rect", "300,100,200,200"].map(String::from));
    let out = run(p, &args);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut renders = Vec::new();
    let st = Command::new("pdftoppm")
        .current_dir(p)
        .args([
            "-png",
            "-r",
            "72",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "visible.pdf",
            "poppler",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    renders.push(("poppler", p.join("poppler.png")));
    let pdfbox = "/usr/share/java/pdfbox2.jar:/usr/share/java/pdfbox2-tools.jar:/usr/share/java/commons-logging.jar:/usr/share/java/fontbox2.jar";
    if std::path::Path::new("/usr/share/java/pdfbox2-tools.jar").exists() && tool("java") {
        let st = Command::new("java")
            .current_dir(p)
            .args([
                "-cp",
                pdfbox,
                "org.apache.pdfbox.tools.PDFToImage",
                "-imageType",
                "png",
                "-dpi",
                "72",
                "-startPage",
                "1",
                "-endPage",
                "1",
                "-outputPrefix",
                "pdfbox",
                "visible.pdf",
            ])
            .status()
            .unwrap();
        assert!(st.success(), "PDFBox rendering failed");
        renders.push(("pdfbox", p.join("pdfbox1.png")));
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PDFBox tools are required in CI"
        );
    }
    for (who, file) in renders {
        let img = decode_png(&file);
        assert_eq!((img.0, img.1), (595, 842), "{who}: page size");
        // Rim of the seal: the picture's outer ring is 8-22 px of 400 from its edge → at
        // 200 pt scale about 4-11 pt in from the rectangle's left edge, at mid-height.
        let rim = (300 + 7, 100 + 100);
        assert!(
            is_red(pixel(&img, rim.0, rim.1)),
            "{who}: rim at {rim:?} is {:?}",
            pixel(&img, rim.0, rim.1)
        );
        // Star at the centre.
        assert!(
            is_red(pixel(&img, 400, 205)),
            "{who}: centre {:?}",
            pixel(&img, 400, 205)
        );
        // Transparent corners of the picture show the white page, not black.
        for (x, y) in [(303, 103), (497, 297), (303, 297), (497, 103)] {
            assert!(
                is_white(pixel(&img, x, y)),
                "{who}: corner ({x},{y}) is {:?}",
                pixel(&img, x, y)
            );
        }
        // Nothing red outside the rectangle.
        for (x, y) in [(290, 200), (510, 200), (400, 90), (400, 310)] {
            assert!(
                !is_red(pixel(&img, x, y)),
                "{who}: red outside the seal at ({x},{y})"
            );
        }
    }
}

#[test]
fn repair_rebuilds_a_broken_unsigned_file_and_refuses_a_signed_one() {
    let d = setup("p256");
    let p = d.path();
    // Break the cross-reference table: every offset off by 7.
    let good = simple_pdf(1);
    let at = good.windows(5).position(|w| w == b"xref\n").unwrap();
    let mut broken = good[..at].to_vec();
    let text = String::from_utf8(good[at..].to_vec()).unwrap();
    let at = 0;
    let table: String = text[at..]
        .lines()
        .map(|l| match l.split_once(" 00000 n") {
            Some((off, rest)) if off.len() == 10 => {
                format!("{:010} 00000 n{rest}", off.parse::<u64>().unwrap() + 7)
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    broken.extend_from_slice(table.as_bytes());
    broken.push(b'\n');
    std::fs::write(p.join("broken.pdf"), &broken).unwrap();
    let out = run(p, &sign_args("seal", "broken.pdf", "x.pdf"));
    assert_eq!(
        out.status.code(),
        Some(2),
        "a broken file is refused without --repair"
    );
    let mut args = sign_args("seal", "broken.pdf", "fixed.pdf");
    args.push("--repair".into());
    let out = run(p, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        signature_fields(&std::fs::read(p.join("fixed.pdf")).unwrap()).len(),
        1
    );

    // A signed file whose xref is broken after the fact: repair would rewrite signed bytes.
    let out = run(p, &sign_args("seal", "in.pdf", "signed.pdf"));
    assert!(out.status.success());
    let mut signed = std::fs::read(p.join("signed.pdf")).unwrap();
    let sx = signed.windows(9).rposition(|w| w == b"startxref").unwrap();
    let digit = sx + 10;
    signed[digit] = if signed[digit] == b'1' { b'2' } else { b'1' };
    std::fs::write(p.join("signed-broken.pdf"), &signed).unwrap();
    let mut args = sign_args("dept2", "signed-broken.pdf", "y.pdf");
    args.push("--repair".into());
    let out = run(p, &args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!p.join("y.pdf").exists());
}
