//! The report of a detached CAdES signature (`.p7s`, ETSI EN 319 122-1) over any file, in the
//! same schema (`eseal-verify/1`) as a PDF's: one signature and no PDF facts (no byte range,
//! no revisions, no changes). The validation itself is
//! [`eseal_signer::validation::verify_detached`].

use std::time::SystemTime;

use eseal_signer::validation::DetachedValidation;

use super::report::{Coverage, Indication, Report, SignatureKind, SignatureReport, SigningTime};
use super::time::rfc3339;
use crate::sigdict::Level;

/// The report of `validated`, for the file `file_name`, verified at `verified_at` with paths
/// validated at `validation_time` (when nothing proves an earlier time).
pub fn detached_report(
    validated: DetachedValidation,
    file_name: Option<String>,
    verified_at: SystemTime,
    validation_time: SystemTime,
) -> Report {
    let length = validated.content_length;
    let mut report = Report::new(file_name, length, verified_at, validation_time);
    report.signatures.push(signature_report(validated));
    super::finish(&mut report);
    report
}

/// The one signature of a detached report.
fn signature_report(validated: DetachedValidation) -> SignatureReport {
    let out = validated.outcome;
    let mut r = SignatureReport {
        index: 0,
        field: "signature".into(),
        kind: SignatureKind::Approval,
        certification_level: None,
        sub_filter: None,
        indication: Indication::TotalPassed,
        sub_indication: None,
        reasons: Vec::new(),
        warnings: out.warnings,
        seal_name: out
            .signer
            .as_ref()
            .and_then(|s| s.common_name.clone())
            .unwrap_or_default(),
        signer: out.signer,
        signing_time: validated.claimed_signing_time.map(|t| SigningTime {
            time: rfc3339(t),
            source: "claimed signing-time attribute".into(),
        }),
        chain: out.chain,
        trust_anchor: out.trust_anchor,
        coverage: Coverage {
            byte_range: None,
            revision: None,
            covers_whole_file: true,
            bytes_after: 0,
        },
        digest_algorithm: out.digest_algorithm,
        signature_algorithm: out.signature_algorithm,
        timestamps: out.timestamps,
        level: validated.level.and_then(Level::parse),
        allowed_changes: Vec::new(),
        disallowed_changes: Vec::new(),
        seal: None,
    };
    if let Some((sub, why)) = out.failure {
        r.indication = sub.indication();
        r.sub_indication = Some(sub);
        r.reasons.push(why);
    }
    r
}
