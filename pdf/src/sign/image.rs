//! Seal pictures as image XObjects (ISO 32000-2 §8.9.5): PNG decoded and re-compressed with
//! `FlateDecode`, its alpha channel as a soft mask (`/SMask`, §11.6.5.3); JPEG embedded as is
//! with `DCTDecode`, its size and components read from the SOF marker.

use std::io::Write;

use crate::error::{Error, Result};
use crate::object::{Dict, Object, Stream};

/// Largest width or height accepted for a seal picture, in pixels.
const MAX_SIDE: u32 = 10_000;
/// Most pixels accepted for a seal picture.
const MAX_PIXELS: u64 = 16 * 1024 * 1024;
/// Most bytes the PNG decoder may allocate.
const MAX_DECODE_BYTES: usize = 256 * 1024 * 1024;

/// A seal picture, PNG or JPEG, recognised by its signature bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct SealImage {
    pub data: Vec<u8>,
}

impl SealImage {
    pub fn new(data: Vec<u8>) -> Self {
        SealImage { data }
    }
}

/// An image ready to embed: the image XObject and, for pictures with alpha, its soft mask
/// (the caller adds the mask as an object and sets `/SMask`).
#[derive(Debug, Clone)]
pub struct ImageXObject {
    pub image: Stream,
    pub soft_mask: Option<Stream>,
    pub width: u32,
    pub height: u32,
}

/// Builds the image XObject for a PNG or JPEG picture.
pub fn image_xobject(img: &SealImage) -> Result<ImageXObject> {
    let d = &img.data;
    if d.starts_with(b"\x89PNG\r\n\x1a\n") {
        png_xobject(d)
    } else if d.starts_with(&[0xFF, 0xD8]) {
        jpeg_xobject(d)
    } else {
        Err(Error::Image("not a PNG or JPEG file".into()))
    }
}

fn image_dict(width: u32, height: u32, color_space: &str, bpc: i64) -> Dict {
    Dict::new()
        .with("Type", Object::name("XObject"))
        .with("Subtype", Object::name("Image"))
        .with("Width", i64::from(width))
        .with("Height", i64::from(height))
        .with("ColorSpace", Object::name(color_space))
        .with("BitsPerComponent", bpc)
}

fn deflate(data: &[u8]) -> Result<Vec<u8>> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data)?;
    Ok(e.finish()?)
}

fn png_xobject(data: &[u8]) -> Result<ImageXObject> {
    let bad = |e: png::DecodingError| Error::Image(format!("PNG: {e}"));
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(data),
        png::Limits {
            bytes: MAX_DECODE_BYTES,
        },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(bad)?;
    let (w, h) = (reader.info().width, reader.info().height);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS
    {
        return Err(Error::Image(format!(
            "PNG of {w}×{h} pixels is out of range"
        )));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| Error::Image("PNG too large".into()))?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    let line = info.line_size;
    let (channels, color_space) = match info.color_type {
        png::ColorType::Grayscale => (1, "DeviceGray"),
        png::ColorType::GrayscaleAlpha => (2, "DeviceGray"),
        png::ColorType::Rgb => (3, "DeviceRGB"),
        png::ColorType::Rgba => (4, "DeviceRGB"),
        png::ColorType::Indexed => return Err(Error::Image("PNG palette was not expanded".into())),
    };
    let has_alpha = channels % 2 == 0;
    let colour_channels = if has_alpha { channels - 1 } else { channels };
    let mut colour = Vec::with_capacity(w as usize * h as usize * colour_channels);
    let mut alpha = Vec::with_capacity(if has_alpha {
        w as usize * h as usize
    } else {
        0
    });
    for row in buf.chunks(line).take(h as usize) {
        for px in row.chunks_exact(channels).take(w as usize) {
            colour.extend_from_slice(&px[..colour_channels]);
            if has_alpha {
                alpha.push(px[colour_channels]);
            }
        }
    }
    let mut dict = image_dict(w, h, color_space, 8);
    dict.set("Filter", Object::name("FlateDecode"));
    let image = Stream::new(dict, deflate(&colour)?);
    let soft_mask = if has_alpha && alpha.iter().any(|a| *a != 255) {
        let mut mdict = image_dict(w, h, "DeviceGray", 8);
        mdict.set("Filter", Object::name("FlateDecode"));
        Some(Stream::new(mdict, deflate(&alpha)?))
    } else {
        None
    };
    Ok(ImageXObject {
        image,
        soft_mask,
        width: w,
        height: h,
    })
}

/// Size, components and Adobe marker of a JPEG, read from its markers.
struct JpegInfo {
    width: u32,
    height: u32,
    components: u8,
    adobe: bool,
}

fn jpeg_info(d: &[u8]) -> Result<JpegInfo> {
    let bad = |what: &str| Error::Image(format!("JPEG: {what}"));
    let mut i = 2usize;
    let mut adobe = false;
    loop {
        // Skip to the next marker (fill bytes 0xFF are allowed).
        while d.get(i) == Some(&0xFF) && d.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if d.get(i) != Some(&0xFF) {
            return Err(bad("no SOF marker before the image data"));
        }
        let marker = *d.get(i + 1).ok_or_else(|| bad("truncated"))?;
        i += 2;
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return Err(bad("no SOF marker before the image data"));
        }
        let len = match (d.get(i), d.get(i + 1)) {
            (Some(a), Some(b)) => usize::from(*a) << 8 | usize::from(*b),
            _ => return Err(bad("truncated")),
        };
        if len < 2 || i + len > d.len() {
            return Err(bad("segment runs past the end"));
        }
        let seg = &d[i + 2..i + len];
        if marker == 0xEE && seg.starts_with(b"Adobe") {
            adobe = true;
        }
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            if seg.len() < 6 {
                return Err(bad("short SOF segment"));
            }
            if seg[0] != 8 {
                return Err(bad("only 8-bit JPEG is supported"));
            }
            return Ok(JpegInfo {
                height: u32::from(seg[1]) << 8 | u32::from(seg[2]),
                width: u32::from(seg[3]) << 8 | u32::from(seg[4]),
                components: seg[5],
                adobe,
            });
        }
        i += len;
    }
}

fn jpeg_xobject(data: &[u8]) -> Result<ImageXObject> {
    let info = jpeg_info(data)?;
    if info.width == 0 || info.height == 0 || info.width > MAX_SIDE || info.height > MAX_SIDE {
        return Err(Error::Image(format!(
            "JPEG of {}×{} pixels is out of range",
            info.width, info.height
        )));
    }
    let color_space = match info.components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        4 => "DeviceCMYK",
        n => return Err(Error::Image(format!("JPEG with {n} components"))),
    };
    let mut dict = image_dict(info.width, info.height, color_space, 8);
    dict.set("Filter", Object::name("DCTDecode"));
    if info.components == 4 && info.adobe {
        // Adobe CMYK JPEGs are stored inverted.
        dict.set(
            "Decode",
            Object::Array(
                [1, 0, 1, 0, 1, 0, 1, 0]
                    .iter()
                    .map(|v| Object::Integer(*v))
                    .collect(),
            ),
        );
    }
    Ok(ImageXObject {
        image: Stream::new(dict, data.to_vec()),
        soft_mask: None,
        width: info.width,
        height: info.height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_size_from_sof() {
        // SOI, APP0 (len 4), SOF0 (len 11: 8 bits, 20 high, 30 wide, 3 components), EOI.
        let mut j = vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 20, 0, 30, 3,
        ];
        j.extend_from_slice(&[1, 0x11, 0, 0xFF, 0xD9]);
        let x = image_xobject(&SealImage::new(j)).unwrap();
        assert_eq!((x.width, x.height), (30, 20));
        assert!(x.image.dict.has_name("ColorSpace", "DeviceRGB"));
        assert!(x.image.dict.has_name("Filter", "DCTDecode"));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(image_xobject(&SealImage::new(b"GIF89a".to_vec())).is_err());
        assert!(image_xobject(&SealImage::new(vec![0xFF, 0xD8, 0xFF])).is_err());
        assert!(image_xobject(&SealImage::new(b"\x89PNG\r\n\x1a\nxx".to_vec())).is_err());
    }
}
