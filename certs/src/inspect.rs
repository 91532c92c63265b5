//! Reading what a certificate says: extensions, serial, validity, names. Shared by path
//! validation, the CLI and the verifier's report.

use std::time::SystemTime;

use const_oid::db::rfc5280;
use der::{Decode, Encode};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::Certificate;

use crate::{Error, PublicKey, Result, SignatureScheme, VerifyingKey};

/// The decoded value of the extension with this OID, if present; malformed → error.
pub fn extension<'a, T: Decode<'a>>(
    cert: &'a Certificate,
    oid: const_oid::ObjectIdentifier,
) -> Result<Option<(bool, T)>> {
    let Some(exts) = cert.tbs_certificate().extensions() else {
        return Ok(None);
    };
    let mut found = exts.iter().filter(|e| e.extn_id == oid);
    let Some(e) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(Error::malformed(
            "certificate",
            format!("extension {oid} appears twice"),
        ));
    }
    T::from_der(e.extn_value.as_bytes())
        .map(|v| Some((e.critical, v)))
        .map_err(|err| Error::malformed("certificate extension", format!("{oid}: {err}")))
}

pub fn subject_key_identifier(cert: &Certificate) -> Option<Vec<u8>> {
    extension::<SubjectKeyIdentifier>(cert, rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .ok()
        .flatten()
        .map(|(_, ski)| ski.0.as_bytes().to_vec())
}

pub fn authority_key_identifier(cert: &Certificate) -> Option<Vec<u8>> {
    extension::<AuthorityKeyIdentifier>(cert, rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
        .ok()
        .flatten()
        .and_then(|(_, aki)| aki.key_identifier.map(|k| k.as_bytes().to_vec()))
}

pub fn basic_constraints(cert: &Certificate) -> Result<Option<BasicConstraints>> {
    Ok(extension::<BasicConstraints>(cert, rfc5280::ID_CE_BASIC_CONSTRAINTS)?.map(|(_, b)| b))
}

pub fn is_ca(cert: &Certificate) -> bool {
    matches!(basic_constraints(cert), Ok(Some(b)) if b.ca)
}

pub fn key_usage(cert: &Certificate) -> Result<Option<KeyUsage>> {
    Ok(extension::<KeyUsage>(cert, rfc5280::ID_CE_KEY_USAGE)?.map(|(_, k)| k))
}

pub fn has_key_usage(cert: &Certificate, usage: KeyUsages) -> Result<Option<bool>> {
    Ok(key_usage(cert)?.map(|ku| ku.0.contains(usage)))
}

pub fn extended_key_usage(cert: &Certificate) -> Result<Option<Vec<const_oid::ObjectIdentifier>>> {
    Ok(extension::<ExtendedKeyUsage>(cert, rfc5280::ID_CE_EXT_KEY_USAGE)?.map(|(_, e)| e.0))
}

pub fn public_key(cert: &Certificate) -> Result<PublicKey> {
    PublicKey::from_spki(cert.tbs_certificate().subject_public_key_info())
}

/// Serial number as lower-case hex without leading zero bytes, as openssl prints it.
pub fn serial_hex(cert: &Certificate) -> String {
    normalize_serial(cert.tbs_certificate().serial_number().as_bytes())
}

pub fn normalize_serial(bytes: &[u8]) -> String {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if trimmed.is_empty() {
        "00".into()
    } else {
        hex::encode(trimmed)
    }
}

pub fn not_before(cert: &Certificate) -> SystemTime {
    cert.tbs_certificate()
        .validity()
        .not_before
        .to_system_time()
}

pub fn not_after(cert: &Certificate) -> SystemTime {
    cert.tbs_certificate().validity().not_after.to_system_time()
}

pub fn subject(cert: &Certificate) -> String {
    crate::name::display(cert.tbs_certificate().subject())
}

pub fn issuer(cert: &Certificate) -> String {
    crate::name::display(cert.tbs_certificate().issuer())
}

/// SHA-256 of the DER certificate: a stable id for stores and reports.
pub fn fingerprint_sha256(cert: &Certificate) -> Result<String> {
    let der = cert
        .to_der()
        .map_err(|e| Error::malformed("certificate", e))?;
    Ok(hex::encode(crate::DigestAlgorithm::Sha256.hash(&der)))
}

/// The subject public key of any kind a verifier checks signatures with (RSA, ECDSA on
/// P-256/P-384/P-521, SM2, Ed25519).
pub fn verifying_key(cert: &Certificate) -> Result<VerifyingKey> {
    VerifyingKey::from_spki(cert.tbs_certificate().subject_public_key_info())
}

/// Check that `tbs_der` (a certificate's, CRL's or OCSP response's signed part) is signed by
/// `issuer_key` under the signature algorithm named; the algorithm must suit the key. Weak
/// algorithms verify here; judging them is [`crate::policy`]'s part.
pub fn verify_signed_by(
    tbs_der: &[u8],
    signature_alg: &spki::AlgorithmIdentifierOwned,
    signature: &der::asn1::BitString,
    issuer_key: &VerifyingKey,
) -> Result<()> {
    let scheme = SignatureScheme::from_identifier(signature_alg, None)?;
    let sig = signature
        .as_bytes()
        .ok_or_else(|| Error::malformed("signature", "unused bits in BIT STRING"))?;
    issuer_key.verify(scheme, tbs_der, sig)
}

/// Why `signature_alg` with `issuer_key` is too weak to rely on (ETSI TS 119 312), if it is.
pub fn signature_weakness(
    signature_alg: &spki::AlgorithmIdentifierOwned,
    issuer_key: &VerifyingKey,
) -> Option<String> {
    let scheme = SignatureScheme::from_identifier(signature_alg, None).ok()?;
    crate::policy::weakness(scheme, None, issuer_key)
}

/// Read every certificate in a PEM or DER file's contents.
pub fn certificates_from_bytes(data: &[u8]) -> Result<Vec<Certificate>> {
    if let Ok(text) = std::str::from_utf8(data) {
        if text.contains("-----BEGIN") {
            let mut out = Vec::new();
            for block in crate::key::pem_blocks(text) {
                let (label, der) = der::pem::decode_vec(block.as_bytes())
                    .map_err(|e| Error::malformed("PEM", e))?;
                if label == "CERTIFICATE" || label == "X509 CERTIFICATE" {
                    out.push(
                        Certificate::from_der(&der)
                            .map_err(|e| Error::malformed("certificate", e))?,
                    );
                }
            }
            if out.is_empty() {
                return Err(Error::malformed("certificate file", "no CERTIFICATE block"));
            }
            return Ok(out);
        }
    }
    Certificate::from_der(data)
        .map(|c| vec![c])
        .map_err(|e| Error::malformed("certificate", e))
}

/// PEM text of certificates, concatenated.
pub fn certificates_to_pem(certs: &[Certificate]) -> Result<String> {
    let mut out = String::new();
    for c in certs {
        let der = c.to_der().map_err(|e| Error::malformed("certificate", e))?;
        out.push_str(
            &der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &der)
                .map_err(|e| Error::malformed("PEM", e))?,
        );
    }
    Ok(out)
}
