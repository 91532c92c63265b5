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
use eseal_certs::ocsp::ParsedResponse;
use eseal_certs::Certificate;

pub use changes::{ChangeRule, Permission};
pub use crypto::{sniff, ContentsFormat};
pub use detached::detached_report;
pub use error::VerifyError;
pub use eseal_signer::validation::TrustAnchor;
pub use extension::{ExtensionFacts, ReportExtension, SignedDict, SummaryNote};
pub use report::{
    AnchorFacts, CertificateFacts, ChangeFacts, Coverage, DocumentVerdict, FileFacts, Indication,
    Report, SignatureKind, SignatureReport, Signer, SigningTime, SubIndication, TimestampFacts,
    SCHEMA,
};
pub use revocation::{Fetched, OcspFetch, OnlineFetch};

use crate::object::{ObjRef, Object};
use crate::reader::{
    Budget, Limits, PdfReader, Revision, XrefEntry, DEFAULT_DECODED_BYTES, DEFAULT_OBJECTS,
    DEFAULT_XREF_ENTRIES,
};
use crate::sigdict::{field_locks, DocMdpPermission, FieldLock, Level, SubFilter};
use changes::Change;
use crypto::{TrustContext, ValidationOutcome};
use input::{open_view, view_cost, MAX_REVISIONS, MAX_VIEW_ENTRIES};
use signature::FoundSignature;
use time::{parse_pdf_date, rfc3339};

/// What the verifier is told.
#[derive(Clone, Default)]
pub struct VerifyOptions {
    /// Trust anchors (root certificates), each with the label and region it is trusted under;
    /// a bare certificate converts with `.into()`. The report names the one each path ends at.
    pub trust_anchors: Vec<TrustAnchor>,
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
    /// Fetches CRLs and OCSP answers from the URLs the certificates name, for those whose
    /// revocation is otherwise unknown (used instead of `ocsp_fetch` when given); `None`
    /// never goes to the network.
    pub online: Option<OnlineFetch>,
    /// Validate certificate paths at this time instead of now.
    pub at: Option<SystemTime>,
    /// The file name for the report.
    pub file_name: Option<String>,
    /// Decoded stream bytes the whole document may produce ([`DEFAULT_DECODED_BYTES`] when
    /// not given); a document that needs more is refused ([`VerifyError::TooCostly`]).
    pub decoded_bytes: Option<u64>,
    /// Cross-reference entries the document may have over all its sections and revisions
    /// ([`DEFAULT_XREF_ENTRIES`] when not given); more are refused ([`VerifyError::TooCostly`]).
    pub xref_entries: Option<u64>,
    /// Objects the verification may parse, nested values counted, over all revision views
    /// ([`DEFAULT_OBJECTS`] when not given); more are refused ([`VerifyError::TooCostly`]).
    pub objects: Option<u64>,
    /// Products' checks that add their facts to the report (see [`ReportExtension`]).
    pub extensions: Vec<Arc<dyn ReportExtension>>,
}

impl VerifyOptions {
    /// What reading the document may cost.
    fn limits(&self) -> Limits {
        Limits {
            decoded_bytes: self.decoded_bytes.unwrap_or(DEFAULT_DECODED_BYTES),
            xref_entries: self.xref_entries.unwrap_or(DEFAULT_XREF_ENTRIES),
            objects: self.objects.unwrap_or(DEFAULT_OBJECTS),
        }
    }
}

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
    let budget = Budget::with_limits(opts.limits());
    // Encrypted documents are read decrypted with the empty user password (§7.6.4).
    let reader = match PdfReader::open_decrypting(input.clone(), budget.clone(), b"") {
        Ok(r) => Some(r),
        Err(crate::Error::NotPdf(m)) => return Err(VerifyError::NotPdf(m.to_string())),
        Err(crate::Error::Decryption(m)) => return Err(VerifyError::Encrypted(m)),
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
            &budget,
            &mut report,
        );
    }
    // Whatever was judged after a limit refused some work was judged on part of the document.
    if let Some(refusal) = budget.refusal() {
        return Err(VerifyError::TooCostly {
            what: refusal.what,
            limit: refusal.limit,
        });
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
    budget: &Budget,
    report: &mut Report,
) {
    let problems = &mut report.document_problems;
    if let Some(p) = revision_limit_problem(revisions) {
        problems.push(p);
        return;
    }
    if let Some(p) = structure_problem(input, revisions, file_len) {
        problems.push(p);
    }
    if let Some(p) = recovery_problem(input, revisions) {
        problems.push(p);
    }
    let last = revisions.len() - 1;
    let Ok(mut newest) = open_view(input, revisions, last, budget) else {
        problems.push("the newest revision cannot be read".into());
        return;
    };
    let found = signature::find_signatures(input, &mut newest, revisions, file_len, problems);
    if found.is_empty() {
        return;
    }
    let first = found
        .iter()
        .filter_map(|s| s.revision)
        .min()
        .unwrap_or(last);
    if let Some(p) = view_limit_problem(revisions, first, last) {
        problems.push(p);
        return;
    }
    let material = TrustMaterial::gather(&mut newest, opts);
    let mdp = MdpFacts::read(&mut newest, &found);
    drop(newest);
    let changes = analyse_changes(input, revisions, first, last, budget);
    let doc = DocumentFacts {
        input,
        file_len,
        changes: &changes,
        problems: &report.document_problems,
        trust: material.context(opts, at),
    };
    let (reports, doc_ts_proofs) = report_signatures(&doc, &found, &mdp);
    let dss_revisions = dss_revisions(&changes);
    // Pointers recovered as poppler recovers them: the verdict stands, with a note.
    let recovered: Vec<String> = revisions
        .iter()
        .flat_map(|rev| rev.recovered.iter())
        .map(|n| format!("broken cross-reference chain recovered: {n}"))
        .collect();
    for judged in reports {
        let mut r = judged.report;
        r.warnings.extend(recovered.iter().cloned());
        r.level = baseline_level(
            &r,
            &judged.proof,
            judged.later_poe,
            &dss_revisions,
            &doc_ts_proofs,
        );
        report.signatures.push(r);
    }
    report.extensions = extension_facts(&opts.extensions, &found, at);
}

/// A file with more revisions than [`MAX_REVISIONS`] is not analysed at all (fail closed).
fn revision_limit_problem(revisions: &[Revision]) -> Option<String> {
    (revisions.len() > MAX_REVISIONS).then(|| {
        format!(
            "the file has {} revisions, more than the {MAX_REVISIONS} this verifier analyses",
            revisions.len()
        )
    })
}

/// The change analysis opens two views per revision from the first signed one to the newest
/// (`last`); a file whose views would merge more than [`MAX_VIEW_ENTRIES`] cross-reference
/// entries is not analysed (fail closed).
fn view_limit_problem(revisions: &[Revision], first: usize, last: usize) -> Option<String> {
    let cost = view_cost(
        revisions,
        (first..=last).flat_map(|k| [k.saturating_sub(1), k]),
    );
    (cost > MAX_VIEW_ENTRIES).then(|| {
        format!(
            "the file is too large to analyse its changes ({cost} cross-reference entries over \
             its revisions; the limit is {MAX_VIEW_ENTRIES})"
        )
    })
}

/// Certificates, CRLs and OCSP responses for path validation beyond the trust anchors: the
/// caller's and those of the DSS (ETSI EN 319 142-1 §5.4.2). The DSS's own CRLs and OCSP
/// responses are also kept apart, to tell whether the file alone suffices (B-LT).
struct TrustMaterial {
    certificates: Vec<Certificate>,
    crls: Vec<Crl>,
    dss_crls: Vec<Crl>,
    ocsp: Vec<ParsedResponse>,
    dss_ocsp: Vec<ParsedResponse>,
}

impl TrustMaterial {
    fn gather<R: Read + Seek>(newest: &mut PdfReader<R>, opts: &VerifyOptions) -> Self {
        let dss = revocation::dss_material(newest);
        let mut certificates = dss.certificates;
        certificates.extend(opts.intermediates.iter().cloned());
        let mut crls = opts.crls.clone();
        crls.extend(dss.crls.iter().cloned());
        let mut ocsp = revocation::parse_all(&opts.ocsp_responses);
        ocsp.extend(dss.ocsp.iter().cloned());
        TrustMaterial {
            certificates,
            crls,
            dss_crls: dss.crls,
            ocsp,
            dss_ocsp: dss.ocsp,
        }
    }

    fn context<'a>(&'a self, opts: &'a VerifyOptions, at: SystemTime) -> TrustContext<'a> {
        TrustContext {
            anchors: &opts.trust_anchors,
            extra_certificates: &self.certificates,
            crls: &self.crls,
            dss_crls: &self.dss_crls,
            ocsp: &self.ocsp,
            dss_ocsp: &self.dss_ocsp,
            ocsp_fetch: opts.ocsp_fetch.as_ref(),
            online: opts.online.as_ref(),
            at,
        }
    }
}

/// The modification detection and prevention facts (ISO 32000-2 §12.8.2.2 DocMDP, §12.8.2.4
/// FieldMDP) of the signatures found, read through the newest revision.
struct MdpFacts {
    /// For each signature: its DocMDP `/P` if it certifies, and its field locks.
    per_signature: Vec<(Option<DocMdpPermission>, Vec<FieldLock>)>,
    /// (revision, P) of the document's certification signature.
    certification: Option<(usize, DocMdpPermission)>,
    /// The signature dictionary the catalog's `/Perms /DocMDP` points to.
    perms_docmdp: Option<ObjRef>,
}

impl MdpFacts {
    fn read<R: Read + Seek>(newest: &mut PdfReader<R>, found: &[FoundSignature]) -> Self {
        let per_signature: Vec<(Option<DocMdpPermission>, Vec<FieldLock>)> = found
            .iter()
            .map(|s| {
                let field_lock = match newest.get(s.field_ref) {
                    Ok(Object::Dict(d)) => d.get("Lock").and_then(|l| newest.resolve(l).ok()),
                    _ => None,
                };
                let lock_dict = field_lock.as_ref().and_then(Object::as_dict).cloned();
                let locks = field_locks(newest, &s.dict, lock_dict.as_ref());
                (DocMdpPermission::of_signature(newest, &s.dict), locks)
            })
            .collect();
        let certification = found
            .iter()
            .zip(&per_signature)
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
        MdpFacts {
            per_signature,
            certification,
            perms_docmdp,
        }
    }

    /// What the change analysis of signature `index` (of `found`) is judged against.
    fn of_signature<'a>(
        &self,
        found: &[FoundSignature],
        index: usize,
        locks: &'a [FieldLock],
    ) -> SignatureFacts<'a> {
        let sig = &found[index];
        let (level, _) = &self.per_signature[index];
        SignatureFacts {
            level: *level,
            certification: self.certification,
            locks,
            perms_docmdp_matches: level.is_none() || self.perms_docmdp == sig.sig_ref,
        }
    }

    /// FieldMDP locks of the signature in `revision` and of every earlier one: a later
    /// signature is bound by the locks already in force when it was made.
    fn locks_up_to(&self, found: &[FoundSignature], revision: Option<usize>) -> Vec<FieldLock> {
        found
            .iter()
            .zip(&self.per_signature)
            .filter(|(o, _)| o.revision.is_some() && o.revision <= revision)
            .flat_map(|(_, (_, l))| l.clone())
            .collect()
    }
}

/// The changes each revision after the first signed one makes to the one before it.
fn analyse_changes<R: Read + Seek + Clone>(
    input: &R,
    revisions: &[Revision],
    first: usize,
    last: usize,
    budget: &Budget,
) -> HashMap<usize, Vec<Change>> {
    ((first + 1)..=last)
        .map(|k| (k, changes::analyse_revision(input, revisions, k, budget)))
        .collect()
}

/// Revisions that add or extend the DSS.
fn dss_revisions(changes: &HashMap<usize, Vec<Change>>) -> Vec<usize> {
    changes
        .iter()
        .filter(|(_, chs)| {
            chs.iter()
                .any(|c| matches!(c.rule, Some((ChangeRule::AddDss, _))))
        })
        .map(|(k, _)| *k)
        .collect()
}

/// A signature's report before its baseline level is known, with what decides that level.
struct Judged {
    report: SignatureReport,
    proof: Proof,
    /// The proof of existence a later valid document timestamp gives.
    later_poe: Option<SystemTime>,
}

/// The judged signatures of `found`, in file order; and the proofs of the valid document
/// timestamps among them as (revision, time).
fn report_signatures<R: Read + Seek + Clone>(
    doc: &DocumentFacts<'_, R>,
    found: &[FoundSignature],
    mdp: &MdpFacts,
) -> (Vec<Judged>, Vec<(usize, SystemTime)>) {
    // Newest first: a document timestamp gives proof of existence to everything before it.
    let mut doc_ts_proofs: Vec<(usize, SystemTime)> = Vec::new();
    let mut reports = Vec::new();
    for (i, sig) in found.iter().enumerate().rev() {
        let later_poe = doc_ts_proofs
            .iter()
            .filter(|(rev, _)| sig.revision.is_some_and(|s| *rev > s))
            .map(|(_, t)| *t)
            .min();
        let locks = mdp.locks_up_to(found, sig.revision);
        let facts = mdp.of_signature(found, i, &locks);
        let (r, proof) = signature_report(doc, i, sig, &facts, later_poe);
        if let (SignatureKind::DocumentTimestamp, Some(t), Some(rev)) =
            (r.kind, proof.proven_time, sig.revision)
        {
            if r.indication == Indication::TotalPassed {
                doc_ts_proofs.push((rev, t));
            }
        }
        reports.push(Judged {
            report: r,
            proof,
            later_poe,
        });
    }
    reports.reverse();
    (reports, doc_ts_proofs)
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
    below_baseline: bool,
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
    if r.kind == SignatureKind::DocumentTimestamp
        || r.indication != Indication::TotalPassed
        || proof.below_baseline
    {
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

/// After a broken `startxref` or `/Prev` was recovered: readers that rebuild a broken chain
/// (poppler, Acrobat) take the last definition of each object in file order, so every object a
/// scan of the file finds must be where the recovered chain says; otherwise they would show
/// another document than the one judged here.
fn recovery_problem<R: Read + Seek + Clone>(input: &R, revisions: &[Revision]) -> Option<String> {
    if revisions.iter().all(|r| r.recovered.is_empty()) {
        return None;
    }
    let scanned = match crate::repair::open_repaired(input.clone()) {
        Ok(r) => r,
        Err(e) => {
            return Some(format!(
                "the cross-reference chain was recovered, and a scan of the file that would \
                 confirm it failed: {e}"
            ))
        }
    };
    let newest = |num: u32| revisions.iter().rev().find_map(|r| r.entry(num));
    for (num, entry) in scanned.object_numbers() {
        let XrefEntry::InFile { offset, gen } = entry else {
            continue;
        };
        match newest(num) {
            Some(XrefEntry::InFile { offset: o, gen: g }) if o == offset && g == gen => {}
            // Deleted objects and objects moved into object streams are found by the scan in
            // their old place; a rebuilding reader has them there too, but nothing refers to
            // them through the chain.
            Some(XrefEntry::Free { .. } | XrefEntry::InObjectStream { .. }) => {}
            _ => {
                return Some(format!(
                    "the cross-reference chain was recovered, but object {num} {gen} at byte \
                     {offset} is not where the recovered chain puts it: readers that rebuild \
                     the chain would show another document"
                ))
            }
        }
    }
    None
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
                "{} bytes after the last revision's %%EOF (from byte {end}) belong to no \
                 revision, so no signature covers the whole file (data appended after \
                 signing, or an update without valid cross-reference data)",
                file_len - end
            ));
        }
    }
    None
}

/// What every signature's report is judged with: the file, the changes of each revision after
/// the first signed one, the document's problems and the trust context.
struct DocumentFacts<'a, R> {
    input: &'a R,
    file_len: u64,
    changes: &'a HashMap<usize, Vec<Change>>,
    /// Problems of the whole document; each counts as a change no rule allows.
    problems: &'a [String],
    trust: TrustContext<'a>,
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

/// Validates signature `index` (ETSI EN 319 102-1 §5): its format, its container, and the
/// changes made after it; the failures found decide the indication.
fn signature_report<R: Read + Seek + Clone>(
    doc: &DocumentFacts<'_, R>,
    index: usize,
    sig: &FoundSignature,
    facts: &SignatureFacts<'_>,
    later_poe: Option<SystemTime>,
) -> (SignatureReport, Proof) {
    let mut r = report_skeleton(index, sig, facts.level, doc.file_len);
    let mut proof = Proof {
        proven_time: None,
        revocation_complete: false,
        below_baseline: false,
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
        let claimed_time = claimed_time(sig).and_then(parse_pdf_date);
        let out = crypto::check_contents(doc.input, sig, br, claimed_time, &doc.trust, later_poe);
        proof = apply_outcome(&mut r, out, &mut failures);
    }
    judge_changes(&mut r, sig.revision, facts, doc.changes);
    for p in doc.problems {
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
    pick_indication(&mut r, &failures);
    (r, proof)
}

/// The signing time the signature dictionary claims (`/M`), as written.
fn claimed_time(sig: &FoundSignature) -> Option<&[u8]> {
    sig.dict.get("M").and_then(Object::as_string)
}

/// The report of a signature as its dictionary describes it, before anything is checked:
/// kind, field, claimed signing time and what the byte range covers. It starts as
/// TOTAL-PASSED; the checks can only lower that.
fn report_skeleton(
    index: usize,
    sig: &FoundSignature,
    level: Option<DocMdpPermission>,
    file_len: u64,
) -> SignatureReport {
    let kind = if sig.is_doc_timestamp() {
        SignatureKind::DocumentTimestamp
    } else if level.is_some() {
        SignatureKind::Certification
    } else {
        SignatureKind::Approval
    };
    let claimed = claimed_time(sig);
    let end = sig
        .byte_range
        .map(|b| b.end)
        .or_else(|| sig.revision.map(|_| file_len))
        .unwrap_or(0);
    SignatureReport {
        index,
        field: sig.field_name.clone(),
        kind,
        certification_level: level,
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
            time: parse_pdf_date(m)
                .map(rfc3339)
                .unwrap_or_else(|| String::from_utf8_lossy(m).into_owned()),
            source: "claimed /M".into(),
        }),
        chain: Vec::new(),
        trust_anchor: None,
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
    }
}

/// Folds the outcome of the container check into the report: signer, path, algorithms,
/// timestamps and, when a timestamp proves it, the signing time. Returns what it proved.
fn apply_outcome(
    r: &mut SignatureReport,
    out: ValidationOutcome,
    failures: &mut Vec<SubIndication>,
) -> Proof {
    if let Some((sub, why)) = out.failure {
        failures.push(sub);
        r.reasons.push(why);
    }
    r.signer = out.signer;
    r.chain = out.chain;
    r.trust_anchor = out.trust_anchor;
    r.digest_algorithm = out.digest_algorithm;
    r.signature_algorithm = out.signature_algorithm;
    r.seal = out.seal;
    r.warnings.extend(out.warnings);
    let doc_ts = r.kind == SignatureKind::DocumentTimestamp;
    if let Some(t) = out.proven_time {
        r.signing_time = Some(SigningTime {
            time: rfc3339(t),
            source: if doc_ts {
                "timestamp".into()
            } else {
                "signature timestamp (proven)".into()
            },
        });
    } else if doc_ts {
        if let Some(t) = out.timestamps.first().and_then(|t| t.claimed_time.clone()) {
            r.signing_time = Some(SigningTime {
                time: t,
                source: "timestamp (not valid)".into(),
            });
        }
    }
    r.timestamps = out.timestamps;
    Proof {
        proven_time: out.proven_time,
        revocation_complete: out.revocation_complete,
        below_baseline: out.below_baseline,
    }
}

/// Sorts every change made after the signature's revision into allowed and disallowed: a
/// change is allowed when a [`ChangeRule`] covers it and the certification in force at that
/// revision (DocMDP) and the field locks (FieldMDP) permit what the rule needs.
fn judge_changes(
    r: &mut SignatureReport,
    signed_revision: Option<usize>,
    facts: &SignatureFacts<'_>,
    changes: &HashMap<usize, Vec<Change>>,
) {
    let Some(s) = signed_revision else {
        return;
    };
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

/// The indication from the failures found (ETSI TS 119 102-1 §5.1): TOTAL-FAILED outranks
/// INDETERMINATE; within each, the first found. No failure leaves TOTAL-PASSED.
fn pick_indication(r: &mut SignatureReport, failures: &[SubIndication]) {
    let pick = failures
        .iter()
        .find(|s| s.indication() == Indication::TotalFailed)
        .or(failures.first());
    if let Some(sub) = pick {
        r.indication = sub.indication();
        r.sub_indication = Some(*sub);
    }
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
