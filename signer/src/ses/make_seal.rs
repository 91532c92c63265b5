//! Making a GB/T 38540-2020 version 4 seal (§7): the seal maker (制章者) signs DER(SES_SealInfo)
//! with SM2/SM3 and the default ID; the signer certificates go into the certificate list, the
//! owner binding into a seal extension (see `binding`).

use std::time::SystemTime;

use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString, PrintableString};
use der::Encode;
use eseal_certs::{Algorithm, SigningKey};
use x509_cert::Certificate;

use super::check::check_picture;
use super::read::Picture;
use super::seal::{
    CertDigestObj, CertList, ExtData, SesEsPictrueInfo, SesEsPropertyInfo, SesHeader, SesSeal,
    SesSealInfo,
};
use super::{Owner, OwnerCode, SealType, SesError};

/// The vendor ID eseal writes in `SES_Header.Vid`.
pub const ESEAL_VENDOR_ID: &str = "eseal";

/// How the signer certificates are listed in the seal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertListForm {
    /// certListType 1: the certificates themselves.
    Certificates,
    /// certListType 2: their SM3 digests, type "SM3".
    Sm3Digests,
}

/// Everything a version 4 seal says.
#[derive(Clone, Debug)]
pub struct SealRequest {
    /// `SES_Header.Vid`; [`ESEAL_VENDOR_ID`] by default.
    pub vendor_id: String,
    /// `esID`, the seal's identifier (ASCII).
    pub es_id: String,
    pub seal_type: SealType,
    pub name: String,
    /// Whom the seal belongs to; its code must fit the seal type.
    pub owner: Owner,
    /// The certificates that may sign with this seal.
    pub certificates: Vec<Certificate>,
    pub list_form: CertListForm,
    pub created: SystemTime,
    pub valid_start: SystemTime,
    pub valid_end: SystemTime,
    pub picture: Picture,
    /// Further extensions, after the owner binding.
    pub extra_ext_datas: Vec<ExtData>,
}

/// Make a version 4 seal and return its DER (the content of a `.esl` file).
pub fn make_seal(
    maker_key: &dyn SigningKey,
    maker_cert: &Certificate,
    request: &SealRequest,
) -> Result<Vec<u8>, SesError> {
    let info = seal_info(request)?;
    sign_seal_info(maker_key, maker_cert, info)?
        .to_der()
        .map_err(SesError::encoding)
}

/// The `SES_SealInfo` of a request, checked.
pub fn seal_info(request: &SealRequest) -> Result<SesSealInfo, SesError> {
    let invalid = |m: &str| SesError::InvalidRequest(m.to_string());
    if request.name.trim().is_empty() {
        return Err(invalid("the seal needs a name"));
    }
    if request.certificates.is_empty() {
        return Err(invalid("the seal needs at least one signer certificate"));
    }
    if request.valid_end <= request.valid_start {
        return Err(invalid("the seal's validity must end after it starts"));
    }
    check_picture(&request.picture)?;
    let code = OwnerCode::for_seal_type(request.seal_type, request.owner.code.code())?;
    if code != request.owner.code {
        return Err(SesError::InvalidRequest(format!(
            "a {} carries a {}, not a {}",
            request.seal_type.name(),
            code.kind(),
            request.owner.code.kind()
        )));
    }
    if let OwnerCode::Uscc(uscc) = &code {
        for cert in &request.certificates {
            let subject = cert.tbs_certificate().subject();
            match eseal_certs::name::uscc(subject) {
                Some(c) if c.eq_ignore_ascii_case(uscc) => {}
                found => {
                    return Err(SesError::OwnerCodeMismatch {
                        seal: uscc.clone(),
                        certificate: found.unwrap_or_else(|| "(none)".into()),
                    })
                }
            }
        }
    }
    let mut ext_datas = vec![request.owner.to_extension()?];
    ext_datas.extend(request.extra_ext_datas.iter().cloned());
    let ia5 = |s: &str, what: &str| {
        Ia5String::new(s).map_err(|_| SesError::InvalidRequest(format!("{what} must be ASCII")))
    };
    let time = |t: SystemTime| GeneralizedTime::from_system_time(t).map_err(SesError::encoding);
    let cert_list = cert_list(&request.certificates, request.list_form)?;
    Ok(SesSealInfo {
        header: SesHeader {
            id: ia5("ES", "ID")?,
            version: 4,
            vid: ia5(&request.vendor_id, "the vendor ID")?,
        },
        es_id: ia5(&request.es_id, "the seal ID")?,
        property: SesEsPropertyInfo {
            seal_type: request.seal_type.code(),
            name: request.name.clone(),
            cert_list_type: cert_list.list_type(),
            cert_list,
            create_date: time(request.created)?,
            valid_start: time(request.valid_start)?,
            valid_end: time(request.valid_end)?,
        },
        picture: SesEsPictrueInfo {
            kind: ia5(&request.picture.kind, "the picture type")?,
            data: OctetString::new(request.picture.data.clone()).map_err(SesError::encoding)?,
            width: request.picture.width_mm,
            height: request.picture.height_mm,
        },
        ext_datas: Some(ext_datas),
    })
}

fn cert_list(certs: &[Certificate], form: CertListForm) -> Result<CertList, SesError> {
    let ders = certs
        .iter()
        .map(|c| c.to_der().map_err(SesError::encoding))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(match form {
        CertListForm::Certificates => CertList::Certificates(
            ders.into_iter()
                .map(|d| OctetString::new(d).map_err(SesError::encoding))
                .collect::<Result<_, _>>()?,
        ),
        CertListForm::Sm3Digests => CertList::Digests(
            ders.iter()
                .map(|d| {
                    Ok(CertDigestObj {
                        kind: PrintableString::new("SM3").map_err(SesError::encoding)?,
                        value: OctetString::new(eseal_certs::DigestAlgorithm::Sm3.hash(d))
                            .map_err(SesError::encoding)?,
                    })
                })
                .collect::<Result<_, SesError>>()?,
        ),
    })
}

/// Sign a `SES_SealInfo` as the seal maker: SM2/SM3 over its DER.
pub fn sign_seal_info(
    maker_key: &dyn SigningKey,
    maker_cert: &Certificate,
    info: SesSealInfo,
) -> Result<SesSeal, SesError> {
    let (cert_der, algorithm) = certified_key(maker_key, maker_cert, "seal maker")?;
    let signature = maker_key
        .sign(&info.to_der().map_err(SesError::encoding)?)
        .map_err(|e| SesError::Signing(e.to_string()))?;
    Ok(SesSeal {
        seal_info: info,
        cert: OctetString::new(cert_der).map_err(SesError::encoding)?,
        sign_alg_id: algorithm.signature_oid(),
        signed_value: BitString::from_bytes(&signature).map_err(SesError::encoding)?,
    })
}

/// The certificate's DER and the key's suite, once the key is known to be the certificate's
/// and SM2.
pub(crate) fn certified_key(
    key: &dyn SigningKey,
    cert: &Certificate,
    whose: &'static str,
) -> Result<(Vec<u8>, Algorithm), SesError> {
    let cert_key = eseal_certs::inspect::public_key(cert).map_err(|e| SesError::Certificate {
        whose,
        detail: e.to_string(),
    })?;
    if &cert_key != key.public_key() {
        return Err(SesError::KeyNotCertified { whose });
    }
    if key.algorithm() != Algorithm::Sm2 {
        return Err(SesError::InvalidRequest(format!(
            "GB/T 38540 {whose} keys are SM2, this one is {}",
            key.algorithm()
        )));
    }
    Ok((cert.to_der().map_err(SesError::encoding)?, key.algorithm()))
}
