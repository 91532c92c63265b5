//! The one place the service calls the licence PDF code (`eseal_pdf::licence`): rendering a
//! template, the issuer's certification options, the verify URL's digest, the QR fill, the
//! annotated copy's options, and the identifier. These are blocking calls: run them on the
//! blocking pool. The CJK font is found once per process (`ESEAL_CJK_FONT` or the system's).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::OnceLock;

use eseal_pdf::licence::{self as lic, Annotation, LicenceContent, LicenceIdentifier, Template};
use eseal_pdf::sign::{Appearance, SignOptions};
use eseal_signer::picture::FontSource;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::service::error::{ApiError, ApiResult};

/// A catalogue entry: a licence type and its template.
pub struct TypeDef {
    pub name: String,
    /// GB/T 36904 type code (21 characters: the definer's USCC and 3 digits).
    pub type_code: String,
    pub authority_name: String,
    pub authority_code: String,
    /// The template, as stored (JSON).
    pub template: String,
    /// The metadata fields the template shows.
    pub fields: Vec<String>,
}

/// The demo definer: the State Administration for Market Regulation's code as seen in real
/// identifiers (standards.md), with 032 for the business licence.
const DEMO_AUTHORITY_CODE: &str = "11100000000013338W";

/// The demo business licence (营业执照).
pub fn demo_type() -> ApiResult<TypeDef> {
    let t = Template::demo_business_licence();
    Ok(TypeDef {
        name: "营业执照".into(),
        type_code: format!("{DEMO_AUTHORITY_CODE}032"),
        authority_name: "State Administration for Market Regulation (demo)".into(),
        authority_code: DEMO_AUTHORITY_CODE.into(),
        fields: t.texts.iter().map(|s| s.key.clone()).collect(),
        template: serde_json::to_string(&t).map_err(ApiError::internal)?,
    })
}

fn font() -> ApiResult<&'static FontSource> {
    static FONT: OnceLock<Result<FontSource, String>> = OnceLock::new();
    FONT.get_or_init(|| FontSource::system_default().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| ApiError::Internal(format!("no CJK font for licences: {e}")))
}

fn pdf_err(e: eseal_pdf::Error) -> ApiError {
    match e {
        eseal_pdf::Error::Licence(m) => ApiError::Unprocessable(m),
        e => ApiError::Internal(format!("licence PDF: {e}")),
    }
}

/// The licence data a template places on the page.
pub struct Content<'a> {
    pub identifier: &'a str,
    pub type_code: &'a str,
    pub type_name: &'a str,
    pub issuer_name: &'a str,
    pub issuer_code: &'a str,
    pub holder_name: &'a str,
    pub holder_code: &'a str,
    pub fields: &'a Map<String, Value>,
}

/// An unsealed licence and the options of its issuer's certification seal.
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub template: Template,
}

pub fn parse_template(template: &str) -> ApiResult<Template> {
    serde_json::from_str(template)
        .map_err(|e| ApiError::Internal(format!("stored licence template: {e}")))
}

/// Renders a stored template with a licence's data (one page, prepared fields).
pub fn render(template: &str, c: &Content<'_>) -> ApiResult<Rendered> {
    let template = parse_template(template)?;
    let identifier = LicenceIdentifier::parse(c.identifier)
        .map_err(|e| ApiError::Internal(format!("identifier: {e}")))?;
    let fields: BTreeMap<String, String> = c
        .fields
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect();
    let content = LicenceContent {
        identifier,
        type_code: c.type_code.into(),
        type_name: c.type_name.into(),
        issuer_name: c.issuer_name.into(),
        issuer_code: c.issuer_code.into(),
        holder_name: c.holder_name.into(),
        holder_code: c.holder_code.into(),
        issued_on: OffsetDateTime::now_utc()
            .to_offset(lic::CHINA_OFFSET)
            .date(),
        fields,
        image: None,
    };
    let pdf = lic::render(&template, &content, font()?).map_err(pdf_err)?;
    Ok(Rendered { pdf, template })
}

/// The issuer's certification (DocMDP P=2) at the template's seal position.
pub fn issuer_options(template: &Template, appearance: Appearance, reason: String) -> SignOptions {
    let mut o = lic::issuer_sign_options(template, appearance);
    o.reason = Some(reason);
    o
}

/// base64url digest of the issuer-sealed prefix of `file`.
pub fn sealed_digest(file: &[u8]) -> ApiResult<String> {
    sealed_digest_of(Cursor::new(file))
}

/// The same, reading the file piecewise.
pub fn sealed_digest_of<R: std::io::Read + std::io::Seek>(r: R) -> ApiResult<String> {
    lic::sealed_digest(r).map_err(pdf_err)
}

/// Fills the sealed file's `licence-qr` field with the verify URL and its QR code.
pub fn fill_qr(sealed: &[u8], url: &str) -> ApiResult<Vec<u8>> {
    let mut out = Cursor::new(Vec::with_capacity(sealed.len() + 16 * 1024));
    lic::fill_qr(&mut Cursor::new(sealed), &mut out, url).map_err(pdf_err)?;
    Ok(out.into_inner())
}

/// The stamp of an annotated copy.
pub struct Stamp<'a> {
    pub purpose: &'a str,
    pub agency: &'a str,
    /// Unix seconds; the stamp shows the date in Beijing time.
    pub until: i64,
    pub copy_number: u32,
}

/// The options for the platform seal of an annotated copy (stamp and machine-readable record),
/// after checking the request the way the copy rules say (purpose length, expiry ahead and
/// within `max_days`).
pub fn annotation_options(s: &Stamp<'_>, max_days: u32) -> ApiResult<SignOptions> {
    let now = OffsetDateTime::now_utc();
    let until = OffsetDateTime::from_unix_timestamp(s.until)
        .map_err(|e| ApiError::BadRequest(format!("until: {e}")))?;
    let a = Annotation {
        purpose: s.purpose.into(),
        agency: s.agency.into(),
        expires_on: until.to_offset(lic::CHINA_OFFSET).date(),
        copy_number: s.copy_number,
        made_at: now,
    };
    a.check_new(now, max_days).map_err(pdf_err)?;
    lic::annotation_sign_options(&a, font()?).map_err(pdf_err)
}

/// The GB/T 36904 identifier `1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>`.
pub fn identifier(
    type_code: &str,
    issuer_code: &str,
    serial: &str,
    version: u32,
) -> ApiResult<String> {
    let v = u16::try_from(version).map_err(|_| ApiError::Conflict("too many versions".into()))?;
    LicenceIdentifier::new(type_code, issuer_code, serial, v)
        .map(|i| i.to_string())
        .map_err(|e| ApiError::Unprocessable(format!("licence identifier: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_type_code_is_21_characters_of_a_valid_definer() {
        let t = demo_type().unwrap();
        assert_eq!(t.type_code.len(), 21);
        eseal_certs::national_codes::validate_uscc(&t.authority_code).unwrap();
        parse_template(&t.template).unwrap();
        let id = identifier(&t.type_code, "91350100M000100Y43", "0000001", 1).unwrap();
        assert!(
            id.starts_with("1.2.156.3005.2.11100000000013338W032.91350100M000100Y43.0000001.001.")
        );
        assert_eq!(LicenceIdentifier::parse(&id).unwrap().version(), 1);
    }
}
