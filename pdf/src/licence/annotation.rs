//! Annotated copies (加注件): the platform's seal in the prepared [`ANNOTATION_FIELD`] with a
//! visible stamp (purpose, agency, expiry, copy number) and the same facts as a record in the
//! signature dictionary, `/ESealAnnotation << /Purpose /Agency /Expires /Copy /Made >>`, so that
//! readers and the verifier can tell when the copy stops being valid. The record sits in the
//! signed revision, so it is covered by the platform's signature.

use eseal_signer::picture::FontSource;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, UtcOffset};

use super::font::SubsetFont;
use super::{chinese_date, licence_error, ANNOTATION_FIELD};
use crate::object::{Dict, Object};
use crate::sign::{Appearance, AppearanceContent, SignOptions, SignatureTarget};
use crate::text::{decode_text_string, encode_text_string, format_pdf_date};
use crate::writer::serialize::format_real;
use crate::Result;

/// Key of the annotated-copy record in the signature dictionary.
pub const ANNOTATION_KEY: &str = "ESealAnnotation";
/// Licences are Chinese documents: an expiry date ends at midnight Beijing time.
pub const CHINA_OFFSET: UtcOffset = time::macros::offset!(+8);
/// Longest purpose accepted (the national platform's rule).
pub const MAX_PURPOSE_CHARS: usize = 200;
/// Stamp size in its own units (fitted into the field's rectangle).
const STAMP_W: f64 = 340.0;
const STAMP_H: f64 = 100.0;

/// What an annotated copy is for and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// The matter the copy may be used for (at most 200 characters).
    pub purpose: String,
    /// The relying agency the copy is made for.
    pub agency: String,
    /// Last day of validity (through 23:59:59 Beijing time).
    pub expires_on: Date,
    /// Which copy of the licence this is (1, 2, …).
    pub copy_number: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub made_at: OffsetDateTime,
}

impl Annotation {
    /// The last instant of validity: `expires_on` 23:59:59 at UTC+8.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_on
            .with_time(time::macros::time!(23:59:59))
            .assume_offset(CHINA_OFFSET)
    }

    /// Whether the copy has expired at `at`.
    pub fn is_expired_at(&self, at: OffsetDateTime) -> bool {
        at > self.expires_at()
    }

    /// Checks the request for a new copy: purpose and agency given, purpose at most 200
    /// characters, copy number from 1, expiry not in the past and at most `max_days` after `now`.
    pub fn check_new(&self, now: OffsetDateTime, max_days: u32) -> Result<()> {
        let purpose = self.purpose.trim();
        if purpose.is_empty() || self.agency.trim().is_empty() {
            return Err(licence_error(
                "an annotated copy needs a purpose and an agency",
            ));
        }
        if purpose.chars().count() > MAX_PURPOSE_CHARS {
            return Err(licence_error(format!(
                "the purpose has {} characters, at most {MAX_PURPOSE_CHARS} are allowed",
                purpose.chars().count()
            )));
        }
        if self.copy_number == 0 {
            return Err(licence_error("copy numbers start at 1"));
        }
        if self.is_expired_at(now) {
            return Err(licence_error(format!(
                "the expiry date {} is in the past",
                self.expires_on
            )));
        }
        let today = now.to_offset(CHINA_OFFSET).date();
        if (self.expires_on - today).whole_days() > i64::from(max_days) {
            return Err(licence_error(format!(
                "the expiry date {} is more than {max_days} days away",
                self.expires_on
            )));
        }
        Ok(())
    }

    /// Human text for the signature's `/Reason`.
    pub fn reason(&self) -> String {
        format!(
            "加注件第{}份：仅供{}用于{}，有效期至{}",
            self.copy_number,
            self.agency,
            self.purpose,
            chinese_date(self.expires_on)
        )
    }

    /// The machine-readable record for the signature dictionary.
    pub fn to_dict(&self) -> Dict {
        let text = |s: &str| Object::String(encode_text_string(s));
        Dict::new()
            .with("Type", Object::name(ANNOTATION_KEY))
            .with("Purpose", text(&self.purpose))
            .with("Agency", text(&self.agency))
            .with(
                "Expires",
                Object::String(format_pdf_date(self.expires_at()).into_bytes()),
            )
            .with("Copy", i64::from(self.copy_number))
            .with(
                "Made",
                Object::String(format_pdf_date(self.made_at).into_bytes()),
            )
    }

    /// Reads the record back; every entry is required.
    pub fn from_dict(d: &Dict) -> Result<Annotation> {
        let text = |key: &str| -> Result<String> {
            d.get(key)
                .and_then(Object::as_string)
                .map(decode_text_string)
                .ok_or_else(|| licence_error(format!("/{ANNOTATION_KEY} has no text /{key}")))
        };
        let date = |key: &str| -> Result<OffsetDateTime> {
            d.get(key)
                .and_then(Object::as_string)
                .and_then(crate::verify::time::parse_pdf_date)
                .map(OffsetDateTime::from)
                .ok_or_else(|| licence_error(format!("/{ANNOTATION_KEY} has no date /{key}")))
        };
        let copy = d
            .get("Copy")
            .and_then(Object::as_i64)
            .and_then(|c| u32::try_from(c).ok())
            .ok_or_else(|| licence_error(format!("/{ANNOTATION_KEY} has no /Copy number")))?;
        Ok(Annotation {
            purpose: text("Purpose")?,
            agency: text("Agency")?,
            expires_on: date("Expires")?.to_offset(CHINA_OFFSET).date(),
            copy_number: copy,
            made_at: date("Made")?,
        })
    }
}

/// The visible stamp of an annotated copy: a red frame with the copy number, purpose, agency,
/// expiry and making date as real text (extractable) in a subset of `font`.
pub fn annotation_appearance(a: &Annotation, font: &FontSource) -> Result<Appearance> {
    let mut f = SubsetFont::new(font)?;
    let mut ops = String::from("q 0.8 0 0 RG 0.8 0 0 rg 2 w 3 3 334 94 re S\n");
    let mut bytes = Vec::new();
    let mut line = |f: &mut SubsetFont<'_>, text: &str, size: f64, y: f64| -> Result<()> {
        let operand = f.encode(text)?;
        bytes.extend_from_slice(
            format!("BT /F1 {} Tf 12 {} Td ", format_real(size), format_real(y)).as_bytes(),
        );
        bytes.extend_from_slice(&operand);
        bytes.extend_from_slice(b" Tj ET\n");
        Ok(())
    };
    line(
        &mut f,
        &format!("加注件 · 第 {} 份", a.copy_number),
        16.0,
        76.0,
    )?;
    // The purpose may be long: two lines at most, the rest elided.
    let body = 11.0;
    let mut purpose = f.wrap(&format!("用途：{}", a.purpose), body, STAMP_W - 24.0)?;
    if purpose.len() > 2 {
        purpose.truncate(2);
        let last = &mut purpose[1];
        while f.width(&format!("{last}…"), body)? > STAMP_W - 24.0 && last.pop().is_some() {}
        last.push('…');
    }
    // Three or four body lines spread over the space under the title.
    let step = if purpose.len() > 1 { 13.5 } else { 17.0 };
    let mut y = 54.0;
    for p in &purpose {
        line(&mut f, p, body, y)?;
        y -= step;
    }
    let agency = f.wrap(&format!("使用机构：{}", a.agency), body, STAMP_W - 24.0)?;
    line(
        &mut f,
        agency.first().map(String::as_str).unwrap_or(""),
        body,
        y,
    )?;
    y -= step;
    let made = a.made_at.to_offset(CHINA_OFFSET).date();
    line(
        &mut f,
        &format!(
            "有效期至：{}　制作：{}",
            chinese_date(a.expires_on),
            chinese_date(made)
        ),
        body,
        y,
    )?;
    ops.push_str(std::str::from_utf8(&bytes).unwrap_or(""));
    ops.push_str("Q\n");
    let resources = Dict::new().with("Font", Dict::new().with("F1", f.finish()?));
    Ok(Appearance::Content(AppearanceContent {
        content: ops.into_bytes(),
        resources,
        width: STAMP_W,
        height: STAMP_H,
    }))
}

/// Options for the platform's seal of an annotated copy: into [`ANNOTATION_FIELD`], with the
/// stamp as appearance, the human `/Reason` and the `/ESealAnnotation` record.
pub fn annotation_sign_options(a: &Annotation, font: &FontSource) -> Result<SignOptions> {
    Ok(SignOptions {
        target: SignatureTarget::ExistingField(ANNOTATION_FIELD.into()),
        appearance: annotation_appearance(a, font)?,
        reason: Some(a.reason()),
        extra_entries: Dict::new().with(ANNOTATION_KEY, a.to_dict()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn sample() -> Annotation {
        Annotation {
            purpose: "办理银行开户".into(),
            agency: "某某银行".into(),
            expires_on: date!(2027 - 01 - 31),
            copy_number: 3,
            made_at: datetime!(2026-11-30 04:00:00 UTC),
        }
    }

    #[test]
    fn record_round_trips_through_the_signature_dictionary() {
        let a = sample();
        let back = Annotation::from_dict(&a.to_dict()).unwrap();
        assert_eq!(back, a);
        let mut d = a.to_dict();
        d.remove("Copy");
        assert!(Annotation::from_dict(&d)
            .unwrap_err()
            .to_string()
            .contains("Copy"));
    }

    #[test]
    fn expiry_ends_at_midnight_beijing_time() {
        let a = sample();
        assert!(!a.is_expired_at(datetime!(2027-01-31 15:59:59 UTC)));
        assert!(a.is_expired_at(datetime!(2027-01-31 16:00:00 UTC)));
    }

    #[test]
    fn new_copies_refuse_past_far_or_empty_requests() {
        let a = sample();
        let now = datetime!(2026-11-30 04:00:00 UTC);
        a.check_new(now, 90).unwrap();
        assert!(a
            .check_new(now, 30)
            .unwrap_err()
            .to_string()
            .contains("30 days"));
        assert!(a.check_new(datetime!(2027-02-01 00:00:00 UTC), 90).is_err());
        let mut long = sample();
        long.purpose = "事".repeat(201);
        assert!(long
            .check_new(now, 90)
            .unwrap_err()
            .to_string()
            .contains("200"));
        let mut zero = sample();
        zero.copy_number = 0;
        assert!(zero.check_new(now, 90).is_err());
    }
}
