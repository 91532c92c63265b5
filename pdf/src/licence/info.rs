//! Reading a licence file back: the XMP record written by [`super::render`], the verify URL in
//! the QR field, the annotated-copy record; and the digest of the issuer-sealed revision that
//! the verify URL carries.

use std::io::{Read, Seek, SeekFrom};

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{
    licence_error, Annotation, LicenceContent, LicenceIdentifier, ANNOTATION_FIELD, ANNOTATION_KEY,
    QR_FIELD,
};
use crate::object::Object;
use crate::reader::{Budget, PdfReader};
use crate::text::decode_text_string;
use crate::Result;

/// Namespace of the licence properties in the XMP packet.
pub const XMP_NAMESPACE: &str = "urn:eseal:licence:1.0#";
/// Largest XMP packet read.
const MAX_XMP: usize = 1 << 20;
/// Largest sealed prefix read back into memory for the record (licences are small).
const MAX_SEALED_PREFIX: u64 = 256 << 20;
/// Bytes of the SHA-256 digest kept in the verify URL (128 bits).
const DIGEST_BYTES: usize = 16;

/// What a licence file says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LicenceInfo {
    pub identifier: LicenceIdentifier,
    pub type_code: String,
    pub type_name: String,
    pub issuer_name: String,
    pub issuer_code: String,
    pub holder_name: String,
    pub holder_code: String,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    /// The verify URL in the QR field, once filled.
    pub qr_url: Option<String>,
    /// The annotated-copy record, when the annotation field is signed.
    pub annotation: Option<Annotation>,
}

/// The annotated-copy record read from a file: the same type as [`Annotation`].
pub type AnnotationInfo = Annotation;

/// The properties written to XMP, in order: (XMP name, built-in value key).
const PROPERTIES: [(&str, &str); 8] = [
    ("Identifier", "identifier"),
    ("TypeCode", "type_code"),
    ("TypeName", "type_name"),
    ("IssuerName", "issuer_name"),
    ("IssuerCode", "issuer_code"),
    ("HolderName", "holder_name"),
    ("HolderCode", "holder_code"),
    ("IssuedOn", "issued_on"),
];

/// The XMP packet (ISO 16684-1) of a licence: Dublin Core and PDF properties plus the licence
/// record in [`XMP_NAMESPACE`].
pub(crate) fn xmp_packet(c: &LicenceContent, now: OffsetDateTime) -> String {
    let id = xml_escape(&c.identifier.to_string());
    let title = xml_escape(&format!("{} {}", c.type_name, c.holder_name));
    let created = now
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&Rfc3339)
        .unwrap_or_default();
    let mut s = format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\"\n  \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n  \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n  \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n  \
         xmlns:eseal=\"{XMP_NAMESPACE}\">\n\
         <dc:format>application/pdf</dc:format>\n\
         <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
         <dc:creator><rdf:Seq><rdf:li>{issuer}</rdf:li></rdf:Seq></dc:creator>\n\
         <dc:identifier>{id}</dc:identifier>\n\
         <pdf:Keywords>{id}</pdf:Keywords>\n\
         <pdf:Producer>eseal</pdf:Producer>\n\
         <xmp:CreateDate>{created}</xmp:CreateDate>\n\
         <xmp:CreatorTool>eseal licence</xmp:CreatorTool>\n",
        issuer = xml_escape(&c.issuer_name),
    );
    for (name, key) in PROPERTIES {
        let value = if key == "issued_on" {
            iso_date(c.issued_on)
        } else {
            c.value(key).unwrap_or_default()
        };
        s.push_str(&format!(
            "<eseal:{name}>{}</eseal:{name}>\n",
            xml_escape(&value)
        ));
    }
    s.push_str("</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
    s
}

fn iso_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn xml_escape(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

fn xml_unescape(s: &str) -> String {
    html_escape::decode_html_entities(s).into_owned()
}

/// The text of the first `<eseal:NAME>` element.
fn xmp_property(xmp: &str, name: &str) -> Option<String> {
    let open = format!("<eseal:{name}>");
    let close = format!("</eseal:{name}>");
    let start = xmp.find(&open)? + open.len();
    let end = start + xmp[start..].find(&close)?;
    Some(xml_unescape(xmp[start..end].trim()))
}

/// The XMP packet of the newest revision `reader` sees, as text (empty when there is none).
fn xmp_text<R: Read + Seek>(reader: &mut PdfReader<R>) -> Result<String> {
    let catalog = reader.catalog()?;
    let metadata = catalog
        .get("Metadata")
        .map(|m| reader.resolve(m))
        .transpose()?;
    let Some(Object::Stream(s)) = metadata else {
        return Ok(String::new());
    };
    let data = reader.stream_decoded(&s)?;
    if data.len() > MAX_XMP {
        return Err(licence_error("the XMP metadata is larger than 1 MiB"));
    }
    Ok(String::from_utf8_lossy(&data).into_owned())
}

/// Reads the licence record, the verify URL and the annotation of a licence file.
///
/// In a sealed file the record is read as the issuer sealed it (the first signature's
/// revision): metadata updates appended later do not break seals, so they must not change what
/// the licence says. The QR URL and the annotation are read from the newest revision; the
/// annotation record is covered by the annotation's own signature.
pub fn read_info<R: Read + Seek>(input: R) -> Result<LicenceInfo> {
    // One reader of the whole file, and one of the sealed prefix sharing its budget (the same
    // bytes at the same offsets): a hostile file costs one budget, not one per reading.
    let budget = Budget::default();
    let mut reader = PdfReader::open_with_budget(input, budget.clone())?;
    let sealed_end = match first_signed_end(&mut reader) {
        Ok(end) if end < reader.file_len() => Some(end),
        _ => None,
    };
    let xmp = match sealed_end {
        Some(end) => {
            if end > MAX_SEALED_PREFIX {
                return Err(licence_error("the sealed licence is larger than 256 MiB"));
            }
            // The reader seeks before each read, so borrowing its file in between is harmless.
            let file = reader.source_mut();
            file.seek(SeekFrom::Start(0))?;
            let mut prefix = Vec::with_capacity(end as usize);
            file.take(end).read_to_end(&mut prefix)?;
            let mut sealed = PdfReader::open_with_budget(std::io::Cursor::new(prefix), budget)?;
            xmp_text(&mut sealed)?
        }
        None => xmp_text(&mut reader)?,
    };
    let get = |name: &str| xmp_property(&xmp, name).unwrap_or_default();
    let id_text = get("Identifier");
    if id_text.is_empty() {
        return Err(licence_error(
            "the file carries no licence record (no eseal:Identifier in its XMP metadata)",
        ));
    }
    let identifier = LicenceIdentifier::parse(&id_text)
        .map_err(|e| licence_error(format!("the licence identifier in the file: {e}")))?;

    let mut qr_url = None;
    let mut annotation = None;
    for field in reader.form_fields()? {
        if field.full_name == QR_FIELD {
            if let Some(v) = &field.value {
                if let Object::String(s) = reader.resolve(v)? {
                    qr_url = Some(decode_text_string(&s));
                }
            }
        } else if field.full_name == ANNOTATION_FIELD && field.is_signature() {
            if let Some(v) = &field.value {
                if let Object::Dict(sig) = reader.resolve(v)? {
                    if let Some(record) = sig.get(ANNOTATION_KEY) {
                        let record = reader.resolve(record)?;
                        let d = record.as_dict().ok_or_else(|| {
                            licence_error(format!("/{ANNOTATION_KEY} is not a dictionary"))
                        })?;
                        annotation = Some(Annotation::from_dict(d)?);
                    }
                }
            }
        }
    }
    Ok(LicenceInfo {
        identifier,
        type_code: get("TypeCode"),
        type_name: get("TypeName"),
        issuer_name: get("IssuerName"),
        issuer_code: get("IssuerCode"),
        holder_name: get("HolderName"),
        holder_code: get("HolderCode"),
        issued_on: get("IssuedOn"),
        qr_url,
        annotation,
    })
}

/// The end of the first signature's revision: the smallest end of a signed `/ByteRange`.
fn first_signed_end<R: Read + Seek>(reader: &mut PdfReader<R>) -> Result<u64> {
    let mut first: Option<u64> = None;
    for field in reader.form_fields()? {
        if !field.is_signature() || !field.has_value() {
            continue;
        }
        let Some(v) = &field.value else { continue };
        let Object::Dict(sig) = reader.resolve(v)? else {
            continue;
        };
        let Some(br) = sig
            .get("ByteRange")
            .map(|b| reader.resolve(b))
            .transpose()?
        else {
            continue;
        };
        let nums: Vec<i64> = br
            .as_array()
            .map(|a| a.iter().filter_map(Object::as_i64).collect())
            .unwrap_or_default();
        let [_, _, c, d] = nums[..] else {
            return Err(licence_error(format!(
                "signature field '{}' has a malformed /ByteRange",
                field.full_name
            )));
        };
        let end = c.checked_add(d).filter(|e| *e > 0 && c >= 0 && d >= 0);
        let Some(end) = end else {
            return Err(licence_error(format!(
                "signature field '{}' has a malformed /ByteRange",
                field.full_name
            )));
        };
        first = Some(first.map_or(end as u64, |f| f.min(end as u64)));
    }
    first.ok_or_else(|| licence_error("the file carries no seal"))
}

/// The SHA-256 of the issuer-sealed file (every byte up to the end of the first signature's
/// revision), its first 16 bytes in base64url without padding: 22 characters for the verify
/// URL, and the same for any later revision of that file (a filled QR code, an annotated copy).
pub fn sealed_digest<R: Read + Seek>(mut input: R) -> Result<String> {
    let end = {
        let mut reader = PdfReader::open(&mut input)?;
        let end = first_signed_end(&mut reader)?;
        if end > reader.file_len() {
            return Err(licence_error(
                "the first signature covers more than the file",
            ));
        }
        end
    };
    input.seek(SeekFrom::Start(0))?;
    let mut h = Sha256::new();
    let mut limited = input.take(end);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = limited.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(base64url(&h.finalize()[..DIGEST_BYTES]))
}

/// Base64 with the URL- and file-safe alphabet (RFC 4648 §5), without padding.
pub(crate) fn base64url(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648_vectors_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn xmp_values_are_escaped_and_read_back() {
        let xmp = "<eseal:HolderName>A &amp; B &lt;C&gt;</eseal:HolderName>";
        assert_eq!(xmp_property(xmp, "HolderName").unwrap(), "A & B <C>");
        assert_eq!(xmp_property(xmp, "Missing"), None);
        assert_eq!(xml_escape("A & B <C>"), "A &amp; B &lt;C&gt;");
    }
}
