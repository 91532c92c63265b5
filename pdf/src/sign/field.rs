//! Signature fields (ISO 32000-2 §12.7.5.5) and their widget annotations (§12.5.6.19), merged
//! into one dictionary: registering a field in `/AcroForm /Fields` (§12.7.3) with
//! `/SigFlags 3`, and its widget in the page's `/Annots`. Objects that change (page, annotation
//! array, AcroForm, field array, catalog) are re-emitted in the new revision.

use std::io::{Read, Seek};

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object};
use crate::reader::{Page, PdfReader};
use crate::text::encode_text_string;
use crate::writer::IncrementalUpdate;

use super::placement::FieldRect;

/// Annotation flags Print (4) and Locked (128), §12.5.3.
pub const WIDGET_FLAGS: i64 = 4 | 128;
/// `/SigFlags` SignaturesExist (1) and AppendOnly (2), §12.7.3 Table 225.
pub const SIG_FLAGS: i64 = 3;

/// An empty signature field to create for a later signer.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedField {
    /// Partial (and full) name of the new top-level field.
    pub name: String,
    /// 0-based page index.
    pub page: usize,
    /// Where its widget goes on that page.
    pub rect: FieldRect,
}

/// The current state of object `r`: as changed in `update`, else as in the file.
pub(crate) fn current<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &IncrementalUpdate,
    r: ObjRef,
) -> Result<Object> {
    match update.get(r) {
        Some(o) => Ok(o.clone()),
        None => reader.get(r),
    }
}

/// Object `r` for editing: copied into `update` first if it is not there yet.
pub(crate) fn edit<'u, R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &'u mut IncrementalUpdate,
    r: ObjRef,
) -> Result<&'u mut Object> {
    if update.get(r).is_none() {
        let o = reader.get(r)?;
        update.set(r, o);
    }
    update.get_mut(r).ok_or(Error::MissingObject(r))
}

/// Dictionary object `r` for editing.
pub(crate) fn edit_dict<'u, R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &'u mut IncrementalUpdate,
    r: ObjRef,
    what: &str,
) -> Result<&'u mut Dict> {
    match edit(reader, update, r)? {
        Object::Dict(d) => Ok(d),
        other => Err(Error::wrong_type(
            format!("{what} {r} ({})", other.type_name()),
            "a dictionary",
        )),
    }
}

/// Appends `annot` to the `/Annots` of page `page_ref` (re-emitting the array object when
/// `/Annots` is indirect, else the page).
pub(crate) fn add_to_page_annots<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &mut IncrementalUpdate,
    page_ref: ObjRef,
    annot: ObjRef,
) -> Result<()> {
    let page = match current(reader, update, page_ref)? {
        Object::Dict(d) => d,
        other => {
            return Err(Error::wrong_type(
                format!("page {page_ref} ({})", other.type_name()),
                "a dictionary",
            ))
        }
    };
    if let Some(Object::Reference(ar)) = page.get("Annots") {
        if let Ok(Object::Array(_)) = current(reader, update, *ar) {
            if let Object::Array(a) = edit(reader, update, *ar)? {
                a.push(annot.into());
            }
            return Ok(());
        }
    }
    let page = edit_dict(reader, update, page_ref, "page")?;
    match page.get_mut("Annots") {
        Some(Object::Array(a)) => a.push(annot.into()),
        _ => page.set("Annots", Object::Array(vec![annot.into()])),
    }
    Ok(())
}

/// Where the AcroForm dictionary lives.
enum AcroFormAt {
    Indirect(ObjRef),
    InCatalog(ObjRef),
}

fn acroform_mut<'u, R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &'u mut IncrementalUpdate,
    at: &AcroFormAt,
) -> Result<&'u mut Dict> {
    match at {
        AcroFormAt::Indirect(r) => edit_dict(reader, update, *r, "/AcroForm"),
        AcroFormAt::InCatalog(c) => {
            match edit_dict(reader, update, *c, "catalog")?.get_mut("AcroForm") {
                Some(Object::Dict(d)) => Ok(d),
                _ => Err(Error::wrong_type("/AcroForm", "a dictionary")),
            }
        }
    }
}

fn locate_acroform<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &mut IncrementalUpdate,
) -> Result<AcroFormAt> {
    let catalog_ref = reader.catalog_ref()?;
    let catalog = match current(reader, update, catalog_ref)? {
        Object::Dict(d) => d,
        _ => return Err(Error::wrong_type("the catalog", "a dictionary")),
    };
    match catalog.get("AcroForm") {
        Some(Object::Reference(r))
            if matches!(current(reader, update, *r), Ok(Object::Dict(_))) =>
        {
            Ok(AcroFormAt::Indirect(*r))
        }
        Some(Object::Dict(_)) => Ok(AcroFormAt::InCatalog(catalog_ref)),
        _ => {
            let r = update.add(Dict::new().with("Fields", Object::Array(vec![])));
            edit_dict(reader, update, catalog_ref, "catalog")?.set("AcroForm", r);
            Ok(AcroFormAt::Indirect(r))
        }
    }
}

/// Makes sure `/SigFlags` has bits 1 and 2 set; optionally appends `field` to `/Fields`.
pub(crate) fn register_in_acroform<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &mut IncrementalUpdate,
    field: Option<ObjRef>,
) -> Result<()> {
    let at = locate_acroform(reader, update)?;
    let acro = acroform_mut(reader, update, &at)?;
    let flags = acro.get("SigFlags").and_then(Object::as_i64).unwrap_or(0);
    if flags & SIG_FLAGS != SIG_FLAGS {
        acro.set("SigFlags", flags | SIG_FLAGS);
    }
    let Some(field) = field else {
        return Ok(());
    };
    let fields_entry = acro.get("Fields").cloned();
    if let Some(Object::Reference(fr)) = fields_entry {
        if let Ok(Object::Array(_)) = current(reader, update, fr) {
            if let Object::Array(a) = edit(reader, update, fr)? {
                a.push(field.into());
            }
            return Ok(());
        }
    }
    let acro = acroform_mut(reader, update, &at)?;
    match acro.get_mut("Fields") {
        Some(Object::Array(a)) => a.push(field.into()),
        _ => acro.set("Fields", Object::Array(vec![field.into()])),
    }
    Ok(())
}

/// Whether `/SigFlags` needs updating (used when filling a field, to avoid needless changes).
pub(crate) fn sig_flags_missing<R: Read + Seek>(reader: &mut PdfReader<R>) -> Result<bool> {
    let flags = reader
        .acro_form()?
        .and_then(|a| a.get("SigFlags").and_then(Object::as_i64))
        .unwrap_or(0);
    Ok(flags & SIG_FLAGS != SIG_FLAGS)
}

/// The merged field-and-widget dictionary of a new signature field.
pub(crate) fn new_field_dict(name: &str, page: ObjRef, rect: [f64; 4], appearance: ObjRef) -> Dict {
    Dict::new()
        .with("Type", Object::name("Annot"))
        .with("Subtype", Object::name("Widget"))
        .with("FT", Object::name("Sig"))
        .with("T", Object::String(encode_text_string(name)))
        .with("F", WIDGET_FLAGS)
        .with("P", page)
        .with(
            "Rect",
            Object::Array(rect.iter().map(|v| Object::Real(*v)).collect()),
        )
        .with("AP", Dict::new().with("N", appearance))
}

/// Checks that `rect` overlaps the visible area of `page` (unless it is the empty rectangle).
pub(crate) fn check_rect_on_page(page: &Page, rect: [f64; 4]) -> Result<()> {
    let c = page.crop_box;
    let ok = rect.iter().all(|v| v.is_finite())
        && rect[0] < c[2]
        && rect[2] > c[0]
        && rect[1] < c[3]
        && rect[3] > c[1];
    if ok {
        Ok(())
    } else {
        Err(Error::RectOutsidePage {
            page: page.index,
            rect,
            visible: c,
        })
    }
}
