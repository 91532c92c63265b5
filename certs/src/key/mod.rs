//! Keys: the signing trait every key backend provides, public keys, the software backend and
//! the PKCS#11 (token) backend.
//!
//! A backend signs a *signing digest* (SHA-256 of the message for P-256; SM3(Z_A ‖ M) for SM2,
//! GM/T 0003.2 §6.1). Hashing stays on our side so that a PKCS#11 token or a remote two-step
//! signer only ever sees 32 bytes, and large documents are never sent anywhere.

mod pkcs11;
mod public;
mod software;
mod verifying;

pub use pkcs11::{Pkcs11Key, Pkcs11Token};
pub use public::PublicKey;
pub(crate) use software::pem_blocks;
pub use software::{KeyBundle, Passphrase, SoftwareKey};
pub use verifying::{VerifyingKey, OID_P384, OID_P521};

use crate::{Algorithm, Result};

/// A private key that can sign, wherever it lives (memory, a token, a remote service).
pub trait SigningKey: Send + Sync {
    fn algorithm(&self) -> Algorithm;

    fn public_key(&self) -> &PublicKey;

    /// Sign a signing digest computed by [`PublicKey::signing_digest`]; returns a DER
    /// `ECDSA-Sig-Value` / `SM2Signature` (SEQUENCE { r, s }).
    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>>;

    /// Sign a message: hash it (with Z_A for SM2) and sign the digest.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let digest = self.public_key().signing_digest(message)?;
        self.sign_digest(&digest)
    }
}
