//! The verifier's extension point. Products built on signed PDFs (the licence registry's
//! annotated copies, a service's record of which licence version is current) add their own
//! facts to the report through it; the verifier knows PDF signatures, not those products.
//!
//! An extension sees each signature dictionary as the revision that signature signs holds it,
//! so a private record in a signature dictionary (such as `/ESealAnnotation`) counts only when
//! that signature covers it. Its facts appear in the JSON report under their own key, as a
//! line in the text and HTML reports, and may withhold the document's pass.

use std::time::SystemTime;

use serde::ser::{SerializeMap, Serializer};

use crate::object::Dict;

/// A signature dictionary as the revision it signs holds it.
#[derive(Debug, Clone, Copy)]
pub struct SignedDict<'a> {
    /// Index into the report's `signatures`.
    pub index: usize,
    /// The signature field's full name.
    pub field: &'a str,
    pub dict: &'a Dict,
}

/// Something that adds facts to a verification report.
pub trait ReportExtension: Send + Sync {
    /// Facts about the document, from its signatures in signing order, at the validation time
    /// `at`; `None` when it has nothing to say about this document.
    fn examine(&self, signatures: &[SignedDict<'_>], at: SystemTime) -> Option<ExtensionFacts>;
}

/// What an extension found.
#[derive(Debug, Clone)]
pub struct ExtensionFacts {
    /// The JSON report's key for [`Self::value`] (e.g. `annotation`).
    pub key: &'static str,
    pub value: serde_json::Value,
    /// The facts in one line for people (text and HTML reports).
    pub line: String,
    /// `Some(false)` withholds the document's pass; `None` only informs.
    pub passed: Option<bool>,
    /// Where the facts change the verdict's summary.
    pub summary: SummaryNote,
}

/// A note an extension adds to the verdict's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummaryNote {
    None,
    /// Said first: what a reader must know before the signatures' verdict.
    Before(String),
    /// Said after the signatures' verdict, joined with "; ".
    After(String),
}

/// Serialises the facts as `key: value` entries of the report (flattened into it).
pub(super) fn serialize_facts<S: Serializer>(
    facts: &[ExtensionFacts],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(facts.len()))?;
    for f in facts {
        map.serialize_entry(f.key, &f.value)?;
    }
    map.end()
}
