//! Signing by incremental update (ISO 32000-2 §12.8, ETSI EN 319 142-1 PAdES): one appended
//! revision with the signature dictionary, the signature field and widget, optional
//! certification (DocMDP), field locks (FieldMDP) and prepared empty signature fields; then the
//! real `/ByteRange` is patched in, the signed ranges are streamed through a [`ContentSigner`]
//! and the container is written into `/Contents`.
//!
//! Memory does not grow with the file: the original is copied with a fixed buffer and the hash
//! input is read back from the output.

mod appearance;
mod digest;
mod field;
mod image;
mod placeholder;
mod placement;

use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use time::OffsetDateTime;

pub use appearance::{Appearance, AppearanceContent};
pub(crate) use digest::DigestThenSign;
pub use digest::HashedPrefix;
pub use field::{PreparedField, SIG_FLAGS, WIDGET_FLAGS};
pub use image::{image_xobject, ImageXObject, SealImage};
pub use placeholder::{feed_byte_range, feed_byte_range_after};
pub use placement::FieldRect;

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object};
use crate::reader::{FormField, PdfReader};
use crate::sigdict::{
    docmdp_reference, field_lock_dict, fieldmdp_reference, ByteRange, DocMdpPermission, FieldLock,
    SubFilter,
};
use crate::text::{encode_text_string, format_pdf_date};
use crate::writer::{write_incremental, IncrementalUpdate};
use field::{
    add_to_page_annots, check_rect_on_page, edit_dict, new_field_dict, register_in_acroform,
};

/// Signature dictionary keys that only the signer writes (§12.8.1 Table 255).
const RESERVED_SIG_KEYS: [&str; 12] = [
    "Type",
    "Filter",
    "SubFilter",
    "Contents",
    "ByteRange",
    "Reference",
    "Changes",
    "Cert",
    "M",
    "Prop_Build",
    "Name",
    "Reason",
];

/// Highest object number this writer allocates from (ISO 32000-2 Annex C suggests 8 388 607).
const MAX_OBJECT_NUMBER: u32 = 100_000_000;

/// The crypto side of signing: receives the signed byte ranges and returns the DER signature
/// container (CMS SignedData) for `/Contents`.
pub trait ContentSigner {
    /// Bytes to reserve for the DER signature container in `/Contents`.
    fn reserved_len(&self) -> usize;
    /// Leading bytes of the signed ranges the signer has digested already (the input's bytes,
    /// hashed as they arrived); they are not read or fed again.
    fn digested_prefix(&self) -> u64 {
        0
    }
    /// Each chunk of the signed byte ranges after [`Self::digested_prefix`], in order.
    fn update(&mut self, chunk: &[u8]);
    /// The DER bytes for `/Contents`.
    fn finish(&mut self) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;
}

/// Which signature field receives the signature.
#[derive(Debug, Clone, PartialEq)]
pub enum SignatureTarget {
    /// Create a new field on `page` (0-based) at `rect`, which is resolved against that page
    /// and ignored for invisible signatures. Without a name, `Signature1`, `Signature2`, … is
    /// chosen.
    NewField {
        name: Option<String>,
        page: usize,
        rect: FieldRect,
    },
    /// Fill an existing empty signature field (e.g. one prepared by a certifier) by full name;
    /// its rectangle and page are kept.
    ExistingField(String),
    /// The field `name` if the document has one (filled, its own rectangle kept), else a new
    /// field of that name as [`SignatureTarget::NewField`] would make it.
    NamedField {
        name: String,
        page: usize,
        rect: FieldRect,
    },
}

impl Default for SignatureTarget {
    fn default() -> Self {
        SignatureTarget::NewField {
            name: None,
            page: 0,
            rect: FieldRect::Invisible,
        }
    }
}

/// What to sign and how.
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    pub target: SignatureTarget,
    pub appearance: Appearance,
    pub sub_filter: SubFilter,
    /// `/M`; the current time when `None`.
    pub signing_time: Option<OffsetDateTime>,
    /// `/Name`, `/Reason`, `/Location`, `/ContactInfo` of the signature dictionary.
    pub name: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contact_info: Option<String>,
    /// Certify with DocMDP permission 1, 2 or 3 (must be the document's first signature).
    pub certify: Option<u8>,
    /// Empty signature fields created in the same revision, for later signers.
    pub prepare_fields: Vec<PreparedField>,
    /// FieldMDP lock set by this signature. When filling a prepared field that carries a
    /// `/Lock`, that lock is used if this is `None`.
    pub lock_fields: Option<FieldLock>,
    /// Further entries of the signature dictionary, e.g. a private record such as the
    /// annotated-copy `/ESealAnnotation` (keys this writer sets itself are refused).
    pub extra_entries: Dict,
}

/// Where the appended revision lies in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionOffsets {
    /// First byte of the new revision.
    pub start: u64,
    /// Offset of its cross-reference section (the new `startxref`).
    pub startxref: u64,
    /// End of the file (after `%%EOF\n`).
    pub end: u64,
}

/// A written revision whose `/ByteRange` is final and whose `/Contents` is still zeros: the
/// state between writing and embedding the signature (useful for two-step remote signing).
#[derive(Debug, Clone)]
pub struct PreparedSignature {
    pub byte_range: ByteRange,
    /// Full name of the signature field.
    pub field_name: String,
    /// The signature dictionary's object.
    pub signature_ref: ObjRef,
    /// Offset of the `<` of `/Contents`.
    pub contents_offset: u64,
    /// Bytes reserved for the container.
    pub reserved_len: usize,
    pub revision: RevisionOffsets,
    /// Whether the signature fills a field the document already had.
    pub filled_existing: bool,
}

/// The result of [`sign_incremental`].
#[derive(Debug, Clone)]
pub struct SignOutcome {
    pub byte_range: ByteRange,
    pub field_name: String,
    pub signature_ref: ObjRef,
    pub revision: RevisionOffsets,
    /// Length of the DER container written into `/Contents`.
    pub signature_len: usize,
    /// Whether the signature filled a field the document already had.
    pub filled_existing: bool,
}

/// Signs `input` into `output` (which must be empty) with one incremental update.
pub fn sign_incremental<I, O>(
    input: &mut I,
    output: &mut O,
    opts: &SignOptions,
    signer: &mut dyn ContentSigner,
) -> Result<SignOutcome>
where
    I: Read + Seek,
    O: Read + Write + Seek,
{
    let prepared = prepare_signature(input, output, opts, signer.reserved_len())?;
    let skip = signer.digested_prefix();
    if skip > prepared.byte_range.gap_start {
        return Err(Error::InvalidOption(format!(
            "{skip} bytes already digested, but the first signed range has only {}",
            prepared.byte_range.gap_start
        )));
    }
    feed_byte_range_after(output, &prepared.byte_range, skip, &mut |chunk| {
        signer.update(chunk)
    })?;
    let der = signer.finish().map_err(Error::Signer)?;
    embed_signature(output, &prepared, &der)?;
    Ok(SignOutcome {
        byte_range: prepared.byte_range,
        field_name: prepared.field_name,
        signature_ref: prepared.signature_ref,
        revision: prepared.revision,
        signature_len: der.len(),
        filled_existing: prepared.filled_existing,
    })
}

/// Writes `der` into the `/Contents` placeholder of a prepared signature.
pub fn embed_signature<O: Write + Seek>(
    output: &mut O,
    prepared: &PreparedSignature,
    der: &[u8],
) -> Result<()> {
    placeholder::write_contents(output, prepared.contents_offset, prepared.reserved_len, der)?;
    output.flush()?;
    Ok(())
}

/// Writes `input` plus the signing revision to `output` (which must be empty), with the final
/// `/ByteRange` and `/Contents` reserved for `reserved_len` bytes, all zeros.
pub fn prepare_signature<I, O>(
    input: &mut I,
    output: &mut O,
    opts: &SignOptions,
    reserved_len: usize,
) -> Result<PreparedSignature>
where
    I: Read + Seek,
    O: Write + Seek,
{
    if reserved_len == 0 || reserved_len > 16 * 1024 * 1024 {
        return Err(Error::InvalidOption(format!(
            "reserved signature size {reserved_len} must be between 1 byte and 16 MiB"
        )));
    }
    let existing = output.seek(SeekFrom::End(0))?;
    if existing != 0 {
        return Err(Error::OutputNotEmpty(existing));
    }
    let mut reader = PdfReader::open(&mut *input)?;
    let plan = plan_update(&mut reader, opts, reserved_len)?;

    let written = {
        let mut w = BufWriter::with_capacity(64 * 1024, &mut *output);
        let written = write_incremental(&mut reader, &plan.update, &mut w)?;
        w.flush()?;
        written
    };
    let body = written
        .body_offsets
        .get(&plan.sig_ref)
        .copied()
        .ok_or(Error::MissingObject(plan.sig_ref))?;
    let contents_offset = body + plan.body.contents_at as u64;
    let gap_end = contents_offset + plan.body.contents_len as u64;
    let byte_range = ByteRange::around(contents_offset, gap_end, written.end);
    placeholder::patch_byte_range(output, body + plan.body.byte_range_at as u64, &byte_range)?;
    output.flush()?;
    Ok(PreparedSignature {
        filled_existing: plan.filled_existing,
        byte_range,
        field_name: plan.field_name,
        signature_ref: plan.sig_ref,
        contents_offset,
        reserved_len,
        revision: RevisionOffsets {
            start: written.start,
            startxref: written.startxref,
            end: written.end,
        },
    })
}

struct Plan {
    /// Whether the signature fills a field the document already had.
    filled_existing: bool,
    update: IncrementalUpdate,
    sig_ref: ObjRef,
    body: placeholder::SigDictBody,
    field_name: String,
}

fn plan_update<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    opts: &SignOptions,
    reserved_len: usize,
) -> Result<Plan> {
    let certify = opts.certify.map(DocMdpPermission::try_from).transpose()?;
    let doc_timestamp = opts.sub_filter == SubFilter::Rfc3161;
    let fields = fields_open_to_signing(reader, certify.is_some(), doc_timestamp)?;
    let mut names: Vec<String> = fields.iter().map(|f| f.full_name.clone()).collect();
    let mut update = IncrementalUpdate::new(reader);
    let sig_ref = update.reserve();
    let placed = place_signature(reader, &mut update, opts, &fields, &mut names, sig_ref)?;
    for p in &opts.prepare_fields {
        let name = unique_name(Some(&p.name), &names)?;
        let empty = NewField {
            name: &name,
            page: p.page,
            rect: p.rect,
            appearance: &Appearance::Invisible,
            value: None,
            lock: None,
        };
        add_signature_field(reader, &mut update, empty)?;
        names.push(name);
    }
    let lock = opts.lock_fields.as_ref().or(placed.inherited_lock.as_ref());
    let references = mdp_references(reader, &mut update, certify, lock, sig_ref)?;
    let entries = signature_dict_entries(opts, references)?;
    let body = placeholder::sig_dict_body(&entries, reserved_len)?;
    update.set_raw(sig_ref, body.bytes.clone());
    Ok(Plan {
        filled_existing: placed.filled_existing,
        update,
        sig_ref,
        body,
        field_name: placed.field_name,
    })
}

/// The document's form fields, once it is clear that it may be signed (and certified). A
/// document timestamp is validation data, which a P=1 certification allows (ISO 32000-2
/// §12.8.2.2.1, ETSI EN 319 142-1 §5.4).
fn fields_open_to_signing<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    certify: bool,
    doc_timestamp: bool,
) -> Result<Vec<FormField>> {
    if !doc_timestamp && DocMdpPermission::of_document(reader)? == Some(DocMdpPermission::NoChanges)
    {
        return Err(Error::CertifiedNoChanges);
    }
    let fields = reader.form_fields()?;
    if certify && fields.iter().any(|f| f.is_signature() && f.has_value()) {
        return Err(Error::CertifyAfterSignature);
    }
    if reader.size() > MAX_OBJECT_NUMBER {
        return Err(Error::LimitExceeded {
            what: "trailer /Size",
            limit: u64::from(MAX_OBJECT_NUMBER),
        });
    }
    Ok(fields)
}

/// Which field the signature went into.
struct Placed {
    field_name: String,
    /// The `/Lock` of a prepared field that was filled.
    inherited_lock: Option<FieldLock>,
    filled_existing: bool,
}

/// Adds the field for the signature `sig_ref`, or fills the existing one `opts` names.
fn place_signature<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &mut IncrementalUpdate,
    opts: &SignOptions,
    fields: &[FormField],
    names: &mut Vec<String>,
    sig_ref: ObjRef,
) -> Result<Placed> {
    let existing = |name: &str| fields.iter().find(|f| f.full_name == name);
    let (name, page, rect) = match &opts.target {
        SignatureTarget::NewField { name, page, rect } => (name.as_deref(), *page, *rect),
        SignatureTarget::NamedField { name, page, rect } if existing(name).is_none() => {
            (Some(name.as_str()), *page, *rect)
        }
        SignatureTarget::ExistingField(name) | SignatureTarget::NamedField { name, .. } => {
            let field = existing(name).ok_or_else(|| Error::FieldNotFound(name.clone()))?;
            let lock = fill_signature_field(reader, update, field, &opts.appearance, sig_ref)?;
            return Ok(Placed {
                field_name: name.clone(),
                inherited_lock: lock,
                filled_existing: true,
            });
        }
    };
    let name = unique_name(name, names)?;
    let new = NewField {
        name: &name,
        page,
        rect: if opts.appearance.is_visible() {
            rect
        } else {
            FieldRect::Invisible
        },
        appearance: &opts.appearance,
        value: Some(sig_ref),
        lock: opts.lock_fields.as_ref(),
    };
    add_signature_field(reader, update, new)?;
    names.push(name.clone());
    Ok(Placed {
        field_name: name,
        inherited_lock: None,
        filled_existing: false,
    })
}

/// The signature's `/Reference` entries: DocMDP when it certifies (and the catalog's
/// `/Perms /DocMDP` pointing to it), FieldMDP when it locks fields.
fn mdp_references<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &mut IncrementalUpdate,
    certify: Option<DocMdpPermission>,
    lock: Option<&FieldLock>,
    sig_ref: ObjRef,
) -> Result<Vec<Object>> {
    let catalog_ref = reader.catalog_ref()?;
    let mut references = Vec::new();
    if let Some(p) = certify {
        references.push(Object::Dict(docmdp_reference(p)));
        let catalog = edit_dict(reader, update, catalog_ref, "catalog")?;
        let mut perms = match catalog.get("Perms") {
            Some(Object::Dict(d)) => d.clone(),
            _ => Dict::new(),
        };
        perms.set("DocMDP", sig_ref);
        catalog.set("Perms", perms);
    }
    if let Some(lock) = lock {
        references.push(Object::Dict(fieldmdp_reference(lock, catalog_ref)));
    }
    Ok(references)
}

/// The signature dictionary's entries, with the caller's extra entries (which may not replace
/// any the signer writes).
fn signature_dict_entries(opts: &SignOptions, references: Vec<Object>) -> Result<Dict> {
    let mut entries = signature_entries(opts, references);
    for (key, value) in opts.extra_entries.iter() {
        if RESERVED_SIG_KEYS.iter().any(|k| k.as_bytes() == key)
            || entries.iter().any(|(k, _)| k == key)
        {
            return Err(Error::InvalidOption(format!(
                "extra signature entry /{} would replace one the signer writes",
                String::from_utf8_lossy(key)
            )));
        }
        entries.set_raw(key.to_vec(), value.clone());
    }
    Ok(entries)
}

fn unique_name(requested: Option<&str>, taken: &[String]) -> Result<String> {
    match requested {
        Some(n) if n.is_empty() || n.contains('.') => Err(Error::InvalidOption(format!(
            "field name {n:?} must be non-empty and contain no period"
        ))),
        Some(n) if taken.iter().any(|t| t == n) => Err(Error::FieldExists(n.to_string())),
        Some(n) => Ok(n.to_string()),
        None => Ok((1..)
            .map(|i| format!("Signature{i}"))
            .find(|c| !taken.contains(c))
            .unwrap_or_default()),
    }
}

/// Adds a new signature field (merged with its widget) on page `page_index`; with `value`
/// it is signed by that signature dictionary, else it is an empty (prepared) field.
#[allow(clippy::too_many_arguments)]
/// A signature field to add: its widget on `page` at `rect`, its value (the signature, or
/// none for a prepared field) and the lock it carries.
struct NewField<'a> {
    name: &'a str,
    page: usize,
    rect: FieldRect,
    appearance: &'a Appearance,
    value: Option<ObjRef>,
    lock: Option<&'a FieldLock>,
}

fn add_signature_field<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &mut IncrementalUpdate,
    new: NewField<'_>,
) -> Result<ObjRef> {
    let page = reader.page(new.page)?;
    let rect = new.rect.resolve(&page);
    let visible = rect != [0.0; 4];
    if visible {
        check_rect_on_page(&page, rect)?;
    }
    let ap = appearance::add_appearance(update, new.appearance, rect, page.rotate)?;
    let mut dict = new_field_dict(new.name, page.obj_ref, rect, ap);
    if let Some(v) = new.value {
        dict.set("V", v);
    }
    if let Some(lock) = new.lock {
        dict.set("Lock", field_lock_dict(lock));
    }
    let field_ref = update.add(dict);
    add_to_page_annots(reader, update, page.obj_ref, field_ref)?;
    register_in_acroform(reader, update, Some(field_ref))?;
    Ok(field_ref)
}

/// Fills an existing empty signature field; returns the field's own `/Lock`, if any.
fn fill_signature_field<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &mut IncrementalUpdate,
    field: &FormField,
    appearance: &Appearance,
    sig_ref: ObjRef,
) -> Result<Option<FieldLock>> {
    if !field.is_signature() {
        return Err(Error::NotASignatureField(field.full_name.clone()));
    }
    if field.has_value() {
        return Err(Error::FieldAlreadySigned(field.full_name.clone()));
    }
    let field_lock = field.lock.as_ref().and_then(FieldLock::from_dict);
    // Only /V changes on the field: adding /Lock to a prepared field after certification
    // is a change DocMDP does not allow (pyHanko flags it). The lock this signer sets lives
    // in the FieldMDP /Reference of its signature dictionary.
    edit_dict(reader, update, field.obj_ref, "signature field")?.set("V", sig_ref);
    if let Some(widget) = field.widgets.first() {
        let rect = widget.rect.unwrap_or([0.0; 4]);
        let rotate = match widget.page {
            Some(p) => page_rotation(reader, p)?,
            None => 0,
        };
        let ap = appearance::add_appearance(update, appearance, rect, rotate)?;
        let w = edit_dict(reader, update, widget.obj_ref, "signature widget")?;
        w.set("AP", Dict::new().with("N", ap));
    }
    if field::sig_flags_missing(reader)? {
        register_in_acroform(reader, update, None)?;
    }
    Ok(field_lock)
}

/// `/Rotate` of the page object `page_ref` (looked up through the page list).
fn page_rotation<R: Read + Seek>(reader: &mut PdfReader<R>, page_ref: ObjRef) -> Result<u16> {
    let refs = reader.page_refs()?;
    match refs.iter().position(|r| *r == page_ref) {
        Some(i) => Ok(reader.page(i)?.rotate),
        None => Ok(0),
    }
}

/// The signature dictionary's entries other than `/ByteRange` and `/Contents`.
fn signature_entries(opts: &SignOptions, references: Vec<Object>) -> Dict {
    if opts.sub_filter == SubFilter::Rfc3161 {
        // ETSI EN 319 142-1 §5.4.3: the time is the token's; no /M, no signer details.
        return Dict::new()
            .with("Type", Object::name("DocTimeStamp"))
            .with("Filter", Object::name("Adobe.PPKLite"))
            .with("SubFilter", Object::name(SubFilter::Rfc3161.pdf_name()));
    }
    let time = opts.signing_time.unwrap_or_else(OffsetDateTime::now_utc);
    let mut d = Dict::new()
        .with("Type", Object::name("Sig"))
        .with("Filter", Object::name("Adobe.PPKLite"))
        .with("SubFilter", Object::name(opts.sub_filter.pdf_name()))
        .with("M", Object::String(format_pdf_date(time).into_bytes()));
    let text = |s: &Option<String>| s.as_deref().map(|v| Object::String(encode_text_string(v)));
    for (key, value) in [
        ("Name", text(&opts.name)),
        ("Reason", text(&opts.reason)),
        ("Location", text(&opts.location)),
        ("ContactInfo", text(&opts.contact_info)),
    ] {
        if let Some(v) = value {
            d.set(key, v);
        }
    }
    if !references.is_empty() {
        d.set("Reference", Object::Array(references));
    }
    d
}
