//! Software keys: generated here or imported from the files users get from a CA (PKCS#8 plain
//! or encrypted, SEC1 `EC PRIVATE KEY`, PKCS#12 `.p12`/`.pfx`), and exported encrypted.
//!
//! Keys eseal writes to disk are always PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2, RFC 8018) with
//! scrypt (log2 N = 15, r = 8, p = 1) and AES-256-CBC: readable by OpenSSL and by us.

use der::{Decode, Encode};
use p256::elliptic_curve::common::getrandom::SysRng;
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use signature::hazmat::RandomizedPrehashSigner;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use super::{PublicKey, SigningKey};
use crate::algorithm::SM2_DEFAULT_ID;
use crate::{Algorithm, Error, Result};

/// Where a passphrase comes from when one is needed: asked only if the file is encrypted.
pub type Passphrase<'a> = &'a mut dyn FnMut() -> Result<Zeroizing<String>>;

/// A private key held in memory (zeroised on drop by the curve crates).
pub struct SoftwareKey {
    secret: Secret,
    public: PublicKey,
}

enum Secret {
    P256(p256::ecdsa::SigningKey),
    Sm2(sm2::dsa::SigningKey),
}

/// A key with the certificates that came with it (from a PKCS#12 file).
#[derive(Debug)]
pub struct KeyBundle {
    pub key: SoftwareKey,
    pub certificates: Vec<Certificate>,
}

impl std::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "SoftwareKey({})", self.algorithm())
    }
}

impl SoftwareKey {
    /// A fresh key pair from the operating system's random source.
    pub fn generate(alg: Algorithm) -> Result<Self> {
        use p256::elliptic_curve::Generate;
        match alg {
            Algorithm::P256 => Ok(Self::from_p256(p256::SecretKey::generate())),
            Algorithm::Sm2 => Self::from_sm2(&sm2::SecretKey::generate()),
        }
    }

    fn from_p256(secret: p256::SecretKey) -> Self {
        let key = p256::ecdsa::SigningKey::from(secret);
        let public = PublicKey::P256(*key.verifying_key());
        SoftwareKey {
            secret: Secret::P256(key),
            public,
        }
    }

    fn from_sm2(secret: &sm2::SecretKey) -> Result<Self> {
        let key = sm2::dsa::SigningKey::new(SM2_DEFAULT_ID, secret)
            .map_err(|_| Error::malformed("SM2 private key", "not a valid scalar"))?;
        let public = PublicKey::Sm2(secret.public_key());
        Ok(SoftwareKey {
            secret: Secret::Sm2(key),
            public,
        })
    }

    fn from_scalar(alg: Algorithm, scalar: &[u8]) -> Result<Self> {
        match alg {
            Algorithm::P256 => p256::SecretKey::from_slice(scalar)
                .map(Self::from_p256)
                .map_err(|_| Error::malformed("P-256 private key", "not a valid scalar")),
            Algorithm::Sm2 => sm2::SecretKey::from_slice(scalar)
                .map_err(|_| Error::malformed("SM2 private key", "not a valid scalar"))
                .and_then(|s| Self::from_sm2(&s)),
        }
    }

    /// Read a key from any of the formats we accept, PEM or DER, asking for a passphrase only
    /// when the file is encrypted.
    pub fn load(data: &[u8], passphrase: Passphrase<'_>) -> Result<KeyBundle> {
        if let Ok(text) = std::str::from_utf8(data) {
            if text.contains("-----BEGIN") {
                return Self::load_pem(text, passphrase);
            }
        }
        Self::load_der(data, passphrase)
    }

    fn load_pem(text: &str, passphrase: Passphrase<'_>) -> Result<KeyBundle> {
        // A PEM file may carry certificates before the key; find the first key block.
        for block in pem_blocks(text) {
            let (label, der) =
                der::pem::decode_vec(block.as_bytes()).map_err(|e| Error::malformed("PEM", e))?;
            let der = Zeroizing::new(der);
            let key = match label {
                "PRIVATE KEY" => Self::from_pkcs8_der(&der)?,
                "ENCRYPTED PRIVATE KEY" => {
                    Self::from_encrypted_pkcs8_der(&der, passphrase()?.as_str())?
                }
                "EC PRIVATE KEY" => Self::from_sec1_der(&der)?,
                "PKCS12" => return Self::from_pkcs12(&der, passphrase()?.as_str()),
                _ => continue,
            };
            return Ok(KeyBundle {
                key,
                certificates: Vec::new(),
            });
        }
        Err(Error::NoKey(
            "PEM file (expected PRIVATE KEY, ENCRYPTED PRIVATE KEY or EC PRIVATE KEY)",
        ))
    }

    fn load_der(der: &[u8], passphrase: Passphrase<'_>) -> Result<KeyBundle> {
        let key = if pkcs8::PrivateKeyInfoRef::from_der(der).is_ok() {
            Self::from_pkcs8_der(der)?
        } else if pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).is_ok() {
            Self::from_encrypted_pkcs8_der(der, passphrase()?.as_str())?
        } else if sec1::EcPrivateKey::from_der(der).is_ok() {
            Self::from_sec1_der(der)?
        } else if looks_like_pfx(der) {
            return Self::from_pkcs12(der, passphrase()?.as_str());
        } else {
            return Err(Error::malformed(
                "key file",
                "not PKCS#8, encrypted PKCS#8, SEC1 or PKCS#12 (DER or PEM)",
            ));
        };
        Ok(KeyBundle {
            key,
            certificates: Vec::new(),
        })
    }

    /// Unencrypted PKCS#8 (RFC 5958) DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der)
            .map_err(|e| Error::malformed("PKCS#8 private key", e))?;
        let curve = info
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok());
        match curve.as_ref().and_then(Algorithm::from_curve_oid) {
            Some(Algorithm::P256) => p256::SecretKey::from_pkcs8_der(der)
                .map(Self::from_p256)
                .map_err(|e| Error::malformed("P-256 PKCS#8 key", e)),
            Some(Algorithm::Sm2) => {
                let s = sm2::SecretKey::from_pkcs8_der(der)
                    .map_err(|e| Error::malformed("SM2 PKCS#8 key", e))?;
                Self::from_sm2(&s)
            }
            None => Err(Error::unsupported(
                "key algorithm",
                format!(
                    "{} {} (only EC P-256 and SM2 keys)",
                    info.algorithm.oid,
                    curve.map(|c| c.to_string()).unwrap_or_default()
                ),
            )),
        }
    }

    /// Encrypted PKCS#8 DER (PBES2 with PBKDF2 or scrypt, AES-CBC or AES-GCM).
    pub fn from_encrypted_pkcs8_der(der: &[u8], passphrase: &str) -> Result<Self> {
        let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der)
            .map_err(|e| Error::malformed("encrypted PKCS#8 key", e))?;
        let plain = info
            .decrypt(passphrase)
            .map_err(|_| Error::WrongPassphrase)?;
        Self::from_pkcs8_der(plain.as_bytes()).map_err(|_| Error::WrongPassphrase)
    }

    /// SEC1 `ECPrivateKey` (RFC 5915) DER; the curve must be named in its parameters.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self> {
        let key = sec1::EcPrivateKey::from_der(der)
            .map_err(|e| Error::malformed("SEC1 EC private key", e))?;
        let curve = key
            .parameters
            .and_then(|p| p.named_curve())
            .ok_or_else(|| Error::malformed("SEC1 EC private key", "no named curve"))?;
        let alg = Algorithm::from_curve_oid(&curve)
            .ok_or_else(|| Error::unsupported("elliptic curve", curve))?;
        Self::from_scalar(alg, key.private_key)
    }

    /// PKCS#12 (RFC 7292): the first key and all certificates; the MAC is checked.
    pub fn from_pkcs12(der: &[u8], passphrase: &str) -> Result<KeyBundle> {
        use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
        let store = KeyStore::from_pkcs12(der, passphrase, Pkcs12ImportPolicy::Relaxed).map_err(
            |e| match e {
                // A wrong password shows as a MAC mismatch, or as padding garbage when the
                // file has no MAC.
                p12_keystore::error::Error::MacError(_)
                | p12_keystore::error::Error::UnpadError
                | p12_keystore::error::Error::Pkcs5Error(_) => Error::WrongPassphrase,
                other => Error::malformed("PKCS#12 file", other),
            },
        )?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or(Error::NoKey("PKCS#12 file"))?;
        let key = Self::from_pkcs8_der(chain.key().as_der())?;
        let mut certificates = Vec::new();
        for c in chain.certs() {
            certificates.push(
                Certificate::from_der(c.as_der())
                    .map_err(|e| Error::malformed("certificate in PKCS#12", e))?,
            );
        }
        for (_, entry) in store.entries() {
            if let KeyStoreEntry::Certificate(c) = entry {
                let cert = Certificate::from_der(c.as_der())
                    .map_err(|e| Error::malformed("certificate in PKCS#12", e))?;
                if !certificates.contains(&cert) {
                    certificates.push(cert);
                }
            }
        }
        Ok(KeyBundle { key, certificates })
    }

    /// Unencrypted PKCS#8 DER. For tests and for handing to a token; never written to disk.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let doc = match &self.secret {
            Secret::P256(k) => p256::SecretKey::from(k.as_nonzero_scalar()).to_pkcs8_der(),
            Secret::Sm2(k) => sm2::SecretKey::from(k.as_nonzero_scalar()).to_pkcs8_der(),
        }
        .map_err(|e| Error::malformed("private key", e))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// Unencrypted PKCS#8 PEM (`PRIVATE KEY`).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        pem(&self.to_pkcs8_der()?, "PRIVATE KEY")
    }

    /// Encrypted PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`): scrypt + AES-256-CBC.
    pub fn to_encrypted_pkcs8_pem(&self, passphrase: &str) -> Result<String> {
        if passphrase.is_empty() {
            return Err(Error::InvalidInput {
                what: "passphrase",
                value: String::new(),
                detail: "an empty passphrase would leave the key unprotected".into(),
            });
        }
        let der = self.to_pkcs8_der()?;
        let info = pkcs8::PrivateKeyInfoRef::from_der(&der)
            .map_err(|e| Error::malformed("private key", e))?;
        let enc = info
            .encrypt(passphrase)
            .map_err(|e| Error::Signing(format!("key encryption failed: {e}")))?;
        Ok(pem(enc.as_bytes(), "ENCRYPTED PRIVATE KEY")?.to_string())
    }

    /// SEC1 `EC PRIVATE KEY` PEM with the named curve.
    pub fn to_sec1_pem(&self) -> Result<Zeroizing<String>> {
        let der = match &self.secret {
            Secret::P256(k) => p256::SecretKey::from(k.as_nonzero_scalar()).to_sec1_der(),
            Secret::Sm2(k) => sm2::SecretKey::from(k.as_nonzero_scalar()).to_sec1_der(),
        }
        .map_err(|e| Error::malformed("private key", e))?;
        pem(&der, "EC PRIVATE KEY")
    }

    /// A password-protected PKCS#12 file with this key and its certificate chain (leaf first),
    /// PBES2/AES-256 with HMAC-SHA-256 as OpenSSL 3 writes by default.
    pub fn to_pkcs12(&self, chain: &[Certificate], passphrase: &str) -> Result<Vec<u8>> {
        use p12_keystore::{
            Certificate as P12Cert, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm,
            PrivateKey, PrivateKeyChain,
        };
        let key = PrivateKey::from_der(&self.to_pkcs8_der()?)
            .map_err(|e| Error::malformed("private key", e))?;
        let mut certs = Vec::new();
        for c in chain {
            let der = c.to_der().map_err(|e| Error::malformed("certificate", e))?;
            certs.push(P12Cert::from_der(&der).map_err(|e| Error::malformed("certificate", e))?);
        }
        let local_id = self.public.key_identifier();
        let mut store = KeyStore::new();
        store.add_entry(
            "eseal",
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_id, key, certs)),
        );
        store
            .writer(passphrase)
            .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
            .mac_algorithm(MacAlgorithm::HmacSha256)
            .encryption_iterations(200_000)
            .mac_iterations(200_000)
            .write()
            .map_err(|e| Error::malformed("PKCS#12 output", e))
    }
}

impl SigningKey for SoftwareKey {
    fn algorithm(&self) -> Algorithm {
        self.public.algorithm()
    }

    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Hedged signatures: the RFC 6979 nonce also takes fresh random bytes, so a fault
    /// injected while signing the same digest twice does not give away the key (the reason
    /// deterministic signing alone is not used), and a broken random source does not either.
    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        let rng = &mut SysRng;
        match &self.secret {
            Secret::P256(k) => {
                let sig: p256::ecdsa::Signature = k
                    .sign_prehash_with_rng(rng, digest)
                    .map_err(|e| Error::Signing(e.to_string()))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Secret::Sm2(k) => {
                let sig: sm2::dsa::Signature = k
                    .sign_prehash_with_rng(rng, digest)
                    .map_err(|e| Error::Signing(e.to_string()))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
        }
    }
}

fn pem(der: &[u8], label: &str) -> Result<Zeroizing<String>> {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der)
        .map(Zeroizing::new)
        .map_err(|e| Error::malformed("PEM", e))
}

/// The `-----BEGIN ...-----` ... `-----END ...-----` blocks of a PEM text, in order.
pub(crate) fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with("-----BEGIN ") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
            if line.starts_with("-----END ") {
                blocks.extend(current.take());
            }
        }
    }
    blocks
}

/// PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
fn looks_like_pfx(der: &[u8]) -> bool {
    #[derive(der::Sequence)]
    struct PfxHead {
        version: u8,
        auth_safe: der::Any,
        mac: Option<der::Any>,
    }
    PfxHead::from_der(der)
        .is_ok_and(|p| p.version == 3 && der::Tagged::tag(&p.auth_safe).is_constructed())
}
