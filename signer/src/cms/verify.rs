//! Checking a detached CMS signature (RFC 5652 §5.4, §5.6) the way PAdES B-B needs it
//! (ETSI EN 319 142-1 §6.3, EN 319 122-1 §5.2): signed attributes are required, the
//! content-type and message-digest attributes must match, the signature is checked over the
//! signed attributes exactly as they were encoded, and the ESS signing-certificate(-v2)
//! attribute (RFC 5035 §5.4, RFC 2634 §5.4) must name the certificate that verified it.
//! Certificate path validation is not done here; it belongs to `eseal-certs`.

use cms::cert::IssuerAndSerialNumber;
use cms::signed_data::SignerIdentifier;
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::Any;
use eseal_certs::{policy, Algorithm, DigestAlgorithm, SignatureScheme, VerifyingKey};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attributes;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::time::Time;
use x509_cert::Certificate;

use super::attr::*;
use super::parse::{EmbeddedCertificate, SignedCms, SignerInfoView};
use super::CmsError;

/// What a successful check established about the signer.
#[derive(Clone, Debug)]
pub struct SignerVerdict {
    /// The scheme the signature verified under (compares equal to our [`Algorithm`] suites).
    pub algorithm: SignatureScheme,
    pub digest_algorithm: DigestAlgorithm,
    /// The signer's key as a report names it ("RSA 3072", "ECDSA P-384").
    pub key: String,
    /// Why the algorithms are too weak to rely on ([`policy::weakness`]), if they are. The
    /// signature verified all the same; a validation must not let it pass.
    pub weakness: Option<String>,
    /// The certificate whose key verified the signature (its path is not yet validated).
    pub signer_certificate: Certificate,
    /// Which ESS attribute bound the certificate, if any. PAdES requires signing-certificate-v2.
    pub ess: EssBinding,
    /// Whether an RFC 6211 algorithm protection attribute was present (and matched).
    pub algorithm_protection: bool,
    /// The signing-time attribute, if present (PAdES puts the time in `/M` instead).
    pub signing_time: Option<Time>,
    /// DER of any RFC 3161 signature timestamp tokens (not checked here).
    pub timestamp_tokens: Vec<Vec<u8>>,
}

/// How the signer certificate is bound into the signed attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EssBinding {
    /// ESS signing-certificate-v2 (RFC 5035), as PAdES requires.
    SigningCertificateV2,
    /// Only the SHA-1 signing-certificate (RFC 2634): older CAdES.
    SigningCertificateV1,
    /// No ESS attribute: not PAdES B-B conformant, and open to certificate substitution.
    Absent,
}

impl SignerVerdict {
    /// Whether the signed attributes meet PAdES B-B (signing-certificate-v2 present, no
    /// signing-time attribute).
    pub fn is_pades_baseline(&self) -> bool {
        self.ess == EssBinding::SigningCertificateV2 && self.signing_time.is_none()
    }

    /// The algorithm as reports name it: our suites by their short names (`p256`, `sm2`),
    /// others as scheme and key ("RSASSA-PSS with SHA-256 (salt 32), RSA 3072").
    pub fn algorithm_name(&self) -> String {
        describe(self.algorithm, &self.key)
    }
}

/// Our suites by their short names, others as scheme and key.
pub(crate) fn describe(scheme: SignatureScheme, key: &str) -> String {
    match Algorithm::ALL
        .into_iter()
        .find(|a| SignatureScheme::from(*a) == scheme && a.curve_name() == key)
    {
        Some(suite) => suite.to_string(),
        None => format!("{scheme}, {key}"),
    }
}

impl SignedCms {
    /// Check the only signer against the digest of the detached content, finding the signer
    /// certificate among the embedded certificates.
    pub fn verify_detached(&self, content_digest: &[u8]) -> Result<SignerVerdict, CmsError> {
        self.verify_detached_with(content_digest, &[])
    }

    /// As [`Self::verify_detached`], also searching `extra_certificates` for the signer.
    pub fn verify_detached_with(
        &self,
        content_digest: &[u8],
        extra_certificates: &[Certificate],
    ) -> Result<SignerVerdict, CmsError> {
        if !self.is_detached() {
            return Err(CmsError::NotDetached);
        }
        self.verify_signer(content_digest, extra_certificates)
    }

    /// Check the only signer of a SignedData that encapsulates its content (an RFC 3161
    /// token): the message digest must be the hash of the eContent octets. Returns the verdict
    /// and those octets.
    pub fn verify_encapsulated_with(
        &self,
        extra_certificates: &[Certificate],
    ) -> Result<(SignerVerdict, Vec<u8>), CmsError> {
        let content = self.econtent_octets()?;
        let digest = self.signer()?.digest_algorithm()?.hash(&content);
        let verdict = self.verify_signer(&digest, extra_certificates)?;
        Ok((verdict, content))
    }

    /// The encapsulated content's octets (eContent is an OCTET STRING, RFC 5652 §5.2).
    pub fn econtent_octets(&self) -> Result<Vec<u8>, CmsError> {
        let any = self
            .signed_data()
            .encap_content_info
            .econtent
            .as_ref()
            .ok_or(CmsError::MissingContent)?;
        let octets: OctetString = any
            .decode_as()
            .map_err(CmsError::malformed("encapsulated content"))?;
        Ok(octets.as_bytes().to_vec())
    }

    /// Checks every signer (fail closed: one that does not verify fails the whole); the
    /// verdict is the first signer's. All must use the first one's digest algorithm, since
    /// the caller hashed the content with it.
    fn verify_signer(
        &self,
        content_digest: &[u8],
        extra_certificates: &[Certificate],
    ) -> Result<SignerVerdict, CmsError> {
        let first = self.signer()?;
        let mut verdict = None;
        for signer in self.signers() {
            if signer.info().digest_alg.oid != first.info().digest_alg.oid {
                return Err(CmsError::SignerDigestsDiffer);
            }
            let one = self.verify_one(signer, content_digest, extra_certificates)?;
            verdict.get_or_insert(one);
        }
        verdict.ok_or(CmsError::SignerCount(0))
    }

    fn verify_one(
        &self,
        signer: &SignerInfoView,
        content_digest: &[u8],
        extra_certificates: &[Certificate],
    ) -> Result<SignerVerdict, CmsError> {
        let (attrs, tbs) = signed_attributes(signer)?;
        // The content first: a changed document is HASH_FAILURE whatever the signature
        // algorithm, even one this verifier cannot check.
        check_content_type(attrs, self.econtent_type())?;
        check_message_digest(attrs, content_digest)?;
        let digest_algorithm = signer.digest_algorithm()?;
        let algorithm = signer.signature_algorithm()?;
        let algorithm_protection = check_algorithm_protection(attrs, signer)?;
        let cert = self.find_signer(signer.sid(), extra_certificates)?;
        let key = check_signature(&cert.certificate, algorithm, tbs, signer.signature())?;
        let ess = check_ess(attrs, &cert)?;
        Ok(SignerVerdict {
            algorithm,
            digest_algorithm,
            key: key.describe(),
            weakness: policy::weakness(algorithm, Some(digest_algorithm), &key),
            signer_certificate: cert.certificate,
            ess,
            algorithm_protection,
            signing_time: signing_time(attrs)?,
            timestamp_tokens: signer.timestamp_tokens()?,
        })
    }

    /// The certificate the signer identifier names: embedded ones first, then `extra`.
    fn find_signer(
        &self,
        sid: &SignerIdentifier,
        extra: &[Certificate],
    ) -> Result<EmbeddedCertificate, CmsError> {
        if let Some(found) = self
            .certificates()
            .iter()
            .find(|c| names(sid, &c.certificate))
        {
            return Ok(found.clone());
        }
        match extra.iter().find(|c| names(sid, c)) {
            Some(c) => EmbeddedCertificate::from_certificate(c),
            None => Err(CmsError::SignerNotFound),
        }
    }
}

/// Whether a signer identifier names this certificate.
fn names(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    let tbs = cert.tbs_certificate();
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer,
            serial_number,
        }) => tbs.issuer() == issuer && tbs.serial_number() == serial_number,
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            matches!(tbs.get_extension::<SubjectKeyIdentifier>(), Ok(Some((_, own))) if own == *ski)
        }
    }
}

/// The decoded signed attributes and the bytes the signature covers; required.
fn signed_attributes(signer: &SignerInfoView) -> Result<(&Attributes, &[u8]), CmsError> {
    match (signer.signed_attributes(), signer.signed_attributes_der()) {
        (Some(attrs), Some(der)) if !attrs.is_empty() => Ok((attrs, der)),
        _ => Err(CmsError::NoSignedAttributes),
    }
}

/// The single value of the attribute `oid`, if present; repeated attributes or values fail.
pub(crate) fn single_value<'a>(
    attrs: &'a Attributes,
    oid: ObjectIdentifier,
    name: &'static str,
) -> Result<Option<&'a Any>, CmsError> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(CmsError::DuplicateAttribute(name));
    }
    match attr.values.as_slice() {
        [value] => Ok(Some(value)),
        _ => Err(CmsError::AttributeValueCount(name)),
    }
}

fn required_value<'a>(
    attrs: &'a Attributes,
    oid: ObjectIdentifier,
    name: &'static str,
) -> Result<&'a Any, CmsError> {
    single_value(attrs, oid, name)?.ok_or(CmsError::MissingAttribute(name))
}

/// RFC 5652 §11.1: present, and equal to eContentType.
fn check_content_type(attrs: &Attributes, econtent: ObjectIdentifier) -> Result<(), CmsError> {
    let attribute: ObjectIdentifier = required_value(attrs, ID_CONTENT_TYPE, "content-type")?
        .decode_as()
        .map_err(CmsError::malformed("content-type attribute"))?;
    if attribute != econtent {
        return Err(CmsError::ContentTypeMismatch {
            attribute,
            econtent,
        });
    }
    Ok(())
}

/// RFC 5652 §11.2: present, and equal to the digest of the content.
fn check_message_digest(attrs: &Attributes, content_digest: &[u8]) -> Result<(), CmsError> {
    let md: OctetString = required_value(attrs, ID_MESSAGE_DIGEST, "message-digest")?
        .decode_as()
        .map_err(CmsError::malformed("message-digest attribute"))?;
    if md.as_bytes() != content_digest {
        return Err(CmsError::DigestMismatch);
    }
    Ok(())
}

/// RFC 6211 §3: when present, the algorithms must be the SignerInfo's own.
fn check_algorithm_protection(
    attrs: &Attributes,
    signer: &SignerInfoView,
) -> Result<bool, CmsError> {
    let Some(value) = single_value(
        attrs,
        ID_AA_CMS_ALGORITHM_PROTECTION,
        "CMS algorithm protection",
    )?
    else {
        return Ok(false);
    };
    let protection: CmsAlgorithmProtection = value
        .decode_as()
        .map_err(CmsError::malformed("CMS algorithm protection attribute"))?;
    let info = signer.info();
    let same = same_algorithm(&protection.digest_algorithm, &info.digest_alg)
        && protection.mac_algorithm.is_none()
        && protection
            .signature_algorithm
            .as_ref()
            .is_some_and(|s| same_algorithm(s, &info.signature_algorithm));
    if !same {
        return Err(CmsError::AlgorithmProtectionMismatch);
    }
    Ok(true)
}

/// Same OID, and parameters equal up to absent-versus-NULL.
fn same_algorithm(a: &AlgorithmIdentifierOwned, b: &AlgorithmIdentifierOwned) -> bool {
    let params = |x: &AlgorithmIdentifierOwned| x.parameters.clone().filter(|p| !p.is_null());
    a.oid == b.oid && params(a) == params(b)
}

/// RFC 5652 §5.6: the signature over DER(SET OF signed attributes) with the certificate's key
/// (RFC 8419 §3 for Ed25519: over those bytes themselves). Returns the key.
fn check_signature(
    cert: &Certificate,
    scheme: SignatureScheme,
    signed_attrs_der: &[u8],
    signature: &[u8],
) -> Result<VerifyingKey, CmsError> {
    let key = VerifyingKey::from_spki(cert.tbs_certificate().subject_public_key_info())
        .map_err(CmsError::PublicKey)?;
    match key.verify(scheme, signed_attrs_der, signature) {
        Ok(()) => Ok(key),
        Err(eseal_certs::Error::Unsupported { .. }) => Err(CmsError::KeyAlgorithmMismatch {
            certificate: key.describe(),
            signature: scheme.to_string(),
        }),
        Err(_) => Err(CmsError::BadSignature),
    }
}

/// RFC 5035 / RFC 2634: each ESS attribute present must name the signer certificate first.
fn check_ess(attrs: &Attributes, cert: &EmbeddedCertificate) -> Result<EssBinding, CmsError> {
    let v2 = single_value(
        attrs,
        ID_AA_SIGNING_CERTIFICATE_V2,
        "ESS signing-certificate-v2",
    )?;
    let v1 = single_value(attrs, ID_AA_SIGNING_CERTIFICATE, "ESS signing-certificate")?;
    if let Some(value) = v1 {
        check_ess_v1(value, cert)?;
    }
    if let Some(value) = v2 {
        check_ess_v2(value, cert)?;
        return Ok(EssBinding::SigningCertificateV2);
    }
    Ok(match v1 {
        Some(_) => EssBinding::SigningCertificateV1,
        None => EssBinding::Absent,
    })
}

fn check_ess_v2(value: &Any, cert: &EmbeddedCertificate) -> Result<(), CmsError> {
    let attr: SigningCertificateV2 = value
        .decode_as()
        .map_err(CmsError::malformed("ESS signing-certificate-v2 attribute"))?;
    let first = attr.certs.first().ok_or(CmsError::EssEmpty)?;
    let hash = ess_hash(first.hash_algorithm.as_ref(), &cert.der)?;
    if first.cert_hash.as_bytes() != hash.as_slice() {
        return Err(CmsError::EssV2CertMismatch);
    }
    check_issuer_serial(first.issuer_serial.as_ref(), &cert.certificate)
}

fn check_ess_v1(value: &Any, cert: &EmbeddedCertificate) -> Result<(), CmsError> {
    use sha1::Digest;
    let attr: SigningCertificate = value
        .decode_as()
        .map_err(CmsError::malformed("ESS signing-certificate attribute"))?;
    let first = attr.certs.first().ok_or(CmsError::EssEmpty)?;
    if first.cert_hash.as_bytes() != sha1::Sha1::digest(&cert.der).as_slice() {
        return Err(CmsError::EssV1CertMismatch);
    }
    check_issuer_serial(first.issuer_serial.as_ref(), &cert.certificate)
}

/// When present, issuerSerial must hold the certificate's issuer name and serial number.
fn check_issuer_serial(
    issuer_serial: Option<&IssuerSerial>,
    cert: &Certificate,
) -> Result<(), CmsError> {
    let Some(is) = issuer_serial else {
        return Ok(());
    };
    let tbs = cert.tbs_certificate();
    let issuer_named = is
        .issuer
        .iter()
        .any(|n| matches!(n, GeneralName::DirectoryName(name) if name == tbs.issuer()));
    if !issuer_named || is.serial_number != *tbs.serial_number() {
        return Err(CmsError::EssIssuerSerialMismatch);
    }
    Ok(())
}

/// The hash ESSCertIDv2 names; absent means SHA-256 (the DEFAULT).
fn ess_hash(alg: Option<&AlgorithmIdentifierOwned>, data: &[u8]) -> Result<Vec<u8>, CmsError> {
    let Some(alg) = alg else {
        return Ok(DigestAlgorithm::Sha256.hash(data));
    };
    DigestAlgorithm::from_oid(&alg.oid)
        .map(|d| d.hash(data))
        .ok_or(CmsError::UnsupportedDigestAlgorithm(alg.oid))
}

/// RFC 5652 §11.3, if present.
fn signing_time(attrs: &Attributes) -> Result<Option<Time>, CmsError> {
    single_value(attrs, ID_SIGNING_TIME, "signing-time")?
        .map(|v| {
            v.decode_as()
                .map_err(CmsError::malformed("signing-time attribute"))
        })
        .transpose()
}
