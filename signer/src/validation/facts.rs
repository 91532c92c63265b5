//! What a validation says about the signer, the certificate chain, the timestamps and the
//! GB/T 38540 seal, in the words of the `eseal-verify/1` report (the serde field names are its
//! JSON and must not change within schema version 1). Times are RFC 3339 in UTC.

use std::time::SystemTime;

use eseal_certs::{inspect, name, Certificate};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Who signed, from the signer certificate's subject.
#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    pub common_name: Option<String>,
    pub organization: Option<String>,
    /// Unified social credit code (GB 32100) from `organizationIdentifier`.
    pub uscc: Option<String>,
    pub subject: String,
    pub serial: String,
}

impl Signer {
    /// The facts of the signer certificate `cert`.
    pub fn of(cert: &Certificate) -> Signer {
        let subject = cert.tbs_certificate().subject();
        Signer {
            common_name: name::common_name(subject),
            organization: name::organization(subject),
            uscc: name::uscc(subject),
            subject: inspect::subject(cert),
            serial: inspect::serial_hex(cert),
        }
    }
}

/// One certificate of the chain.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateFacts {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// `good per CRL of <thisUpdate>`, `not checked`, `trust anchor`.
    pub revocation: String,
}

impl CertificateFacts {
    /// The facts of `cert`, with how its revocation was established.
    pub fn of(cert: &Certificate, revocation: String) -> CertificateFacts {
        CertificateFacts {
            subject: inspect::subject(cert),
            issuer: inspect::issuer(cert),
            serial: inspect::serial_hex(cert),
            not_before: rfc3339(inspect::not_before(cert)),
            not_after: rfc3339(inspect::not_after(cert)),
            revocation,
        }
    }
}

/// The trust anchor a certificate path ended at: `trust_anchor` in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorFacts {
    pub subject: String,
    /// SHA-256 of the anchor certificate's DER, lower-case hex.
    pub sha256: String,
    /// The name it was trusted under (a trusted list's `TSP name / service name`).
    pub label: Option<String>,
    /// The region it was trusted for (a trusted list's territory).
    pub region: Option<String>,
}

/// A timestamp token.
#[derive(Debug, Clone, Serialize)]
pub struct TimestampFacts {
    /// `signature-timestamp` or `document-timestamp`.
    pub kind: String,
    /// The time the token claims (genTime), if it could be read.
    pub claimed_time: Option<String>,
    /// What was checked and how it went.
    pub status: String,
    /// Imprint, TSA signature, TSA certificate (critical EKU timeStamping) and its path to a
    /// trust anchor all passed: the time is proven.
    pub valid: bool,
    /// Subject of the TSA certificate that signed the token, if found.
    pub tsa: Option<String>,
}

impl TimestampFacts {
    /// A token that proves nothing, and why.
    pub(crate) fn invalid(kind: &str, claimed_time: Option<String>, why: String) -> TimestampFacts {
        TimestampFacts {
            kind: kind.into(),
            claimed_time,
            status: format!("not valid: {why}"),
            valid: false,
            tsa: None,
        }
    }
}

/// The GB/T 38540 electronic seal inside a seal signature, and how its checks went.
#[derive(Debug, Clone, Serialize)]
pub struct SealFacts {
    /// `SES_ESPropertyInfo.name`.
    pub name: String,
    /// Seal type code (01 法定名称章 … 99 其他) and its name.
    pub seal_type: String,
    /// `esID`.
    pub id: String,
    /// GB/T 38540 version of the seal: 4, or 1 for GM/T 0031-2014.
    pub version: u8,
    /// Kind and value of the owner code bound into the seal, e.g. "unified social credit
    /// code 91350100M000100Y43".
    pub owner: Option<String>,
    pub valid_from: String,
    pub valid_until: String,
    /// Subject of the seal maker's (制章者) certificate.
    pub maker: Option<String>,
    /// Each step of GB/T 38540 §9 in the standard's order: `passed`, `FAILED: why` or
    /// `not checked: why`.
    pub checks: Vec<(String, String)>,
}

/// RFC 3339 in UTC, as the report writes times.
pub fn rfc3339(t: SystemTime) -> String {
    OffsetDateTime::from(t)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "(unrepresentable time)".into())
}
