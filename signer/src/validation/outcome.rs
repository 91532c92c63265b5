//! The result of validating one signature: the facts found and the first failure, as an ETSI
//! TS 119 102-1 sub-indication with its reason in plain words.

use std::time::SystemTime;

use super::{AnchorFacts, CertificateFacts, SealFacts, Signer, SubIndication, TimestampFacts};

/// The result of checking one signature's container, signer, timestamps and path.
#[derive(Debug, Default)]
pub struct ValidationOutcome {
    /// The first failure found; `None` when the signature and its path are good.
    pub failure: Option<(SubIndication, String)>,
    pub signer: Option<Signer>,
    pub chain: Vec<CertificateFacts>,
    /// The trust anchor the signer's path (a document timestamp's TSA path) ended at; `None`
    /// when no path was found.
    pub trust_anchor: Option<AnchorFacts>,
    pub digest_algorithm: Option<String>,
    pub signature_algorithm: Option<String>,
    pub timestamps: Vec<TimestampFacts>,
    pub warnings: Vec<String>,
    /// The electronic seal of a GB/T 38540 signature.
    pub seal: Option<SealFacts>,
    /// The time a valid timestamp proves: for a signature, its earliest valid signature
    /// timestamp; for a document timestamp, its own genTime.
    pub proven_time: Option<SystemTime>,
    /// Every certificate on the signer's path below the anchor had its revocation checked
    /// with evidence the file carries (DSS or CMS), not only with what the caller gave.
    pub revocation_complete: bool,
    /// The CMS's signed attributes fall short of PAdES baseline B-B (no ESS
    /// signing-certificate-v2, or a signing-time attribute): valid, but at no baseline level.
    pub below_baseline: bool,
}

impl ValidationOutcome {
    /// An outcome that failed before anything was learnt.
    pub fn failed(sub: SubIndication, why: impl Into<String>) -> ValidationOutcome {
        ValidationOutcome::default().fail(sub, why)
    }

    /// Records a failure unless an earlier one is recorded already.
    pub fn fail(mut self, sub: SubIndication, why: impl Into<String>) -> Self {
        self.failure.get_or_insert((sub, why.into()));
        self
    }

    /// [`Self::fail`] for a failure returned as `(sub-indication, reason)`.
    pub(crate) fn fail_with(self, (sub, why): (SubIndication, String)) -> Self {
        self.fail(sub, why)
    }
}
