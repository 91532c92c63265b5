//! The one error type of this crate: each variant names what is wrong with the document or the
//! request, with the byte offset where it helps to find the problem.

use crate::object::ObjRef;

/// Everything that can go wrong while reading, updating or signing a PDF.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the underlying file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// The file does not start like a PDF or has no `startxref` near its end.
    #[error("not a PDF file: {0}")]
    NotPdf(&'static str),

    /// The cross-reference data (table, stream or trailer) is unusable.
    #[error("broken cross-reference data at byte {offset}: {reason}")]
    BrokenXref { offset: u64, reason: String },

    /// The `/Prev` chain of cross-reference sections returns to a section already seen.
    #[error("the /Prev chain of cross-reference sections loops back to byte {offset}")]
    PrevCycle { offset: u64 },

    /// A syntax error in an object.
    #[error("PDF syntax error at byte {offset}: {what}")]
    Syntax { offset: u64, what: String },

    /// An object the document refers to is missing or free in the cross-reference data.
    #[error("object {0} is not in the document")]
    MissingObject(ObjRef),

    /// An object or entry does not have the type the standard requires.
    #[error("{what} should be {expected}")]
    WrongType {
        what: String,
        expected: &'static str,
    },

    /// A required dictionary entry is missing.
    #[error("{dict} has no /{key} entry")]
    MissingEntry {
        dict: &'static str,
        key: &'static str,
    },

    /// The document is encrypted (`/Encrypt` in the trailer); eseal does not sign those.
    #[error("the document is encrypted; remove the encryption before sealing it")]
    Encrypted,

    /// The document is encrypted in a way this reader cannot decrypt (a user password is
    /// needed, or the security handler is not supported).
    #[error("the document is encrypted and cannot be read: {0}")]
    Decryption(String),

    /// A stream uses a filter this reader does not decode.
    #[error("unsupported stream filter /{0}")]
    UnsupportedFilter(String),

    /// Decompressing a stream failed.
    #[error("corrupt compressed stream at byte {offset}: {reason}")]
    Decompress { offset: u64, reason: String },

    /// A size, count, depth or length exceeds a safety limit of the reader.
    #[error("{what} exceeds the limit of {limit}")]
    LimitExceeded { what: &'static str, limit: u64 },

    /// The requested page does not exist.
    #[error("page {page} does not exist (the document has {count} pages)")]
    PageOutOfRange { page: usize, count: usize },

    /// The page tree is malformed (loop, too deep, wrong counts).
    #[error("malformed page tree: {0}")]
    PageTree(String),

    /// No form field with this full name exists.
    #[error("no form field named {0:?}")]
    FieldNotFound(String),

    /// A field with this full name exists already.
    #[error("a form field named {0:?} exists already")]
    FieldExists(String),

    /// The named field is not a signature field (`/FT /Sig`).
    #[error("form field {0:?} is not a signature field")]
    NotASignatureField(String),

    /// The named signature field holds a signature already.
    #[error("signature field {0:?} is signed already")]
    FieldAlreadySigned(String),

    /// Certification (DocMDP) must be the first signature of a document.
    #[error("the document is signed already; a certification signature must be the first one")]
    CertifyAfterSignature,

    /// A certification with /P 1 forbids any later change.
    #[error("the document is certified with /P 1 (no changes allowed)")]
    CertifiedNoChanges,

    /// The requested rectangle lies outside the visible page.
    #[error("the rectangle {rect:?} is outside the visible area {visible:?} of page {page}")]
    RectOutsidePage {
        page: usize,
        rect: [f64; 4],
        visible: [f64; 4],
    },

    /// A signing option is invalid.
    #[error("invalid signing option: {0}")]
    InvalidOption(String),

    /// The seal picture cannot be used.
    #[error("seal picture: {0}")]
    Image(String),

    /// The signature container does not fit into the space reserved in `/Contents`.
    #[error(
        "the signature container of {needed} bytes does not fit into the {reserved} bytes reserved in /Contents"
    )]
    SignatureTooLarge { needed: usize, reserved: usize },

    /// The content signer failed.
    #[error("content signer failed: {0}")]
    Signer(Box<dyn std::error::Error + Send + Sync>),

    /// The output must be empty when signing starts.
    #[error("the output is not empty ({0} bytes); signing writes a whole new file")]
    OutputNotEmpty(u64),

    /// A licence template, its data or a licence file is not usable.
    #[error("licence: {0}")]
    Licence(String),

    /// Repair (full rewrite) is refused because the document carries signatures it would break.
    #[error("the document carries signatures; repairing it would invalidate them")]
    RepairWouldBreakSignatures,
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn syntax(offset: u64, what: impl Into<String>) -> Self {
        Error::Syntax {
            offset,
            what: what.into(),
        }
    }

    pub(crate) fn broken_xref(offset: u64, reason: impl Into<String>) -> Self {
        Error::BrokenXref {
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn wrong_type(what: impl Into<String>, expected: &'static str) -> Self {
        Error::WrongType {
            what: what.into(),
            expected,
        }
    }
}
