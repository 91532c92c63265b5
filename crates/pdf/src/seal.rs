//! Sealing: PAdES B-B signatures (CMS from `eseal-signer`) or GB/T 38540 seal signatures,
//! applied through the incremental writer. The signed byte ranges are hashed as they stream
//! past; nothing holds the file.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eseal_certs::{Certificate, DigestAlgorithm, Hasher, SigningKey};
use eseal_signer::cms::{self, ContentTypeFamily};
use eseal_signer::ses;

use crate::pades::{add_signature_timestamp, Timestamper};
use crate::sign::{sign_incremental, ContentSigner, SignOptions, SignOutcome, SubFilter};
use crate::Result;

/// Room kept in `/Contents` beyond the signature itself, for an RFC 3161 signature timestamp
/// added later (B-T) without rewriting the file.
pub const TIMESTAMP_ROOM: usize = 8 * 1024;

/// Who seals: the key (any backend), its certificate and the chain to embed.
pub struct Sealer<'a> {
    pub key: &'a dyn SigningKey,
    pub certificate: &'a Certificate,
    pub chain: &'a [Certificate],
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A [`ContentSigner`] that digests the streamed ranges and builds the container from the
/// digest: the one shape every signature format here shares.
struct DigestThenSign<F> {
    hasher: Option<Hasher>,
    reserved: usize,
    container: F,
}

impl<F: FnMut(&[u8]) -> std::result::Result<Vec<u8>, BoxError>> ContentSigner
    for DigestThenSign<F>
{
    fn reserved_len(&self) -> usize {
        self.reserved
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

/// Seal `input` into `output` (which must be empty, readable and writable) with a detached
/// CMS SignedData (PAdES B-B).
pub fn seal<I, O>(
    input: &mut I,
    output: &mut O,
    opts: &SignOptions,
    sealer: &Sealer<'_>,
) -> Result<SignOutcome>
where
    I: std::io::Read + std::io::Seek,
    O: std::io::Read + std::io::Write + std::io::Seek,
{
    seal_timestamped(input, output, opts, sealer, None)
}

/// As [`seal`]; with `tsa`, the CMS gets a signature timestamp before it is written
/// (PAdES B-T), in the room [`TIMESTAMP_ROOM`] keeps, so the file is written once.
pub fn seal_timestamped<I, O>(
    input: &mut I,
    output: &mut O,
    opts: &SignOptions,
    sealer: &Sealer<'_>,
    tsa: Option<&dyn Timestamper>,
) -> Result<SignOutcome>
where
    I: std::io::Read + std::io::Seek,
    O: std::io::Read + std::io::Write + std::io::Seek,
{
    let options = cms::SignOptions {
        content_types: ContentTypeFamily::Pkcs7,
        ..Default::default()
    };
    let alg = sealer.key.algorithm();
    let estimate = cms::estimate_len(alg, sealer.certificate, sealer.chain, &options)
        .map_err(|e| crate::Error::Signer(Box::new(e)))?;
    let mut signer = DigestThenSign {
        hasher: Some(alg.digest().hasher()),
        reserved: estimate + TIMESTAMP_ROOM,
        container: |digest: &[u8]| -> std::result::Result<Vec<u8>, BoxError> {
            let der = cms::sign_detached(
                sealer.key,
                sealer.certificate,
                sealer.chain,
                digest,
                &options,
            )?;
            match tsa {
                Some(tsa) => add_signature_timestamp(&der, tsa),
                None => Ok(der),
            }
        },
    };
    sign_incremental(input, output, opts, &mut signer)
}

/// Seal with a GB/T 38540 `SES_Signature` (version 4) over SM3 of the ranges, placed in
/// `/Contents` under `adbe.pkcs7.detached` as vendors do. The signing time in the signature
/// and in `/M` is `opts.signing_time` (now when unset), in whole seconds.
pub fn seal_ses<I, O>(
    input: &mut I,
    output: &mut O,
    opts: &SignOptions,
    sealer: &Sealer<'_>,
    seal_der: &[u8],
) -> Result<SignOutcome>
where
    I: std::io::Read + std::io::Seek,
    O: std::io::Read + std::io::Write + std::io::Seek,
{
    use der::Encode;
    let now = opts
        .signing_time
        .map(SystemTime::from)
        .unwrap_or_else(SystemTime::now);
    // GeneralizedTime in the signature and /M carry no fractions of a second.
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let now = UNIX_EPOCH + Duration::from_secs(secs);
    let mut opts = opts.clone();
    opts.signing_time = Some(now.into());
    opts.sub_filter = SubFilter::Pkcs7Detached;
    let cert_len = sealer.certificate.to_der().map(|d| d.len()).unwrap_or(2048);
    let mut signer = DigestThenSign {
        hasher: Some(DigestAlgorithm::Sm3.hasher()),
        // The seal, the signer certificate, the signature and headers, and timestamp room.
        reserved: seal_der.len() + cert_len + 1024 + TIMESTAMP_ROOM,
        container: |digest: &[u8]| -> std::result::Result<Vec<u8>, BoxError> {
            let request = ses::SignatureRequest {
                data_digest: digest,
                time: now,
                property_info: ses::PDF_PROPERTY_INFO,
                ext_datas: Vec::new(),
            };
            Ok(ses::make_signature(
                seal_der,
                sealer.key,
                sealer.certificate,
                &request,
            )?)
        },
    };
    sign_incremental(input, output, &opts, &mut signer)
}
