//! The legacy `/adbe.x509.rsa_sha1` signature (ISO 32000-1 §12.8.3.2): `/Contents` is a DER
//! OCTET STRING holding a bare PKCS#1 v1.5 RSA signature over the SHA-1 digest of the signed
//! bytes, and the signer's certificate, then its chain, are the strings of `/Cert`. It is a
//! recognised format, not a malformed file; SHA-1 makes it weak, so an intact one is
//! INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE and never passes, while a changed document is
//! TOTAL-FAILED / HASH_FAILURE. Producers that put another hash in the DigestInfo are read
//! as they say (the DigestInfo names it); SHA-1 or not, the format stays judged weak only if
//! its algorithms are.

use std::time::SystemTime;

use der::{Decode, Reader};
use eseal_certs::{policy, Certificate, SignatureScheme, VerifyingKey};

use super::path::check_path;
use super::{DigestOf, Signer, SubIndication, TrustContext, ValidationOutcome};

/// Validates an `adbe.x509.rsa_sha1` signature: `contents` is `/Contents`, `certs` the DER
/// certificates of `/Cert` (signer first).
pub fn check_x509_rsa_sha1(
    contents: &[u8],
    certs: &[Vec<u8>],
    digest_of: DigestOf<'_>,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
) -> ValidationOutcome {
    let mut out = ValidationOutcome::default();
    let (signer, scheme, key) = match verify(contents, certs, digest_of, &mut out) {
        Ok(v) => v,
        Err(failure) => return out.fail_with(failure),
    };
    out.signer = Some(Signer::of(&signer.0));
    let mut intermediates = signer.1;
    intermediates.extend(ctx.extra_certificates.iter().cloned());
    let out = check_path(
        &signer.0,
        &intermediates,
        ctx.crls,
        ctx.ocsp,
        claimed_time,
        ctx,
        None,
        out,
    );
    match policy::weakness(scheme, None, &key) {
        Some(why) => out.fail(
            SubIndication::CryptoConstraintsFailure,
            format!("weak algorithm in the signature: {why}"),
        ),
        None => out,
    }
}

type Verified = (
    (Certificate, Vec<Certificate>),
    SignatureScheme,
    VerifyingKey,
);

fn verify(
    contents: &[u8],
    certs: &[Vec<u8>],
    digest_of: DigestOf<'_>,
    out: &mut ValidationOutcome,
) -> Result<Verified, (SubIndication, String)> {
    let format = |what: &str| (SubIndication::FormatFailure, what.to_string());
    let signature = octet_string_prefix(contents)
        .ok_or_else(|| format("/Contents of adbe.x509.rsa_sha1 is not a DER OCTET STRING"))?;
    let mut parsed = Vec::with_capacity(certs.len());
    for der in certs {
        parsed.push(
            Certificate::from_der(der)
                .map_err(|e| format(&format!("a /Cert certificate is malformed: {e}")))?,
        );
    }
    let Some((signer, chain)) = parsed.split_first() else {
        return Err((
            SubIndication::NoSigningCertificateFound,
            "adbe.x509.rsa_sha1 without /Cert: the signer certificate is missing".into(),
        ));
    };
    let key = VerifyingKey::from_spki(signer.tbs_certificate().subject_public_key_info())
        .map_err(|e| (SubIndication::CryptoConstraintsFailure, e.to_string()))?;
    if !key.is_rsa() {
        return Err((
            SubIndication::SigCryptoFailure,
            format!(
                "adbe.x509.rsa_sha1 needs an RSA signer key, the certificate holds {}",
                key.describe()
            ),
        ));
    }
    // The DigestInfo names the hash (SHA-1 as the format says, or what the producer used);
    // a signature this key did not make is SIG_CRYPTO_FAILURE.
    let Some((digest_alg, signed_digest)) = key.rsa_signed_digest(signature) else {
        return Err((
            SubIndication::SigCryptoFailure,
            "the PKCS#1 signature does not open with the signer certificate's key".into(),
        ));
    };
    out.digest_algorithm = Some(digest_alg.name().to_string());
    let scheme = SignatureScheme::RsaPkcs1v15(digest_alg);
    out.signature_algorithm = Some(format!("{scheme}, {}", key.describe()));
    let digest = digest_of(digest_alg).map_err(super::unreadable)?;
    if digest != signed_digest {
        return Err((
            SubIndication::HashFailure,
            format!(
                "the signed {} digest does not match the signed bytes",
                digest_alg.name()
            ),
        ));
    }
    key.verify_prehashed(scheme, &digest, signature)
        .map_err(|e| (SubIndication::SigCryptoFailure, e.to_string()))?;
    Ok(((signer.clone(), chain.to_vec()), scheme, key))
}

/// The value of the DER OCTET STRING at the start of `bytes` (`/Contents` is zero-padded).
fn octet_string_prefix(bytes: &[u8]) -> Option<&[u8]> {
    let mut reader = der::SliceReader::new(bytes).ok()?;
    let header = der::Header::decode(&mut reader).ok()?;
    if header.tag() != der::Tag::OctetString {
        return None;
    }
    let len = usize::try_from(header.length()).ok()?;
    let start = usize::try_from(reader.position()).ok()?;
    bytes.get(start..start.checked_add(len)?)
}
