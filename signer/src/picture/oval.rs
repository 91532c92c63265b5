//! The oval invoice seal (发票专用章): 40 × 30 mm, a red elliptical rim, the taxpayer's name on
//! the upper elliptical arc, the taxpayer identification number (the USCC) across the centre and
//! the title 发票专用章 below it.

use std::f64::consts::{FRAC_PI_2, PI};

use super::error::PictureError;
use super::geometry::{ellipse, OrientedBox, Point};
use super::text::{characters, horizontal_line, Arc, ArcSide, Glyph, MIN_SQUEEZE};
use super::{check_size, Figure, FillRule, SealDrawing, SealShape};

/// The title an invoice seal carries.
pub const INVOICE_SEAL_TITLE: &str = "发票专用章";

/// An oval seal to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct OvalSeal {
    /// The taxpayer's name, on the upper arc.
    pub name: String,
    /// The taxpayer identification number across the centre.
    pub taxpayer_number: Option<String>,
    /// The line below the number, 发票专用章 on invoice seals.
    pub title: Option<String>,
    pub width_mm: f64,
    pub height_mm: f64,
    pub rim_mm: f64,
}

impl OvalSeal {
    /// The 40 × 30 mm invoice seal with a 1 mm rim and the title 发票专用章.
    pub fn invoice(name: impl Into<String>, taxpayer_number: Option<String>) -> OvalSeal {
        OvalSeal {
            name: name.into(),
            taxpayer_number,
            title: Some(INVOICE_SEAL_TITLE.to_string()),
            width_mm: 40.0,
            height_mm: 30.0,
            rim_mm: 1.0,
        }
    }
}

const NAME_SPAN_MAX: f64 = 200.0 * PI / 180.0;
const NAME_SPAN_MIN: f64 = 150.0 * PI / 180.0;
const SPAN_STEP: f64 = 5.0 * PI / 180.0;

pub(crate) fn layout(seal: &OvalSeal) -> Result<SealDrawing, PictureError> {
    let (w, h) = (seal.width_mm, seal.height_mm);
    check_size("seal width", w, 20.0, 80.0)?;
    check_size("seal height", h, 15.0, w)?;
    check_size("rim width", seal.rim_mm, 0.3, h / 10.0)?;
    // Proportions of the 40 × 30 mm seal, scaled by the smaller ratio.
    let s = (w / 40.0).min(h / 30.0);
    let (ax, ay) = (w / 2.0 - seal.rim_mm, h / 2.0 - seal.rim_mm);

    let mut glyphs = Vec::new();
    if let Some(number) = &seal.taxpayer_number {
        let text = characters(number, "taxpayer number")?;
        glyphs.extend(horizontal_line(
            &text,
            "taxpayer number",
            Point::ORIGIN,
            3.4 * s,
            3.0 * s,
            0.66 * w,
        )?);
    }
    if let Some(title) = &seal.title {
        let text = characters(title, "title")?;
        let height = 4.0 * s;
        let y = -(1.7 * s + 1.6 * s + height / 2.0);
        glyphs.extend(horizontal_line(
            &text,
            "title",
            Point::new(0.0, y),
            height,
            3.6 * s,
            0.5 * w,
        )?);
    }
    let name = name_arc(&seal.name, ax, ay, s, &glyphs)?;
    glyphs.splice(0..0, name);

    let mut rim = ellipse(Point::ORIGIN, w / 2.0, h / 2.0);
    rim.extend(&ellipse(Point::ORIGIN, ax, ay));
    Ok(SealDrawing {
        shape: SealShape::Oval,
        width_mm: w,
        height_mm: h,
        figures: vec![Figure::filled(rim, FillRule::EvenOdd)],
        star: None,
        glyphs,
        glyph_weight_mm: 0.1 * s,
    })
}

/// The name on the upper elliptical arc, at equal steps of arc length, narrowed until it clears
/// the lines across the centre; long names get smaller glyphs (down to 70 %) before they are
/// refused.
fn name_arc(
    name: &str,
    ax: f64,
    ay: f64,
    s: f64,
    others: &[Glyph],
) -> Result<Vec<Glyph>, PictureError> {
    let text = characters(name, "name")?;
    let obstacles: Vec<OrientedBox> = others.iter().map(|g| clearance(g, 0.8 * s)).collect();
    let clear = |g: &Glyph| obstacles.iter().all(|o| !o.overlaps(&g.outline_box()));
    if text.len() <= 200 {
        for scale in NAME_SCALES {
            let height = 4.6 * s * scale;
            let inset = 0.7 * s + height / 2.0;
            let arc = |span| Arc {
                centre: Point::ORIGIN,
                rx: ax - inset,
                ry: ay - inset,
                middle: FRAC_PI_2,
                span,
                side: ArcSide::Upper,
            };
            if let Some(placed) = fit_on_arc(&text, height, &arc, &clear) {
                return Ok(placed);
            }
        }
    }
    // Roughly the most characters of the smallest size the widest span holds.
    let height = 4.6 * s * NAME_SCALES[NAME_SCALES.len() - 1];
    let inset = 0.7 * s + height / 2.0;
    let length = Arc {
        centre: Point::ORIGIN,
        rx: ax - inset,
        ry: ay - inset,
        middle: FRAC_PI_2,
        span: NAME_SPAN_MAX,
        side: ArcSide::Upper,
    }
    .length();
    let bend = 1.0 - height / 2.0 / ((ay - inset).powi(2) / (ax - inset));
    Err(PictureError::TextTooLong {
        field: "name",
        chars: text.len(),
        max: (length * bend.max(0.1) / (MIN_SQUEEZE * 0.9 * height)) as usize,
    })
}

/// Glyph heights tried for the name, as fractions of the full size.
const NAME_SCALES: [f64; 4] = [1.0, 0.9, 0.8, 0.7];

/// The name at one glyph size: the widest span its length asks for (within the bounds) at which
/// every glyph is `clear`, or `None` when the glyphs get too narrow first.
fn fit_on_arc(
    text: &[char],
    height: f64,
    arc: &dyn Fn(f64) -> Arc,
    clear: &dyn Fn(&Glyph) -> bool,
) -> Option<Vec<Glyph>> {
    let width = 0.9 * height;
    let natural_length = text.len() as f64 * width * 1.12;
    // The span whose arc length the name needs, found by bisection, then bounded.
    let (mut lo, mut hi) = (0.0, NAME_SPAN_MAX);
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        if arc(mid).length() < natural_length {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let min_span = NAME_SPAN_MIN.min(hi * 1.8);
    let mut span = hi.clamp(min_span, NAME_SPAN_MAX);
    while span > 0.0 {
        let placed = arc(span).place(text, height, width);
        if placed.iter().any(|g| g.width < MIN_SQUEEZE * width) {
            return None;
        }
        if placed.iter().all(clear) {
            return Some(placed);
        }
        span -= SPAN_STEP;
    }
    None
}

/// A glyph's box grown by `margin` on every side.
fn clearance(g: &Glyph, margin: f64) -> OrientedBox {
    let mut b = g.outline_box();
    b.half_width += margin;
    b.half_height += margin;
    b
}
