//! The PDF signature verifier (ISO 32000-2 §12.8, ETSI EN 319 142-1 PAdES, validation per ETSI
//! EN 319 102-1 with indications of ETSI TS 119 102-1).
//!
//! For every signature (approval, certification, document timestamp) it answers three questions
//! and fails closed on each:
//!
//! 1. Is the signature dictionary sound? ([`signature`]) Found through the revision chain, with a
//!    `/ByteRange` that is exactly the file around this signature's own `/Contents` up to the end
//!    of the revision it signs.
//! 2. Does the container verify, by a trusted and unrevoked signer? ([`crypto`]) Digest, CMS with
//!    signed attributes and ESS signing-certificate-v2, certificate path, key usage, CRLs.
//! 3. Is every change after it allowed? ([`changes`]) Each later revision is compared with the one
//!    before it, object by object, and every change needs a named [`ChangeRule`] that the
//!    certification level (DocMDP) and the field locks (FieldMDP) permit.
//!
//! The answers go into a [`Report`] (JSON schema `eseal-verify/1`, text, HTML).

mod changes;
mod crypto;
mod detached;
mod error;
mod extension;
mod input;
mod report;
mod revocation;
mod signature;
pub(crate) mod time;

use std::collections::HashMap;
use std::io::{Cursor, Read, Seek};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use eseal_certs::crl::Crl;
use eseal_certs::Certificate;

pub use changes::{ChangeRule, Permission};
pub use crypto::{sniff, ContentsFormat};
pub use detached::detached_report;
pub use error::VerifyError;
pub use extension::{ExtensionFacts, ReportExtension, SignedDict, SummaryNote};
pub use report::{
    CertificateFacts, ChangeFacts, Coverage, DocumentVerdict, FileFacts, Indication, Report,
    SignatureKind, SignatureReport, Signer, SigningTime, SubIndication, TimestampFacts, SCHEMA,
};
pub use revocation::OcspFetch;

use crate::object::Object;
use crate::reader::{PdfReader, Revision, XrefEntry};
use crate::sigdict::{field_locks, DocMdpPermission, FieldLock, Level, SubFilter};
use changes::Change;
use crypto::TrustContext;
use input::{open_view, view_cost, MAX_REVISIONS, MAX_VIEW_ENTRIES};
use signature::FoundSignature;
use time::{parse_pdf_date, rfc3339};

/// What the verifier is told.
#[derive(Clone, Default)]
pub struct VerifyOptions {
    /// Trust anchors (root certificates).
    pub trust_anchors: Vec<Certificate>,
    /// Intermediate CA certificates given by the caller, for path building (those in the CMS
    /// and in the DSS are used as well). GB/T 38540 seal signatures carry only the signer's
    /// certificate, so their paths often need these.
    pub intermediates: Vec<Certificate>,
    /// CRLs given by the caller (CRLs in the CMS and in the DSS are used as well).
    pub crls: Vec<Crl>,
    /// OCSP responses (DER OCSPResponse) given by the caller; those in the DSS `/OCSPs` and
    /// in the CMS revocation data are used as well.
    pub ocsp_responses: Vec<Vec<u8>>,
    /// Fetches OCSP responses for certificates whose revocation is otherwise unknown, from
    /// allowed responder URLs only; `None` never goes to the network.
    pub ocsp_fetch: Option<OcspFetch>,
    /// Validate certificate paths at this time instead of now.
    pub at: Option<SystemTime>,
    /// The file name for the report.
    pub file_name: Option<String>,
    /// Products' checks that add their facts to the report (see [`ReportExtension`]).
    pub extensions: Vec<Arc<dyn ReportExtension>>,
}

/// Most certificates and CRLs read from a DSS.
const MAX_DSS_ITEMS: usize = 1000;

/// Verifies a PDF held in memory.
pub fn verify_bytes(data: &[u8], opts: &VerifyOptions) -> Result<Report, VerifyError> {
    verify(Cursor::new(data), opts)
}

/// Verifies a PDF file, reading it piecewise.
pub fn verify_file(path: &Path, opts: &VerifyOptions) -> Result<Report, VerifyError> {
    let file = std::fs::File::open(path)?;
    verify(&file, opts)
}

/// For fuzzers: verifies arbitrary bytes with no trust anchors; must never panic.
pub fn verify_for_fuzz(data: &[u8]) {
    if let Ok(r) = verify_bytes(data, &VerifyOptions::default()) {
        let _ = r.to_json();
        let _ = r.to_text();
        let _ = r.to_html();
    }
}

/// Verifies every signature of the PDF `input`. `Err` only when the input is not a PDF or
/// cannot be read; a broken PDF gives a report that says so.
pub fn verify<R: Read + Seek + Clone>(
    input: R,
    opts: &VerifyOptions,
) -> Result<Report, VerifyError> {
    let now = SystemTime::now();
    let at = opts.at.unwrap_or(now);
    let length = input.clone().seek(std::io::SeekFrom::End(0))?;
    let mut report = Report::new(opts.file_name.clone(), length, now, at);
    let reader = match PdfReader::open(input.clone()) {
        Ok(r) => Some(r),
        Err(crate::Error::NotPdf(m)) => return Err(VerifyError::NotPdf(m.to_string())),
        Err(crate::Error::Io(e)) => return Err(VerifyError::Io(e)),
        Err(e) => {
            report
                .document_problems
                .push(format!("the file's revision structure is broken: {e}"));
            None
        }
    };
    if let Some(reader) = reader {
        report.file.length = reader.file_len();
        report.file.revisions = reader.revisions().len();
        let revisions = reader.revisions().to_vec();
        drop(reader);
        examine_document(
            &input,
            &revisions,
            report.file.length,
            opts,
            at,
            &mut report,
        );
    }
    finish(&mut report);
    Ok(report)
}

fn examine_document<R: Read + Seek + Clone>(
    input: &R,
    revisions: &[Revision],
    file_len: u64,
    opts: &VerifyOptions,
    at: SystemTime,
    report: &mut Report,
) {
    let problems = &mut report.document_problems;
    if revisions.len() > MAX_REVISIONS {
        problems.push(format!(
            "the file has {} revisions, more than the {MAX_REVISIONS} this verifier analyses",
            revisions.len()
        ));
        return;
    }
    if let Some(p) = structure_problem(input, revisions, file_len) {
        problems.push(p);
    }
    let last = revisions.len() - 1;
    let Ok(mut newest) = open_view(input, revisions, last) else {
        problems.push("the newest revision cannot be read".into());
        return;
    };
    let found = signature::find_signatures(input, &mut newest, revisions, file_len, problems);
    if found.is_empty() {
        return;
    }
    // Views opened for the change analysis: two per revision after the first signed one.
    let first = found
        .iter()
        .filter_map(|s| s.revision)
        .min()
        .unwrap_or(last);
    let cost = view_cost(
        revisions,
        (first..=last).flat_map(|k| [k.saturating_sub(1), k]),
    );
    if cost > MAX_VIEW_ENTRIES {
        problems.push(format!(
            "the file is too large to analyse its changes ({cost} cross-reference entries over \
             its revisions; the limit is {MAX_VIEW_ENTRIES})"
        ));
        return;
    }
    let (mut dss_certs, dss_crls) = dss_material(&mut newest);
    dss_certs.extend(opts.intermediates.iter().cloned());
    let mut crls = opts.crls.clone();
    crls.extend(dss_crls.iter().cloned());
    let dss_ocsp = revocation::dss_ocsp(&mut newest);
    let mut ocsp = revocation::parse_all(&opts.ocsp_responses);
    ocsp.extend(dss_ocsp.iter().cloned());
    let ctx = TrustContext {
        anchors: &opts.trust_anchors,
        extra_certificates: &dss_certs,
        crls: &crls,
        dss_crls: &dss_crls,
        ocsp: &ocsp,
        dss_ocsp: &dss_ocsp,
        ocsp_fetch: opts.ocsp_fetch.as_ref(),
        at,
    };
    // MDP facts of each signature, read through the newest revision.
    let mdp: Vec<(Option<DocMdpPermission>, Vec<FieldLock>)> = found
        .iter()
        .map(|s| {
            let field_lock = match newest.get(s.field_ref) {
                Ok(Object::Dict(d)) => d.get("Lock").and_then(|l| newest.resolve(l).ok()),
                _ => None,
            };
            let lock_dict = field_lock.as_ref().and_then(Object::as_dict).cloned();
            let locks = field_locks(&mut newest, &s.dict, lock_dict.as_ref());
            (DocMdpPermission::of_signature(&mut newest, &s.dict), locks)
        })
        .collect();
    let certification = found
        .iter()
        .zip(&mdp)
        .find_map(|(s, (p, _))| Some((s.revision?, (*p)?)));
    let perms_docmdp = newest
        .catalog()
        .ok()
        .and_then(|c| c.get("Perms").cloned())
        .and_then(|p| newest.resolve(&p).ok())
        .and_then(|p| {
            p.as_dict()
                .and_then(|d| d.get("DocMDP"))
                .and_then(Object::as_reference)
        });
    drop(newest);
    let mut changes: HashMap<usize, Vec<Change>> = HashMap::new();
    for k in (first + 1)..=last {
        changes.insert(k, changes::analyse_revision(input, revisions, k));
    }
    let document_problems = report.document_problems.clone();
    // Newest first: a document timestamp gives proof of existence to everything before it.
    let mut doc_ts_proofs: Vec<(usize, SystemTime)> = Vec::new();
    let mut reports = Vec::new();
    for (i, sig) in found.iter().enumerate().rev() {
        let later_poe = doc_ts_proofs
            .iter()
            .filter(|(rev, _)| sig.revision.is_some_and(|s| *rev > s))
            .map(|(_, t)| *t)
            .min();
        let locks: Vec<FieldLock> = found
            .iter()
            .zip(&mdp)
            .filter(|(o, _)| o.revision.is_some() && o.revision <= sig.revision)
            .flat_map(|(_, (_, l))| l.clone())
            .collect();
        let (level, _) = &mdp[i];
        let facts = SignatureFacts {
            level: *level,
            certification,
            locks: &locks,
            perms_docmdp_matches: level.is_none() || perms_docmdp == sig.sig_ref,
        };
        let (r, proof) = signature_report(
            input,
            i,
            sig,
            &facts,
            &changes,
            &document_problems,
            file_len,
            &ctx,
            later_poe,
        );
        if let (SignatureKind::DocumentTimestamp, Some(t), Some(rev)) =
            (r.kind, proof.proven_time, sig.revision)
        {
            if r.indication == Indication::TotalPassed {
                doc_ts_proofs.push((rev, t));
            }
        }
        reports.push((r, proof, later_poe));
    }
    reports.reverse();
    // Revisions that add or extend the DSS.
    let dss_revisions: Vec<usize> = changes
        .iter()
        .filter(|(_, chs)| {
            chs.iter()
                .any(|c| matches!(c.rule, Some((ChangeRule::AddDss, _))))
        })
        .map(|(k, _)| *k)
        .collect();
    for (mut r, proof, later_poe) in reports {
        r.level = baseline_level(&r, &proof, later_poe, &dss_revisions, &doc_ts_proofs);
        report.signatures.push(r);
    }
    report.extensions = extension_facts(&opts.extensions, &found, at);
}

/// What the extensions say of the signatures found, each dictionary as its own revision holds
/// it (so a record counts only where its signature covers it).
fn extension_facts(
    extensions: &[Arc<dyn ReportExtension>],
    found: &[FoundSignature],
    at: SystemTime,
) -> Vec<ExtensionFacts> {
    let signed: Vec<SignedDict<'_>> = found
        .iter()
        .enumerate()
        .map(|(index, s)| SignedDict {
            index,
            field: &s.field_name,
            dict: &s.dict,
        })
        .collect();
    extensions
        .iter()
        .filter_map(|e| e.examine(&signed, at))
        .collect()
}

/// What a signature's crypto check proved, for the level it reaches.
struct Proof {
    proven_time: Option<SystemTime>,
    revocation_complete: bool,
}

/// The PAdES baseline level (ETSI EN 319 142-1 §6.3) a passed signature reaches: B-B; B-T
/// with a valid signature timestamp or a later valid document timestamp; B-LT when, in
/// addition, a later revision adds to the DSS and the file itself (DSS or CMS) holds the CRLs
/// that check every certificate on the signer's path; B-LTA when a valid document timestamp
/// covers that DSS revision.
fn baseline_level(
    r: &SignatureReport,
    proof: &Proof,
    later_poe: Option<SystemTime>,
    dss_revisions: &[usize],
    doc_ts_proofs: &[(usize, SystemTime)],
) -> Option<Level> {
    if r.kind == SignatureKind::DocumentTimestamp || r.indication != Indication::TotalPassed {
        return None;
    }
    let rev = r.coverage.revision?;
    let mut level = Level::BB;
    if proof.proven_time.is_some() || later_poe.is_some() {
        level = Level::BT;
        let dss = dss_revisions.iter().filter(|k| **k > rev).min();
        if let (Some(dss), true) = (dss, proof.revocation_complete) {
            level = Level::BLT;
            // The document timestamp may share the DSS's revision (pyHanko writes both in one
            // update): it covers the DSS either way.
            if doc_ts_proofs.iter().any(|(k, _)| k >= dss) {
                level = Level::BLTA;
            }
        }
    }
    Some(level)
}

/// Bytes after the last revision that are not white space, and cross-reference entries that
/// point past the end of their own revision.
fn structure_problem<R: Read + Seek + Clone>(
    input: &R,
    revisions: &[Revision],
    file_len: u64,
) -> Option<String> {
    for rev in revisions {
        for s in &rev.sections {
            let beyond = s.entries.iter().find(|(n, e)| {
                **n != 0
                    && matches!(e, XrefEntry::InFile { offset, .. } if *offset >= rev.end_offset)
            });
            if let Some((n, _)) = beyond {
                return Some(format!(
                    "revision {} says object {n} lies after the end of that revision",
                    rev.index
                ));
            }
        }
    }
    let end = revisions.last().map_or(0, |r| r.end_offset);
    if end < file_len {
        let tail_len = (file_len - end).min(1 << 20) as usize;
        let tail = signature::read_at(input, end, tail_len).unwrap_or_default();
        if file_len - end > (1 << 20)
            || tail
                .iter()
                .any(|b| !matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' '))
        {
            return Some(format!(
                "{} bytes after the last revision's %%EOF belong to no revision (an update \
                 without valid cross-reference data)",
                file_len - end
            ));
        }
    }
    None
}

/// Certificates and CRLs from the catalog's `/DSS` (ETSI EN 319 142-1 §5.4.2).
fn dss_material<R: Read + Seek>(reader: &mut PdfReader<R>) -> (Vec<Certificate>, Vec<Crl>) {
    use der::Decode;
    let mut certs = Vec::new();
    let mut crls = Vec::new();
    let Some(dss) = reader
        .catalog()
        .ok()
        .and_then(|c| c.get("DSS").cloned())
        .and_then(|d| reader.resolve(&d).ok())
        .and_then(|d| d.as_dict().cloned())
    else {
        return (certs, crls);
    };
    let mut streams = |key: &str| -> Vec<Vec<u8>> {
        let Some(Ok(Object::Array(items))) = dss.get(key).map(|a| reader.resolve(a)) else {
            return Vec::new();
        };
        items
            .iter()
            .take(MAX_DSS_ITEMS)
            .filter_map(|i| match reader.resolve(i) {
                Ok(Object::Stream(s)) => reader.stream_decoded(&s).ok(),
                _ => None,
            })
            .collect()
    };
    for der in streams("Certs") {
        if let Ok(c) = Certificate::from_der(&der) {
            certs.push(c);
        }
    }
    for der in streams("CRLs") {
        if let Ok(c) = Crl::from_der(&der) {
            crls.push(c);
        }
    }
    (certs, crls)
}

struct SignatureFacts<'a> {
    /// This signature's DocMDP `/P`, if it certifies.
    level: Option<DocMdpPermission>,
    /// (revision, P) of the document's certification signature.
    certification: Option<(usize, DocMdpPermission)>,
    /// FieldMDP locks of this and earlier signatures.
    locks: &'a [FieldLock],
    /// Whether the catalog's `/Perms /DocMDP` points to this certification signature.
    perms_docmdp_matches: bool,
}

#[allow(clippy::too_many_arguments)]
fn signature_report<R: Read + Seek + Clone>(
    input: &R,
    index: usize,
    sig: &FoundSignature,
    facts: &SignatureFacts<'_>,
    changes: &HashMap<usize, Vec<Change>>,
    document_problems: &[String],
    file_len: u64,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
) -> (SignatureReport, Proof) {
    let kind = if sig.is_doc_timestamp() {
        SignatureKind::DocumentTimestamp
    } else if facts.level.is_some() {
        SignatureKind::Certification
    } else {
        SignatureKind::Approval
    };
    let claimed = sig.dict.get("M").and_then(Object::as_string);
    let claimed_time = claimed.and_then(parse_pdf_date);
    let end = sig
        .byte_range
        .map(|b| b.end)
        .or_else(|| sig.revision.map(|_| file_len))
        .unwrap_or(0);
    let mut r = SignatureReport {
        index,
        field: sig.field_name.clone(),
        kind,
        certification_level: facts.level,
        sub_filter: sig
            .dict
            .get("SubFilter")
            .and_then(Object::as_name)
            .map(SubFilter::from_name),
        indication: Indication::TotalPassed,
        sub_indication: None,
        reasons: Vec::new(),
        warnings: Vec::new(),
        signer: None,
        seal_name: sig.text("Name").unwrap_or_else(|| sig.field_name.clone()),
        signing_time: claimed.map(|m| SigningTime {
            time: claimed_time
                .map(rfc3339)
                .unwrap_or_else(|| String::from_utf8_lossy(m).into_owned()),
            source: "claimed /M".into(),
        }),
        chain: Vec::new(),
        coverage: Coverage {
            byte_range: sig.raw_byte_range.clone(),
            revision: sig.revision,
            covers_whole_file: sig.byte_range.is_some() && end == file_len,
            bytes_after: file_len.saturating_sub(end),
        },
        digest_algorithm: None,
        signature_algorithm: None,
        timestamps: Vec::new(),
        level: None,
        allowed_changes: Vec::new(),
        disallowed_changes: Vec::new(),
        seal: None,
    };
    let mut proof = Proof {
        proven_time: None,
        revocation_complete: false,
    };
    let mut failures: Vec<SubIndication> = Vec::new();
    if !sig.format_problems.is_empty() {
        failures.push(SubIndication::FormatFailure);
        r.reasons.extend(sig.format_problems.iter().cloned());
    }
    if facts.level.is_some() && !facts.perms_docmdp_matches {
        r.warnings.push(
            "the catalog's /Perms /DocMDP does not point to this certification signature".into(),
        );
    }
    if let Some(br) = sig.byte_range {
        let out = crypto::check_contents(input, sig, br, claimed_time, ctx, later_poe);
        proof.proven_time = out.proven_time;
        proof.revocation_complete = out.revocation_complete;
        if let Some((sub, why)) = out.failure {
            failures.push(sub);
            r.reasons.push(why);
        }
        r.signer = out.signer;
        r.chain = out.chain;
        r.digest_algorithm = out.digest_algorithm;
        r.signature_algorithm = out.signature_algorithm;
        r.seal = out.seal;
        r.warnings.extend(out.warnings);
        if let Some(t) = out.proven_time {
            r.signing_time = Some(SigningTime {
                time: rfc3339(t),
                source: if kind == SignatureKind::DocumentTimestamp {
                    "timestamp".into()
                } else {
                    "signature timestamp (proven)".into()
                },
            });
        } else if kind == SignatureKind::DocumentTimestamp {
            if let Some(t) = out.timestamps.first().and_then(|t| t.claimed_time.clone()) {
                r.signing_time = Some(SigningTime {
                    time: t,
                    source: "timestamp (not valid)".into(),
                });
            }
        }
        r.timestamps = out.timestamps;
    }
    if let Some(s) = sig.revision {
        let mut keys: Vec<&usize> = changes.keys().filter(|k| **k > s).collect();
        keys.sort();
        for k in keys {
            let level = facts.certification.filter(|(c, _)| *c < *k).map(|(_, p)| p);
            for ch in &changes[k] {
                match &ch.rule {
                    Some((rule, permission)) => match permission.check(level, facts.locks) {
                        Ok(()) => r.allowed_changes.push(ChangeFacts {
                            revision: ch.revision,
                            rule: Some(rule.name().to_string()),
                            description: ch.description.clone(),
                        }),
                        Err(why) => r.disallowed_changes.push(ChangeFacts {
                            revision: ch.revision,
                            rule: None,
                            description: format!("{} ({}): {why}", ch.description, rule.name()),
                        }),
                    },
                    None => r.disallowed_changes.push(ChangeFacts {
                        revision: ch.revision,
                        rule: None,
                        description: ch.description.clone(),
                    }),
                }
            }
        }
    }
    for p in document_problems {
        r.disallowed_changes.push(ChangeFacts {
            revision: sig.revision.map_or(0, |s| s + 1),
            rule: None,
            description: p.clone(),
        });
    }
    if !r.disallowed_changes.is_empty() {
        failures.push(SubIndication::DisallowedChange);
        r.reasons.push(format!(
            "{} change(s) after signing that no rule allows",
            r.disallowed_changes.len()
        ));
    }
    // TOTAL-FAILED outranks INDETERMINATE; within each, the first found.
    let pick = failures
        .iter()
        .find(|s| s.indication() == Indication::TotalFailed)
        .or(failures.first());
    if let Some(sub) = pick {
        r.indication = sub.indication();
        r.sub_indication = Some(*sub);
    }
    (r, proof)
}

fn finish(report: &mut Report) {
    let n = report.signatures.len();
    let failed = report
        .signatures
        .iter()
        .filter(|s| s.indication == Indication::TotalFailed)
        .count();
    let indeterminate = report
        .signatures
        .iter()
        .filter(|s| s.indication == Indication::Indeterminate)
        .count();
    let v = &mut report.verdict;
    if n == 0 {
        v.passed = false;
        v.indication = Indication::TotalFailed;
        v.summary = if report.document_problems.is_empty() {
            "the document carries no signature".into()
        } else {
            "no signature could be verified: the document is damaged".into()
        };
    } else if failed > 0 {
        v.passed = false;
        v.indication = Indication::TotalFailed;
        v.summary = format!("{failed} of {n} signature(s) failed");
    } else if indeterminate > 0 {
        v.passed = false;
        v.indication = Indication::Indeterminate;
        v.summary = format!("{indeterminate} of {n} signature(s) could not be confirmed");
    } else if !report.document_problems.is_empty() {
        v.passed = false;
        v.indication = Indication::TotalFailed;
        v.summary = "the document has structural problems".into();
    } else {
        v.passed = true;
        v.indication = Indication::TotalPassed;
        v.summary = format!("all {n} signature(s) passed");
    }
    for e in &report.extensions {
        if e.passed == Some(false) {
            v.passed = false;
        }
        match &e.summary {
            SummaryNote::None => {}
            SummaryNote::Before(note) => v.summary = format!("{note} {}", v.summary),
            SummaryNote::After(note) => v.summary = format!("{}; {note}", v.summary),
        }
    }
}
