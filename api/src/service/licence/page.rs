//! The public scan-to-verify page (亮证扫码核验): what the QR code opens, without a key. One
//! column, large type, no external assets, readable on a phone. It shows the licence's
//! status, issuer, the holder masked, the seals of the stored file and their verdicts,
//! whether the QR code's digest is the current version's, and a form to upload the file one
//! was shown and compare it. The same facts as JSON with `Accept: application/json`.

use serde::Serialize;
use utoipa::ToSchema;

use super::holder::{mask_code, mask_name};
use super::VersionStatus;
use crate::service::db::rfc3339;
use crate::service::store::licences::FileStatus;
use crate::service::store::text_enum;

text_enum! {
    /// What an uploaded file is, next to the version of the page.
    pub enum Outcome {
        /// This version as the issuer sealed it (perhaps with allowed additions).
        Same = "same",
        /// Another version or licence, or this one altered.
        Different = "different",
        /// Not a licence sealed by this service.
        NotOurs = "not-ours",
    }
}

/// One seal of the stored file and its verdict.
#[derive(Serialize, ToSchema, Clone)]
pub struct SealLine {
    pub seal_name: String,
    pub signer: Option<String>,
    /// TOTAL-PASSED, INDETERMINATE or TOTAL-FAILED.
    pub indication: String,
    pub signing_time: Option<String>,
    pub reasons: Vec<String>,
}

/// What the uploaded file turned out to be.
#[derive(Serialize, ToSchema, Clone)]
pub struct Comparison {
    /// same, different or not-ours.
    #[schema(value_type = String)]
    pub result: Outcome,
    pub message: String,
}

/// Everything the page shows.
#[derive(Serialize, ToSchema)]
pub struct PageFacts {
    pub identifier: String,
    pub licence_type: String,
    pub version: i64,
    /// current, superseded, corrected, replaced or cancelled.
    #[schema(value_type = String)]
    pub status: FileStatus,
    pub valid: bool,
    pub message: String,
    pub issuer: String,
    pub issuer_code: Option<String>,
    /// Masked: 张*明.
    pub holder_name: String,
    /// Masked: 9135************43.
    pub holder_code: String,
    pub issued_at: String,
    /// Whether the QR code's digest (`d=`) is this version's; absent without `d`.
    pub digest_matches: Option<bool>,
    pub seals: Vec<SealLine>,
    pub comparison: Option<Comparison>,
    /// For a presentation code (亮证): when the code expires.
    pub presentation_expires_at: Option<String>,
}

impl PageFacts {
    pub fn new(s: &VersionStatus, digest: Option<&str>, seals: Vec<SealLine>) -> PageFacts {
        PageFacts {
            identifier: s.identifier.clone(),
            licence_type: s.type_name.clone(),
            version: s.version,
            valid: s.status == FileStatus::Current,
            status: s.status,
            message: s.message.clone(),
            issuer: s.issuer_name.clone(),
            issuer_code: s.issuer_code.clone(),
            holder_name: mask_name(&s.holder_name),
            holder_code: mask_code(&s.holder_code),
            issued_at: rfc3339(s.issued_at),
            digest_matches: digest.map(|d| d == s.sealed_digest),
            seals,
            comparison: None,
            presentation_expires_at: None,
        }
    }
}

/// HTML text escaping for element content and quoted attributes.
pub fn esc(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

const STYLE: &str = "body{margin:0;font-family:system-ui,-apple-system,'Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif;font-size:18px;line-height:1.5;color:#1b1b1b;background:#f4f5f7}\
main{max-width:36rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.2rem 0 1rem}\
.status{border-radius:.6rem;padding:1rem;margin-bottom:1rem;color:#fff;font-size:1.3rem;font-weight:700}\
.ok{background:#17692c}.warn{background:#a15c00}.bad{background:#b3261e}\
.status p{font-size:1rem;font-weight:400;margin:.4rem 0 0}\
section{background:#fff;border-radius:.6rem;padding:1rem;margin-bottom:1rem}\
dl{margin:0}dt{color:#555;font-size:.9rem;margin-top:.6rem}dd{margin:0;font-size:1.1rem;word-break:break-all}\
h2{font-size:1.1rem;margin:0 0 .5rem}.seal{border-top:1px solid #ddd;padding:.5rem 0}\
.pass{color:#17692c;font-weight:700}.fail{color:#b3261e;font-weight:700}.ind{color:#a15c00;font-weight:700}\
input[type=file]{font-size:1rem;width:100%;margin:.5rem 0}button{font-size:1.1rem;padding:.7rem 1.2rem;border:0;border-radius:.4rem;background:#0b4f9c;color:#fff;width:100%}\
footer{color:#666;font-size:.85rem;text-align:center;padding:1rem}";

fn verdict_class(ind: &str) -> &'static str {
    match ind {
        "TOTAL-PASSED" => "pass",
        "TOTAL-FAILED" => "fail",
        _ => "ind",
    }
}

fn verdict_words(ind: &str) -> &'static str {
    match ind {
        "TOTAL-PASSED" => "valid 有效",
        "TOTAL-FAILED" => "invalid 无效",
        _ => "cannot be confirmed 无法确认",
    }
}

/// The page. `form_action` is where the upload form posts (the page's own path and query).
pub fn render(f: &PageFacts, form_action: &str) -> String {
    let mut h = String::with_capacity(8192);
    h.push_str("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.push_str("<title>证照核验 Licence verification</title><style>");
    h.push_str(STYLE);
    h.push_str("</style></head><body><main>");
    h.push_str("<h1>证照核验 Licence verification</h1>");
    h.push_str(&status_banner(f));
    if let Some(c) = &f.comparison {
        h.push_str(&comparison_banner(c));
    }
    if let Some(m) = f.digest_matches {
        h.push_str(&digest_section(m));
    }
    if let Some(e) = &f.presentation_expires_at {
        h.push_str(&format!(
            "<section id=\"presentation\">Shown by the holder (亮证); this code expires at {}.</section>",
            esc(e)
        ));
    }
    h.push_str(&licence_section(f));
    h.push_str(&seals_section(&f.seals));
    h.push_str(&format!(
        "<section><h2>Compare a file 比对文件</h2><p>Upload the PDF you were shown to check it is this licence.</p>\
         <form method=\"post\" enctype=\"multipart/form-data\" action=\"{}\">\
         <input type=\"file\" name=\"file\" accept=\"application/pdf\"><button type=\"submit\">Compare 比对</button></form></section>",
        esc(form_action)
    ));
    h.push_str("<footer>eseal · electronic licence verification</footer></main></body></html>");
    h
}

/// The coloured banner of the version's status and its message.
fn status_banner(f: &PageFacts) -> String {
    let (class, head) = match f.status {
        FileStatus::Current => ("ok", "Valid licence 证照有效"),
        FileStatus::Cancelled => ("bad", "Cancelled 已注销"),
        FileStatus::Superseded => ("warn", "Superseded 已变更"),
        FileStatus::Corrected => ("warn", "Corrected 已更正"),
        FileStatus::Replaced => ("warn", "Replaced 已换证"),
    };
    banner(
        class,
        ("status", "status"),
        f.status.as_str(),
        head,
        &f.message,
    )
}

/// A coloured banner: its element id, a data attribute holding `value`, a heading and a
/// message.
fn banner(class: &str, (id, attr): (&str, &str), value: &str, head: &str, message: &str) -> String {
    format!(
        "<div class=\"status {class}\" id=\"{id}\" data-{attr}=\"{}\">{head}<p>{}</p></div>",
        esc(value),
        esc(message)
    )
}

/// The banner of an uploaded file's comparison.
fn comparison_banner(c: &Comparison) -> String {
    let (cls, head) = match c.result {
        Outcome::Same => ("ok", "Same file 文件一致"),
        Outcome::Different => ("warn", "Different file 文件不一致"),
        Outcome::NotOurs => ("bad", "Not sealed by us 非本平台签发"),
    };
    banner(
        cls,
        ("comparison", "result"),
        c.result.as_str(),
        head,
        &c.message,
    )
}

/// Whether the QR code's digest is this version's.
fn digest_section(matches: bool) -> String {
    let (cls, text) = if matches {
        (
            "pass",
            "The QR code matches this version's sealed file. 二维码与本版本文件一致。",
        )
    } else {
        (
            "fail",
            "The QR code does not match this version's sealed file. 二维码与本版本文件不一致。",
        )
    };
    format!("<section id=\"digest\"><span class=\"{cls}\">{text}</span></section>")
}

/// The licence's facts, the holder masked.
fn licence_section(f: &PageFacts) -> String {
    let mut h = String::from("<section><h2>Licence 证照</h2><dl>");
    let mut row = |k: &str, v: &str| {
        h.push_str(&format!("<dt>{k}</dt><dd>{}</dd>", esc(v)));
    };
    row("Type 证照类型", &f.licence_type);
    row("Identifier 证照标识", &f.identifier);
    row("Version 版本", &format!("{:03}", f.version));
    row(
        "Issuer 发证机关",
        &match &f.issuer_code {
            Some(c) => format!("{} ({c})", f.issuer),
            None => f.issuer.clone(),
        },
    );
    row("Holder 持证主体", &f.holder_name);
    row("Holder code 主体代码", &f.holder_code);
    row("Issued 签发时间", &f.issued_at);
    h.push_str("</dl></section>");
    h
}

/// The seals of the stored file and their verdicts.
fn seals_section(seals: &[SealLine]) -> String {
    let mut h = String::from("<section id=\"seals\"><h2>Seals 电子印章</h2>");
    if seals.is_empty() {
        h.push_str("<p class=\"fail\">The stored file carries no seal.</p>");
    }
    for s in seals {
        h.push_str(&format!(
            "<div class=\"seal\"><div>{}</div><div class=\"{}\">{} ({})</div>",
            esc(&s.seal_name),
            verdict_class(&s.indication),
            verdict_words(&s.indication),
            esc(&s.indication)
        ));
        for line in s.signer.iter().chain(&s.signing_time).chain(&s.reasons) {
            h.push_str(&format!("<div>{}</div>", esc(line)));
        }
        h.push_str("</div>");
    }
    h.push_str("</section>");
    h
}

/// The page for an identifier nobody issued, or an expired presentation code.
pub fn message_page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><style>{STYLE}</style></head>\
         <body><main><h1>证照核验 Licence verification</h1><div class=\"status bad\" id=\"status\">{t}<p>{x}</p></div></main></body></html>",
        t = esc(title),
        x = esc(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: FileStatus) -> VersionStatus {
        VersionStatus {
            licence_id: "lic_1".into(),
            identifier: "1.2.156.3005.2.X".into(),
            version: 1,
            current_version: 1,
            status: s,
            message: "This licence is valid <b>".into(),
            type_name: "营业执照".into(),
            issuer_name: "Fuzhou Market Regulation Bureau".into(),
            issuer_code: Some("91350100M000100Y43".into()),
            holder_name: "张三明".into(),
            holder_code: "91350100M000100Y43".into(),
            sealed_digest: "abc".into(),
            issued_at: 0,
        }
    }

    #[test]
    fn page_masks_the_holder_and_escapes_text() {
        let f = PageFacts::new(&status(FileStatus::Current), Some("abc"), vec![]);
        let h = render(&f, "/v/x?d=abc");
        assert!(h.contains("张*明") && !h.contains("张三明"));
        assert!(h.contains("9135************43"));
        assert!(h.contains("&lt;b&gt;") && !h.contains("valid <b>"));
        assert!(h.contains("name=\"viewport\""));
        assert!(h.contains("QR code matches"));
        assert!(!h.contains("http"), "no external assets");
    }

    #[test]
    fn outcomes_are_their_texts() {
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), *o);
        }
        assert_eq!(Outcome::NotOurs.as_str(), "not-ours");
    }

    #[test]
    fn cancelled_and_mismatch_are_plain() {
        let f = PageFacts::new(&status(FileStatus::Cancelled), Some("other"), vec![]);
        assert!(!f.valid && f.digest_matches == Some(false));
        let h = render(&f, "/v/x");
        assert!(h.contains("Cancelled") && h.contains("does not match"));
    }
}
