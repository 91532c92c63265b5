//! The square personal name seal (法定代表人名章): 18 × 18 mm, a red border and the name's
//! characters filling the square in columns read from right to left, top to bottom, completed
//! with 之印 or 印 as such seals are (张三之印, 张三丰印).

use super::error::PictureError;
use super::geometry::{rectangle, Point};
use super::text::{characters, Glyph, GlyphFit};
use super::{check_size, Figure, FillRule, SealDrawing, SealShape};

/// The most characters a name seal holds (a 3 × 3 grid).
pub const NAME_SEAL_MAX_CHARS: usize = 9;

/// A square name seal to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct NameSeal {
    pub name: String,
    /// Characters added after the name (之印, 印), part of the seal's text.
    pub suffix: Option<String>,
    pub size_mm: f64,
    pub border_mm: f64,
}

impl NameSeal {
    /// The 18 mm seal with a 1 mm border, the name completed to four characters: two-character
    /// names take 之印, three-character names 印.
    pub fn new(name: impl Into<String>) -> NameSeal {
        let name = name.into();
        let suffix = match name.trim().chars().count() {
            2 => Some("之印".to_string()),
            3 => Some("印".to_string()),
            _ => None,
        };
        NameSeal {
            name,
            suffix,
            size_mm: 18.0,
            border_mm: 1.0,
        }
    }
}

pub(crate) fn layout(seal: &NameSeal) -> Result<SealDrawing, PictureError> {
    let size = seal.size_mm;
    check_size("seal size", size, 8.0, 60.0)?;
    check_size("border width", seal.border_mm, 0.3, size / 8.0)?;
    let mut text = characters(&seal.name, "name")?;
    if let Some(suffix) = &seal.suffix {
        text.extend(suffix.trim().chars().filter(|c| !c.is_control()));
    }
    let n = text.len();
    if n > NAME_SEAL_MAX_CHARS {
        return Err(PictureError::TextTooLong {
            field: "name",
            chars: n,
            max: NAME_SEAL_MAX_CHARS,
        });
    }
    let s = size / 18.0;
    let half = size / 2.0;
    let inner = half - seal.border_mm;
    let area = inner - 0.7 * s;
    let gap = 0.5 * s;
    let glyphs = grid(&text, area, gap);

    let mut border = rectangle(Point::new(-half, -half), Point::new(half, half));
    border.extend(&rectangle(
        Point::new(-inner, -inner),
        Point::new(inner, inner),
    ));
    Ok(SealDrawing {
        shape: SealShape::Square,
        width_mm: size,
        height_mm: size,
        figures: vec![Figure::filled(border, FillRule::EvenOdd)],
        star: None,
        glyphs,
        glyph_weight_mm: 0.3 * s,
    })
}

/// Columns from right to left, each read top to bottom, within the square `[-area, area]²`. One
/// or two characters stand in a single column; otherwise two rows (three for seven or more), and
/// the first column takes the characters left over, stretched to the column's height.
fn grid(text: &[char], area: f64, gap: f64) -> Vec<Glyph> {
    let n = text.len();
    let rows = match n {
        0..=2 => n.max(1),
        3..=6 => 2,
        _ => 3,
    };
    let cols = n.div_ceil(rows).max(1);
    let first = n - rows * (cols - 1);
    let side = 2.0 * area;
    let col_w = (side - gap * (cols - 1) as f64) / cols as f64;
    let mut glyphs = Vec::with_capacity(n);
    let mut chars = text.iter();
    for col in 0..cols {
        let in_col = if col == 0 { first } else { rows };
        let row_h = (side - gap * (in_col - 1) as f64) / in_col as f64;
        let x = area - col_w / 2.0 - col as f64 * (col_w + gap);
        for row in 0..in_col {
            let Some(&ch) = chars.next() else {
                return glyphs;
            };
            let y = area - row_h / 2.0 - row as f64 * (row_h + gap);
            glyphs.push(Glyph {
                ch,
                centre: Point::new(x, y),
                rotation: 0.0,
                width: col_w,
                height: row_h,
                fit: GlyphFit::Ink,
            });
        }
    }
    glyphs
}
