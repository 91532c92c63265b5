//! Making a GB/T 38540-2020 version 4 seal signature (§8): the signer signs DER(TBS_Sign), which
//! holds the seal, the signing time and the SM3 digest of the protected bytes. The caller
//! computes that digest (for PDF: over the ByteRange, streamed), so the bytes never come here.

use std::time::SystemTime;

use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString};
use der::{Decode, Encode};
use eseal_certs::SigningKey;
use x509_cert::Certificate;

use super::check::{cert_listed, show_time};
use super::make_seal::certified_key;
use super::read::{Seal, SesVersion};
use super::seal::{ExtData, SesSeal};
use super::signature::{SesSignature, TbsSign};
use super::SesError;

/// The scope eseal writes in `propertyInfo` for PDF signatures.
pub const PDF_PROPERTY_INFO: &str = "PDF ByteRange";

/// What the signer adds to the seal.
#[derive(Clone, Debug)]
pub struct SignatureRequest<'a> {
    /// SM3 of the protected bytes (32 bytes).
    pub data_digest: &'a [u8],
    /// The signing time (`timeInfo`); the seal must be valid then.
    pub time: SystemTime,
    /// `propertyInfo`, ASCII: what the signature protects.
    pub property_info: &'a str,
    /// `extDatas`, written `[0] EXPLICIT` when not empty.
    pub ext_datas: Vec<ExtData>,
}

/// Make a version 4 seal signature over a data digest with a version 4 seal (DER, as made by
/// [`super::make_seal`] or read from a `.esl` file). The signer's certificate must be in the
/// seal's certificate list and the seal valid at the signing time.
pub fn make_signature(
    seal_der: &[u8],
    signer_key: &dyn SigningKey,
    signer_cert: &Certificate,
    request: &SignatureRequest<'_>,
) -> Result<Vec<u8>, SesError> {
    let seal = Seal::parse(seal_der)?;
    if seal.version != SesVersion::V4 {
        return Err(SesError::InvalidRequest(
            "a GB/T 38540 signature needs a version 4 seal".into(),
        ));
    }
    let eseal = SesSeal::from_der(seal.der()).map_err(SesError::decoding("SESeal"))?;
    if eseal.to_der().map_err(SesError::encoding)? != seal.der() {
        return Err(SesError::malformed(
            "SESeal",
            "the seal would change when re-encoded; refusing to embed it",
        ));
    }
    if request.data_digest.len() != 32 {
        return Err(SesError::DataHashLength {
            got: request.data_digest.len(),
        });
    }
    let (cert_der, _) = certified_key(signer_key, signer_cert, "signer")?;
    if !cert_listed(&seal, &cert_der) {
        return Err(SesError::SignerNotInCertList);
    }
    if request.time < seal.valid_start {
        return Err(SesError::SealNotYetValid {
            at: show_time(request.time),
            start: show_time(seal.valid_start),
        });
    }
    if request.time > seal.valid_end {
        return Err(SesError::SealExpired {
            at: show_time(request.time),
            end: show_time(seal.valid_end),
        });
    }
    let tbs = TbsSign {
        version: 4,
        eseal,
        time_info: GeneralizedTime::from_system_time(request.time).map_err(SesError::encoding)?,
        data_hash: BitString::from_bytes(request.data_digest).map_err(SesError::encoding)?,
        property_info: Ia5String::new(request.property_info).map_err(|_| {
            SesError::InvalidRequest("the property information must be ASCII".into())
        })?,
        ext_datas: (!request.ext_datas.is_empty()).then(|| request.ext_datas.clone()),
    };
    sign_tbs(signer_key, signer_cert, tbs)?
        .to_der()
        .map_err(SesError::encoding)
}

/// Sign a `TBS_Sign` as it stands (no checks of the seal): SM2/SM3 over its DER.
pub fn sign_tbs(
    signer_key: &dyn SigningKey,
    signer_cert: &Certificate,
    tbs: TbsSign,
) -> Result<SesSignature, SesError> {
    let (cert_der, algorithm) = certified_key(signer_key, signer_cert, "signer")?;
    let signature = signer_key
        .sign(&tbs.to_der().map_err(SesError::encoding)?)
        .map_err(|e| SesError::Signing(e.to_string()))?;
    Ok(SesSignature {
        to_sign: tbs,
        cert: OctetString::new(cert_der).map_err(SesError::encoding)?,
        signature_alg_id: algorithm.signature_oid(),
        signature: BitString::from_bytes(&signature).map_err(SesError::encoding)?,
        time_stamp: None,
    })
}
