//! Making a detached CMS SignedData (RFC 5652 §5) for PAdES B-B (ETSI EN 319 142-1 §6.3) with
//! P-256/SHA-256 or SM2/SM3 (GB/T 35275): signed attributes content-type, message-digest,
//! ESS signing-certificate-v2 (RFC 5035) and, for P-256, CMS algorithm protection (RFC 6211).
//!
//! Signing is split in two so that a remote signer fits: [`PreparedSignature::new`] gives the
//! bytes to be signed (DER of the SET OF signed attributes, §5.4), [`PreparedSignature::finish`]
//! takes the signature back. [`sign_detached`] does both with a [`SigningKey`].

use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use eseal_certs::{Algorithm, PublicKey, SigningKey};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::{Attribute, Attributes};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::time::Time;
use x509_cert::Certificate;

use super::attr::*;
use super::content_type::ContentTypeFamily;
use super::spans;
use super::CmsError;

/// The longest DER signature either suite produces: SEQUENCE { INTEGER(33), INTEGER(33) }.
const MAX_SIGNATURE_LEN: usize = 72;

/// What goes into a detached signature besides the key, the certificates and the digest.
#[derive(Clone, Debug, Default)]
pub struct SignOptions {
    /// Which family of content-type identifiers to use (PKCS#7 for PAdES).
    pub content_types: ContentTypeFamily,
    /// A signing-time signed attribute; `None` for PAdES, which keeps the time in `/M`.
    pub signing_time: Option<SystemTime>,
    /// The RFC 6211 algorithm protection attribute: `None` includes it for P-256 and omits it
    /// for SM2 (GM/T verifiers do not expect it).
    pub algorithm_protection: Option<bool>,
    /// Unsigned attributes to carry from the start (e.g. a timestamp token).
    pub unsigned_attributes: Vec<Attribute>,
}

/// A SignerInfo waiting for its signature.
#[derive(Clone, Debug)]
pub struct PreparedSignature {
    algorithm: Algorithm,
    content_types: ContentTypeFamily,
    signer: Certificate,
    certificates: CertificateSet,
    signed_attrs: Attributes,
    to_be_signed: Vec<u8>,
    unsigned_attrs: Option<Attributes>,
    /// What is signed: `data` (detached) for PAdES/CAdES, or an encapsulated content such as
    /// an RFC 3161 TSTInfo.
    econtent_type: ObjectIdentifier,
    econtent: Option<Vec<u8>>,
    /// RFC 3161 §2.4.2: a token made for a request without certReq carries no certificates.
    embed_certificates: bool,
}

/// Sign the digest of detached content: the PAdES `/Contents` value (DER ContentInfo).
///
/// `content_digest` is the hash of the content with `key.algorithm().digest()` (SHA-256 or
/// SM3); `chain` holds further certificates to embed (intermediates, not necessarily the root).
pub fn sign_detached(
    key: &dyn SigningKey,
    signer: &Certificate,
    chain: &[Certificate],
    content_digest: &[u8],
    options: &SignOptions,
) -> Result<Vec<u8>, CmsError> {
    let certified = PublicKey::from_spki(signer.tbs_certificate().subject_public_key_info())
        .map_err(CmsError::PublicKey)?;
    if &certified != key.public_key() {
        return Err(CmsError::KeyNotCertified);
    }
    let prepared = PreparedSignature::new(key.algorithm(), signer, chain, content_digest, options)?;
    let signature = key
        .sign(prepared.to_be_signed())
        .map_err(CmsError::Signing)?;
    // The key is the certified one (checked above) and its backend vouches for its signatures
    // (a token's are checked there), so the signature is not verified again: that would cost
    // twice the signing.
    prepared.assemble(&signature)
}

/// Sign `econtent` encapsulated with content type `econtent_type` (e.g. an RFC 3161 token
/// over its TSTInfo). `signer` and `chain` are embedded when `embed_certificates` is set.
pub fn sign_encapsulated(
    key: &dyn SigningKey,
    signer: &Certificate,
    chain: &[Certificate],
    econtent_type: ObjectIdentifier,
    econtent: &[u8],
    embed_certificates: bool,
    options: &SignOptions,
) -> Result<Vec<u8>, CmsError> {
    let certified = PublicKey::from_spki(signer.tbs_certificate().subject_public_key_info())
        .map_err(CmsError::PublicKey)?;
    if &certified != key.public_key() {
        return Err(CmsError::KeyNotCertified);
    }
    let digest = key.algorithm().digest().hash(econtent);
    let mut prepared = PreparedSignature::with_content(
        key.algorithm(),
        signer,
        chain,
        &digest,
        options,
        econtent_type,
        Some(econtent.to_vec()),
    )?;
    prepared.embed_certificates = embed_certificates;
    let signature = key
        .sign(prepared.to_be_signed())
        .map_err(CmsError::Signing)?;
    prepared.assemble(&signature)
}

/// The length of the DER a [`sign_detached`] call with these inputs produces, at most; the
/// PDF writer reserves twice this in hex, plus room for a timestamp token added later.
pub fn estimate_len(
    algorithm: Algorithm,
    signer: &Certificate,
    chain: &[Certificate],
    options: &SignOptions,
) -> Result<usize, CmsError> {
    let digest = algorithm.digest().hash(b"");
    let prepared = PreparedSignature::new(algorithm, signer, chain, &digest, options)?;
    Ok(prepared.assemble(&[0u8; MAX_SIGNATURE_LEN])?.len())
}

impl PreparedSignature {
    /// Build the signed attributes for `content_digest`.
    pub fn new(
        algorithm: Algorithm,
        signer: &Certificate,
        chain: &[Certificate],
        content_digest: &[u8],
        options: &SignOptions,
    ) -> Result<Self, CmsError> {
        Self::with_content(
            algorithm,
            signer,
            chain,
            content_digest,
            options,
            options.content_types.data(),
            None,
        )
    }

    /// As [`Self::new`] with content type `econtent_type` and, when given, the content
    /// encapsulated (RFC 5652 §5.2; a timestamp token carries its TSTInfo so).
    pub(crate) fn with_content(
        algorithm: Algorithm,
        signer: &Certificate,
        chain: &[Certificate],
        content_digest: &[u8],
        options: &SignOptions,
        econtent_type: ObjectIdentifier,
        econtent: Option<Vec<u8>>,
    ) -> Result<Self, CmsError> {
        check_digest_len(algorithm, content_digest)?;
        let signed_attrs =
            signed_attributes(algorithm, signer, content_digest, options, econtent_type)?;
        let unsigned_attrs = match options.unsigned_attributes.as_slice() {
            [] => None,
            attrs => Some(SetOfVec::try_from(attrs.to_vec()).map_err(CmsError::Encoding)?),
        };
        Ok(PreparedSignature {
            algorithm,
            content_types: options.content_types,
            signer: signer.clone(),
            certificates: certificate_set(signer, chain)?,
            to_be_signed: signed_attrs.to_der().map_err(CmsError::Encoding)?,
            signed_attrs,
            unsigned_attrs,
            econtent_type,
            econtent,
            embed_certificates: true,
        })
    }

    /// The bytes to sign: DER of the SET OF signed attributes (RFC 5652 §5.4). The signer
    /// hashes them itself (SHA-256, or SM3 with Z_A and the default SM2 ID).
    pub fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Check a signature made elsewhere (a remote signer) with the signer certificate's key
    /// and assemble the ContentInfo.
    pub fn finish(self, signature_der: &[u8]) -> Result<Vec<u8>, CmsError> {
        let key = PublicKey::from_spki(self.signer.tbs_certificate().subject_public_key_info())
            .map_err(CmsError::PublicKey)?;
        key.verify(&self.to_be_signed, signature_der)
            .map_err(|_| CmsError::BadSignature)?;
        self.assemble(signature_der)
    }

    fn assemble(&self, signature: &[u8]) -> Result<Vec<u8>, CmsError> {
        let tbs = self.signer.tbs_certificate();
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: algorithm_id(self.algorithm.digest().oid()),
            signed_attrs: Some(self.signed_attrs.clone()),
            signature_algorithm: algorithm_id(self.algorithm.signature_oid()),
            signature: OctetString::new(signature).map_err(CmsError::Encoding)?,
            unsigned_attrs: self.unsigned_attrs.clone(),
        };
        let econtent = self
            .econtent
            .as_deref()
            .map(|c| Any::encode_from(&OctetString::new(c)?))
            .transpose()
            .map_err(CmsError::Encoding)?;
        // RFC 5652 §5.1: version 3 when the content is not `data`.
        let is_data = self.econtent_type == self.content_types.data();
        let signed_data = SignedData {
            version: if is_data {
                CmsVersion::V1
            } else {
                CmsVersion::V3
            },
            digest_algorithms: SetOfVec::try_from(vec![algorithm_id(
                self.algorithm.digest().oid(),
            )])
            .map_err(CmsError::Encoding)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: self.econtent_type,
                econtent,
            },
            certificates: self.embed_certificates.then(|| self.certificates.clone()),
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer_info]).map_err(CmsError::Encoding)?,
        };
        content_info(self.content_types.signed_data(), &signed_data)
    }
}

fn content_info(content_type: ObjectIdentifier, sd: &SignedData) -> Result<Vec<u8>, CmsError> {
    ContentInfo {
        content_type,
        content: Any::encode_from(sd).map_err(CmsError::Encoding)?,
    }
    .to_der()
    .map_err(CmsError::Encoding)
}

fn check_digest_len(algorithm: Algorithm, digest: &[u8]) -> Result<(), CmsError> {
    let expected = algorithm.digest().hash(b"").len();
    if digest.len() != expected {
        return Err(CmsError::DigestLength {
            algorithm: algorithm.digest().name(),
            expected,
            got: digest.len(),
        });
    }
    Ok(())
}

/// An AlgorithmIdentifier without parameters (RFC 5754 §2 for SHA-2, RFC 5758 §3.2 for
/// ECDSA, GM/T 0010 for SM2/SM3).
fn algorithm_id(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

/// The signer certificate and the chain, each once.
fn certificate_set(
    signer: &Certificate,
    chain: &[Certificate],
) -> Result<CertificateSet, CmsError> {
    let mut set = SetOfVec::new();
    for cert in std::iter::once(signer).chain(chain) {
        let choice = CertificateChoices::Certificate(cert.clone());
        if !set.iter().any(|c| c == &choice) {
            set.insert(choice).map_err(CmsError::Encoding)?;
        }
    }
    Ok(CertificateSet(set))
}

/// content-type, message-digest, ESS signing-certificate-v2, and the optional ones.
fn signed_attributes(
    algorithm: Algorithm,
    signer: &Certificate,
    content_digest: &[u8],
    options: &SignOptions,
    econtent_type: ObjectIdentifier,
) -> Result<Attributes, CmsError> {
    let mut attrs = vec![
        attribute(ID_CONTENT_TYPE, &econtent_type)?,
        attribute(
            ID_MESSAGE_DIGEST,
            &OctetString::new(content_digest).map_err(CmsError::Encoding)?,
        )?,
        attribute(
            ID_AA_SIGNING_CERTIFICATE_V2,
            &signing_certificate_v2(algorithm, signer)?,
        )?,
    ];
    if let Some(time) = options.signing_time {
        let time = Time::try_from(time).map_err(CmsError::Encoding)?;
        attrs.push(attribute(ID_SIGNING_TIME, &time)?);
    }
    if options
        .algorithm_protection
        .unwrap_or(algorithm == Algorithm::P256)
    {
        attrs.push(attribute(
            ID_AA_CMS_ALGORITHM_PROTECTION,
            &algorithm_protection(algorithm),
        )?);
    }
    SetOfVec::try_from(attrs).map_err(CmsError::Encoding)
}

/// An attribute with one value.
pub fn attribute(oid: ObjectIdentifier, value: &impl Encode) -> Result<Attribute, CmsError> {
    let der = value.to_der().map_err(CmsError::Encoding)?;
    let value = Any::from_der(&der).map_err(CmsError::Encoding)?;
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(CmsError::Encoding)?,
    })
}

/// RFC 5035: hash of the signer certificate with the suite's hash; SHA-256 is the DEFAULT
/// and so omitted, SM3 is named. issuerSerial is included.
fn signing_certificate_v2(
    algorithm: Algorithm,
    signer: &Certificate,
) -> Result<SigningCertificateV2, CmsError> {
    let digest = algorithm.digest();
    let cert_der = signer.to_der().map_err(CmsError::Encoding)?;
    let tbs = signer.tbs_certificate();
    Ok(SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: (algorithm != Algorithm::P256).then(|| algorithm_id(digest.oid())),
            cert_hash: OctetString::new(digest.hash(&cert_der)).map_err(CmsError::Encoding)?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                serial_number: tbs.serial_number().clone(),
            }),
        }],
        policies: None,
    })
}

fn algorithm_protection(algorithm: Algorithm) -> CmsAlgorithmProtection {
    CmsAlgorithmProtection {
        digest_algorithm: algorithm_id(algorithm.digest().oid()),
        signature_algorithm: Some(algorithm_id(algorithm.signature_oid())),
        mac_algorithm: None,
    }
}

/// The `signatureTimeStampToken` unsigned attribute (RFC 3161 Appendix A) holding a
/// timestamp token (DER ContentInfo) over the signature value.
pub fn timestamp_attribute(token_der: &[u8]) -> Result<Attribute, CmsError> {
    let token = Any::from_der(token_der).map_err(CmsError::malformed("timestamp token"))?;
    attribute(ID_AA_SIGNATURE_TIME_STAMP_TOKEN, &token)
}

/// Add an unsigned attribute to the only SignerInfo of a DER ContentInfo and re-encode it
/// (PAdES B-T: a signature timestamp). Fails rather than change the signed attributes' bytes.
pub fn add_unsigned_attribute(cms_der: &[u8], attribute: Attribute) -> Result<Vec<u8>, CmsError> {
    let der = spans::strip_padding(cms_der)?;
    let ci = ContentInfo::from_der(der).map_err(CmsError::malformed("ContentInfo"))?;
    let mut sd: SignedData = ci
        .content
        .decode_as()
        .map_err(CmsError::malformed("SignedData"))?;
    let spans = spans::signed_data_spans(der)?;
    let (mut si, signed_span) = match (sd.signer_infos.0.as_slice(), spans.signer_infos.as_slice())
    {
        ([si], [span]) => (si.clone(), span.signed_attrs),
        (many, _) => return Err(CmsError::SignerCount(many.len())),
    };
    let reencoded = si
        .signed_attrs
        .as_ref()
        .map(|a| a.to_der().map_err(CmsError::Encoding))
        .transpose()?;
    if reencoded != signed_span.map(spans::signed_attrs_as_set) {
        return Err(CmsError::SignedAttributesNotCanonical);
    }
    let mut unsigned = si.unsigned_attrs.take().unwrap_or_default();
    unsigned.insert(attribute).map_err(CmsError::Encoding)?;
    si.unsigned_attrs = Some(unsigned);
    sd.signer_infos = SignerInfos::try_from(vec![si]).map_err(CmsError::Encoding)?;
    content_info(ci.content_type, &sd)
}
