//! eseal-pdf: PDF structure for electronic seals.
//!
//! - [`reader`]: a lean reader that opens a file through `Read + Seek`, follows the
//!   cross-reference chain and loads only the objects asked for.
//! - [`writer`]: object serialisation and incremental updates that never change earlier bytes.
//! - [`sigdict`]: the vocabulary of PDF signatures (byte range, sub-filter, DocMDP, field
//!   locks, PAdES levels), typed once for the signer and the verifier.
//! - [`sign`]: signature fields, appearances, DocMDP/FieldMDP, the `/ByteRange` and `/Contents`
//!   placeholders and the streaming hash through a [`sign::ContentSigner`].
//! - [`licence`]: licences rendered from templates, their QR code and annotated copies.
//! - [`repair`]: rebuilding broken cross-reference data of unsigned files, then a full rewrite.

pub mod error;
mod fuzz;
pub mod licence;
pub mod object;
pub mod pades;
pub mod reader;
pub mod repair;
pub mod seal;
pub mod sigdict;
pub mod sign;
pub mod text;
pub mod verify;
pub mod writer;

pub use error::{Error, Result};
pub use fuzz::parse_for_fuzz;
pub use object::{Dict, ObjRef, Object, Stream, StreamData};
pub use reader::{PdfReader, Revision, XrefKind};
