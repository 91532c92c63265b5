//! What can go wrong when drawing a seal picture.

use std::path::PathBuf;

/// Errors from laying out or rendering a seal picture.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error(
        "no CJK font found (set ESEAL_CJK_FONT or configure a font path; looked in: {})",
        display_paths(.searched)
    )]
    NoCjkFont { searched: Vec<PathBuf> },
    #[error("cannot read font file {path}: {reason}")]
    FontUnreadable { path: PathBuf, reason: String },
    #[error("{path} is not a TrueType/OpenType font: {reason}")]
    NotAFont { path: PathBuf, reason: String },
    #[error("the font {font} has no glyph for '{ch}' (U+{:04X})", *.ch as u32)]
    MissingGlyph { ch: char, font: PathBuf },
    #[error("the {field} of the seal is empty")]
    EmptyText { field: &'static str },
    #[error("the {field} has {chars} characters; at most {max} fit on this seal")]
    TextTooLong {
        field: &'static str,
        chars: usize,
        max: usize,
    },
    #[error("{what} of {value} mm is out of range ({min}-{max} mm)")]
    SizeOutOfRange {
        what: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
    #[error("a density of {0} px/mm gives no usable image (0 < size ≤ 8192 px)")]
    Density(f64),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
