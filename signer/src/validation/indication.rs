//! Indications and sub-indications of a validation (ETSI TS 119 102-1 §5.1.3 and Table 5),
//! with the two extension values the `eseal-verify/1` report schema marks as such.
//!
//! The serde names are the report's JSON spelling and must not change within schema version 1.

use serde::Serialize;

/// The main indication (ETSI TS 119 102-1 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Indication {
    #[serde(rename = "TOTAL-PASSED")]
    TotalPassed,
    #[serde(rename = "TOTAL-FAILED")]
    TotalFailed,
    #[serde(rename = "INDETERMINATE")]
    Indeterminate,
}

impl Indication {
    pub fn as_str(self) -> &'static str {
        match self {
            Indication::TotalPassed => "TOTAL-PASSED",
            Indication::TotalFailed => "TOTAL-FAILED",
            Indication::Indeterminate => "INDETERMINATE",
        }
    }
}

/// Sub-indications (ETSI TS 119 102-1 Table 5), plus two marked extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubIndication {
    // with TOTAL-FAILED
    FormatFailure,
    HashFailure,
    SigCryptoFailure,
    Revoked,
    /// Extension: a change after signing that no change rule allows.
    DisallowedChange,
    // with INDETERMINATE
    SigConstraintsFailure,
    ChainConstraintsFailure,
    CertificateChainGeneralFailure,
    CryptoConstraintsFailure,
    NoSigningCertificateFound,
    NoCertificateChainFound,
    RevokedNoPoe,
    OutOfBoundsNoPoe,
    /// Revocation information was asked for and could not be had now (`--online`).
    TryLater,
    /// Extension: a signature format or type this verifier does not check yet.
    UnsupportedFormat,
}

impl SubIndication {
    pub fn as_str(self) -> &'static str {
        match self {
            SubIndication::FormatFailure => "FORMAT_FAILURE",
            SubIndication::HashFailure => "HASH_FAILURE",
            SubIndication::SigCryptoFailure => "SIG_CRYPTO_FAILURE",
            SubIndication::Revoked => "REVOKED",
            SubIndication::DisallowedChange => "DISALLOWED_CHANGE",
            SubIndication::SigConstraintsFailure => "SIG_CONSTRAINTS_FAILURE",
            SubIndication::ChainConstraintsFailure => "CHAIN_CONSTRAINTS_FAILURE",
            SubIndication::CertificateChainGeneralFailure => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
            SubIndication::CryptoConstraintsFailure => "CRYPTO_CONSTRAINTS_FAILURE",
            SubIndication::NoSigningCertificateFound => "NO_SIGNING_CERTIFICATE_FOUND",
            SubIndication::NoCertificateChainFound => "NO_CERTIFICATE_CHAIN_FOUND",
            SubIndication::RevokedNoPoe => "REVOKED_NO_POE",
            SubIndication::OutOfBoundsNoPoe => "OUT_OF_BOUNDS_NO_POE",
            SubIndication::TryLater => "TRY_LATER",
            SubIndication::UnsupportedFormat => "UNSUPPORTED_FORMAT",
        }
    }

    /// The indication this sub-indication belongs to.
    pub fn indication(self) -> Indication {
        match self {
            SubIndication::FormatFailure
            | SubIndication::HashFailure
            | SubIndication::SigCryptoFailure
            | SubIndication::Revoked
            | SubIndication::DisallowedChange => Indication::TotalFailed,
            _ => Indication::Indeterminate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON spelling is the report's (schema `eseal-verify/1`) and `as_str` agrees with it.
    #[test]
    fn serde_names_are_the_report_spelling() {
        for sub in [
            SubIndication::FormatFailure,
            SubIndication::CertificateChainGeneralFailure,
            SubIndication::RevokedNoPoe,
            SubIndication::TryLater,
            SubIndication::UnsupportedFormat,
        ] {
            let json = serde_json::to_string(&sub).unwrap();
            assert_eq!(json, format!("\"{}\"", sub.as_str()));
        }
        for i in [
            Indication::TotalPassed,
            Indication::TotalFailed,
            Indication::Indeterminate,
        ] {
            assert_eq!(
                serde_json::to_string(&i).unwrap(),
                format!("\"{}\"", i.as_str())
            );
        }
    }
}
