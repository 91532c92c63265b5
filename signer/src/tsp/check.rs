//! Verifying a timestamp token (RFC 3161 §2.4.2, RFC 5816): the SignedData encapsulates a
//! TSTInfo, its signature verifies with ESS signing-certificate(-v2) naming the TSA
//! certificate, that certificate is fit for time-stamping (extendedKeyUsage present,
//! critical, and timeStamping only: §2.3), the imprint matches the data, and the TSA's path
//! reaches a trust anchor at the time the caller asks for.

use std::time::SystemTime;

use const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE;
use der::Decode;
use eseal_certs::crl::Crl;
use eseal_certs::oid::OID_KP_TIME_STAMPING;
use eseal_certs::validate::{validate, Purpose, ValidPath, Validation};
use eseal_certs::{Certificate, DigestAlgorithm, SignatureScheme};
use x509_cert::ext::pkix::ExtendedKeyUsage;

use super::types::*;
use super::TspError;
use crate::cms::SignedCms;

/// A parsed token: the SignedData and its TSTInfo, with the token's bytes.
#[derive(Clone, Debug)]
pub struct TimestampToken {
    der: Vec<u8>,
    cms: SignedCms,
    tst: TstInfo,
}

/// What a verified signature established: who signed it and when it says it was made.
#[derive(Clone, Debug)]
pub struct CheckedToken {
    pub tsa_certificate: Certificate,
    pub algorithm: SignatureScheme,
    /// The TSA's key as a report names it ("RSA 2048").
    pub key: String,
    /// Why the TSA's algorithms are too weak to rely on, if they are.
    pub weakness: Option<String>,
    pub gen_time: SystemTime,
}

impl TimestampToken {
    /// Parse a DER ContentInfo holding a timestamp token (zero padding after it is ignored).
    pub fn parse(der: &[u8]) -> Result<Self, TspError> {
        let cms = SignedCms::parse(der).map_err(TspError::Signature)?;
        if cms.econtent_type() != ID_CT_TST_INFO {
            return Err(TspError::NotTstInfo(cms.econtent_type()));
        }
        let content = cms.econtent_octets().map_err(TspError::Signature)?;
        let tst = TstInfo::from_der(&content).map_err(TspError::malformed("TSTInfo"))?;
        if tst.version != 1 {
            return Err(TspError::Malformed {
                what: "TSTInfo",
                detail: format!("version {} (only 1 exists)", tst.version),
            });
        }
        let der = crate::cms::spans::strip_padding(der).map_err(TspError::Signature)?;
        Ok(TimestampToken {
            der: der.to_vec(),
            cms,
            tst,
        })
    }

    /// The token's DER (without padding).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn tst_info(&self) -> &TstInfo {
        &self.tst
    }

    /// genTime, unverified until [`Self::verify_signature`] succeeds.
    pub fn gen_time(&self) -> SystemTime {
        self.tst.gen_time.to_system_time()
    }

    /// The serial number's big-endian bytes, for reports and logs.
    pub fn serial_hex(&self) -> String {
        hex_upper(self.tst.serial_number.as_bytes())
    }

    /// Certificates embedded in the token.
    pub fn certificates(&self) -> Vec<Certificate> {
        self.cms
            .certificates()
            .iter()
            .map(|c| c.certificate.clone())
            .collect()
    }

    /// The imprint's hash algorithm; SHA-256 and SM3 are what we hash with.
    pub fn imprint_algorithm(&self) -> Result<DigestAlgorithm, TspError> {
        let oid = self.tst.message_imprint.hash_algorithm.oid;
        DigestAlgorithm::from_oid(&oid).ok_or(TspError::UnsupportedImprintAlgorithm(oid))
    }

    /// The imprint must be the hash of `data` (a signature value, for a signature timestamp).
    pub fn check_imprint(&self, data: &[u8]) -> Result<(), TspError> {
        let digest = self.imprint_algorithm()?.hash(data);
        self.check_imprint_digest(&digest)
    }

    /// The imprint must be `digest` (the caller hashed with [`Self::imprint_algorithm`]).
    pub fn check_imprint_digest(&self, digest: &[u8]) -> Result<(), TspError> {
        if self.tst.message_imprint.hashed_message.as_bytes() != digest {
            return Err(TspError::ImprintMismatch);
        }
        Ok(())
    }

    /// The TSA's signature over the TSTInfo, the ESS binding of its certificate (found in the
    /// token or in `extra_certificates`), and that certificate's time-stamping profile.
    pub fn verify_signature(
        &self,
        extra_certificates: &[Certificate],
    ) -> Result<CheckedToken, TspError> {
        let (verdict, _) = self
            .cms
            .verify_encapsulated_with(extra_certificates)
            .map_err(TspError::Signature)?;
        if verdict.ess == crate::cms::EssBinding::Absent {
            return Err(TspError::Signature(crate::CmsError::MissingAttribute(
                "ESS signing-certificate(-v2)",
            )));
        }
        check_tsa_certificate(&verdict.signer_certificate)?;
        Ok(CheckedToken {
            tsa_certificate: verdict.signer_certificate,
            algorithm: verdict.algorithm,
            key: verdict.key.clone(),
            weakness: verdict.weakness.clone(),
            gen_time: self.gen_time(),
        })
    }
}

impl CheckedToken {
    /// The TSA certificate's path to one of `anchors` at `at` (RFC 5280, purpose
    /// time-stamping). Certificates in the token count as intermediates too.
    pub fn validate_path(
        &self,
        token: &TimestampToken,
        anchors: &[Certificate],
        intermediates: &[Certificate],
        crls: &[Crl],
        at: SystemTime,
    ) -> Result<ValidPath, TspError> {
        let mut pool = token.certificates();
        pool.extend(intermediates.iter().cloned());
        validate(
            &self.tsa_certificate,
            &Validation {
                anchors,
                intermediates: &pool,
                crls,
                ocsp: &[],
                at,
                purpose: Purpose::TimeStamping,
            },
        )
        .map_err(TspError::Path)
    }
}

/// RFC 3161 §2.3: the TSA certificate has exactly one extendedKeyUsage extension, critical,
/// with id-kp-timeStamping as its only purpose.
pub fn check_tsa_certificate(cert: &Certificate) -> Result<(), TspError> {
    let exts = cert
        .tbs_certificate()
        .extensions()
        .map(|e| e.as_slice())
        .unwrap_or(&[]);
    let mut ekus = exts.iter().filter(|e| e.extn_id == ID_CE_EXT_KEY_USAGE);
    let (Some(eku), None) = (ekus.next(), ekus.next()) else {
        return Err(TspError::TsaCertificate(
            "it needs exactly one extendedKeyUsage extension".into(),
        ));
    };
    if !eku.critical {
        return Err(TspError::TsaCertificate(
            "its extendedKeyUsage is not critical".into(),
        ));
    }
    let usages = ExtendedKeyUsage::from_der(eku.extn_value.as_bytes())
        .map_err(|e| TspError::TsaCertificate(format!("unreadable extendedKeyUsage: {e}")))?;
    if usages.0 != [OID_KP_TIME_STAMPING] {
        return Err(TspError::TsaCertificate(
            "its extendedKeyUsage must be timeStamping only".into(),
        ));
    }
    Ok(())
}

/// INTEGER equality regardless of leading zero octets.
pub(crate) fn same_uint(a: &[u8], b: &[u8]) -> bool {
    let strip = |bytes: &[u8]| -> Vec<u8> {
        let n = bytes.iter().take_while(|b| **b == 0).count();
        bytes[n..].to_vec()
    };
    strip(a) == strip(b)
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
