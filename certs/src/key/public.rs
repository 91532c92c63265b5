//! Public keys of both suites, read from SubjectPublicKeyInfo (RFC 5480), and signature checks.

use der::{referenced::OwnedToRef, Decode};
use signature::hazmat::PrehashVerifier;
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};

use crate::algorithm::{sm2_z, OID_EC_PUBLIC_KEY, SM2_DEFAULT_ID};
use crate::{Algorithm, Error, Result};

/// A public key of one of our suites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    Sm2(sm2::PublicKey),
}

impl PublicKey {
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::P256(_) => Algorithm::P256,
            PublicKey::Sm2(_) => Algorithm::Sm2,
        }
    }

    /// Read a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| Error::malformed("SubjectPublicKeyInfo", e))?;
        Self::from_spki_ref(&spki)
    }

    pub fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<Self> {
        Self::from_spki_ref(&spki.owned_to_ref())
    }

    fn from_spki_ref(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Self> {
        if spki.algorithm.oid != OID_EC_PUBLIC_KEY {
            return Err(Error::unsupported(
                "public key algorithm",
                spki.algorithm.oid,
            ));
        }
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok())
            .ok_or_else(|| Error::malformed("EC public key", "named curve parameter missing"))?;
        let point = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| Error::malformed("EC public key", "unused bits in point"))?;
        Self::from_sec1(
            Algorithm::from_curve_oid(&curve)
                .ok_or_else(|| Error::unsupported("elliptic curve", curve))?,
            point,
        )
    }

    /// Read a SEC1 point (compressed or uncompressed) of the given curve.
    pub fn from_sec1(alg: Algorithm, point: &[u8]) -> Result<Self> {
        match alg {
            Algorithm::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P256)
                .map_err(|_| Error::malformed("P-256 public key", "not a point on the curve")),
            Algorithm::Sm2 => sm2::PublicKey::from_sec1_bytes(point)
                .map(PublicKey::Sm2)
                .map_err(|_| Error::malformed("SM2 public key", "not a point on the curve")),
        }
    }

    /// Uncompressed SEC1 encoding (0x04 ‖ x ‖ y).
    pub fn to_sec1_uncompressed(&self) -> Vec<u8> {
        use p256::elliptic_curve::sec1::ToSec1Point;
        match self {
            PublicKey::P256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            PublicKey::Sm2(k) => k.to_sec1_point(false).as_bytes().to_vec(),
        }
    }

    /// DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        use spki::EncodePublicKey;
        let doc = match self {
            PublicKey::P256(k) => k.to_public_key_der(),
            PublicKey::Sm2(k) => k.to_public_key_der(),
        }
        .map_err(|e| Error::malformed("public key", e))?;
        Ok(doc.as_bytes().to_vec())
    }

    pub fn to_spki(&self) -> Result<SubjectPublicKeyInfoOwned> {
        SubjectPublicKeyInfoOwned::from_der(&self.to_spki_der()?)
            .map_err(|e| Error::malformed("public key", e))
    }

    /// The digest a backend signs: SHA-256(M), or SM3(Z_A ‖ M) with the default SM2 ID.
    pub fn signing_digest(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.signing_digest_with_id(message, SM2_DEFAULT_ID.as_bytes())
    }

    /// As [`Self::signing_digest`] with an explicit SM2 distinguishing ID (ignored for P-256).
    pub fn signing_digest_with_id(&self, message: &[u8], sm2_id: &[u8]) -> Result<Vec<u8>> {
        match self {
            PublicKey::P256(_) => Ok(crate::DigestAlgorithm::Sha256.hash(message)),
            PublicKey::Sm2(_) => {
                let z = sm2_z(sm2_id, &self.to_sec1_uncompressed())?;
                let mut h = crate::DigestAlgorithm::Sm3.hasher();
                h.update(&z);
                h.update(message);
                Ok(h.finish())
            }
        }
    }

    /// Check a DER signature over a message (default SM2 ID).
    pub fn verify(&self, message: &[u8], signature_der: &[u8]) -> Result<()> {
        self.verify_digest(&self.signing_digest(message)?, signature_der)
    }

    /// Check a DER signature over a message with an explicit SM2 ID.
    pub fn verify_with_id(
        &self,
        message: &[u8],
        signature_der: &[u8],
        sm2_id: &[u8],
    ) -> Result<()> {
        self.verify_digest(
            &self.signing_digest_with_id(message, sm2_id)?,
            signature_der,
        )
    }

    /// Check a signature over a signing digest. Accepts DER and, for SM2, the raw 64-byte r ‖ s
    /// that some GB/T 38540 producers write.
    pub fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<()> {
        match self {
            PublicKey::P256(k) => {
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
                    .map_err(|_| Error::BadSignature)?;
                k.verify_prehash(digest, &sig)
                    .map_err(|_| Error::BadSignature)
            }
            PublicKey::Sm2(k) => {
                let sig = sm2::dsa::Signature::from_der(signature)
                    .or_else(|_| sm2::dsa::Signature::from_slice(signature))
                    .map_err(|_| Error::BadSignature)?;
                let vk = sm2::dsa::VerifyingKey::new(SM2_DEFAULT_ID, *k)
                    .map_err(|_| Error::BadSignature)?;
                // verify_prehash takes e directly; the ID only matters when hashing.
                vk.verify_prehash(digest, &sig)
                    .map_err(|_| Error::BadSignature)
            }
        }
    }

    /// SHA-1 of the public key bits: the RFC 5280 §4.2.1.2 method (1) key identifier, the
    /// value openssl computes too.
    pub fn key_identifier(&self) -> Vec<u8> {
        use sha1::Digest;
        sha1::Sha1::digest(self.to_sec1_uncompressed()).to_vec()
    }
}
