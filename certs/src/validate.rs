//! Certification path validation (RFC 5280 §6) for chains of any algorithm `VerifyingKey`
//! checks (our P-256 and SM2; RSA, P-384/P-521, brainpool, Ed25519 from elsewhere; weak ones
//! are listed in [`ValidPath::weak_algorithms`]): path building from a pool of intermediates
//! to any of several trust anchors (one per region, for cross-region recognition), then
//! signatures, validity at a given time, name chaining, basicConstraints and
//! pathLenConstraint, keyUsage, extendedKeyUsage for the purpose, unknown critical
//! extensions, and revocation from CRLs and OCSP responses. Failures name the certificate and
//! the rule it broke.
//!
//! Policy processing and name constraints are not implemented; a certificate that marks
//! either critical is rejected as carrying an unknown critical extension (fail closed).

use std::time::SystemTime;

use const_oid::db::rfc5280;
use const_oid::ObjectIdentifier;
use der::Encode;
use x509_cert::ext::pkix::KeyUsages;
use x509_cert::Certificate;

use crate::crl::{self, Crl};
use crate::ocsp::{self, ParsedResponse};
use crate::oid::{
    OID_KP_DOCUMENT_SIGNING, OID_KP_EMAIL_PROTECTION, OID_KP_OCSP_SIGNING, OID_KP_TIME_STAMPING,
};
use crate::{inspect, name};

/// Deepest chain we try to build (root + intermediates + leaf).
const MAX_DEPTH: usize = 8;

/// anyExtendedKeyUsage (RFC 5280 §4.2.1.12).
const OID_ANY_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");
/// Adobe Authentic Documents Trust, still seen on document signers.
const OID_ADOBE_AUTHENTIC_DOCUMENTS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113583.1.1.5");
/// Microsoft Document Signing (szOID_KP_DOCUMENT_SIGNING), which Acrobat accepts for signers.
const OID_MS_DOCUMENT_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.10.3.12");

/// What the end-entity certificate is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Sealing documents: keyUsage digitalSignature or nonRepudiation; an EKU, if present,
    /// must allow document signing.
    DocumentSigning,
    /// RFC 3161 time-stamping: EKU timeStamping required.
    TimeStamping,
    /// OCSP response signing: EKU OCSPSigning required.
    OcspSigning,
    /// Chain checks only (e.g. `eseal cert verify` on a CA certificate).
    Any,
}

/// What the caller knows: where trust ends, what else may be in the chain, what the CAs say
/// about revocation, and the time the certificate must be valid at.
#[derive(Clone, Copy)]
pub struct Validation<'a> {
    pub anchors: &'a [Certificate],
    pub intermediates: &'a [Certificate],
    pub crls: &'a [Crl],
    /// OCSP responses, as revocation evidence next to the CRLs.
    pub ocsp: &'a [ParsedResponse],
    pub at: SystemTime,
    pub purpose: Purpose,
}

/// How the revocation status of one certificate on the path was established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevocationStatus {
    /// A CRL signed by the issuer does not list it (or lists it only after the time checked).
    GoodPerCrl { this_update: SystemTime },
    /// An OCSP response from the issuer (or its delegate) says good, or revoked only after
    /// the time checked.
    GoodPerOcsp {
        produced_at: SystemTime,
        responder: String,
    },
    /// No CRL or usable OCSP response from its issuer was given.
    NotChecked,
}

/// A path that passed: certificates from the end entity to the trust anchor.
#[derive(Clone, Debug)]
pub struct ValidPath {
    pub certificates: Vec<Certificate>,
    /// One per certificate except the anchor, in the same order.
    pub revocation: Vec<RevocationStatus>,
    /// Signatures on the path that verified but are too weak to rely on (SHA-1, RSA under
    /// 2048 bits; [`crate::policy`]), each naming the certificate. The anchor's own
    /// self-signature is not judged: an anchor is trusted by configuration (RFC 5280 §6.1).
    pub weak_algorithms: Vec<String>,
}

impl ValidPath {
    pub fn anchor(&self) -> &Certificate {
        // A path always holds at least the end entity and an anchor.
        &self.certificates[self.certificates.len() - 1]
    }
}

/// Why a path failed, and at which certificate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (certificate: {subject})")]
pub struct PathError {
    pub reason: PathFailure,
    /// Readable subject of the certificate the failure is about.
    pub subject: String,
    /// 0 = end entity, counting towards the anchor.
    pub depth: usize,
}

/// The rule a path broke, in words for a person.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathFailure {
    #[error(
        "no trust anchor reached: issuer '{0}' is neither a given intermediate nor a trust anchor"
    )]
    NoPathToAnchor(String),
    #[error("signature does not verify with the issuer's key")]
    BadSignature,
    #[error("signature algorithm {0} is not supported or does not match the issuer's key")]
    UnsupportedSignature(String),
    #[error("expired: not valid after {0}")]
    Expired(String),
    #[error("not yet valid: not valid before {0}")]
    NotYetValid(String),
    #[error("the issuer is not a CA (basicConstraints cA is not set)")]
    IssuerNotCa,
    #[error("the issuing CA's keyUsage does not allow keyCertSign")]
    IssuerCannotSignCertificates,
    #[error("pathLenConstraint {allowed} exceeded: {found} CA certificates below it")]
    PathLengthExceeded { allowed: u8, found: usize },
    #[error("revoked at {at} (reason: {reason})")]
    Revoked { at: String, reason: String },
    #[error("unknown critical extension {0}")]
    UnknownCriticalExtension(String),
    #[error("keyUsage does not allow signing (needs digitalSignature or nonRepudiation)")]
    KeyUsageForbidsSigning,
    #[error("extendedKeyUsage does not allow {0}")]
    ExtendedKeyUsageForbids(&'static str),
    #[error("the issuer's CRL is not signed by the issuer")]
    CrlBadSignature,
    #[error("unusable OCSP response about it: {0}")]
    OcspInvalid(String),
    #[error("the trust anchor is expired or not yet valid")]
    AnchorNotValid,
    #[error("malformed certificate: {0}")]
    Malformed(String),
}

/// Find a path from `leaf` to one of the anchors that passes every check.
pub fn validate(leaf: &Certificate, v: &Validation<'_>) -> Result<ValidPath, PathError> {
    let mut paths = Vec::new();
    let mut current = vec![leaf.clone()];
    let mut dead_end = None;
    build_paths(&mut current, v, &mut paths, &mut dead_end);
    if paths.is_empty() {
        return Err(dead_end.unwrap_or_else(|| PathError {
            reason: PathFailure::NoPathToAnchor(name::display(leaf.tbs_certificate().issuer())),
            subject: inspect::subject(leaf),
            depth: 0,
        }));
    }
    let mut first_error = None;
    for path in paths {
        match check_path(&path, v) {
            Ok(revocation) => {
                return Ok(ValidPath {
                    weak_algorithms: weak_signatures(&path),
                    certificates: path,
                    revocation,
                })
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| PathError {
        reason: PathFailure::NoPathToAnchor(String::new()),
        subject: inspect::subject(leaf),
        depth: 0,
    }))
}

/// The weak signatures on a checked path, from the end entity up (the anchor's excluded).
fn weak_signatures(path: &[Certificate]) -> Vec<String> {
    path.windows(2)
        .filter_map(|pair| {
            let key = inspect::verifying_key(&pair[1]).ok()?;
            let why = inspect::signature_weakness(pair[0].signature_algorithm(), &key)?;
            Some(format!(
                "certificate '{}' is signed with a weak algorithm: {why}",
                inspect::subject(&pair[0])
            ))
        })
        .collect()
}

/// Depth-first search for chains ending at an anchor; anchors are tried first.
fn build_paths(
    current: &mut Vec<Certificate>,
    v: &Validation<'_>,
    found: &mut Vec<Vec<Certificate>>,
    dead_end: &mut Option<PathError>,
) {
    let Some(last) = current.last().cloned() else {
        return;
    };
    for anchor in v.anchors {
        if anchor == &last {
            found.push(current.clone());
            return;
        }
    }
    for anchor in v.anchors.iter().filter(|a| issued(&last, a)) {
        let mut path = current.clone();
        path.push(anchor.clone());
        found.push(path);
    }
    if current.len() + 1 >= MAX_DEPTH {
        return;
    }
    let mut any = false;
    for ca in v.intermediates.iter().filter(|c| issued(&last, c)) {
        if current.contains(ca) || v.anchors.contains(ca) {
            continue;
        }
        any = true;
        current.push(ca.clone());
        build_paths(current, v, found, dead_end);
        current.pop();
    }
    if !any && found.is_empty() && dead_end.is_none() {
        *dead_end = Some(PathError {
            reason: PathFailure::NoPathToAnchor(name::display(last.tbs_certificate().issuer())),
            subject: inspect::subject(&last),
            depth: current.len() - 1,
        });
    }
}

/// Could `issuer` have issued `cert`? Names must chain; key identifiers must agree if both
/// are present.
fn issued(cert: &Certificate, issuer: &Certificate) -> bool {
    if !name::same_name(
        cert.tbs_certificate().issuer(),
        issuer.tbs_certificate().subject(),
    ) {
        return false;
    }
    match (
        inspect::authority_key_identifier(cert),
        inspect::subject_key_identifier(issuer),
    ) {
        (Some(aki), Some(ski)) => aki == ski,
        _ => true,
    }
}

fn check_path(
    path: &[Certificate],
    v: &Validation<'_>,
) -> Result<Vec<RevocationStatus>, PathError> {
    let n = path.len();
    let anchor = &path[n - 1];
    let fail = |reason: PathFailure, depth: usize| PathError {
        reason,
        subject: inspect::subject(&path[depth]),
        depth,
    };
    if v.at < inspect::not_before(anchor) || v.at > inspect::not_after(anchor) {
        return Err(fail(PathFailure::AnchorNotValid, n - 1));
    }
    let mut revocation = vec![RevocationStatus::NotChecked; n - 1];
    for i in (0..n - 1).rev() {
        let cert = &path[i];
        let issuer = &path[i + 1];
        check_signature(cert, issuer).map_err(|r| fail(r, i))?;
        check_validity(cert, v.at).map_err(|r| fail(r, i))?;
        check_issuer_is_ca(issuer, i).map_err(|r| fail(r, i + 1))?;
        check_critical_extensions(cert).map_err(|r| fail(r, i))?;
        revocation[i] = check_revocation(cert, issuer, v).map_err(|r| fail(r, i))?;
    }
    check_purpose(&path[0], v.purpose).map_err(|r| fail(r, 0))?;
    Ok(revocation)
}

fn check_signature(cert: &Certificate, issuer: &Certificate) -> Result<(), PathFailure> {
    let tbs = cert.tbs_certificate();
    if tbs.signature() != cert.signature_algorithm() {
        return Err(PathFailure::Malformed(
            "inner and outer signature algorithms differ".into(),
        ));
    }
    let key = inspect::verifying_key(issuer).map_err(|e| PathFailure::Malformed(e.to_string()))?;
    let der = tbs
        .to_der()
        .map_err(|e| PathFailure::Malformed(e.to_string()))?;
    match inspect::verify_signed_by(&der, cert.signature_algorithm(), cert.signature(), &key) {
        Ok(()) => Ok(()),
        Err(crate::Error::Unsupported { detail, .. }) => {
            Err(PathFailure::UnsupportedSignature(detail))
        }
        Err(_) => Err(PathFailure::BadSignature),
    }
}

fn check_validity(cert: &Certificate, at: SystemTime) -> Result<(), PathFailure> {
    let validity = cert.tbs_certificate().validity();
    if at < inspect::not_before(cert) {
        return Err(PathFailure::NotYetValid(validity.not_before.to_string()));
    }
    if at > inspect::not_after(cert) {
        return Err(PathFailure::Expired(validity.not_after.to_string()));
    }
    Ok(())
}

/// `below` = number of CA certificates between this issuer and the end entity.
fn check_issuer_is_ca(issuer: &Certificate, below: usize) -> Result<(), PathFailure> {
    let bc =
        inspect::basic_constraints(issuer).map_err(|e| PathFailure::Malformed(e.to_string()))?;
    let Some(bc) = bc.filter(|b| b.ca) else {
        return Err(PathFailure::IssuerNotCa);
    };
    match inspect::has_key_usage(issuer, KeyUsages::KeyCertSign) {
        Ok(Some(false)) => return Err(PathFailure::IssuerCannotSignCertificates),
        Err(e) => return Err(PathFailure::Malformed(e.to_string())),
        _ => {}
    }
    if let Some(allowed) = bc.path_len_constraint {
        if below > usize::from(allowed) {
            return Err(PathFailure::PathLengthExceeded {
                allowed,
                found: below,
            });
        }
    }
    Ok(())
}

/// Extensions this validator understands; any other critical one fails the path.
const UNDERSTOOD: [ObjectIdentifier; 9] = [
    rfc5280::ID_CE_BASIC_CONSTRAINTS,
    rfc5280::ID_CE_KEY_USAGE,
    rfc5280::ID_CE_EXT_KEY_USAGE,
    rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
    rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
    rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS,
    rfc5280::ID_CE_SUBJECT_ALT_NAME,
    rfc5280::ID_CE_ISSUER_ALT_NAME,
    rfc5280::ID_PE_AUTHORITY_INFO_ACCESS,
];

fn check_critical_extensions(cert: &Certificate) -> Result<(), PathFailure> {
    for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
        if ext.critical && !UNDERSTOOD.contains(&ext.extn_id) {
            return Err(PathFailure::UnknownCriticalExtension(
                ext.extn_id.to_string(),
            ));
        }
    }
    Ok(())
}

fn check_revocation(
    cert: &Certificate,
    issuer: &Certificate,
    v: &Validation<'_>,
) -> Result<RevocationStatus, PathFailure> {
    let issuer_name = issuer.tbs_certificate().subject();
    let mut status = RevocationStatus::NotChecked;
    for list in v
        .crls
        .iter()
        .filter(|c| name::same_name(&c.tbs_cert_list.issuer, issuer_name))
    {
        let key =
            inspect::verifying_key(issuer).map_err(|e| PathFailure::Malformed(e.to_string()))?;
        if crl::verify_crl_signature(list, &key).is_err() {
            return Err(PathFailure::CrlBadSignature);
        }
        if let Some((at, reason)) =
            crl::lookup(list, cert.tbs_certificate().serial_number().as_bytes())
        {
            if at <= v.at {
                return Err(revoked(at, Some(reason)));
            }
        }
        status = RevocationStatus::GoodPerCrl {
            this_update: list.tbs_cert_list.this_update.to_system_time(),
        };
    }
    for response in v.ocsp.iter().filter(|r| r.concerns_issuer(issuer)) {
        let checked = match response.status_for(cert, issuer) {
            Ok(c) => c,
            // About other certificates of the same issuer.
            Err(ocsp::OcspError::NoAnswer) => continue,
            Err(e) => return Err(PathFailure::OcspInvalid(e.to_string())),
        };
        // An answer that had expired before the time checked says nothing about it.
        let expired = checked
            .next_update
            .is_some_and(|n| n + ocsp::CLOCK_SKEW < v.at);
        match checked.status {
            ocsp::Status::Revoked { at, reason } if at <= v.at => {
                return Err(revoked(at, reason));
            }
            ocsp::Status::Unknown => {}
            _ if expired => {}
            _ => {
                status = RevocationStatus::GoodPerOcsp {
                    produced_at: checked.produced_at,
                    responder: checked.responder,
                }
            }
        }
    }
    Ok(status)
}

fn revoked(at: SystemTime, reason: Option<x509_cert::ext::pkix::crl::CrlReason>) -> PathFailure {
    PathFailure::Revoked {
        at: x509_cert::time::Time::try_from(at)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        reason: reason.map_or("unspecified", crl::reason_name).into(),
    }
}

fn check_purpose(leaf: &Certificate, purpose: Purpose) -> Result<(), PathFailure> {
    let malformed = |e: crate::Error| PathFailure::Malformed(e.to_string());
    let eku = inspect::extended_key_usage(leaf).map_err(malformed)?;
    let eku_allows = |wanted: &[ObjectIdentifier]| match &eku {
        None => false,
        Some(list) => list.iter().any(|o| wanted.contains(o)),
    };
    match purpose {
        Purpose::Any => Ok(()),
        Purpose::DocumentSigning => {
            if let Some(ku) = inspect::key_usage(leaf).map_err(malformed)? {
                if !ku.digital_signature() && !ku.non_repudiation() {
                    return Err(PathFailure::KeyUsageForbidsSigning);
                }
            }
            if eku.is_some()
                && !eku_allows(&[
                    OID_KP_DOCUMENT_SIGNING,
                    OID_KP_EMAIL_PROTECTION,
                    OID_ANY_EKU,
                    OID_ADOBE_AUTHENTIC_DOCUMENTS,
                    OID_MS_DOCUMENT_SIGNING,
                ])
            {
                return Err(PathFailure::ExtendedKeyUsageForbids("document signing"));
            }
            Ok(())
        }
        Purpose::TimeStamping => {
            if eku_allows(&[OID_KP_TIME_STAMPING]) {
                Ok(())
            } else {
                Err(PathFailure::ExtendedKeyUsageForbids("time-stamping"))
            }
        }
        Purpose::OcspSigning => {
            if eku_allows(&[OID_KP_OCSP_SIGNING]) {
                Ok(())
            } else {
                Err(PathFailure::ExtendedKeyUsageForbids("OCSP signing"))
            }
        }
    }
}
