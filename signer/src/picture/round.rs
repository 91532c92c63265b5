//! The round official seal (公章 and the special-purpose seals): a red rim, a five-pointed star
//! in the centre, the organisation's name on the upper arc, optionally a title line under the
//! star (合同专用章) and a code along the bottom.
//!
//! Proportions are those of a Ø40 mm company seal (rim 1 mm, star 14 mm, name about 1 mm inside
//! the rim, spanning 210-270°), scaled with the diameter for the Ø42-60 mm government seals and
//! the Ø38 mm special-purpose ones.

use std::f64::consts::{FRAC_PI_2, PI};

use super::error::PictureError;
use super::geometry::{circle, OrientedBox, Point, Star};
use super::text::{characters, horizontal_line, Arc, ArcSide, Glyph, MIN_SQUEEZE};
use super::{check_size, Figure, FillRule, SealDrawing, SealShape};

/// A round seal to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundSeal {
    /// The organisation's name, on the upper arc.
    pub name: String,
    /// A horizontal line under the star, such as 合同专用章.
    pub centre_line: Option<String>,
    /// A line along the bottom of the rim, such as the seal's code.
    pub bottom_line: Option<String>,
    pub diameter_mm: f64,
    pub rim_mm: f64,
    /// Diameter of the circle through the star's five points; `None` leaves the centre empty.
    pub star_mm: Option<f64>,
}

impl RoundSeal {
    /// A seal of `diameter_mm` with the company-seal proportions: rim 1/40 and star 14/40 of the
    /// diameter (1 mm and 14 mm at Ø40).
    pub fn new(name: impl Into<String>, diameter_mm: f64) -> RoundSeal {
        RoundSeal {
            name: name.into(),
            centre_line: None,
            bottom_line: None,
            diameter_mm,
            rim_mm: diameter_mm / 40.0,
            star_mm: Some(diameter_mm * 14.0 / 40.0),
        }
    }

    pub fn with_centre_line(mut self, line: impl Into<String>) -> RoundSeal {
        self.centre_line = Some(line.into());
        self
    }

    pub fn with_bottom_line(mut self, line: impl Into<String>) -> RoundSeal {
        self.bottom_line = Some(line.into());
        self
    }
}

/// The widest the name may spread, and the narrowest it is shown (for names of four or more
/// characters).
const NAME_SPAN_MAX: f64 = 270.0 * PI / 180.0;
const NAME_SPAN_MIN: f64 = 210.0 * PI / 180.0;
/// The widest a code on the lower arc may spread.
const BOTTOM_SPAN_MAX: f64 = 110.0 * PI / 180.0;
/// Angle kept free between the ends of the name and of the bottom line.
const ARC_GAP: f64 = 24.0 * PI / 180.0;
const SPAN_STEP: f64 = 5.0 * PI / 180.0;

pub(crate) fn layout(seal: &RoundSeal) -> Result<SealDrawing, PictureError> {
    let d = seal.diameter_mm;
    check_size("seal diameter", d, 20.0, 80.0)?;
    check_size("rim width", seal.rim_mm, 0.3, d / 10.0)?;
    if let Some(star) = seal.star_mm {
        check_size("star size", star, 0.0, d / 2.0)?;
    }
    let s = d / 40.0;
    let outer = d / 2.0;
    let inner = outer - seal.rim_mm;
    let star = seal.star_mm.filter(|&m| m > 0.0).map(|m| Star {
        centre: Point::ORIGIN,
        outer_radius: m / 2.0,
    });
    let star_radius = star.map_or(7.0 * s, |st| st.outer_radius);

    let mut glyphs: Vec<Glyph> = Vec::new();
    if let Some(line) = &seal.centre_line {
        let text = characters(line, "centre line")?;
        let height = 0.11 * d;
        let y = -(star_radius + 0.9 * s + height / 2.0);
        glyphs.extend(horizontal_line(
            &text,
            "centre line",
            Point::new(0.0, y),
            height,
            0.1 * d,
            0.55 * d,
        )?);
    }
    let mut bottom_span = 0.0;
    if let Some(line) = &seal.bottom_line {
        let (placed, span) = bottom_arc(line, inner, s)?;
        bottom_span = span;
        glyphs.extend(placed);
    }
    let name = name_arc(seal, inner, s, star_radius, bottom_span, &glyphs)?;
    glyphs.splice(0..0, name);

    let mut rim = circle(Point::ORIGIN, outer);
    rim.extend(&circle(Point::ORIGIN, inner));
    let mut figures = vec![Figure::filled(rim, FillRule::EvenOdd)];
    if let Some(st) = star {
        figures.push(Figure::filled(st.path(), FillRule::NonZero));
    }
    Ok(SealDrawing {
        shape: SealShape::Round,
        width_mm: d,
        height_mm: d,
        figures,
        star,
        glyphs,
        glyph_weight_mm: 0.12 * s,
    })
}

/// The code on the lower arc, small half-width cells; returns the glyphs and the span.
fn bottom_arc(line: &str, inner: f64, s: f64) -> Result<(Vec<Glyph>, f64), PictureError> {
    let text = characters(line, "bottom line")?;
    let height = 2.4 * s;
    let full = 2.4 * s;
    let radius = inner - 0.6 * s - height / 2.0;
    let natural: f64 = text
        .iter()
        .map(|&c| {
            if super::text::is_full_width(c) {
                full
            } else {
                full / 2.0
            }
        })
        .sum::<f64>()
        * 1.05;
    let span = (natural / radius).min(BOTTOM_SPAN_MAX);
    let pitch = span * radius / text.len() as f64;
    if pitch * 0.9 < MIN_SQUEEZE * full / 2.0 {
        return Err(PictureError::TextTooLong {
            field: "bottom line",
            chars: text.len(),
            max: (BOTTOM_SPAN_MAX * radius / (MIN_SQUEEZE * full / 2.0 / 0.9)) as usize,
        });
    }
    let arc = Arc {
        centre: Point::ORIGIN,
        rx: radius,
        ry: radius,
        middle: 3.0 * FRAC_PI_2,
        span,
        side: ArcSide::Lower,
    };
    Ok((arc.place(&text, height, full), span))
}

/// The name on the upper arc: as wide a span as its length asks for within 210-270°, narrowed
/// until it clears the star, the centre line and the bottom line; long names get smaller glyphs
/// (down to 70 %) before they are refused.
fn name_arc(
    seal: &RoundSeal,
    inner: f64,
    s: f64,
    star_radius: f64,
    bottom_span: f64,
    others: &[Glyph],
) -> Result<Vec<Glyph>, PictureError> {
    let text = characters(&seal.name, "name")?;
    let mut max_span = NAME_SPAN_MAX;
    if bottom_span > 0.0 {
        max_span = max_span.min(2.0 * PI - bottom_span - 2.0 * ARC_GAP);
    }
    let obstacles: Vec<OrientedBox> = others
        .iter()
        .map(|g| {
            let mut b = g.outline_box();
            b.half_width += 0.6 * s;
            b.half_height += 0.6 * s;
            b
        })
        .collect();
    let clear = |g: &Glyph| {
        let b = g.outline_box();
        b.distance_to(Point::ORIGIN) >= star_radius + 0.5 * s
            && obstacles.iter().all(|o| !o.overlaps(&b))
    };
    if text.len() <= 200 {
        for scale in NAME_SCALES {
            let height = 6.2 * s * scale;
            let radius = inner - 0.8 * s - height / 2.0;
            if let Some(placed) = fit_on_arc(&text, height, radius, max_span, &clear) {
                return Ok(placed);
            }
        }
    }
    // The most characters of the smallest size the widest span holds.
    let height = 6.2 * s * NAME_SCALES[NAME_SCALES.len() - 1];
    let radius = inner - 0.8 * s - height / 2.0;
    let pitch = MIN_SQUEEZE * 0.9 * height / (1.0 - height / 2.0 / radius);
    Err(PictureError::TextTooLong {
        field: "name",
        chars: text.len(),
        max: (max_span * radius / pitch) as usize,
    })
}

/// Glyph heights tried for the name, as fractions of the full size.
const NAME_SCALES: [f64; 4] = [1.0, 0.9, 0.8, 0.7];

/// The name at one glyph size on a circle of `radius`: the widest span up to `max_span` at which
/// every glyph is `clear`, or `None` when the glyphs get too narrow first.
fn fit_on_arc(
    text: &[char],
    height: f64,
    radius: f64,
    max_span: f64,
    clear: &dyn Fn(&Glyph) -> bool,
) -> Option<Vec<Glyph>> {
    let width = 0.9 * height;
    let natural = text.len() as f64 * width * 1.12 / radius;
    let min_span = NAME_SPAN_MIN.min(natural * 1.8).min(max_span);
    let mut span = natural.clamp(min_span, max_span);
    while span > 0.0 {
        let arc = Arc {
            centre: Point::ORIGIN,
            rx: radius,
            ry: radius,
            middle: FRAC_PI_2,
            span,
            side: ArcSide::Upper,
        };
        let placed = arc.place(text, height, width);
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
