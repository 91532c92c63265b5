//! Reading a DER ContentInfo holding SignedData (RFC 5652 §3, §5), with both content-type
//! families (PKCS#7 and GM/T 0010) and both SM2 signature identifiers (GM/T 0006 `.501`,
//! GM/T 0010 `.301.1`). Reading checks structure only; `verify` checks the signature.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::{Any, Decode, Encode};
use eseal_certs::{DigestAlgorithm, SignatureScheme};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attributes;
use x509_cert::Certificate;

use super::attr::ID_AA_SIGNATURE_TIME_STAMP_TOKEN;
use super::ber;
use super::content_type::ContentTypeFamily;
use super::spans;
use super::CmsError;

/// A parsed CMS signature: the SignedData with the original bytes of what was signed.
#[derive(Clone, Debug)]
pub struct SignedCms {
    family: ContentTypeFamily,
    signed_data: SignedData,
    certificates: Vec<EmbeddedCertificate>,
    signers: Vec<SignerInfoView>,
    other_revocation: Vec<OtherRevocation>,
}

/// One `other` entry of SignedData `crls` (RFC 5652 §10.2.1), e.g. an OCSP response under
/// `id-ri-ocsp-response` (RFC 5940 §4.1).
#[derive(Clone, Debug)]
pub struct OtherRevocation {
    /// `otherRevInfoFormat`.
    pub format: ObjectIdentifier,
    /// `otherRevInfo`, its DER as found.
    pub der: Vec<u8>,
}

impl OtherRevocation {
    fn parse(contents: &[u8]) -> Result<Self, CmsError> {
        let (oid, rest) = crate::tlv::read_tlv(contents, "OtherRevocationInfoFormat")?;
        let format = ObjectIdentifier::from_der(oid.raw)
            .map_err(CmsError::malformed("otherRevInfoFormat"))?;
        let (info, _) = crate::tlv::read_tlv(rest, "otherRevInfo")?;
        Ok(OtherRevocation {
            format,
            der: info.raw.to_vec(),
        })
    }
}

/// A certificate from the SignedData `certificates` field, with its bytes as found.
#[derive(Clone, Debug)]
pub struct EmbeddedCertificate {
    pub certificate: Certificate,
    pub der: Vec<u8>,
}

/// One SignerInfo (RFC 5652 §5.3) with the bytes its signature covers.
#[derive(Clone, Debug)]
pub struct SignerInfoView {
    info: SignerInfo,
    /// DER of the signed attributes with the SET OF tag, exactly as signed.
    signed_attrs_der: Option<Vec<u8>>,
    /// Whether the signed attributes are in DER order (RFC 5652 §5.3, X.690 §11.6).
    attrs_in_der_order: bool,
}

impl SignedCms {
    /// Parse a ContentInfo in DER or BER (indefinite lengths and constructed strings are
    /// given DER framing first; parts already in DER keep their bytes). Zero bytes after it
    /// (a PDF `/Contents` placeholder's padding) are ignored; anything else after it is an
    /// error.
    pub fn parse(data: &[u8]) -> Result<Self, CmsError> {
        let (normalized, used) = ber::normalize(data)
            .map_err(|e| CmsError::malformed_because("BER encoding", &e.to_string()))?;
        if data
            .get(used..)
            .is_some_and(|rest| rest.iter().any(|&b| b != 0))
        {
            return Err(CmsError::TrailingData);
        }
        let der = spans::strip_padding(&normalized)?;
        let decodable = spans::without_other_revocation(der)?;
        let content_info = ContentInfo::from_der(decodable.as_deref().unwrap_or(der))
            .map_err(CmsError::malformed("ContentInfo"))?;
        let family = ContentTypeFamily::from_signed_data(&content_info.content_type)
            .ok_or(CmsError::NotSignedData(content_info.content_type))?;
        let signed_data: SignedData = content_info
            .content
            .decode_as()
            .map_err(CmsError::malformed("SignedData"))?;
        let spans = spans::signed_data_spans(der)?;
        let certificates = spans
            .certificates
            .iter()
            .map(|d| EmbeddedCertificate::parse(d))
            .collect::<Result<_, _>>()?;
        let signers = spans
            .signer_infos
            .iter()
            .map(SignerInfoView::parse)
            .collect::<Result<_, _>>()?;
        let other_revocation = spans
            .other_revocation
            .iter()
            .map(|r| OtherRevocation::parse(r))
            .collect::<Result<_, _>>()?;
        Ok(SignedCms {
            family,
            signed_data,
            certificates,
            signers,
            other_revocation,
        })
    }

    /// Which content-type family the outer ContentInfo uses.
    pub fn family(&self) -> ContentTypeFamily {
        self.family
    }

    /// `encapContentInfo.eContentType`.
    pub fn econtent_type(&self) -> ObjectIdentifier {
        self.signed_data.encap_content_info.econtent_type
    }

    /// Whether the content is detached (no eContent), as PAdES requires.
    pub fn is_detached(&self) -> bool {
        self.signed_data.encap_content_info.econtent.is_none()
    }

    pub fn signed_data(&self) -> &SignedData {
        &self.signed_data
    }

    /// The certificates embedded in the signature, in the order found.
    pub fn certificates(&self) -> &[EmbeddedCertificate] {
        &self.certificates
    }

    pub fn signers(&self) -> &[SignerInfoView] {
        &self.signers
    }

    /// The `other` entries of SignedData `crls` (the `cms` crate's decoded value leaves them
    /// out).
    pub fn other_revocation(&self) -> &[OtherRevocation] {
        &self.other_revocation
    }

    /// The first signer, whose certificate and timestamps the report is about. PAdES
    /// signatures have exactly one; when there are several, verification checks them all
    /// (see [`Self::deviations`]).
    pub fn signer(&self) -> Result<&SignerInfoView, CmsError> {
        self.signers.first().ok_or(CmsError::SignerCount(0))
    }

    /// Ways the message departs from what PAdES and RFC 5652 ask, which a verifier accepts
    /// (as Acrobat, pyHanko and pdfsig do) but reports: several signers, and signed
    /// attributes out of DER order.
    pub fn deviations(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.signers.len() > 1 {
            out.push(format!(
                "the CMS has {} signers (PAdES expects one); every one was checked",
                self.signers.len()
            ));
        }
        if self.signers.iter().any(|s| !s.attrs_in_der_order) {
            out.push(
                "the signed attributes are not in DER order (RFC 5652 §5.3); the signature was \
                 checked over the bytes as sent"
                    .to_string(),
            );
        }
        out
    }
}

impl EmbeddedCertificate {
    fn parse(der: &[u8]) -> Result<Self, CmsError> {
        Ok(EmbeddedCertificate {
            certificate: Certificate::from_der(der).map_err(CmsError::malformed("certificate"))?,
            der: der.to_vec(),
        })
    }

    /// A certificate given by the caller, encoded as DER.
    pub fn from_certificate(certificate: &Certificate) -> Result<Self, CmsError> {
        Ok(EmbeddedCertificate {
            der: certificate.to_der().map_err(CmsError::Encoding)?,
            certificate: certificate.clone(),
        })
    }
}

impl SignerInfoView {
    fn parse(spans: &spans::SignerInfoSpans<'_>) -> Result<Self, CmsError> {
        let attrs_in_der_order = match spans.signed_attrs {
            Some(attrs) => spans::in_der_order(attrs)?,
            None => true,
        };
        Ok(SignerInfoView {
            info: SignerInfo::from_der(spans.raw).map_err(CmsError::malformed("SignerInfo"))?,
            signed_attrs_der: spans.signed_attrs.map(spans::signed_attrs_as_set),
            attrs_in_der_order,
        })
    }

    /// Whether the signed attributes are in DER order (RFC 5652 §5.3); the signature is
    /// checked over them as sent either way.
    pub fn signed_attributes_in_der_order(&self) -> bool {
        self.attrs_in_der_order
    }

    /// The SignerInfo as decoded.
    pub fn info(&self) -> &SignerInfo {
        &self.info
    }

    pub fn sid(&self) -> &SignerIdentifier {
        &self.info.sid
    }

    /// The digest algorithm, which the caller uses to hash the detached content.
    pub fn digest_algorithm(&self) -> Result<DigestAlgorithm, CmsError> {
        let id = &self.info.digest_alg;
        DigestAlgorithm::from_oid(&id.oid)
            .filter(|_| absent_or_null(id))
            .ok_or(CmsError::UnsupportedDigestAlgorithm(id.oid))
    }

    /// The signature scheme, read with the digest algorithm: CMS may name only the key type
    /// (`rsaEncryption`, `id-ecPublicKey`) and leave the hash to digestAlgorithm; a scheme with
    /// its own hash must agree with digestAlgorithm. SM2 may be named `.501` or `.301.1`.
    pub fn signature_algorithm(&self) -> Result<SignatureScheme, CmsError> {
        let id = &self.info.signature_algorithm;
        let digest = self.digest_algorithm()?;
        match SignatureScheme::from_identifier(id, None) {
            Ok(scheme) => match scheme.digest() {
                Some(own) if own != digest => Err(CmsError::AlgorithmMismatch {
                    digest: digest.oid(),
                    signature: id.oid,
                }),
                _ => Ok(scheme),
            },
            Err(_) => SignatureScheme::from_identifier(id, Some(digest))
                .map_err(|e| CmsError::UnsupportedSignatureAlgorithm(unsupported_detail(e))),
        }
    }

    pub fn signed_attributes(&self) -> Option<&Attributes> {
        self.info.signed_attrs.as_ref()
    }

    /// DER of the signed attributes with the SET OF tag (0x31): the bytes the signature covers.
    pub fn signed_attributes_der(&self) -> Option<&[u8]> {
        self.signed_attrs_der.as_deref()
    }

    pub fn unsigned_attributes(&self) -> Option<&Attributes> {
        self.info.unsigned_attrs.as_ref()
    }

    /// The signature value (for P-256 and SM2: DER `SEQUENCE { r, s }`). An RFC 3161
    /// signature timestamp is over this value.
    pub fn signature(&self) -> &[u8] {
        self.info.signature.as_bytes()
    }

    /// DER of each signature timestamp token (a ContentInfo) in the unsigned attributes.
    pub fn timestamp_tokens(&self) -> Result<Vec<Vec<u8>>, CmsError> {
        let Some(attrs) = self.unsigned_attributes() else {
            return Ok(Vec::new());
        };
        attrs
            .iter()
            .filter(|a| a.oid == ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
            .flat_map(|a| a.values.iter())
            .map(|v| v.to_der().map_err(CmsError::Encoding))
            .collect()
    }
}

/// What an algorithm error says, without the generic prefix.
fn unsupported_detail(e: eseal_certs::Error) -> String {
    match e {
        eseal_certs::Error::Unsupported { detail, .. } => detail,
        other => other.to_string(),
    }
}

/// Our algorithms take no parameters; NULL is tolerated as some producers write it.
fn absent_or_null(id: &AlgorithmIdentifierOwned) -> bool {
    id.parameters.as_ref().is_none_or(Any::is_null)
}

/// Run the parser on arbitrary bytes, for fuzzing: it must return, never panic.
pub fn parse_for_fuzz(data: &[u8]) {
    if let Ok(cms) = SignedCms::parse(data) {
        for signer in cms.signers() {
            let _ = signer.digest_algorithm();
            let _ = signer.signature_algorithm();
            let _ = signer.timestamp_tokens();
        }
        let _ = cms.verify_detached(&[0u8; 32]);
    }
}
