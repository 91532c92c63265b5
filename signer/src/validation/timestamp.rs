//! Proof of existence (ETSI EN 319 102-1 §5.6.2) from RFC 3161 timestamps: signature
//! timestamps over a CMS signature value (ETSI EN 319 122-1 §5.3) and document timestamps
//! over the signed bytes (ETSI EN 319 142-1 §5.4.3). A token proves its genTime only when its
//! imprint, the TSA's signature and certificate, and the TSA's path (at the validation time,
//! or at an earlier proof a later document timestamp gives) all check.

use std::time::SystemTime;

use eseal_certs::inspect;
use eseal_certs::validate::{PathFailure, ValidPath};

use super::facts::rfc3339;
use super::revocation::revocation_text;
use super::{
    cms_failure, CertificateFacts, DigestOf, Signer, SubIndication, TimestampFacts, TrustContext,
    ValidationOutcome,
};
use crate::tsp::{CheckedToken, TimestampToken, TspError};

const SIGNATURE_TIMESTAMP: &str = "signature-timestamp";
const DOCUMENT_TIMESTAMP: &str = "document-timestamp";

/// A token that verified, and its TSA's path; or why not.
type TokenCheck = Result<(CheckedToken, ValidPath), (SubIndication, String)>;

/// Checks the signature timestamps `tokens` over `signature_value`, TSA paths at `at`; each
/// goes into the outcome's timestamps, and the earliest valid one is its proven time.
pub(crate) fn prove_existence(
    tokens: &[Vec<u8>],
    signature_value: &[u8],
    ctx: &TrustContext<'_>,
    at: SystemTime,
    out: &mut ValidationOutcome,
) {
    for token in tokens {
        let (facts, proven) = check_signature_timestamp(token, signature_value, ctx, at);
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
}

/// A document timestamp (ETSI EN 319 142-1 §5.4.3): the token's message imprint must be the
/// digest `digest_of` gives of the signed bytes, and the token must verify (RFC 3161, TSA path
/// at `later_poe` or the validation time).
pub fn check_document_timestamp(
    contents: &[u8],
    digest_of: DigestOf<'_>,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
) -> ValidationOutcome {
    let mut out = ValidationOutcome::default();
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
    match digest_of(alg) {
        Ok(d) if token.check_imprint_digest(&d).is_ok() => {}
        Ok(_) => {
            return out.fail(
                SubIndication::HashFailure,
                "the document timestamp's message imprint does not match the signed bytes",
            )
        }
        Err(e) => return out.fail_with(super::unreadable(e)),
    }
    let (facts, outcome) = verify_token(&token, DOCUMENT_TIMESTAMP, ctx, ctx.path_time(later_poe));
    out.timestamps.push(facts);
    match outcome {
        Ok((tsa, path)) => {
            out.signature_algorithm = Some(crate::cms::describe(tsa.algorithm, &tsa.key));
            out.signer = Some(Signer::of(&tsa.tsa_certificate));
            out.trust_anchor = ctx.anchor_facts(path.anchor());
            for (i, c) in path.certificates.iter().enumerate() {
                out.chain.push(CertificateFacts::of(
                    c,
                    revocation_text(path.revocation.get(i)),
                ));
            }
            out.proven_time = Some(tsa.gen_time);
            out
        }
        Err((sub, why)) => out.fail(sub, format!("document timestamp: {why}")),
    }
}

/// A signature timestamp: over the signature value, then as [`verify_token`]. The time is the
/// token's genTime when it is valid, else `at`.
fn check_signature_timestamp(
    token_der: &[u8],
    signature_value: &[u8],
    ctx: &TrustContext<'_>,
    at: SystemTime,
) -> (TimestampFacts, SystemTime) {
    let kind = SIGNATURE_TIMESTAMP;
    let token = match TimestampToken::parse(token_der) {
        Ok(t) => t,
        Err(e) => {
            return (
                TimestampFacts::invalid(kind, None, format!("unreadable: {e}")),
                at,
            )
        }
    };
    if let Err(e) = token.check_imprint(signature_value) {
        let claimed = Some(rfc3339(token.gen_time()));
        return (TimestampFacts::invalid(kind, claimed, e.to_string()), at);
    }
    let (facts, outcome) = verify_token(&token, kind, ctx, at);
    (facts, outcome.map_or(at, |(t, _)| t.gen_time))
}

/// The TSA's signature and certificate, and its path at `at`.
fn verify_token(
    token: &TimestampToken,
    kind: &str,
    ctx: &TrustContext<'_>,
    at: SystemTime,
) -> (TimestampFacts, TokenCheck) {
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
                TimestampFacts::invalid(kind, claimed, e.to_string()),
                Err((sub, e.to_string())),
            );
        }
    };
    let tsa = Some(inspect::subject(&checked.tsa_certificate));
    let anchors = ctx.anchor_certificates();
    match checked.validate_path(token, &anchors, ctx.extra_certificates, ctx.crls, at) {
        Ok(path) => match weakness(token, &checked, &path) {
            Some(why) => {
                let why = format!("weak algorithm: {why}");
                let mut facts = TimestampFacts::invalid(kind, claimed, why.clone());
                facts.tsa = tsa;
                (facts, Err((SubIndication::CryptoConstraintsFailure, why)))
            }
            None => (
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
        },
        Err(e) => {
            let mut facts = TimestampFacts::invalid(kind, claimed, e.to_string());
            facts.tsa = tsa;
            (facts, Err((tsa_path_failure(&e), e.to_string())))
        }
    }
}

/// Why a token cannot be relied on for its algorithms ([`eseal_certs::policy`]): a weak
/// imprint hash, TSA signature or TSA path.
fn weakness(token: &TimestampToken, checked: &CheckedToken, path: &ValidPath) -> Option<String> {
    let mut why: Vec<String> = checked.weakness.iter().cloned().collect();
    if let Ok(d) = token.imprint_algorithm() {
        if eseal_certs::policy::digest_is_weak(d) {
            why.push(format!("message imprint made with {}", d.name()));
        }
    }
    why.extend(path.weak_algorithms.iter().cloned());
    (!why.is_empty()).then(|| why.join("; "))
}

/// The sub-indication of a TSA whose path failed.
fn tsa_path_failure(e: &TspError) -> SubIndication {
    match e {
        TspError::Path(p) => match p.reason {
            PathFailure::NoPathToAnchor(_) => SubIndication::NoCertificateChainFound,
            PathFailure::Revoked { .. } => SubIndication::RevokedNoPoe,
            PathFailure::Expired(_) | PathFailure::NotYetValid(_) => {
                SubIndication::OutOfBoundsNoPoe
            }
            _ => SubIndication::CertificateChainGeneralFailure,
        },
        _ => SubIndication::CertificateChainGeneralFailure,
    }
}
