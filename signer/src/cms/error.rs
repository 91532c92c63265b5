//! The one error type of the CMS module. Variants say what is wrong with the signature in the
//! terms of RFC 5652 and of the person checking a signed document, never in terms of the code.

use const_oid::ObjectIdentifier;

/// Everything that can go wrong while making, reading or checking a CMS signature.
#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error("the signature is not well-formed: {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("the signature uses BER indefinite-length encoding; only DER is accepted")]
    IndefiniteLength,
    #[error("the signature is followed by bytes that are not zero padding")]
    TrailingData,
    #[error("the CMS content type {0} is not signed data")]
    NotSignedData(ObjectIdentifier),
    #[error("the signature encapsulates its content; a detached signature was expected")]
    NotDetached,
    #[error("the signature does not encapsulate its content")]
    MissingContent,
    #[error("expected exactly one signer in the signature, found {0}")]
    SignerCount(usize),
    #[error(
        "the signers of the signature use different digest algorithms; only one digest of the \
         content is checked, so the signature is not accepted"
    )]
    SignerDigestsDiffer,
    #[error(
        "the signature has no signed attributes; a bare signature over the content is refused \
         (it allows existential forgery)"
    )]
    NoSignedAttributes,
    #[error("the signed attribute {0} is missing")]
    MissingAttribute(&'static str),
    #[error("the signed attribute {0} appears more than once")]
    DuplicateAttribute(&'static str),
    #[error("the attribute {0} must have exactly one value")]
    AttributeValueCount(&'static str),
    #[error("the content-type attribute ({attribute}) differs from the signed content type ({econtent})")]
    ContentTypeMismatch {
        attribute: ObjectIdentifier,
        econtent: ObjectIdentifier,
    },
    #[error("message digest does not match the signed bytes")]
    DigestMismatch,
    #[error("the content digest has {got} bytes, but {algorithm} digests have {expected}")]
    DigestLength {
        algorithm: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("unsupported digest algorithm {0}")]
    UnsupportedDigestAlgorithm(ObjectIdentifier),
    /// The algorithm as named (e.g. "DSA with SHA-1 (1.2.840.10040.4.3)") and why.
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedSignatureAlgorithm(String),
    #[error("the digest algorithm {digest} does not go with the signature algorithm {signature}")]
    AlgorithmMismatch {
        digest: ObjectIdentifier,
        signature: ObjectIdentifier,
    },
    #[error(
        "the CMS algorithm protection attribute names other algorithms than the signer info \
         (algorithm substitution)"
    )]
    AlgorithmProtectionMismatch,
    #[error("signer certificate not found in the signature")]
    SignerNotFound,
    #[error("the signer certificate holds a {certificate} key, but the signature is {signature}")]
    KeyAlgorithmMismatch {
        /// The key as [`eseal_certs::VerifyingKey::describe`] names it.
        certificate: String,
        /// The signature scheme, as [`eseal_certs::SignatureScheme`] displays it.
        signature: String,
    },
    #[error("the signing key does not belong to the signer certificate")]
    KeyNotCertified,
    #[error("the signer certificate's public key cannot be used: {0}")]
    PublicKey(#[source] eseal_certs::Error),
    #[error("the signature over the signed attributes does not verify with the signer certificate's key")]
    BadSignature,
    #[error("ESS signing-certificate-v2 names a different certificate")]
    EssV2CertMismatch,
    #[error("ESS signing-certificate (v1) names a different certificate")]
    EssV1CertMismatch,
    #[error("the ESS signing-certificate attribute names the issuer and serial of a different certificate")]
    EssIssuerSerialMismatch,
    #[error("the ESS signing-certificate attribute lists no certificate")]
    EssEmpty,
    #[error(
        "the signed attributes would change when re-encoded; refusing to rewrite the signature"
    )]
    SignedAttributesNotCanonical,
    #[error("signing failed: {0}")]
    Signing(#[source] eseal_certs::Error),
    #[error("cannot encode the signature: {0}")]
    Encoding(#[source] der::Error),
}

impl CmsError {
    /// A decoding failure of part `what` of the message.
    pub(crate) fn malformed(what: &'static str) -> impl FnOnce(der::Error) -> CmsError {
        move |e| CmsError::Malformed {
            what,
            detail: e.to_string(),
        }
    }

    pub(crate) fn malformed_because(what: &'static str, detail: &str) -> CmsError {
        CmsError::Malformed {
            what,
            detail: detail.to_string(),
        }
    }
}

/// Framing errors of the crate's tag-length-value reader, worded as this module always has.
impl From<crate::tlv::TlvError> for CmsError {
    fn from(e: crate::tlv::TlvError) -> CmsError {
        use crate::tlv::TlvErrorKind::*;
        match e.kind {
            Truncated => CmsError::malformed_because("DER element", "truncated"),
            MultiByteTag => CmsError::malformed_because("DER element", "multi-byte tag"),
            IndefiniteLength => CmsError::IndefiniteLength,
            LengthTooLarge => CmsError::malformed_because("DER element", "length too large"),
            TrailingData => CmsError::TrailingData,
            UnexpectedTag(_) => CmsError::malformed_because(e.what, "unexpected tag"),
            BytesAfter => CmsError::malformed_because(e.what, "bytes after the element"),
        }
    }
}
