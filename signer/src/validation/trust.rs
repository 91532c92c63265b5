//! What the verifier trusts and knows when it validates a signature (ETSI EN 319 102-1 §5.2.2
//! validation context): trust anchors (each with the name and region it was trusted under),
//! certificates for path building, revocation evidence (CRLs, OCSP, and permission to ask
//! responders), and the validation time.

use std::time::SystemTime;

use eseal_certs::crl::Crl;
use eseal_certs::ocsp::ParsedResponse;
use eseal_certs::trust_list::ListedAnchor;
use eseal_certs::{inspect, Certificate};

use super::revocation::{OcspFetch, OnlineFetch};
use super::AnchorFacts;

/// A certificate trusted as the end of certification paths, with the label and region it was
/// trusted under (another province's root imported from its trusted list, say), so a report
/// can say where a seal's path ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    pub certificate: Certificate,
    pub label: Option<String>,
    pub region: Option<String>,
}

impl From<Certificate> for TrustAnchor {
    /// An anchor with no name: a root given on the command line, say.
    fn from(certificate: Certificate) -> Self {
        TrustAnchor {
            certificate,
            label: None,
            region: None,
        }
    }
}

impl From<ListedAnchor> for TrustAnchor {
    /// An anchor of a verified trusted list, labelled as the list names it, in its territory.
    fn from(a: ListedAnchor) -> Self {
        TrustAnchor {
            certificate: a.certificate,
            label: Some(a.label),
            region: Some(a.region),
        }
    }
}

impl TrustAnchor {
    /// What a report says of this anchor.
    pub fn facts(&self) -> AnchorFacts {
        AnchorFacts {
            subject: inspect::subject(&self.certificate),
            sha256: inspect::fingerprint_sha256(&self.certificate).unwrap_or_default(),
            label: self.label.clone(),
            region: self.region.clone(),
        }
    }
}

/// What the verifier trusts and knows, shared by every signature of one document.
#[derive(Clone, Copy)]
pub struct TrustContext<'a> {
    pub anchors: &'a [TrustAnchor],
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
    /// Fetches CRLs and OCSP answers from the certificates' own URLs (`--online`); when
    /// given, it is used instead of `ocsp_fetch`.
    pub online: Option<&'a OnlineFetch>,
    /// The time paths are validated at when nothing proves an earlier one.
    pub at: SystemTime,
}

impl TrustContext<'_> {
    /// The anchors' certificates, for path validation.
    pub(crate) fn anchor_certificates(&self) -> Vec<Certificate> {
        self.anchors.iter().map(|a| a.certificate.clone()).collect()
    }

    /// The facts of the anchor a path ended at (the first anchor with that certificate).
    pub(crate) fn anchor_facts(&self, anchor: &Certificate) -> Option<AnchorFacts> {
        self.anchors
            .iter()
            .find(|a| &a.certificate == anchor)
            .map(TrustAnchor::facts)
    }

    /// The time a path is validated at: the proof of existence when there is one, never later
    /// than the validation time.
    pub fn path_time(&self, poe: Option<SystemTime>) -> SystemTime {
        poe.map_or(self.at, |p| p.min(self.at))
    }
}
