//! RFC 3161 time-stamping (with the RFC 5816 update: ESS signing-certificate-v2) for PAdES
//! B-T and B-LTA and for the service's TSA.
//!
//! No released crate fits: `x509-tsp` 0.1 is built on der 0.7 / cms 0.2, and its pre-releases
//! pin `cms =0.3.0-pre.0`, while this workspace is on der 0.8 and `cms =0.3.0-pre.1` (pinned
//! by p12-keystore). The types are therefore written here with der's derive.
//!
//! - `types`: the ASN.1 (TimeStampReq, TimeStampResp, PKIStatusInfo, TSTInfo, MessageImprint,
//!   Accuracy), types only;
//! - `client`: building a request with a nonce and reading the answer;
//! - `authority`: a TSA answering requests with tokens signed by an [`eseal_certs::SigningKey`];
//! - `check`: verifying a token (imprint, nonce, signature, TSA certificate and its chain).

mod authority;
mod check;
mod client;
mod error;
mod types;

pub use authority::{Answer, Tsa, FAIL_BAD_ALG, FAIL_BAD_DATA_FORMAT, FAIL_BAD_REQUEST};
pub use check::{check_tsa_certificate, CheckedToken, TimestampToken};
pub use client::{read_response, Request};
pub use error::TspError;
pub use types::*;

#[cfg(test)]
mod tests;
