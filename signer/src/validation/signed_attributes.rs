//! The signed attributes a baseline profile asks for (ETSI EN 319 122-1 §5.2, EN 319 142-1
//! §6.3): the signer certificate bound by ESS signing-certificate-v2 (RFC 5035), and for PAdES
//! no signing-time attribute (RFC 5652 §11.3; the time goes into the PDF's `/M`). Also the
//! signing-time a CMS claims, which is the signer's word, not proof.

use std::time::SystemTime;

use der::Decode;

use super::ValidationOutcome;
use crate::cms::{EssBinding, SignedCms, SignerVerdict};

/// id-signingTime (RFC 5652 §11.3).
const ID_SIGNING_TIME: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// Which rules the signed attributes are held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// PAdES baseline (`/SubFilter /ETSI.CAdES.detached`, ETSI EN 319 142-1 §6.3): a signer
    /// certificate not bound by ESS signing-certificate-v2, and a signing-time attribute, are
    /// noted as deviations.
    PadesBaseline,
    /// CMS as `adbe.pkcs7.detached` and detached CAdES files (`.p7s`, ASiC-S) use it: a missing
    /// or v1 ESS binding is noted; signing-time is allowed.
    Cms,
}

/// Holds the verified signer's signed attributes to the rules of `profile`.
pub(crate) fn check_signed_attributes(
    verdict: &SignerVerdict,
    profile: Profile,
    mut out: ValidationOutcome,
) -> ValidationOutcome {
    let pades = profile == Profile::PadesBaseline;
    // Without ESS the certificate is found by issuer and serial only, so another certificate
    // for the same key could stand in for it. EU DSS's default policy (SigningCertificatePresent
    // at WARN), pyHanko, pdfsig and Acrobat warn or say nothing; so do we, naming the gap.
    match verdict.ess {
        EssBinding::SigningCertificateV2 => {}
        EssBinding::SigningCertificateV1 => out.warnings.push(
            "the signer certificate is bound only by ESS signing-certificate (v1, SHA-1)".into(),
        ),
        EssBinding::Absent => out.warnings.push(if pades {
            "not a PAdES baseline signature: the signed attributes do not bind the signer \
             certificate (ESS signing-certificate-v2 is missing, ETSI EN 319 142-1 §6.3)"
                .into()
        } else {
            "the signed attributes do not bind the signer certificate (no ESS \
             signing-certificate attribute)"
                .into()
        }),
    }
    out.below_baseline = !verdict.is_pades_baseline();
    if verdict.signing_time.is_some() && pades {
        out.warnings
            .push("the CMS carries a signing-time attribute, which PAdES baseline forbids".into());
    }
    out
}

/// The signing-time signed attribute of a CMS signature, a claim of the signer (not proof);
/// read whether or not the signature verifies.
pub fn claimed_signing_time(signature: &[u8]) -> Option<SystemTime> {
    let cms = SignedCms::parse(signature).ok()?;
    let attrs = cms.signer().ok()?.signed_attributes()?;
    let attr = attrs.iter().find(|a| a.oid == ID_SIGNING_TIME)?;
    let value = attr.values.iter().next()?;
    let der = der::Encode::to_der(value).ok()?;
    x509_cert::time::Time::from_der(&der)
        .ok()
        .map(|t| t.to_system_time())
}
