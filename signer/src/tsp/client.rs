//! The requesting side (RFC 3161 §2.4.1, §2.4.2): a request over a digest with a fresh nonce,
//! asking for the TSA's certificate, and reading the answer back against that request.

use der::asn1::{OctetString, Uint};
use der::{Decode, Encode};
use eseal_certs::DigestAlgorithm;
use spki::AlgorithmIdentifierOwned;

use super::check::{same_uint, TimestampToken};
use super::types::*;
use super::TspError;

/// A request waiting for its answer: kept to check the answer's imprint and nonce.
#[derive(Clone, Debug)]
pub struct Request {
    pub request: TimeStampReq,
}

impl Request {
    /// A request for `digest` (made with `algorithm` over the data to timestamp), with a
    /// 64-bit random nonce and certReq set (the token then carries the TSA certificate,
    /// which PAdES verifiers need).
    pub fn new(algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Self, TspError> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| TspError::Random(e.to_string()))?;
        nonce[0] |= 0x01; // never all zero: a zero nonce is easy to confuse with none
        Ok(Request {
            request: TimeStampReq {
                version: 1,
                message_imprint: MessageImprint {
                    hash_algorithm: AlgorithmIdentifierOwned {
                        oid: algorithm.oid(),
                        parameters: None,
                    },
                    hashed_message: OctetString::new(digest).map_err(TspError::Encoding)?,
                },
                req_policy: None,
                nonce: Some(Uint::new(&nonce).map_err(TspError::Encoding)?),
                cert_req: true,
                extensions: None,
            },
        })
    }

    /// DER for the HTTP body (`application/timestamp-query`).
    pub fn to_der(&self) -> Result<Vec<u8>, TspError> {
        self.request.to_der().map_err(TspError::Encoding)
    }

    /// Read a DER TimeStampResp to this request: granted, with a token whose imprint, nonce
    /// and policy match the request. The token's signature is not checked here
    /// ([`TimestampToken::verify_signature`] does that, with the trust anchors).
    pub fn read_response(&self, response_der: &[u8]) -> Result<TimestampToken, TspError> {
        let token = read_response(response_der)?;
        let tst = token.tst_info();
        if tst.message_imprint != self.request.message_imprint {
            return Err(TspError::ImprintMismatch);
        }
        match (&self.request.nonce, &tst.nonce) {
            (None, _) => {}
            (Some(a), Some(b)) if same_uint(a.as_bytes(), b.as_bytes()) => {}
            _ => return Err(TspError::NonceMismatch),
        }
        if let Some(wanted) = self.request.req_policy {
            if wanted != tst.policy {
                return Err(TspError::PolicyMismatch {
                    wanted,
                    got: tst.policy,
                });
            }
        }
        Ok(token)
    }
}

/// The token of a DER TimeStampResp, when the status grants one.
pub fn read_response(response_der: &[u8]) -> Result<TimestampToken, TspError> {
    let resp =
        TimeStampResp::from_der(response_der).map_err(TspError::malformed("TimeStampResp"))?;
    if resp.status.status != STATUS_GRANTED && resp.status.status != STATUS_GRANTED_WITH_MODS {
        let text = resp
            .status
            .status_string
            .map(|s| format!(": {}", s.join("; ")))
            .unwrap_or_default();
        return Err(TspError::Rejected {
            status: resp.status.status,
            text,
        });
    }
    let token = resp.time_stamp_token.ok_or(TspError::NoToken)?;
    TimestampToken::parse(&token.to_der().map_err(TspError::Encoding)?)
}
