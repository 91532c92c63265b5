//! The licence registry's facts for the verifier ([`ReportExtension`]): which licence version
//! a verified file is, and whether that version is still the current one. Looked up before
//! the verification (from the digest of the file's issuer-sealed revision) and handed to the
//! verifier, which puts them in the report as `licence`; a version that is no longer current
//! is said first in the verdict's summary.

use std::time::SystemTime;

use eseal_pdf::verify::{ExtensionFacts, ReportExtension, SignedDict, SummaryNote};

use super::VersionStatus;
use crate::service::store::licences::FileStatus;

/// The report's key for the facts.
pub const FACTS_KEY: &str = "licence";

/// The registry's answer for one file.
pub struct LicenceStatusCheck(pub VersionStatus);

impl ReportExtension for LicenceStatusCheck {
    fn examine(&self, _: &[SignedDict<'_>], _: SystemTime) -> Option<ExtensionFacts> {
        let l = &self.0;
        let current = l.status == FileStatus::Current;
        Some(ExtensionFacts {
            key: FACTS_KEY,
            value: serde_json::to_value(l).ok()?,
            line: format!(
                "Licence {} (version {:03}): {}",
                l.identifier, l.version, l.message
            ),
            passed: None,
            summary: if current {
                SummaryNote::None
            } else {
                SummaryNote::Before(l.message.clone())
            },
        })
    }
}
