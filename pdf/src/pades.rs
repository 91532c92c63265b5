//! PAdES baseline levels above B-B (ETSI EN 319 142-1 §6.3): B-T adds a signature timestamp
//! (RFC 3161 token over the signature value, an unsigned attribute written into the room
//! `seal` reserves in `/Contents`); B-LT adds a Document Security Store (§5.4.2) with the
//! certificates, CRLs and OCSP responses needed to validate every signature and timestamp;
//! B-LTA adds a document timestamp (§5.4.3: `/Type /DocTimeStamp`, `/SubFilter
//! /ETSI.RFC3161`) over the revision holding the DSS. Each step is its own incremental update;
//! no earlier byte changes.
//!
//! Getting a token is the caller's business (HTTP in the CLI, a TSA in process in tests):
//! anything that implements [`Timestamper`].

use std::io::{Read, Seek, Write};

use der::{Decode, Encode};
use eseal_certs::{Certificate, DigestAlgorithm};
use eseal_signer::cms::{self, SignedCms};
use eseal_signer::tsp::TimestampToken;

use crate::error::{Error, Result};
use crate::object::{Dict, Object, Stream};
use crate::reader::PdfReader;
use crate::sigdict::SubFilter;
use crate::sign::{
    sign_incremental, Appearance, DigestThenSign, RevisionOffsets, SignOptions, SignOutcome,
    SignatureTarget,
};
use crate::writer::{write_incremental, IncrementalUpdate};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Room for a document timestamp token in `/Contents` (TSTInfo, signature, the TSA's chain).
pub const DOC_TIMESTAMP_ROOM: usize = 16 * 1024;
/// Most items (certificates, CRLs, OCSP responses) one DSS update may hold.
const MAX_DSS_ITEMS: usize = 1000;

/// A source of RFC 3161 timestamp tokens.
pub trait Timestamper {
    /// A token (DER ContentInfo) whose message imprint is `digest`, made with `algorithm`.
    fn timestamp(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
    ) -> std::result::Result<Vec<u8>, BoxError>;
}

impl<F> Timestamper for F
where
    F: Fn(DigestAlgorithm, &[u8]) -> std::result::Result<Vec<u8>, BoxError>,
{
    fn timestamp(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
    ) -> std::result::Result<Vec<u8>, BoxError> {
        self(algorithm, digest)
    }
}

/// B-T: add a signature timestamp (over the signature value, with the signer's digest
/// algorithm) to a CMS SignedData as the unsigned attribute `signatureTimeStampToken`.
pub fn add_signature_timestamp(
    cms_der: &[u8],
    tsa: &dyn Timestamper,
) -> std::result::Result<Vec<u8>, BoxError> {
    let parsed = SignedCms::parse(cms_der)?;
    let signer = parsed.signer()?;
    let alg = signer.digest_algorithm()?;
    let token = tsa.timestamp(alg, &alg.hash(signer.signature()))?;
    // Refuse a token that is not over this signature rather than embed it.
    let checked = TimestampToken::parse(&token)?;
    checked.check_imprint(signer.signature())?;
    Ok(cms::add_unsigned_attribute(
        cms_der,
        cms::timestamp_attribute(checked.der())?,
    )?)
}

/// Validation data for a DSS, each item DER.
#[derive(Clone, Debug, Default)]
pub struct ValidationData {
    pub certificates: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    pub ocsp_responses: Vec<Vec<u8>>,
}

impl ValidationData {
    pub fn add_certificate(&mut self, cert: &Certificate) -> Result<()> {
        let der = cert.to_der().map_err(|e| Error::Signer(Box::new(e)))?;
        push_unique(&mut self.certificates, der);
        Ok(())
    }

    pub fn add_crl(&mut self, der: Vec<u8>) {
        push_unique(&mut self.crls, der);
    }

    pub fn add_ocsp_response(&mut self, der: Vec<u8>) {
        push_unique(&mut self.ocsp_responses, der);
    }

    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.crls.is_empty() && self.ocsp_responses.is_empty()
    }
}

fn push_unique(list: &mut Vec<Vec<u8>>, item: Vec<u8>) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// What the document's signatures and timestamps carry: each `/Contents` (CMS or timestamp
/// token), and the timestamp tokens inside signatures. For gathering B-LT validation data.
pub struct Embedded {
    pub certificates: Vec<Certificate>,
    /// Full names of the fields holding document timestamps, in file order.
    pub doc_timestamps: Vec<String>,
}

/// Reads the certificates of every signature and timestamp in the newest revision.
pub fn embedded_material<R: Read + Seek>(input: R) -> Result<Embedded> {
    let mut reader = PdfReader::open(input)?;
    let mut out = Embedded {
        certificates: Vec::new(),
        doc_timestamps: Vec::new(),
    };
    for field in reader.form_fields()? {
        if !field.is_signature() {
            continue;
        }
        let Some(v) = field.value.as_ref() else {
            continue;
        };
        let Ok(Object::Dict(sig)) = reader.resolve(v) else {
            continue;
        };
        if crate::sigdict::is_document_timestamp(&sig) {
            out.doc_timestamps.push(field.full_name.clone());
        }
        let Some(contents) = sig.get("Contents").and_then(Object::as_string) else {
            continue;
        };
        let Ok(parsed) = SignedCms::parse(contents) else {
            continue;
        };
        let mut tokens = Vec::new();
        for signer in parsed.signers() {
            tokens.extend(signer.timestamp_tokens().unwrap_or_default());
        }
        for c in parsed.certificates() {
            out.certificates.push(c.certificate.clone());
        }
        for t in tokens {
            if let Ok(token) = TimestampToken::parse(&t) {
                out.certificates.extend(token.certificates());
            }
        }
    }
    out.certificates.dedup();
    Ok(out)
}

/// B-LT: append a revision whose catalog `/DSS` holds the existing DSS items plus `data`.
pub fn add_dss<I, O>(
    input: &mut I,
    output: &mut O,
    data: &ValidationData,
) -> Result<RevisionOffsets>
where
    I: Read + Seek,
    O: Write + Seek,
{
    let existing = output.seek(std::io::SeekFrom::End(0))?;
    if existing != 0 {
        return Err(Error::OutputNotEmpty(existing));
    }
    let total = data.certificates.len() + data.crls.len() + data.ocsp_responses.len();
    if total > MAX_DSS_ITEMS {
        return Err(Error::LimitExceeded {
            what: "DSS items",
            limit: MAX_DSS_ITEMS as u64,
        });
    }
    let mut reader = PdfReader::open(&mut *input)?;
    let mut update = IncrementalUpdate::new(&reader);
    let catalog_ref = reader.catalog_ref()?;
    let mut catalog = reader.catalog()?;
    let old = match catalog.get("DSS").cloned() {
        Some(d) => match reader.resolve(&d)? {
            Object::Dict(d) => d,
            _ => Dict::new(),
        },
        None => Dict::new(),
    };
    let dss = merged_dss(&mut reader, &mut update, &old, data)?;
    let dss_ref = update.add(dss);
    catalog.set("DSS", dss_ref);
    update.set(catalog_ref, catalog);
    let mut w = std::io::BufWriter::new(&mut *output);
    let written = write_incremental(&mut reader, &update, &mut w)?;
    w.flush()?;
    Ok(RevisionOffsets {
        start: written.start,
        startxref: written.startxref,
        end: written.end,
    })
}

/// The new DSS: the `old` one's items plus those of `data` it lacks, each new item a stream
/// added to `update`.
fn merged_dss<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    update: &mut IncrementalUpdate,
    old: &Dict,
    data: &ValidationData,
) -> Result<Dict> {
    let mut dss = Dict::new();
    for (key, items) in [
        ("Certs", &data.certificates),
        ("CRLs", &data.crls),
        ("OCSPs", &data.ocsp_responses),
    ] {
        // Keep what is there (references stay valid), add what is new.
        let (mut refs, mut known) = (Vec::new(), Vec::new());
        if let Some(a) = old.get(key) {
            if let Object::Array(list) = reader.resolve(a)? {
                for item in list {
                    if let Ok(Object::Stream(s)) = reader.resolve(&item) {
                        known.push(
                            reader
                                .stream_decoded(&s)
                                .map(|d| d.to_vec())
                                .unwrap_or_default(),
                        );
                    }
                    refs.push(item);
                }
            }
        }
        for der in items {
            if !known.contains(der) {
                refs.push(Object::Reference(
                    update.add(Object::Stream(Stream::new(Dict::new(), der.clone()))),
                ));
                known.push(der.clone());
            }
        }
        if !refs.is_empty() {
            dss.set(key, Object::Array(refs));
        }
    }
    for (k, v) in old.iter() {
        // VRI and anything else already there is kept as it was.
        if !matches!(k, b"Certs" | b"CRLs" | b"OCSPs") {
            dss.set_raw(k.to_vec(), v.clone());
        }
    }
    Ok(dss)
}

/// B-LTA: append a document timestamp (an invisible signature field whose value is a
/// `/DocTimeStamp` dictionary with an RFC 3161 token over the byte ranges, SHA-256).
pub fn add_document_timestamp<I, O>(
    input: &mut I,
    output: &mut O,
    tsa: &dyn Timestamper,
) -> Result<SignOutcome>
where
    I: Read + Seek,
    O: Read + Write + Seek,
{
    let opts = SignOptions {
        target: SignatureTarget::NewField {
            name: None,
            page: 0,
            rect: crate::sign::FieldRect::Invisible,
        },
        appearance: Appearance::Invisible,
        sub_filter: SubFilter::Rfc3161,
        ..Default::default()
    };
    let mut signer = DigestThenSign::new(
        DigestAlgorithm::Sha256,
        None,
        DOC_TIMESTAMP_ROOM,
        |digest: &[u8]| -> std::result::Result<Vec<u8>, BoxError> {
            let token = tsa.timestamp(DigestAlgorithm::Sha256, digest)?;
            let parsed = TimestampToken::parse(&token)?;
            parsed.check_imprint_digest(digest)?;
            Ok(parsed.der().to_vec())
        },
    );
    sign_incremental(input, output, &opts, &mut signer)
}

/// Certificates parsed from DER, skipping what does not parse.
pub fn certificates_from_der(items: &[Vec<u8>]) -> Vec<Certificate> {
    items
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect()
}
