//! Validation of one signature over bytes, as ETSI EN 319 102-1 §5 validates it, answered with
//! the indications of ETSI TS 119 102-1: a detached CMS/CAdES signature (RFC 5652, ETSI EN 319
//! 122-1), an RFC 3161 document timestamp, or a GB/T 38540 seal signature, over content given
//! as a digest (any stream, a PDF's byte ranges), under a [`TrustContext`]. The PDF verifier
//! (`eseal-pdf`), `.p7s` and ASiC-S files, and later OFD, use it alike; reading the container
//! the signature sits in, and the report around the outcome, are theirs.
//!
//! Time: a signature's proof of existence (POE, ETSI EN 319 102-1 §5.6.2) is the genTime of its
//! earliest valid signature timestamp, or of the earliest valid document timestamp over a later
//! revision (which the caller passes in). With a POE the signer's path is validated at that
//! time: a seal made before its certificate expired or was revoked stays valid, one made after
//! does not. Without one, paths are validated at the context's validation time. A timestamp's
//! own TSA path is validated likewise: at the POE a later document timestamp gives it, else at
//! the validation time. The signer's claimed time (a PDF's `/M`, a CMS signing-time) is used
//! for one thing: a signer certificate revoked *before* it is TOTAL-FAILED/REVOKED, otherwise a
//! revoked signer without POE is INDETERMINATE/REVOKED_NO_POE.
//!
//! - `indication`: indications and sub-indications (TS 119 102-1 §5.1.3, Table 5);
//! - `facts`: what an outcome says about signer, chain, timestamps and seal;
//! - `trust`: the validation context (named anchors, certificates, CRLs, OCSP, time);
//! - `outcome`: the result of one validation;
//! - `format`: CMS or GB/T 38540, told by the outer DER structure;
//! - `cades`: a detached CMS signature, from digest to path;
//! - `signed_attributes`: what the baseline profiles ask of the signed attributes;
//! - `timestamp`: proof of existence from signature and document timestamps;
//! - `path`: the signer's certificate path and the sub-indication of its failures;
//! - `revocation`: CRLs and OCSP the signature carries, fetching OCSP, revocation in words;
//! - `ses`: a GB/T 38540 seal signature (§9);
//! - `legacy`: the bare PKCS#1 signature of `/adbe.x509.rsa_sha1` (ISO 32000-1 §12.8.3.2);
//! - `detached`: a detached signature over a stream of bytes (`.p7s`, ASiC-S).

mod cades;
mod detached;
mod facts;
mod format;
mod indication;
mod legacy;
mod outcome;
mod path;
pub mod revocation;
mod ses;
mod signed_attributes;
mod timestamp;
mod trust;

use eseal_certs::DigestAlgorithm;

pub use cades::{check_cades, check_pkcs7_sha1};
pub use detached::{digest_stream, verify_detached, DetachedValidation};
pub use facts::{rfc3339, AnchorFacts, CertificateFacts, SealFacts, Signer, TimestampFacts};
pub use format::{sniff, ContentsFormat};
pub use indication::{Indication, SubIndication};
pub use legacy::check_x509_rsa_sha1;
pub use outcome::ValidationOutcome;
pub use revocation::{Fetched, OcspFetch, OnlineFetch};
pub use ses::check_seal_signature;
pub use signed_attributes::{claimed_signing_time, Profile};
pub use timestamp::check_document_timestamp;
pub use trust::{TrustAnchor, TrustContext};

pub(crate) use cades::cms_failure;

/// Computes the digest of the signed content with the algorithm the signature names: over a
/// PDF's byte ranges, a whole file, or any other stream.
pub type DigestOf<'a> = &'a mut dyn FnMut(DigestAlgorithm) -> std::io::Result<Vec<u8>>;

/// The failure when the signed content cannot be read.
fn unreadable(e: std::io::Error) -> (SubIndication, String) {
    (
        SubIndication::FormatFailure,
        format!("cannot read the signed bytes: {e}"),
    )
}
