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
    /// The catalog's `/Version` raised or `/Extensions` declared (e.g. the ESIC extension level
    /// a signer or an archiver adds with a DSS): tells readers which features the file uses.
    CatalogVersionOrExtensions,
    /// The form's `/DR` (default resources), `/DA` (default appearance), `/Q` or
    /// `/NeedAppearances` changed: what viewers use to draw new field values, not what signed
    /// appearances show (objects `/DR` already referred to may not change).
    AcroFormDefaults,
    /// The logical structure (`/StructTreeRoot`, its `/K`, `/ParentTree`,
    /// `/ParentTreeNextKey`) or a page's `/Tabs` updated to take in an annotation or signature
    /// widget that an allowed change of the same revision adds or removes.
    StructureForAnnotation,
    /// A comment (a small note, a popup, a link without appearance) or an invisible annotation
    /// removed (certification level 3 or no certification): nothing it covered is uncovered.
    AnnotationRemoval,
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
            ChangeRule::CatalogVersionOrExtensions => "CatalogVersionOrExtensions",
            ChangeRule::AcroFormDefaults => "AcroFormDefaults",
            ChangeRule::StructureForAnnotation => "StructureForAnnotation",
            ChangeRule::AnnotationRemoval => "AnnotationRemoval",
        }
    }
}

/// What a change needs to be allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// Validation data (DSS, document timestamp, the extension level they need): allowed at
    /// every level, also P=1 (ISO 32000-2 §12.8.2.2.1 and ETSI EN 319 142-1 §5.4: a DSS and
    /// document timestamps do not break a certification), and after a `/Lock /P 1`.
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
    /// `locks`; `Err` says why not. A `/Lock /P` among `locks` (ISO 32000-2 Table 236) restricts
    /// like a certification level, except that it does not forbid new visible signature fields
    /// (that rule guards a certifier's page, not an approval signature's).
    pub fn check(&self, p: Option<DocMdpPermission>, locks: &[FieldLock]) -> Result<(), String> {
        let lock_p = FieldLock::strictest_permission(locks);
        let level = match (p, lock_p) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if *self == Permission::ValidationData {
            return Ok(());
        }
        if level == Some(DocMdpPermission::NoChanges) {
            return Err(if p == Some(DocMdpPermission::NoChanges) {
                "the document is certified with DocMDP P=1: no change is allowed".into()
            } else {
                "a signed field's /Lock has /P 1: no change is allowed after that signature".into()
            });
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
            Permission::Annotation => match level {
                None | Some(DocMdpPermission::Annotations) => Ok(()),
                Some(l) => Err(format!(
                    "annotations are not allowed at {} P={l}",
                    if p == Some(l) {
                        "certification level"
                    } else {
                        "the /Lock level"
                    }
                )),
            },
        }
    }
}

/// Annotation subtypes that cannot hide page content when small: a note icon, a popup, a link.
pub const HARMLESS_ANNOTATIONS: [&[u8]; 3] = [b"Text", b"Popup", b"Link"];
/// Largest side of an allowed note annotation, in points.
pub const MAX_NOTE_SIDE: f64 = 48.0;

#[cfg(test)]
mod tests {
    use super::*;

    const P1: Option<DocMdpPermission> = Some(DocMdpPermission::NoChanges);
    const P2: Option<DocMdpPermission> = Some(DocMdpPermission::FormFillingAndSigning);
    const P3: Option<DocMdpPermission> = Some(DocMdpPermission::Annotations);

    #[test]
    fn validation_data_is_allowed_at_p1_and_under_a_lock_p1() {
        let lock1 = [FieldLock::DocumentPermission(DocMdpPermission::NoChanges)];
        assert!(Permission::ValidationData.check(P1, &[]).is_ok());
        assert!(Permission::ValidationData.check(None, &lock1).is_ok());
        assert!(Permission::Metadata.check(P1, &[]).is_err());
        assert!(Permission::Signing(None).check(None, &lock1).is_err());
        assert!(Permission::NewSignatureField { visible: false }
            .check(None, &lock1)
            .is_err());
    }

    #[test]
    fn a_lock_p_restricts_like_a_certification_level() {
        let lock = |p| [FieldLock::DocumentPermission(p)];
        let l2 = lock(DocMdpPermission::FormFillingAndSigning);
        let l3 = lock(DocMdpPermission::Annotations);
        assert!(Permission::Signing(None).check(None, &l2).is_ok());
        assert!(Permission::NewSignatureField { visible: true }
            .check(None, &l2)
            .is_ok());
        assert!(Permission::Annotation.check(None, &l2).is_err());
        assert!(Permission::Annotation.check(None, &l3).is_ok());
        // The stricter of certification and lock wins.
        assert!(Permission::Annotation.check(P3, &l2).is_err());
        assert!(Permission::Annotation.check(P2, &l3).is_err());
        let l1 = lock(DocMdpPermission::NoChanges);
        assert!(Permission::FormFilling(None).check(P3, &l1).is_err());
    }
}
