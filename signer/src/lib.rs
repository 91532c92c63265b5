//! Signature formats over bytes for eseal.
//!
//! So far: CMS SignedData, detached, for PAdES B-B (RFC 5652, RFC 5035, RFC 6211, ETSI EN 319
//! 122-1) with P-256/SHA-256 and SM2/SM3 (GB/T 35275, GM/T 0010 content types). Signing goes
//! through [`eseal_certs::SigningKey`], so software keys, tokens and remote signers all fit.
//! GB/T 38540 seals and seal signatures (`ses`), RFC 3161 timestamps (`tsp`), and the
//! validation of a signature over bytes with ETSI indications (`validation`), which the PDF
//! verifier and the detached `.p7s`/ASiC-S files share.

pub mod cms;
pub mod picture;
pub mod ses;
pub mod tsp;
pub mod validation;

mod tlv;

pub use cms::CmsError;
