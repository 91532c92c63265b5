//! The one error type of the verifier. It is returned only when the input cannot be examined
//! at all (not a PDF, unreadable); everything wrong *inside* a PDF becomes a finding in the
//! [`super::Report`], so that a broken or forged document is reported, not refused.

/// Why a file could not be verified at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Reading the file failed.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a PDF (no `%PDF-` header or no `startxref` at its end).
    #[error("not a PDF file: {0}")]
    NotPdf(String),
    /// Reading the file would cost more than the budget allows (a decompression bomb, a
    /// cross-reference stream declaring millions of entries, an object stream of millions of
    /// tiny objects): it is refused rather than judged on the part that fit. `what` names the
    /// limit ([`crate::reader::Limit::what`]).
    #[error(
        "the file is too costly to read: {what} exceed the limit of {limit}; it is not \
         verified rather than judged on the part that fit"
    )]
    TooCostly { what: &'static str, limit: u64 },
    /// The file is encrypted and cannot be decrypted (it needs a user password, or its
    /// encryption is not supported), so its signatures cannot be judged.
    #[error("the file is encrypted and cannot be verified: {0}")]
    Encrypted(String),
}
