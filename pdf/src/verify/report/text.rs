//! The report as plain text for a terminal.

use std::fmt::Write;

use super::{
    AnchorFacts, CertificateFacts, Coverage, Report, SealFacts, SignatureReport, Signer,
    TimestampFacts,
};

pub(super) fn render(r: &Report) -> String {
    let mut out = String::new();
    let name = r.file.name.as_deref().unwrap_or("(input)");
    let _ = writeln!(
        out,
        "{name}: {} ({} bytes, {} revision(s))",
        r.verdict.indication.as_str(),
        r.file.length,
        r.file.revisions
    );
    let _ = writeln!(out, "  {}", r.verdict.summary);
    for p in &r.document_problems {
        let _ = writeln!(out, "  document problem: {p}");
    }
    for e in &r.extensions {
        let _ = writeln!(out, "  {}", e.line);
    }
    for s in &r.signatures {
        signature(&mut out, s);
    }
    let _ = writeln!(
        out,
        "verified at {} (paths validated at {})",
        r.verified_at, r.validation_time
    );
    out
}

fn signature(out: &mut String, s: &SignatureReport) {
    heading(out, s);
    for r in &s.reasons {
        let _ = writeln!(out, "  ✗ {r}");
    }
    for w in &s.warnings {
        let _ = writeln!(out, "  ! {w}");
    }
    let _ = writeln!(out, "  seal name:    {}", s.seal_name);
    if let Some(signer) = &s.signer {
        signer_lines(out, signer);
    }
    if let Some(seal) = &s.seal {
        seal_lines(out, seal);
    }
    if let Some(t) = &s.signing_time {
        let _ = writeln!(out, "  signing time: {} ({})", t.time, t.source);
    }
    if let Some(l) = &s.level {
        let _ = writeln!(out, "  PAdES level:  {}", l.name().to_uppercase());
    }
    coverage_line(out, &s.coverage);
    if let Some(a) = &s.trust_anchor {
        let _ = writeln!(out, "  trust anchor: {}", anchor_text(a));
    }
    evidence_lines(out, &s.chain, &s.timestamps);
    change_lines(out, s);
}

/// `#n field 'name' (kind, DocMDP P=n): INDICATION / SUB-INDICATION`.
fn heading(out: &mut String, s: &SignatureReport) {
    let sub = s.sub_indication.map(|x| format!(" / {}", x.as_str()));
    let _ = writeln!(
        out,
        "\n#{} field '{}' ({:?}{}): {}{}",
        s.index + 1,
        s.field,
        s.kind,
        s.certification_level
            .map(|p| format!(", DocMDP P={p}"))
            .unwrap_or_default(),
        s.indication.as_str(),
        sub.unwrap_or_default()
    );
}

fn signer_lines(out: &mut String, signer: &Signer) {
    let _ = writeln!(
        out,
        "  signer:       {}",
        signer.common_name.as_deref().unwrap_or(&signer.subject)
    );
    if let Some(o) = &signer.organization {
        let _ = writeln!(out, "  organisation: {o}");
    }
    if let Some(u) = &signer.uscc {
        let _ = writeln!(out, "  USCC:         {u}");
    }
}

/// The GB/T 38540 seal and each step of its check.
fn seal_lines(out: &mut String, seal: &SealFacts) {
    let _ = writeln!(
        out,
        "  seal:         {} ({}), id {}",
        seal.name, seal.seal_type, seal.id
    );
    if let Some(o) = &seal.owner {
        let _ = writeln!(out, "  seal owner:   {o}");
    }
    if let Some(m) = &seal.maker {
        let _ = writeln!(out, "  seal maker:   {m}");
    }
    let _ = writeln!(
        out,
        "  seal valid:   {} to {}",
        seal.valid_from, seal.valid_until
    );
    for (step, result) in &seal.checks {
        let _ = writeln!(out, "  seal check:   {step}: {result}");
    }
}

fn coverage_line(out: &mut String, c: &Coverage) {
    let _ = writeln!(
        out,
        "  coverage:     {}{}",
        match c.revision {
            Some(r) => format!("revision {r}"),
            None => "no revision".to_string(),
        },
        if c.covers_whole_file {
            ", the whole file".to_string()
        } else {
            format!(", {} bytes after it", c.bytes_after)
        }
    );
}

/// The certificate path and the timestamps, a line each.
fn evidence_lines(out: &mut String, chain: &[CertificateFacts], timestamps: &[TimestampFacts]) {
    for (i, cert) in chain.iter().enumerate() {
        let _ = writeln!(
            out,
            "  chain[{i}]:     {} (serial {}, {})",
            cert.subject, cert.serial, cert.revocation
        );
    }
    for t in timestamps {
        let _ = writeln!(out, "  {}: {}", t.kind, timestamp_status(t));
    }
}

/// `label (region) — subject`, or the subject alone for an unnamed anchor; the HTML report
/// words it the same.
pub(super) fn anchor_text(a: &AnchorFacts) -> String {
    let region = a.region.as_deref().map(|r| format!(" ({r})"));
    match &a.label {
        Some(label) => format!("{label}{} — {}", region.unwrap_or_default(), a.subject),
        None => format!("{}{}", a.subject, region.unwrap_or_default()),
    }
}

/// A timestamp's status and the time it claims; the HTML report words it the same.
pub(super) fn timestamp_status(t: &TimestampFacts) -> String {
    format!(
        "{}{}",
        t.status,
        t.claimed_time
            .as_ref()
            .map(|x| format!(", claims {x}"))
            .unwrap_or_default()
    )
}

/// The changes after signing, allowed (with the rule that allows each) and disallowed.
fn change_lines(out: &mut String, s: &SignatureReport) {
    for ch in &s.allowed_changes {
        let _ = writeln!(
            out,
            "  allowed change (revision {}, {}): {}",
            ch.revision,
            ch.rule.as_deref().unwrap_or("-"),
            ch.description
        );
    }
    for ch in &s.disallowed_changes {
        let _ = writeln!(
            out,
            "  DISALLOWED change (revision {}): {}",
            ch.revision, ch.description
        );
    }
}
