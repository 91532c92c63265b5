//! The vocabulary of PDF signatures (ISO 32000-2 §12.8; ETSI EN 319 142-1): the terms the
//! signer writes and the verifier reads, each typed once, with its reading from and writing to
//! PDF objects beside it.
//!
//! - [`ByteRange`]: the signed bytes around the `/Contents` gap (§12.8.1, Table 255).
//! - [`SubFilter`]: the encoding of the signature value (§12.8.3, ETSI EN 319 142-1 §5).
//! - [`DocMdpPermission`] and [`FieldLock`]: modification detection and prevention (§12.8.2).
//! - [`Level`]: the PAdES baseline level a signature is made at or reaches (EN 319 142-1 §6).

mod byte_range;
mod level;
mod mdp;
mod sub_filter;

pub use byte_range::{ByteRange, BYTE_RANGE_WIDTH};
pub use level::Level;
pub use mdp::{
    docmdp_reference, field_lock_dict, field_locks, fieldmdp_reference, DocMdpPermission, FieldLock,
};
pub use sub_filter::{is_document_timestamp, SubFilter};
