//! PKI material for eseal: the two signature suites (P-256/SHA-256 and SM2/SM3), keys behind
//! one signing trait, verification of the schemes other signers use (`scheme`,
//! `VerifyingKey`) with the weak-algorithm policy (`policy`), certificate profiles and
//! issuance for a provincial CA hierarchy, CRLs, RFC 5280 path validation against several
//! trust anchors, and ETSI TS 119 612 trusted lists that bring other regions' anchors.

pub mod algorithm;
pub mod authority;
pub mod crl;
mod error;
pub mod inspect;
pub mod issue;
pub mod key;
pub mod name;
pub mod national_codes;
pub mod ocsp;
pub mod oid;
pub mod policy;
pub mod scheme;
pub mod trust_list;
pub mod validate;

pub use algorithm::{Algorithm, DigestAlgorithm, Hasher};
pub use error::{Error, Result};
pub use key::{
    KeyBundle, Passphrase, Pkcs11Key, Pkcs11Token, PublicKey, SigningKey, SoftwareKey, VerifyingKey,
};
pub use scheme::SignatureScheme;
pub use x509_cert::Certificate;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
