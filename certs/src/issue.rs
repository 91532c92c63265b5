//! Certificate profiles and issuance for a provincial CA hierarchy (RFC 5280 §4.2):
//! a root per region, subordinate CAs per level (province → city → county or department)
//! with `pathLenConstraint`, and end-entity certificates for seals and time-stamping.
//!
//! Both suites go through the x509-cert builder with our [`SigningKey`] doing the signature,
//! so SM2 and P-256 share one code path (rcgen cannot do SM2).

use std::time::{Duration, SystemTime};

use const_oid::db::rfc5280;
use const_oid::ObjectIdentifier;
use der::asn1::{BitString, Ia5String, OctetString};
use der::Encode;
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SubjectPublicKeyInfoRef};
use x509_cert::builder::{profile::BuilderProfile, Builder, CertificateBuilder};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate};

use crate::oid::{
    OID_AD_OCSP, OID_KP_DOCUMENT_SIGNING, OID_KP_EMAIL_PROTECTION, OID_KP_OCSP_SIGNING,
    OID_KP_TIME_STAMPING, OID_OCSP_NOCHECK,
};
use crate::{Error, PublicKey, Result, SigningKey};

/// What a certificate is for; decides its extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertKind {
    /// A self-signed trust anchor.
    Root { path_len: Option<u8> },
    /// A subordinate CA: `pathLenConstraint` limits the CA levels below it.
    SubCa { path_len: Option<u8> },
    /// A seal (document-signing) certificate: digitalSignature + nonRepudiation,
    /// EKU documentSigning + emailProtection.
    Seal,
    /// A time-stamping authority: critical EKU timeStamping only.
    TimeStamping,
    /// A delegated OCSP responder.
    OcspSigning,
}

/// The request for one certificate.
#[derive(Clone, Debug)]
pub struct CertRequest {
    pub subject: Name,
    pub public_key: PublicKey,
    pub kind: CertKind,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
    /// Where relying parties fetch the issuer's CRL (omitted for roots).
    pub crl_url: Option<String>,
    /// Where relying parties ask the issuer's OCSP responder (AIA id-ad-ocsp; omitted for roots).
    pub ocsp_url: Option<String>,
    /// Extra extensions, e.g. the seal binding.
    pub extra_extensions: Vec<Extension>,
}

impl CertRequest {
    /// A request valid from one minute ago (clock skew) for the given number of days.
    pub fn new(subject: Name, public_key: PublicKey, kind: CertKind, days: u32) -> Self {
        let now = SystemTime::now();
        CertRequest {
            subject,
            public_key,
            kind,
            not_before: now - Duration::from_secs(60),
            not_after: now + Duration::from_secs(u64::from(days) * 86_400),
            crl_url: None,
            ocsp_url: None,
            extra_extensions: Vec::new(),
        }
    }
}

/// The CA that signs: its certificate and key.
pub struct Issuer<'a> {
    pub certificate: &'a Certificate,
    pub key: &'a dyn SigningKey,
}

/// A self-signed root certificate.
pub fn create_root(key: &dyn SigningKey, request: &CertRequest) -> Result<Certificate> {
    if !matches!(request.kind, CertKind::Root { .. }) {
        return Err(Error::InvalidInput {
            what: "certificate kind",
            value: format!("{:?}", request.kind),
            detail: "a self-signed certificate must be a root".into(),
        });
    }
    if &request.public_key != key.public_key() {
        return Err(Error::InvalidInput {
            what: "root key",
            value: String::new(),
            detail: "the request's public key is not the signing key's".into(),
        });
    }
    build(request, request.subject.clone(), None, key)
}

/// A certificate signed by `issuer`.
pub fn issue(issuer: &Issuer<'_>, request: &CertRequest) -> Result<Certificate> {
    if matches!(request.kind, CertKind::Root { .. }) {
        return Err(Error::InvalidInput {
            what: "certificate kind",
            value: "root".into(),
            detail: "roots are self-signed; use create_root".into(),
        });
    }
    let tbs = &issuer.certificate.tbs_certificate();
    let issuer_ski = crate::inspect::subject_key_identifier(issuer.certificate)
        .unwrap_or_else(|| issuer.key.public_key().key_identifier());
    build(request, tbs.subject().clone(), Some(issuer_ski), issuer.key)
}

fn build(
    request: &CertRequest,
    issuer_name: Name,
    issuer_ski: Option<Vec<u8>>,
    key: &dyn SigningKey,
) -> Result<Certificate> {
    if request.not_after <= request.not_before {
        return Err(Error::InvalidInput {
            what: "validity",
            value: String::new(),
            detail: "notAfter must be later than notBefore".into(),
        });
    }
    let validity = Validity::new(time(request.not_before)?, time(request.not_after)?);
    let profile = Profile {
        request,
        issuer_name,
        issuer_ski,
    };
    let spki = request.public_key.to_spki()?;
    let builder = CertificateBuilder::new(profile, random_serial()?, validity, spki)
        .map_err(|e| Error::malformed("certificate", e))?;
    sign_with(builder, key)
}

/// A certificate with exactly the given extensions and no profile: for tests that need
/// certificates our profiles refuse to make (a CA without keyCertSign, say).
#[cfg(any(test, feature = "testing"))]
pub fn issue_raw(
    subject: Name,
    issuer_name: Name,
    public_key: &PublicKey,
    not_before: SystemTime,
    not_after: SystemTime,
    extensions: Vec<Extension>,
    key: &dyn SigningKey,
) -> Result<Certificate> {
    struct Raw(Name, Name, Vec<Extension>);
    impl BuilderProfile for Raw {
        fn get_issuer(&self, _: &Name) -> Name {
            self.1.clone()
        }
        fn get_subject(&self) -> Name {
            self.0.clone()
        }
        fn build_extensions(
            &self,
            _: SubjectPublicKeyInfoRef<'_>,
            _: SubjectPublicKeyInfoRef<'_>,
            _: &TbsCertificate,
        ) -> x509_cert::builder::Result<Vec<Extension>> {
            Ok(self.2.clone())
        }
    }
    let validity = Validity::new(time(not_before)?, time(not_after)?);
    let builder = CertificateBuilder::new(
        Raw(subject, issuer_name, extensions),
        random_serial()?,
        validity,
        public_key.to_spki()?,
    )
    .map_err(|e| Error::malformed("certificate", e))?;
    sign_with(builder, key)
}

/// Run an x509-cert builder (certificate or CRL) with one of our keys.
pub(crate) fn sign_with<B: Builder>(mut builder: B, key: &dyn SigningKey) -> Result<B::Output> {
    let signer = X509Signer(key);
    let tbs = builder
        .finalize(&signer)
        .map_err(|e| Error::malformed("to-be-signed structure", e))?;
    let signature = key.sign(&tbs)?;
    let bits = BitString::from_bytes(&signature).map_err(|e| Error::malformed("signature", e))?;
    builder
        .assemble(bits, &signer)
        .map_err(|e| Error::malformed("signed structure", e))
}

pub(crate) fn time(t: SystemTime) -> Result<Time> {
    Time::try_from(t).map_err(|e| Error::malformed("time", e))
}

/// 16 random bytes, positive, no leading zero byte (RFC 5280 §4.1.2.2: at most 20 octets).
pub fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Signing(format!("random source: {e}")))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(|e| Error::malformed("serial number", e))
}

struct Profile<'a> {
    request: &'a CertRequest,
    issuer_name: Name,
    issuer_ski: Option<Vec<u8>>,
}

impl BuilderProfile for Profile<'_> {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer_name.clone()
    }

    fn get_subject(&self) -> Name {
        self.request.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let usage = self.request.kind.usage();
        let mut exts = vec![
            ext(
                rfc5280::ID_CE_BASIC_CONSTRAINTS,
                true,
                &BasicConstraints {
                    ca: usage.ca,
                    path_len_constraint: usage.path_len,
                },
            )?,
            ext(rfc5280::ID_CE_KEY_USAGE, true, &usage.key_usage)?,
            ext(
                rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
                false,
                &SubjectKeyIdentifier(OctetString::new(key_id(&spk))?),
            )?,
        ];
        if !matches!(self.request.kind, CertKind::Root { .. }) {
            exts.push(self.authority_key_identifier(&issuer_spk)?);
        }
        if let Some((critical, purposes)) = usage.extended {
            exts.push(ext(
                rfc5280::ID_CE_EXT_KEY_USAGE,
                critical,
                &ExtendedKeyUsage(purposes),
            )?);
        }
        if let Some(url) = &self.request.crl_url {
            exts.push(crl_distribution_point(url)?);
        }
        if let Some(url) = &self.request.ocsp_url {
            exts.push(ocsp_access(url)?);
        }
        if self.request.kind == CertKind::OcspSigning {
            // RFC 6960 §4.2.2.2.1: clients need not ask about the responder's own status.
            exts.push(ext(OID_OCSP_NOCHECK, false, &der::asn1::Null)?);
        }
        exts.extend(self.request.extra_extensions.iter().cloned());
        Ok(exts)
    }
}

impl Profile<'_> {
    /// RFC 5280 §4.2.1.1: the issuer's subject key identifier when it has one, else the key
    /// identifier of its public key.
    fn authority_key_identifier(
        &self,
        issuer_spk: &SubjectPublicKeyInfoRef<'_>,
    ) -> der::Result<Extension> {
        let aki = self
            .issuer_ski
            .clone()
            .unwrap_or_else(|| key_id(issuer_spk));
        ext(
            rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(aki)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )
    }
}

/// What a kind of certificate may be used for.
struct Usage {
    /// basicConstraints (RFC 5280 §4.2.1.9).
    ca: bool,
    path_len: Option<u8>,
    /// keyUsage (§4.2.1.3).
    key_usage: KeyUsage,
    /// extKeyUsage (§4.2.1.12): its criticality and purposes; none for CAs.
    extended: Option<(bool, Vec<ObjectIdentifier>)>,
}

impl CertKind {
    fn usage(&self) -> Usage {
        match self {
            CertKind::Root { path_len } | CertKind::SubCa { path_len } => Usage {
                ca: true,
                path_len: *path_len,
                key_usage: KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
                extended: None,
            },
            CertKind::Seal => Usage {
                ca: false,
                path_len: None,
                key_usage: KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation),
                extended: Some((
                    false,
                    vec![OID_KP_DOCUMENT_SIGNING, OID_KP_EMAIL_PROTECTION],
                )),
            },
            CertKind::TimeStamping => Usage {
                ca: false,
                path_len: None,
                key_usage: KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation),
                extended: Some((true, vec![OID_KP_TIME_STAMPING])),
            },
            CertKind::OcspSigning => Usage {
                ca: false,
                path_len: None,
                key_usage: KeyUsage(KeyUsages::DigitalSignature.into()),
                extended: Some((false, vec![OID_KP_OCSP_SIGNING])),
            },
        }
    }
}

/// cRLDistributionPoints (RFC 5280 §4.2.1.13): one full-name URI.
fn crl_distribution_point(url: &str) -> der::Result<Extension> {
    let uri = Ia5String::new(url)?;
    ext(
        rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS,
        false,
        &CrlDistributionPoints(vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(uri),
            ])),
            reasons: None,
            crl_issuer: None,
        }]),
    )
}

/// authorityInfoAccess (RFC 5280 §4.2.2.1) with the issuer's OCSP responder.
fn ocsp_access(url: &str) -> der::Result<Extension> {
    ext(
        rfc5280::ID_PE_AUTHORITY_INFO_ACCESS,
        false,
        &AuthorityInfoAccessSyntax(vec![AccessDescription {
            access_method: OID_AD_OCSP,
            access_location: GeneralName::UniformResourceIdentifier(Ia5String::new(url)?),
        }]),
    )
}

/// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
fn key_id(spk: &SubjectPublicKeyInfoRef<'_>) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(spk.subject_public_key.raw_bytes()).to_vec()
}

/// An extension with an explicit criticality (we decide it, not the library's defaults).
pub fn ext(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> der::Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// Adapts a [`SigningKey`] to what the x509-cert builder asks of a signer; the signature
/// itself is made by [`sign_with`].
struct X509Signer<'a>(&'a dyn SigningKey);

#[derive(Clone)]
struct SpkiOf(Vec<u8>);

impl spki::EncodePublicKey for SpkiOf {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::try_from(self.0.as_slice())?)
    }
}

impl signature::Keypair for X509Signer<'_> {
    type VerifyingKey = SpkiOf;
    fn verifying_key(&self) -> SpkiOf {
        SpkiOf(self.0.public_key().to_spki_der().unwrap_or_default())
    }
}

impl DynSignatureAlgorithmIdentifier for X509Signer<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: self.0.algorithm().signature_oid(),
            parameters: None,
        })
    }
}
