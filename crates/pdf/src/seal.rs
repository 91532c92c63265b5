//! Sealing: PAdES B-B signatures (CMS from `eseal-signer`) applied through the incremental
//! writer. The signed byte ranges are hashed as they stream past; nothing holds the file.

use eseal_certs::{Certificate, Hasher, SigningKey};
use eseal_signer::cms::{self, ContentTypeFamily};

use crate::sign::{sign_incremental, ContentSigner, SignOptions, SignOutcome};
use crate::Result;

/// Room kept in `/Contents` beyond the CMS itself, for an RFC 3161 signature timestamp added
/// later (B-T) without rewriting the file.
pub const TIMESTAMP_ROOM: usize = 8 * 1024;

/// Who seals: the key (any backend), its certificate and the chain to embed.
pub struct Sealer<'a> {
    pub key: &'a dyn SigningKey,
    pub certificate: &'a Certificate,
    pub chain: &'a [Certificate],
}

/// A [`ContentSigner`] that builds a detached CMS SignedData over the streamed bytes.
pub struct CmsContentSigner<'a> {
    sealer: &'a Sealer<'a>,
    hasher: Option<Hasher>,
    options: cms::SignOptions,
    reserved: usize,
}

impl<'a> CmsContentSigner<'a> {
    pub fn new(sealer: &'a Sealer<'a>) -> std::result::Result<Self, cms::CmsError> {
        let options = cms::SignOptions {
            content_types: ContentTypeFamily::Pkcs7,
            ..Default::default()
        };
        let alg = sealer.key.algorithm();
        let estimate = cms::estimate_len(alg, sealer.certificate, sealer.chain, &options)?;
        Ok(CmsContentSigner {
            sealer,
            hasher: Some(alg.digest().hasher()),
            options,
            reserved: estimate + TIMESTAMP_ROOM,
        })
    }
}

impl ContentSigner for CmsContentSigner<'_> {
    fn reserved_len(&self) -> usize {
        self.reserved
    }

    fn update(&mut self, chunk: &[u8]) {
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
    }

    fn finish(&mut self) -> std::result::Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let digest = self
            .hasher
            .take()
            .ok_or("the signature container was already produced")?
            .finish();
        Ok(cms::sign_detached(
            self.sealer.key,
            self.sealer.certificate,
            self.sealer.chain,
            &digest,
            &self.options,
        )?)
    }
}

/// Seal `input` into `output` (which must be empty, readable and writable).
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
    let mut signer =
        CmsContentSigner::new(sealer).map_err(|e| crate::Error::Signer(Box::new(e)))?;
    sign_incremental(input, output, opts, &mut signer)
}

/// A [`ContentSigner`] that writes a GB/T 38540 `SES_Signature` (version 4) over the SM3 of
/// the streamed bytes, the way vendors put it into `/Contents` under `adbe.pkcs7.detached`.
pub struct SesContentSigner<'a> {
    sealer: &'a Sealer<'a>,
    seal_der: &'a [u8],
    time: std::time::SystemTime,
    hasher: Option<Hasher>,
    reserved: usize,
}

impl<'a> SesContentSigner<'a> {
    pub fn new(sealer: &'a Sealer<'a>, seal_der: &'a [u8], time: std::time::SystemTime) -> Self {
        use der::Encode;
        let cert_len = sealer.certificate.to_der().map(|d| d.len()).unwrap_or(2048);
        SesContentSigner {
            sealer,
            seal_der,
            time,
            hasher: Some(eseal_certs::DigestAlgorithm::Sm3.hasher()),
            // The seal, the signer certificate, the signature and headers, plus timestamp room.
            reserved: seal_der.len() + cert_len + 1024 + TIMESTAMP_ROOM,
        }
    }
}

impl ContentSigner for SesContentSigner<'_> {
    fn reserved_len(&self) -> usize {
        self.reserved
    }

    fn update(&mut self, chunk: &[u8]) {
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
    }

    fn finish(&mut self) -> std::result::Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let digest = self
            .hasher
            .take()
            .ok_or("the signature was already produced")?
            .finish();
        let request = eseal_signer::ses::SignatureRequest {
            data_digest: &digest,
            time: self.time,
            property_info: eseal_signer::ses::PDF_PROPERTY_INFO,
            ext_datas: Vec::new(),
        };
        Ok(eseal_signer::ses::make_signature(
            self.seal_der,
            self.sealer.key,
            self.sealer.certificate,
            &request,
        )?)
    }
}

/// Seal with a GB/T 38540 seal signature instead of CMS. The signing time in the signature
/// and in `/M` is taken from `opts.signing_time` (now when unset).
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
    let now = opts
        .signing_time
        .map(std::time::SystemTime::from)
        .unwrap_or_else(std::time::SystemTime::now);
    // Whole seconds: GeneralizedTime in the signature and /M carry no fractions.
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    let mut opts = opts.clone();
    opts.signing_time = Some(now.into());
    opts.sub_filter = crate::sign::SubFilter::Pkcs7Detached;
    let mut signer = SesContentSigner::new(sealer, seal_der, now);
    sign_incremental(input, output, &opts, &mut signer)
}
