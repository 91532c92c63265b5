//! The change rules: each names one kind of change a later revision may make to a signed
//! document, and the permission it needs (ISO 32000-2 §12.8.2.2 Table 257 DocMDP levels,
//! §12.8.2.4 FieldMDP locks; ETSI EN 319 142-1 §5.4 DSS and document timestamps). The table in
//! `standards.md` maps the attacks to what is *not* here: anything these rules do not explain is
//! a disallowed change.

use crate::sigdict::{DocMdpPermission, FieldLock};

/// A rule that explains one change after signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRule {
    /// A signature into an empty signature field that existed when the document was signed.
    FillPreparedSignatureField,
    /// A new signature field (with its signature) registered in the AcroForm.
    AddSignatureField,
    /// The widget of a new signature field appended to a page's `/Annots`.
    PageAnnotsAppendWidget,
    /// `/AcroForm` created or updated for a signature (`/Fields` appended, `/SigFlags`).
    AcroFormUpdateForSignature,
    /// A Document Security Store (`/DSS`) added or extended: validation data only.
    AddDss,
    /// A document timestamp (`/DocTimeStamp`) added.
    AddDocTimeStamp,
    /// A form field's value (and its appearance) changed on a field no signature locks.
    FormValueOnUnlockedField,
    /// A non-covering annotation added (certification level 3 or no certification).
    AnnotationUnderP3,
    /// The document information dictionary updated (not displayed on pages).
    DocumentInfoUpdate,
    /// The XMP metadata stream updated (not displayed on pages).
    MetadataUpdate,
}

impl ChangeRule {
    pub fn name(self) -> &'static str {
        match self {
            ChangeRule::FillPreparedSignatureField => "FillPreparedSignatureField",
            ChangeRule::AddSignatureField => "AddSignatureField",
            ChangeRule::PageAnnotsAppendWidget => "PageAnnotsAppendWidget",
            ChangeRule::AcroFormUpdateForSignature => "AcroFormUpdateForSignature",
            ChangeRule::AddDss => "AddDss",
            ChangeRule::AddDocTimeStamp => "AddDocTimeStamp",
            ChangeRule::FormValueOnUnlockedField => "FormValueOnUnlockedField",
            ChangeRule::AnnotationUnderP3 => "AnnotationUnderP3",
            ChangeRule::DocumentInfoUpdate => "DocumentInfoUpdate",
            ChangeRule::MetadataUpdate => "MetadataUpdate",
        }
    }
}

/// What a change needs to be allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// Validation data (DSS, document timestamp): allowed unless DocMDP P=1.
    ValidationData,
    /// Signing; with a field name, that field must not be locked.
    Signing(Option<String>),
    /// Form filling; with a field name, that field must not be locked.
    FormFilling(Option<String>),
    /// A new signature field; a visible one only on a document without certification (SSA).
    NewSignatureField { visible: bool },
    /// An annotation: only at DocMDP P=3 or without certification (EAA).
    Annotation,
    /// Metadata not shown on pages.
    Metadata,
}

impl Permission {
    /// Whether the change is allowed at certification level `p` (None: not certified) under
    /// `locks`; `Err` says why not.
    pub fn check(&self, p: Option<DocMdpPermission>, locks: &[FieldLock]) -> Result<(), String> {
        if p == Some(DocMdpPermission::NoChanges) {
            return Err("the document is certified with DocMDP P=1: no change is allowed".into());
        }
        let locked = |f: &Option<String>| -> Result<(), String> {
            match f {
                Some(name) if locks.iter().any(|l| l.locks(name)) => Err(format!(
                    "field '{name}' is locked (FieldMDP) by this or an earlier signature"
                )),
                _ => Ok(()),
            }
        };
        match self {
            Permission::ValidationData | Permission::Metadata => Ok(()),
            Permission::Signing(f) | Permission::FormFilling(f) => locked(f),
            Permission::NewSignatureField { visible: false } => Ok(()),
            Permission::NewSignatureField { visible: true } => match p {
                None => Ok(()),
                Some(_) => Err(
                    "a new visible signature field after certification (only fields prepared \
                     before certifying may be signed visibly)"
                        .into(),
                ),
            },
            Permission::Annotation => match p {
                None | Some(DocMdpPermission::Annotations) => Ok(()),
                Some(level) => Err(format!(
                    "annotations are not allowed at certification level P={level}"
                )),
            },
        }
    }
}

/// Annotation subtypes that cannot hide page content when small: a note icon, a popup, a link.
pub const HARMLESS_ANNOTATIONS: [&[u8]; 3] = [b"Text", b"Popup", b"Link"];
/// Largest side of an allowed note annotation, in points.
pub const MAX_NOTE_SIDE: f64 = 48.0;
