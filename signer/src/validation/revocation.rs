//! Revocation evidence for validation (ETSI EN 319 102-1 §5.2.6): CRLs and OCSP responses a
//! CMS signature carries — `crls` of SignedData (RFC 5652 §10.2.1; CRLs, and OCSP responses
//! as RFC 5940 puts them there) and the
//! `adbe-revocationInfoArchival` signed attribute (ISO 32000-2 §12.8.3.3.2) —, responses the
//! caller gives, and — only when the caller provides a fetcher — fresh ones asked from the
//! responder URLs in the certificates (RFC 6960), restricted to an allow-list ([`OcspFetch`]),
//! or OCSP answers and CRLs from any http(s) URL the certificates name ([`OnlineFetch`], with
//! every answer checked before use). Also: how a certificate's revocation was established and
//! where that evidence came from, in words, and whether the evidence was complete.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use der::{Decode, Encode, Sequence};
use eseal_certs::crl::Crl;
use eseal_certs::ocsp::{self, OcspRequest, ParsedResponse};
use eseal_certs::validate::{RevocationStatus, ValidPath};
use eseal_certs::{inspect, Certificate};

use super::facts::rfc3339;
use crate::cms::SignedCms;

/// id-ri-ocsp-response (RFC 5940 §4.1): an OCSPResponse in SignedData `crls`.
const ID_RI_OCSP_RESPONSE: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2");
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
/// (ISO 32000-2 §12.8.3.3.2); the CRL and OCSP parts are read.
#[derive(Sequence)]
struct RevocationInfoArchival {
    #[asn1(context_specific = "0", optional = "true")]
    crl: Option<Vec<der::Any>>,
    #[asn1(context_specific = "1", optional = "true")]
    ocsp: Option<Vec<der::Any>>,
    #[asn1(context_specific = "2", optional = "true")]
    other: Option<der::Any>,
}

/// OCSP responses the CMS carries: in the signer's adbe-revocationInfoArchival signed
/// attribute, and in SignedData `crls` as `id-ri-ocsp-response` (RFC 5940).
pub fn embedded_ocsp(cms: &SignedCms) -> Vec<ParsedResponse> {
    let in_crls = cms
        .other_revocation()
        .iter()
        .filter(|r| r.format == ID_RI_OCSP_RESPONSE)
        .take(MAX_RESPONSES)
        .filter_map(|r| ParsedResponse::from_der(&r.der).ok());
    let mut out: Vec<ParsedResponse> = in_crls.collect();
    out.extend(archived_ocsp(cms));
    out.truncate(MAX_RESPONSES);
    out
}

/// The signer's adbe-revocationInfoArchival signed attributes (Acrobat puts the CRLs and
/// OCSP responses it fetched at signing time there).
fn archived(cms: &SignedCms) -> Vec<RevocationInfoArchival> {
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
        .collect()
}

/// OCSP responses in the signer's adbe-revocationInfoArchival signed attribute.
fn archived_ocsp(cms: &SignedCms) -> Vec<ParsedResponse> {
    archived(cms)
        .into_iter()
        .flat_map(|r| r.ocsp.unwrap_or_default())
        .take(MAX_RESPONSES)
        .filter_map(|a| a.to_der().ok())
        .filter_map(|d| ParsedResponse::from_der(&d).ok())
        .collect()
}

/// The CRLs in SignedData `crls` (other revocation choices are skipped) and in the signer's
/// adbe-revocationInfoArchival attribute.
pub fn embedded_crls(cms: &SignedCms) -> Vec<Crl> {
    use cms::revocation::RevocationInfoChoice;
    let mut out: Vec<Crl> = cms
        .signed_data()
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
        .unwrap_or_default();
    out.extend(
        archived(cms)
            .into_iter()
            .flat_map(|r| r.crl.unwrap_or_default())
            .take(MAX_RESPONSES)
            .filter_map(|a| a.to_der().ok())
            .filter_map(|d| Crl::from_der(&d).ok()),
    );
    out
}

/// Asks the allowed responders about each certificate of `path` whose revocation is not yet
/// established; returns the responses that answer for it. What happened goes to `warnings`.
pub fn fetch_missing(
    fetch: &OcspFetch,
    path: &ValidPath,
    warnings: &mut Vec<String>,
) -> Vec<ParsedResponse> {
    let mut out = Vec::new();
    for (cert, issuer) in unchecked(path) {
        match fetch_one(fetch, cert, issuer) {
            Ok(Some(r)) => out.push(r),
            Ok(None) => {}
            Err(why) => warnings.push(format!("OCSP for '{}': {why}", inspect::subject(cert))),
        }
    }
    out
}

/// Each certificate of `path` whose revocation is not yet established, with its issuer.
fn unchecked(path: &ValidPath) -> impl Iterator<Item = (&Certificate, &Certificate)> {
    path.revocation
        .iter()
        .enumerate()
        .filter(|(_, status)| **status == RevocationStatus::NotChecked)
        .filter_map(|(i, _)| Some((path.certificates.get(i)?, path.certificates.get(i + 1)?)))
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

/// What an online fetcher returns: the answer's body, and whether it was read from a local
/// cache instead of the network.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub cached: bool,
}

/// GETs a CRL from a distribution point URL; given the issuer the CRL must come from, so that
/// a cache keeps only what [`check_fetched_crl`] accepts.
pub type CrlGetFn = dyn Fn(&str, &Certificate) -> Result<Fetched, String> + Send + Sync;
/// POSTs a DER OCSPRequest to a responder URL and returns the DER OCSPResponse; given the
/// certificate asked about and its issuer, so that a cache keeps only what
/// [`check_fetched_ocsp`] accepts.
pub type OcspPostFn =
    dyn Fn(&str, &[u8], &Certificate, &Certificate) -> Result<Fetched, String> + Send + Sync;

/// Permission and means to fetch revocation evidence from the URLs the certificates
/// themselves name — AIA OCSP responders (RFC 6960), CRL distribution points (RFC 5280
/// §4.2.1.13) — for certificates whose revocation the other evidence leaves unknown. The
/// caller does the I/O (this crate does none); every answer is checked here before use.
#[derive(Clone)]
pub struct OnlineFetch {
    pub crl: Arc<CrlGetFn>,
    pub ocsp: Arc<OcspPostFn>,
}

/// Evidence fetched online, each piece with where it came from (`fetched from URL`, `read
/// from cache (URL)`), for the report.
#[derive(Default)]
pub struct FetchedEvidence {
    pub crls: Vec<(Crl, String)>,
    pub ocsp: Vec<(ParsedResponse, String)>,
    /// Certificates whose URLs were asked and gave nothing usable.
    pub unavailable: Vec<String>,
}

impl FetchedEvidence {
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty() && self.ocsp.is_empty()
    }
}

/// For each certificate of `path` whose revocation is not yet established: asks its OCSP
/// responders, then, failing that, its CRL distribution points. Only http and https URLs are
/// used. Answers that are not what was asked for (not DER, another issuer, a bad signature,
/// out of date) are dropped with a warning; so are network failures.
pub fn fetch_online(
    online: &OnlineFetch,
    path: &ValidPath,
    warnings: &mut Vec<String>,
) -> FetchedEvidence {
    let now = SystemTime::now();
    let mut out = FetchedEvidence::default();
    for (cert, issuer) in unchecked(path) {
        let subject = inspect::subject(cert);
        let mut asked = false;
        let mut found = false;
        for url in ocsp::responder_urls(cert).iter().filter(|u| web_url(u)) {
            asked = true;
            match online_ocsp(online, url, cert, issuer, now) {
                Ok(r) => {
                    out.ocsp.push(r);
                    found = true;
                    break;
                }
                Err(why) => warnings.push(format!("OCSP for '{subject}': {url}: {why}")),
            }
        }
        let crl_urls = if found { Vec::new() } else { crl_urls(cert) };
        for url in crl_urls.iter().filter(|u| web_url(u)) {
            asked = true;
            match online_crl(online, url, issuer, now) {
                Ok(c) => {
                    out.crls.push(c);
                    found = true;
                    break;
                }
                Err(why) => warnings.push(format!("CRL for '{subject}': {url}: {why}")),
            }
        }
        if asked && !found {
            out.unavailable.push(subject);
        }
    }
    out
}

fn web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn origin(url: &str, cached: bool) -> String {
    if cached {
        format!("read from cache (fetched from {url})")
    } else {
        format!("fetched from {url}")
    }
}

fn online_ocsp(
    online: &OnlineFetch,
    url: &str,
    cert: &Certificate,
    issuer: &Certificate,
    now: SystemTime,
) -> Result<(ParsedResponse, String), String> {
    let request = OcspRequest::new(cert, issuer, true).map_err(|e| e.to_string())?;
    let der = request.to_der().map_err(|e| e.to_string())?;
    let got = (online.ocsp)(url, &der, cert, issuer)?;
    let response = check_fetched_ocsp(&got.body, cert, issuer, now)?;
    // A cached answer was asked with another request's nonce.
    if !got.cached && response.nonce().is_some() && response.nonce() != request.nonce() {
        return Err(ocsp::OcspError::NonceMismatch.to_string());
    }
    Ok((response, origin(url, got.cached)))
}

/// A fetched OCSP answer is used only when it answers for `cert`, is signed by its issuer or
/// the issuer's delegate, and is current now (path validation then judges it at the
/// validation time).
pub fn check_fetched_ocsp(
    body: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    now: SystemTime,
) -> Result<ParsedResponse, String> {
    let response =
        ParsedResponse::from_der(body).map_err(|e| format!("not a usable OCSP response: {e}"))?;
    response
        .check(cert, issuer, now, FETCHED_MAX_AGE)
        .map_err(|e| e.to_string())?;
    Ok(response)
}

fn online_crl(
    online: &OnlineFetch,
    url: &str,
    issuer: &Certificate,
    now: SystemTime,
) -> Result<(Crl, String), String> {
    let got = (online.crl)(url, issuer)?;
    let crl = check_fetched_crl(&got.body, issuer, now)?;
    Ok((crl, origin(url, got.cached)))
}

/// A fetched CRL (DER or PEM) is used only when its issuer signed it and it is current now.
pub fn check_fetched_crl(
    body: &[u8],
    issuer: &Certificate,
    now: SystemTime,
) -> Result<Crl, String> {
    let crl = eseal_certs::crl::crls_from_bytes(body)
        .ok()
        .and_then(|v| v.into_iter().next())
        .ok_or("the answer is not a CRL")?;
    let tbs = &crl.tbs_cert_list;
    if !eseal_certs::name::same_name(&tbs.issuer, issuer.tbs_certificate().subject()) {
        return Err(format!(
            "the CRL is issued by '{}', not by '{}'",
            tbs.issuer,
            inspect::subject(issuer)
        ));
    }
    let key = inspect::verifying_key(issuer).map_err(|e| e.to_string())?;
    eseal_certs::crl::verify_crl_signature(&crl, &key)
        .map_err(|_| "the CRL's signature does not verify with its issuer's key".to_string())?;
    let this_update = tbs.this_update.to_system_time();
    if this_update > now + ocsp::CLOCK_SKEW {
        return Err(format!(
            "the CRL's thisUpdate {} is in the future",
            rfc3339(this_update)
        ));
    }
    let stale = match tbs.next_update {
        Some(n) => n.to_system_time() + ocsp::CLOCK_SKEW < now,
        None => this_update + FETCHED_MAX_AGE < now,
    };
    if stale {
        return Err(format!(
            "the CRL of {} is out of date (nextUpdate passed)",
            rfc3339(this_update)
        ));
    }
    Ok(crl)
}

/// CRL distribution point URLs (full names, URIs only) named in a certificate.
pub fn crl_urls(cert: &Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
    use x509_cert::ext::pkix::CrlDistributionPoints;
    let Ok(Some((_, dps))) = inspect::extension::<CrlDistributionPoints>(cert, OID_CRL_DP) else {
        return Vec::new();
    };
    dps.0
        .iter()
        .filter_map(|dp| match &dp.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            _ => None,
        })
        .collect()
}

/// id-ce-cRLDistributionPoints (RFC 5280 §4.2.1.13).
const OID_CRL_DP: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.31");

/// How a certificate's revocation was established and where that evidence came from, for the
/// chain in the report.
pub(crate) fn revocation_text_from(r: &RevocationStatus, source: Option<&str>) -> String {
    let text = revocation_text(Some(r));
    match source {
        Some(s) => format!("{text}, {s}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use der::Encode;
    use eseal_certs::ocsp::{Answer, CertId, Responder, Status};
    use eseal_certs::testing::TestPki;
    use eseal_certs::Algorithm;

    use super::*;
    use crate::cms::{sign_detached, SignOptions};
    use crate::tlv::{children, expect, wrap, CONTEXT_0, CONTEXT_1, OID, SEQUENCE};

    /// The CMS with a `crls` field holding `entries` (each a whole RevocationInfoChoice)
    /// before signerInfos.
    fn with_crls(cms: &[u8], entries: &[Vec<u8>]) -> Vec<u8> {
        let (ci, _) = expect(cms, SEQUENCE, "ci").unwrap();
        let (oid, rest) = expect(ci.value, OID, "oid").unwrap();
        let (explicit, _) = expect(rest, CONTEXT_0, "content").unwrap();
        let (sd, _) = expect(explicit.value, SEQUENCE, "sd").unwrap();
        let fields = children(sd.value, "fields").unwrap();
        let (last, before) = fields.split_last().unwrap();
        let mut body: Vec<u8> = before.iter().flat_map(|f| f.raw.to_vec()).collect();
        body.extend(wrap(CONTEXT_1, &entries.concat()));
        body.extend_from_slice(last.raw);
        let mut out = oid.raw.to_vec();
        out.extend(wrap(CONTEXT_0, &wrap(SEQUENCE, &body)));
        wrap(SEQUENCE, &out)
    }

    #[test]
    fn ocsp_responses_in_the_crls_field_are_evidence() {
        let p = TestPki::new(Algorithm::P256).unwrap();
        let now = SystemTime::now();
        let content_digest = Algorithm::P256.digest().hash(b"content");
        let cms = sign_detached(
            &p.leaf_key,
            &p.leaf,
            std::slice::from_ref(&p.intermediate),
            &content_digest,
            &SignOptions::default(),
        )
        .unwrap();
        let ocsp = ocsp::sign_response(
            &Responder {
                certificate: &p.intermediate,
                key: &p.intermediate_key,
            },
            &[Answer {
                cert_id: CertId::new(&p.leaf, &p.intermediate).unwrap(),
                status: Status::Good,
                this_update: now - Duration::from_secs(30),
                next_update: Some(now + Duration::from_secs(3600)),
            }],
            None,
            now,
        )
        .unwrap();
        let crl = eseal_certs::crl::crl_to_der(&p.intermediate_crl(&[]).unwrap()).unwrap();
        let mut other = ID_RI_OCSP_RESPONSE.to_der().unwrap();
        other.extend(&ocsp);
        // RFC 5940 §4.1: other [1] { id-ri-ocsp-response, OCSPResponse }, next to a CRL and
        // to an entry of a format we do not know.
        let mut unknown = der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.9")
            .to_der()
            .unwrap();
        unknown.extend([0x05, 0x00]);
        let with = with_crls(&cms, &[wrap(0xA1, &other), crl, wrap(0xA1, &unknown)]);
        let parsed = SignedCms::parse(&with).unwrap();
        parsed.verify_detached(&content_digest).unwrap();
        assert_eq!(parsed.other_revocation().len(), 2);
        assert_eq!(embedded_crls(&parsed).len(), 1);
        let found = embedded_ocsp(&parsed);
        assert_eq!(found.len(), 1);
        assert!(found[0].concerns_issuer(&p.intermediate));
        // Without it, there is none.
        assert!(embedded_ocsp(&SignedCms::parse(&cms).unwrap()).is_empty());
    }
}
