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
    let mut page = PageContent::default();
    let size = page.background(&mut doc, template)?;
    let mut f = SubsetFont::new(font)?;
    page.ops.extend_from_slice(b"0 g\n");
    page.title(&mut f, template, size[0])?;
    page.texts(&mut f, template, content)?;
    page.image(&mut doc, template, content)?;
    let font_dict = f.finish()?;
    let fields = prepared_fields(&mut doc, template, page_ref);
    page.finish(&mut doc, page_ref, pages_ref, size, font_dict, &fields)?;
    let now = OffsetDateTime::now_utc();
    let catalog = catalog(&mut doc, pages_ref, &fields, content, now);
    let info = doc.add(document_info(content, now));
    doc.finish(catalog, info)
}

/// The page being drawn: its content stream operators and the XObjects they paint.
#[derive(Default)]
struct PageContent {
    ops: Vec<u8>,
    xobjects: Dict,
}

impl PageContent {
    /// Paints the template's background page, imported as a form XObject, if there is one;
    /// it decides the page size, which is the template's otherwise.
    fn background(&mut self, doc: &mut DocBuilder, template: &Template) -> Result<[f64; 2]> {
        let Some(path) = &template.background else {
            return Ok(template.page_size);
        };
        let bytes = std::fs::read(path)
            .map_err(|e| licence_error(format!("background {}: {e}", path.display())))?;
        let (form, w, h) = import_background(doc, &bytes)?;
        self.xobjects.set("Bg", form);
        self.ops.extend_from_slice(b"q /Bg Do Q\n");
        Ok([w, h])
    }

    /// The title, centred on the page.
    fn title(&mut self, f: &mut SubsetFont<'_>, template: &Template, page_w: f64) -> Result<()> {
        if template.title.is_empty() {
            return Ok(());
        }
        let w = f.width(&template.title, template.title_size)?;
        let x = (page_w - w) / 2.0;
        show(
            &mut self.ops,
            f,
            &template.title,
            template.title_size,
            x,
            template.title_y,
        )
    }

    /// Each text slot: its label, then its value, wrapped to the slot's width if it has one.
    fn texts(
        &mut self,
        f: &mut SubsetFont<'_>,
        template: &Template,
        content: &LicenceContent,
    ) -> Result<()> {
        for slot in &template.texts {
            let value = content.value(&slot.key).unwrap_or_default();
            let mut x = slot.x;
            if let Some(label) = &slot.label {
                let label = format!("{label}：");
                show(&mut self.ops, f, &label, slot.size, x, slot.y)?;
                x += f.width(&label, slot.size)?;
            }
            let lines = match slot.max_width {
                Some(max) => f.wrap(&value, slot.size, (max - (x - slot.x)).max(slot.size))?,
                None => vec![value],
            };
            for (i, line) in lines.iter().enumerate() {
                let y = slot.y - i as f64 * slot.size * LINE_HEIGHT;
                show(&mut self.ops, f, line, slot.size, x, y)?;
            }
        }
        Ok(())
    }

    /// The photo, scaled to fit its slot and centred in it.
    fn image(
        &mut self,
        doc: &mut DocBuilder,
        template: &Template,
        content: &LicenceContent,
    ) -> Result<()> {
        let (Some(slot), Some(data)) = (&template.image, &content.image) else {
            return Ok(());
        };
        let x = image_xobject(&SealImage::new(data.clone()))
            .map_err(|e| licence_error(format!("image for slot '{}': {e}", slot.key)))?;
        let mut image = x.image;
        if let Some(mask) = x.soft_mask {
            image.dict.set("SMask", doc.add(Object::Stream(mask)));
        }
        self.xobjects.set("Im1", doc.add(Object::Stream(image)));
        let [x0, y0, x1, y1] = slot.rect;
        let (iw, ih) = (f64::from(x.width.max(1)), f64::from(x.height.max(1)));
        let s = ((x1 - x0) / iw).min((y1 - y0) / ih);
        let (dw, dh) = (iw * s, ih * s);
        let (dx, dy) = (x0 + (x1 - x0 - dw) / 2.0, y0 + (y1 - y0 - dh) / 2.0);
        self.ops.extend_from_slice(
            format!(
                "q {} 0 0 {} {} {} cm /Im1 Do Q\n",
                format_real(dw),
                format_real(dh),
                format_real(dx),
                format_real(dy)
            )
            .as_bytes(),
        );
        Ok(())
    }

    /// Writes the page (ISO 32000-2 §7.7.3.3) with its content stream, resources and the
    /// widgets of `fields`, and the page tree holding it.
    fn finish(
        self,
        doc: &mut DocBuilder,
        page_ref: ObjRef,
        pages_ref: ObjRef,
        [page_w, page_h]: [f64; 2],
        font_dict: Dict,
        fields: &[ObjRef],
    ) -> Result<()> {
        let contents = doc.add(Object::Stream(Stream::new(
            Dict::new().with("Filter", Object::name("FlateDecode")),
            deflate(&self.ops)?,
        )));
        let mut resources = Dict::new().with("Font", Dict::new().with("F1", font_dict));
        if !self.xobjects.is_empty() {
            resources.set("XObject", self.xobjects);
        }
        let page = Dict::new()
            .with("Type", Object::name("Page"))
            .with("Parent", pages_ref)
            .with("MediaBox", rect_obj([0.0, 0.0, page_w, page_h]))
            .with("Resources", resources)
            .with("Contents", contents)
            .with("Annots", refs(fields));
        doc.set(page_ref, page);
        doc.set(
            pages_ref,
            Dict::new()
                .with("Type", Object::name("Pages"))
                .with("Kids", Object::Array(vec![Object::Reference(page_ref)]))
                .with("Count", 1i64),
        );
        Ok(())
    }
}

/// An array of references.
fn refs(v: &[ObjRef]) -> Object {
    Object::Array(v.iter().map(|r| Object::Reference(*r)).collect())
}

/// The prepared fields, each merged with its widget on the page: the QR code's read-only text
/// field, the annotation signature field and the departments' signature fields.
fn prepared_fields(doc: &mut DocBuilder, template: &Template, page_ref: ObjRef) -> Vec<ObjRef> {
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
    let mut fields = vec![doc.add(qr)];
    fields.push(
        doc.add(widget(ANNOTATION_FIELD, template.annotation_rect).with("FT", Object::name("Sig"))),
    );
    for d in &template.department_fields {
        fields.push(doc.add(widget(&d.name, d.rect).with("FT", Object::name("Sig"))));
    }
    fields
}

/// The interactive form (ISO 32000-2 §12.7.3) over `fields`, with Helvetica as the default
/// resource for their appearances.
fn acroform(fields: &[ObjRef]) -> Dict {
    Dict::new()
        .with("Fields", refs(fields))
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
        .with("DA", Object::String(b"/Helv 0 Tf 0 g".to_vec()))
}

/// The catalog (ISO 32000-2 §7.7.2) with the form, the XMP metadata (§14.3.2) and the
/// language; adds those objects and returns the catalog's reference.
fn catalog(
    doc: &mut DocBuilder,
    pages_ref: ObjRef,
    fields: &[ObjRef],
    content: &LicenceContent,
    now: OffsetDateTime,
) -> ObjRef {
    let xmp = xmp_packet(content, now);
    let metadata = doc.add(Object::Stream(Stream::new(
        Dict::new()
            .with("Type", Object::name("Metadata"))
            .with("Subtype", Object::name("XML")),
        xmp.into_bytes(),
    )));
    let acroform = doc.add(acroform(fields));
    doc.add(
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
    )
}

/// The document information dictionary (ISO 32000-2 §14.3.3), in step with the XMP packet.
fn document_info(content: &LicenceContent, now: OffsetDateTime) -> Dict {
    let text = |s: &str| Object::String(encode_text_string(s));
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
        )
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
