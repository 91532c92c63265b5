//! Checking what `/Contents` holds (ETSI EN 319 142-1 §5, EN 319 122-1 for CMS; RFC 5280 and
//! ETSI EN 319 102-1 §5.2.6 for the certificate path; RFC 3161 for timestamps).
//!
//! The format is sniffed first: a DER ContentInfo (CMS SignedData, either OID family) or a
//! GB/T 38540 `SES_Signature`. **Dispatch point:** [`check_contents`] matches on
//! [`ContentsFormat`]; GB/T 38540 verification plugs in at the `SesSignature` arm.
//!
//! Time: a signature's proof of existence (POE, ETSI EN 319 102-1 §5.6.2) is the genTime of
//! its earliest valid signature timestamp, or of the earliest valid document timestamp in a
//! later revision (which the caller passes in). With a POE the signer's path is validated at
//! that time: a seal made before its certificate expired or was revoked stays valid, one made
//! after does not. Without one, paths are validated at the time given with `--at`, else at
//! the time of verification. A timestamp's own TSA path is validated likewise: at the POE a
//! later document timestamp gives it, else at the validation time. The `/M` entry is reported
//! as a claim only; it is used for one thing: a signer certificate revoked *before* the
//! signer's own claimed time is TOTAL-FAILED/REVOKED, otherwise a revoked signer without POE
//! is INDETERMINATE/REVOKED_NO_POE.

use std::io::{Read, Seek, SeekFrom};
use std::time::SystemTime;

use eseal_certs::crl::{self, Crl};
use eseal_certs::ocsp::ParsedResponse;
use eseal_certs::validate::{validate, PathFailure, Purpose, RevocationStatus, Validation};
use eseal_certs::{inspect, name, Certificate, DigestAlgorithm};
use eseal_signer::cms::{CmsError, EssBinding, SignedCms};
use eseal_signer::tsp::{TimestampToken, TspError};

use super::report::{CertificateFacts, SealFacts, Signer, SubIndication, TimestampFacts};
use super::revocation::{self, OcspFetch};
use super::signature::{ByteRange, FoundSignature};
use super::time::rfc3339;

/// What the verifier trusts and knows, shared by every signature of one document.
pub struct TrustContext<'a> {
    pub anchors: &'a [Certificate],
    /// Extra certificates for path building (from the DSS).
    pub extra_certificates: &'a [Certificate],
    /// CRLs given by the caller and found in the DSS.
    pub crls: &'a [Crl],
    /// The CRLs of the DSS alone (what the file carries, for B-LT).
    pub dss_crls: &'a [Crl],
    /// OCSP responses given by the caller and found in the DSS.
    pub ocsp: &'a [ParsedResponse],
    /// The OCSP responses of the DSS alone (for B-LT).
    pub dss_ocsp: &'a [ParsedResponse],
    /// Asks responders for what is missing, when the caller allowed it.
    pub ocsp_fetch: Option<&'a OcspFetch>,
    /// The time paths are validated at.
    pub at: SystemTime,
}

/// The result of checking one signature's contents.
#[derive(Default)]
pub struct CryptoOutcome {
    /// The first failure found; `None` when the signature and its path are good.
    pub failure: Option<(SubIndication, String)>,
    pub signer: Option<Signer>,
    pub chain: Vec<CertificateFacts>,
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
    /// with CRLs the file carries (DSS or CMS), not only with ones the caller gave.
    pub revocation_complete: bool,
}

impl CryptoOutcome {
    fn fail(mut self, sub: SubIndication, why: impl Into<String>) -> Self {
        self.failure.get_or_insert((sub, why.into()));
        self
    }
}

/// What `/Contents` holds, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentsFormat {
    /// DER ContentInfo: SEQUENCE { OBJECT IDENTIFIER, [0] ... }.
    Cms,
    /// GB/T 38540 SES_Signature: SEQUENCE { TBS_Sign SEQUENCE, ... }.
    SesSignature,
    Unknown,
}

/// Sniffs the container format from its outer DER header.
pub fn sniff(contents: &[u8]) -> ContentsFormat {
    if contents.first() != Some(&0x30) {
        return ContentsFormat::Unknown;
    }
    let header = match contents.get(1) {
        Some(l) if *l < 0x80 => 2,
        Some(l) if (0x81..=0x84).contains(l) => 2 + usize::from(l - 0x80),
        _ => return ContentsFormat::Unknown,
    };
    match contents.get(header) {
        Some(0x06) => ContentsFormat::Cms,
        Some(0x30) => ContentsFormat::SesSignature,
        _ => ContentsFormat::Unknown,
    }
}

/// Checks the container of a structurally sound signature.
pub fn check_contents<R: Read + Seek + Clone>(
    input: &R,
    sig: &FoundSignature,
    br: ByteRange,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
) -> CryptoOutcome {
    let out = CryptoOutcome::default();
    let Some(contents) = sig.contents.as_deref() else {
        return out.fail(SubIndication::FormatFailure, "/Contents is missing");
    };
    match sniff(contents) {
        ContentsFormat::Cms if sig.is_doc_timestamp() => {
            check_doc_timestamp(input, contents, br, ctx, later_poe, out)
        }
        ContentsFormat::Cms => {
            check_cms(input, contents, sig, br, claimed_time, ctx, later_poe, out)
        }
        ContentsFormat::SesSignature => check_ses(input, contents, br, claimed_time, ctx, out),
        ContentsFormat::Unknown => out.fail(
            SubIndication::FormatFailure,
            "/Contents holds neither a CMS signature nor a GB/T 38540 seal signature",
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn check_cms<R: Read + Seek + Clone>(
    input: &R,
    contents: &[u8],
    sig: &FoundSignature,
    br: ByteRange,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
    out: CryptoOutcome,
) -> CryptoOutcome {
    let pades = sig.name_entry("SubFilter").as_deref() == Some("ETSI.CAdES.detached");
    let mut digest_of = |alg| digest_ranges(input, br, alg);
    check_cms_digest(
        contents,
        &mut digest_of,
        pades,
        claimed_time,
        ctx,
        later_poe,
        out,
    )
}

/// A detached CMS signature over content whose digest `digest_of` computes (the PDF's byte
/// ranges, or a whole file for CAdES); `pades` applies the PAdES baseline rules.
pub(super) fn check_cms_digest(
    contents: &[u8],
    digest_of: &mut dyn FnMut(DigestAlgorithm) -> std::io::Result<Vec<u8>>,
    pades: bool,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
    mut out: CryptoOutcome,
) -> CryptoOutcome {
    let cms = match SignedCms::parse(contents) {
        Ok(c) => c,
        Err(e) => return out.fail(SubIndication::FormatFailure, e.to_string()),
    };
    let signer_info = match cms.signer() {
        Ok(s) => s,
        Err(e) => return out.fail(SubIndication::FormatFailure, e.to_string()),
    };
    let digest_alg = match signer_info.digest_algorithm() {
        Ok(d) => d,
        Err(e) => return out.fail(SubIndication::CryptoConstraintsFailure, e.to_string()),
    };
    out.digest_algorithm = Some(digest_alg.name().to_string());
    let digest = match digest_of(digest_alg) {
        Ok(d) => d,
        Err(e) => {
            return out.fail(
                SubIndication::FormatFailure,
                format!("cannot read the signed bytes: {e}"),
            )
        }
    };
    let verdict = match cms.verify_detached_with(&digest, ctx.extra_certificates) {
        Ok(v) => v,
        Err(e) => {
            let sub = cms_failure(&e);
            return out.fail(sub, e.to_string());
        }
    };
    out.signature_algorithm = Some(verdict.algorithm.to_string());
    let cert = verdict.signer_certificate.clone();
    out.signer = Some(signer_facts(&cert));
    let ts_at = later_poe.map_or(ctx.at, |p| p.min(ctx.at));
    for token in &verdict.timestamp_tokens {
        let (facts, proven) = check_signature_timestamp(token, signer_info.signature(), ctx, ts_at);
        if facts.valid {
            out.proven_time = Some(out.proven_time.map_or(proven, |p| p.min(proven)));
        } else {
            out.warnings.push(format!(
                "a signature timestamp proves nothing: {}",
                facts.status
            ));
        }
        out.timestamps.push(facts);
    }
    let poe = match (out.proven_time, later_poe) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match verdict.ess {
        EssBinding::SigningCertificateV2 => {}
        EssBinding::SigningCertificateV1 if !pades => out.warnings.push(
            "the signer certificate is bound only by ESS signing-certificate (v1, SHA-1)".into(),
        ),
        EssBinding::SigningCertificateV1 | EssBinding::Absent => {
            out = out.fail(
                SubIndication::NoSigningCertificateFound,
                "not a PAdES baseline signature: the signed attributes do not bind the signer \
                 certificate (ESS signing-certificate-v2 is missing)",
            );
        }
    }
    if verdict.signing_time.is_some() && pades {
        out.warnings
            .push("the CMS carries a signing-time attribute, which PAdES baseline forbids".into());
    }
    let mut intermediates: Vec<Certificate> = cms
        .certificates()
        .iter()
        .map(|c| c.certificate.clone())
        .collect();
    intermediates.extend(ctx.extra_certificates.iter().cloned());
    let mut crls: Vec<Crl> = ctx.crls.to_vec();
    let embedded = embedded_crls(&cms);
    crls.extend(embedded.iter().cloned());
    let embedded_ocsp = revocation::embedded_ocsp(&cms);
    let mut ocsp = ctx.ocsp.to_vec();
    ocsp.extend(embedded_ocsp.iter().cloned());
    let with_ocsp = TrustContext {
        ocsp: &ocsp,
        ..*ctx
    };
    let mut out = check_path(
        &cert,
        &intermediates,
        &crls,
        claimed_time,
        &with_ocsp,
        poe,
        out,
    );
    let given = crls.len() > ctx.dss_crls.len() + embedded.len()
        || ocsp.len() > ctx.dss_ocsp.len() + embedded_ocsp.len()
        || ctx.ocsp_fetch.is_some();
    if out.revocation_complete && given {
        // Passed with the caller's (or fetched) evidence too: would the file's own have been
        // enough?
        let mut own = ctx.dss_crls.to_vec();
        own.extend(embedded);
        let mut own_ocsp = ctx.dss_ocsp.to_vec();
        own_ocsp.extend(embedded_ocsp);
        let validation = Validation {
            anchors: ctx.anchors,
            intermediates: &intermediates,
            crls: &own,
            ocsp: &own_ocsp,
            at: poe.map_or(ctx.at, |p| p.min(ctx.at)),
            purpose: Purpose::DocumentSigning,
        };
        out.revocation_complete = validate(&cert, &validation).is_ok_and(|p| {
            p.revocation.iter().all(|r| {
                matches!(
                    r,
                    RevocationStatus::GoodPerCrl { .. } | RevocationStatus::GoodPerOcsp { .. }
                )
            })
        });
    }
    out
}

/// A GB/T 38540 seal signature (§9): the steps in the standard's order from `signer::ses`,
/// then the certificate paths of the signer and of the seal maker, which only the verifier
/// can check because it holds the trust anchors.
fn check_ses<R: Read + Seek + Clone>(
    input: &R,
    contents: &[u8],
    br: ByteRange,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    mut out: CryptoOutcome,
) -> CryptoOutcome {
    use eseal_signer::ses::{self, Check};
    let parsed = match ses::SealSignature::parse(contents) {
        Ok(p) => p,
        Err(e) => return out.fail(SubIndication::FormatFailure, format!("GB/T 38540: {e}")),
    };
    // dataHash is SM3 of the protected bytes (GB/T 38540 §8.1).
    out.digest_algorithm = Some(DigestAlgorithm::Sm3.name().to_string());
    out.signature_algorithm = Some("SM2 (GB/T 38540 seal signature)".to_string());
    let digest = match digest_ranges(input, br, DigestAlgorithm::Sm3) {
        Ok(d) => d,
        Err(e) => {
            return out.fail(
                SubIndication::FormatFailure,
                format!("cannot read the signed bytes: {e}"),
            )
        }
    };
    let v = ses::verify_parsed(&parsed, Some(&digest));
    let seal = &parsed.seal;
    out.seal = Some(SealFacts {
        name: seal.name.clone(),
        seal_type: match seal.seal_type() {
            Some(t) => format!("{:02} {}", t.code(), t.name()),
            None => format!("{} (unknown type)", seal.type_code),
        },
        id: seal.es_id.clone(),
        version: match seal.version {
            ses::SesVersion::V1 => 1,
            _ => 4,
        },
        owner: match seal.owner() {
            Ok(Some(o)) => Some(format!("{} {}", o.code.kind(), o.code.code())),
            Ok(None) => None,
            Err(e) => Some(format!("invalid owner binding: {e}")),
        },
        valid_from: rfc3339(seal.valid_start),
        valid_until: rfc3339(seal.valid_end),
        maker: seal.maker_certificate().ok().map(|c| inspect::subject(&c)),
        checks: v
            .steps()
            .iter()
            .map(|(step, c)| {
                let text = match c {
                    // The paths are the verifier's part: see the chain in the report.
                    Check::NotChecked(_) if *step == "certificate path" => {
                        "checked by the verifier (see the chain)".to_string()
                    }
                    Check::Passed => "passed".to_string(),
                    Check::Failed(e) => format!("FAILED: {e}"),
                    Check::NotChecked(why) => format!("not checked: {why}"),
                };
                (step.to_string(), text)
            })
            .collect(),
    });
    for (step, check) in v.steps() {
        if let Check::Failed(e) = check {
            let sub = match step {
                "data hash" => SubIndication::HashFailure,
                "signature" => SubIndication::SigCryptoFailure,
                "format" => SubIndication::FormatFailure,
                // The seal does not belong to this signer, is not genuine, or is out of date.
                _ => SubIndication::SigConstraintsFailure,
            };
            out = out.fail(sub, format!("GB/T 38540 {step}: {e}"));
        }
    }
    if let Check::NotChecked(why) = &v.timestamp {
        if !why.is_empty() && parsed.time_stamp.is_some() {
            out.warnings
                .push(format!("seal signature timestamp not checked: {why}"));
        }
    }
    let Some(signer) = v.signer_certificate.clone() else {
        return out.fail(
            SubIndication::NoSigningCertificateFound,
            "the seal signature carries no readable signer certificate",
        );
    };
    out.signer = Some(signer_facts(&signer));
    let mut intermediates: Vec<Certificate> = ctx.extra_certificates.to_vec();
    if let Some(maker) = v.maker_certificate.clone() {
        // The seal maker's certificate must chain to a trust anchor too (§9 step 4).
        let validation = Validation {
            anchors: ctx.anchors,
            intermediates: ctx.extra_certificates,
            crls: ctx.crls,
            ocsp: ctx.ocsp,
            at: ctx.at,
            purpose: Purpose::Any,
        };
        if let Err(e) = validate(&maker, &validation) {
            out = out.fail(
                SubIndication::SigConstraintsFailure,
                format!("the seal maker's certificate path: {e}"),
            );
        }
        intermediates.push(maker);
    }
    check_path(
        &signer,
        &intermediates,
        ctx.crls,
        claimed_time,
        ctx,
        None,
        out,
    )
}

/// The signer's path, at the proof of existence when there is one (never later than the
/// validation time), else at the validation time.
fn check_path(
    cert: &Certificate,
    intermediates: &[Certificate],
    crls: &[Crl],
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    poe: Option<SystemTime>,
    mut out: CryptoOutcome,
) -> CryptoOutcome {
    let validation = Validation {
        anchors: ctx.anchors,
        intermediates,
        crls,
        ocsp: ctx.ocsp,
        at: poe.map_or(ctx.at, |p| p.min(ctx.at)),
        purpose: Purpose::DocumentSigning,
    };
    // With a POE, a revocation at or before it is proven to precede the signature.
    let claimed_time = poe.or(claimed_time);
    let mut result = validate(cert, &validation);
    // Revocation not established from what was given: ask the allowed responders, once.
    let mut fetched = Vec::new();
    if let (Ok(path), Some(fetch)) = (&result, ctx.ocsp_fetch) {
        fetched = revocation::fetch_missing(fetch, path, &mut out.warnings);
    }
    if !fetched.is_empty() {
        let mut ocsp = ctx.ocsp.to_vec();
        ocsp.extend(fetched);
        result = validate(
            cert,
            &Validation {
                ocsp: &ocsp,
                ..validation
            },
        );
    }
    match result {
        Ok(path) => {
            out.revocation_complete = path.revocation.iter().all(|r| {
                matches!(
                    r,
                    RevocationStatus::GoodPerCrl { .. } | RevocationStatus::GoodPerOcsp { .. }
                )
            });
            let n = path.certificates.len();
            for (i, c) in path.certificates.iter().enumerate() {
                let revocation = match path.revocation.get(i) {
                    Some(RevocationStatus::GoodPerCrl { this_update }) => {
                        format!("good per CRL of {}", rfc3339(*this_update))
                    }
                    r @ Some(RevocationStatus::GoodPerOcsp { .. }) => revocation_text(r),
                    Some(RevocationStatus::NotChecked) => {
                        out.warnings.push(format!(
                            "revocation of '{}' not checked: no CRL or OCSP response from its \
                             issuer was given or embedded",
                            inspect::subject(c)
                        ));
                        "not checked".to_string()
                    }
                    None if i + 1 == n => "trust anchor".to_string(),
                    None => "not checked".to_string(),
                };
                out.chain.push(cert_facts(c, revocation));
            }
            out
        }
        Err(e) => {
            out.chain.push(cert_facts(cert, "unknown".into()));
            let sub = match &e.reason {
                PathFailure::NoPathToAnchor(_) => SubIndication::NoCertificateChainFound,
                PathFailure::Revoked { .. } => revoked_sub(cert, crls, e.depth, claimed_time),
                PathFailure::Expired(_) | PathFailure::NotYetValid(_) => {
                    SubIndication::OutOfBoundsNoPoe
                }
                PathFailure::KeyUsageForbidsSigning | PathFailure::ExtendedKeyUsageForbids(_) => {
                    SubIndication::ChainConstraintsFailure
                }
                PathFailure::UnsupportedSignature(_) => SubIndication::CryptoConstraintsFailure,
                _ => SubIndication::CertificateChainGeneralFailure,
            };
            out.fail(sub, format!("certificate path: {e}"))
        }
    }
}

/// REVOKED when the signer's own claimed time is after the revocation, else REVOKED_NO_POE.
fn revoked_sub(
    cert: &Certificate,
    crls: &[Crl],
    depth: usize,
    claimed_time: Option<SystemTime>,
) -> SubIndication {
    if depth != 0 {
        return SubIndication::RevokedNoPoe;
    }
    let issuer = cert.tbs_certificate().issuer();
    let serial = cert.tbs_certificate().serial_number().as_bytes();
    let revoked_at = crls
        .iter()
        .filter(|c| name::same_name(&c.tbs_cert_list.issuer, issuer))
        .filter_map(|c| crl::lookup(c, serial))
        .map(|(t, _)| t)
        .min();
    match (revoked_at, claimed_time) {
        (Some(r), Some(m)) if r <= m => SubIndication::Revoked,
        _ => SubIndication::RevokedNoPoe,
    }
}

/// ETSI sub-indication for a CMS failure.
fn cms_failure(e: &CmsError) -> SubIndication {
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
        CmsError::UnsupportedDigestAlgorithm(_) | CmsError::UnsupportedSignatureAlgorithm(_) => {
            SubIndication::CryptoConstraintsFailure
        }
        _ => SubIndication::FormatFailure,
    }
}

/// A document timestamp (ETSI EN 319 142-1 §5.4.3): the token's message imprint must be the
/// digest of the signed bytes, and the token must verify (RFC 3161, TSA path at `later_poe`
/// or the validation time).
fn check_doc_timestamp<R: Read + Seek + Clone>(
    input: &R,
    contents: &[u8],
    br: ByteRange,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
    mut out: CryptoOutcome,
) -> CryptoOutcome {
    let token = match TimestampToken::parse(contents) {
        Ok(t) => t,
        Err(e) => {
            return out.fail(
                SubIndication::FormatFailure,
                format!("the document timestamp is not an RFC 3161 token: {e}"),
            )
        }
    };
    let alg = match token.imprint_algorithm() {
        Ok(a) => a,
        Err(e) => return out.fail(SubIndication::CryptoConstraintsFailure, e.to_string()),
    };
    out.digest_algorithm = Some(alg.name().to_string());
    match digest_ranges(input, br, alg) {
        Ok(d) if token.check_imprint_digest(&d).is_ok() => {}
        Ok(_) => {
            return out.fail(
                SubIndication::HashFailure,
                "the document timestamp's message imprint does not match the signed bytes",
            )
        }
        Err(e) => {
            return out.fail(
                SubIndication::FormatFailure,
                format!("cannot read the signed bytes: {e}"),
            )
        }
    }
    let at = later_poe.map_or(ctx.at, |p| p.min(ctx.at));
    let (facts, outcome) = verify_token(&token, "document-timestamp", ctx, at);
    out.timestamps.push(facts);
    match outcome {
        Ok((tsa, path)) => {
            out.signature_algorithm = Some(tsa.algorithm.to_string());
            out.signer = Some(signer_facts(&tsa.tsa_certificate));
            for (i, c) in path.certificates.iter().enumerate() {
                out.chain
                    .push(cert_facts(c, revocation_text(path.revocation.get(i))));
            }
            out.proven_time = Some(tsa.gen_time);
            out
        }
        Err((sub, why)) => out.fail(sub, format!("document timestamp: {why}")),
    }
}

/// A signature timestamp: over the signature value, then as [`verify_token`].
fn check_signature_timestamp(
    token_der: &[u8],
    signature_value: &[u8],
    ctx: &TrustContext<'_>,
    at: SystemTime,
) -> (TimestampFacts, SystemTime) {
    let kind = "signature-timestamp";
    let token = match TimestampToken::parse(token_der) {
        Ok(t) => t,
        Err(e) => return (invalid_facts(kind, None, format!("unreadable: {e}")), at),
    };
    if let Err(e) = token.check_imprint(signature_value) {
        let claimed = Some(rfc3339(token.gen_time()));
        return (invalid_facts(kind, claimed, e.to_string()), at);
    }
    let (facts, outcome) = verify_token(&token, kind, ctx, at);
    (facts, outcome.map_or(at, |(t, _)| t.gen_time))
}

/// The TSA's signature and certificate, and its path at `at`.
#[allow(clippy::type_complexity)]
fn verify_token(
    token: &TimestampToken,
    kind: &str,
    ctx: &TrustContext<'_>,
    at: SystemTime,
) -> (
    TimestampFacts,
    Result<
        (
            eseal_signer::tsp::CheckedToken,
            eseal_certs::validate::ValidPath,
        ),
        (SubIndication, String),
    >,
) {
    let claimed = Some(rfc3339(token.gen_time()));
    let checked = match token.verify_signature(ctx.extra_certificates) {
        Ok(c) => c,
        Err(e) => {
            let sub = match &e {
                TspError::TsaCertificate(_) => SubIndication::ChainConstraintsFailure,
                TspError::Signature(c) => cms_failure(c),
                _ => SubIndication::FormatFailure,
            };
            return (
                invalid_facts(kind, claimed, e.to_string()),
                Err((sub, e.to_string())),
            );
        }
    };
    let tsa = Some(inspect::subject(&checked.tsa_certificate));
    match checked.validate_path(token, ctx.anchors, ctx.extra_certificates, ctx.crls, at) {
        Ok(path) => (
            TimestampFacts {
                kind: kind.into(),
                claimed_time: claimed,
                status: format!(
                    "valid: imprint, TSA signature and TSA certificate path checked (path at {})",
                    rfc3339(at)
                ),
                valid: true,
                tsa,
            },
            Ok((checked, path)),
        ),
        Err(e) => {
            let sub = match &e {
                TspError::Path(p) => match p.reason {
                    PathFailure::NoPathToAnchor(_) => SubIndication::NoCertificateChainFound,
                    PathFailure::Revoked { .. } => SubIndication::RevokedNoPoe,
                    PathFailure::Expired(_) | PathFailure::NotYetValid(_) => {
                        SubIndication::OutOfBoundsNoPoe
                    }
                    _ => SubIndication::CertificateChainGeneralFailure,
                },
                _ => SubIndication::CertificateChainGeneralFailure,
            };
            let mut facts = invalid_facts(kind, claimed, e.to_string());
            facts.tsa = tsa;
            (facts, Err((sub, e.to_string())))
        }
    }
}

fn invalid_facts(kind: &str, claimed_time: Option<String>, why: String) -> TimestampFacts {
    TimestampFacts {
        kind: kind.into(),
        claimed_time,
        status: format!("not valid: {why}"),
        valid: false,
        tsa: None,
    }
}

fn revocation_text(r: Option<&RevocationStatus>) -> String {
    match r {
        Some(RevocationStatus::GoodPerCrl { this_update }) => {
            format!("good per CRL of {}", rfc3339(*this_update))
        }
        Some(RevocationStatus::GoodPerOcsp {
            produced_at,
            responder,
        }) => format!(
            "good per OCSP response of {} from {responder}",
            rfc3339(*produced_at)
        ),
        Some(RevocationStatus::NotChecked) => "not checked".to_string(),
        None => "trust anchor".to_string(),
    }
}

fn embedded_crls(cms: &SignedCms) -> Vec<Crl> {
    use cms::revocation::RevocationInfoChoice;
    cms.signed_data()
        .crls
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    RevocationInfoChoice::Crl(l) => Some(l.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Streams the two signed ranges through `alg`.
pub fn digest_ranges<R: Read + Seek + Clone>(
    input: &R,
    br: ByteRange,
    alg: DigestAlgorithm,
) -> std::io::Result<Vec<u8>> {
    let mut hasher = alg.hasher();
    let mut r = input.clone();
    let mut buf = vec![0u8; 256 * 1024];
    for (offset, len) in br.spans() {
        r.seek(SeekFrom::Start(offset))?;
        let mut left = len;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = r.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
    }
    Ok(hasher.finish())
}

fn signer_facts(cert: &Certificate) -> Signer {
    let subject = cert.tbs_certificate().subject();
    Signer {
        common_name: name::common_name(subject),
        organization: name::organization(subject),
        uscc: name::uscc(subject),
        subject: inspect::subject(cert),
        serial: inspect::serial_hex(cert),
    }
}

fn cert_facts(c: &Certificate, revocation: String) -> CertificateFacts {
    CertificateFacts {
        subject: inspect::subject(c),
        issuer: inspect::issuer(c),
        serial: inspect::serial_hex(c),
        not_before: rfc3339(inspect::not_before(c)),
        not_after: rfc3339(inspect::not_after(c)),
        revocation,
    }
}
