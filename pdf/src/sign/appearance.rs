//! Appearance streams of signature widgets (ISO 32000-2 §12.5.5, §12.7.5.5): a form XObject
//! (§8.10) for `/AP /N` that draws a seal picture or supplied vector content, scaled into the
//! widget rectangle and turned against the page's `/Rotate` so that it reads upright.

use crate::error::Result;
use crate::object::{Dict, ObjRef, Object, Stream};
use crate::sign::image::{image_xobject, SealImage};
use crate::writer::serialize::format_real;
use crate::writer::IncrementalUpdate;

/// What a signature widget shows.
#[derive(Debug, Clone, Default)]
pub enum Appearance {
    /// No visible appearance (the widget rectangle is `[0 0 0 0]` for new fields).
    #[default]
    Invisible,
    /// A seal picture (PNG or JPEG) fitted into the rectangle, keeping its aspect ratio.
    Image(SealImage),
    /// Vector content drawn in its own `width` × `height` space, fitted into the rectangle.
    Content(AppearanceContent),
}

/// Caller-supplied appearance content: a content stream and its resources.
///
/// Streams nested anywhere in `resources` (fonts, images) are written as separate indirect
/// objects automatically.
#[derive(Debug, Clone, Default)]
pub struct AppearanceContent {
    pub content: Vec<u8>,
    pub resources: Dict,
    pub width: f64,
    pub height: f64,
}

impl Appearance {
    pub fn is_visible(&self) -> bool {
        !matches!(self, Appearance::Invisible)
    }
}

/// Adds the appearance form XObject for a widget with rectangle `rect` on a page rotated by
/// `rotate` degrees; returns its reference.
pub(crate) fn add_appearance(
    update: &mut IncrementalUpdate,
    appearance: &Appearance,
    rect: [f64; 4],
    rotate: u16,
) -> Result<ObjRef> {
    let (w, h) = ((rect[2] - rect[0]).abs(), (rect[3] - rect[1]).abs());
    // The box as the reader sees it on the rotated page.
    let (vw, vh) = if rotate % 180 == 90 { (h, w) } else { (w, h) };
    let (content, resources) = match appearance {
        _ if w == 0.0 || h == 0.0 => (Vec::new(), Dict::new()),
        Appearance::Invisible => (Vec::new(), Dict::new()),
        Appearance::Image(img) => {
            let x = image_xobject(img)?;
            let mut image = x.image;
            if let Some(mask) = x.soft_mask {
                let mask_ref = update.add(Object::Stream(mask));
                image.dict.set("SMask", mask_ref);
            }
            let image_ref = update.add(Object::Stream(image));
            let content = fitted(
                vw,
                vh,
                f64::from(x.width),
                f64::from(x.height),
                b"/Seal Do",
                true,
            );
            let resources = Dict::new().with("XObject", Dict::new().with("Seal", image_ref));
            (content, resources)
        }
        Appearance::Content(c) => {
            let content = fitted(vw, vh, c.width, c.height, &c.content, false);
            let mut resources = Object::Dict(c.resources.clone());
            resources.make_nested_indirect(&mut |o| update.add(o));
            let resources = match resources {
                Object::Dict(d) => d,
                _ => Dict::new(),
            };
            (content, resources)
        }
    };
    let mut dict = Dict::new()
        .with("Type", Object::name("XObject"))
        .with("Subtype", Object::name("Form"))
        .with("BBox", nums(&[0.0, 0.0, vw, vh]))
        .with("Resources", resources);
    if let Some(m) = rotation_matrix(rotate, vw, vh) {
        dict.set("Matrix", nums(&m));
    }
    Ok(update.add(Object::Stream(Stream::new(dict, content))))
}

/// `/Matrix` that turns the appearance against the page rotation (the translation keeps the
/// transformed box at the origin).
fn rotation_matrix(rotate: u16, vw: f64, vh: f64) -> Option<[f64; 6]> {
    match rotate {
        90 => Some([0.0, 1.0, -1.0, 0.0, vh, 0.0]),
        180 => Some([-1.0, 0.0, 0.0, -1.0, vw, vh]),
        270 => Some([0.0, -1.0, 1.0, 0.0, 0.0, vw]),
        _ => None,
    }
}

/// Content that draws `inner` (of size `iw` × `ih`) centred into `vw` × `vh`, keeping its aspect
/// ratio. Images are drawn in a unit square, so `unit` scales to the drawn size directly.
fn fitted(vw: f64, vh: f64, iw: f64, ih: f64, inner: &[u8], unit: bool) -> Vec<u8> {
    if iw <= 0.0 || ih <= 0.0 {
        return Vec::new();
    }
    let s = (vw / iw).min(vh / ih);
    let (dw, dh) = (iw * s, ih * s);
    let (x, y) = ((vw - dw) / 2.0, (vh - dh) / 2.0);
    let (a, d) = if unit { (dw, dh) } else { (s, s) };
    let mut out = format!(
        "q {} 0 0 {} {} {} cm\n",
        format_real(a),
        format_real(d),
        format_real(x),
        format_real(y)
    )
    .into_bytes();
    out.extend_from_slice(inner);
    out.extend_from_slice(b"\nQ\n");
    out
}

fn nums(v: &[f64]) -> Object {
    Object::Array(
        v.iter()
            .map(|x| {
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    Object::Integer(*x as i64)
                } else {
                    Object::Real(*x)
                }
            })
            .collect(),
    )
}
