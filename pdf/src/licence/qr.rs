//! The QR code of a sealed licence: an incremental update that fills the prepared read-only
//! text field [`QR_FIELD`] with the verify URL and gives its widget an appearance that draws the
//! URL's QR code (error correction M, 4-module quiet zone) as filled rectangles. Filling a form
//! field is a change DocMDP P=2 allows, so the issuer's certification stays valid.

use std::io::{BufWriter, Read, Seek, Write};

use qrcode::{Color, EcLevel, QrCode};

use super::{licence_error, QR_FIELD};
use crate::object::{Dict, Object, Stream};
use crate::reader::PdfReader;
use crate::text::encode_text_string;
use crate::writer::serialize::format_real;
use crate::writer::{write_incremental, IncrementalUpdate};
use crate::Result;

/// Modules of white border on each side (ISO/IEC 18004 quiet zone).
const QUIET_ZONE: usize = 4;
/// Longest URL accepted (QR version 40-M holds 2331 bytes; far less scans well on paper).
const MAX_URL: usize = 1024;

/// Copies `input` to `output` (which must be empty) with one appended revision that fills
/// [`QR_FIELD`] with `url` and draws its QR code.
pub fn fill_qr<I, O>(input: &mut I, output: &mut O, url: &str) -> Result<()>
where
    I: Read + Seek,
    O: Write + Seek,
{
    if url.is_empty() || url.len() > MAX_URL || url.chars().any(char::is_control) {
        return Err(licence_error(format!(
            "the verify URL must be 1 to {MAX_URL} bytes without control characters"
        )));
    }
    let existing = output.seek(std::io::SeekFrom::End(0))?;
    if existing != 0 {
        return Err(crate::Error::OutputNotEmpty(existing));
    }
    let mut reader = PdfReader::open(&mut *input)?;
    let field = reader
        .form_fields()?
        .into_iter()
        .find(|f| f.full_name == QR_FIELD)
        .ok_or_else(|| crate::Error::FieldNotFound(QR_FIELD.into()))?;
    if field.field_type.as_deref() != Some("Tx") {
        return Err(licence_error(format!(
            "field '{QR_FIELD}' is not a text field"
        )));
    }
    if field.has_value() {
        return Err(licence_error(format!(
            "field '{QR_FIELD}' is filled already"
        )));
    }
    let widget = field
        .widgets
        .first()
        .ok_or_else(|| licence_error(format!("field '{QR_FIELD}' has no widget")))?
        .clone();
    let rect = widget
        .rect
        .ok_or_else(|| licence_error(format!("field '{QR_FIELD}' has no valid /Rect")))?;
    let (w, h) = (rect[2] - rect[0], rect[3] - rect[1]);

    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| licence_error(format!("QR code: {e}")))?;
    let appearance = Stream::new(
        Dict::new()
            .with("Type", Object::name("XObject"))
            .with("Subtype", Object::name("Form"))
            .with("BBox", super::render::rect_obj([0.0, 0.0, w, h]))
            .with("Resources", Dict::new()),
        qr_content(&code, w, h),
    );

    let mut update = IncrementalUpdate::new(&reader);
    let ap_ref = update.add(Object::Stream(appearance));
    let ap = Dict::new().with("N", ap_ref);
    let mut field_dict = field.dict.clone();
    field_dict.set("V", Object::String(encode_text_string(url)));
    if widget.obj_ref == field.obj_ref {
        field_dict.set("AP", ap);
        update.set(field.obj_ref, field_dict);
    } else {
        update.set(field.obj_ref, field_dict);
        let mut wd = reader.resolve_dict(&Object::Reference(widget.obj_ref), "QR widget")?;
        wd.set("AP", ap);
        update.set(widget.obj_ref, wd);
    }
    let mut w = BufWriter::with_capacity(64 * 1024, output);
    write_incremental(&mut reader, &update, &mut w)?;
    w.flush()?;
    Ok(())
}

/// Black modules as rectangles (horizontal runs merged) on a white square centred in `w` × `h`.
fn qr_content(code: &QrCode, w: f64, h: f64) -> Vec<u8> {
    let n = code.width();
    let total = n + 2 * QUIET_ZONE;
    let side = w.min(h);
    let m = side / total as f64;
    let (ox, oy) = ((w - side) / 2.0, (h - side) / 2.0);
    let mut s = format!(
        "q 1 g {} {} {} {} re f 0 g\n",
        format_real(ox),
        format_real(oy),
        format_real(side),
        format_real(side)
    );
    let colors = code.to_colors();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] != Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && colors[row * n + col] == Color::Dark {
                col += 1;
            }
            // Row 0 is the top of the symbol; PDF y grows upwards.
            let x = ox + (QUIET_ZONE + start) as f64 * m;
            let y = oy + side - (QUIET_ZONE + row + 1) as f64 * m;
            s.push_str(&format!(
                "{} {} {} {} re\n",
                format_real(x),
                format_real(y),
                format_real((col - start) as f64 * m),
                format_real(m)
            ));
        }
    }
    s.push_str("f\nQ\n");
    s.into_bytes()
}
