//! The seal as a PDF content stream (ISO 32000-2 §8.5 path construction and painting): filled
//! paths in seal red, no resources needed, for a form XObject such as a signature widget's
//! appearance.

use std::fmt::Write;

use super::geometry::{Point, Segment};
use super::{Figure, FillRule, SealDrawing};

/// Points per millimetre.
pub const PT_PER_MM: f64 = 72.0 / 25.4;

/// The seal red as DeviceRGB components.
pub const SEAL_RED: [f64; 3] = [0.86, 0.08, 0.12];

/// A seal as PDF page content: operators and numbers only (`q`, `rg`, `RG`, `j`, `w`, `m`, `l`,
/// `c`, `h`, `f`, `f*`, `B`, `Q`), drawing in `[0 0 width_pt height_pt]`; its resource
/// dictionary is empty.
#[derive(Clone, Debug, PartialEq)]
pub struct PdfDrawing {
    pub content: Vec<u8>,
    pub width_pt: f64,
    pub height_pt: f64,
}

pub(crate) fn write(drawing: &SealDrawing, figures: &[Figure]) -> PdfDrawing {
    let (w, h) = (drawing.width_mm, drawing.height_mm);
    let map = |p: Point| ((p.x + w / 2.0) * PT_PER_MM, (p.y + h / 2.0) * PT_PER_MM);
    let [r, g, b] = SEAL_RED;
    let mut out = String::new();
    let _ = writeln!(out, "q\n{r} {g} {b} rg\n{r} {g} {b} RG\n1 j");
    let mut line_width = None;
    for figure in figures {
        let stroke = figure.outline_mm > 0.0;
        if stroke && line_width != Some(figure.outline_mm) {
            let _ = writeln!(out, "{} w", num(figure.outline_mm * PT_PER_MM));
            line_width = Some(figure.outline_mm);
        }
        for segment in &figure.path.segments {
            match *segment {
                Segment::MoveTo(p) => {
                    let (x, y) = map(p);
                    let _ = writeln!(out, "{} {} m", num(x), num(y));
                }
                Segment::LineTo(p) => {
                    let (x, y) = map(p);
                    let _ = writeln!(out, "{} {} l", num(x), num(y));
                }
                Segment::CubicTo(a, b, p) => {
                    let ((ax, ay), (bx, by), (x, y)) = (map(a), map(b), map(p));
                    let _ = writeln!(
                        out,
                        "{} {} {} {} {} {} c",
                        num(ax),
                        num(ay),
                        num(bx),
                        num(by),
                        num(x),
                        num(y)
                    );
                }
                Segment::Close => out.push_str("h\n"),
            }
        }
        out.push_str(match (figure.rule, stroke) {
            (FillRule::NonZero, false) => "f\n",
            (FillRule::EvenOdd, false) => "f*\n",
            (FillRule::NonZero, true) => "B\n",
            (FillRule::EvenOdd, true) => "B*\n",
        });
    }
    out.push_str("Q\n");
    PdfDrawing {
        content: out.into_bytes(),
        width_pt: w * PT_PER_MM,
        height_pt: h * PT_PER_MM,
    }
}

/// A PDF real with at most three decimals, no exponent, no `-0`.
fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "-0" | "" => "0".to_string(),
        s => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_are_plain_reals() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(12.34567), "12.346");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(0.5), "0.5");
    }
}
