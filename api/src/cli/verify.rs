//! `eseal verify`: checks every signature of a PDF and prints a report (JSON schema
//! `eseal-verify/1`, text or HTML). Exit 0 when every signature is TOTAL-PASSED, 1 when any is
//! not (or there is none), 2 on usage errors, unreadable input, or input too costly to read (a
//! decompression bomb; the message names the limit).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use clap::{Args, ValueEnum};
use eseal_pdf::licence::AnnotatedCopyCheck;
use eseal_pdf::verify::{verify_file, OcspFetch, OnlineFetch, Report, TrustAnchor, VerifyOptions};

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
    #[command(flatten)]
    validation: ValidationArgs,
}

/// What every verification takes besides its input: trust (roots, and trusted lists of other
/// regions), revocation evidence, the time and the report's form (shared by `verify` and
/// `verify-file`).
#[derive(Args)]
pub struct ValidationArgs {
    /// Trust anchors (root certificates, PEM or DER); may be repeated.
    #[arg(long, required_unless_present = "trust_list")]
    trust: Vec<PathBuf>,
    /// An ETSI TS 119 612 trusted list (XML) of another region: its active CA services join
    /// the trust anchors, named in the report by provider, service and the list's territory.
    /// May be repeated; each needs its --trust-list-signer.
    #[arg(long, value_name = "XML")]
    trust_list: Vec<PathBuf>,
    /// The certificate (PEM or DER) pinned to have signed the --trust-list at the same
    /// position; a list signed otherwise, changed, or out of date is refused (exit 2).
    #[arg(long, value_name = "PEM")]
    trust_list_signer: Vec<PathBuf>,
    /// Intermediate CA certificates for path building (e.g. PREFIX.chain.pem); may be repeated.
    /// Certificates in the file or signature are used too.
    #[arg(long)]
    chain: Vec<PathBuf>,
    /// CRL files (PEM or DER); may be repeated. CRLs in the file are used too.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// OCSP response files (DER); may be repeated. Responses in the file (DSS) are used too.
    #[arg(long)]
    ocsp: Vec<PathBuf>,
    /// Ask the OCSP responder named in a certificate (AIA) when its URL starts with this;
    /// may be repeated. Without it (or --online) nothing is fetched.
    #[arg(long)]
    ocsp_fetch: Vec<String>,
    /// Fetch what revocation evidence is missing from the certificates' own URLs: their OCSP
    /// responders (AIA), else their CRL distribution points, over http or https. Answers are
    /// checked like any other evidence and kept in $XDG_CACHE_HOME/eseal/revocation/ until
    /// their nextUpdate. Without it nothing is fetched.
    #[arg(long)]
    online: bool,
    /// Seconds each --online request may take.
    #[arg(long, value_name = "SECS", default_value_t = 10, requires = "online")]
    fetch_timeout: u64,
    /// Extra TLS root certificates (PEM) for https fetches, besides the built-in Mozilla
    /// roots; may be repeated.
    #[arg(long, value_name = "PEM", requires = "online")]
    ca_bundle: Vec<PathBuf>,
    /// With --online, neither read nor keep cached answers.
    #[arg(long, requires = "online")]
    no_cache: bool,
    /// Decoded stream bytes one document may produce in all, in MiB; a file that needs more
    /// (a decompression bomb) is refused with exit 2 instead of being judged in part.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    max_decoded_mib: u64,
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

impl ValidationArgs {
    /// The verifier's options: anchors, intermediates, CRLs, OCSP and the time read from files.
    pub(super) fn options(&self, file_name: String) -> Result<VerifyOptions, Failure> {
        let (ocsp_responses, ocsp_fetch) = ocsp_options(&self.ocsp, &self.ocsp_fetch)?;
        let online = self.online_fetch()?;
        let at = self.at.as_deref().map(super::pki::parse_time).transpose()?;
        let mut trust_anchors: Vec<TrustAnchor> = super::pki::read_all_certs(&self.trust)?
            .into_iter()
            .map(TrustAnchor::from)
            .collect();
        // A list is judged fresh at the time paths are validated at.
        trust_anchors.extend(super::trust_list::listed_anchors(
            &self.trust_list,
            &self.trust_list_signer,
            at.unwrap_or_else(SystemTime::now),
        )?);
        Ok(VerifyOptions {
            trust_anchors,
            intermediates: super::pki::read_all_certs(&self.chain)?,
            crls: super::pki::read_all_crls(&self.crl)?,
            ocsp_responses,
            ocsp_fetch,
            online,
            at,
            file_name: Some(file_name),
            decoded_bytes: Some(self.max_decoded_mib.saturating_mul(1024 * 1024)),
            // The reader's defaults: sized so that real documents pass.
            xref_entries: None,
            objects: None,
            extensions: vec![Arc::new(AnnotatedCopyCheck)],
        })
    }

    /// The `--online` fetcher, or `None`.
    fn online_fetch(&self) -> Result<Option<OnlineFetch>, Failure> {
        if !self.online {
            return Ok(None);
        }
        if self.fetch_timeout == 0 {
            return Err(Failure::input("--fetch-timeout: give at least 1 second"));
        }
        let mut roots = Vec::new();
        for p in &self.ca_bundle {
            roots.push(
                std::fs::read(p).map_err(|e| Failure::input(format!("{}: {e}", p.display())))?,
            );
        }
        let cache = if self.no_cache {
            None
        } else {
            super::fetch::Cache::default_dir().map(super::fetch::Cache::new)
        };
        let fetch = super::fetch::online(
            std::time::Duration::from_secs(self.fetch_timeout),
            &roots,
            cache,
        )
        .map_err(|e| Failure::input(format!("--ca-bundle: {e}")))?;
        Ok(Some(fetch))
    }

    /// Prints (or writes) the report and turns its verdict into the exit code.
    pub(super) fn print(&self, report: &Report, shown: &str) -> CliResult {
        print_report(report, self.format, self.out.as_deref(), shown)
    }
}

/// OCSP responses from files, and a fetcher limited to the allowed URL prefixes.
pub(super) fn ocsp_options(
    files: &[PathBuf],
    allowed: &[String],
) -> Result<(Vec<Vec<u8>>, Option<OcspFetch>), Failure> {
    let mut responses = Vec::new();
    for p in files {
        let der = std::fs::read(p).map_err(|e| Failure::input(format!("{}: {e}", p.display())))?;
        eseal_certs::ocsp::ParsedResponse::from_der(&der)
            .map_err(|e| Failure::input(format!("{}: {e}", p.display())))?;
        responses.push(der);
    }
    for url in allowed {
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(Failure::input(format!(
                "--ocsp-fetch '{url}': only http:// and https:// responder URLs are supported"
            )));
        }
    }
    let fetch = (!allowed.is_empty()).then(|| OcspFetch {
        allowed_urls: allowed.to_vec(),
        fetch: Arc::new(|url: &str, request: &[u8]| {
            super::net::post(url, "application/ocsp-request", request).map_err(|e| e.to_string())
        }),
    });
    Ok((responses, fetch))
}

/// Print or write the report; exit 0 only when it passed.
pub(super) fn print_report(
    report: &Report,
    format: ReportFormat,
    out: Option<&Path>,
    shown: &str,
) -> CliResult {
    let text = match format {
        ReportFormat::Json => report.to_json() + "\n",
        ReportFormat::Text => report.to_text(),
        ReportFormat::Html => report.to_html(),
    };
    match out {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| Failure::input(format!("{}: {e}", p.display())))?
        }
        None => print!("{text}"),
    }
    if report.passed() {
        Ok(())
    } else if report.signatures.is_empty() {
        Err(Failure::invalid(format!(
            "{shown}: {}",
            report.verdict.summary
        )))
    } else {
        Err(Failure::invalid(format!(
            "{shown}: not valid: {}",
            report.verdict.summary
        )))
    }
}

pub fn run(a: VerifyArgs) -> CliResult {
    let shown = a.input.display().to_string();
    let opts = a.validation.options(shown.clone())?;
    let report =
        verify_file(&a.input, &opts).map_err(|e| Failure::input(format!("{shown}: {e}")))?;
    a.validation.print(&report, &shown)
}
