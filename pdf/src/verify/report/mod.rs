//! The verification report: one entry per signature with an ETSI TS 119 102-1 indication and
//! sub-indication, and a document verdict. Serialised as JSON, as terminal text and as one
//! self-contained HTML page.
//!
//! # JSON schema `eseal-verify/1`
//!
//! The JSON is these types serialised with serde; each field's doc comment below is its
//! definition. Top level: `schema` (always `"eseal-verify/1"`), `file` {`name`, `length`,
//! `revisions`}, `verdict` {`passed`, `indication`, `summary`}, `signatures` (array, signing
//! order), `document_problems` (strings), `verified_at`, `validation_time` (RFC 3339).
//! Each signature: `index`, `field`, `kind` (`certification` | `approval` |
//! `document-timestamp`), `certification_level`, `sub_filter`, `indication` (`TOTAL-PASSED` |
//! `TOTAL-FAILED` | `INDETERMINATE`), `sub_indication` (below, or null), `reasons`, `warnings`,
//! `signer` {`common_name`, `organization`, `uscc`, `subject`, `serial`}, `seal_name`,
//! `signing_time` {`time`, `source`}, `chain` [{`subject`, `issuer`, `serial`, `not_before`,
//! `not_after`, `revocation`}], `trust_anchor` {`subject`, `sha256`, `label`, `region`} (null
//! when no path was found), `coverage` {`byte_range`, `revision`, `covers_whole_file`,
//! `bytes_after`}, `digest_algorithm`, `signature_algorithm`, `timestamps` [{`kind`,
//! `claimed_time`, `status`, `valid`, `tsa`}], `level` (`b-b` | `b-t` | `b-lt` | `b-lta` or
//! null), `allowed_changes` and `disallowed_changes` [{`revision`, `rule`,
//! `description`}]. Extensions add their facts under their own key (an annotated copy of a
//! licence: `annotation` {`signature_index`, `field`, `purpose`, `agency`, `expires`,
//! `copy_number`, `made_at`, `expired`}; the service: `licence`). Fields are only ever added within
//! version 1; a change of meaning makes
//! version 2.
//!
//! ETSI TS 119 102-1 has no sub-indication for "the document was changed after signing in a way
//! the signature does not permit" nor for "a format this verifier cannot check yet"; the report
//! uses two extension values for them, `DISALLOWED_CHANGE` (with TOTAL-FAILED) and
//! `UNSUPPORTED_FORMAT` (with INDETERMINATE), marked as extensions in the schema.

mod html;
mod text;

use std::time::SystemTime;

use serde::Serialize;

use super::extension::ExtensionFacts;
use super::time::rfc3339;
use crate::sigdict::{DocMdpPermission, Level, SubFilter};

/// Schema identifier written into every JSON report.
pub const SCHEMA: &str = "eseal-verify/1";

// The indications and the signature facts are the validation's (shared with detached
// signatures); their serde names are this schema's.
pub use eseal_signer::validation::{
    AnchorFacts, CertificateFacts, Indication, SealFacts, Signer, SubIndication, TimestampFacts,
};

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The file examined.
    pub file: FileFacts,
    /// The document verdict.
    pub verdict: DocumentVerdict,
    /// One per signature (and document timestamp), in signing order.
    pub signatures: Vec<SignatureReport>,
    /// Findings about the document as a whole (structure, bytes after the last revision).
    pub document_problems: Vec<String>,
    /// When the verification ran (RFC 3339, UTC).
    pub verified_at: String,
    /// The time certificate paths were validated at when no trusted timestamp exists
    /// (`--at`, or the time of verification), RFC 3339.
    pub validation_time: String,
    /// Facts that extensions added (e.g. `annotation` for an annotated copy of a licence),
    /// each under its own key; see [`super::ReportExtension`].
    #[serde(flatten, serialize_with = "super::extension::serialize_facts")]
    pub extensions: Vec<ExtensionFacts>,
}

/// What the verifier saw of the file.
#[derive(Debug, Clone, Serialize)]
pub struct FileFacts {
    pub name: Option<String>,
    pub length: u64,
    /// Revisions found through `startxref` and the `/Prev` chain.
    pub revisions: usize,
}

/// The document verdict: `passed` only when there is at least one signature and every
/// signature is TOTAL-PASSED and there are no document problems and, for an annotated copy,
/// the copy has not expired (the indication then stays the seals' own, the summary says so).
#[derive(Debug, Clone, Serialize)]
pub struct DocumentVerdict {
    pub passed: bool,
    /// `TOTAL-PASSED` when `passed`, otherwise the worst indication found (`TOTAL-FAILED`
    /// before `INDETERMINATE`); `TOTAL-FAILED` for a document without signatures.
    pub indication: Indication,
    /// One sentence for people.
    pub summary: String,
}

/// What kind of signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureKind {
    /// A signature with a DocMDP transform (ISO 32000-2 §12.8.2.2).
    Certification,
    /// Any other `/Type /Sig` signature.
    Approval,
    /// `/Type /DocTimeStamp` (ETSI EN 319 142-1 §5.4).
    DocumentTimestamp,
}

/// One signature.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    /// 0-based, in signing order.
    pub index: usize,
    /// Full name of the signature field.
    pub field: String,
    pub kind: SignatureKind,
    /// DocMDP `/P` (1, 2 or 3) for a certification signature.
    pub certification_level: Option<DocMdpPermission>,
    /// `/SubFilter` of the signature dictionary.
    pub sub_filter: Option<SubFilter>,
    pub indication: Indication,
    pub sub_indication: Option<SubIndication>,
    /// Why the indication is not TOTAL-PASSED, in plain words (empty when it is).
    pub reasons: Vec<String>,
    /// Notes that do not change the indication (e.g. revocation not checked, timestamps not
    /// verified).
    pub warnings: Vec<String>,
    pub signer: Option<Signer>,
    /// The seal's name: `/Name` of the signature dictionary, else the field name.
    pub seal_name: String,
    pub signing_time: Option<SigningTime>,
    /// Certificates from the signer to the trust anchor (or as far as a path was built).
    pub chain: Vec<CertificateFacts>,
    /// The trust anchor the path ended at, with the label and region it was trusted under
    /// (for a document timestamp, the TSA's path); null when no path was found.
    pub trust_anchor: Option<AnchorFacts>,
    pub coverage: Coverage,
    /// `SHA-256` or `SM3`.
    pub digest_algorithm: Option<String>,
    /// `P-256` or `SM2`.
    pub signature_algorithm: Option<String>,
    /// Timestamp tokens found (signature timestamps in the CMS, or the document timestamp).
    pub timestamps: Vec<TimestampFacts>,
    /// The PAdES baseline level the signature reaches (`b-b`, `b-t`, `b-lt`, `b-lta`), when it
    /// passed; absent for document timestamps and failed signatures.
    pub level: Option<Level>,
    /// Changes in later revisions that a rule allowed.
    pub allowed_changes: Vec<ChangeFacts>,
    /// Changes in later revisions that no rule allowed (any makes the signature TOTAL-FAILED).
    pub disallowed_changes: Vec<ChangeFacts>,
    /// For a GB/T 38540 seal signature: the electronic seal it carries (absent for CMS).
    pub seal: Option<SealFacts>,
}

/// The signing time and where it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct SigningTime {
    /// RFC 3339, or the raw PDF date when it cannot be parsed.
    pub time: String,
    /// `claimed /M` (the signer's own claim, not proof) or `timestamp`.
    pub source: String,
}

/// What the signature covers.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// `/ByteRange` as written, if it is four integers.
    pub byte_range: Option<Vec<i64>>,
    /// The revision (0-based) whose end the byte range reaches, if any.
    pub revision: Option<usize>,
    pub covers_whole_file: bool,
    /// Bytes of the file after the signed revision.
    pub bytes_after: u64,
}

/// One change found after the signature.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeFacts {
    /// The revision (0-based) that made the change.
    pub revision: usize,
    /// The rule that allowed it (absent for disallowed changes).
    pub rule: Option<String>,
    /// The change in plain words.
    pub description: String,
}

impl Report {
    /// A report with no finding yet: TOTAL-FAILED until signatures say otherwise.
    pub fn new(file_name: Option<String>, length: u64, now: SystemTime, at: SystemTime) -> Self {
        Report {
            schema: SCHEMA,
            file: FileFacts {
                name: file_name,
                length,
                revisions: 0,
            },
            verdict: DocumentVerdict {
                passed: false,
                indication: Indication::TotalFailed,
                summary: String::new(),
            },
            signatures: Vec::new(),
            document_problems: Vec::new(),
            verified_at: rfc3339(now),
            validation_time: rfc3339(at),
            extensions: Vec::new(),
        }
    }

    /// The facts an extension added under `key`.
    pub fn extension(&self, key: &str) -> Option<&ExtensionFacts> {
        self.extensions.iter().find(|f| f.key == key)
    }

    /// The report as pretty JSON (schema [`SCHEMA`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as terminal text.
    pub fn to_text(&self) -> String {
        text::render(self)
    }

    /// The report as one self-contained HTML page.
    pub fn to_html(&self) -> String {
        html::render(self)
    }

    /// Whether every signature is TOTAL-PASSED (and there is at least one).
    pub fn passed(&self) -> bool {
        self.verdict.passed
    }
}
