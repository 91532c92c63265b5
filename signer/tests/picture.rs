//! Seal pictures: layout geometry, errors on odd input, and the PNG and PDF outputs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is a failed test

use std::f64::consts::{FRAC_PI_2, PI};

use eseal_signer::picture::{
    ArcSide, FontSource, Glyph, NameSeal, OvalSeal, PictureError, Point, RoundSeal, SealDrawing,
    SealShape, PT_PER_MM,
};
use eseal_signer::ses::SealType;
use tiny_skia::Pixmap;

const COMPANY: &str = "北京示例科技有限公司";
const USCC: &str = "91110108MA01ABCD3X";

/// The system CJK font; `None` (with a note) when there is none outside CI.
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

fn angle(p: Point) -> f64 {
    p.y.atan2(p.x)
}

fn close(a: f64, b: f64, eps: f64) -> bool {
    (a - b).abs() < eps
}

/// Angle difference in (-π, π].
fn turn(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(2.0 * PI);
    if d > PI {
        d - 2.0 * PI
    } else {
        d
    }
}

fn name_glyphs(d: &SealDrawing, n: usize) -> &[Glyph] {
    &d.glyphs[..n]
}

#[test]
fn company_seal_star_points_lie_on_a_7mm_circle() {
    let d = SealDrawing::for_type(SealType::LegalName, COMPANY, None).unwrap();
    assert_eq!(d.shape, SealShape::Round);
    assert_eq!((d.width_mm, d.height_mm), (40.0, 40.0));
    let star = d.star.expect("a company seal has a star");
    assert_eq!(star.centre, Point::ORIGIN);
    let points = star.points();
    for p in points {
        assert!(close(p.distance(Point::ORIGIN), 7.0, 1e-9), "{p:?}");
    }
    // One point straight up, the others 72° apart.
    assert!(close(points[0].x, 0.0, 1e-9) && points[0].y > 0.0);
    for w in points.windows(2) {
        assert!(close(turn(angle(w[0]), angle(w[1])), 2.0 * PI / 5.0, 1e-9));
    }
    // The filled star figure goes through exactly those points.
    let figure: Vec<Point> = d.figures[1].path.points().collect();
    for (i, p) in points.iter().enumerate() {
        assert!(figure[2 * i].distance(*p) < 1e-9);
    }
}

#[test]
fn name_glyphs_sit_on_the_arc_at_equal_steps_symmetric_and_facing_outward() {
    let d = SealDrawing::round(&RoundSeal::new(COMPANY, 40.0)).unwrap();
    let n = COMPANY.chars().count();
    let g = name_glyphs(&d, n);
    assert_eq!(g.iter().map(|g| g.ch).collect::<String>(), COMPANY);
    let r = g[0].centre.distance(Point::ORIGIN);
    // About 1 mm inside the 1 mm rim: the glyph box's outer edge at 18-18.5 mm.
    let outer_edge = r + g[0].height / 2.0;
    assert!(
        (18.0..=18.5).contains(&outer_edge),
        "outer edge {outer_edge}"
    );
    let angles: Vec<f64> = g.iter().map(|g| angle(g.centre)).collect();
    let step = turn(angles[0], angles[1]);
    assert!(step > 0.0, "read clockwise");
    for (i, gl) in g.iter().enumerate() {
        assert!(close(gl.centre.distance(Point::ORIGIN), r, 1e-9));
        if i > 0 {
            assert!(close(turn(angles[i - 1], angles[i]), step, 1e-9));
        }
        // Mirror image of the glyph at the other end.
        let mirror = g[n - 1 - i].centre;
        assert!(close(gl.centre.x, -mirror.x, 1e-9) && close(gl.centre.y, mirror.y, 1e-9));
        // Upright along the radius: the top points away from the centre.
        assert!(close(turn(gl.up_direction(), angles[i]), 0.0, 1e-9));
    }
    assert!(
        g[0].centre.x < 0.0 && g[n - 1].centre.x > 0.0,
        "left to right"
    );
    let span = step * n as f64 * 180.0 / PI;
    assert!((205.0..=275.0).contains(&span), "span {span}°");
}

#[test]
fn bottom_line_reads_left_to_right_with_tops_toward_the_centre() {
    let d = SealDrawing::for_type(SealType::Contract, COMPANY, Some(USCC)).unwrap();
    let n = COMPANY.chars().count();
    let title = &d.glyphs[n..n + 5];
    assert_eq!(title.iter().map(|g| g.ch).collect::<String>(), "合同专用章");
    assert!(title.iter().all(|g| g.rotation == 0.0 && g.centre.y < -7.0));
    let code = &d.glyphs[n + 5..];
    assert_eq!(code.iter().map(|g| g.ch).collect::<String>(), USCC);
    for w in code.windows(2) {
        assert!(w[0].centre.x < w[1].centre.x);
    }
    for g in code {
        assert!(g.centre.y < -12.0);
        let towards_centre = angle(g.centre) + PI;
        assert!(close(turn(g.up_direction(), towards_centre), 0.0, 1e-9));
    }
    let _ = ArcSide::Lower;
}

/// No glyph box overlaps another, the star, or the rim, whatever the name's length.
fn assert_clear(d: &SealDrawing) {
    // Boxes that merely touch (neighbours on a line) do not count as overlapping.
    let boxes: Vec<_> = d
        .glyphs
        .iter()
        .map(|g| {
            let mut b = g.outline_box();
            b.half_width -= 1e-6;
            b.half_height -= 1e-6;
            b
        })
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(!a.overlaps(b), "glyphs overlap: {a:?} {b:?}");
        }
        if let Some(star) = d.star {
            assert!(
                a.distance_to(star.centre) > star.outer_radius,
                "glyph on the star"
            );
        }
        for c in a.corners() {
            let inside = match d.shape {
                SealShape::Round => c.distance(Point::ORIGIN) < d.width_mm / 2.0 - 1.0,
                SealShape::Oval => {
                    let (rx, ry) = (d.width_mm / 2.0 - 1.0, d.height_mm / 2.0 - 1.0);
                    (c.x / rx).powi(2) + (c.y / ry).powi(2) < 1.0
                }
                SealShape::Square => c.x.abs().max(c.y.abs()) < d.width_mm / 2.0 - 1.0,
            };
            assert!(inside, "glyph corner {c:?} outside the rim");
        }
    }
}

#[test]
fn lettering_never_overlaps_for_any_name_length() {
    let base: Vec<char> = "中华人民共和国北京市海淀区示例科技发展有限责任公司"
        .chars()
        .collect();
    for n in 1..=base.len() {
        let name: String = base[..n].iter().collect();
        for t in SealType::ALL {
            let code = if t == SealType::LegalName {
                None
            } else {
                Some(USCC)
            };
            match SealDrawing::for_type(t, &name, code) {
                Ok(d) => assert_clear(&d),
                Err(PictureError::TextTooLong { .. }) if t == SealType::LegalRepresentative => {}
                Err(e) => panic!("{t} with {n} characters: {e}"),
            }
        }
        // Government seals, Ø42-60 mm.
        for diameter in [42.0, 45.0, 50.0, 58.0, 60.0] {
            let seal = RoundSeal::new(name.clone(), diameter).with_bottom_line("1101000012345");
            assert_clear(&SealDrawing::round(&seal).unwrap());
        }
    }
}

#[test]
fn invoice_seal_is_an_oval_with_the_number_across_the_centre() {
    let d = SealDrawing::for_type(SealType::Invoice, COMPANY, Some(USCC)).unwrap();
    assert_eq!(d.shape, SealShape::Oval);
    assert_eq!((d.width_mm, d.height_mm), (40.0, 30.0));
    assert!(d.star.is_none());
    let n = COMPANY.chars().count();
    let name = &d.glyphs[..n];
    // Centres on one ellipse, symmetric, tops along the outward normal, equal arc steps.
    let (rx, ry) = (name[n / 2].centre.x.abs().max(1e-9), 0.0);
    let _ = (rx, ry);
    let a = d.glyphs[..n]
        .iter()
        .map(|g| g.centre.x.abs())
        .fold(0.0, f64::max);
    assert!(a > 10.0);
    for i in 0..n {
        let (p, q) = (name[i].centre, name[n - 1 - i].centre);
        assert!(close(p.x, -q.x, 1e-6) && close(p.y, q.y, 1e-6));
    }
    let chords: Vec<f64> = name
        .windows(2)
        .map(|w| w[0].centre.distance(w[1].centre))
        .collect();
    let (lo, hi) = chords
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), &c| (l.min(c), h.max(c)));
    assert!(hi - lo < 0.05 * hi, "unequal steps {chords:?}");
    let number: String = d.glyphs[n..n + 18].iter().map(|g| g.ch).collect();
    assert_eq!(number, USCC);
    assert!(d.glyphs[n..n + 18].iter().all(|g| g.centre.y == 0.0));
    let first = d.glyphs[n].centre.x;
    assert!(close(first, -d.glyphs[n + 17].centre.x, 1e-9));
    let title: String = d.glyphs[n + 18..].iter().map(|g| g.ch).collect();
    assert_eq!(title, "发票专用章");
    assert_clear(&d);
}

#[test]
fn name_seal_reads_in_columns_from_the_right() {
    let d = SealDrawing::for_type(SealType::LegalRepresentative, "张三", None).unwrap();
    assert_eq!(d.shape, SealShape::Square);
    assert_eq!((d.width_mm, d.height_mm), (18.0, 18.0));
    let at = |ch: char| d.glyphs.iter().find(|g| g.ch == ch).unwrap().centre;
    let (zhang, san, zhi, yin) = (at('张'), at('三'), at('之'), at('印'));
    assert!(zhang.x > 0.0 && zhang.y > 0.0, "张 top right");
    assert!(san.x > 0.0 && san.y < 0.0, "三 bottom right");
    assert!(zhi.x < 0.0 && zhi.y > 0.0, "之 top left");
    assert!(yin.x < 0.0 && yin.y < 0.0, "印 bottom left");
    assert_eq!(NameSeal::new("张三丰").suffix.as_deref(), Some("印"));
    assert_eq!(NameSeal::new("欧阳小明").suffix, None);
    assert_clear(&d);
}

#[test]
fn odd_text_is_refused_not_panicked_on() {
    let empty = SealDrawing::round(&RoundSeal::new("  ", 40.0));
    assert!(matches!(
        empty,
        Err(PictureError::EmptyText { field: "name" })
    ));
    let long = "很".repeat(400);
    let err = SealDrawing::round(&RoundSeal::new(long.clone(), 40.0)).unwrap_err();
    assert!(
        matches!(
            err,
            PictureError::TextTooLong {
                field: "name",
                chars: 400,
                ..
            }
        ),
        "{err}"
    );
    assert!(SealDrawing::oval(&OvalSeal::invoice(long.clone(), None)).is_err());
    assert!(SealDrawing::square(&NameSeal::new(long.clone())).is_err());
    let line = RoundSeal::new(COMPANY, 40.0).with_centre_line(long.clone());
    assert!(matches!(
        SealDrawing::round(&line),
        Err(PictureError::TextTooLong {
            field: "centre line",
            ..
        })
    ));
    let code = RoundSeal::new(COMPANY, 40.0).with_bottom_line("1".repeat(200));
    assert!(matches!(
        SealDrawing::round(&code),
        Err(PictureError::TextTooLong {
            field: "bottom line",
            ..
        })
    ));
    for bad in [0.0, -40.0, f64::NAN, f64::INFINITY, 1e9] {
        assert!(matches!(
            SealDrawing::round(&RoundSeal::new(COMPANY, bad)),
            Err(PictureError::SizeOutOfRange { .. })
        ));
    }
    // Control characters are dropped; 25 characters still fit a Ø40 seal.
    let d = SealDrawing::round(&RoundSeal::new("公\n司\t", 40.0)).unwrap();
    assert_eq!(d.glyphs.len(), 2);
    assert!(SealDrawing::round(&RoundSeal::new("国".repeat(25), 40.0)).is_ok());
}

#[test]
fn fonts_are_checked_and_missing_glyphs_named() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_font = dir.path().join("notes.ttf");
    std::fs::write(&not_a_font, b"not a font").unwrap();
    assert!(matches!(
        FontSource::from_path(&not_a_font),
        Err(PictureError::NotAFont { .. })
    ));
    assert!(matches!(
        FontSource::from_path(dir.path().join("absent.ttc")),
        Err(PictureError::FontUnreadable { .. })
    ));
    let Some(font) = font() else { return };
    assert!(font.has_cjk_glyphs());
    let d = SealDrawing::round(&RoundSeal::new("示例\u{10FFFD}公司", 40.0)).unwrap();
    let err = d.to_pdf(&font).unwrap_err();
    assert!(matches!(
        err,
        PictureError::MissingGlyph {
            ch: '\u{10FFFD}',
            ..
        }
    ));
    assert!(err.to_string().contains("U+10FFFD"), "{err}");
    assert!(matches!(
        d.to_png(&font, 4.0),
        Err(PictureError::MissingGlyph { .. })
    ));
}

fn red(p: tiny_skia::PremultipliedColorU8) -> bool {
    p.alpha() == 255 && p.red() > 180 && p.green() < 60 && p.blue() < 60
}

#[test]
fn png_is_red_on_transparent_at_the_requested_density() {
    let Some(font) = font() else { return };
    let d = SealDrawing::for_type(SealType::Contract, COMPANY, Some(USCC)).unwrap();
    let density = 10.0;
    let png = d.to_png(&font, density).unwrap();
    let img = Pixmap::decode_png(&png).unwrap();
    assert_eq!((img.width(), img.height()), (400, 400));
    for (x, y) in [(0, 0), (399, 0), (0, 399), (399, 399), (30, 30)] {
        assert_eq!(img.pixel(x, y).unwrap().alpha(), 0, "corner ({x},{y})");
    }
    let px = |p: Point| {
        let (x, y) = ((p.x + 20.0) * density, (20.0 - p.y) * density);
        assert!(
            (0.0..400.0).contains(&x) && (0.0..400.0).contains(&y),
            "{p:?}"
        );
        img.pixel(x as u32, y as u32).unwrap()
    };
    for k in 0..72 {
        let a = k as f64 * 5.0 * PI / 180.0;
        assert!(
            red(px(Point::polar(Point::ORIGIN, 19.5, a))),
            "rim at {k}×5°"
        );
        assert!(
            red(px(Point::polar(Point::ORIGIN, 19.15, a))),
            "rim inner part {k}×5°"
        );
        assert!(
            red(px(Point::polar(Point::ORIGIN, 19.85, a))),
            "rim outer part {k}×5°"
        );
        let outside = Point::polar(Point::ORIGIN, 20.3, a);
        if outside.x.abs().max(outside.y.abs()) < 19.9 {
            assert_eq!(px(outside).alpha(), 0, "outside {k}×5°");
        }
    }
    assert!(red(px(Point::ORIGIN)), "star centre");
    assert!(red(px(Point::new(0.0, 6.0))), "upper star point");
    // Between two points of the star, inside its circle: empty.
    assert_eq!(
        px(Point::polar(Point::ORIGIN, 5.0, FRAC_PI_2 + PI / 5.0)).alpha(),
        0
    );
    // Some lettering is inked along the name's arc.
    let inked = (0..360)
        .filter(|k| {
            let a = f64::from(*k) * PI / 180.0;
            px(Point::polar(Point::ORIGIN, 15.1, a)).alpha() > 0
        })
        .count();
    assert!(inked > 40, "only {inked} inked degrees along the name");
    assert!(matches!(
        d.to_png(&font, 0.0),
        Err(PictureError::Density(_))
    ));
    assert!(matches!(
        d.to_png(&font, f64::NAN),
        Err(PictureError::Density(_))
    ));
    assert!(matches!(
        d.to_png(&font, 1e6),
        Err(PictureError::Density(_))
    ));
}

#[test]
fn pdf_content_is_operators_and_numbers_in_seal_red() {
    let Some(font) = font() else { return };
    for t in SealType::ALL {
        let d = SealDrawing::for_type(t, "张三", Some(USCC)).unwrap();
        let pdf = d.to_pdf(&font).unwrap();
        assert!(close(pdf.width_pt, d.width_mm * PT_PER_MM, 1e-9));
        assert!(close(pdf.height_pt, d.height_mm * PT_PER_MM, 1e-9));
        let text = std::str::from_utf8(&pdf.content).unwrap();
        assert!(text.contains("0.86 0.08 0.12 rg") && text.contains("0.86 0.08 0.12 RG"));
        let mut operands = 0;
        for token in text.split_ascii_whitespace() {
            if token.parse::<f64>().is_ok() {
                assert!(!token.contains('e') && !token.contains("inf"), "{token}");
                operands += 1;
                continue;
            }
            let want = match token {
                "q" | "Q" | "h" | "f" | "f*" | "B" | "B*" => 0,
                "w" | "j" => 1,
                "rg" | "RG" => 3,
                "m" | "l" => 2,
                "c" => 6,
                other => panic!("unexpected token {other:?}"),
            };
            assert_eq!(operands, want, "operands of {token}");
            operands = 0;
        }
        // Every coordinate inside the drawing's box (control points of the rim included).
        let numbers: Vec<f64> = text
            .lines()
            .filter(|l| l.ends_with(" m") || l.ends_with(" l") || l.ends_with(" c"))
            .flat_map(|l| l.split(' ').filter_map(|t| t.parse::<f64>().ok()))
            .collect();
        assert!(numbers
            .iter()
            .all(|&v| (-0.01..=pdf.width_pt.max(pdf.height_pt) + 0.01).contains(&v)));
        assert!(
            text.lines().filter(|l| *l == "B").count() >= 4,
            "glyphs filled"
        );
    }
}
