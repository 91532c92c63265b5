//! Sealing: PAdES B-B signatures (CMS from `eseal-signer`) or GB/T 38540 seal signatures,
//! applied through the incremental writer. The signed byte ranges are hashed as they stream
//! past; nothing holds the file.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eseal_certs::{Certificate, DigestAlgorithm, SigningKey};
use eseal_signer::cms::{self, ContentTypeFamily};
use eseal_signer::ses;

use crate::pades::{add_signature_timestamp, Timestamper};
use crate::sigdict::SubFilter;
use crate::sign::{sign_incremental, DigestThenSign, HashedPrefix, SignOptions, SignOutcome};
use crate::Result;

/// Room kept in `/Contents` beyond the signature itself, for an RFC 3161 signature timestamp
/// added later (B-T) without rewriting the file.
pub const TIMESTAMP_ROOM: usize = 8 * 1024;

/// Who seals: the key (any backend), its certificate and the chain to embed.
pub struct Sealer<'a> {
    pub key: &'a dyn SigningKey,
    pub certificate: &'a Certificate,
    pub chain: &'a [Certificate],
    /// The CMS size to reserve, when the caller keeps it from [`reserve_for`] across sealings
    /// with the same seal (computing it encodes the certificates again).
    pub reserve: Option<usize>,
}

/// The `/Contents` room a CMS seal by `key`, `certificate` and `chain` needs: the container
/// and room for a signature timestamp added later.
pub fn reserve_for(
    key: &dyn SigningKey,
    certificate: &Certificate,
    chain: &[Certificate],
) -> Result<usize> {
    let estimate = cms::estimate_len(key.algorithm(), certificate, chain, &cms_options())
        .map_err(|e| crate::Error::Signer(Box::new(e)))?;
    Ok(estimate + TIMESTAMP_ROOM)
}

/// PAdES containers: the CMS content types of PKCS #7 (`data`, `signedData`).
fn cms_options() -> cms::SignOptions {
    cms::SignOptions {
        content_types: ContentTypeFamily::Pkcs7,
        ..Default::default()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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

/// As [`seal`], with the digest of the input's bytes already computed (see [`HashedPrefix`];
/// ignored when its hash function is not the seal's).
pub fn seal_prehashed<I, O>(
    input: &mut I,
    output: &mut O,
    opts: &SignOptions,
    sealer: &Sealer<'_>,
    prefix: HashedPrefix,
) -> Result<SignOutcome>
where
    I: std::io::Read + std::io::Seek,
    O: std::io::Read + std::io::Write + std::io::Seek,
{
    seal_cms(input, output, opts, sealer, None, Some(prefix))
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
    seal_cms(input, output, opts, sealer, tsa, None)
}

fn seal_cms<I, O>(
    input: &mut I,
    output: &mut O,
    opts: &SignOptions,
    sealer: &Sealer<'_>,
    tsa: Option<&dyn Timestamper>,
    prefix: Option<HashedPrefix>,
) -> Result<SignOutcome>
where
    I: std::io::Read + std::io::Seek,
    O: std::io::Read + std::io::Write + std::io::Seek,
{
    let options = cms_options();
    let reserved = match sealer.reserve {
        Some(n) => n,
        None => reserve_for(sealer.key, sealer.certificate, sealer.chain)?,
    };
    let mut signer = DigestThenSign::new(
        sealer.key.algorithm().digest(),
        prefix,
        reserved,
        |digest: &[u8]| -> std::result::Result<Vec<u8>, BoxError> {
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
    );
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
    let mut signer = DigestThenSign::new(
        DigestAlgorithm::Sm3,
        None,
        // The seal, the signer certificate, the signature and headers, and timestamp room.
        seal_der.len() + cert_len + 1024 + TIMESTAMP_ROOM,
        |digest: &[u8]| -> std::result::Result<Vec<u8>, BoxError> {
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
    );
    sign_incremental(input, output, &opts, &mut signer)
}
