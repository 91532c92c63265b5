//! `eseal verify`: checks every signature of a PDF and prints a report (JSON schema
//! `eseal-verify/1`, text or HTML). Exit 0 when every signature is TOTAL-PASSED, 1 when any is
//! not (or there is none), 2 on usage errors or unreadable input.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use eseal_pdf::verify::{verify_file, VerifyOptions};

use super::{CliResult, Failure};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    Json,
    Text,
    Html,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The PDF to verify.
    input: PathBuf,
    /// Trust anchors (root certificates, PEM or DER); may be repeated.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// Intermediate CA certificates for path building (e.g. PREFIX.chain.pem); may be repeated.
    /// Certificates in the PDF are used too.
    #[arg(long)]
    chain: Vec<PathBuf>,
    /// CRL files (PEM or DER); may be repeated. CRLs in the PDF are used too.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Validate certificate paths at this time (RFC 3339 or YYYY-MM-DD) instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
    /// Write the report here instead of to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(a: VerifyArgs) -> CliResult {
    let anchors = super::pki::read_all_certs(&a.trust)?;
    let crls = super::pki::read_all_crls(&a.crl)?;
    let intermediates = super::pki::read_all_certs(&a.chain)?;
    let at = a.at.as_deref().map(super::pki::parse_time).transpose()?;
    let opts = VerifyOptions {
        trust_anchors: anchors,
        intermediates,
        crls,
        at,
        file_name: Some(a.input.display().to_string()),
    };
    let report = verify_file(&a.input, &opts)
        .map_err(|e| Failure::input(format!("{}: {e}", a.input.display())))?;
    let text = match a.format {
        ReportFormat::Json => report.to_json() + "\n",
        ReportFormat::Text => report.to_text(),
        ReportFormat::Html => report.to_html(),
    };
    match &a.out {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| Failure::input(format!("{}: {e}", p.display())))?
        }
        None => print!("{text}"),
    }
    if report.passed() {
        Ok(())
    } else if report.signatures.is_empty() {
        Err(Failure::invalid(format!(
            "{}: {}",
            a.input.display(),
            report.verdict.summary
        )))
    } else {
        Err(Failure::invalid(format!(
            "{}: not valid: {}",
            a.input.display(),
            report.verdict.summary
        )))
    }
}
