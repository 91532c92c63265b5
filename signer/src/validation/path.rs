//! The signer's certificate path (RFC 5280 §6, ETSI EN 319 102-1 §5.2.6 X.509 certificate
//! validation) at the proof of existence when there is one, else at the validation time; the
//! sub-indication a path failure gives (ETSI TS 119 102-1 Table 5), with the REVOKED versus
//! REVOKED_NO_POE decision.

use std::time::SystemTime;

use eseal_certs::crl::{self, Crl};
use eseal_certs::ocsp::ParsedResponse;
use eseal_certs::validate::{
    validate, PathError, PathFailure, Purpose, RevocationStatus, ValidPath, Validation,
};
use eseal_certs::{inspect, name, Certificate};

use super::revocation::{self, all_good, revocation_text_from, FetchedEvidence};
use super::{CertificateFacts, SubIndication, TrustContext, ValidationOutcome};

/// Validates the path of `cert` at the proof of existence `poe` (never later than the
/// validation time) and records the chain, revocation completeness and any failure.
/// `claimed_time` is the signer's own claim, used only to tell REVOKED from REVOKED_NO_POE.
/// `crls` and `ocsp` are the context's (caller's and document store's) and the signature's own.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_path(
    cert: &Certificate,
    intermediates: &[Certificate],
    crls: &[Crl],
    ocsp: &[ParsedResponse],
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    poe: Option<SystemTime>,
    mut out: ValidationOutcome,
) -> ValidationOutcome {
    let anchors = ctx.anchor_certificates();
    let validation = Validation {
        anchors: &anchors,
        intermediates,
        crls,
        ocsp,
        at: ctx.path_time(poe),
        purpose: Purpose::DocumentSigning,
    };
    // With a POE, a revocation at or before it is proven to precede the signature.
    let claimed_time = poe.or(claimed_time);
    let (result, fetched) = validate_fetching(cert, &validation, ctx, &mut out.warnings);
    match result {
        Ok(path) => {
            out.revocation_complete = all_good(&path);
            out.trust_anchor = ctx.anchor_facts(path.anchor());
            let sources = Sources {
                crls,
                ocsp,
                ctx,
                fetched: &fetched,
            };
            chain_facts(&path, &sources, &mut out);
            // DSS chain constraints: a weak signature on the path (an anchor's own excepted).
            if !path.weak_algorithms.is_empty() {
                out = out.fail(
                    SubIndication::CryptoConstraintsFailure,
                    format!("certificate path: {}", path.weak_algorithms.join("; ")),
                );
            }
            // Asked for and not had: not a pass, and perhaps better later.
            let unknown = path.revocation.contains(&RevocationStatus::NotChecked);
            match fetched.unavailable.first() {
                Some(subject) if unknown => out.fail(
                    SubIndication::TryLater,
                    format!(
                        "the revocation of '{subject}' could not be fetched (see the warnings)"
                    ),
                ),
                _ => out,
            }
        }
        Err(e) => {
            out.chain.push(CertificateFacts::of(cert, "unknown".into()));
            let mut all_crls = crls.to_vec();
            all_crls.extend(fetched.crls.into_iter().map(|(c, _)| c));
            let sub = path_failure(cert, &all_crls, claimed_time, &e);
            out.fail(sub, format!("certificate path: {e}"))
        }
    }
}

/// Validates; when that leaves a revocation unknown and the caller allowed it, asks the
/// responders (the allowed ones, or with `--online` the certificates' own OCSP and CRL URLs)
/// once and validates again with their answers, which are returned with where they came from.
fn validate_fetching(
    cert: &Certificate,
    validation: &Validation<'_>,
    ctx: &TrustContext<'_>,
    warnings: &mut Vec<String>,
) -> (Result<ValidPath, PathError>, FetchedEvidence) {
    let result = validate(cert, validation);
    let Ok(path) = &result else {
        return (result, FetchedEvidence::default());
    };
    let mut fetched = FetchedEvidence::default();
    if let Some(online) = ctx.online {
        fetched = revocation::fetch_online(online, path, warnings);
    } else if let Some(fetch) = ctx.ocsp_fetch {
        fetched.ocsp = revocation::fetch_missing(fetch, path, warnings)
            .into_iter()
            .map(|r| (r, "fetched from its responder".to_string()))
            .collect();
    }
    if fetched.is_empty() {
        return (result, fetched);
    }
    let mut crls = validation.crls.to_vec();
    crls.extend(fetched.crls.iter().map(|(c, _)| c.clone()));
    let mut ocsp = validation.ocsp.to_vec();
    ocsp.extend(fetched.ocsp.iter().map(|(r, _)| r.clone()));
    let again = validate(
        cert,
        &Validation {
            crls: &crls,
            ocsp: &ocsp,
            ..*validation
        },
    );
    (again, fetched)
}

/// Where the evidence a path was checked with came from.
struct Sources<'a> {
    /// The context's (caller's and document store's) CRLs and the signature's own.
    crls: &'a [Crl],
    ocsp: &'a [ParsedResponse],
    ctx: &'a TrustContext<'a>,
    fetched: &'a FetchedEvidence,
}

impl Sources<'_> {
    /// Where the evidence that established `status` for `cert` (issued by `issuer`) came
    /// from: the last matching piece, as path validation uses the last one.
    fn of(
        &self,
        status: &RevocationStatus,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Option<String> {
        match status {
            RevocationStatus::GoodPerCrl { this_update } => {
                let matches = |c: &Crl| {
                    name::same_name(&c.tbs_cert_list.issuer, issuer.tbs_certificate().subject())
                        && c.tbs_cert_list.this_update.to_system_time() == *this_update
                };
                if let Some((_, o)) = self.fetched.crls.iter().rev().find(|(c, _)| matches(c)) {
                    return Some(o.clone());
                }
                let c = self.crls.iter().rev().find(|c| matches(c))?;
                Some(place(
                    self.ctx.dss_crls.contains(c),
                    self.ctx.crls.contains(c),
                ))
            }
            RevocationStatus::GoodPerOcsp { produced_at, .. } => {
                let matches = |r: &ParsedResponse| {
                    r.produced_at() == *produced_at && r.status_for(cert, issuer).is_ok()
                };
                if let Some((_, o)) = self.fetched.ocsp.iter().rev().find(|(r, _)| matches(r)) {
                    return Some(o.clone());
                }
                let r = self.ocsp.iter().rev().find(|r| matches(r))?;
                Some(place(
                    self.ctx.dss_ocsp.contains(r),
                    self.ctx.ocsp.contains(r),
                ))
            }
            RevocationStatus::NotChecked => None,
        }
    }
}

/// Evidence not fetched: the document store's, the caller's (the rest of the context), or
/// else the signature's own.
fn place(in_dss: bool, in_context: bool) -> String {
    if in_dss {
        "from the document's DSS".to_string()
    } else if in_context {
        "given by the caller".to_string()
    } else {
        "embedded in the CMS".to_string()
    }
}

/// The chain of a valid path, signer first, each with how its revocation was established; a
/// certificate whose revocation was not checked is also a warning.
fn chain_facts(path: &ValidPath, sources: &Sources<'_>, out: &mut ValidationOutcome) {
    let n = path.certificates.len();
    for (i, c) in path.certificates.iter().enumerate() {
        let revocation = match path.revocation.get(i) {
            Some(RevocationStatus::NotChecked) => {
                out.warnings.push(format!(
                    "revocation of '{}' not checked: no CRL or OCSP response from its issuer \
                     was given or embedded",
                    inspect::subject(c)
                ));
                "not checked".to_string()
            }
            Some(r) => match path.certificates.get(i + 1) {
                Some(issuer) => revocation_text_from(r, sources.of(r, c, issuer).as_deref()),
                None => revocation_text_from(r, None),
            },
            None if i + 1 == n => "trust anchor".to_string(),
            None => "not checked".to_string(),
        };
        out.chain.push(CertificateFacts::of(c, revocation));
    }
}

/// The sub-indication of a signer path that failed to validate.
fn path_failure(
    cert: &Certificate,
    crls: &[Crl],
    claimed_time: Option<SystemTime>,
    e: &PathError,
) -> SubIndication {
    match &e.reason {
        PathFailure::NoPathToAnchor(_) => SubIndication::NoCertificateChainFound,
        PathFailure::Revoked { .. } => revoked_sub(cert, crls, e.depth, claimed_time),
        PathFailure::Expired(_) | PathFailure::NotYetValid(_) => SubIndication::OutOfBoundsNoPoe,
        PathFailure::KeyUsageForbidsSigning | PathFailure::ExtendedKeyUsageForbids(_) => {
            SubIndication::ChainConstraintsFailure
        }
        PathFailure::UnsupportedSignature(_) => SubIndication::CryptoConstraintsFailure,
        _ => SubIndication::CertificateChainGeneralFailure,
    }
}

/// REVOKED when the signer's own claimed time is after the revocation, else REVOKED_NO_POE.
fn revoked_sub(
    cert: &Certificate,
    crls: &[Crl],
    depth: usize,
    claimed_time: Option<SystemTime>,
) -> SubIndication {
    if depth != 0 {
        return SubIndication::RevokedNoPoe;
    }
    let issuer = cert.tbs_certificate().issuer();
    let serial = cert.tbs_certificate().serial_number().as_bytes();
    let revoked_at = crls
        .iter()
        .filter(|c| name::same_name(&c.tbs_cert_list.issuer, issuer))
        .filter_map(|c| crl::lookup(c, serial))
        .map(|(t, _)| t)
        .min();
    match (revoked_at, claimed_time) {
        (Some(r), Some(m)) if r <= m => SubIndication::Revoked,
        _ => SubIndication::RevokedNoPoe,
    }
}
