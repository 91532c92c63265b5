//! Sealing on the parse pool: an input PDF, a seal's material and a placement give a sealed
//! output (an incremental update; earlier bytes untouched). An input held in memory is sealed
//! into memory (no file system calls on the common path); an input spooled to a temporary file
//! (above the memory limit of [`super::routes`]' bodies) is sealed into another temporary file,
//! so memory does not grow with large PDFs.

use std::io::{Cursor, Read, Seek, Write};

use eseal_pdf::seal::{seal, seal_prehashed, Sealer};
use eseal_pdf::sign::{
    FieldRect, HashedPrefix, PreparedField, SignOptions, SignOutcome, SignatureTarget,
};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::pki::SealMaterial;
use super::store::seals::KeyStore;

/// Default seal size: Ø40 mm.
pub const SEAL_PT: f64 = 40.0 / 25.4 * 72.0;

/// Where the seal goes.
pub enum Placement {
    /// A new field on `page` (1-based) at `rect` (X, Y, W, H in points from the lower-left
    /// corner of the page as shown), or the lower right corner.
    New { page: usize, rect: Option<[f64; 4]> },
    /// The first step of a document: a new visible field, certification (DocMDP P=2) and
    /// empty fields `names` prepared in a row along the bottom of page 1.
    Certify { field: String, prepare: Vec<String> },
    /// A later step: fill the prepared field.
    Fill { field: String },
}

fn bad_pdf(e: eseal_pdf::Error) -> ApiError {
    match e {
        eseal_pdf::Error::FieldNotFound(field) => {
            ApiError::Conflict(format!("the document has no field '{field}'"))
        }
        e @ eseal_pdf::Error::PageOutOfRange { .. } => ApiError::Unprocessable(e.to_string()),
        eseal_pdf::Error::NotPdf(m) => {
            ApiError::Unprocessable(format!("the body is not a PDF: {m}"))
        }
        e => ApiError::Unprocessable(format!("the PDF cannot be sealed: {e}")),
    }
}

/// The signing options for `place`; the PDF layer resolves pages and rectangles when it
/// plans the update, so the document is opened once per sealing.
fn options(
    m: &SealMaterial,
    place: &Placement,
    reason: Option<String>,
) -> Result<SignOptions, ApiError> {
    let mut certify = None;
    let mut prepare_fields = Vec::new();
    let target = match place {
        Placement::New { page, rect } => SignatureTarget::NewField {
            name: None,
            page: page.checked_sub(1).ok_or_else(|| {
                ApiError::Unprocessable("pages are counted from 1; page 0 does not exist".into())
            })?,
            rect: match rect {
                Some(xywh) => FieldRect::Shown(*xywh),
                None => FieldRect::LowerRight {
                    width: SEAL_PT,
                    height: SEAL_PT,
                },
            },
        },
        Placement::Certify { field, prepare } => {
            // The certifier's seal and the prepared fields in a row along the bottom of page 1.
            for (i, name) in prepare.iter().enumerate() {
                prepare_fields.push(PreparedField {
                    name: name.clone(),
                    page: 0,
                    rect: FieldRect::BottomRow {
                        slot: i + 1,
                        size: SEAL_PT,
                    },
                });
            }
            certify = Some(2);
            SignatureTarget::NewField {
                name: Some(field.clone()),
                page: 0,
                rect: FieldRect::BottomRow {
                    slot: 0,
                    size: SEAL_PT,
                },
            }
        }
        Placement::Fill { field } => SignatureTarget::ExistingField(field.clone()),
    };
    Ok(SignOptions {
        target,
        appearance: m.appearance.clone(),
        name: eseal_certs::name::common_name(m.certificate.tbs_certificate().subject()),
        reason,
        certify,
        prepare_fields,
        ..Default::default()
    })
}

/// Seals an upload on the parse pool ([`super::parse_pool`]), whatever its size or key store:
/// parsing the upload is where hostile input costs, and a few kilobytes can be made to cost
/// seconds, so none of it runs on the async workers. (`len` and `key_store` once chose
/// between here and the blocking pool; they stay for the caller in `routes/seals.rs`.)
pub async fn run_sealing<T, F>(_len: u64, _key_store: KeyStore, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    super::parse_pool::run(work).await
}

/// A PDF held in memory or in an anonymous temporary file (rewound).
pub enum Spooled {
    Memory(Vec<u8>),
    File(std::fs::File),
}

/// Seals an upload: memory to memory, file to file. `input_hash` is the SHA-256 state after
/// the input's bytes (for the output's hash, see [`seal_bytes`]).
pub fn seal_spooled(
    input: Spooled,
    input_hash: Option<Sha256>,
    m: &SealMaterial,
    place: &Placement,
    reason: Option<String>,
) -> Result<Sealed<Spooled>, ApiError> {
    Ok(match input {
        Spooled::Memory(v) => {
            let s = seal_bytes(&v, input_hash, m, place, reason)?;
            Sealed {
                data: Spooled::Memory(s.data),
                sha256: s.sha256,
                len: s.len,
            }
        }
        Spooled::File(mut f) => {
            let s = seal_file(&mut f, m, place, reason)?;
            Sealed {
                data: Spooled::File(s.data),
                sha256: s.sha256,
                len: s.len,
            }
        }
    })
}

/// A sealed PDF, where it is kept, its SHA-256 (hex) and its length.
pub struct Sealed<T> {
    pub data: T,
    pub sha256: String,
    pub len: u64,
}

/// Seals `input` (rewound) into `out` (empty); `prefix` is the input's digest state, if known.
fn seal_into<I, O>(
    input: &mut I,
    out: &mut O,
    m: &SealMaterial,
    place: &Placement,
    reason: Option<String>,
    prefix: Option<HashedPrefix>,
) -> Result<SignOutcome, ApiError>
where
    I: Read + Seek,
    O: Read + Write + Seek,
{
    let opts = options(m, place, reason)?;
    seal_opts(input, out, m, opts, prefix)
}

/// Seals with options the caller built (a licence's certification, an annotated copy's
/// stamp and record); the signer's name comes from the seal's certificate when not given.
pub fn seal_with<I, O>(
    input: &mut I,
    out: &mut O,
    m: &SealMaterial,
    opts: SignOptions,
) -> Result<(), ApiError>
where
    I: Read + Seek,
    O: Read + Write + Seek,
{
    seal_opts(input, out, m, opts, None).map(|_| ())
}

fn seal_opts<I, O>(
    input: &mut I,
    out: &mut O,
    m: &SealMaterial,
    mut opts: SignOptions,
    prefix: Option<HashedPrefix>,
) -> Result<SignOutcome, ApiError>
where
    I: Read + Seek,
    O: Read + Write + Seek,
{
    if opts.name.is_none() {
        opts.name = eseal_certs::name::common_name(m.certificate.tbs_certificate().subject());
    }
    let sealer = Sealer {
        key: m.key.as_ref(),
        certificate: &m.certificate,
        chain: &m.chain,
        reserve: Some(m.reserve),
    };
    match prefix {
        Some(prefix) => seal_prehashed(input, out, &opts, &sealer, prefix),
        None => seal(input, out, &opts, &sealer),
    }
    .map_err(bad_pdf)
}

/// Seals a PDF held in memory into memory. When `input_hash` (the SHA-256 state after
/// `input`) is given, neither the signed range's digest nor the output's hash reads the
/// input's bytes again: an incremental update starts with them unchanged.
pub fn seal_bytes(
    input: &[u8],
    input_hash: Option<Sha256>,
    m: &SealMaterial,
    place: &Placement,
    reason: Option<String>,
) -> Result<Sealed<Vec<u8>>, ApiError> {
    // The update adds the signature dictionary, the reserved /Contents and the appearance.
    let mut out = Cursor::new(Vec::with_capacity(input.len() + 64 * 1024));
    let prefix = input_hash.clone().map(|state| HashedPrefix {
        state: eseal_certs::Hasher::Sha256(state),
        len: input.len() as u64,
    });
    let done = seal_into(&mut Cursor::new(input), &mut out, m, place, reason, prefix)?;
    let out = out.into_inner();
    // The writer copies the input unchanged before the new revision.
    let sha256 = match input_hash {
        Some(mut h) if done.revision.start >= input.len() as u64 => {
            h.update(&out[input.len()..]);
            h.finalize()
        }
        _ => Sha256::digest(&out),
    };
    Ok(Sealed {
        sha256: hex::encode(sha256),
        len: out.len() as u64,
        data: out,
    })
}

/// Seals a spooled file into a new temporary file (rewound).
pub fn seal_file(
    input: &mut std::fs::File,
    m: &SealMaterial,
    place: &Placement,
    reason: Option<String>,
) -> Result<Sealed<std::fs::File>, ApiError> {
    let mut out = tempfile::tempfile().map_err(ApiError::internal)?;
    seal_into(input, &mut out, m, place, reason, None)?;
    out.rewind().map_err(ApiError::internal)?;
    let (sha256, len) = sha256_file(&mut out)?;
    out.rewind().map_err(ApiError::internal)?;
    Ok(Sealed {
        data: out,
        sha256,
        len,
    })
}

/// SHA-256 (hex) and length of a file from its current position.
pub fn sha256_file(f: &mut std::fs::File) -> Result<(String, u64), ApiError> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(ApiError::internal)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        len += n as u64;
    }
    Ok((hex::encode(h.finalize()), len))
}
