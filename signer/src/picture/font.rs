//! The CJK font whose glyph outlines become the seal's lettering. Outlines are copied into the
//! drawing as paths (TrueType quadratic curves raised to cubics, CFF cubics as they are), so no
//! font is embedded in the PDF. Collections (`.ttc`) use their first face.

use std::path::{Path as FsPath, PathBuf};

use ttf_parser::{Face, OutlineBuilder};

use super::error::PictureError;
use super::geometry::{Bounds, Path, Point};

/// Environment variable naming the CJK font file; searched before the system folders.
pub const FONT_ENV_VAR: &str = "ESEAL_CJK_FONT";

/// Files tried, in order, after [`FONT_ENV_VAR`].
const SYSTEM_FONT_FILES: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
];

/// Folders whose font files are tried after [`SYSTEM_FONT_FILES`] (home-relative ones start
/// with `~/`).
const SYSTEM_FONT_DIRS: &[&str] = &[
    "/usr/share/fonts/truetype/arphic",
    "/usr/share/fonts/truetype/droid",
    "~/.fonts",
    "~/.local/share/fonts",
];

/// Characters a font must have to count as a CJK font in the system search.
const CJK_PROBE: [char; 3] = ['印', '章', '司'];

/// A font file holding CJK glyph outlines.
#[derive(Clone)]
pub struct FontSource {
    path: PathBuf,
    data: Vec<u8>,
}

impl std::fmt::Debug for FontSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontSource")
            .field("path", &self.path)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl FontSource {
    /// Reads a TrueType/OpenType font or collection (first face) from `path`.
    pub fn from_path(path: impl AsRef<FsPath>) -> Result<FontSource, PictureError> {
        let path = path.as_ref().to_path_buf();
        let data = std::fs::read(&path).map_err(|e| PictureError::FontUnreadable {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if let Err(e) = Face::parse(&data, 0) {
            return Err(PictureError::NotAFont {
                path,
                reason: e.to_string(),
            });
        }
        Ok(FontSource { path, data })
    }

    /// The font named by `ESEAL_CJK_FONT` if set (its errors are reported as they are), else the
    /// first font with CJK glyphs among the usual system locations: WenQuanYi, Noto CJK, AR PL,
    /// Droid Sans Fallback, `~/.fonts`, `~/.local/share/fonts`.
    pub fn system_default() -> Result<FontSource, PictureError> {
        if let Some(path) = std::env::var_os(FONT_ENV_VAR).filter(|p| !p.is_empty()) {
            return FontSource::from_path(path);
        }
        let candidates = system_candidates();
        for path in &candidates {
            if let Ok(font) = FontSource::from_path(path) {
                if font.has_cjk_glyphs() {
                    return Ok(font);
                }
            }
        }
        let mut searched: Vec<PathBuf> = SYSTEM_FONT_FILES.iter().map(PathBuf::from).collect();
        searched.extend(SYSTEM_FONT_DIRS.iter().filter_map(|d| expand_home(d)));
        Err(PictureError::NoCjkFont { searched })
    }

    /// The file the font was read from.
    pub fn path(&self) -> &FsPath {
        &self.path
    }

    /// The font file's bytes (face 0 is the one used), e.g. for embedding a subset in a PDF.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether the font has glyphs for a few common ideographs.
    pub fn has_cjk_glyphs(&self) -> bool {
        Face::parse(&self.data, 0)
            .map(|face| CJK_PROBE.iter().all(|&c| face.glyph_index(c).is_some()))
            .unwrap_or(false)
    }

    pub(crate) fn face(&self) -> Result<FontFace<'_>, PictureError> {
        let face = Face::parse(&self.data, 0).map_err(|e| PictureError::NotAFont {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let em = f64::from(face.units_per_em().max(1));
        let cap_height = face
            .capital_height()
            .filter(|&h| h > 0)
            .map(f64::from)
            .or_else(|| {
                let id = face.glyph_index('0')?;
                face.glyph_bounding_box(id).map(|b| f64::from(b.y_max))
            })
            .unwrap_or(0.7 * em);
        Ok(FontFace {
            face,
            path: &self.path,
            em,
            cap_height,
        })
    }
}

/// A parsed face with the metrics the lettering needs.
pub(crate) struct FontFace<'a> {
    face: Face<'a>,
    path: &'a FsPath,
    /// Units per em.
    pub em: f64,
    /// Height of capitals and digits above the baseline, in font units.
    pub cap_height: f64,
}

/// A glyph's outline in font units (y up, origin on the baseline at the pen position).
pub(crate) struct GlyphOutline {
    pub path: Path,
    pub advance: f64,
    /// The box around the outline, `None` for a blank glyph such as a space.
    pub ink: Option<Bounds>,
}

impl FontFace<'_> {
    pub fn glyph(&self, ch: char) -> Result<GlyphOutline, PictureError> {
        let missing = || PictureError::MissingGlyph {
            ch,
            font: self.path.to_path_buf(),
        };
        let id = self.face.glyph_index(ch).ok_or_else(missing)?;
        let advance = self
            .face
            .glyph_hor_advance(id)
            .map(f64::from)
            .filter(|&a| a > 0.0)
            .unwrap_or(self.em);
        let mut sink = OutlineSink(Path::new());
        let ink = self.face.outline_glyph(id, &mut sink).map(|r| Bounds {
            min: Point::new(f64::from(r.x_min), f64::from(r.y_min)),
            max: Point::new(f64::from(r.x_max), f64::from(r.y_max)),
        });
        if ink.is_none() && !ch.is_whitespace() {
            // A visible character drawn as nothing: the font only maps it to an empty glyph.
            return Err(missing());
        }
        Ok(GlyphOutline {
            path: sink.0,
            advance,
            ink: ink.filter(|b| b.width() > 0.0 && b.height() > 0.0),
        })
    }
}

struct OutlineSink(Path);

impl OutlineBuilder for OutlineSink {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to(pt(x, y));
    }

    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to(pt(x, y));
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.0.quad_to(pt(x1, y1), pt(x, y));
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.0.cubic_to(pt(x1, y1), pt(x2, y2), pt(x, y));
    }

    fn close(&mut self) {
        self.0.close();
    }
}

fn pt(x: f32, y: f32) -> Point {
    Point::new(f64::from(x), f64::from(y))
}

fn expand_home(dir: &str) -> Option<PathBuf> {
    match dir.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(rest)),
        None => Some(PathBuf::from(dir)),
    }
}

/// The system font files to try, in order.
fn system_candidates() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = SYSTEM_FONT_FILES
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect();
    for dir in SYSTEM_FONT_DIRS.iter().filter_map(|d| expand_home(d)) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(
                        e.to_ascii_lowercase().as_str(),
                        "ttf" | "ttc" | "otf" | "otc"
                    )
                })
            })
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}
