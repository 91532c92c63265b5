//! What the verifier trusts and knows when it validates a signature (ETSI EN 319 102-1 §5.2.2
//! validation context): trust anchors, certificates for path building, revocation evidence
//! (CRLs, OCSP, and permission to ask responders), and the validation time.

use std::time::SystemTime;

use eseal_certs::crl::Crl;
use eseal_certs::ocsp::ParsedResponse;
use eseal_certs::Certificate;

use super::revocation::OcspFetch;

/// What the verifier trusts and knows, shared by every signature of one document.
#[derive(Clone, Copy)]
pub struct TrustContext<'a> {
    pub anchors: &'a [Certificate],
    /// Extra certificates for path building (the caller's, and those the document carries,
    /// such as a PDF's DSS).
    pub extra_certificates: &'a [Certificate],
    /// CRLs given by the caller and those the document carries.
    pub crls: &'a [Crl],
    /// The CRLs the document itself carries outside the signature (a PDF's DSS; none for a
    /// detached signature), for telling whether the file alone suffices (PAdES B-LT).
    pub dss_crls: &'a [Crl],
    /// OCSP responses given by the caller and those the document carries.
    pub ocsp: &'a [ParsedResponse],
    /// The OCSP responses the document itself carries outside the signature (a PDF's DSS).
    pub dss_ocsp: &'a [ParsedResponse],
    /// Asks responders for what is missing, when the caller allowed it.
    pub ocsp_fetch: Option<&'a OcspFetch>,
    /// The time paths are validated at when nothing proves an earlier one.
    pub at: SystemTime,
}

impl TrustContext<'_> {
    /// The time a path is validated at: the proof of existence when there is one, never later
    /// than the validation time.
    pub fn path_time(&self, poe: Option<SystemTime>) -> SystemTime {
        poe.map_or(self.at, |p| p.min(self.at))
    }
}
