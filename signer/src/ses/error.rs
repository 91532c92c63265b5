//! The one error type of the GB/T 38540 module. Each variant says what is wrong with the seal
//! or the seal signature in the terms of the standard and of the person checking a document.
//! Variants carry text rather than source errors so that a verification report can hold and
//! compare them.

/// Everything that can go wrong while making, reading or checking an electronic seal
/// (SESeal) or a seal signature (SES_Signature).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SesError {
    #[error("not a well-formed GB/T 38540 structure: {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("the structure is followed by bytes that are not zero padding")]
    TrailingData,
    #[error("{what} has version {found}, expected {expected}")]
    Version {
        what: &'static str,
        found: i64,
        expected: &'static str,
    },
    #[error("the seal header ID is \"{0}\", expected \"ES\"")]
    HeaderId(String),
    #[error("the seal declares certListType {declared}, but its certificate list holds {found}")]
    CertListType { declared: i64, found: &'static str },
    #[error("the seal's certificate list is empty")]
    EmptyCertList,
    #[error("entry {index} of the seal's certificate list is not a certificate: {detail}")]
    ListedCertificate { index: usize, detail: String },
    #[error(
        "entry {index} of the seal's certificate list uses the unknown digest type \"{kind}\""
    )]
    UnknownDigestType { index: usize, kind: String },
    #[error("entry {index} of the seal's certificate list has a {got}-byte {kind} digest, expected {expected}")]
    DigestLength {
        index: usize,
        kind: String,
        got: usize,
        expected: usize,
    },
    #[error("the {whose} certificate cannot be read: {detail}")]
    Certificate { whose: &'static str, detail: String },
    #[error("the {whose} signature uses the unsupported algorithm {oid}")]
    UnsupportedAlgorithm { whose: &'static str, oid: String },
    #[error("the {whose} signature algorithm ({signature}) does not fit the certificate's {certificate} key")]
    AlgorithmMismatch {
        whose: &'static str,
        signature: String,
        certificate: String,
    },
    #[error("the seal maker's signature over the seal information does not verify with the maker certificate")]
    BadMakerSignature,
    #[error("the signature over TBS_Sign does not verify with the signer certificate's key")]
    BadSignature,
    #[error("the signer certificate is not in the seal's certificate list (neither the certificate nor its digest)")]
    SignerNotInCertList,
    #[error("the seal was not yet valid at {at}: its validity starts {start}")]
    SealNotYetValid { at: String, start: String },
    #[error("the seal had expired at {at}: its validity ended {end}")]
    SealExpired { at: String, end: String },
    #[error("the seal's validity ends ({end}) before it starts ({start})")]
    ValidityInverted { start: String, end: String },
    #[error("the signing time cannot be read: {0}")]
    SigningTime(String),
    #[error("the seal has no picture")]
    PictureMissing,
    #[error("the seal picture type \"{0}\" is not PNG, JPG, SVG or OFD")]
    PictureType(String),
    #[error("the seal picture data is not {0} data")]
    PictureData(String),
    #[error("the seal picture size {width}×{height} mm is not positive")]
    PictureSize { width: i64, height: i64 },
    #[error("the signed data hash differs from the SM3 digest of the protected bytes")]
    DataHashMismatch,
    #[error("the data digest has {got} bytes; SM3 digests have 32")]
    DataHashLength { got: usize },
    #[error("the owner code \"{code}\" is invalid: {detail}")]
    InvalidOwnerCode { code: String, detail: String },
    #[error("the seal's owner code {seal} does not match the code {certificate} in the signer certificate")]
    OwnerCodeMismatch { seal: String, certificate: String },
    #[error("the signer certificate carries no unified social credit code to match the seal's owner code {0}")]
    CertificateLacksOwnerCode(String),
    #[error("the {whose} key does not belong to the {whose} certificate")]
    KeyNotCertified { whose: &'static str },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("cannot encode: {0}")]
    Encoding(String),
}

impl SesError {
    pub(crate) fn malformed(what: &'static str, detail: impl std::fmt::Display) -> SesError {
        SesError::Malformed {
            what,
            detail: detail.to_string(),
        }
    }

    /// A decoding failure of part `what`, for `map_err`.
    pub(crate) fn decoding(what: &'static str) -> impl FnOnce(der::Error) -> SesError {
        move |e| SesError::malformed(what, e)
    }

    pub(crate) fn encoding(e: der::Error) -> SesError {
        SesError::Encoding(e.to_string())
    }
}

/// Framing errors of the crate's tag-length-value reader, worded as this module always has.
impl From<crate::tlv::TlvError> for SesError {
    fn from(e: crate::tlv::TlvError) -> SesError {
        use crate::tlv::TlvErrorKind::*;
        let what = e.what;
        match e.kind {
            Truncated => SesError::malformed(what, "truncated DER element"),
            MultiByteTag => SesError::malformed(what, "multi-byte tags are not used here"),
            IndefiniteLength => {
                SesError::malformed(what, "indefinite length (BER); only DER is accepted")
            }
            LengthTooLarge => SesError::malformed(what, "length field too large"),
            TrailingData => SesError::TrailingData,
            UnexpectedTag(tag) => SesError::malformed(what, format!("unexpected tag 0x{tag:02X}")),
            BytesAfter => SesError::malformed(what, "bytes after the element"),
        }
    }
}
