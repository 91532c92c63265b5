//! The signer's certificate path (RFC 5280 §6, ETSI EN 319 102-1 §5.2.6 X.509 certificate
//! validation) at the proof of existence when there is one, else at the validation time; the
//! sub-indication a path failure gives (ETSI TS 119 102-1 Table 5), with the REVOKED versus
//! REVOKED_NO_POE decision.

use std::time::SystemTime;

use eseal_certs::crl::{self, Crl};
use eseal_certs::validate::{
    validate, PathError, PathFailure, Purpose, RevocationStatus, ValidPath, Validation,
};
use eseal_certs::{inspect, name, Certificate};

use super::revocation::{self, all_good, revocation_text};
use super::{CertificateFacts, SubIndication, TrustContext, ValidationOutcome};

/// Validates the path of `cert` at the proof of existence `poe` (never later than the
/// validation time) and records the chain, revocation completeness and any failure.
/// `claimed_time` is the signer's own claim, used only to tell REVOKED from REVOKED_NO_POE.
pub(crate) fn check_path(
    cert: &Certificate,
    intermediates: &[Certificate],
    crls: &[Crl],
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
        ocsp: ctx.ocsp,
        at: ctx.path_time(poe),
        purpose: Purpose::DocumentSigning,
    };
    // With a POE, a revocation at or before it is proven to precede the signature.
    let claimed_time = poe.or(claimed_time);
    match validate_fetching(cert, &validation, ctx, &mut out.warnings) {
        Ok(path) => {
            out.revocation_complete = all_good(&path);
            out.trust_anchor = ctx.anchor_facts(path.anchor());
            chain_facts(&path, &mut out);
            // DSS chain constraints: a weak signature on the path (an anchor's own excepted).
            match path.weak_algorithms.is_empty() {
                true => out,
                false => out.fail(
                    SubIndication::CryptoConstraintsFailure,
                    format!("certificate path: {}", path.weak_algorithms.join("; ")),
                ),
            }
        }
        Err(e) => {
            out.chain.push(CertificateFacts::of(cert, "unknown".into()));
            let sub = path_failure(cert, crls, claimed_time, &e);
            out.fail(sub, format!("certificate path: {e}"))
        }
    }
}

/// Validates; when that leaves a revocation unknown and the caller allowed it, asks the
/// responders once and validates again with their answers.
fn validate_fetching(
    cert: &Certificate,
    validation: &Validation<'_>,
    ctx: &TrustContext<'_>,
    warnings: &mut Vec<String>,
) -> Result<ValidPath, PathError> {
    let result = validate(cert, validation);
    let fetched = match (&result, ctx.ocsp_fetch) {
        (Ok(path), Some(fetch)) => revocation::fetch_missing(fetch, path, warnings),
        _ => Vec::new(),
    };
    if fetched.is_empty() {
        return result;
    }
    let mut ocsp = ctx.ocsp.to_vec();
    ocsp.extend(fetched);
    validate(
        cert,
        &Validation {
            ocsp: &ocsp,
            ..*validation
        },
    )
}

/// The chain of a valid path, signer first, each with how its revocation was established; a
/// certificate whose revocation was not checked is also a warning.
fn chain_facts(path: &ValidPath, out: &mut ValidationOutcome) {
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
            r @ Some(_) => revocation_text(r),
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
