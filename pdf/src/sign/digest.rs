//! Digest, then sign: the [`ContentSigner`] every signature format here shares. It digests
//! the signed byte ranges as they stream past and builds the container from the digest alone
//! (CMS and GB/T 38540 seals in [`crate::seal`], the RFC 3161 document timestamp in
//! [`crate::pades`]), so keys, tokens and time-stamping authorities only ever see a digest.

use eseal_certs::{DigestAlgorithm, Hasher};

use super::ContentSigner;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The digest state after the first `len` bytes of the input, computed while the input was
/// received. An incremental update starts with the input unchanged, so the first signed
/// range starts with those bytes and its digest continues from this state instead of hashing
/// them again: one pass over the document instead of two.
pub struct HashedPrefix {
    pub state: Hasher,
    pub len: u64,
}

/// A [`ContentSigner`] that digests the streamed ranges and builds the container from the
/// digest.
pub(crate) struct DigestThenSign<F> {
    hasher: Option<Hasher>,
    /// Leading bytes of the ranges already in `hasher` (see [`HashedPrefix`]).
    skip: u64,
    reserved: usize,
    container: F,
}

impl<F> DigestThenSign<F> {
    pub(crate) fn new(
        algorithm: DigestAlgorithm,
        prefix: Option<HashedPrefix>,
        reserved: usize,
        container: F,
    ) -> Self {
        let (hasher, skip) = match prefix {
            Some(p) if p.state.algorithm() == algorithm => (p.state, p.len),
            _ => (algorithm.hasher(), 0),
        };
        DigestThenSign {
            hasher: Some(hasher),
            skip,
            reserved,
            container,
        }
    }
}

impl<F: FnMut(&[u8]) -> std::result::Result<Vec<u8>, BoxError>> ContentSigner
    for DigestThenSign<F>
{
    fn reserved_len(&self) -> usize {
        self.reserved
    }

    fn digested_prefix(&self) -> u64 {
        self.skip
    }

    fn update(&mut self, chunk: &[u8]) {
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
    }

    fn finish(&mut self) -> std::result::Result<Vec<u8>, BoxError> {
        let digest = self
            .hasher
            .take()
            .ok_or("the signature was already produced")?
            .finish();
        (self.container)(&digest)
    }
}
