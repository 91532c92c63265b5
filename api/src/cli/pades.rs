//! PAdES levels from the command line: the RFC 3161 client that talks to a TSA over HTTP,
//! the B-LT / B-LTA steps after sealing, and `eseal archive` (a fresh DSS and document
//! timestamp on an archived file, before the last timestamp's TSA certificate expires).

use std::fs::File;
use std::io::Seek;
use std::path::PathBuf;

use clap::Args;
use eseal_certs::crl::crl_to_der;
use eseal_certs::{Certificate, DigestAlgorithm};
use eseal_pdf::pades::{
    add_document_timestamp, add_dss, embedded_material, Timestamper, ValidationData,
};
use eseal_pdf::sigdict::Level;
use eseal_signer::tsp::{Request, QUERY_CONTENT_TYPE};

use super::{net, CliResult, Failure};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A TSA reached over HTTP (RFC 3161 §3.4). Each answer must match its request (imprint,
/// nonce) and carry a TSA signature that verifies with a time-stamping certificate; the TSA's
/// path is left to the verifier, which holds the trust anchors.
pub struct HttpTsa {
    pub url: String,
}

impl Timestamper for HttpTsa {
    fn timestamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, BoxError> {
        let request = Request::new(algorithm, digest)?;
        let answer = net::post(&self.url, QUERY_CONTENT_TYPE, &request.to_der()?)?;
        let token = request
            .read_response(&answer)
            .map_err(|e| format!("{}: {e}", self.url))?;
        token
            .verify_signature(&[])
            .map_err(|e| format!("{}: {e}", self.url))?;
        Ok(token.der().to_vec())
    }
}

/// What B-LT embeds besides what the document carries.
pub struct ExtraValidationData {
    pub certificates: Vec<Certificate>,
    /// CRL files, DER or PEM.
    pub crl_files: Vec<PathBuf>,
    /// OCSP responders to ask about every certificate the document carries.
    pub ocsp_urls: Vec<String>,
}

/// Take a sealed file (B-B or B-T) to `level`: B-LT appends a DSS with every certificate the
/// signatures and timestamps carry, the extra certificates and the CRLs; B-LTA then appends a
/// document timestamp. Returns the final file, rewound.
pub fn extend(
    mut file: File,
    level: Level,
    tsa: Option<&HttpTsa>,
    extra: &ExtraValidationData,
) -> Result<File, Failure> {
    if level >= Level::BLT {
        file = with_dss(file, extra)?;
    }
    if level >= Level::BLTA {
        let tsa = tsa.ok_or_else(|| Failure::input("--level b-lta needs --tsa URL"))?;
        file = with_doc_timestamp(file, tsa)?;
    }
    file.rewind().map_err(temp_err)?;
    Ok(file)
}

fn with_dss(mut file: File, extra: &ExtraValidationData) -> Result<File, Failure> {
    file.rewind().map_err(temp_err)?;
    let embedded = embedded_material(&mut file).map_err(|e| Failure::input(format!("DSS: {e}")))?;
    let mut data = ValidationData::default();
    for c in embedded.certificates.iter().chain(&extra.certificates) {
        data.add_certificate(c)
            .map_err(|e| Failure::input(format!("DSS: {e}")))?;
    }
    // Each --crl is a file, or an http:// URL fetched now (a CA's CRL distribution point).
    let (urls, files): (Vec<&PathBuf>, Vec<&PathBuf>) = extra
        .crl_files
        .iter()
        .partition(|p| p.to_str().is_some_and(|s| s.starts_with("http://")));
    let files: Vec<PathBuf> = files.into_iter().cloned().collect();
    let mut crls = super::pki::read_all_crls(&files)?;
    for url in urls {
        let url = url.to_string_lossy();
        let body = net::get(&url)?;
        crls.extend(
            eseal_certs::crl::crls_from_bytes(&body)
                .map_err(|e| Failure::input(format!("{url}: {e}")))?,
        );
    }
    for crl in crls {
        data.add_crl(crl_to_der(&crl)?);
    }
    let known: Vec<&Certificate> = embedded
        .certificates
        .iter()
        .chain(&extra.certificates)
        .collect();
    for url in &extra.ocsp_urls {
        for der in ocsp_responses(url, &known)? {
            data.add_ocsp_response(der);
        }
    }
    if data.crls.is_empty() && data.ocsp_responses.is_empty() {
        eprintln!(
            "note: no --crl or --ocsp given: the DSS holds certificates only, so verifiers \
             cannot check revocation offline (not B-LT for them)"
        );
    }
    file.rewind().map_err(temp_err)?;
    let mut out = tempfile::tempfile().map_err(temp_err)?;
    add_dss(&mut file, &mut out, &data).map_err(|e| Failure::input(format!("DSS: {e}")))?;
    Ok(out)
}

/// Ask the responder at `url` about each certificate whose issuer is among `known`; keep the
/// answers that are signed for that issuer, current, and echo our nonce. A certificate the
/// responder does not serve (unknown, or no answer) is skipped with a note: one responder
/// usually speaks for one CA.
fn ocsp_responses(url: &str, known: &[&Certificate]) -> Result<Vec<Vec<u8>>, Failure> {
    use eseal_certs::ocsp::{OcspRequest, ParsedResponse, Status};
    let mut out = Vec::new();
    for cert in known {
        let tbs = cert.tbs_certificate();
        let Some(issuer) = known
            .iter()
            .find(|i| i.tbs_certificate().subject() == tbs.issuer() && **i != *cert)
        else {
            continue;
        };
        let subject = eseal_certs::inspect::subject(cert);
        let request = OcspRequest::new(cert, issuer, true)
            .map_err(|e| Failure::input(format!("OCSP request for '{subject}': {e}")))?;
        let der = request
            .to_der()
            .map_err(|e| Failure::input(format!("OCSP request for '{subject}': {e}")))?;
        let answer = net::post(url, "application/ocsp-request", &der)?;
        let checked = ParsedResponse::from_der(&answer).and_then(|r| {
            let c = r.check(
                cert,
                issuer,
                std::time::SystemTime::now(),
                std::time::Duration::from_secs(86_400),
            )?;
            Ok((r, c))
        });
        match checked {
            Ok((r, c)) if r.nonce() == request.nonce() && c.status != Status::Unknown => {
                out.push(answer)
            }
            Ok((_, c)) if c.status == Status::Unknown => {
                eprintln!("note: {url} does not know '{subject}'; no OCSP response for it")
            }
            Ok(_) => {
                return Err(Failure::input(format!(
                    "{url}: the OCSP response about '{subject}' does not echo our nonce"
                )))
            }
            Err(e) => eprintln!("note: {url} gave no usable answer about '{subject}': {e}"),
        }
    }
    Ok(out)
}

fn with_doc_timestamp(mut file: File, tsa: &HttpTsa) -> Result<File, Failure> {
    file.rewind().map_err(temp_err)?;
    let mut out = tempfile::tempfile().map_err(temp_err)?;
    add_document_timestamp(&mut file, &mut out, tsa)
        .map_err(|e| Failure::input(format!("document timestamp: {e}")))?;
    Ok(out)
}

fn temp_err(e: std::io::Error) -> Failure {
    Failure::input(format!("temporary file: {e}"))
}

#[derive(Args)]
pub struct ArchiveArgs {
    /// The archived PDF (with signatures and, usually, document timestamps).
    input: PathBuf,
    /// Where the extended PDF goes (may be the input itself: it is replaced whole).
    output: PathBuf,
    /// RFC 3161 TSA for the new document timestamp (http://…).
    #[arg(long)]
    tsa: String,
    /// CRLs to add to the DSS (files, or http:// URLs fetched now); may be repeated.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Further certificates to add to the DSS (e.g. the TSA's CA chain).
    #[arg(long)]
    chain: Vec<PathBuf>,
    /// OCSP responders (http://…) to ask about every certificate; may be repeated.
    #[arg(long)]
    ocsp: Vec<String>,
}

/// `eseal archive`: validation data for everything the file carries (including the last
/// document timestamp), then a fresh document timestamp over it.
pub fn archive(a: ArchiveArgs) -> CliResult {
    let shown = a.input.display().to_string();
    let input = File::open(&a.input).map_err(|e| Failure::input(format!("{shown}: {e}")))?;
    let embedded =
        embedded_material(&input).map_err(|e| Failure::input(format!("{shown}: {e}")))?;
    if embedded.doc_timestamps.is_empty() {
        eprintln!("note: {shown} has no document timestamp yet; adding the first one");
    }
    let extra = ExtraValidationData {
        certificates: super::pki::read_all_certs(&a.chain)?,
        crl_files: a.crl.clone(),
        ocsp_urls: a.ocsp.clone(),
    };
    let tsa = HttpTsa { url: a.tsa.clone() };
    let out = extend(input, Level::BLTA, Some(&tsa), &extra)?;
    let out_shown = a.output.display().to_string();
    let (mut target, destination) = super::output::create_output(&out_shown)?;
    let mut out = out;
    std::io::copy(&mut out, &mut target)
        .map_err(|e| Failure::input(format!("{out_shown}: {e}")))?;
    super::output::finish_output(target, destination, &out_shown)?;
    eprintln!(
        "archived: DSS updated and document timestamp added ({} timestamp(s) before)",
        embedded.doc_timestamps.len()
    );
    Ok(())
}
