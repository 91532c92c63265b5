//! Checking seals and seal signatures in the order GB/T 38540-2020 §9 gives: format; the
//! signature over TBS_Sign; the signer certificate in the seal's certificate list; the seal
//! maker's signature; the seal's validity at the signing time; the certificate paths (left to
//! the caller, who holds the trust anchors: see [`SesVerification::signer_certificate`]); the
//! timestamp; the data hash. The owner binding of issue 5 comes last.
//!
//! Every step is reported, not only the first failure, so a verifier can show the whole list.

use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use eseal_certs::{Algorithm, DigestAlgorithm};
use x509_cert::Certificate;

use super::read::{Picture, Seal, SealSignature, SesVersion};
use super::seal::CertList;
use super::{Owner, OwnerCode, SesError};

/// The outcome of one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Passed,
    Failed(SesError),
    /// Not checked here, with the reason (e.g. no input, or the caller's job).
    NotChecked(String),
}

impl Check {
    fn from_result(r: Result<(), SesError>) -> Check {
        match r {
            Ok(()) => Check::Passed,
            Err(e) => Check::Failed(e),
        }
    }

    pub fn is_passed(&self) -> bool {
        matches!(self, Check::Passed)
    }

    pub fn is_failed(&self) -> bool {
        matches!(self, Check::Failed(_))
    }

    pub fn error(&self) -> Option<&SesError> {
        match self {
            Check::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// What checking a seal on its own found.
#[derive(Clone, Debug)]
pub struct SealCheck {
    /// Header ID "ES" and the version field agreeing with the structure.
    pub header: Check,
    pub maker_signature: Check,
    pub validity: Check,
    pub cert_list: Check,
    pub picture: Check,
    /// The owner-code extension, when present, holds a valid code.
    pub owner: Check,
}

impl SealCheck {
    pub fn steps(&self) -> [(&'static str, &Check); 6] {
        [
            ("header", &self.header),
            ("seal maker signature", &self.maker_signature),
            ("validity", &self.validity),
            ("certificate list", &self.cert_list),
            ("picture", &self.picture),
            ("owner code", &self.owner),
        ]
    }

    /// No step failed.
    pub fn is_valid(&self) -> bool {
        self.steps().iter().all(|(_, c)| !c.is_failed())
    }

    pub fn failures(&self) -> Vec<&SesError> {
        self.steps().iter().filter_map(|(_, c)| c.error()).collect()
    }
}

/// Check a seal: maker signature, validity at `at`, certificate list, picture, owner code.
pub fn check_seal(seal: &Seal, at: SystemTime) -> SealCheck {
    SealCheck {
        header: Check::from_result(check_header(seal)),
        maker_signature: Check::from_result(check_maker_signature(seal)),
        validity: Check::from_result(check_validity(seal, at)),
        cert_list: Check::from_result(check_cert_list(seal)),
        picture: Check::from_result(check_picture(&seal.picture)),
        owner: match seal.owner() {
            Ok(Some(_)) => Check::Passed,
            Ok(None) => Check::NotChecked("the seal carries no owner code".into()),
            Err(e) => Check::Failed(e),
        },
    }
}

fn check_header(seal: &Seal) -> Result<(), SesError> {
    if seal.header_id != "ES" {
        return Err(SesError::HeaderId(seal.header_id.clone()));
    }
    let fits = match seal.version {
        SesVersion::V4 => seal.header_version == 4,
        SesVersion::V1 => (1..=3).contains(&seal.header_version),
    };
    if !fits {
        return Err(SesError::Version {
            what: "SES_Header",
            found: seal.header_version,
            expected: match seal.version {
                SesVersion::V4 => "4 for the GB/T 38540 structure",
                SesVersion::V1 => "1 for the GM/T 0031 structure",
            },
        });
    }
    Ok(())
}

fn check_maker_signature(seal: &Seal) -> Result<(), SesError> {
    let cert = seal.maker_certificate()?;
    verify_with(
        &cert,
        "seal maker",
        &seal.signature_algorithm,
        seal.signed_bytes(),
        &seal.signature,
        SesError::BadMakerSignature,
    )
}

/// Check `signature` over `message` with the certificate's key; `bad` when it does not verify.
pub(crate) fn verify_with(
    cert: &Certificate,
    whose: &'static str,
    algorithm: &ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
    bad: SesError,
) -> Result<(), SesError> {
    let key = eseal_certs::inspect::public_key(cert).map_err(|e| SesError::Certificate {
        whose,
        detail: e.to_string(),
    })?;
    let alg =
        Algorithm::from_signature_oid(algorithm).ok_or_else(|| SesError::UnsupportedAlgorithm {
            whose,
            oid: algorithm.to_string(),
        })?;
    if key.algorithm() != alg {
        return Err(SesError::AlgorithmMismatch {
            whose,
            signature: alg.to_string(),
            certificate: key.algorithm().to_string(),
        });
    }
    // SM2 with the default ID; DER SEQUENCE { r, s } and raw r ‖ s are both accepted.
    key.verify(message, signature).map_err(|_| bad)
}

/// A time as people read it.
pub(crate) fn show_time(t: SystemTime) -> String {
    der::DateTime::from_system_time(t)
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "(a time out of range)".into())
}

fn check_validity(seal: &Seal, at: SystemTime) -> Result<(), SesError> {
    if seal.valid_end < seal.valid_start {
        return Err(SesError::ValidityInverted {
            start: show_time(seal.valid_start),
            end: show_time(seal.valid_end),
        });
    }
    if at < seal.valid_start {
        return Err(SesError::SealNotYetValid {
            at: show_time(at),
            start: show_time(seal.valid_start),
        });
    }
    if at > seal.valid_end {
        return Err(SesError::SealExpired {
            at: show_time(at),
            end: show_time(seal.valid_end),
        });
    }
    Ok(())
}

/// The digest algorithm a `CertDigestObj.type` names: "SM3" (any case, also as its OID) or
/// SHA-256.
pub fn digest_algorithm(kind: &str) -> Option<DigestAlgorithm> {
    let k = kind.trim().to_ascii_uppercase().replace(['-', '_'], "");
    match k.as_str() {
        "SM3" | "1.2.156.10197.1.401" => Some(DigestAlgorithm::Sm3),
        "SHA256" | "2.16.840.1.101.3.4.2.1" => Some(DigestAlgorithm::Sha256),
        _ => None,
    }
}

fn check_cert_list(seal: &Seal) -> Result<(), SesError> {
    if seal.cert_list.is_empty() {
        return Err(SesError::EmptyCertList);
    }
    if let Some(declared) = seal.cert_list_type {
        if declared != seal.cert_list.list_type() {
            return Err(SesError::CertListType {
                declared,
                found: match seal.cert_list {
                    CertList::Certificates(_) => "certificates",
                    CertList::Digests(_) => "certificate digests",
                },
            });
        }
    }
    match &seal.cert_list {
        CertList::Certificates(certs) => {
            for (index, c) in certs.iter().enumerate() {
                <Certificate as der::Decode>::from_der(c.as_bytes()).map_err(|e| {
                    SesError::ListedCertificate {
                        index,
                        detail: e.to_string(),
                    }
                })?;
            }
        }
        CertList::Digests(digests) => {
            for (index, d) in digests.iter().enumerate() {
                let kind = d.kind.to_string();
                let alg = digest_algorithm(&kind).ok_or_else(|| SesError::UnknownDigestType {
                    index,
                    kind: kind.clone(),
                })?;
                let expected = 32;
                let got = d.value.as_bytes().len();
                if got != expected {
                    return Err(SesError::DigestLength {
                        index,
                        kind: alg.name().to_string(),
                        got,
                        expected,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Whether the certificate (DER) is in the seal's list, as itself or by digest.
pub fn cert_listed(seal: &Seal, cert_der: &[u8]) -> bool {
    match &seal.cert_list {
        CertList::Certificates(certs) => certs.iter().any(|c| c.as_bytes() == cert_der),
        CertList::Digests(digests) => digests.iter().any(|d| {
            digest_algorithm(d.kind.as_str())
                .is_some_and(|alg| alg.hash(cert_der) == d.value.as_bytes())
        }),
    }
}

/// The picture must be there, of a known type, with data of that type and a positive size.
pub(crate) fn check_picture(p: &Picture) -> Result<(), SesError> {
    if p.data.is_empty() {
        return Err(SesError::PictureMissing);
    }
    let kind = p.kind.trim().to_ascii_uppercase();
    let fits = match kind.as_str() {
        "PNG" => p.data.starts_with(b"\x89PNG\r\n\x1a\n"),
        "JPG" | "JPEG" => p.data.starts_with(&[0xFF, 0xD8, 0xFF]),
        "SVG" => {
            let head = &p.data[..p.data.len().min(4096)];
            head.windows(4).any(|w| w == b"<svg")
        }
        "OFD" => p.data.starts_with(b"PK\x03\x04"),
        _ => return Err(SesError::PictureType(p.kind.clone())),
    };
    if !fits {
        return Err(SesError::PictureData(kind));
    }
    if p.width_mm <= 0 || p.height_mm <= 0 {
        return Err(SesError::PictureSize {
            width: p.width_mm,
            height: p.height_mm,
        });
    }
    Ok(())
}

/// What verifying a seal signature found, step by step in the standard's order.
#[derive(Clone, Debug)]
pub struct SesVerification {
    /// The signature as read.
    pub parsed: SealSignature,
    /// For the caller's path validation (`eseal_certs::validate::validate`).
    pub signer_certificate: Option<Certificate>,
    /// For the caller's path validation of the seal maker.
    pub maker_certificate: Option<Certificate>,
    /// The owner the seal is bound to, for the report.
    pub owner: Option<Owner>,
    /// Seal structure: header, certificate list, picture.
    pub format: Check,
    /// The signer's signature over TBS_Sign.
    pub signature: Check,
    pub signer_listed: Check,
    pub maker_signature: Check,
    /// The seal's validity window at the signing time (`timeInfo`).
    pub seal_validity: Check,
    /// Always `NotChecked`: the caller validates both certificates' paths.
    pub certificate_path: Check,
    /// `NotChecked`: a timestamp is reported present or absent, not checked yet.
    pub timestamp: Check,
    pub data_hash: Check,
    /// The seal's owner code against the USCC (or identity number) in the signer certificate.
    pub owner_binding: Check,
}

impl SesVerification {
    pub fn steps(&self) -> [(&'static str, &Check); 9] {
        [
            ("format", &self.format),
            ("signature", &self.signature),
            ("signer in the seal's certificate list", &self.signer_listed),
            ("seal maker signature", &self.maker_signature),
            ("seal validity at signing time", &self.seal_validity),
            ("certificate path", &self.certificate_path),
            ("timestamp", &self.timestamp),
            ("data hash", &self.data_hash),
            ("owner binding", &self.owner_binding),
        ]
    }

    /// No step failed and the data hash was checked and matched. The certificate paths are
    /// still the caller's to validate.
    pub fn is_valid(&self) -> bool {
        self.data_hash.is_passed() && self.steps().iter().all(|(_, c)| !c.is_failed())
    }

    pub fn failures(&self) -> Vec<&SesError> {
        self.steps().iter().filter_map(|(_, c)| c.error()).collect()
    }

    pub fn signing_time(&self) -> Option<SystemTime> {
        self.parsed.signing_time
    }
}

/// Read and verify a seal signature against the SM3 digest of the protected bytes (for PDF:
/// the ByteRange bytes). An error means the format step failed and nothing else could be
/// checked; otherwise every step's outcome is in the result.
pub fn verify_signature(
    der: &[u8],
    data_digest: Option<&[u8]>,
) -> Result<SesVerification, SesError> {
    let parsed = SealSignature::parse(der)?;
    Ok(verify_parsed(&parsed, data_digest))
}

/// Verify a seal signature already read.
pub fn verify_parsed(sig: &SealSignature, data_digest: Option<&[u8]>) -> SesVerification {
    let seal = &sig.seal;
    let signer = sig.signer_certificate();
    let signer_certificate = signer.as_ref().ok().cloned();
    let owner = seal.owner().ok().flatten();
    let format = Check::from_result(
        check_header(seal)
            .and_then(|()| check_cert_list(seal))
            .and_then(|()| check_picture(&seal.picture)),
    );
    let signature = Check::from_result(signer.clone().and_then(|cert| {
        verify_with(
            &cert,
            "signer",
            &sig.signature_algorithm,
            sig.signed_bytes(),
            &sig.signature,
            SesError::BadSignature,
        )
    }));
    let signer_listed = Check::from_result(if cert_listed(seal, &sig.signer_cert_der) {
        Ok(())
    } else {
        Err(SesError::SignerNotInCertList)
    });
    let seal_validity = match sig.signing_time {
        Some(t) => Check::from_result(check_validity(seal, t)),
        None => Check::Failed(SesError::SigningTime(
            String::from_utf8_lossy(&sig.time_info).into_owned(),
        )),
    };
    SesVerification {
        signer_certificate,
        maker_certificate: seal.maker_certificate().ok(),
        owner,
        format,
        signature,
        signer_listed,
        maker_signature: Check::from_result(check_maker_signature(seal)),
        seal_validity,
        certificate_path: Check::NotChecked(
            "the verifier validates the signer and seal maker certificate paths".into(),
        ),
        timestamp: Check::NotChecked(match sig.time_stamp {
            Some(_) => "a timestamp is present; it is not checked".into(),
            None => "no timestamp".into(),
        }),
        data_hash: check_data_hash(sig, data_digest),
        owner_binding: check_owner_binding(seal, signer.ok().as_ref()),
        parsed: sig.clone(),
    }
}

fn check_data_hash(sig: &SealSignature, data_digest: Option<&[u8]>) -> Check {
    let Some(digest) = data_digest else {
        return Check::NotChecked("no digest of the protected bytes was given".into());
    };
    if digest.len() != 32 {
        return Check::Failed(SesError::DataHashLength { got: digest.len() });
    }
    Check::from_result(if sig.data_hash == digest {
        Ok(())
    } else {
        Err(SesError::DataHashMismatch)
    })
}

/// `serialNumber` (X.520 2.5.4.5), where a personal certificate carries the identity number.
const OID_SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");

/// The seal's owner code must be the one in the signer certificate's subject.
pub fn check_owner_binding(seal: &Seal, signer: Option<&Certificate>) -> Check {
    let owner = match seal.owner() {
        Ok(Some(o)) => o,
        Ok(None) => return Check::NotChecked("the seal carries no owner code".into()),
        Err(e) => return Check::Failed(e),
    };
    let Some(cert) = signer else {
        return Check::NotChecked("the signer certificate cannot be read".into());
    };
    let subject = cert.tbs_certificate().subject();
    match &owner.code {
        OwnerCode::Uscc(code) => match eseal_certs::name::uscc(subject) {
            None => Check::Failed(SesError::CertificateLacksOwnerCode(code.clone())),
            Some(c) if c.eq_ignore_ascii_case(code) => Check::Passed,
            Some(c) => Check::Failed(SesError::OwnerCodeMismatch {
                seal: code.clone(),
                certificate: c,
            }),
        },
        OwnerCode::ResidentId(id) => {
            match eseal_certs::name::attribute(subject, OID_SERIAL_NUMBER) {
                None => Check::NotChecked(
                    "the signer certificate carries no identity number to compare".into(),
                ),
                Some(v) => {
                    // ETSI EN 319 412-1 natural-person semantics: "IDCCN-<number>".
                    let number = v.strip_prefix("IDCCN-").unwrap_or(&v);
                    if number.eq_ignore_ascii_case(id) {
                        Check::Passed
                    } else {
                        Check::Failed(SesError::OwnerCodeMismatch {
                            seal: id.clone(),
                            certificate: number.to_string(),
                        })
                    }
                }
            }
        }
    }
}
