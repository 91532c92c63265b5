//! Drawn seal pictures for `eseal seal create --draw`: the vector drawings of
//! `signer::picture`, rasterised to PNG at 300 dpi for the seal's picture field.

use eseal_signer::picture::{FontSource, NameSeal, OvalSeal, RoundSeal, SealDrawing};
use eseal_signer::ses::{Picture, SealType};

use super::Failure;

/// 300 dpi.
const PX_PER_MM: f64 = 300.0 / 25.4;

/// Draw `shape` for an owner `name` and `code`; the font is `ESEAL_CJK_FONT` or the first CJK
/// font found in the system folders.
pub fn draw_png(
    shape: &str,
    seal_type: SealType,
    name: &str,
    code: &str,
    width_mm: i64,
    height_mm: i64,
) -> Result<Picture, Failure> {
    let centre_line = match seal_type {
        SealType::Finance | SealType::Contract => Some(seal_type.name().to_string()),
        _ => None,
    };
    let drawing = match shape {
        "oval" => SealDrawing::oval(&OvalSeal {
            width_mm: width_mm as f64,
            height_mm: height_mm as f64,
            ..OvalSeal::invoice(name, Some(code.to_string()))
        }),
        "square" => SealDrawing::square(&NameSeal {
            size_mm: width_mm as f64,
            ..NameSeal::new(name)
        }),
        _ => SealDrawing::round(&RoundSeal {
            centre_line,
            bottom_line: Some(code.to_string()),
            ..RoundSeal::new(name, width_mm as f64)
        }),
    }
    .map_err(Failure::input)?;
    let font = FontSource::system_default().map_err(Failure::input)?;
    let data = drawing.to_png(&font, PX_PER_MM).map_err(Failure::input)?;
    Ok(Picture {
        kind: "PNG".into(),
        data,
        width_mm: drawing.width_mm.round() as i64,
        height_mm: drawing.height_mm.round() as i64,
    })
}
