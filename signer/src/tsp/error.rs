//! What can go wrong with a timestamp, in the words of RFC 3161.

use crate::CmsError;

#[derive(Debug, thiserror::Error)]
pub enum TspError {
    #[error("the timestamp is not well-formed: {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("the TSA refused the request (status {status}){text}")]
    Rejected { status: u32, text: String },
    #[error("the TSA answered without a timestamp token")]
    NoToken,
    #[error("the timestamp token is not a TSTInfo signed by a TSA (content type {0})")]
    NotTstInfo(der::asn1::ObjectIdentifier),
    #[error("the timestamp's message imprint does not match the timestamped data")]
    ImprintMismatch,
    #[error("unsupported message imprint algorithm {0}")]
    UnsupportedImprintAlgorithm(der::asn1::ObjectIdentifier),
    #[error("the timestamp's nonce differs from the request's")]
    NonceMismatch,
    #[error("the timestamp's policy {got} differs from the requested {wanted}")]
    PolicyMismatch {
        wanted: der::asn1::ObjectIdentifier,
        got: der::asn1::ObjectIdentifier,
    },
    #[error("the TSA certificate is not fit for time-stamping: {0}")]
    TsaCertificate(String),
    #[error("the timestamp token's signature: {0}")]
    Signature(#[source] CmsError),
    #[error("the TSA certificate path: {0}")]
    Path(#[source] eseal_certs::validate::PathError),
    #[error("cannot make the timestamp: {0}")]
    Encoding(#[source] der::Error),
    #[error("cannot make the timestamp: {0}")]
    Signing(#[source] CmsError),
    #[error("random source: {0}")]
    Random(String),
}

impl TspError {
    pub(crate) fn malformed(what: &'static str) -> impl FnOnce(der::Error) -> TspError {
        move |e| TspError::Malformed {
            what,
            detail: e.to_string(),
        }
    }
}
