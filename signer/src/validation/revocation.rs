//! Revocation evidence for validation (ETSI EN 319 102-1 §5.2.6): CRLs and OCSP responses a
//! CMS signature carries — `crls` of SignedData (RFC 5652 §10.2.1) and the
//! `adbe-revocationInfoArchival` signed attribute (ISO 32000-2 §12.8.3.3.2) —, responses the
//! caller gives, and — only when the caller provides a fetcher — fresh ones asked from the
//! responder URLs in the certificates (RFC 6960), restricted to an allow-list. Also: how a
//! certificate's revocation was established, in words, and whether the evidence was complete.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use der::{Decode, Encode, Sequence};
use eseal_certs::crl::Crl;
use eseal_certs::ocsp::{self, OcspRequest, ParsedResponse};
use eseal_certs::validate::{RevocationStatus, ValidPath};
use eseal_certs::{inspect, Certificate};

use super::facts::rfc3339;
use crate::cms::SignedCms;

/// adbe-revocationInfoArchival.
const OID_ADBE_REVOCATION: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113583.1.1.8");
/// Most OCSP responses read from one signature or document store.
pub const MAX_RESPONSES: usize = 1000;
/// A freshly fetched answer without nextUpdate is trusted for this long.
const FETCHED_MAX_AGE: Duration = Duration::from_secs(3600);

/// Sends a DER OCSPRequest to a responder URL and returns the DER OCSPResponse.
pub type FetchFn = dyn Fn(&str, &[u8]) -> Result<Vec<u8>, String> + Send + Sync;

/// Permission and means to ask OCSP responders during verification.
#[derive(Clone)]
pub struct OcspFetch {
    /// Responder URLs (or URL prefixes) that may be asked; a certificate's AIA URL outside
    /// this list is never contacted.
    pub allowed_urls: Vec<String>,
    pub fetch: Arc<FetchFn>,
}

impl OcspFetch {
    fn allows(&self, url: &str) -> bool {
        self.allowed_urls
            .iter()
            .any(|a| url.starts_with(a.as_str()))
    }
}

/// Decodes what can be decoded; unusable responses are simply not evidence.
pub fn parse_all(ders: &[Vec<u8>]) -> Vec<ParsedResponse> {
    ders.iter()
        .take(MAX_RESPONSES)
        .filter_map(|d| ParsedResponse::from_der(d).ok())
        .collect()
}

/// ```text
/// RevocationInfoArchival ::= SEQUENCE {
///     crl   [0] EXPLICIT SEQUENCE of CRLs OPTIONAL,
///     ocsp  [1] EXPLICIT SEQUENCE of OCSP Responses OPTIONAL,
///     otherRevInfo [2] EXPLICIT SEQUENCE of OtherRevInfo OPTIONAL }
/// ```
/// (ISO 32000-2 §12.8.3.3.2); only the OCSP part is used here.
#[derive(Sequence)]
struct RevocationInfoArchival {
    #[asn1(context_specific = "0", optional = "true")]
    crl: Option<Vec<der::Any>>,
    #[asn1(context_specific = "1", optional = "true")]
    ocsp: Option<Vec<der::Any>>,
    #[asn1(context_specific = "2", optional = "true")]
    other: Option<der::Any>,
}

/// OCSP responses in the signer's adbe-revocationInfoArchival signed attribute.
pub fn embedded_ocsp(cms: &SignedCms) -> Vec<ParsedResponse> {
    let Ok(signer) = cms.signer() else {
        return Vec::new();
    };
    signer
        .signed_attributes()
        .into_iter()
        .flat_map(|attrs| attrs.iter())
        .filter(|a| a.oid == OID_ADBE_REVOCATION)
        .flat_map(|a| a.values.iter())
        .filter_map(|v| v.to_der().ok())
        .filter_map(|d| RevocationInfoArchival::from_der(&d).ok())
        .flat_map(|r| r.ocsp.unwrap_or_default())
        .take(MAX_RESPONSES)
        .filter_map(|a| a.to_der().ok())
        .filter_map(|d| ParsedResponse::from_der(&d).ok())
        .collect()
}

/// The CRLs in SignedData `crls` (other revocation choices are skipped).
pub fn embedded_crls(cms: &SignedCms) -> Vec<Crl> {
    use cms::revocation::RevocationInfoChoice;
    cms.signed_data()
        .crls
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    RevocationInfoChoice::Crl(l) => Some(l.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asks the allowed responders about each certificate of `path` whose revocation is not yet
/// established; returns the responses that answer for it. What happened goes to `warnings`.
pub fn fetch_missing(
    fetch: &OcspFetch,
    path: &ValidPath,
    warnings: &mut Vec<String>,
) -> Vec<ParsedResponse> {
    let mut out = Vec::new();
    for (i, status) in path.revocation.iter().enumerate() {
        if *status != RevocationStatus::NotChecked {
            continue;
        }
        let (Some(cert), Some(issuer)) = (path.certificates.get(i), path.certificates.get(i + 1))
        else {
            continue;
        };
        match fetch_one(fetch, cert, issuer) {
            Ok(Some(r)) => out.push(r),
            Ok(None) => {}
            Err(why) => warnings.push(format!("OCSP for '{}': {why}", inspect::subject(cert))),
        }
    }
    out
}

fn fetch_one(
    fetch: &OcspFetch,
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<Option<ParsedResponse>, String> {
    let urls = ocsp::responder_urls(cert);
    let Some(url) = urls.iter().find(|u| fetch.allows(u)) else {
        return match urls.first() {
            Some(u) => Err(format!(
                "responder {u} is not in the allowed list; not asked"
            )),
            None => Ok(None),
        };
    };
    let request = OcspRequest::new(cert, issuer, true).map_err(|e| e.to_string())?;
    let der = (fetch.fetch)(url, &request.to_der().map_err(|e| e.to_string())?)?;
    let response = ParsedResponse::from_der(&der).map_err(|e| format!("{url}: {e}"))?;
    if response.nonce().is_some() && response.nonce() != request.nonce() {
        return Err(format!("{url}: {}", ocsp::OcspError::NonceMismatch));
    }
    // A just-fetched answer must be current now; path validation then judges it at `at`.
    response
        .check(cert, issuer, SystemTime::now(), FETCHED_MAX_AGE)
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(Some(response))
}

/// Whether every certificate of `path` below the anchor is known not to be revoked.
pub(crate) fn all_good(path: &ValidPath) -> bool {
    path.revocation.iter().all(|r| {
        matches!(
            r,
            RevocationStatus::GoodPerCrl { .. } | RevocationStatus::GoodPerOcsp { .. }
        )
    })
}

/// How a certificate's revocation was established, for the chain in the report; `None` is the
/// trust anchor.
pub(crate) fn revocation_text(r: Option<&RevocationStatus>) -> String {
    match r {
        Some(RevocationStatus::GoodPerCrl { this_update }) => {
            format!("good per CRL of {}", rfc3339(*this_update))
        }
        Some(RevocationStatus::GoodPerOcsp {
            produced_at,
            responder,
        }) => format!(
            "good per OCSP response of {} from {responder}",
            rfc3339(*produced_at)
        ),
        Some(RevocationStatus::NotChecked) => "not checked".to_string(),
        None => "trust anchor".to_string(),
    }
}
