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
    /// Reading the file would cost more than the budget allows (a decompression bomb, or
    /// streams named over and over): it is refused rather than judged on the part that fit.
    #[error(
        "the file's streams decode to more than {limit} bytes in all, the limit for one \
         document; it is not verified"
    )]
    TooCostly { limit: u64 },
}
