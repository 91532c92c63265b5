//! One error type for the PKI crate. Variants say what went wrong in the terms of the
//! standard (or of the file a person gave us), never in the terms of the code.

use std::path::PathBuf;

/// Everything that can go wrong in `eseal-certs`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: Box<Error>,
    },
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("wrong passphrase, or the encrypted key is damaged")]
    WrongPassphrase,
    #[error("a passphrase is needed to decrypt this key")]
    PassphraseRequired,
    #[error("unsupported {what}: {detail}")]
    Unsupported { what: &'static str, detail: String },
    #[error("no private key found in {0}")]
    NoKey(&'static str),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("invalid {what} '{value}': {detail}")]
    InvalidInput {
        what: &'static str,
        value: String,
        detail: String,
    },
    #[error("certificate with serial {0} not issued by this CA")]
    UnknownSerial(String),
}

impl Error {
    pub(crate) fn malformed(what: &'static str, detail: impl std::fmt::Display) -> Self {
        Error::Malformed {
            what,
            detail: detail.to_string(),
        }
    }

    pub(crate) fn unsupported(what: &'static str, detail: impl std::fmt::Display) -> Self {
        Error::Unsupported {
            what,
            detail: detail.to_string(),
        }
    }

    /// Attach the file a problem came from, so a person knows which file to fix.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            e @ (Error::File { .. } | Error::Io { .. }) => e,
            e => Error::File {
                path: path.into(),
                source: Box::new(e),
            },
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
