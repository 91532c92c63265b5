//! Which algorithms are too weak to rely on, as ETSI TS 119 312 and the default validation
//! policy of EU DSS (ETSI TS 119 172-4) judge them today: SHA-1 in a signature (as its digest
//! or within its scheme), and RSA keys under 2048 bits. MD5, MD2 and DSA never get this far:
//! no crate we keep implements them, so they are refused as unsupported. The thresholds are
//! named here and nowhere else.
//!
//! A weak signature is still checked: whether it is intact is reported, but it can never pass
//! (the validation says INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE with [`weakness`]'s reason).

use crate::key::VerifyingKey;
use crate::scheme::SignatureScheme;
use crate::DigestAlgorithm;

/// ETSI TS 119 312 §6.2.2.1: RSA moduli below 2048 bits are no longer acceptable for signing.
pub const MIN_RSA_BITS: u32 = 2048;

/// Hash functions that ETSI TS 119 312 no longer accepts for signatures (collision attacks).
pub const WEAK_DIGESTS: [DigestAlgorithm; 1] = [DigestAlgorithm::Sha1];

/// Whether a digest algorithm is too weak for a signature.
pub fn digest_is_weak(d: DigestAlgorithm) -> bool {
    WEAK_DIGESTS.contains(&d)
}

/// Why a signature made with `scheme` (its CMS digest `digest`, if separate) and `key` is too
/// weak to rely on, or None when it is strong enough.
pub fn weakness(
    scheme: SignatureScheme,
    digest: Option<DigestAlgorithm>,
    key: &VerifyingKey,
) -> Option<String> {
    let mut reasons = Vec::new();
    for d in [scheme.digest(), digest].into_iter().flatten() {
        if digest_is_weak(d) {
            let reason = format!(
                "{} is not accepted for signatures (ETSI TS 119 312)",
                d.name()
            );
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
    }
    if key.is_rsa() && key.bits() < MIN_RSA_BITS {
        reasons.push(format!(
            "RSA key of {} bits is below {MIN_RSA_BITS} (ETSI TS 119 312)",
            key.bits()
        ));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}
