//! Seal pictures through a real PDF renderer: each seal kind's [`PdfDrawing`] is drawn as a form
//! XObject on a hand-written one-page PDF, rendered with poppler's `pdftoppm`, and the pixels are
//! checked for colour and geometry. The renders are kept under `target/seal-pictures/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::f64::consts::PI;
use std::path::PathBuf;
use std::process::Command;

use eseal_signer::picture::{FontSource, PdfDrawing, SealDrawing, PT_PER_MM};
use eseal_signer::ses::SealType;
use tiny_skia::{Pixmap, PremultipliedColorU8};

/// Page pixels per drawing point (the page is rendered at 72 dpi, one pixel per point).
const SCALE: f64 = 3.0;
/// Margin around the seal, in points.
const MARGIN: f64 = 12.0;

fn font() -> Option<FontSource> {
    match FontSource::system_default() {
        Ok(f) => Some(f),
        Err(e) if std::env::var_os("CI").is_some() => panic!("CI needs a CJK font: {e}"),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

fn artefact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("seal-pictures");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A one-page PDF whose page draws `d` as a form XObject, scaled by [`SCALE`] and set in a
/// margin.
fn page_pdf(d: &PdfDrawing) -> Vec<u8> {
    let (w, h) = (
        d.width_pt * SCALE + 2.0 * MARGIN,
        d.height_pt * SCALE + 2.0 * MARGIN,
    );
    let page = format!("q {SCALE} 0 0 {SCALE} {MARGIN} {MARGIN} cm /Seal Do Q\n");
    let mut form = format!(
        "<< /Type /XObject /Subtype /Form /BBox [0 0 {} {}] /Resources << >> /Length {} >>\nstream\n",
        d.width_pt,
        d.height_pt,
        d.content.len()
    )
    .into_bytes();
    form.extend_from_slice(&d.content);
    form.extend_from_slice(b"\nendstream");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] \
             /Resources << /XObject << /Seal 5 0 R >> >> /Contents 4 0 R >>"
        )
        .into_bytes(),
        format!("<< /Length {} >>\nstream\n{page}endstream", page.len()).into_bytes(),
        form,
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Renders the seal through `pdftoppm`; `None` (with a note) when it is not installed locally.
fn render(kind: &str, drawing: &SealDrawing, font: &FontSource) -> Option<Render> {
    let pdf = drawing.to_pdf(font).unwrap();
    let dir = artefact_dir();
    let pdf_path = dir.join(format!("{kind}.pdf"));
    std::fs::write(&pdf_path, page_pdf(&pdf)).unwrap();
    let prefix = dir.join(kind);
    let run = Command::new("pdftoppm")
        .args(["-png", "-r", "72", "-singlefile"])
        .arg(&pdf_path)
        .arg(&prefix)
        .output();
    let out = match run {
        Ok(out) => out,
        Err(e) if std::env::var_os("CI").is_some() => panic!("CI needs pdftoppm: {e}"),
        Err(e) => {
            eprintln!("skipped: pdftoppm not runnable ({e}); install poppler-utils");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(prefix.with_extension("png")).unwrap();
    // The same drawing rasterised directly, for comparison.
    let direct = drawing.to_png(font, PT_PER_MM * SCALE).unwrap();
    std::fs::write(dir.join(format!("{kind}-direct.png")), &direct).unwrap();
    Some(Render {
        page: Pixmap::decode_png(&png).unwrap(),
        direct: Pixmap::decode_png(&direct).unwrap(),
        drawing: drawing.clone(),
    })
}

struct Render {
    page: Pixmap,
    direct: Pixmap,
    drawing: SealDrawing,
}

impl Render {
    /// The page pixel at `(x, y)` millimetres from the seal's centre.
    fn at(&self, x: f64, y: f64) -> PremultipliedColorU8 {
        let k = PT_PER_MM * SCALE;
        let px = MARGIN + (x + self.drawing.width_mm / 2.0) * k;
        let py = MARGIN + (self.drawing.height_mm / 2.0 - y) * k;
        assert!(px >= 0.0 && py >= 0.0 && px < f64::from(self.page.width()));
        assert!(py < f64::from(self.page.height()));
        self.page.pixel(px as u32, py as u32).unwrap()
    }

    fn red(&self, x: f64, y: f64) -> bool {
        let p = self.at(x, y);
        p.red() > 170 && p.green() < 80 && p.blue() < 80
    }

    fn white(&self, x: f64, y: f64) -> bool {
        let p = self.at(x, y);
        p.red() > 245 && p.green() > 245 && p.blue() > 245
    }

    /// The page has the expected size and the renderer inked about as much as tiny-skia did.
    fn check_page_and_coverage(&self) {
        let k = PT_PER_MM * SCALE;
        let want_w = (self.drawing.width_mm * k + 2.0 * MARGIN).round();
        assert!((f64::from(self.page.width()) - want_w).abs() <= 1.0);
        let page_red = self
            .page
            .pixels()
            .iter()
            .filter(|p| p.red() > 170 && p.green() < 80 && p.blue() < 80)
            .count();
        let direct_red = self
            .direct
            .pixels()
            .iter()
            .filter(|p| p.alpha() > 200)
            .count();
        let ratio = page_red as f64 / direct_red as f64;
        assert!(
            (0.9..1.1).contains(&ratio),
            "poppler {page_red} vs tiny-skia {direct_red}"
        );
        // Only red and white (and their blends) on the page: no stray colour or black.
        assert!(self.page.pixels().iter().all(|p| p.red() >= p.green()));
    }
}

fn round_checks(r: &Render, diameter: f64) {
    let (outer, rim) = (diameter / 2.0, diameter / 40.0);
    for k in 0..72 {
        let a = f64::from(k) * 5.0 * PI / 180.0;
        let (c, s) = (a.cos(), a.sin());
        let mid = outer - rim / 2.0;
        assert!(r.red(mid * c, mid * s), "rim at {}°", k * 5);
        assert!(
            r.white((outer + 1.0) * c, (outer + 1.0) * s),
            "outside at {}°",
            k * 5
        );
        // The band between the rim and the lettering stays clear.
        let gap = outer - rim - 0.35;
        assert!(
            r.white(gap * c, gap * s),
            "gap inside the rim at {}°",
            k * 5
        );
    }
    let star = diameter * 7.0 / 40.0;
    assert!(r.red(0.0, 0.0), "star centre");
    assert!(r.red(0.0, star * 0.85), "upper star point");
    for i in 0..5 {
        let point = PI / 2.0 - f64::from(i) * 2.0 * PI / 5.0;
        let p = (star * 0.8 * point.cos(), star * 0.8 * point.sin());
        assert!(r.red(p.0, p.1), "star point {i}");
        let notch = point - PI / 5.0;
        let q = (star * 0.8 * notch.cos(), star * 0.8 * notch.sin());
        assert!(r.white(q.0, q.1), "between star points {i}");
    }
    r.check_page_and_coverage();
}

#[test]
fn round_seals_render_with_rim_star_and_name() {
    let Some(font) = font() else { return };
    let name = "北京示例科技有限公司";
    let cases = [
        ("round-01-company", SealType::LegalName, None, 40.0),
        (
            "round-02-finance",
            SealType::Finance,
            Some("1101080012345"),
            38.0,
        ),
        (
            "round-04-contract",
            SealType::Contract,
            Some("91110108MA01ABCD3X"),
            40.0,
        ),
    ];
    for (kind, t, code, diameter) in cases {
        let d = SealDrawing::for_type(t, name, code).unwrap();
        let Some(r) = render(kind, &d, &font) else {
            return;
        };
        round_checks(&r, diameter);
        // The name's arc is inked on the top, nothing is inked right of the star at mid-height.
        let ring = d.glyphs[0].centre.x.hypot(d.glyphs[0].centre.y);
        let inked = (0..360)
            .filter(|deg| {
                let a = f64::from(*deg) * PI / 180.0;
                r.red(ring * a.cos(), ring * a.sin())
            })
            .count();
        assert!(inked > 20, "{kind}: name ring inked at {inked}°");
    }
}

#[test]
fn invoice_seal_renders_as_red_oval_with_the_number() {
    let Some(font) = font() else { return };
    let d = SealDrawing::for_type(
        SealType::Invoice,
        "上海示例贸易有限公司",
        Some("91310000MA1FL4XQ2K"),
    )
    .unwrap();
    let Some(r) = render("oval-03-invoice", &d, &font) else {
        return;
    };
    for k in 0..72 {
        let a = f64::from(k) * 5.0 * PI / 180.0;
        let (c, s) = (a.cos(), a.sin());
        assert!(r.red(19.5 * c, 14.5 * s), "rim at {}°", k * 5);
        assert!(r.white(21.0 * c, 16.0 * s), "outside at {}°", k * 5);
    }
    // The number across the centre is inked along y = 0, clear above and below it.
    let across = (-130..=130)
        .filter(|x| r.red(f64::from(*x) / 10.0, 0.5))
        .count();
    assert!(across > 25, "number inked at {across} samples");
    assert!((-100..=100).all(|x| r.white(f64::from(x) / 10.0, 2.3)));
    r.check_page_and_coverage();
}

#[test]
fn name_seal_renders_as_red_square() {
    let Some(font) = font() else { return };
    let d = SealDrawing::for_type(SealType::LegalRepresentative, "张三", None).unwrap();
    let Some(r) = render("square-05-name", &d, &font) else {
        return;
    };
    for t in -8..=8 {
        let v = f64::from(t);
        for (x, y) in [(v, 8.5), (v, -8.5), (8.5, v), (-8.5, v)] {
            assert!(r.red(x, y), "border at ({x}, {y})");
        }
        for (x, y) in [(v, 9.8), (v, -9.8), (9.8, v), (-9.8, v)] {
            assert!(r.white(x, y), "outside at ({x}, {y})");
        }
    }
    // Each quarter holds one inked character.
    for (qx, qy) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)] {
        let inked = (0..100)
            .filter(|i| {
                r.red(
                    qx * (1.0 + f64::from(i % 10) * 0.6),
                    qy * (1.0 + f64::from(i / 10) * 0.6),
                )
            })
            .count();
        assert!(inked > 10, "quarter ({qx}, {qy}) inked at {inked} samples");
    }
    r.check_page_and_coverage();
}
