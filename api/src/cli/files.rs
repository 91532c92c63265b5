//! `eseal sign-file` and `eseal verify-file`: trusted non-PDF files (可信电子文件) with a
//! detached CAdES signature (`.p7s`, ETSI EN 319 122-1 B-B) and optionally an ASiC-S container.
//! Verification prints the same report (schema `eseal-verify/1`) and exit codes as
//! `eseal verify`.

use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::Args;
use eseal_certs::{inspect, SigningKey};
use eseal_pdf::verify::{detached_report, VerifyError};
use eseal_signer::cms::{sign_detached, ContentTypeFamily, SignOptions};
use eseal_signer::validation::{digest_stream, revocation, verify_detached, TrustContext};

use super::sign::SignerArgs;
use super::{asic, CliResult, Failure};

#[derive(Args)]
pub struct SignFileArgs {
    /// The file to sign (any format).
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the detached signature (DER CMS, `.p7s`).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// CAdES level: b-b (signed attributes only) or b-t (plus a signature timestamp).
    #[arg(long, default_value = "b-b", value_parser = ["b-b", "b-t"])]
    level: String,
    /// RFC 3161 time-stamping authority URL, for --level b-t.
    #[arg(long)]
    tsa: Option<String>,
    /// Also write an ASiC-S container (zip with the file and its signature) here.
    #[arg(long)]
    asic: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyFileArgs {
    /// The signed file, or an ASiC-S container (.asics) holding file and signature.
    input: PathBuf,
    /// The detached signature (.p7s); omitted for an ASiC-S container.
    signature: Option<PathBuf>,
    #[command(flatten)]
    validation: super::verify::ValidationArgs,
}

fn open(path: &Path) -> Result<File, Failure> {
    File::open(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

/// Write to a temporary file next to `path` and rename it into place: all or nothing.
fn write_atomically(
    path: &Path,
    f: impl FnOnce(&mut File) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Failure::input(format!("{shown}: {e}")))?;
    f(tmp.as_file_mut())?;
    tmp.as_file_mut()
        .flush()
        .map_err(|e| Failure::input(format!("{shown}: {e}")))?;
    tmp.persist(path)
        .map_err(|e| Failure::input(format!("{shown}: {}", e.error)))?;
    Ok(())
}

pub fn sign(a: SignFileArgs) -> CliResult {
    let tsa = match (a.level.as_str(), &a.tsa) {
        ("b-t", Some(url)) => Some(super::pades::HttpTsa { url: url.clone() }),
        ("b-t", None) => return Err(Failure::input("--level b-t needs --tsa URL")),
        (_, Some(_)) => return Err(Failure::input("--tsa is only used with --level b-t")),
        _ => None,
    };
    let creds = a.signer.load()?;
    let mut input = open(&a.input)?;
    let digest = digest_stream(&mut input, creds.key.algorithm().digest())
        .map_err(|e| Failure::input(format!("{}: {e}", a.input.display())))?;
    let options = SignOptions {
        content_types: ContentTypeFamily::Pkcs7,
        signing_time: Some(SystemTime::now()),
        algorithm_protection: None,
        unsigned_attributes: Vec::new(),
    };
    let p7s = sign_detached(
        &creds.key,
        &creds.certificate,
        &creds.chain,
        &digest,
        &options,
    )
    .map_err(|e| Failure::input(format!("signing {}: {e}", a.input.display())))?;
    // B-T: a signature timestamp over the signature value (ETSI EN 319 122-1 §5.3).
    let p7s = match &tsa {
        Some(tsa) => eseal_pdf::pades::add_signature_timestamp(&p7s, tsa)
            .map_err(|e| Failure::input(format!("timestamp: {e}")))?,
        None => p7s,
    };
    write_atomically(&a.out, |f| {
        f.write_all(&p7s)
            .map_err(|e| Failure::input(format!("{}: {e}", a.out.display())))
    })?;
    if let Some(container) = &a.asic {
        let name = a
            .input
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Failure::input(format!("{}: no usable file name", a.input.display())))?
            .to_string();
        input
            .rewind()
            .map_err(|e| Failure::input(format!("{}: {e}", a.input.display())))?;
        write_atomically(container, |f| asic::write(f, &name, &mut input, &p7s))?;
    }
    eprintln!(
        "signed {} with {} (CAdES {}, {} bytes of signature)",
        a.input.display(),
        inspect::subject(&creds.certificate),
        a.level.to_uppercase(),
        p7s.len()
    );
    Ok(())
}

pub fn verify(a: VerifyFileArgs) -> CliResult {
    let (mut content, signature, name) = match &a.signature {
        Some(sig) => (
            open(&a.input)?,
            std::fs::read(sig).map_err(|e| Failure::input(format!("{}: {e}", sig.display())))?,
            a.input.display().to_string(),
        ),
        None if asic::looks_like_zip(&a.input) => {
            let c = asic::read(&a.input)?;
            (
                c.content,
                c.signature,
                format!("{} ({})", a.input.display(), c.name),
            )
        }
        None => {
            return Err(Failure::input(format!(
                "{}: give the signature file (SIG.p7s), or an ASiC-S container alone",
                a.input.display()
            )))
        }
    };
    let opts = a.validation.options(name.clone())?;
    let now = SystemTime::now();
    let at = opts.at.unwrap_or(now);
    let ocsp = revocation::parse_all(&opts.ocsp_responses);
    let ctx = TrustContext {
        anchors: &opts.trust_anchors,
        extra_certificates: &opts.intermediates,
        crls: &opts.crls,
        // A detached signature has no DSS: only what the CMS carries counts as its own.
        dss_crls: &[],
        ocsp: &ocsp,
        dss_ocsp: &[],
        ocsp_fetch: opts.ocsp_fetch.as_ref(),
        online: opts.online.as_ref(),
        at,
    };
    let validated = verify_detached(&mut content, &signature, &ctx)
        .map_err(|e| Failure::input(format!("{name}: {}", VerifyError::from(e))))?;
    let report = detached_report(validated, opts.file_name, now, at);
    a.validation.print(&report, &name)
}
