//! The two signature suites eseal speaks: ECDSA P-256 with SHA-256 (FIPS 186-4, RFC 5758)
//! and SM2 with SM3 (GM/T 0003, GM/T 0009, GB/T 35276), with their object identifiers.

use const_oid::ObjectIdentifier;
use sha2::Digest as _;

/// `id-ecPublicKey` (RFC 5480): the SPKI algorithm for both curves; the curve is the parameter.
pub const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` / `prime256v1`.
pub const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// The SM2 curve (GM/T 0006): `1.2.156.10197.1.301`.
pub const OID_SM2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
/// `ecdsa-with-SHA256` (RFC 5758).
pub const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// SM2 signature with SM3 (GM/T 0006): `1.2.156.10197.1.501`.
pub const OID_SM2_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");
/// SM2 signature as GM/T 0010 names it: `1.2.156.10197.1.301.1`. Accepted on input only.
pub const OID_SM2_SIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301.1");
/// SHA-256.
pub const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// SHA-1 (FIPS 180-4): only ever read, never chosen; see [`crate::policy`].
pub const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
/// SHA-384.
pub const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
/// SHA-512.
pub const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
/// SHA3-256 (FIPS 202).
pub const OID_SHA3_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.8");
/// SHA3-384.
pub const OID_SHA3_384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.9");
/// SHA3-512.
pub const OID_SHA3_512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.10");
/// SM3 (GM/T 0006): `1.2.156.10197.1.401`.
pub const OID_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");

/// The distinguishing identifier GM/T 0009 prescribes when none is agreed.
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

/// A signature suite: curve, hash and signature algorithm together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA on NIST P-256 with SHA-256.
    P256,
    /// SM2 with SM3 and the default distinguishing ID.
    Sm2,
}

/// A hash function: the two our suites sign with (SHA-256, SM3), and the others a verifier
/// meets in signatures made elsewhere. Signing never chooses anything but [`Algorithm::digest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// Legacy; read for verification only, and judged weak by [`crate::policy`].
    Sha1,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Sm3,
}

impl Algorithm {
    pub const ALL: [Algorithm; 2] = [Algorithm::P256, Algorithm::Sm2];

    /// The short name used on the command line and in files: `p256` or `sm2`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::P256 => "p256",
            Algorithm::Sm2 => "sm2",
        }
    }

    /// The key kind as [`crate::VerifyingKey::describe`] names it.
    pub fn curve_name(self) -> &'static str {
        match self {
            Algorithm::P256 => "ECDSA P-256",
            Algorithm::Sm2 => "SM2",
        }
    }

    pub fn digest(self) -> DigestAlgorithm {
        match self {
            Algorithm::P256 => DigestAlgorithm::Sha256,
            Algorithm::Sm2 => DigestAlgorithm::Sm3,
        }
    }

    /// OID of the curve in the SubjectPublicKeyInfo parameters.
    pub fn curve_oid(self) -> ObjectIdentifier {
        match self {
            Algorithm::P256 => OID_P256,
            Algorithm::Sm2 => OID_SM2,
        }
    }

    /// OID of the signature algorithm we emit in certificates, CRLs and CMS.
    pub fn signature_oid(self) -> ObjectIdentifier {
        match self {
            Algorithm::P256 => OID_ECDSA_SHA256,
            Algorithm::Sm2 => OID_SM2_SM3,
        }
    }

    /// The suite named by a signature algorithm OID, accepting both SM2 spellings.
    pub fn from_signature_oid(oid: &ObjectIdentifier) -> Option<Algorithm> {
        match *oid {
            OID_ECDSA_SHA256 => Some(Algorithm::P256),
            OID_SM2_SM3 | OID_SM2_SIGN => Some(Algorithm::Sm2),
            _ => None,
        }
    }

    pub fn from_curve_oid(oid: &ObjectIdentifier) -> Option<Algorithm> {
        match *oid {
            OID_P256 => Some(Algorithm::P256),
            OID_SM2 => Some(Algorithm::Sm2),
            _ => None,
        }
    }
}

impl std::str::FromStr for Algorithm {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "p256" | "p-256" | "secp256r1" | "prime256v1" => Ok(Algorithm::P256),
            "sm2" => Ok(Algorithm::Sm2),
            _ => Err(crate::Error::InvalidInput {
                what: "algorithm",
                value: s.to_string(),
                detail: "expected p256 or sm2".into(),
            }),
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl DigestAlgorithm {
    pub const ALL: [DigestAlgorithm; 8] = [
        DigestAlgorithm::Sha1,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
        DigestAlgorithm::Sha3_256,
        DigestAlgorithm::Sha3_384,
        DigestAlgorithm::Sha3_512,
        DigestAlgorithm::Sm3,
    ];

    pub fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha1 => OID_SHA1,
            DigestAlgorithm::Sha256 => OID_SHA256,
            DigestAlgorithm::Sha384 => OID_SHA384,
            DigestAlgorithm::Sha512 => OID_SHA512,
            DigestAlgorithm::Sha3_256 => OID_SHA3_256,
            DigestAlgorithm::Sha3_384 => OID_SHA3_384,
            DigestAlgorithm::Sha3_512 => OID_SHA3_512,
            DigestAlgorithm::Sm3 => OID_SM3,
        }
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
        Self::ALL.into_iter().find(|d| d.oid() == *oid)
    }

    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
            DigestAlgorithm::Sha3_256 => "SHA3-256",
            DigestAlgorithm::Sha3_384 => "SHA3-384",
            DigestAlgorithm::Sha3_512 => "SHA3-512",
            DigestAlgorithm::Sm3 => "SM3",
        }
    }

    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sha3_256 | DigestAlgorithm::Sm3 => 32,
            DigestAlgorithm::Sha384 | DigestAlgorithm::Sha3_384 => 48,
            DigestAlgorithm::Sha512 | DigestAlgorithm::Sha3_512 => 64,
        }
    }

    /// Hash a message in one go.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(data);
        h.finish()
    }

    /// A streaming hasher, for inputs too large to hold (PDF byte ranges).
    pub fn hasher(self) -> Hasher {
        match self {
            DigestAlgorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            DigestAlgorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            DigestAlgorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            DigestAlgorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
            DigestAlgorithm::Sha3_256 => Hasher::Sha3_256(sha3::Sha3_256::new()),
            DigestAlgorithm::Sha3_384 => Hasher::Sha3_384(sha3::Sha3_384::new()),
            DigestAlgorithm::Sha3_512 => Hasher::Sha3_512(sha3::Sha3_512::new()),
            DigestAlgorithm::Sm3 => Hasher::Sm3(sm3::Sm3::new()),
        }
    }
}

/// Streaming state of a hash function.
#[derive(Clone)]
pub enum Hasher {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    Sha3_256(sha3::Sha3_256),
    Sha3_384(sha3::Sha3_384),
    Sha3_512(sha3::Sha3_512),
    Sm3(sm3::Sm3),
}

impl Hasher {
    pub fn algorithm(&self) -> DigestAlgorithm {
        match self {
            Hasher::Sha1(_) => DigestAlgorithm::Sha1,
            Hasher::Sha256(_) => DigestAlgorithm::Sha256,
            Hasher::Sha384(_) => DigestAlgorithm::Sha384,
            Hasher::Sha512(_) => DigestAlgorithm::Sha512,
            Hasher::Sha3_256(_) => DigestAlgorithm::Sha3_256,
            Hasher::Sha3_384(_) => DigestAlgorithm::Sha3_384,
            Hasher::Sha3_512(_) => DigestAlgorithm::Sha3_512,
            Hasher::Sm3(_) => DigestAlgorithm::Sm3,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
            Hasher::Sha3_256(h) => h.update(data),
            Hasher::Sha3_384(h) => h.update(data),
            Hasher::Sha3_512(h) => h.update(data),
            Hasher::Sm3(h) => sm3::Digest::update(h, data),
        }
    }

    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
            Hasher::Sha3_256(h) => h.finalize().to_vec(),
            Hasher::Sha3_384(h) => h.finalize().to_vec(),
            Hasher::Sha3_512(h) => h.finalize().to_vec(),
            Hasher::Sm3(h) => sm3::Digest::finalize(h).to_vec(),
        }
    }
}

/// Z_A of GM/T 0003.2 §5.5: SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), where the public key
/// is given as its uncompressed SEC1 encoding (0x04 ‖ x ‖ y).
pub fn sm2_z(id: &[u8], public_key_sec1_uncompressed: &[u8]) -> crate::Result<[u8; 32]> {
    const A: [u8; 32] = hex32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
    const B: [u8; 32] = hex32("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
    const XG: [u8; 32] = hex32("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
    const YG: [u8; 32] = hex32("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");
    if public_key_sec1_uncompressed.len() != 65 || public_key_sec1_uncompressed[0] != 4 {
        return Err(crate::Error::malformed(
            "SM2 public key",
            "expected an uncompressed point of 65 bytes",
        ));
    }
    let bits = id
        .len()
        .checked_mul(8)
        .and_then(|b| u16::try_from(b).ok())
        .ok_or_else(|| crate::Error::malformed("SM2 ID", "longer than 8191 bytes"))?;
    let mut h = sm3::Sm3::new();
    for part in [
        &bits.to_be_bytes()[..],
        id,
        &A,
        &B,
        &XG,
        &YG,
        &public_key_sec1_uncompressed[1..],
    ] {
        sm3::Digest::update(&mut h, part);
    }
    Ok(sm3::Digest::finalize(h).into())
}

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex constant"),
    }
}
