//! Real text in an embedded font subset (ISO 32000-2 §9.7 composite fonts): a Type0 font with
//! `/Identity-H` over a CIDFont whose CIDs are the subset's glyph ids, `/W` widths and a
//! `/ToUnicode` CMap (§9.10.3) so that the text can be searched and extracted.

use std::collections::BTreeMap;
use std::io::Write;

use eseal_signer::picture::FontSource;
use sha2::{Digest, Sha256};
use subsetter::GlyphRemapper;
use ttf_parser::Face;

use super::licence_error;
use crate::object::{Dict, Object, Stream};
use crate::Result;

/// bfchar entries per block (the CMap syntax allows at most 100).
const BFCHAR_BLOCK: usize = 100;

/// A font being used: text is measured and encoded through it, then [`SubsetFont::finish`]
/// builds the font dictionary with the subset of the glyphs used.
pub(crate) struct SubsetFont<'a> {
    face: Face<'a>,
    data: &'a [u8],
    em: f64,
    remapper: GlyphRemapper,
    /// New glyph id (= CID) → (advance in font units, the text it stands for).
    used: BTreeMap<u16, (u16, String)>,
}

impl<'a> SubsetFont<'a> {
    pub fn new(font: &'a FontSource) -> Result<Self> {
        let data = font.data();
        let face = Face::parse(data, 0)
            .map_err(|e| licence_error(format!("font {}: {e}", font.path().display())))?;
        let em = f64::from(face.units_per_em().max(1));
        Ok(SubsetFont {
            face,
            data,
            em,
            remapper: GlyphRemapper::new(),
            used: BTreeMap::new(),
        })
    }

    fn glyph(&self, ch: char) -> Result<(u16, u16)> {
        let id = self.face.glyph_index(ch).ok_or_else(|| {
            licence_error(format!(
                "the font has no glyph for '{ch}' (U+{:04X})",
                ch as u32
            ))
        })?;
        let advance = self.face.glyph_hor_advance(id).unwrap_or(0);
        Ok((id.0, advance))
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f64) -> Result<f64> {
        let mut units = 0.0;
        for ch in text.chars().filter(|c| !c.is_control()) {
            units += f64::from(self.glyph(ch)?.1);
        }
        Ok(units * size / self.em)
    }

    /// The string operand (hexadecimal, two bytes per glyph) that shows `text`.
    pub fn encode(&mut self, text: &str) -> Result<Vec<u8>> {
        let mut out = b"<".to_vec();
        for ch in text.chars().filter(|c| !c.is_control()) {
            let (gid, advance) = self.glyph(ch)?;
            let cid = self.remapper.remap(gid);
            self.used
                .entry(cid)
                .or_insert_with(|| (advance, ch.to_string()));
            out.extend_from_slice(format!("{cid:04X}").as_bytes());
        }
        out.push(b'>');
        Ok(out)
    }

    /// Splits `text` into lines no wider than `max_width` at `size` (breaking anywhere, as CJK
    /// text does; a single glyph wider than the line still gets its own line).
    pub fn wrap(&self, text: &str, size: f64, max_width: f64) -> Result<Vec<String>> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            let mut w = 0.0;
            for ch in para.chars().filter(|c| !c.is_control()) {
                let cw = f64::from(self.glyph(ch)?.1) * size / self.em;
                if !line.is_empty() && w + cw > max_width {
                    lines.push(std::mem::take(&mut line));
                    w = 0.0;
                }
                line.push(ch);
                w += cw;
            }
            lines.push(line);
        }
        Ok(lines)
    }

    /// The Type0 font dictionary, with its descendant font, descriptor, font file and
    /// ToUnicode CMap nested (the writers make them indirect objects).
    pub fn finish(self) -> Result<Dict> {
        let subset = subsetter::subset(self.data, 0, &self.remapper)
            .map_err(|e| licence_error(format!("font subsetting failed: {e}")))?;
        let font_name = format!("{}+{}", self.subset_tag(), postscript_name(&self.face));
        let descriptor = self.descriptor(&font_name, &subset)?;
        let cid_font = self.cid_font(&font_name, descriptor);
        let to_unicode = Object::Stream(Stream::new(
            Dict::new().with("Filter", Object::name("FlateDecode")),
            deflate(&to_unicode_cmap(&self.used))?,
        ));
        Ok(Dict::new()
            .with("Type", Object::name("Font"))
            .with("Subtype", Object::name("Type0"))
            .with("BaseFont", Object::name(&font_name))
            .with("Encoding", Object::name("Identity-H"))
            .with(
                "DescendantFonts",
                Object::Array(vec![Object::Dict(cid_font)]),
            )
            .with("ToUnicode", to_unicode))
    }

    fn is_cff(&self) -> bool {
        self.face.tables().cff.is_some()
    }

    /// Font units to the 1000-unit glyph space of PDF fonts.
    fn scale(&self) -> f64 {
        1000.0 / self.em
    }

    /// A subset tag derived from the glyphs, as §9.6.4 asks (six capital letters).
    fn subset_tag(&self) -> String {
        let mut h = Sha256::new();
        for (cid, (_, s)) in &self.used {
            h.update(cid.to_be_bytes());
            h.update(s.as_bytes());
        }
        h.finalize()[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect()
    }

    /// The font descriptor (§9.8) with the embedded subset as its font file.
    fn descriptor(&self, font_name: &str, subset: &[u8]) -> Result<Dict> {
        let scale = self.scale();
        let cff = self.is_cff();
        let bbox = self.face.global_bounding_box();
        let ascent = f64::from(self.face.ascender()) * scale;
        let descent = f64::from(self.face.descender()) * scale;
        let cap = self
            .face
            .capital_height()
            .map(|c| f64::from(c) * scale)
            .unwrap_or(ascent * 0.8);
        let mut file_dict = Dict::new();
        let compressed = deflate(subset)?;
        if cff {
            file_dict.set("Subtype", Object::name("OpenType"));
        } else {
            file_dict.set("Length1", subset.len() as i64);
        }
        file_dict.set("Filter", Object::name("FlateDecode"));
        let file = Object::Stream(Stream::new(file_dict, compressed));
        Ok(Dict::new()
            .with("Type", Object::name("FontDescriptor"))
            .with("FontName", Object::name(font_name))
            // Symbolic: the glyphs are addressed by CID, not by a standard encoding.
            .with("Flags", 4i64)
            .with(
                "FontBBox",
                Object::Array(
                    [bbox.x_min, bbox.y_min, bbox.x_max, bbox.y_max]
                        .iter()
                        .map(|v| Object::Integer((f64::from(*v) * scale).round() as i64))
                        .collect(),
                ),
            )
            .with("ItalicAngle", 0i64)
            .with("Ascent", ascent.round() as i64)
            .with("Descent", descent.round() as i64)
            .with("CapHeight", cap.round() as i64)
            .with("StemV", 80i64)
            .with(if cff { "FontFile3" } else { "FontFile2" }, file))
    }

    /// The CIDFont (§9.7.4) with the widths of the glyphs used.
    fn cid_font(&self, font_name: &str, descriptor: Dict) -> Dict {
        let scale = self.scale();
        let cff = self.is_cff();
        let widths: Vec<Object> = self
            .used
            .values()
            .map(|(adv, _)| Object::Integer((f64::from(*adv) * scale).round() as i64))
            .collect();
        // CIDs are 1..=n in the order glyphs were first used (0 is .notdef).
        let mut w = Vec::new();
        if !widths.is_empty() {
            w.push(Object::Integer(1));
            w.push(Object::Array(widths));
        }
        let mut cid_font = Dict::new()
            .with("Type", Object::name("Font"))
            .with(
                "Subtype",
                Object::name(if cff { "CIDFontType0" } else { "CIDFontType2" }),
            )
            .with("BaseFont", Object::name(font_name))
            .with(
                "CIDSystemInfo",
                Dict::new()
                    .with("Registry", Object::String(b"Adobe".to_vec()))
                    .with("Ordering", Object::String(b"Identity".to_vec()))
                    .with("Supplement", 0i64),
            )
            .with("FontDescriptor", descriptor)
            .with("DW", 1000i64)
            .with("W", Object::Array(w));
        if !cff {
            cid_font.set("CIDToGIDMap", Object::name("Identity"));
        }
        cid_font
    }
}

fn postscript_name(face: &Face<'_>) -> String {
    let name = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())
        .unwrap_or_default();
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(60)
        .collect();
    if clean.is_empty() {
        "CJKFont".into()
    } else {
        clean
    }
}

fn to_unicode_cmap(used: &BTreeMap<u16, (u16, String)>) -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<_> = used.iter().collect();
    for block in entries.chunks(BFCHAR_BLOCK) {
        s.push_str(&format!("{} beginbfchar\n", block.len()));
        for (cid, (_, text)) in block {
            let utf16: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
            s.push_str(&format!("<{cid:04X}> <{utf16}>\n"));
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

pub(crate) fn deflate(data: &[u8]) -> Result<Vec<u8>> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data)?;
    Ok(z.finish()?)
}
