//! A detached signature over a whole file (`.p7s`, the signature of an ASiC-S container;
//! CAdES, ETSI EN 319 122-1), validated with the same checks as a PDF signature: digest, CMS
//! and signed attributes, signature timestamps, certificate path, CRLs and OCSP.

use std::io::{Read, Seek, SeekFrom};
use std::time::SystemTime;

use eseal_certs::DigestAlgorithm;

use super::{
    check_cades, claimed_signing_time, sniff, ContentsFormat, Profile, SubIndication, TrustContext,
    ValidationOutcome,
};

/// What validating a detached signature found.
#[derive(Debug)]
pub struct DetachedValidation {
    /// Bytes of the signed content.
    pub content_length: u64,
    /// The CMS signing-time attribute, the signer's claim.
    pub claimed_signing_time: Option<SystemTime>,
    pub outcome: ValidationOutcome,
    /// The CAdES baseline level reached (ETSI EN 319 122-1): `b-t` once a valid signature
    /// timestamp proves the time, else `b-b`; `None` when the signature failed.
    pub level: Option<&'static str>,
}

/// Validates `signature` (DER ContentInfo) as a detached signature over `content`. `Err` only
/// when the content cannot be read at all; a bad signature is an outcome that says so. A
/// detached signature has no document store: only what the CMS carries counts as the file's
/// own evidence, so `ctx.dss_crls` and `ctx.dss_ocsp` are expected empty.
pub fn verify_detached<R: Read + Seek>(
    content: &mut R,
    signature: &[u8],
    ctx: &TrustContext<'_>,
) -> std::io::Result<DetachedValidation> {
    let content_length = content.seek(SeekFrom::End(0))?;
    let claimed_signing_time = claimed_signing_time(signature);
    let mut digest_of = |alg| digest_stream(content, alg);
    let outcome = match sniff(signature) {
        ContentsFormat::Cms => check_cades(
            signature,
            &mut digest_of,
            Profile::Cms,
            claimed_signing_time,
            ctx,
            None,
        ),
        _ => ValidationOutcome::failed(
            SubIndication::FormatFailure,
            "the signature file is not a DER CMS SignedData",
        ),
    };
    let level = match (&outcome.failure, outcome.proven_time) {
        (Some(_), _) => None,
        (None, Some(_)) => Some("b-t"),
        (None, None) => Some("b-b"),
    };
    Ok(DetachedValidation {
        content_length,
        claimed_signing_time,
        outcome,
        level,
    })
}

/// The digest of everything `content` holds, from its start, read piecewise.
pub fn digest_stream<R: Read + Seek>(
    content: &mut R,
    alg: DigestAlgorithm,
) -> std::io::Result<Vec<u8>> {
    content.seek(SeekFrom::Start(0))?;
    let mut hasher = alg.hasher();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = content.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}
