//! Signature schemes a *verifier* meets (the signing side is [`crate::Algorithm`]): what an
//! AlgorithmIdentifier in a certificate, CRL, OCSP response or CMS SignerInfo names, read
//! together with the SignerInfo's separate digest algorithm where the identifier alone does not
//! say the hash (CMS often writes `rsaEncryption` or `id-ecPublicKey` as the signature
//! algorithm, RFC 5652 §5.3, RFC 5754 §3).

use const_oid::ObjectIdentifier;
use der::Any;
use spki::AlgorithmIdentifierOwned;

use crate::algorithm::{OID_ECDSA_SHA256, OID_EC_PUBLIC_KEY, OID_SM2_SIGN, OID_SM2_SM3};
use crate::{Algorithm, DigestAlgorithm, Error, Result};

const fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

/// `rsaEncryption` (RFC 8017 A.1): a key type, used by CMS as a signature algorithm too.
pub const OID_RSA_ENCRYPTION: ObjectIdentifier = oid("1.2.840.113549.1.1.1");
/// `id-RSASSA-PSS` (RFC 4055 §3.1).
pub const OID_RSASSA_PSS: ObjectIdentifier = oid("1.2.840.113549.1.1.10");
/// `id-mgf1` (RFC 8017 B.2.1).
pub const OID_MGF1: ObjectIdentifier = oid("1.2.840.113549.1.1.8");
/// `id-Ed25519` (RFC 8410).
pub const OID_ED25519: ObjectIdentifier = oid("1.3.101.112");

/// PKCS#1 v1.5 signature OIDs with their hash (RFC 8017 A.2.4, RFC 4055 §5, NIST CSOR).
const RSA_PKCS1: [(ObjectIdentifier, DigestAlgorithm); 7] = [
    (oid("1.2.840.113549.1.1.5"), DigestAlgorithm::Sha1),
    (oid("1.2.840.113549.1.1.11"), DigestAlgorithm::Sha256),
    (oid("1.2.840.113549.1.1.12"), DigestAlgorithm::Sha384),
    (oid("1.2.840.113549.1.1.13"), DigestAlgorithm::Sha512),
    (oid("2.16.840.1.101.3.4.3.14"), DigestAlgorithm::Sha3_256),
    (oid("2.16.840.1.101.3.4.3.15"), DigestAlgorithm::Sha3_384),
    (oid("2.16.840.1.101.3.4.3.16"), DigestAlgorithm::Sha3_512),
];

/// ECDSA signature OIDs with their hash (RFC 3279 §2.2.3, RFC 5758 §3.2, NIST CSOR).
const ECDSA: [(ObjectIdentifier, DigestAlgorithm); 7] = [
    (oid("1.2.840.10045.4.1"), DigestAlgorithm::Sha1),
    (OID_ECDSA_SHA256, DigestAlgorithm::Sha256),
    (oid("1.2.840.10045.4.3.3"), DigestAlgorithm::Sha384),
    (oid("1.2.840.10045.4.3.4"), DigestAlgorithm::Sha512),
    (oid("2.16.840.1.101.3.4.3.10"), DigestAlgorithm::Sha3_256),
    (oid("2.16.840.1.101.3.4.3.11"), DigestAlgorithm::Sha3_384),
    (oid("2.16.840.1.101.3.4.3.12"), DigestAlgorithm::Sha3_512),
];

/// Algorithms that are recognised but that no crate we keep implements, by name, so that the
/// verdict can say what was met rather than print a bare OID.
const KNOWN_UNSUPPORTED: [(ObjectIdentifier, &str); 11] = [
    (oid("1.2.840.113549.1.1.2"), "RSA with MD2"),
    (oid("1.2.840.113549.1.1.4"), "RSA with MD5"),
    (oid("1.2.840.113549.1.1.14"), "RSA with SHA-224"),
    (oid("2.16.840.1.101.3.4.3.13"), "RSA with SHA3-224"),
    (oid("1.2.840.10045.4.3.1"), "ECDSA with SHA-224"),
    (oid("2.16.840.1.101.3.4.3.9"), "ECDSA with SHA3-224"),
    (oid("1.2.840.10040.4.1"), "DSA"),
    (oid("1.2.840.10040.4.3"), "DSA with SHA-1"),
    (oid("2.16.840.1.101.3.4.3.2"), "DSA with SHA-256"),
    (oid("1.2.643.7.1.1.3.2"), "GOST R 34.10-2012 (256)"),
    (oid("1.3.101.113"), "Ed448"),
];

/// How a signature value is to be checked: the primitive, the hash and its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// ECDSA on the key's curve over the hash (any curve the key names).
    Ecdsa(DigestAlgorithm),
    /// SM2 with SM3 over Z_A ‖ M with the default distinguishing ID (GM/T 0009).
    Sm2Sm3,
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    RsaPkcs1v15(DigestAlgorithm),
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash and this salt length.
    RsaPss {
        digest: DigestAlgorithm,
        salt_len: usize,
    },
    /// PureEdDSA on edwards25519 (RFC 8032, RFC 8419): the message itself, no pre-hash.
    Ed25519,
}

impl From<Algorithm> for SignatureScheme {
    fn from(alg: Algorithm) -> Self {
        match alg {
            Algorithm::P256 => SignatureScheme::Ecdsa(DigestAlgorithm::Sha256),
            Algorithm::Sm2 => SignatureScheme::Sm2Sm3,
        }
    }
}

/// So that a verdict compares with the suite it should have been made with.
impl PartialEq<Algorithm> for SignatureScheme {
    fn eq(&self, other: &Algorithm) -> bool {
        *self == SignatureScheme::from(*other)
    }
}

impl SignatureScheme {
    /// The scheme an AlgorithmIdentifier names. `digest` is a CMS SignerInfo's
    /// digestAlgorithm: required when the identifier names only a key type (`rsaEncryption`,
    /// `id-ecPublicKey`), and otherwise it must agree with the identifier's own hash.
    pub fn from_identifier(
        id: &AlgorithmIdentifierOwned,
        digest: Option<DigestAlgorithm>,
    ) -> Result<Self> {
        let scheme = Self::named(id, digest)?;
        if let (Some(d), Some(own)) = (digest, scheme.digest()) {
            if d != own {
                return Err(Error::unsupported(
                    "signature algorithm",
                    format!(
                        "{} with a different digest algorithm ({})",
                        scheme,
                        d.name()
                    ),
                ));
            }
        }
        Ok(scheme)
    }

    fn named(id: &AlgorithmIdentifierOwned, digest: Option<DigestAlgorithm>) -> Result<Self> {
        let o = id.oid;
        let params = id.parameters.as_ref().filter(|p| !p.is_null());
        let no_params = |scheme: SignatureScheme| match params {
            None => Ok(scheme),
            Some(_) => Err(Error::malformed(
                "signature algorithm",
                format!("{scheme} takes no parameters"),
            )),
        };
        let needs_digest = |what: &str| {
            digest.ok_or_else(|| {
                Error::unsupported(
                    "signature algorithm",
                    format!("{what} ({o}) without a digest algorithm"),
                )
            })
        };
        if let Some((_, d)) = RSA_PKCS1.iter().find(|(x, _)| *x == o) {
            return no_params(SignatureScheme::RsaPkcs1v15(*d));
        }
        if let Some((_, d)) = ECDSA.iter().find(|(x, _)| *x == o) {
            // RFC 5758 §3.2: the parameters field MUST be absent.
            return no_params(SignatureScheme::Ecdsa(*d));
        }
        match o {
            OID_RSA_ENCRYPTION => {
                no_params(SignatureScheme::RsaPkcs1v15(needs_digest("rsaEncryption")?))
            }
            // The curve, if given as a parameter, is the key's; the key decides.
            OID_EC_PUBLIC_KEY => Ok(SignatureScheme::Ecdsa(needs_digest("id-ecPublicKey")?)),
            OID_SM2_SM3 | OID_SM2_SIGN => no_params(SignatureScheme::Sm2Sm3),
            OID_ED25519 => no_params(SignatureScheme::Ed25519),
            OID_RSASSA_PSS => {
                let p = params.ok_or_else(|| {
                    Error::malformed("RSASSA-PSS", "parameters are missing (RFC 4055 §3.1)")
                })?;
                pss(p)
            }
            _ => Err(match KNOWN_UNSUPPORTED.iter().find(|(x, _)| *x == o) {
                Some((_, name)) => {
                    Error::unsupported("signature algorithm", format!("{name} ({o})"))
                }
                None => Error::unsupported("signature algorithm", o),
            }),
        }
    }

    /// The hash the signature is computed over (None for Ed25519, which hashes internally).
    pub fn digest(self) -> Option<DigestAlgorithm> {
        match self {
            SignatureScheme::Ecdsa(d) | SignatureScheme::RsaPkcs1v15(d) => Some(d),
            SignatureScheme::RsaPss { digest, .. } => Some(digest),
            SignatureScheme::Sm2Sm3 => Some(DigestAlgorithm::Sm3),
            SignatureScheme::Ed25519 => None,
        }
    }
}

/// RSASSA-PSS-params (RFC 4055 §3.1, RFC 8017 A.2.3). Read here rather than with `pkcs1`'s
/// type, which holds the salt length in a byte: producers use the maximum salt (446 bytes for
/// a 4096-bit key with SHA-512).
#[derive(der::Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_len: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

/// `id-sha1`, the RFC 4055 default hash of RSASSA-PSS.
const OID_SHA1: ObjectIdentifier = oid("1.3.14.3.2.26");

/// RSASSA-PSS with its parameters: MGF1 with the message hash, trailer field 1 (RFC 4055
/// §3.1; absent fields take the defaults SHA-1, MGF1-SHA-1, salt 20, trailer 1).
fn pss(params: &Any) -> Result<SignatureScheme> {
    let p: PssParams = params
        .decode_as()
        .map_err(|e| Error::malformed("RSASSA-PSS parameters", e))?;
    let hash = p.hash.as_ref().map_or(OID_SHA1, |h| h.oid);
    let digest = DigestAlgorithm::from_oid(&hash)
        .ok_or_else(|| Error::unsupported("RSASSA-PSS hash", hash))?;
    let mgf_hash = match &p.mask_gen {
        None => OID_SHA1,
        Some(m) if m.oid == OID_MGF1 => m
            .parameters
            .as_ref()
            .and_then(|a| a.decode_as::<AlgorithmIdentifierOwned>().ok())
            .map(|h| h.oid)
            .ok_or_else(|| Error::malformed("RSASSA-PSS parameters", "MGF1 without its hash"))?,
        Some(m) => return Err(Error::unsupported("RSASSA-PSS mask generation", m.oid)),
    };
    if DigestAlgorithm::from_oid(&mgf_hash) != Some(digest) {
        return Err(Error::unsupported(
            "RSASSA-PSS parameters",
            format!(
                "MGF1 hash {mgf_hash} differs from the message hash {}",
                digest.name()
            ),
        ));
    }
    if p.trailer_field.unwrap_or(1) != 1 {
        return Err(Error::unsupported(
            "RSASSA-PSS parameters",
            "trailer field other than 1",
        ));
    }
    let salt_len = usize::try_from(p.salt_len.unwrap_or(20))
        .map_err(|_| Error::malformed("RSASSA-PSS parameters", "salt length too large"))?;
    Ok(SignatureScheme::RsaPss { digest, salt_len })
}

impl std::fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureScheme::Ecdsa(d) => write!(f, "ECDSA with {}", d.name()),
            SignatureScheme::Sm2Sm3 => f.write_str("SM2 with SM3"),
            SignatureScheme::RsaPkcs1v15(d) => write!(f, "RSA PKCS#1 v1.5 with {}", d.name()),
            SignatureScheme::RsaPss { digest, salt_len } => {
                write!(f, "RSASSA-PSS with {} (salt {salt_len})", digest.name())
            }
            SignatureScheme::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    fn id(oid: &str, params: Option<&[u8]>) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(oid),
            parameters: params.map(|p| Any::from_der(p).unwrap()),
        }
    }

    #[test]
    fn key_type_oids_take_the_cms_digest() {
        let rsa = id("1.2.840.113549.1.1.1", Some(&[5, 0]));
        assert_eq!(
            SignatureScheme::from_identifier(&rsa, Some(DigestAlgorithm::Sha256)).unwrap(),
            SignatureScheme::RsaPkcs1v15(DigestAlgorithm::Sha256)
        );
        assert!(SignatureScheme::from_identifier(&rsa, None).is_err());
        let ec = id("1.2.840.10045.2.1", None);
        assert_eq!(
            SignatureScheme::from_identifier(&ec, Some(DigestAlgorithm::Sha384)).unwrap(),
            SignatureScheme::Ecdsa(DigestAlgorithm::Sha384)
        );
    }

    #[test]
    fn combined_oids_must_agree_with_the_digest() {
        let sha384_rsa = id("1.2.840.113549.1.1.12", None);
        assert_eq!(
            SignatureScheme::from_identifier(&sha384_rsa, None).unwrap(),
            SignatureScheme::RsaPkcs1v15(DigestAlgorithm::Sha384)
        );
        assert!(
            SignatureScheme::from_identifier(&sha384_rsa, Some(DigestAlgorithm::Sha256)).is_err()
        );
        let sha3_rsa = id("2.16.840.1.101.3.4.3.14", None);
        assert_eq!(
            SignatureScheme::from_identifier(&sha3_rsa, None).unwrap(),
            SignatureScheme::RsaPkcs1v15(DigestAlgorithm::Sha3_256)
        );
        assert_eq!(
            SignatureScheme::from_identifier(&id("1.2.840.10045.4.3.2", None), None).unwrap(),
            Algorithm::P256
        );
    }

    #[test]
    fn pss_parameters_are_read_and_checked() {
        let params = rsa::pkcs1::RsaPssParamsRef::new::<sha2::Sha256>(32)
            .to_der()
            .unwrap();
        let pss = id("1.2.840.113549.1.1.10", Some(&params));
        assert_eq!(
            SignatureScheme::from_identifier(&pss, Some(DigestAlgorithm::Sha256)).unwrap(),
            SignatureScheme::RsaPss {
                digest: DigestAlgorithm::Sha256,
                salt_len: 32
            }
        );
        // A salt longer than 255 bytes (the maximum for RSA-4096 with SHA-512 is 446).
        let big = hex::decode(
            "3035a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d0609608648\
             0165030402030500a204020201be",
        )
        .unwrap();
        assert_eq!(
            SignatureScheme::from_identifier(&id("1.2.840.113549.1.1.10", Some(&big)), None)
                .unwrap(),
            SignatureScheme::RsaPss {
                digest: DigestAlgorithm::Sha512,
                salt_len: 446
            }
        );
        // Absent parameters are not the RFC 4055 defaults silently: they are required.
        assert!(
            SignatureScheme::from_identifier(&id("1.2.840.113549.1.1.10", None), None).is_err()
        );
        // An empty SEQUENCE means every default: SHA-1, MGF1-SHA-1, salt 20.
        let defaults = id("1.2.840.113549.1.1.10", Some(&[0x30, 0]));
        assert_eq!(
            SignatureScheme::from_identifier(&defaults, None).unwrap(),
            SignatureScheme::RsaPss {
                digest: DigestAlgorithm::Sha1,
                salt_len: 20
            }
        );
    }

    #[test]
    fn unsupported_algorithms_are_named() {
        let dsa = id("1.2.840.10040.4.3", None);
        let e = SignatureScheme::from_identifier(&dsa, None).unwrap_err();
        assert!(e.to_string().contains("DSA with SHA-1"), "{e}");
        let md5 = id("1.2.840.113549.1.1.4", Some(&[5, 0]));
        let e = SignatureScheme::from_identifier(&md5, None).unwrap_err();
        assert!(e.to_string().contains("MD5"), "{e}");
    }
}
