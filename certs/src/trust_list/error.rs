//! Why a trusted list was refused, in words an operator can act on.

/// Everything that makes [`super::TrustList::from_xml`] refuse a list.
#[derive(Debug, thiserror::Error)]
pub enum TrustListError {
    #[error("the trusted list is {size} bytes, more than the {limit} accepted")]
    TooLarge { size: usize, limit: usize },
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("the XML nests elements deeper than {0} levels")]
    TooDeep(usize),
    #[error("the XML has more than {0} nodes")]
    TooManyNodes(usize),
    #[error("not an ETSI TS 119 612 trusted list: {0}")]
    NotATrustList(String),
    #[error("the trusted list has no {0}")]
    Missing(&'static str),
    #[error("the trusted list's {field} '{value}' is invalid: {detail}")]
    Invalid {
        field: &'static str,
        value: String,
        detail: String,
    },
    #[error("service '{service}' of the trusted list: {detail}")]
    BadCertificate { service: String, detail: String },
    #[error("the trusted list is not signed (no ds:Signature in TrustServiceStatusList)")]
    Unsigned,
    #[error(
        "the trusted list is signed by another certificate ({signer}), not by the pinned \
         signer ({pinned})"
    )]
    SignedByAnotherCertificate { signer: String, pinned: String },
    #[error("the trusted list's signature does not verify: {0}")]
    BadSignature(String),
    #[error("the trusted list's signature uses something not supported: {0}")]
    UnsupportedSignature(String),
    #[error("the pinned signer certificate's key cannot check the list: {0}")]
    UnsupportedSignerKey(String),
    #[error(
        "the trusted list was issued at {issued}, outside the pinned signer certificate's \
         validity ({not_before} to {not_after})"
    )]
    SignerNotValid {
        issued: String,
        not_before: String,
        not_after: String,
    },
    #[error(
        "the trusted list is out of date: its next update was due at {next_update}, before \
         {at}; fetch the current list"
    )]
    Expired { next_update: String, at: String },
    #[error("the trusted list is closed (NextUpdate has no date): its scheme has ceased")]
    Closed,
}
