//! A detached CMS signature (RFC 5652 §5.4, §5.6; CAdES, ETSI EN 319 122-1; the CMS inside a
//! PAdES signature, ETSI EN 319 142-1) checked the way ETSI EN 319 102-1 §5 validates it: the
//! signature over the content's digest and the signed attributes, the signature timestamps
//! that give proof of existence, the signed attributes the profile asks for, and the signer's
//! path with the revocation evidence the CMS carries.

use std::time::SystemTime;

use eseal_certs::crl::Crl;
use eseal_certs::ocsp::ParsedResponse;
use eseal_certs::validate::{validate, Purpose, Validation};
use eseal_certs::{Certificate, DigestAlgorithm};

use super::path::check_path;
use super::revocation::{all_good, embedded_crls, embedded_ocsp};
use super::signed_attributes::check_signed_attributes;
use super::timestamp::prove_existence;
use super::{DigestOf, Profile, Signer, SubIndication, TrustContext, ValidationOutcome};
use crate::cms::{CmsError, SignedCms, SignerVerdict};

/// Validates `contents`, a DER ContentInfo with a detached SignedData, over the content whose
/// digest `digest_of` computes (a PDF's byte ranges, or a whole file). `claimed_time` is the
/// signer's own claim (a PDF's `/M`, a CMS signing-time); `later_poe` is the proof of existence
/// a later document timestamp gives.
pub fn check_cades(
    contents: &[u8],
    digest_of: DigestOf<'_>,
    profile: Profile,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
) -> ValidationOutcome {
    check_cms(
        contents,
        Content::Detached(digest_of),
        profile,
        claimed_time,
        ctx,
        later_poe,
    )
}

/// The legacy `/adbe.pkcs7.sha1` form (ISO 32000-1 §12.8.3.3.1): a SignedData whose
/// *encapsulated* content is the SHA-1 digest of the signed bytes, the signer's message digest
/// being over that content. Checked as [`check_cades`] once the content is the bytes' SHA-1;
/// SHA-1 makes it weak, so it never passes (INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE).
pub fn check_pkcs7_sha1(
    contents: &[u8],
    digest_of: DigestOf<'_>,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
) -> ValidationOutcome {
    check_cms(
        contents,
        Content::EncapsulatedSha1(digest_of),
        Profile::Cms,
        claimed_time,
        ctx,
        later_poe,
    )
}

/// Where the signed content is: detached (digested by the caller), or a SHA-1 digest of it
/// encapsulated in the CMS.
enum Content<'a, 'b> {
    Detached(DigestOf<'a>),
    EncapsulatedSha1(DigestOf<'b>),
}

fn check_cms(
    contents: &[u8],
    content: Content<'_, '_>,
    profile: Profile,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
) -> ValidationOutcome {
    let mut out = ValidationOutcome::default();
    let signed = match verify_signature(contents, content, ctx, &mut out) {
        Ok(s) => s,
        Err(failure) => return out.fail_with(failure),
    };
    let cert = &signed.verdict.signer_certificate;
    out.signer = Some(Signer::of(cert));
    prove_existence(
        &signed.verdict.timestamp_tokens,
        &signed.signature_value,
        ctx,
        ctx.path_time(later_poe),
        &mut out,
    );
    let poe = match (out.proven_time, later_poe) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let out = check_signed_attributes(&signed.verdict, profile, out);
    let evidence = Evidence::gather(&signed.cms, ctx);
    let mut out = check_path(
        cert,
        &evidence.intermediates,
        &evidence.crls,
        &evidence.ocsp,
        claimed_time,
        ctx,
        poe,
        out,
    );
    if out.revocation_complete && evidence.beyond_the_file(ctx) {
        out.revocation_complete = evidence.file_alone_suffices(cert, ctx, poe);
    }
    // Last, so that any worse finding is the one reported: a weak signature that is otherwise
    // good is INDETERMINATE, never TOTAL-PASSED (ETSI TS 119 172-4, EN 319 102-1 §5.2.8).
    let Some(weak) = &signed.verdict.weakness else {
        return out;
    };
    let weak = format!("weak algorithm in the signature: {weak}");
    match &mut out.failure {
        // A weak chain too: say both, the signature's first.
        Some((SubIndication::CryptoConstraintsFailure, why)) => {
            *why = format!("{weak}; {why}");
            out
        }
        _ => out.fail(SubIndication::CryptoConstraintsFailure, weak),
    }
}

/// A CMS whose signer verified over the content.
struct Signed {
    cms: SignedCms,
    verdict: SignerVerdict,
    signature_value: Vec<u8>,
}

/// Parses the CMS, digests the content with the signer's digest algorithm and verifies the
/// signature and signed attributes (RFC 5652 §5.6); records both algorithms.
fn verify_signature(
    contents: &[u8],
    content: Content<'_, '_>,
    ctx: &TrustContext<'_>,
    out: &mut ValidationOutcome,
) -> Result<Signed, (SubIndication, String)> {
    let format = |e: CmsError| (SubIndication::FormatFailure, e.to_string());
    let cms = SignedCms::parse(contents).map_err(format)?;
    let signer_info = cms.signer().map_err(format)?;
    let digest_alg = signer_info
        .digest_algorithm()
        .map_err(|e| (SubIndication::CryptoConstraintsFailure, e.to_string()))?;
    out.digest_algorithm = Some(digest_alg.name().to_string());
    let failed = |e: CmsError| (cms_failure(&e), e.to_string());
    let verdict = match content {
        Content::Detached(digest_of) => {
            let digest = digest_of(digest_alg).map_err(super::unreadable)?;
            cms.verify_detached_with(&digest, ctx.extra_certificates)
                .map_err(failed)?
        }
        Content::EncapsulatedSha1(digest_of) => {
            let sha1 = digest_of(DigestAlgorithm::Sha1).map_err(super::unreadable)?;
            if cms.econtent_octets().map_err(format)? != sha1 {
                return Err((
                    SubIndication::HashFailure,
                    "the encapsulated SHA-1 digest (adbe.pkcs7.sha1) does not match the \
                     signed bytes"
                        .into(),
                ));
            }
            let (mut verdict, _) = cms
                .verify_encapsulated_with(ctx.extra_certificates)
                .map_err(failed)?;
            let sha1_weak = "adbe.pkcs7.sha1 signs the SHA-1 digest of the document \
                             (SHA-1 is not accepted for signatures, ETSI TS 119 312)";
            verdict.weakness = Some(match verdict.weakness.take() {
                Some(w) => format!("{sha1_weak}; {w}"),
                None => sha1_weak.to_string(),
            });
            verdict
        }
    };
    out.signature_algorithm = Some(verdict.algorithm_name());
    out.warnings.extend(cms.deviations());
    let signature_value = signer_info.signature().to_vec();
    Ok(Signed {
        cms,
        verdict,
        signature_value,
    })
}

/// The certificates and revocation evidence for the signer's path: the caller's and the
/// document's (in the context) and the CMS's own.
struct Evidence {
    intermediates: Vec<Certificate>,
    crls: Vec<Crl>,
    ocsp: Vec<ParsedResponse>,
    embedded_crls: Vec<Crl>,
    embedded_ocsp: Vec<ParsedResponse>,
}

impl Evidence {
    fn gather(cms: &SignedCms, ctx: &TrustContext<'_>) -> Evidence {
        let mut intermediates: Vec<Certificate> = cms
            .certificates()
            .iter()
            .map(|c| c.certificate.clone())
            .collect();
        intermediates.extend(ctx.extra_certificates.iter().cloned());
        let embedded_crls = embedded_crls(cms);
        let mut crls = ctx.crls.to_vec();
        crls.extend(embedded_crls.iter().cloned());
        let embedded_ocsp = embedded_ocsp(cms);
        let mut ocsp = ctx.ocsp.to_vec();
        ocsp.extend(embedded_ocsp.iter().cloned());
        Evidence {
            intermediates,
            crls,
            ocsp,
            embedded_crls,
            embedded_ocsp,
        }
    }

    /// Whether evidence from outside the file was used: the caller's, or fetched.
    fn beyond_the_file(&self, ctx: &TrustContext<'_>) -> bool {
        self.crls.len() > ctx.dss_crls.len() + self.embedded_crls.len()
            || self.ocsp.len() > ctx.dss_ocsp.len() + self.embedded_ocsp.len()
            || ctx.ocsp_fetch.is_some()
            || ctx.online.is_some()
    }

    /// Whether the file's own evidence (document store and CMS) establishes the revocation of
    /// every certificate on the signer's path without the caller's.
    fn file_alone_suffices(
        &self,
        cert: &Certificate,
        ctx: &TrustContext<'_>,
        poe: Option<SystemTime>,
    ) -> bool {
        let mut own = ctx.dss_crls.to_vec();
        own.extend(self.embedded_crls.iter().cloned());
        let mut own_ocsp = ctx.dss_ocsp.to_vec();
        own_ocsp.extend(self.embedded_ocsp.iter().cloned());
        let anchors = ctx.anchor_certificates();
        let validation = Validation {
            anchors: &anchors,
            intermediates: &self.intermediates,
            crls: &own,
            ocsp: &own_ocsp,
            at: ctx.path_time(poe),
            purpose: Purpose::DocumentSigning,
        };
        validate(cert, &validation).is_ok_and(|p| all_good(&p))
    }
}

/// ETSI sub-indication for a CMS failure.
pub(crate) fn cms_failure(e: &CmsError) -> SubIndication {
    match e {
        CmsError::DigestMismatch => SubIndication::HashFailure,
        CmsError::BadSignature
        | CmsError::KeyAlgorithmMismatch { .. }
        | CmsError::AlgorithmMismatch { .. }
        | CmsError::AlgorithmProtectionMismatch => SubIndication::SigCryptoFailure,
        CmsError::SignerNotFound
        | CmsError::EssV1CertMismatch
        | CmsError::EssV2CertMismatch
        | CmsError::EssIssuerSerialMismatch
        | CmsError::EssEmpty => SubIndication::NoSigningCertificateFound,
        CmsError::UnsupportedDigestAlgorithm(_)
        | CmsError::UnsupportedSignatureAlgorithm(_)
        | CmsError::PublicKey(eseal_certs::Error::Unsupported { .. }) => {
            SubIndication::CryptoConstraintsFailure
        }
        _ => SubIndication::FormatFailure,
    }
}
