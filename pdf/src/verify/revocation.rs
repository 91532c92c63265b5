//! OCSP evidence for the verifier: responses the caller gives, those in the DSS `/OCSPs`
//! (ETSI EN 319 142-1 §5.4.2), those in a signature's `adbe-revocationInfoArchival` signed
//! attribute (ISO 32000-2 §12.8.3.3.2), and — only when the caller provides a fetcher — fresh
//! ones asked from the responder URLs in the certificates, restricted to an allow-list.

use std::io::{Read, Seek};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use der::{Decode, Encode, Sequence};
use eseal_certs::ocsp::{self, OcspRequest, ParsedResponse};
use eseal_certs::validate::{RevocationStatus, ValidPath};
use eseal_certs::{inspect, Certificate};
use eseal_signer::cms::SignedCms;

use crate::object::Object;
use crate::reader::PdfReader;

/// adbe-revocationInfoArchival.
const OID_ADBE_REVOCATION: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113583.1.1.8");
/// Most OCSP responses read from one DSS or signature.
const MAX_RESPONSES: usize = 1000;
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

/// OCSP responses in the catalog's `/DSS /OCSPs`.
pub fn dss_ocsp<R: Read + Seek>(reader: &mut PdfReader<R>) -> Vec<ParsedResponse> {
    let Some(dss) = reader
        .catalog()
        .ok()
        .and_then(|c| c.get("DSS").cloned())
        .and_then(|d| reader.resolve(&d).ok())
        .and_then(|d| d.as_dict().cloned())
    else {
        return Vec::new();
    };
    let Some(Ok(Object::Array(items))) = dss.get("OCSPs").map(|a| reader.resolve(a)) else {
        return Vec::new();
    };
    items
        .iter()
        .take(MAX_RESPONSES)
        .filter_map(|i| match reader.resolve(i) {
            Ok(Object::Stream(s)) => reader.stream_decoded(&s).ok(),
            _ => None,
        })
        .filter_map(|d| ParsedResponse::from_der(&d).ok())
        .collect()
}

/// `RevocationInfoArchival` (ISO 32000-2 §12.8.3.3.2); only the OCSP part is used here.
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
