//! Checking what `/Contents` holds (ETSI EN 319 142-1 §5): the PDF's part of signature
//! validation. The signed bytes are the two `/ByteRange` spans of the file; the format is
//! sniffed from the container and, for CMS, the `/SubFilter` and `/Type` choose the rules:
//! a document timestamp (`/Type /DocTimeStamp`), PAdES baseline (`ETSI.CAdES.detached`),
//! plain CMS (`adbe.pkcs7.detached`), or the legacy `adbe.pkcs7.sha1` (CMS over the SHA-1
//! digest of the ranges) and `adbe.x509.rsa_sha1` (a bare PKCS#1 signature, certificates in
//! `/Cert`), both recognised and judged weak. **Dispatch point:** [`check_contents`]; the validation
//! itself (signature, signed attributes, timestamps, paths, revocation) is
//! [`eseal_signer::validation`], shared with detached `.p7s` and ASiC-S files.

use std::io::{Read, Seek, SeekFrom};
use std::time::SystemTime;

use eseal_certs::DigestAlgorithm;
use eseal_signer::validation::{
    check_cades, check_document_timestamp, check_pkcs7_sha1, check_seal_signature,
    check_x509_rsa_sha1, Profile,
};
pub use eseal_signer::validation::{
    sniff, ContentsFormat, SubIndication, TrustContext, ValidationOutcome,
};

use super::signature::{ByteRange, FoundSignature};
use crate::object::Object;
use crate::sigdict::SubFilter;

/// Checks the container of a structurally sound signature over the byte ranges `br` of
/// `input`. `claimed_time` is `/M`; `later_poe` the proof of existence a later document
/// timestamp gives.
pub fn check_contents<R: Read + Seek + Clone>(
    input: &R,
    sig: &FoundSignature,
    br: ByteRange,
    claimed_time: Option<SystemTime>,
    ctx: &TrustContext<'_>,
    later_poe: Option<SystemTime>,
) -> ValidationOutcome {
    let Some(contents) = sig.contents.as_deref() else {
        return ValidationOutcome::failed(SubIndication::FormatFailure, "/Contents is missing");
    };
    let mut digest_of = |alg| digest_ranges(input, br, alg);
    let sub_filter = sig
        .name_entry("SubFilter")
        .map(|n| SubFilter::from_name(n.as_bytes()));
    match sub_filter {
        // Legacy formats (ISO 32000-1 §12.8.3.2, §12.8.3.3.1), recognised, judged weak.
        Some(SubFilter::X509RsaSha1) => {
            return check_x509_rsa_sha1(
                contents,
                &cert_strings(sig),
                &mut digest_of,
                claimed_time,
                ctx,
            )
        }
        Some(SubFilter::Pkcs7Sha1) if !sig.is_doc_timestamp() => {
            return check_pkcs7_sha1(contents, &mut digest_of, claimed_time, ctx, later_poe)
        }
        _ => {}
    }
    match sniff(contents) {
        ContentsFormat::Cms if sig.is_doc_timestamp() => {
            check_document_timestamp(contents, &mut digest_of, ctx, later_poe)
        }
        ContentsFormat::Cms => {
            let profile = match sig.name_entry("SubFilter").as_deref() {
                Some("ETSI.CAdES.detached") => Profile::PadesBaseline,
                _ => Profile::Cms,
            };
            check_cades(
                contents,
                &mut digest_of,
                profile,
                claimed_time,
                ctx,
                later_poe,
            )
        }
        ContentsFormat::SesSignature => {
            check_seal_signature(contents, &mut digest_of, claimed_time, ctx)
        }
        ContentsFormat::Unknown => ValidationOutcome::failed(
            SubIndication::FormatFailure,
            "/Contents holds neither a CMS signature nor a GB/T 38540 seal signature",
        ),
    }
}

/// The DER certificates of `/Cert` (a string, or an array of strings; signer first).
fn cert_strings(sig: &FoundSignature) -> Vec<Vec<u8>> {
    match sig.dict.get("Cert") {
        Some(Object::String(s)) => vec![s.clone()],
        Some(Object::Array(items)) => items
            .iter()
            .filter_map(Object::as_string)
            .map(<[u8]>::to_vec)
            .collect(),
        _ => Vec::new(),
    }
}

/// Streams the two signed ranges through `alg`.
pub fn digest_ranges<R: Read + Seek + Clone>(
    input: &R,
    br: ByteRange,
    alg: DigestAlgorithm,
) -> std::io::Result<Vec<u8>> {
    let mut hasher = alg.hasher();
    let mut r = input.clone();
    let mut buf = vec![0u8; 256 * 1024];
    for (offset, len) in br.spans() {
        r.seek(SeekFrom::Start(offset))?;
        let mut left = len;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = r.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
    }
    Ok(hasher.finish())
}
