//! Any public key a verifier meets in a certificate (RSA, ECDSA on P-256/P-384/P-521 and
//! brainpoolP256r1/P384r1, SM2, Ed25519), read from its SubjectPublicKeyInfo, and the check of one signature under a
//! [`SignatureScheme`]. Our own signing keys stay [`PublicKey`]; this wraps them.

use der::{referenced::OwnedToRef, Decode, Encode};
use signature::hazmat::PrehashVerifier;
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};

use crate::algorithm::{OID_EC_PUBLIC_KEY, OID_P256, OID_SM2};
use crate::scheme::{SignatureScheme, OID_ED25519, OID_RSASSA_PSS, OID_RSA_ENCRYPTION};
use crate::{DigestAlgorithm, Error, PublicKey, Result};

/// `secp384r1` (SEC 2).
pub const OID_P384: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp521r1` (SEC 2).
pub const OID_P521: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// `brainpoolP256r1` (RFC 5639).
pub const OID_BRAINPOOL_P256R1: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7");
/// `brainpoolP384r1` (RFC 5639).
pub const OID_BRAINPOOL_P384R1: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.11");

/// A public key of any kind this verifier checks signatures with.
#[derive(Clone, Debug)]
pub enum VerifyingKey {
    /// P-256 or SM2: one of our own suites.
    Suite(PublicKey),
    Rsa(Box<rsa::PublicKey>),
    P384(p384::ecdsa::VerifyingKey),
    P521(Box<p521::ecdsa::VerifyingKey>),
    BrainpoolP256(ecdsa::VerifyingKey<bp256::BrainpoolP256r1>),
    BrainpoolP384(ecdsa::VerifyingKey<bp384::BrainpoolP384r1>),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl From<PublicKey> for VerifyingKey {
    fn from(k: PublicKey) -> Self {
        VerifyingKey::Suite(k)
    }
}

impl VerifyingKey {
    pub fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<Self> {
        Self::from_spki_ref(&spki.owned_to_ref())
    }

    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| Error::malformed("SubjectPublicKeyInfo", e))?;
        Self::from_spki_ref(&spki)
    }

    fn from_spki_ref(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Self> {
        let oid = spki.algorithm.oid;
        let bits = || {
            spki.subject_public_key
                .as_bytes()
                .ok_or_else(|| Error::malformed("public key", "unused bits in the key"))
        };
        match oid {
            OID_RSA_ENCRYPTION | OID_RSASSA_PSS => {
                // RFC 8017 A.1.1: the bit string holds RSAPublicKey; a PSS-restricted key
                // (RFC 4055 §1.2) is the same key with parameters we do not hold it to.
                // rsa checks 1024 <= bits <= 8192 and a sane exponent.
                use rsa::pkcs1::DecodeRsaPublicKey;
                rsa::PublicKey::from_pkcs1_der(bits()?)
                    .map(|k| VerifyingKey::Rsa(Box::new(k)))
                    .map_err(|e| Error::unsupported("RSA public key", e))
            }
            OID_ED25519 => {
                let raw: [u8; 32] = bits()?
                    .try_into()
                    .map_err(|_| Error::malformed("Ed25519 public key", "expected 32 bytes"))?;
                ed25519_dalek::VerifyingKey::from_bytes(&raw)
                    .map(VerifyingKey::Ed25519)
                    .map_err(|_| Error::malformed("Ed25519 public key", "not a curve point"))
            }
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok())
                    .ok_or_else(|| {
                        Error::malformed("EC public key", "named curve parameter missing")
                    })?;
                match curve {
                    OID_P256 | OID_SM2 => {
                        let der = spki
                            .to_der()
                            .map_err(|e| Error::malformed("EC public key", e))?;
                        PublicKey::from_spki_der(&der).map(VerifyingKey::Suite)
                    }
                    OID_P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(bits()?)
                        .map(VerifyingKey::P384)
                        .map_err(|_| Error::malformed("P-384 public key", "not a curve point")),
                    OID_P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(bits()?)
                        .map(|k| VerifyingKey::P521(Box::new(k)))
                        .map_err(|_| Error::malformed("P-521 public key", "not a curve point")),
                    OID_BRAINPOOL_P256R1 => ecdsa::VerifyingKey::from_sec1_bytes(bits()?)
                        .map(VerifyingKey::BrainpoolP256)
                        .map_err(|_| {
                            Error::malformed("brainpoolP256r1 public key", "not a curve point")
                        }),
                    OID_BRAINPOOL_P384R1 => ecdsa::VerifyingKey::from_sec1_bytes(bits()?)
                        .map(VerifyingKey::BrainpoolP384)
                        .map_err(|_| {
                            Error::malformed("brainpoolP384r1 public key", "not a curve point")
                        }),
                    other => Err(Error::unsupported("elliptic curve", other)),
                }
            }
            other => Err(Error::unsupported("public key algorithm", other)),
        }
    }

    /// The key as a report names it: "RSA 2048", "ECDSA P-384", "Ed25519".
    pub fn describe(&self) -> String {
        match self {
            VerifyingKey::Suite(PublicKey::P256(_)) => "ECDSA P-256".into(),
            VerifyingKey::Suite(PublicKey::Sm2(_)) => "SM2".into(),
            VerifyingKey::Rsa(_) => format!("RSA {}", self.bits()),
            VerifyingKey::P384(_) => "ECDSA P-384".into(),
            VerifyingKey::P521(_) => "ECDSA P-521".into(),
            VerifyingKey::BrainpoolP256(_) => "ECDSA brainpoolP256r1".into(),
            VerifyingKey::BrainpoolP384(_) => "ECDSA brainpoolP384r1".into(),
            VerifyingKey::Ed25519(_) => "Ed25519".into(),
        }
    }

    /// Size in bits: the RSA modulus, or the curve's order.
    pub fn bits(&self) -> u32 {
        match self {
            VerifyingKey::Suite(_) => 256,
            VerifyingKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                k.n().bit_width_vartime()
            }
            VerifyingKey::P384(_) => 384,
            VerifyingKey::P521(_) => 521,
            VerifyingKey::BrainpoolP256(_) => 256,
            VerifyingKey::BrainpoolP384(_) => 384,
            VerifyingKey::Ed25519(_) => 256,
        }
    }

    pub fn is_rsa(&self) -> bool {
        matches!(self, VerifyingKey::Rsa(_))
    }

    /// Check `signature` over `message` under `scheme`; the scheme must suit the key. ECDSA
    /// and SM2 accept DER and the raw r ‖ s form, as [`PublicKey::verify_digest`] does.
    pub fn verify(&self, scheme: SignatureScheme, message: &[u8], signature: &[u8]) -> Result<()> {
        match (self, scheme) {
            (VerifyingKey::Suite(k @ PublicKey::Sm2(_)), SignatureScheme::Sm2Sm3) => {
                k.verify(message, signature)
            }
            (VerifyingKey::Suite(k @ PublicKey::P256(_)), SignatureScheme::Ecdsa(d)) => {
                k.verify_digest(&d.hash(message), signature)
            }
            (VerifyingKey::P384(k), SignatureScheme::Ecdsa(d)) => {
                let sig = p384::ecdsa::Signature::from_der(signature)
                    .or_else(|_| p384::ecdsa::Signature::from_slice(signature))
                    .map_err(|_| Error::BadSignature)?;
                k.verify_prehash(&d.hash(message), &sig)
                    .map_err(|_| Error::BadSignature)
            }
            (VerifyingKey::P521(k), SignatureScheme::Ecdsa(d)) => {
                let sig = p521::ecdsa::Signature::from_der(signature)
                    .or_else(|_| p521::ecdsa::Signature::from_slice(signature))
                    .map_err(|_| Error::BadSignature)?;
                k.verify_prehash(&d.hash(message), &sig)
                    .map_err(|_| Error::BadSignature)
            }
            (VerifyingKey::BrainpoolP256(k), SignatureScheme::Ecdsa(d)) => {
                let sig = ecdsa::Signature::<bp256::BrainpoolP256r1>::from_der(signature)
                    .or_else(|_| ecdsa::Signature::from_slice(signature))
                    .map_err(|_| Error::BadSignature)?;
                k.verify_prehash(&d.hash(message), &sig)
                    .map_err(|_| Error::BadSignature)
            }
            (VerifyingKey::BrainpoolP384(k), SignatureScheme::Ecdsa(d)) => {
                let sig = ecdsa::Signature::<bp384::BrainpoolP384r1>::from_der(signature)
                    .or_else(|_| ecdsa::Signature::from_slice(signature))
                    .map_err(|_| Error::BadSignature)?;
                k.verify_prehash(&d.hash(message), &sig)
                    .map_err(|_| Error::BadSignature)
            }
            (VerifyingKey::Rsa(k), SignatureScheme::RsaPkcs1v15(d)) => k
                .verify(pkcs1v15(d)?, &d.hash(message), signature)
                .map_err(|_| Error::BadSignature),
            (VerifyingKey::Rsa(k), SignatureScheme::RsaPss { digest, salt_len }) => {
                rsa_pss(k, digest, salt_len, &digest.hash(message), signature)
            }
            (VerifyingKey::Ed25519(k), SignatureScheme::Ed25519) => {
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| Error::BadSignature)?;
                k.verify_strict(message, &sig)
                    .map_err(|_| Error::BadSignature)
            }
            (key, scheme) => Err(Error::unsupported(
                "signature algorithm",
                format!("{scheme} signature with an {} key", key.describe()),
            )),
        }
    }
}

/// DigestInfo (RFC 8017 §9.2): what a PKCS#1 v1.5 signature carries.
#[derive(der::Sequence)]
struct DigestInfo {
    algorithm: spki::AlgorithmIdentifierOwned,
    digest: der::asn1::OctetString,
}

impl VerifyingKey {
    /// For an RSA PKCS#1 v1.5 signature: the hash and digest it carries, read by opening it
    /// with this key (RFC 8017 §8.2.2 steps 2-3), or None when it is not one this key made.
    /// This tells a changed document (a well-formed signature over another digest) from a
    /// signature by another key; whether it verifies is still [`Self::verify_prehashed`]'s.
    pub fn rsa_signed_digest(&self, signature: &[u8]) -> Option<(DigestAlgorithm, Vec<u8>)> {
        use rsa::traits::PublicKeyParts;
        let VerifyingKey::Rsa(k) = self else {
            return None;
        };
        let size = k.size();
        if signature.len() != size {
            return None;
        }
        let s = rsa::BoxedUint::from_be_slice(signature, k.n_bits_precision()).ok()?;
        if s >= *k.n().as_ref() {
            return None;
        }
        let m = rsa::hazmat::rsa_encrypt(k.as_ref(), &s).ok()?;
        let bytes = m.to_be_bytes();
        let em = bytes.get(bytes.len().checked_sub(size)?..)?;
        // EM = 0x00 0x01 PS(0xff...) 0x00 DigestInfo
        let rest = em.strip_prefix(&[0u8, 1])?;
        let ff = rest.iter().take_while(|b| **b == 0xff).count();
        let info = rest.get(ff..)?.strip_prefix(&[0u8])?;
        if ff < 8 {
            return None;
        }
        let info = <DigestInfo as Decode>::from_der(info).ok()?;
        let d = DigestAlgorithm::from_oid(&info.algorithm.oid)?;
        Some((d, info.digest.as_bytes().to_vec()))
    }

    /// Check an RSA PKCS#1 v1.5 or ECDSA signature over a digest already computed.
    pub fn verify_prehashed(
        &self,
        scheme: SignatureScheme,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        match (self, scheme) {
            (VerifyingKey::Rsa(k), SignatureScheme::RsaPkcs1v15(d)) => k
                .verify(pkcs1v15(d)?, digest, signature)
                .map_err(|_| Error::BadSignature),
            (VerifyingKey::Suite(k @ PublicKey::P256(_)), SignatureScheme::Ecdsa(_)) => {
                k.verify_digest(digest, signature)
            }
            (key, scheme) => Err(Error::unsupported(
                "signature algorithm",
                format!("{scheme} over a digest with an {} key", key.describe()),
            )),
        }
    }
}

/// The PKCS#1 v1.5 DigestInfo prefix for `d` (RFC 8017 §9.2 note 1).
fn pkcs1v15(d: DigestAlgorithm) -> Result<rsa::pkcs1v15::Pkcs1v15Sign> {
    use rsa::pkcs1v15::Pkcs1v15Sign;
    Ok(match d {
        DigestAlgorithm::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        DigestAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        DigestAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        DigestAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        DigestAlgorithm::Sha3_256 => Pkcs1v15Sign::new::<sha3::Sha3_256>(),
        DigestAlgorithm::Sha3_384 => Pkcs1v15Sign::new::<sha3::Sha3_384>(),
        DigestAlgorithm::Sha3_512 => Pkcs1v15Sign::new::<sha3::Sha3_512>(),
        DigestAlgorithm::Sm3 => {
            return Err(Error::unsupported("signature algorithm", "RSA with SM3"))
        }
    })
}

fn rsa_pss(
    k: &rsa::PublicKey,
    d: DigestAlgorithm,
    salt_len: usize,
    hashed: &[u8],
    signature: &[u8],
) -> Result<()> {
    use rsa::pss::Pss;
    let r = match d {
        DigestAlgorithm::Sha1 => k.verify(
            Pss::<sha1::Sha1>::new_with_salt(salt_len),
            hashed,
            signature,
        ),
        DigestAlgorithm::Sha256 => k.verify(
            Pss::<sha2::Sha256>::new_with_salt(salt_len),
            hashed,
            signature,
        ),
        DigestAlgorithm::Sha384 => k.verify(
            Pss::<sha2::Sha384>::new_with_salt(salt_len),
            hashed,
            signature,
        ),
        DigestAlgorithm::Sha512 => k.verify(
            Pss::<sha2::Sha512>::new_with_salt(salt_len),
            hashed,
            signature,
        ),
        DigestAlgorithm::Sha3_256 => k.verify(
            Pss::<sha3::Sha3_256>::new_with_salt(salt_len),
            hashed,
            signature,
        ),
        DigestAlgorithm::Sha3_384 => k.verify(
            Pss::<sha3::Sha3_384>::new_with_salt(salt_len),
            hashed,
            signature,
        ),
        DigestAlgorithm::Sha3_512 => k.verify(
            Pss::<sha3::Sha3_512>::new_with_salt(salt_len),
            hashed,
            signature,
        ),
        DigestAlgorithm::Sm3 => {
            return Err(Error::unsupported(
                "signature algorithm",
                "RSASSA-PSS with SM3",
            ))
        }
    };
    r.map_err(|_| Error::BadSignature)
}
