//! Seal pictures: official Chinese seals drawn as vector graphics.
//!
//! Draws the round official seal (red rim, five-pointed star, the organisation's name on the
//! upper arc with upright glyphs facing outward, an optional title line such as 合同专用章 under
//! the star and an optional code along the bottom), the oval invoice seal (name on the elliptical
//! arc, taxpayer number across the centre, 发票专用章 below) and the square personal name seal
//! (张三之印 in two columns inside a border). Lettering is made of glyph outlines taken from a CJK
//! font ([`FontSource`]), so the output needs no font: a PDF content stream ([`PdfDrawing`], for
//! a signature widget's appearance) or a transparent PNG (for the GB/T 38540 seal picture and
//! web pages).
//!
//! Dimensions, from the project's standards digest (`shared/design/standards.md`, "Seal
//! pictures", after the Ministry of Public Security's seal rules and the tax administration's
//! invoice-seal rule): company seal Ø40 mm with a 1 mm rim and a 14 mm star, government seals
//! Ø42-60 mm by level, special-purpose seals Ø38-40 mm, invoice seal oval 40 × 30 mm, name seal
//! square 18 × 18 mm. Drawings are in millimetres with the origin at the seal's centre, y up.

mod error;
mod font;
pub mod geometry;
mod name;
mod oval;
mod pdf;
mod png;
mod round;
mod text;

pub use error::PictureError;
pub use font::{FontSource, FONT_ENV_VAR};
pub use geometry::{Path, Point, Segment, Star};
pub use name::{NameSeal, NAME_SEAL_MAX_CHARS};
pub use oval::{OvalSeal, INVOICE_SEAL_TITLE};
pub use pdf::{PdfDrawing, PT_PER_MM, SEAL_RED};
pub use round::RoundSeal;
pub use text::{is_full_width, Arc, ArcSide, Glyph, GlyphFit};

use crate::ses::SealType;

/// The outline of a seal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealShape {
    Round,
    Oval,
    Square,
}

/// How a figure's inside is decided (the PDF `f` and `f*` operators).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillRule {
    NonZero,
    EvenOdd,
}

/// A filled figure: a rim (two outlines filled even-odd), a border, the star or a glyph.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub path: Path,
    pub rule: FillRule,
    /// Width of a stroke along the outline, drawn with round joins to embolden lettering; 0 for
    /// none.
    pub outline_mm: f64,
}

impl Figure {
    pub fn filled(path: Path, rule: FillRule) -> Figure {
        Figure {
            path,
            rule,
            outline_mm: 0.0,
        }
    }
}

/// A laid-out seal: figures and placed glyphs, in millimetres around the seal's centre. Turned
/// into pictures with [`SealDrawing::to_pdf`] and [`SealDrawing::to_png`] and a font.
#[derive(Clone, Debug, PartialEq)]
pub struct SealDrawing {
    pub shape: SealShape,
    pub width_mm: f64,
    pub height_mm: f64,
    /// Rim or border, and the star.
    pub figures: Vec<Figure>,
    pub star: Option<Star>,
    /// The lettering: the name first, in reading order, then the other lines.
    pub glyphs: Vec<Glyph>,
    /// Stroke drawn around every glyph's outline, so that thin font strokes carry like the
    /// engraved strokes of a seal.
    pub glyph_weight_mm: f64,
}

impl SealDrawing {
    pub fn round(seal: &RoundSeal) -> Result<SealDrawing, PictureError> {
        round::layout(seal)
    }

    pub fn oval(seal: &OvalSeal) -> Result<SealDrawing, PictureError> {
        oval::layout(seal)
    }

    pub fn square(seal: &NameSeal) -> Result<SealDrawing, PictureError> {
        name::layout(seal)
    }

    /// The usual picture of a seal of `seal_type`: 01 法定名称章 Ø40 round with the star;
    /// 02 财务专用章 Ø38 round with 财务专用章 under the star; 03 发票专用章 40 × 30 oval with
    /// `code` as the taxpayer number; 04 合同专用章 Ø40 round with 合同专用章; 05 法定代表人名章
    /// 18 mm square; 99 其他 Ø40 round. Round seals carry `code`, if given, along the bottom;
    /// the name seal does not show it.
    pub fn for_type(
        seal_type: SealType,
        name: &str,
        code: Option<&str>,
    ) -> Result<SealDrawing, PictureError> {
        let round = |diameter: f64, line: Option<&str>| RoundSeal {
            centre_line: line.map(str::to_string),
            bottom_line: code.map(str::to_string),
            ..RoundSeal::new(name, diameter)
        };
        match seal_type {
            SealType::LegalName | SealType::Other => SealDrawing::round(&round(40.0, None)),
            SealType::Finance => SealDrawing::round(&round(38.0, Some(seal_type.name()))),
            SealType::Contract => SealDrawing::round(&round(40.0, Some(seal_type.name()))),
            SealType::Invoice => {
                SealDrawing::oval(&OvalSeal::invoice(name, code.map(str::to_string)))
            }
            SealType::LegalRepresentative => SealDrawing::square(&NameSeal::new(name)),
        }
    }

    /// The seal as a PDF content stream drawing in a `width_pt` × `height_pt` space.
    pub fn to_pdf(&self, font: &FontSource) -> Result<PdfDrawing, PictureError> {
        Ok(pdf::write(self, &self.painted(font)?))
    }

    /// The seal as a PNG with a transparent background, `px_per_mm` pixels per millimetre
    /// (11.81 for 300 dpi).
    pub fn to_png(&self, font: &FontSource, px_per_mm: f64) -> Result<Vec<u8>, PictureError> {
        png::write(self, &self.painted(font)?, px_per_mm)
    }

    /// Every figure to fill: the rim and star, then one per glyph.
    fn painted(&self, font: &FontSource) -> Result<Vec<Figure>, PictureError> {
        let face = font.face()?;
        let mut out = self.figures.clone();
        for glyph in &self.glyphs {
            let path = glyph.outline(&face)?;
            if !path.is_empty() {
                out.push(Figure {
                    path,
                    rule: FillRule::NonZero,
                    outline_mm: self.glyph_weight_mm,
                });
            }
        }
        Ok(out)
    }
}

/// Rejects sizes outside `min..=max` (and NaN).
fn check_size(what: &'static str, value: f64, min: f64, max: f64) -> Result<(), PictureError> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(PictureError::SizeOutOfRange {
            what,
            value,
            min,
            max,
        })
    }
}
