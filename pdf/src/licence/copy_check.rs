//! The annotated-copy check, an extension of the verifier ([`ReportExtension`]): the record
//! (`/ESealAnnotation`) of the first signature that carries one, as of the revision that
//! signature signs, becomes the report's `annotation` facts; a copy past its expiry, or with a
//! record that cannot be read, withholds the document's pass while the seals keep their own
//! indications.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{Annotation, ANNOTATION_KEY};
use crate::verify::time::rfc3339;
use crate::verify::{ExtensionFacts, ReportExtension, SignedDict, SummaryNote};

/// The report's key for the facts.
pub const FACTS_KEY: &str = "annotation";

/// Registers with [`crate::verify::VerifyOptions::extensions`] wherever licences are verified.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnnotatedCopyCheck;

/// The annotated-copy record as the report gives it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnnotationFacts {
    /// The signature that carries it (index into `signatures`) and its field.
    pub signature_index: usize,
    pub field: String,
    pub purpose: String,
    pub agency: String,
    /// Last instant of validity, RFC 3339 (the expiry date's 23:59:59 at UTC+8).
    pub expires: String,
    pub copy_number: u32,
    /// When the copy was made, RFC 3339.
    pub made_at: String,
    /// Whether the copy had expired at the validation time (`--at` or now).
    pub expired: bool,
}

impl ReportExtension for AnnotatedCopyCheck {
    fn examine(&self, signatures: &[SignedDict<'_>], at: SystemTime) -> Option<ExtensionFacts> {
        let (sig, record) = signatures.iter().find_map(|s| {
            let d = s.dict.get(ANNOTATION_KEY)?.as_dict()?;
            Some((s, d))
        })?;
        let facts = match Annotation::from_dict(record) {
            Ok(a) => AnnotationFacts {
                signature_index: sig.index,
                field: sig.field.to_string(),
                expires: rfc3339(a.expires_at().into()),
                made_at: rfc3339(a.made_at.into()),
                expired: a.is_expired_at(at.into()),
                purpose: a.purpose,
                agency: a.agency,
                copy_number: a.copy_number,
            },
            // A malformed record cannot be honoured: it counts as expired so nothing relies on it.
            Err(e) => AnnotationFacts {
                signature_index: sig.index,
                field: sig.field.to_string(),
                purpose: format!("(unreadable record: {e})"),
                agency: String::new(),
                expires: String::new(),
                copy_number: 0,
                made_at: String::new(),
                expired: true,
            },
        };
        Some(facts.into_extension())
    }
}

impl AnnotationFacts {
    /// Reads the facts back from a report.
    pub fn from_report(report: &crate::verify::Report) -> Option<AnnotationFacts> {
        let facts = report.extension(FACTS_KEY)?;
        serde_json::from_value(facts.value.clone()).ok()
    }

    fn into_extension(self) -> ExtensionFacts {
        let line = format!(
            "annotated copy no. {} for {} ({}), valid until {}{} [signature #{}]",
            self.copy_number,
            self.agency,
            self.purpose,
            self.expires,
            if self.expired { ": EXPIRED" } else { "" },
            self.signature_index + 1
        );
        let summary = match (self.expired, self.expires.is_empty()) {
            (false, _) => SummaryNote::None,
            (true, true) => SummaryNote::After("the annotated-copy record is unreadable".into()),
            (true, false) => SummaryNote::After(format!(
                "but this annotated copy (加注件) expired at {} and is no longer valid",
                self.expires
            )),
        };
        ExtensionFacts {
            key: FACTS_KEY,
            value: serde_json::to_value(&self).unwrap_or(serde_json::Value::Null),
            line,
            passed: Some(!self.expired),
            summary,
        }
    }
}
