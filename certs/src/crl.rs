//! Certificate revocation lists (RFC 5280 §5): making them for our CAs, reading anyone's,
//! and looking a certificate up in them.

use std::time::SystemTime;

use const_oid::db::rfc5280;
use der::asn1::{BitString, OctetString};
use der::{Decode, Encode};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber};
use x509_cert::serial_number::SerialNumber;
use x509_cert::Version;

use crate::issue::{ext, time, Issuer};
use crate::{inspect, Error, Result};

pub use x509_cert::crl::CertificateList as Crl;

/// One revoked certificate as a CA records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// Serial number, lower-case hex without leading zeros.
    pub serial_hex: String,
    pub revoked_at: SystemTime,
    pub reason: CrlReason,
}

/// The RFC 5280 reason names, as accepted on the command line.
pub fn parse_reason(s: &str) -> Result<CrlReason> {
    let r = match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
        "unspecified" => CrlReason::Unspecified,
        "keycompromise" => CrlReason::KeyCompromise,
        "cacompromise" => CrlReason::CaCompromise,
        "affiliationchanged" => CrlReason::AffiliationChanged,
        "superseded" => CrlReason::Superseded,
        "cessationofoperation" => CrlReason::CessationOfOperation,
        "certificatehold" => CrlReason::CertificateHold,
        "privilegewithdrawn" => CrlReason::PrivilegeWithdrawn,
        _ => {
            return Err(Error::InvalidInput {
                what: "revocation reason",
                value: s.into(),
                detail: "expected one of unspecified, keyCompromise, caCompromise, \
                         affiliationChanged, superseded, cessationOfOperation, certificateHold, \
                         privilegeWithdrawn"
                    .into(),
            })
        }
    };
    Ok(r)
}

pub fn reason_name(r: CrlReason) -> &'static str {
    match r {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "keyCompromise",
        CrlReason::CaCompromise => "cACompromise",
        CrlReason::AffiliationChanged => "affiliationChanged",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessationOfOperation",
        CrlReason::CertificateHold => "certificateHold",
        CrlReason::RemoveFromCRL => "removeFromCRL",
        CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        CrlReason::AaCompromise => "aACompromise",
    }
}

/// Sign a v2 CRL with CRL number, AKI (the issuer's SKI) and a reason code per entry.
pub fn create_crl(
    issuer: &Issuer<'_>,
    crl_number: u64,
    this_update: SystemTime,
    next_update: SystemTime,
    revoked: &[Revocation],
) -> Result<Crl> {
    let bad = |e: der::Error| Error::malformed("CRL", e);
    let mut entries = Vec::new();
    for r in revoked {
        let bytes = hex::decode(&r.serial_hex).map_err(|e| Error::InvalidInput {
            what: "serial number",
            value: r.serial_hex.clone(),
            detail: e.to_string(),
        })?;
        entries.push(RevokedCert {
            serial_number: SerialNumber::new(&bytes).map_err(bad)?,
            revocation_date: time(r.revoked_at)?,
            crl_entry_extensions: Some(vec![
                ext(rfc5280::ID_CE_CRL_REASONS, false, &r.reason).map_err(bad)?
            ]),
        });
    }
    let key_id = inspect::subject_key_identifier(issuer.certificate)
        .unwrap_or_else(|| issuer.key.public_key().key_identifier());
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_id).map_err(bad)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let number = CrlNumber::from(der::asn1::Uint::new(&crl_number.to_be_bytes()).map_err(bad)?);
    let signature = spki::AlgorithmIdentifierOwned {
        oid: issuer.key.algorithm().signature_oid(),
        parameters: None,
    };
    let tbs = TbsCertList {
        version: Version::V2,
        signature: signature.clone(),
        issuer: issuer.certificate.tbs_certificate().subject().clone(),
        this_update: time(this_update)?,
        next_update: Some(time(next_update)?),
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(vec![
            ext(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER, false, &aki).map_err(bad)?,
            ext(rfc5280::ID_CE_CRL_NUMBER, false, &number).map_err(bad)?,
        ]),
    };
    let sig = issuer.key.sign(&tbs.to_der().map_err(bad)?)?;
    Ok(CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: signature,
        signature: BitString::from_bytes(&sig).map_err(bad)?,
    })
}

/// Read every CRL in a PEM (`X509 CRL`) or DER file's contents.
pub fn crls_from_bytes(data: &[u8]) -> Result<Vec<Crl>> {
    if let Ok(text) = std::str::from_utf8(data) {
        if text.contains("-----BEGIN") {
            let mut out = Vec::new();
            for block in crate::key::pem_blocks(text) {
                let (label, der) = der::pem::decode_vec(block.as_bytes())
                    .map_err(|e| Error::malformed("PEM", e))?;
                if label == "X509 CRL" {
                    out.push(Crl::from_der(&der).map_err(|e| Error::malformed("CRL", e))?);
                }
            }
            if out.is_empty() {
                return Err(Error::malformed("CRL file", "no X509 CRL block"));
            }
            return Ok(out);
        }
    }
    Crl::from_der(data)
        .map(|c| vec![c])
        .map_err(|e| Error::malformed("CRL", e))
}

pub fn crl_to_der(crl: &Crl) -> Result<Vec<u8>> {
    crl.to_der().map_err(|e| Error::malformed("CRL", e))
}

pub fn crl_to_pem(crl: &Crl) -> Result<String> {
    der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, &crl_to_der(crl)?)
        .map_err(|e| Error::malformed("PEM", e))
}

/// Check the CRL's signature with the issuer's key.
pub fn verify_crl_signature(crl: &Crl, issuer_key: &crate::VerifyingKey) -> Result<()> {
    let tbs = crl
        .tbs_cert_list
        .to_der()
        .map_err(|e| Error::malformed("CRL", e))?;
    inspect::verify_signed_by(&tbs, &crl.signature_algorithm, &crl.signature, issuer_key)
}

/// The entry for this serial number, if the CRL lists it: (revocation time, reason).
pub fn lookup(crl: &Crl, serial: &[u8]) -> Option<(SystemTime, CrlReason)> {
    let wanted = inspect::normalize_serial(serial);
    crl.tbs_cert_list
        .revoked_certificates
        .as_ref()?
        .iter()
        .find(|r| inspect::normalize_serial(r.serial_number.as_bytes()) == wanted)
        .map(|r| {
            let reason = r
                .crl_entry_extensions
                .as_ref()
                .and_then(|exts| {
                    exts.iter()
                        .find(|e| e.extn_id == rfc5280::ID_CE_CRL_REASONS)
                })
                .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok())
                .unwrap_or(CrlReason::Unspecified);
            (r.revocation_date.to_system_time(), reason)
        })
}
