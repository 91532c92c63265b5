//! The TSA side (RFC 3161 §2.4.2): checks a request and answers with a token, a SignedData
//! over TSTInfo signed by the TSA key (P-256 or SM2) with ESS signing-certificate-v2
//! (RFC 5816). Requests we cannot honour get a rejection with the RFC's failure bit.
//!
//! The caller provides the serial number (the service takes it from a source that never
//! repeats) and the time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use const_oid::ObjectIdentifier;
use der::asn1::{BitString, GeneralizedTime, Uint};
use der::{Decode, Encode};
use eseal_certs::{Certificate, DigestAlgorithm, SigningKey};
use x509_cert::ext::pkix::name::GeneralName;

use super::types::*;
use super::TspError;
use crate::cms::{self, ContentTypeFamily};

/// PKIFailureInfo bits (RFC 3161 §2.4.2).
pub const FAIL_BAD_ALG: u8 = 0;
pub const FAIL_BAD_REQUEST: u8 = 2;
pub const FAIL_BAD_DATA_FORMAT: u8 = 5;
const FAIL_UNACCEPTED_POLICY: u8 = 15;
const FAIL_UNACCEPTED_EXTENSION: u8 = 16;

/// A time-stamping authority: its key and certificate (critical EKU timeStamping), the
/// chain to embed, its policy and the accuracy it promises.
pub struct Tsa<'a> {
    pub key: &'a dyn SigningKey,
    pub certificate: &'a Certificate,
    pub chain: &'a [Certificate],
    pub policy: ObjectIdentifier,
    pub accuracy: Accuracy,
}

/// An answer: the DER TimeStampResp, and the TSTInfo when a token was issued.
pub struct Answer {
    pub der: Vec<u8>,
    pub issued: Option<TstInfo>,
}

impl Tsa<'_> {
    /// Answer a DER TimeStampReq. `Err` only when the TSA itself fails (signing); a bad
    /// request gets a rejection response.
    pub fn respond(
        &self,
        request_der: &[u8],
        serial: &[u8],
        now: SystemTime,
    ) -> Result<Answer, TspError> {
        let req = match TimeStampReq::from_der(request_der) {
            Ok(r) => r,
            Err(_) => {
                return rejection(
                    FAIL_BAD_DATA_FORMAT,
                    "the request is not a DER TimeStampReq",
                )
            }
        };
        if req.version != 1 {
            return rejection(FAIL_BAD_REQUEST, "only version 1 requests are supported");
        }
        let imprint = &req.message_imprint;
        let Some(len) = imprint_len(&imprint.hash_algorithm.oid) else {
            return rejection(
                FAIL_BAD_ALG,
                "the message imprint algorithm is not SHA-256, SHA-384, SHA-512 or SM3",
            );
        };
        if imprint
            .hash_algorithm
            .parameters
            .as_ref()
            .is_some_and(|p| !p.is_null())
            || imprint.hashed_message.as_bytes().len() != len
        {
            return rejection(
                FAIL_BAD_DATA_FORMAT,
                "the message imprint's length does not fit its algorithm",
            );
        }
        if req.req_policy.as_ref().is_some_and(|p| *p != self.policy) {
            return rejection(FAIL_UNACCEPTED_POLICY, "this TSA has one policy only");
        }
        if req.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
            return rejection(
                FAIL_UNACCEPTED_EXTENSION,
                "request extensions are not supported",
            );
        }
        let (token, tst) = self.token(&req, serial, now)?;
        let resp = TimeStampResp {
            status: PkiStatusInfo {
                status: STATUS_GRANTED,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(der::Any::from_der(&token).map_err(TspError::Encoding)?),
        };
        Ok(Answer {
            der: resp.to_der().map_err(TspError::Encoding)?,
            issued: Some(tst),
        })
    }

    /// The token (DER ContentInfo) for a checked request.
    pub fn token(
        &self,
        req: &TimeStampReq,
        serial: &[u8],
        now: SystemTime,
    ) -> Result<(Vec<u8>, TstInfo), TspError> {
        // GeneralizedTime without fractions: whole seconds, the rest is in `accuracy`.
        let secs = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| TspError::Random("the clock is before 1970".into()))?
            .as_secs();
        let gen_time = GeneralizedTime::from_system_time(UNIX_EPOCH + Duration::from_secs(secs))
            .map_err(TspError::Encoding)?;
        let tst = TstInfo {
            version: 1,
            policy: self.policy,
            message_imprint: req.message_imprint.clone(),
            serial_number: positive_integer(serial)?.into(),
            gen_time: gen_time.into(),
            accuracy: Some(self.accuracy),
            ordering: false,
            nonce: req.nonce.clone().map(Into::into),
            tsa: Some(GeneralName::DirectoryName(
                self.certificate.tbs_certificate().subject().clone(),
            )),
            extensions: None,
        };
        let content = tst.to_der().map_err(TspError::Encoding)?;
        let options = cms::SignOptions {
            content_types: ContentTypeFamily::Pkcs7,
            ..Default::default()
        };
        let token = cms::sign_encapsulated(
            self.key,
            self.certificate,
            self.chain,
            ID_CT_TST_INFO,
            &content,
            req.cert_req,
            &options,
        )
        .map_err(TspError::Signing)?;
        Ok((token, tst))
    }
}

/// A DER INTEGER from big-endian bytes: leading zero octets dropped (DER is minimal), never
/// empty.
fn positive_integer(bytes: &[u8]) -> Result<Uint, TspError> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let bytes = if first == bytes.len() {
        &[0u8][..]
    } else {
        &bytes[first..]
    };
    Uint::new(bytes).map_err(TspError::Encoding)
}

/// Length of a digest made with `oid`, for the algorithms accepted in a message imprint; a
/// weak hash (SHA-1) is refused, as no one may rely on the time it would attest.
fn imprint_len(oid: &ObjectIdentifier) -> Option<usize> {
    DigestAlgorithm::from_oid(oid)
        .filter(|d| !eseal_certs::policy::digest_is_weak(*d))
        .map(DigestAlgorithm::output_len)
}

fn rejection(bit: u8, text: &str) -> Result<Answer, TspError> {
    let mut bytes = vec![0u8; usize::from(bit / 8) + 1];
    bytes[usize::from(bit / 8)] = 0x80 >> (bit % 8);
    let fail_info = BitString::new(7 - bit % 8, bytes).map_err(TspError::Encoding)?;
    let resp = TimeStampResp {
        status: PkiStatusInfo {
            status: STATUS_REJECTION,
            status_string: Some(vec![text.to_string()]),
            fail_info: Some(fail_info),
        },
        time_stamp_token: None,
    };
    Ok(Answer {
        der: resp.to_der().map_err(TspError::Encoding)?,
        issued: None,
    })
}
