//! The seal as a PNG: the same filled paths rasterised with anti-aliasing onto a transparent
//! background.

use tiny_skia::{FillRule as SkiaRule, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform};

use super::error::PictureError;
use super::geometry::Segment;
use super::{Figure, FillRule, SealDrawing};

/// The largest image side produced.
const MAX_SIDE_PX: f64 = 8192.0;

/// The seal red in 8-bit sRGB (0.86 0.08 0.12).
const RED: (u8, u8, u8) = (219, 20, 31);

pub(crate) fn write(
    drawing: &SealDrawing,
    figures: &[Figure],
    px_per_mm: f64,
) -> Result<Vec<u8>, PictureError> {
    let (w, h) = (drawing.width_mm, drawing.height_mm);
    let (wp, hp) = ((w * px_per_mm).round(), (h * px_per_mm).round());
    if !(px_per_mm.is_finite() && wp >= 1.0 && hp >= 1.0 && wp <= MAX_SIDE_PX && hp <= MAX_SIDE_PX)
    {
        return Err(PictureError::Density(px_per_mm));
    }
    let mut pixmap = Pixmap::new(wp as u32, hp as u32).ok_or(PictureError::Density(px_per_mm))?;
    // Millimetres around the centre, y up → pixels from the top-left corner, y down.
    let (sx, sy) = (wp / w, hp / h);
    let to_px = |p: super::Point| (((p.x + w / 2.0) * sx) as f32, ((h / 2.0 - p.y) * sy) as f32);
    let mut paint = Paint::default();
    paint.set_color_rgba8(RED.0, RED.1, RED.2, 255);
    paint.anti_alias = true;
    for figure in figures {
        let mut pb = PathBuilder::new();
        for segment in &figure.path.segments {
            match *segment {
                Segment::MoveTo(p) => {
                    let (x, y) = to_px(p);
                    pb.move_to(x, y);
                }
                Segment::LineTo(p) => {
                    let (x, y) = to_px(p);
                    pb.line_to(x, y);
                }
                Segment::CubicTo(a, b, p) => {
                    let ((ax, ay), (bx, by), (x, y)) = (to_px(a), to_px(b), to_px(p));
                    pb.cubic_to(ax, ay, bx, by, x, y);
                }
                Segment::Close => pb.close(),
            }
        }
        let Some(path) = pb.finish() else {
            continue;
        };
        let rule = match figure.rule {
            FillRule::NonZero => SkiaRule::Winding,
            FillRule::EvenOdd => SkiaRule::EvenOdd,
        };
        pixmap.fill_path(&path, &paint, rule, Transform::identity(), None);
        if figure.outline_mm > 0.0 {
            let stroke = Stroke {
                width: (figure.outline_mm * sx) as f32,
                line_join: LineJoin::Round,
                ..Stroke::default()
            };
            pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
        }
    }
    pixmap
        .encode_png()
        .map_err(|e| PictureError::Png(e.to_string()))
}
