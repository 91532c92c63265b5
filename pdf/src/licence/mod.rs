//! Licences (电子证照): one-page PDFs rendered from a template, prepared for the issuer's
//! certification and the changes it allows afterwards.
//!
//! The life of a licence file:
//! 1. [`render`] draws the template with the licence data (CJK text as real text in an embedded
//!    font subset), writes document information and XMP metadata, and prepares EMPTY fields: the
//!    read-only text field [`QR_FIELD`], the signature field [`ANNOTATION_FIELD`] and one
//!    signature field per further department.
//! 2. The issuer certifies it (DocMDP P=2) with a visible seal at the template's seal rectangle
//!    ([`issuer_sign_options`]).
//! 3. [`fill_qr`] fills [`QR_FIELD`] in an incremental update: the value is the verify URL
//!    and the widget's appearance draws its QR code. Form filling is allowed under P=2. The URL
//!    carries [`sealed_digest`], the digest of the issuer-sealed revision.
//! 4. An annotated copy (加注件) is a signature into [`ANNOTATION_FIELD`] whose appearance stamps
//!    the purpose, agency, expiry and copy number and whose signature dictionary carries the same
//!    as a machine-readable record ([`Annotation`], [`annotation_sign_options`]). The verifier
//!    reports it, and fails an expired copy, when [`AnnotatedCopyCheck`] is among its extensions.

mod annotation;
mod copy_check;
mod font;
mod info;
mod qr;
mod render;
mod template;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

pub use annotation::{
    annotation_appearance, annotation_sign_options, Annotation, ANNOTATION_KEY, CHINA_OFFSET,
};
pub use copy_check::{AnnotatedCopyCheck, AnnotationFacts};
pub use eseal_certs::national_codes::LicenceIdentifier;
pub use info::{read_info, sealed_digest, AnnotationInfo, LicenceInfo, XMP_NAMESPACE};
pub use qr::fill_qr;
pub use render::{issuer_sign_options, render};
pub use template::{DepartmentField, ImageSlot, Template, TextSlot};

/// Name of the prepared read-only text field whose value is the verify URL and whose
/// appearance is the QR code.
pub const QR_FIELD: &str = "licence-qr";
/// Name of the prepared empty signature field that an annotated copy's seal fills.
pub const ANNOTATION_FIELD: &str = "licence-annotation";
/// Name of the issuer's certification signature field.
pub const ISSUER_FIELD: &str = "licence-issuer";

/// The data of one licence, placed on the page by a [`Template`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LicenceContent {
    pub identifier: LicenceIdentifier,
    /// Licence type code (21 characters, also inside the identifier).
    pub type_code: String,
    /// Licence type name, e.g. 营业执照.
    pub type_name: String,
    pub issuer_name: String,
    /// The issuer's unified social credit code.
    pub issuer_code: String,
    pub holder_name: String,
    /// The holder's code (USCC or resident identity number).
    pub holder_code: String,
    pub issued_on: Date,
    /// Further values by template slot key.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Photo or logo (PNG or JPEG) for the template's image slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Vec<u8>>,
}

impl LicenceContent {
    /// The text for a slot key: the built-in keys (`identifier`, `type_code`, `type_name`,
    /// `issuer_name`, `issuer_code`, `holder_name`, `holder_code`, `issued_on`) first, then
    /// `fields`.
    pub fn value(&self, key: &str) -> Option<String> {
        Some(match key {
            "identifier" => self.identifier.to_string(),
            "type_code" => self.type_code.clone(),
            "type_name" => self.type_name.clone(),
            "issuer_name" => self.issuer_name.clone(),
            "issuer_code" => self.issuer_code.clone(),
            "holder_name" => self.holder_name.clone(),
            "holder_code" => self.holder_code.clone(),
            "issued_on" => chinese_date(self.issued_on),
            _ => return self.fields.get(key).cloned(),
        })
    }
}

/// `2026年11月30日`, the way dates are printed on licences.
pub fn chinese_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

fn licence_error(msg: impl Into<String>) -> crate::Error {
    crate::Error::Licence(msg.into())
}
