//! Lettering: glyphs placed on arcs (the name along the rim) and on straight lines (the seal's
//! title, a taxpayer number), and their outlines from the font.
//!
//! Layout needs no font: every character gets a box (full-width characters a square-ish cell,
//! digits and Latin letters half of one), and the font's outline is fitted into that box when the
//! seal is rendered.

use std::f64::consts::{FRAC_PI_2, PI};

use super::error::PictureError;
use super::font::FontFace;
use super::geometry::{OrientedBox, Path, Point, Transform};

/// How a glyph's outline is scaled into its box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlyphFit {
    /// The em square spans the box height; the advance is narrowed (never widened) to the box
    /// width. Lettering on arcs and lines.
    EmBox,
    /// The inked part fills the box, as on name seals (stretched at most 1.3 × beyond the em
    /// scale, so that 一 stays a bar).
    Ink,
}

/// One character of a seal's lettering, placed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Glyph {
    pub ch: char,
    /// Centre of the glyph's box, in millimetres from the seal's centre.
    pub centre: Point,
    /// Radians counter-clockwise from upright: the glyph's top points in direction
    /// `rotation + π/2`.
    pub rotation: f64,
    /// Box width (along the reading direction) and height, in millimetres.
    pub width: f64,
    pub height: f64,
    pub fit: GlyphFit,
}

impl Glyph {
    /// Direction (radians, counter-clockwise from +x) in which the glyph's top points.
    pub fn up_direction(&self) -> f64 {
        self.rotation + FRAC_PI_2
    }

    /// The glyph's box as drawn.
    pub fn outline_box(&self) -> OrientedBox {
        OrientedBox {
            centre: self.centre,
            half_width: self.width / 2.0,
            half_height: self.height / 2.0,
            rotation: self.rotation,
        }
    }

    /// The glyph's outline from `face`, in millimetres, placed and turned.
    pub(crate) fn outline(&self, face: &FontFace<'_>) -> Result<Path, PictureError> {
        let g = face.glyph(self.ch)?;
        let Some(ink) = g.ink else {
            return Ok(Path::new());
        };
        let (em_x, em_y) = (self.width / g.advance, self.height / face.em);
        let (anchor, sx, sy) = match self.fit {
            GlyphFit::EmBox => {
                let sx = em_y.min(em_x);
                let anchor = if is_full_width(self.ch) {
                    ink.centre()
                } else {
                    Point::new(g.advance / 2.0, face.cap_height / 2.0)
                };
                (anchor, sx, em_y)
            }
            GlyphFit::Ink => {
                let sx = (self.width * 0.98 / ink.width()).min(em_x * 1.3);
                let sy = (self.height * 0.98 / ink.height()).min(em_y * 1.3);
                (ink.centre(), sx, sy)
            }
        };
        let t = Transform::translate(-anchor.x, -anchor.y)
            .then(&Transform::scale(sx, sy))
            .then(&Transform::rotate(self.rotation))
            .then(&Transform::translate(self.centre.x, self.centre.y));
        Ok(g.path.transformed(&t))
    }
}

/// Whether `ch` takes a full cell (CJK ideographs, kana, Hangul, full-width forms and CJK
/// punctuation) rather than half of one (digits, Latin letters).
pub fn is_full_width(ch: char) -> bool {
    matches!(u32::from(ch),
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// The characters of a text field: trimmed, control characters dropped, not empty.
pub(crate) fn characters(text: &str, field: &'static str) -> Result<Vec<char>, PictureError> {
    let chars: Vec<char> = text.trim().chars().filter(|c| !c.is_control()).collect();
    if chars.is_empty() {
        return Err(PictureError::EmptyText { field });
    }
    Ok(chars)
}

/// Width of a character's cell when a full-width cell is `full` wide.
fn cell_width(ch: char, full: f64) -> f64 {
    if is_full_width(ch) {
        full
    } else {
        full / 2.0
    }
}

/// Which side of the seal an arc of lettering runs along.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArcSide {
    /// The upper arc: read clockwise, tops of the glyphs facing outward (the organisation name).
    Upper,
    /// The lower arc: read counter-clockwise (left to right), tops facing the centre (a code).
    Lower,
}

/// An arc of a circle or an axis-aligned ellipse along which lettering runs; glyph centres lie
/// on it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arc {
    pub centre: Point,
    pub rx: f64,
    pub ry: f64,
    /// Parametric angle of the arc's middle (radians; π/2 is the top, 3π/2 the bottom).
    pub middle: f64,
    /// Parametric angle swept by the lettering, from the outer edge of the first glyph's share
    /// to that of the last (each glyph owns an equal share of the arc length).
    pub span: f64,
    pub side: ArcSide,
}

impl Arc {
    /// The point at parametric angle `t`.
    pub fn point(&self, t: f64) -> Point {
        Point::new(
            self.centre.x + self.rx * t.cos(),
            self.centre.y + self.ry * t.sin(),
        )
    }

    /// Direction of the outward normal at parametric angle `t`.
    pub fn normal_direction(&self, t: f64) -> f64 {
        (self.rx * t.sin()).atan2(self.ry * t.cos())
    }

    /// Radius of curvature at parametric angle `t`.
    pub fn curvature_radius(&self, t: f64) -> f64 {
        let (s, c) = t.sin_cos();
        let (a, b) = (self.rx, self.ry);
        ((a * s).powi(2) + (b * c).powi(2)).powf(1.5) / (a * b)
    }

    /// Parametric angles of `n` glyph centres at equal steps of arc length, in reading order.
    pub fn centres(&self, n: usize) -> Vec<f64> {
        let (start, end) = match self.side {
            ArcSide::Upper => (self.middle + self.span / 2.0, self.middle - self.span / 2.0),
            ArcSide::Lower => (self.middle - self.span / 2.0, self.middle + self.span / 2.0),
        };
        let fraction = |i: usize| (i as f64 + 0.5) / n as f64;
        if (self.rx - self.ry).abs() < 1e-9 {
            return (0..n)
                .map(|i| start + (end - start) * fraction(i))
                .collect();
        }
        // Cumulative arc length on a fine grid, inverted by linear interpolation.
        const STEPS: usize = 2048;
        let ts: Vec<f64> = (0..=STEPS)
            .map(|k| start + (end - start) * k as f64 / STEPS as f64)
            .collect();
        let mut lengths = vec![0.0; STEPS + 1];
        for k in 1..=STEPS {
            lengths[k] = lengths[k - 1] + self.point(ts[k]).distance(self.point(ts[k - 1]));
        }
        let total = lengths[STEPS];
        (0..n)
            .map(|i| {
                let target = total * fraction(i);
                let k = lengths.partition_point(|&l| l < target).clamp(1, STEPS);
                let (l0, l1) = (lengths[k - 1], lengths[k]);
                let f = if l1 > l0 {
                    (target - l0) / (l1 - l0)
                } else {
                    0.0
                };
                ts[k - 1] + (ts[k] - ts[k - 1]) * f
            })
            .collect()
    }

    /// Length of the arc swept by the lettering.
    pub fn length(&self) -> f64 {
        const STEPS: usize = 1024;
        let start = self.middle - self.span / 2.0;
        (1..=STEPS)
            .map(|k| {
                let t0 = start + self.span * (k - 1) as f64 / STEPS as f64;
                let t1 = start + self.span * k as f64 / STEPS as f64;
                self.point(t1).distance(self.point(t0))
            })
            .sum()
    }

    /// Places `text` along the arc: glyphs `height` tall, `full_width` wide for a full-width
    /// character (narrowed to leave a gap of a tenth of the pitch between neighbours).
    pub fn place(&self, text: &[char], height: f64, full_width: f64) -> Vec<Glyph> {
        if text.is_empty() {
            return Vec::new();
        }
        let pitch = self.length() / text.len() as f64;
        self.centres(text.len())
            .into_iter()
            .zip(text)
            .map(|(t, &ch)| {
                let normal = self.normal_direction(t);
                let rotation = match self.side {
                    ArcSide::Upper => normal - FRAC_PI_2,
                    ArcSide::Lower => normal + FRAC_PI_2,
                };
                // Where the arc bends, neighbours' inner corners come closer than the pitch.
                let inner = (1.0 - height / 2.0 / self.curvature_radius(t)).max(0.0);
                Glyph {
                    ch,
                    centre: self.point(t),
                    rotation: normalise_angle(rotation),
                    width: cell_width(ch, full_width)
                        .min(pitch * 0.9)
                        .min(pitch * inner),
                    height,
                    fit: GlyphFit::EmBox,
                }
            })
            .collect()
    }
}

/// The angle in (-π, π].
fn normalise_angle(a: f64) -> f64 {
    let mut a = a % (2.0 * PI);
    if a <= -PI {
        a += 2.0 * PI;
    } else if a > PI {
        a -= 2.0 * PI;
    }
    a
}

/// A horizontal line of lettering centred on `centre`: full-width cells `full_width` wide,
/// squeezed to at most `max_width` overall, but not below 40 % of their width.
pub(crate) fn horizontal_line(
    text: &[char],
    field: &'static str,
    centre: Point,
    height: f64,
    full_width: f64,
    max_width: f64,
) -> Result<Vec<Glyph>, PictureError> {
    let natural: f64 = text.iter().map(|&c| cell_width(c, full_width)).sum();
    let squeeze = (max_width / natural).min(1.0);
    if squeeze < MIN_SQUEEZE {
        let max = (max_width / (full_width / 2.0 * MIN_SQUEEZE)).floor() as usize;
        return Err(PictureError::TextTooLong {
            field,
            chars: text.len(),
            max: max.min(text.len().saturating_sub(1)),
        });
    }
    let mut x = centre.x - natural * squeeze / 2.0;
    Ok(text
        .iter()
        .map(|&ch| {
            let w = cell_width(ch, full_width) * squeeze;
            let g = Glyph {
                ch,
                centre: Point::new(x + w / 2.0, centre.y),
                rotation: 0.0,
                width: w,
                height,
                fit: GlyphFit::EmBox,
            };
            x += w;
            g
        })
        .collect())
}

/// The narrowest a glyph may be squeezed, as a fraction of its natural width.
pub(crate) const MIN_SQUEEZE: f64 = 0.4;
