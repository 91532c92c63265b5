//! Rendering a licence: one fresh single-revision PDF with the page (optionally drawn over a
//! background page imported as a form XObject), the text in an embedded font subset, the photo,
//! the prepared fields, the document information and the XMP metadata.

use std::collections::HashMap;
use std::io::Cursor;

use eseal_signer::picture::FontSource;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::font::{deflate, SubsetFont};
use super::info::xmp_packet;
use super::{licence_error, LicenceContent, Template, ANNOTATION_FIELD, ISSUER_FIELD, QR_FIELD};
use crate::object::{Dict, ObjRef, Object, Stream};
use crate::reader::PdfReader;
use crate::sign::{image_xobject, Appearance, SealImage, SignOptions, SignatureTarget};
use crate::text::{encode_text_string, format_pdf_date};
use crate::writer::serialize::{format_real, write_object};
use crate::Result;

/// Widget flags: print (bit 3).
const PRINT: i64 = 4;
/// Field flag ReadOnly (bit 1).
const READ_ONLY: i64 = 1;
/// Most objects imported from a background file.
const MAX_IMPORTED: usize = 100_000;
/// Nesting depth followed while importing or hoisting objects.
const MAX_DEPTH: usize = 64;
/// Line height as a multiple of the font size for wrapped text.
const LINE_HEIGHT: f64 = 1.45;

/// Renders the licence page described by `template` with `content`, unsigned and ready for
/// the issuer's certification (see [`issuer_sign_options`]).
pub fn render(template: &Template, content: &LicenceContent, font: &FontSource) -> Result<Vec<u8>> {
    template.check()?;
    check_content(content)?;
    let mut doc = DocBuilder::default();
    let page_ref = doc.reserve();
    let pages_ref = doc.reserve();

    // The background page, imported as a form XObject, decides the page size.
    let mut xobjects = Dict::new();
    let mut ops = Vec::new();
    let (page_w, page_h) = match &template.background {
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| licence_error(format!("background {}: {e}", path.display())))?;
            let (form, w, h) = import_background(&mut doc, &bytes)?;
            xobjects.set("Bg", form);
            ops.extend_from_slice(b"q /Bg Do Q\n");
            (w, h)
        }
        None => (template.page_size[0], template.page_size[1]),
    };

    let mut f = SubsetFont::new(font)?;
    ops.extend_from_slice(b"0 g\n");
    if !template.title.is_empty() {
        let w = f.width(&template.title, template.title_size)?;
        let x = (page_w - w) / 2.0;
        show(
            &mut ops,
            &mut f,
            &template.title,
            template.title_size,
            x,
            template.title_y,
        )?;
    }
    for slot in &template.texts {
        let value = content.value(&slot.key).unwrap_or_default();
        let mut x = slot.x;
        if let Some(label) = &slot.label {
            let label = format!("{label}：");
            show(&mut ops, &mut f, &label, slot.size, x, slot.y)?;
            x += f.width(&label, slot.size)?;
        }
        let lines = match slot.max_width {
            Some(max) => f.wrap(&value, slot.size, (max - (x - slot.x)).max(slot.size))?,
            None => vec![value],
        };
        for (i, line) in lines.iter().enumerate() {
            let y = slot.y - i as f64 * slot.size * LINE_HEIGHT;
            show(&mut ops, &mut f, line, slot.size, x, y)?;
        }
    }
    if let (Some(slot), Some(data)) = (&template.image, &content.image) {
        let x = image_xobject(&SealImage::new(data.clone()))
            .map_err(|e| licence_error(format!("image for slot '{}': {e}", slot.key)))?;
        let mut image = x.image;
        if let Some(mask) = x.soft_mask {
            image.dict.set("SMask", doc.add(Object::Stream(mask)));
        }
        xobjects.set("Im1", doc.add(Object::Stream(image)));
        let [x0, y0, x1, y1] = slot.rect;
        let (iw, ih) = (f64::from(x.width.max(1)), f64::from(x.height.max(1)));
        let s = ((x1 - x0) / iw).min((y1 - y0) / ih);
        let (dw, dh) = (iw * s, ih * s);
        let (dx, dy) = (x0 + (x1 - x0 - dw) / 2.0, y0 + (y1 - y0 - dh) / 2.0);
        ops.extend_from_slice(
            format!(
                "q {} 0 0 {} {} {} cm /Im1 Do Q\n",
                format_real(dw),
                format_real(dh),
                format_real(dx),
                format_real(dy)
            )
            .as_bytes(),
        );
    }
    let font_dict = f.finish()?;

    // The prepared fields: QR text field, annotation and department signature fields.
    let mut fields = Vec::new();
    let widget = |name: &str, rect: [f64; 4]| {
        Dict::new()
            .with("Type", Object::name("Annot"))
            .with("Subtype", Object::name("Widget"))
            .with("F", PRINT)
            .with("Rect", rect_obj(rect))
            .with("P", page_ref)
            .with("T", Object::String(encode_text_string(name)))
    };
    let qr = widget(QR_FIELD, template.qr_rect)
        .with("FT", Object::name("Tx"))
        .with("Ff", READ_ONLY)
        .with("DA", Object::String(b"/Helv 0 Tf 0 g".to_vec()));
    fields.push(doc.add(qr));
    fields.push(
        doc.add(widget(ANNOTATION_FIELD, template.annotation_rect).with("FT", Object::name("Sig"))),
    );
    for d in &template.department_fields {
        fields.push(doc.add(widget(&d.name, d.rect).with("FT", Object::name("Sig"))));
    }
    let refs = |v: &[ObjRef]| Object::Array(v.iter().map(|r| Object::Reference(*r)).collect());
    let acroform = Dict::new()
        .with("Fields", refs(&fields))
        .with(
            "DR",
            Dict::new().with(
                "Font",
                Dict::new().with(
                    "Helv",
                    Dict::new()
                        .with("Type", Object::name("Font"))
                        .with("Subtype", Object::name("Type1"))
                        .with("BaseFont", Object::name("Helvetica"))
                        .with("Encoding", Object::name("WinAnsiEncoding")),
                ),
            ),
        )
        .with("DA", Object::String(b"/Helv 0 Tf 0 g".to_vec()));

    let contents = doc.add(Object::Stream(Stream::new(
        Dict::new().with("Filter", Object::name("FlateDecode")),
        deflate(&ops)?,
    )));
    let mut resources = Dict::new().with("Font", Dict::new().with("F1", font_dict));
    if !xobjects.is_empty() {
        resources.set("XObject", xobjects);
    }
    let page = Dict::new()
        .with("Type", Object::name("Page"))
        .with("Parent", pages_ref)
        .with("MediaBox", rect_obj([0.0, 0.0, page_w, page_h]))
        .with("Resources", resources)
        .with("Contents", contents)
        .with("Annots", refs(&fields));
    doc.set(page_ref, page);
    doc.set(
        pages_ref,
        Dict::new()
            .with("Type", Object::name("Pages"))
            .with("Kids", Object::Array(vec![Object::Reference(page_ref)]))
            .with("Count", 1i64),
    );

    let now = OffsetDateTime::now_utc();
    let xmp = xmp_packet(content, now);
    let metadata = doc.add(Object::Stream(Stream::new(
        Dict::new()
            .with("Type", Object::name("Metadata"))
            .with("Subtype", Object::name("XML")),
        xmp.into_bytes(),
    )));
    let acroform = doc.add(acroform);
    let catalog = doc.add(
        Dict::new()
            .with("Type", Object::name("Catalog"))
            .with("Pages", pages_ref)
            .with("AcroForm", acroform)
            .with("Metadata", metadata)
            .with("Lang", Object::String(b"zh-CN".to_vec()))
            .with(
                "ViewerPreferences",
                Dict::new().with("DisplayDocTitle", Object::Bool(true)),
            ),
    );
    let text = |s: &str| Object::String(encode_text_string(s));
    let info = doc.add(
        Dict::new()
            .with(
                "Title",
                text(&format!("{} {}", content.type_name, content.holder_name)),
            )
            .with("Subject", text(&content.type_name))
            .with("Author", text(&content.issuer_name))
            .with("Keywords", text(&content.identifier.to_string()))
            .with("Creator", text("eseal licence"))
            .with("Producer", text("eseal"))
            .with(
                "CreationDate",
                Object::String(format_pdf_date(now).into_bytes()),
            ),
    );
    doc.finish(catalog, info)
}

/// The options for the issuer's seal: a certification with DocMDP P=2 (form filling and
/// signing allowed, so the QR code and annotated copies keep it valid), visible at the
/// template's seal rectangle on page 1, in a new field [`ISSUER_FIELD`].
pub fn issuer_sign_options(template: &Template, appearance: Appearance) -> SignOptions {
    SignOptions {
        target: SignatureTarget::NewField {
            name: Some(ISSUER_FIELD.into()),
            page: 0,
            rect: crate::sign::FieldRect::User(template.seal_rect),
        },
        appearance,
        certify: Some(2),
        ..Default::default()
    }
}

fn check_content(c: &LicenceContent) -> Result<()> {
    if c.identifier.type_code() != c.type_code.trim().to_ascii_uppercase() {
        return Err(licence_error(format!(
            "type code {} differs from the one in the identifier ({})",
            c.type_code,
            c.identifier.type_code()
        )));
    }
    if c.identifier.issuer_code() != c.issuer_code.trim().to_ascii_uppercase() {
        return Err(licence_error(format!(
            "issuer code {} differs from the one in the identifier ({})",
            c.issuer_code,
            c.identifier.issuer_code()
        )));
    }
    for (what, v) in [
        ("holder name", &c.holder_name),
        ("holder code", &c.holder_code),
        ("issuer name", &c.issuer_name),
        ("type name", &c.type_name),
    ] {
        if v.trim().is_empty() {
            return Err(licence_error(format!("the {what} is empty")));
        }
    }
    Ok(())
}

fn show(
    ops: &mut Vec<u8>,
    f: &mut SubsetFont<'_>,
    text: &str,
    size: f64,
    x: f64,
    y: f64,
) -> Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let operand = f.encode(text)?;
    ops.extend_from_slice(
        format!(
            "BT /F1 {} Tf {} {} Td ",
            format_real(size),
            format_real(x),
            format_real(y)
        )
        .as_bytes(),
    );
    ops.extend_from_slice(&operand);
    ops.extend_from_slice(b" Tj ET\n");
    Ok(())
}

pub(crate) fn rect_obj(r: [f64; 4]) -> Object {
    Object::Array(r.iter().map(|v| Object::Real(*v)).collect())
}

/// Imports page 1 of `bytes` as a form XObject; returns it with the page's width and height.
fn import_background(doc: &mut DocBuilder, bytes: &[u8]) -> Result<(ObjRef, f64, f64)> {
    let bad = |e: crate::Error| licence_error(format!("background PDF: {e}"));
    let mut reader = PdfReader::open(Cursor::new(bytes)).map_err(bad)?;
    let count = reader.page_count().map_err(bad)?;
    if count != 1 {
        return Err(licence_error(format!(
            "the background PDF must have one page, it has {count}"
        )));
    }
    let page = reader.page(0).map_err(bad)?;
    let [x0, y0, x1, y1] = page.media_box;
    let mut data = Vec::new();
    let contents = match page.dict.get("Contents") {
        Some(c) => reader.resolve(c).map_err(bad)?,
        None => Object::Null,
    };
    let parts = match contents {
        Object::Array(a) => a,
        other => vec![other],
    };
    for part in parts {
        if let Object::Stream(s) = reader.resolve(&part).map_err(bad)? {
            data.extend_from_slice(&reader.stream_decoded(&s).map_err(bad)?);
            data.push(b'\n');
        }
    }
    let mut map = HashMap::new();
    let resources = match &page.resources {
        Some(r) => import(&mut reader, doc, r, &mut map, 0)?,
        None => Object::Dict(Dict::new()),
    };
    let form = Dict::new()
        .with("Type", Object::name("XObject"))
        .with("Subtype", Object::name("Form"))
        .with("BBox", rect_obj([x0, y0, x1, y1]))
        // Moves the background's media box origin to the page origin.
        .with(
            "Matrix",
            Object::Array(
                [1.0, 0.0, 0.0, 1.0, -x0, -y0]
                    .iter()
                    .map(|v| Object::Real(*v))
                    .collect(),
            ),
        )
        .with("Resources", resources)
        .with("Filter", Object::name("FlateDecode"));
    let r = doc.add(Object::Stream(Stream::new(form, deflate(&data)?)));
    Ok((r, x1 - x0, y1 - y0))
}

/// Copies `obj` and everything it refers to from `reader` into `doc`, renumbered.
fn import<R: std::io::Read + std::io::Seek>(
    reader: &mut PdfReader<R>,
    doc: &mut DocBuilder,
    obj: &Object,
    map: &mut HashMap<ObjRef, ObjRef>,
    depth: usize,
) -> Result<Object> {
    if depth > MAX_DEPTH {
        return Err(licence_error("the background PDF nests objects too deeply"));
    }
    Ok(match obj {
        Object::Reference(r) => {
            if let Some(n) = map.get(r) {
                return Ok(Object::Reference(*n));
            }
            if map.len() >= MAX_IMPORTED {
                return Err(licence_error("the background PDF has too many objects"));
            }
            let new = doc.reserve();
            map.insert(*r, new);
            let target = reader.get(*r)?;
            let copied = import(reader, doc, &target, map, depth + 1)?;
            doc.set(new, copied);
            Object::Reference(new)
        }
        Object::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                out.push(import(reader, doc, v, map, depth + 1)?);
            }
            Object::Array(out)
        }
        Object::Dict(d) => Object::Dict(import_dict(reader, doc, d, map, depth)?),
        Object::Stream(s) => {
            let raw = reader.stream_raw(s)?;
            let mut dict = import_dict(reader, doc, &s.dict, map, depth)?;
            dict.remove("Length");
            Object::Stream(Stream::new(dict, raw))
        }
        other => other.clone(),
    })
}

fn import_dict<R: std::io::Read + std::io::Seek>(
    reader: &mut PdfReader<R>,
    doc: &mut DocBuilder,
    d: &Dict,
    map: &mut HashMap<ObjRef, ObjRef>,
    depth: usize,
) -> Result<Dict> {
    let mut out = Dict::new();
    for (k, v) in d.iter() {
        // A page's parent would drag the whole foreign page tree along.
        if k == b"Parent" {
            continue;
        }
        out.set_raw(k.to_vec(), import(reader, doc, v, map, depth + 1)?);
    }
    Ok(out)
}

/// Objects of a new file, written with a classic cross-reference table.
#[derive(Default)]
pub(crate) struct DocBuilder {
    objects: Vec<Object>,
}

impl DocBuilder {
    pub fn reserve(&mut self) -> ObjRef {
        self.objects.push(Object::Null);
        ObjRef::new(self.objects.len() as u32, 0)
    }

    pub fn set(&mut self, r: ObjRef, obj: impl Into<Object>) {
        let mut obj = obj.into();
        obj.make_nested_indirect(&mut |o| {
            self.objects.push(o);
            ObjRef::new(self.objects.len() as u32, 0)
        });
        if let Some(slot) = self.objects.get_mut(r.num as usize - 1) {
            *slot = obj;
        }
    }

    pub fn add(&mut self, obj: impl Into<Object>) -> ObjRef {
        let r = self.reserve();
        self.set(r, obj);
        r
    }

    pub fn finish(self, root: ObjRef, info: ObjRef) -> Result<Vec<u8>> {
        let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::with_capacity(self.objects.len());
        for (i, obj) in self.objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            write_object(&mut out, obj)?;
            out.extend_from_slice(b"\nendobj\n");
        }
        let id = Sha256::digest(&out);
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", self.objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        let id = Object::String(id[..16].to_vec());
        let trailer = Dict::new()
            .with("Size", (self.objects.len() + 1) as i64)
            .with("Root", root)
            .with("Info", info)
            .with("ID", Object::Array(vec![id.clone(), id]));
        out.extend_from_slice(b"trailer\n");
        write_object(&mut out, &Object::Dict(trailer))?;
        out.extend_from_slice(format!("\nstartxref\n{xref}\n%%EOF\n").as_bytes());
        Ok(out)
    }
}
