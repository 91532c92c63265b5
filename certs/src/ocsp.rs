//! OCSP (RFC 6960, with the RFC 5019 profile's SHA-1 CertIDs): requests, signed responses
//! from a CA or its delegated responder, and checking a response about one certificate.
//!
//! RustCrypto's `x509-ocsp` stops at der 0.7 / x509-cert 0.2 (its newest release, 0.2.1), so
//! the few ASN.1 types are written here with der's derive; they mirror the RFC's module.
//! Responses carry a nonce when the request had one (RFC 8954) and are signed with P-256 or
//! SM2 like everything else we make.

use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use der::asn1::{BitString, GeneralizedTime, Null, OctetString};
use der::{Decode, Encode, Enumerated, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::{Certificate, Version};

use crate::algorithm::OID_SHA256;
use crate::oid::{OID_AD_OCSP, OID_KP_OCSP_SIGNING, OID_OCSP_BASIC, OID_OCSP_NONCE, OID_SHA1};
use crate::{inspect, name, SigningKey, VerifyingKey};

/// Clock skew tolerated between responder and relying party.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

// ---------------------------------------------------------------------------------------
// ASN.1 (RFC 6960 §4.1.1 and §4.2.1; the module uses EXPLICIT tags)
// ---------------------------------------------------------------------------------------

/// `CertID`: which certificate a request or answer is about.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct CertId {
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub issuer_name_hash: OctetString,
    pub issuer_key_hash: OctetString,
    pub serial_number: SerialNumber,
}

/// `OCSPRequest` (unsigned requests only; an optionalSignature is kept but not checked).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct OcspRequest {
    pub tbs_request: TbsRequest,
    #[asn1(context_specific = "0", optional = "true")]
    pub optional_signature: Option<der::Any>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TbsRequest {
    #[asn1(context_specific = "0", default = "Default::default")]
    pub version: Version,
    #[asn1(context_specific = "1", optional = "true")]
    pub requestor_name: Option<der::Any>,
    pub request_list: Vec<Request>,
    #[asn1(context_specific = "2", optional = "true")]
    pub request_extensions: Option<Vec<Extension>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct Request {
    pub req_cert: CertId,
    #[asn1(context_specific = "0", optional = "true")]
    pub single_request_extensions: Option<Vec<Extension>>,
}

/// `OCSPResponseStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enumerated)]
#[repr(u32)]
pub enum ResponseStatus {
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
}

/// `OCSPResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct OcspResponse {
    pub response_status: ResponseStatus,
    #[asn1(context_specific = "0", optional = "true")]
    pub response_bytes: Option<ResponseBytes>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct ResponseBytes {
    pub response_type: ObjectIdentifier,
    pub response: OctetString,
}

/// `BasicOCSPResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct BasicOcspResponse {
    pub tbs_response_data: ResponseData,
    pub signature_algorithm: AlgorithmIdentifierOwned,
    pub signature: BitString,
    #[asn1(context_specific = "0", optional = "true")]
    pub certs: Option<Vec<Certificate>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct ResponseData {
    #[asn1(context_specific = "0", default = "Default::default")]
    pub version: Version,
    pub responder_id: ResponderId,
    pub produced_at: GeneralizedTime,
    pub responses: Vec<SingleResponse>,
    #[asn1(context_specific = "1", optional = "true")]
    pub response_extensions: Option<Vec<Extension>>,
}

/// `ResponderID`: the responder's name, or the SHA-1 of its public key bits.
#[derive(Clone, Debug, PartialEq, Eq, der::Choice)]
pub enum ResponderId {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    ByName(Name),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(OctetString),
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct SingleResponse {
    pub cert_id: CertId,
    pub cert_status: CertStatus,
    pub this_update: GeneralizedTime,
    #[asn1(context_specific = "0", optional = "true")]
    pub next_update: Option<GeneralizedTime>,
    #[asn1(context_specific = "1", optional = "true")]
    pub single_extensions: Option<Vec<Extension>>,
}

/// `CertStatus` (IMPLICIT tags inside the CHOICE).
#[derive(Clone, Debug, PartialEq, Eq, der::Choice)]
pub enum CertStatus {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct RevokedInfo {
    pub revocation_time: GeneralizedTime,
    #[asn1(context_specific = "0", optional = "true")]
    pub revocation_reason: Option<CrlReason>,
}

// ---------------------------------------------------------------------------------------
// Errors and results
// ---------------------------------------------------------------------------------------

/// Why an OCSP exchange or response cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    #[error("malformed OCSP {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("the responder answered '{0}' instead of a response")]
    NotSuccessful(String),
    #[error("unsupported OCSP {0}")]
    Unsupported(String),
    #[error("the OCSP response's signature does not verify")]
    BadSignature,
    #[error("the OCSP responder is not authorised by the certificate's issuer: {0}")]
    ResponderNotAuthorised(String),
    #[error("the OCSP response has no answer for this certificate")]
    NoAnswer,
    #[error("the OCSP response is not fresh: {0}")]
    NotFresh(String),
    #[error("the OCSP response's nonce does not match the request's")]
    NonceMismatch,
    #[error("cannot sign the OCSP response: {0}")]
    Signing(String),
}

fn malformed(what: &'static str, e: impl std::fmt::Display) -> OcspError {
    OcspError::Malformed {
        what,
        detail: e.to_string(),
    }
}

/// A certificate's status as a responder states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked {
        at: SystemTime,
        reason: Option<CrlReason>,
    },
    Unknown,
}

/// One answer to give: the status of the certificate a [`CertId`] names.
#[derive(Clone, Debug)]
pub struct Answer {
    pub cert_id: CertId,
    pub status: Status,
    pub this_update: SystemTime,
    pub next_update: Option<SystemTime>,
}

/// Who signs responses: the CA itself, or a certificate it issued with EKU OCSPSigning.
pub struct Responder<'a> {
    pub certificate: &'a Certificate,
    pub key: &'a dyn SigningKey,
}

/// What a checked response says about one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedStatus {
    pub status: Status,
    pub this_update: SystemTime,
    pub next_update: Option<SystemTime>,
    pub produced_at: SystemTime,
    /// Subject of the certificate that signed the response.
    pub responder: String,
}

// ---------------------------------------------------------------------------------------
// CertID
// ---------------------------------------------------------------------------------------

fn sha1(data: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(data).to_vec()
}

fn hash_with(oid: &ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    if *oid == OID_SHA1 {
        Some(sha1(data))
    } else if *oid == OID_SHA256 {
        Some(crate::DigestAlgorithm::Sha256.hash(data))
    } else {
        None
    }
}

/// The issuer's (name DER, public key bits): what CertID hashes.
fn issuer_parts(issuer: &Certificate) -> Result<(Vec<u8>, Vec<u8>), OcspError> {
    let tbs = issuer.tbs_certificate();
    let name = tbs
        .subject()
        .to_der()
        .map_err(|e| malformed("issuer name", e))?;
    let key = tbs
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes()
        .to_vec();
    Ok((name, key))
}

impl CertId {
    /// The SHA-1 CertID (RFC 5019 §2.1.1) of `cert` issued by `issuer`.
    pub fn new(cert: &Certificate, issuer: &Certificate) -> Result<Self, OcspError> {
        Self::for_serial(cert.tbs_certificate().serial_number().clone(), issuer)
    }

    /// The SHA-1 CertID of a serial number under `issuer` (the responder's view).
    pub fn for_serial(serial: SerialNumber, issuer: &Certificate) -> Result<Self, OcspError> {
        let (name, key) = issuer_parts(issuer)?;
        Ok(CertId {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: OID_SHA1,
                parameters: Some(der::Any::null()),
            },
            issuer_name_hash: OctetString::new(sha1(&name)).map_err(|e| malformed("CertID", e))?,
            issuer_key_hash: OctetString::new(sha1(&key)).map_err(|e| malformed("CertID", e))?,
            serial_number: serial,
        })
    }

    /// Does this CertID name a certificate of `issuer` (any serial)? SHA-1 or SHA-256.
    pub fn is_issued_by(&self, issuer: &Certificate) -> bool {
        let Ok((name, key)) = issuer_parts(issuer) else {
            return false;
        };
        let oid = &self.hash_algorithm.oid;
        match (hash_with(oid, &name), hash_with(oid, &key)) {
            (Some(n), Some(k)) => {
                n == self.issuer_name_hash.as_bytes() && k == self.issuer_key_hash.as_bytes()
            }
            _ => false,
        }
    }

    /// Does this CertID name `cert` issued by `issuer`?
    pub fn matches(&self, cert: &Certificate, issuer: &Certificate) -> bool {
        inspect::normalize_serial(self.serial_number.as_bytes()) == inspect::serial_hex(cert)
            && self.is_issued_by(issuer)
    }

    /// Serial number as lower-case hex without leading zeros (our certificates table's form).
    pub fn serial_hex(&self) -> String {
        inspect::normalize_serial(self.serial_number.as_bytes())
    }
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

impl OcspRequest {
    /// A request about `cert`, with a fresh 32-byte nonce when `nonce` is set.
    pub fn new(cert: &Certificate, issuer: &Certificate, nonce: bool) -> Result<Self, OcspError> {
        let request_extensions = if nonce {
            let mut value = [0u8; 32];
            getrandom::fill(&mut value).map_err(|e| OcspError::Signing(e.to_string()))?;
            Some(vec![nonce_extension(&value)?])
        } else {
            None
        };
        Ok(OcspRequest {
            tbs_request: TbsRequest {
                version: Version::V1,
                requestor_name: None,
                request_list: vec![Request {
                    req_cert: CertId::new(cert, issuer)?,
                    single_request_extensions: None,
                }],
                request_extensions,
            },
            optional_signature: None,
        })
    }

    pub fn from_der(der: &[u8]) -> Result<Self, OcspError> {
        <Self as Decode>::from_der(der).map_err(|e| malformed("request", e))
    }

    pub fn to_der(&self) -> Result<Vec<u8>, OcspError> {
        Encode::to_der(self).map_err(|e| malformed("request", e))
    }

    /// The nonce value (the OCTET STRING's contents), if the request has one.
    pub fn nonce(&self) -> Option<Vec<u8>> {
        nonce_of(self.tbs_request.request_extensions.as_deref())
    }

    pub fn cert_ids(&self) -> impl Iterator<Item = &CertId> {
        self.tbs_request.request_list.iter().map(|r| &r.req_cert)
    }
}

fn nonce_extension(value: &[u8]) -> Result<Extension, OcspError> {
    let inner = OctetString::new(value).map_err(|e| malformed("nonce", e))?;
    Ok(Extension {
        extn_id: OID_OCSP_NONCE,
        critical: false,
        extn_value: OctetString::new(inner.to_der().map_err(|e| malformed("nonce", e))?)
            .map_err(|e| malformed("nonce", e))?,
    })
}

/// The nonce's value; some clients put the raw bytes in extnValue, RFC 8954 an OCTET STRING.
fn nonce_of(exts: Option<&[Extension]>) -> Option<Vec<u8>> {
    let ext = exts?.iter().find(|e| e.extn_id == OID_OCSP_NONCE)?;
    let raw = ext.extn_value.as_bytes();
    Some(
        OctetString::from_der(raw)
            .map(|o| o.as_bytes().to_vec())
            .unwrap_or_else(|_| raw.to_vec()),
    )
}

// ---------------------------------------------------------------------------------------
// Responses: making them
// ---------------------------------------------------------------------------------------

/// An unsigned error response (malformedRequest, internalError, …).
pub fn error_response(status: ResponseStatus) -> Vec<u8> {
    OcspResponse {
        response_status: status,
        response_bytes: None,
    }
    .to_der()
    // Two fixed small fields cannot fail to encode; fall back to the known bytes anyway.
    .unwrap_or_else(|_| vec![0x30, 0x03, 0x0a, 0x01, status as u8])
}

/// Sign a successful response with these answers; `nonce` is echoed from the request.
pub fn sign_response(
    responder: &Responder<'_>,
    answers: &[Answer],
    nonce: Option<&[u8]>,
    produced_at: SystemTime,
) -> Result<Vec<u8>, OcspError> {
    let gt = |t: SystemTime| GeneralizedTime::from_system_time(t).map_err(|e| malformed("time", e));
    let mut responses = Vec::with_capacity(answers.len());
    for a in answers {
        let cert_status = match &a.status {
            Status::Good => CertStatus::Good(Null),
            Status::Unknown => CertStatus::Unknown(Null),
            Status::Revoked { at, reason } => CertStatus::Revoked(RevokedInfo {
                revocation_time: gt(*at)?,
                revocation_reason: *reason,
            }),
        };
        responses.push(SingleResponse {
            cert_id: a.cert_id.clone(),
            cert_status,
            this_update: gt(a.this_update)?,
            next_update: a.next_update.map(gt).transpose()?,
            single_extensions: None,
        });
    }
    let key_bits = responder
        .certificate
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    let data = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByKey(
            OctetString::new(sha1(key_bits)).map_err(|e| malformed("responder id", e))?,
        ),
        produced_at: gt(produced_at)?,
        responses,
        response_extensions: nonce.map(nonce_extension).transpose()?.map(|e| vec![e]),
    };
    let tbs = data.to_der().map_err(|e| malformed("response", e))?;
    let signature = responder
        .key
        .sign(&tbs)
        .map_err(|e| OcspError::Signing(e.to_string()))?;
    // A delegated responder sends its certificate so clients can check the delegation.
    let delegated = !inspect::is_ca(responder.certificate);
    let basic = BasicOcspResponse {
        tbs_response_data: data,
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: responder.key.algorithm().signature_oid(),
            parameters: None,
        },
        signature: BitString::from_bytes(&signature).map_err(|e| malformed("signature", e))?,
        certs: delegated.then(|| vec![responder.certificate.clone()]),
    };
    let response = OcspResponse {
        response_status: ResponseStatus::Successful,
        response_bytes: Some(ResponseBytes {
            response_type: OID_OCSP_BASIC,
            response: OctetString::new(basic.to_der().map_err(|e| malformed("response", e))?)
                .map_err(|e| malformed("response", e))?,
        }),
    };
    response.to_der().map_err(|e| malformed("response", e))
}

// ---------------------------------------------------------------------------------------
// Responses: reading and checking them
// ---------------------------------------------------------------------------------------

/// A successful response, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedResponse {
    pub basic: BasicOcspResponse,
    /// The whole OCSPResponse DER as received (what DSS `/OCSPs` and CMS carry).
    pub der: Vec<u8>,
}

impl ParsedResponse {
    /// Decode an OCSPResponse; anything but a successful basic response is an error.
    pub fn from_der(der: &[u8]) -> Result<Self, OcspError> {
        let resp = OcspResponse::from_der(der).map_err(|e| malformed("response", e))?;
        if resp.response_status != ResponseStatus::Successful {
            return Err(OcspError::NotSuccessful(
                format!("{:?}", resp.response_status).to_ascii_lowercase(),
            ));
        }
        let bytes = resp
            .response_bytes
            .ok_or_else(|| malformed("response", "successful but without responseBytes"))?;
        if bytes.response_type != OID_OCSP_BASIC {
            return Err(OcspError::Unsupported(format!(
                "response type {}",
                bytes.response_type
            )));
        }
        let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
            .map_err(|e| malformed("basic response", e))?;
        Ok(ParsedResponse {
            basic,
            der: der.to_vec(),
        })
    }

    pub fn data(&self) -> &ResponseData {
        &self.basic.tbs_response_data
    }

    pub fn nonce(&self) -> Option<Vec<u8>> {
        nonce_of(self.data().response_extensions.as_deref())
    }

    pub fn produced_at(&self) -> SystemTime {
        self.data().produced_at.to_system_time()
    }

    /// Is this response about some certificate of `issuer`? (Cheap pre-filter, no signature.)
    pub fn concerns_issuer(&self, issuer: &Certificate) -> bool {
        self.data()
            .responses
            .iter()
            .any(|r| r.cert_id.is_issued_by(issuer))
    }

    /// What the response says about `cert` issued by `issuer`, once its signature checks and
    /// the signer may speak for the issuer (the issuer itself, or a delegate it issued with
    /// EKU OCSPSigning, valid when the response was produced). No freshness check: see
    /// [`ParsedResponse::check`].
    pub fn status_for(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Result<CheckedStatus, OcspError> {
        let single = self
            .data()
            .responses
            .iter()
            .find(|r| r.cert_id.matches(cert, issuer))
            .ok_or(OcspError::NoAnswer)?;
        let responder = self.verify_signer(issuer, self.produced_at())?;
        let status = match &single.cert_status {
            CertStatus::Good(_) => Status::Good,
            CertStatus::Unknown(_) => Status::Unknown,
            CertStatus::Revoked(info) => Status::Revoked {
                at: info.revocation_time.to_system_time(),
                reason: info.revocation_reason,
            },
        };
        Ok(CheckedStatus {
            status,
            this_update: single.this_update.to_system_time(),
            next_update: single.next_update.map(|t| t.to_system_time()),
            produced_at: self.produced_at(),
            responder,
        })
    }

    /// [`ParsedResponse::status_for`], and the answer must be current at `at`: its
    /// thisUpdate/nextUpdate window contains `at` (± [`CLOCK_SKEW`]; without nextUpdate,
    /// thisUpdate must be at most `max_age` old). For a client that just asked.
    pub fn check(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
        max_age: Duration,
    ) -> Result<CheckedStatus, OcspError> {
        let checked = self.status_for(cert, issuer)?;
        let shown = |t: SystemTime| {
            x509_cert::time::Time::try_from(t)
                .map(|g| g.to_string())
                .unwrap_or_default()
        };
        if checked.this_update > at + CLOCK_SKEW {
            return Err(OcspError::NotFresh(format!(
                "thisUpdate {} is after the time checked",
                shown(checked.this_update)
            )));
        }
        let expires = checked.next_update.unwrap_or(checked.this_update + max_age);
        if at > expires + CLOCK_SKEW {
            return Err(OcspError::NotFresh(match checked.next_update {
                Some(n) => format!("nextUpdate {} has passed", shown(n)),
                None => format!("thisUpdate {} is too old", shown(checked.this_update)),
            }));
        }
        Ok(checked)
    }

    /// Check the signature and that the signer may speak for `issuer`; returns its subject.
    fn verify_signer(&self, issuer: &Certificate, at: SystemTime) -> Result<String, OcspError> {
        let tbs = self.data().to_der().map_err(|e| malformed("response", e))?;
        let verify = |key: &VerifyingKey| {
            inspect::verify_signed_by(
                &tbs,
                &self.basic.signature_algorithm,
                &self.basic.signature,
                key,
            )
        };
        if self.responder_is(issuer) {
            let key = inspect::verifying_key(issuer).map_err(|e| malformed("issuer key", e))?;
            return match verify(&key) {
                Ok(()) => Ok(inspect::subject(issuer)),
                Err(crate::Error::Unsupported { detail, .. }) => {
                    Err(OcspError::Unsupported(detail))
                }
                Err(_) => Err(OcspError::BadSignature),
            };
        }
        let Some(delegate) = self
            .basic
            .certs
            .iter()
            .flatten()
            .find(|c| self.responder_is(c))
        else {
            return Err(OcspError::ResponderNotAuthorised(
                "signed neither by the issuer nor by a certificate in the response".into(),
            ));
        };
        let who = inspect::subject(delegate);
        check_delegation(delegate, issuer, at)
            .map_err(|why| OcspError::ResponderNotAuthorised(format!("{who}: {why}")))?;
        let key = inspect::verifying_key(delegate).map_err(|e| malformed("responder key", e))?;
        verify(&key).map_err(|_| OcspError::BadSignature)?;
        Ok(who)
    }

    /// Does the ResponderID name this certificate?
    fn responder_is(&self, cert: &Certificate) -> bool {
        let tbs = cert.tbs_certificate();
        match &self.data().responder_id {
            ResponderId::ByName(n) => name::same_name(n, tbs.subject()),
            ResponderId::ByKey(h) => {
                h.as_bytes() == sha1(tbs.subject_public_key_info().subject_public_key.raw_bytes())
            }
        }
    }
}

/// RFC 6960 §4.2.2.2: the delegate is issued directly by the CA and carries id-kp-OCSPSigning.
fn check_delegation(
    delegate: &Certificate,
    issuer: &Certificate,
    at: SystemTime,
) -> Result<(), String> {
    if !name::same_name(
        delegate.tbs_certificate().issuer(),
        issuer.tbs_certificate().subject(),
    ) {
        return Err("not issued by the certificate's issuer".into());
    }
    let key = inspect::verifying_key(issuer).map_err(|e| e.to_string())?;
    let tbs = delegate
        .tbs_certificate()
        .to_der()
        .map_err(|e| e.to_string())?;
    inspect::verify_signed_by(
        &tbs,
        delegate.signature_algorithm(),
        delegate.signature(),
        &key,
    )
    .map_err(|_| "its certificate is not signed by the issuer".to_string())?;
    match inspect::extended_key_usage(delegate).map_err(|e| e.to_string())? {
        Some(ekus) if ekus.contains(&OID_KP_OCSP_SIGNING) => {}
        _ => return Err("no extendedKeyUsage OCSPSigning".into()),
    }
    if at < inspect::not_before(delegate) || at > inspect::not_after(delegate) {
        return Err("its certificate is not valid at the time checked".into());
    }
    Ok(())
}

/// Responder URLs (AIA id-ad-ocsp, URIs only) named in a certificate.
pub fn responder_urls(cert: &Certificate) -> Vec<String> {
    use const_oid::db::rfc5280::ID_PE_AUTHORITY_INFO_ACCESS;
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::AuthorityInfoAccessSyntax;
    let Ok(Some((_, aia))) =
        inspect::extension::<AuthorityInfoAccessSyntax>(cert, ID_PE_AUTHORITY_INFO_ACCESS)
    else {
        return Vec::new();
    };
    aia.0
        .iter()
        .filter(|d| d.access_method == OID_AD_OCSP)
        .filter_map(|d| match &d.access_location {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
