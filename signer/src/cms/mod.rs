//! CMS SignedData (RFC 5652) as PAdES and GB/T 35275 use it: detached, one signer, signed
//! attributes with ESS signing-certificate-v2 (RFC 5035), P-256/SHA-256 or SM2/SM3.
//!
//! - `content_type`, `attr`: identifiers and attribute types (ASN.1 mirrored, no logic);
//! - `builder`: making a signature and adding unsigned attributes (timestamps) later;
//! - `parse`: reading one, keeping the bytes that were signed;
//! - `verify`: checking one against the digest of the detached content.

pub mod attr;
mod ber;
mod builder;
pub mod content_type;
mod error;
mod parse;
pub(crate) mod spans;
mod verify;

pub use ber::BerError;
pub use builder::{
    add_unsigned_attribute, attribute, estimate_len, sign_detached, sign_encapsulated,
    timestamp_attribute, PreparedSignature, SignOptions,
};
pub use content_type::ContentTypeFamily;
pub use error::CmsError;
pub use parse::{parse_for_fuzz, EmbeddedCertificate, OtherRevocation, SignedCms, SignerInfoView};
pub(crate) use verify::describe;
pub use verify::{EssBinding, SignerVerdict};

#[cfg(test)]
mod tests;
