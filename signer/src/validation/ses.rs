//! A GB/T 38540 seal signature (§9 验证流程): the steps in the standard's order from
//! [`crate::ses`], then the certificate paths of the signer and of the seal maker, which only
//! the verifier can check because it holds the trust anchors.

use std::time::SystemTime;

use eseal_certs::validate::{validate, Purpose, Validation};
use eseal_certs::{inspect, Certificate, DigestAlgorithm};

use super::facts::rfc3339;
use super::path::check_path;
use super::{DigestOf, SealFacts, Signer, SubIndication, TrustContext, ValidationOutcome};
use crate::ses::{self, Check, SealSignature, SesVerification};

/// Validates `contents`, a DER `SES_Signature` of either version, over the content whose SM3
/// digest `digest_of` computes (dataHash, §8.1). `claimed_time` is the signer's own claim,
/// used only to tell REVOKED from REVOKED_NO_POE.
pub fn check_seal_signature(
    contents: &[u8],
    digest_of: DigestOf<'_>,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
) -> ValidationOutcome {
    let mut out = ValidationOutcome::default();
    let parsed = match SealSignature::parse(contents) {
        Ok(p) => p,
        Err(e) => return out.fail(SubIndication::FormatFailure, format!("GB/T 38540: {e}")),
    };
    // dataHash is SM3 of the protected bytes (GB/T 38540 §8.1).
    out.digest_algorithm = Some(DigestAlgorithm::Sm3.name().to_string());
    out.signature_algorithm = Some("SM2 (GB/T 38540 seal signature)".to_string());
    let digest = match digest_of(DigestAlgorithm::Sm3) {
        Ok(d) => d,
        Err(e) => return out.fail_with(super::unreadable(e)),
    };
    let v = ses::verify_parsed(&parsed, Some(&digest));
    out.seal = Some(SealFacts::of(&parsed, &v));
    let mut out = step_failures(&v, out);
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
    out.signer = Some(Signer::of(&signer));
    let mut intermediates: Vec<Certificate> = ctx.extra_certificates.to_vec();
    if let Some(maker) = v.maker_certificate.clone() {
        out = check_maker_path(&maker, ctx, out);
        intermediates.push(maker);
    }
    check_path(
        &signer,
        &intermediates,
        ctx.crls,
        ctx.ocsp,
        claimed_time,
        ctx,
        None,
        out,
    )
}

/// The first failed step of §9, as a sub-indication.
fn step_failures(v: &SesVerification, mut out: ValidationOutcome) -> ValidationOutcome {
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
    out
}

/// The seal maker's certificate must chain to a trust anchor too (§9 step 4).
fn check_maker_path(
    maker: &Certificate,
    ctx: &TrustContext<'_>,
    out: ValidationOutcome,
) -> ValidationOutcome {
    let anchors = ctx.anchor_certificates();
    let validation = Validation {
        anchors: &anchors,
        intermediates: ctx.extra_certificates,
        crls: ctx.crls,
        ocsp: ctx.ocsp,
        at: ctx.at,
        purpose: Purpose::Any,
    };
    match validate(maker, &validation) {
        Ok(_) => out,
        Err(e) => out.fail(
            SubIndication::SigConstraintsFailure,
            format!("the seal maker's certificate path: {e}"),
        ),
    }
}

impl SealFacts {
    /// The seal of `parsed` and how the steps of §9 went.
    pub fn of(parsed: &SealSignature, v: &SesVerification) -> SealFacts {
        let seal = &parsed.seal;
        SealFacts {
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
                .map(|(step, c)| (step.to_string(), step_text(step, c)))
                .collect(),
        }
    }
}

/// One step's result in words.
fn step_text(step: &str, c: &Check) -> String {
    match c {
        // The paths are the verifier's part: see the chain in the report.
        Check::NotChecked(_) if step == "certificate path" => {
            "checked by the verifier (see the chain)".to_string()
        }
        Check::Passed => "passed".to_string(),
        Check::Failed(e) => format!("FAILED: {e}"),
        Check::NotChecked(why) => format!("not checked: {why}"),
    }
}
