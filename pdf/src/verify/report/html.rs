//! The report as one self-contained HTML page: inline CSS, no scripts, no external resources,
//! every text from the document escaped.

use std::fmt::Write;

use super::text::{anchor_text, timestamp_status};
use super::{
    CertificateFacts, Coverage, Indication, Report, SealFacts, SignatureReport, Signer,
    TimestampFacts,
};

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:60em}\
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}\
.PASSED{color:#17692c}.FAILED{color:#b00020}.INDETERMINATE{color:#a05a00}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;\
text-align:left;vertical-align:top}th{background:#f4f4f4}ul{margin:.25em 0}";

/// Escapes text for HTML element content and attribute values.
pub(super) fn escape(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

fn class(i: Indication) -> &'static str {
    match i {
        Indication::TotalPassed => "PASSED",
        Indication::TotalFailed => "FAILED",
        Indication::Indeterminate => "INDETERMINATE",
    }
}

pub(super) fn render(r: &Report) -> String {
    let mut o = String::new();
    let name = escape(r.file.name.as_deref().unwrap_or("(input)"));
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Signature report: {name}</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        o,
        "<h1>Signature report: {name}</h1><p class=\"{}\"><strong>{}</strong>: {}</p>",
        class(r.verdict.indication),
        r.verdict.indication.as_str(),
        escape(&r.verdict.summary)
    );
    let _ = write!(
        o,
        "<p>{} bytes, {} revision(s). Verified at {}; certificate paths validated at {}.</p>",
        r.file.length,
        r.file.revisions,
        escape(&r.verified_at),
        escape(&r.validation_time)
    );
    list(&mut o, "Document problems", &r.document_problems);
    for e in &r.extensions {
        let class = match e.passed {
            Some(true) => "PASSED",
            Some(false) => "FAILED",
            None => "",
        };
        let _ = write!(
            o,
            "<p id=\"{}\" class=\"{class}\"><strong>{}</strong></p>",
            escape(e.key),
            escape(&e.line)
        );
    }
    for s in &r.signatures {
        signature(&mut o, s);
    }
    o.push_str("</body></html>\n");
    o
}

fn list(o: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(o, "<p>{}:</p><ul>", escape(title));
    for i in items {
        let _ = write!(o, "<li>{}</li>", escape(i));
    }
    o.push_str("</ul>");
}

fn row(o: &mut String, k: &str, v: &str) {
    let _ = write!(o, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
}

fn signature(o: &mut String, s: &SignatureReport) {
    heading(o, s);
    list(o, "Why", &s.reasons);
    list(o, "Notes", &s.warnings);
    o.push_str("<table>");
    row(o, "Kind", &format!("{:?}", s.kind));
    if let Some(p) = s.certification_level {
        row(o, "Certification level (DocMDP P)", &p.to_string());
    }
    row(o, "Seal name", &s.seal_name);
    if let Some(signer) = &s.signer {
        signer_rows(o, signer);
    }
    if let Some(seal) = &s.seal {
        seal_rows(o, seal);
    }
    if let Some(t) = &s.signing_time {
        row(o, "Signing time", &format!("{} ({})", t.time, t.source));
    }
    if let Some(l) = &s.level {
        row(o, "PAdES level", &l.name().to_uppercase());
    }
    row(o, "Coverage", &coverage(&s.coverage));
    if let Some(a) = &s.trust_anchor {
        row(o, "Trust anchor", &anchor_text(a));
    }
    evidence_rows(o, &s.chain, &s.timestamps);
    o.push_str("</table>");
    change_lists(o, s);
}

/// `#n field INDICATION / SUB-INDICATION`.
fn heading(o: &mut String, s: &SignatureReport) {
    let sub = s
        .sub_indication
        .map(|x| format!(" / {}", x.as_str()))
        .unwrap_or_default();
    let _ = write!(
        o,
        "<h2>#{} {} <span class=\"{}\">{}{}</span></h2>",
        s.index + 1,
        escape(&s.field),
        class(s.indication),
        s.indication.as_str(),
        escape(&sub)
    );
}

fn signer_rows(o: &mut String, signer: &Signer) {
    row(o, "Signer", signer.common_name.as_deref().unwrap_or(""));
    row(
        o,
        "Organisation",
        signer.organization.as_deref().unwrap_or(""),
    );
    row(o, "USCC", signer.uscc.as_deref().unwrap_or(""));
    row(o, "Subject", &signer.subject);
}

/// The GB/T 38540 seal and each step of its check.
fn seal_rows(o: &mut String, seal: &SealFacts) {
    row(
        o,
        "Seal (GB/T 38540)",
        &format!("{} ({}), id {}", seal.name, seal.seal_type, seal.id),
    );
    row(
        o,
        "Seal owner",
        seal.owner.as_deref().unwrap_or("(not bound)"),
    );
    row(o, "Seal maker", seal.maker.as_deref().unwrap_or(""));
    row(
        o,
        "Seal valid",
        &format!("{} to {}", seal.valid_from, seal.valid_until),
    );
    for (step, result) in &seal.checks {
        row(o, &format!("Seal check: {step}"), result);
    }
}

fn coverage(c: &Coverage) -> String {
    format!(
        "byte range {:?}, revision {}, {}",
        c.byte_range.clone().unwrap_or_default(),
        c.revision.map_or("none".to_string(), |r| r.to_string()),
        if c.covers_whole_file {
            "covers the whole file".to_string()
        } else {
            format!("{} bytes after it", c.bytes_after)
        }
    )
}

/// The certificate path and the timestamps, a row each.
fn evidence_rows(o: &mut String, chain: &[CertificateFacts], timestamps: &[TimestampFacts]) {
    for (i, cert) in chain.iter().enumerate() {
        row(
            o,
            &format!("Chain [{i}]"),
            &format!(
                "{} — serial {} — {} to {} — {}",
                cert.subject, cert.serial, cert.not_before, cert.not_after, cert.revocation
            ),
        );
    }
    for t in timestamps {
        row(o, &t.kind, &timestamp_status(t));
    }
}

/// The changes after signing, allowed (with the rule that allows each) and disallowed.
fn change_lists(o: &mut String, s: &SignatureReport) {
    let allowed: Vec<String> = s
        .allowed_changes
        .iter()
        .map(|c| {
            format!(
                "revision {}: {} ({})",
                c.revision,
                c.description,
                c.rule.as_deref().unwrap_or("-")
            )
        })
        .collect();
    list(o, "Allowed changes after signing", &allowed);
    let bad: Vec<String> = s
        .disallowed_changes
        .iter()
        .map(|c| format!("revision {}: {}", c.revision, c.description))
        .collect();
    list(o, "Disallowed changes after signing", &bad);
}
