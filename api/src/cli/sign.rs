//! `eseal sign`: seal a PDF with a PAdES signature as one incremental update.

use std::fs::File;
use std::io::{self, Seek};
use std::path::{Path, PathBuf};

use clap::Args;
use eseal_certs::authority::read_certs;
use eseal_certs::{inspect, Certificate, SigningKey, SoftwareKey};
use eseal_pdf::pades::Timestamper;
use eseal_pdf::reader::PdfReader;
use eseal_pdf::seal::{seal_ses, seal_timestamped, Sealer};
use eseal_pdf::sigdict::{FieldLock, Level, SubFilter};
use eseal_pdf::sign::{
    Appearance, FieldRect, PreparedField, SealImage, SignOptions, SignatureTarget,
};
use eseal_signer::ses;

use super::output::{create_output, finish_output, open_input};
use super::pades::{extend, ExtraValidationData, HttpTsa};
use super::passphrase::{self, DEFAULT_VAR};
use super::{CliResult, Failure};

/// Default seal size when only `--image` is given: Ø40 mm, a company seal.
const DEFAULT_SEAL_PT: f64 = 40.0 / 25.4 * 72.0;

#[derive(Args)]
pub struct SignArgs {
    /// Input PDF, or - for standard input.
    #[arg(long = "in")]
    input: String,
    /// Output PDF, or - for standard output. Written whole or not at all.
    #[arg(long)]
    out: String,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Seal picture (PNG with transparency, or JPEG); without it the seal is invisible.
    #[arg(long)]
    image: Option<PathBuf>,
    /// Page for a new visible seal, counted from 1.
    #[arg(long, default_value_t = 1)]
    page: usize,
    /// Seal rectangle X,Y,W,H in points from the lower-left corner of the page as shown.
    #[arg(long, value_parser = parse_rect)]
    rect: Option<[f64; 4]>,
    /// Signature field: a prepared empty field is filled (keeping its rectangle); another
    /// name creates a new field.
    #[arg(long)]
    field: Option<String>,
    /// Certify the document (DocMDP): 1 no changes, 2 form filling and signing, 3 also annotations.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    certify: Option<u8>,
    /// Empty signature fields for later signers: NAME[@PAGE:X,Y,W,H],... (PAGE from 1).
    #[arg(long, value_delimiter = ',', num_args = 1)]
    prepare_fields: Vec<String>,
    /// Lock fields after this signature (FieldMDP): NAME,... or "all".
    #[arg(long, value_delimiter = ',')]
    lock_fields: Vec<String>,
    /// Why the document is sealed (/Reason).
    #[arg(long)]
    reason: Option<String>,
    /// Where it is sealed (/Location).
    #[arg(long)]
    location: Option<String>,
    /// How to reach the signer (/ContactInfo).
    #[arg(long)]
    contact: Option<String>,
    /// Signer name (/Name); the certificate's common name by default.
    #[arg(long)]
    name: Option<String>,
    /// cades (ETSI.CAdES.detached, PAdES) or pkcs7 (adbe.pkcs7.detached).
    #[arg(long, default_value = "cades", value_parser = ["cades", "pkcs7"])]
    subfilter: String,
    /// A GB/T 38540 seal (.esl): its picture is drawn (unless --image is given) and, with
    /// --format ses, it goes into the signature.
    #[arg(long)]
    seal: Option<PathBuf>,
    /// cms (PAdES CMS) or ses (GB/T 38540 SES_Signature under adbe.pkcs7.detached; needs --seal
    /// and an SM2 key whose certificate is in the seal's list).
    #[arg(long, default_value = "cms", value_parser = ["cms", "ses"])]
    format: String,
    /// Rebuild a broken cross-reference table first. Only for unsigned files: it rewrites the
    /// whole file, which would break any signature in it (refused then).
    #[arg(long)]
    repair: bool,
    /// PAdES level: b-b; b-t adds a signature timestamp from --tsa; b-lt also embeds the
    /// validation data (certificates, --crl files) in a DSS; b-lta adds a document timestamp.
    #[arg(long, default_value = "b-b", value_parser = ["b-b", "b-t", "b-lt", "b-lta"])]
    level: String,
    /// RFC 3161 time-stamping authority (http://…/tsa) for b-t, b-lt and b-lta.
    #[arg(long)]
    tsa: Option<String>,
    /// CRLs (PEM or DER files, or http:// URLs fetched now) to embed for b-lt and b-lta;
    /// may be repeated.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// OCSP responders (http://…) to ask about every certificate for b-lt and b-lta; the
    /// answers go into the DSS next to the CRLs. May be repeated.
    #[arg(long)]
    ocsp: Vec<String>,
}

fn parse_rect(s: &str) -> Result<[f64; 4], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("'{s}': expected X,Y,W,H numbers"))?;
    match v[..] {
        [x, y, w, h] if w > 0.0 && h > 0.0 && x.is_finite() && y.is_finite() => Ok([x, y, w, h]),
        _ => Err(format!(
            "'{s}': expected X,Y,W,H with positive width and height"
        )),
    }
}

/// A prepared field from the command line: its name and, if given, (1-based page, X,Y,W,H).
type PreparedSpec = (String, Option<(usize, [f64; 4])>);

/// NAME or NAME@PAGE:X,Y,W,H (the rectangle's commas survive clap's splitting because the
/// list is re-joined here).
fn parse_prepared(items: &[String]) -> Result<Vec<PreparedSpec>, Failure> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let item = &items[i];
        match item.split_once('@') {
            None => {
                out.push((item.clone(), None));
                i += 1;
            }
            Some((name, place)) => {
                let rest = items.get(i + 1..i + 4).ok_or_else(|| {
                    Failure::input(format!(
                        "--prepare-fields '{item}': expected NAME@PAGE:X,Y,W,H"
                    ))
                })?;
                let joined = format!("{place},{}", rest.join(","));
                let (page, rect) = joined.split_once(':').ok_or_else(|| {
                    Failure::input(format!(
                        "--prepare-fields '{name}': expected NAME@PAGE:X,Y,W,H"
                    ))
                })?;
                let page: usize = page.parse().ok().filter(|p| *p >= 1).ok_or_else(|| {
                    Failure::input(format!(
                        "--prepare-fields '{name}': page must be a number from 1"
                    ))
                })?;
                let rect = parse_rect(rect).map_err(Failure::input)?;
                out.push((name.to_string(), Some((page, rect))));
                i += 4;
            }
        }
    }
    Ok(out)
}

/// Where the signer's key, certificate and chain come from (shared by every signing command).
#[derive(Args, Debug)]
pub struct SignerArgs {
    /// Private key: PKCS#8 (plain or encrypted), SEC1 PEM, or PKCS#12 (.p12/.pfx).
    #[arg(long)]
    pub key: PathBuf,
    /// Signer certificate (optional with a PKCS#12 key that carries it). Further
    /// certificates in the file are embedded as the chain.
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// Issuing CA certificates to embed (e.g. PREFIX.chain.pem).
    #[arg(long)]
    pub chain: Option<PathBuf>,
    /// Environment variable holding the key's passphrase (default ESEAL_KEY_PASSPHRASE).
    #[arg(long, default_value = DEFAULT_VAR)]
    pub key_pass_env: String,
}

impl SignerArgs {
    /// The key (asking for its passphrase), the certificate matching it and the chain.
    pub fn load(&self) -> Result<Credentials, Failure> {
        load_credentials(
            &self.key,
            self.cert.as_deref(),
            self.chain.as_deref(),
            &self.key_pass_env,
        )
    }
}

/// The signer's key, certificate and chain from the files given.
pub struct Credentials {
    pub key: SoftwareKey,
    pub certificate: Certificate,
    pub chain: Vec<Certificate>,
}

fn load_credentials(
    key: &Path,
    cert: Option<&Path>,
    chain: Option<&Path>,
    pass_env: &str,
) -> Result<Credentials, Failure> {
    let data = std::fs::read(key).map_err(|e| Failure::input(format!("{}: {e}", key.display())))?;
    let what = key.display().to_string();
    let bundle = SoftwareKey::load(&data, &mut || passphrase::for_existing(pass_env, &what))
        .map_err(|e| Failure::input(e.in_file(key)))?;
    let mut certs = match cert {
        Some(p) => read_certs(p)?,
        None => bundle.certificates.clone(),
    };
    if certs.is_empty() {
        return Err(Failure::input(format!(
            "{}: no certificate; give --cert (only PKCS#12 files carry their certificate)",
            key.display()
        )));
    }
    // The signer certificate is the one matching the key, wherever it is in the file.
    let idx = certs
        .iter()
        .position(|c| inspect::public_key(c).ok().as_ref() == Some(bundle.key.public_key()))
        .ok_or_else(|| Failure::input("the key does not match the certificate given"))?;
    let certificate = certs.remove(idx);
    let mut chain_certs = certs;
    if let Some(p) = chain {
        for c in read_certs(p)? {
            if c != certificate && !chain_certs.contains(&c) {
                chain_certs.push(c);
            }
        }
    }
    Ok(Credentials {
        key: bundle.key,
        certificate,
        chain: chain_certs,
    })
}

pub fn run(a: SignArgs) -> CliResult {
    let creds = a.signer.load()?;
    let mut input = open_input(&a.input)?;
    if a.repair {
        input = repaired(input, &a.input)?;
    }
    let seal_file = match &a.seal {
        Some(p) => Some(load_seal(p)?),
        None => None,
    };
    if a.format == "ses" && seal_file.is_none() {
        return Err(Failure::input("--format ses needs --seal SEAL.esl"));
    }
    let opts = sign_options(&a, &creds, seal_file.as_ref().map(|(_, s)| s))?;
    let sealer = Sealer {
        key: &creds.key,
        certificate: &creds.certificate,
        chain: &creds.chain,
        reserve: None,
    };
    let level = Level::parse(&a.level)
        .ok_or_else(|| Failure::input(format!("unknown --level {}", a.level)))?;
    let tsa = a.tsa.clone().map(|url| HttpTsa { url });
    if level >= Level::BT && tsa.is_none() {
        return Err(Failure::input(format!(
            "--level {} needs --tsa URL",
            a.level
        )));
    }
    if level >= Level::BT && a.format == "ses" {
        return Err(Failure::input(
            "--level above b-b needs --format cms (PAdES); GB/T 38540 seal signatures carry \
             their own timestamp field",
        ));
    }
    let (mut out_file, destination) = create_output(&a.out)?;
    let mut stage =
        tempfile::tempfile().map_err(|e| Failure::input(format!("temporary file: {e}")))?;
    let stamp = tsa.as_ref().filter(|_| level >= Level::BT);
    let result = match (&seal_file, a.format.as_str()) {
        (Some((der, _)), "ses") => seal_ses(&mut input, &mut stage, &opts, &sealer, der),
        _ => seal_timestamped(
            &mut input,
            &mut stage,
            &opts,
            &sealer,
            stamp.map(|t| t as &dyn Timestamper),
        ),
    };
    // On failure the temporary file is dropped (and deleted); the target is untouched.
    let outcome = result.map_err(|e| Failure::input(format!("{}: {e}", a.input)))?;
    let extra = ExtraValidationData {
        certificates: creds.chain.clone(),
        crl_files: a.crl.clone(),
        ocsp_urls: a.ocsp.clone(),
    };
    let mut stage = extend(stage, level, tsa.as_ref(), &extra)?;
    io::copy(&mut stage, &mut out_file).map_err(|e| Failure::input(format!("{}: {e}", a.out)))?;
    finish_output(out_file, destination, &a.out)?;
    if outcome.filled_existing && a.rect.is_some() {
        eprintln!(
            "note: field '{}' exists; its own rectangle was used, --rect ignored",
            outcome.field_name
        );
    }
    eprintln!(
        "sealed field '{}' with {} ({} bytes of signature), byte range {:?}",
        outcome.field_name,
        inspect::subject(&creds.certificate),
        outcome.signature_len,
        outcome.byte_range.numbers()
    );
    Ok(())
}

/// A rewritten copy of a file whose cross-reference data is broken; a sound file is kept as
/// it is (rewriting it would gain nothing and lose its incremental history).
fn repaired(mut input: File, shown: &str) -> Result<File, Failure> {
    // The reader is lazy: a bad offset shows only when objects are read, so read the catalog
    // and every page.
    let sound = PdfReader::open(&mut input).is_ok_and(|mut r| {
        r.page_count()
            .is_ok_and(|n| (0..n).all(|i| r.page(i).is_ok()))
    });
    input
        .rewind()
        .map_err(|e| Failure::input(format!("{shown}: {e}")))?;
    if sound {
        eprintln!("note: {shown} is not broken; --repair left it as it is");
        return Ok(input);
    }
    let mut fixed =
        tempfile::tempfile().map_err(|e| Failure::input(format!("temporary file: {e}")))?;
    eseal_pdf::repair::rewrite_repaired(&mut input, &mut fixed)
        .map_err(|e| Failure::input(format!("{shown}: cannot repair: {e}")))?;
    fixed
        .rewind()
        .map_err(|e| Failure::input(format!("temporary file: {e}")))?;
    eprintln!("note: {shown} had broken cross-reference data; sealing a repaired rewrite");
    Ok(fixed)
}

/// The seal file's bytes and what it says.
fn load_seal(path: &Path) -> Result<(Vec<u8>, ses::Seal), Failure> {
    let der =
        std::fs::read(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    let parsed =
        ses::Seal::parse(&der).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    Ok((der, parsed))
}

fn sign_options(
    a: &SignArgs,
    creds: &Credentials,
    seal_file: Option<&ses::Seal>,
) -> Result<SignOptions, Failure> {
    let page_index = |page: usize| -> Result<usize, Failure> {
        page.checked_sub(1)
            .ok_or_else(|| Failure::input("pages are counted from 1"))
    };
    let appearance = appearance(a, seal_file)?;
    // The seal's own size (millimetres) decides the default rectangle: the lower right of the
    // page as shown, a seal's width from the edges.
    let (width, height) = seal_file.map_or((DEFAULT_SEAL_PT, DEFAULT_SEAL_PT), |s| {
        let mm = 72.0 / 25.4;
        (
            s.picture.width_mm as f64 * mm,
            s.picture.height_mm as f64 * mm,
        )
    });
    let rect = match a.rect {
        Some(xywh) => FieldRect::Shown(xywh),
        None => FieldRect::LowerRight { width, height },
    };
    let page = page_index(a.page)?;
    // The PDF layer resolves the page and the rectangle, and fills the field if it exists.
    let target = match &a.field {
        Some(name) => SignatureTarget::NamedField {
            name: name.clone(),
            page,
            rect,
        },
        None => SignatureTarget::NewField {
            name: None,
            page,
            rect,
        },
    };
    let prepare_fields = prepared_fields(a, page_index)?;
    let lock_fields = match a.lock_fields.as_slice() {
        [] => None,
        [all] if all.eq_ignore_ascii_case("all") => Some(FieldLock::All),
        names => Some(FieldLock::Include(names.to_vec())),
    };
    Ok(SignOptions {
        target,
        appearance,
        sub_filter: if a.subfilter == "pkcs7" {
            SubFilter::Pkcs7Detached
        } else {
            SubFilter::CadesDetached
        },
        signing_time: None,
        name: a.name.clone().or_else(|| {
            eseal_certs::name::common_name(creds.certificate.tbs_certificate().subject())
        }),
        reason: a.reason.clone(),
        location: a.location.clone(),
        contact_info: a.contact.clone(),
        certify: a.certify,
        prepare_fields,
        lock_fields,
        ..Default::default()
    })
}

/// The seal's picture: the given image, else the seal file's own picture, else invisible.
fn appearance(a: &SignArgs, seal_file: Option<&ses::Seal>) -> Result<Appearance, Failure> {
    Ok(match (&a.image, seal_file) {
        (Some(p), _) => Appearance::Image(SealImage::new(
            std::fs::read(p).map_err(|e| Failure::input(format!("{}: {e}", p.display())))?,
        )),
        (None, Some(s))
            if matches!(
                s.picture.kind.to_ascii_uppercase().as_str(),
                "PNG" | "JPG" | "JPEG"
            ) =>
        {
            Appearance::Image(SealImage::new(s.picture.data.clone()))
        }
        (None, Some(s)) => {
            return Err(Failure::input(format!(
                "the seal's picture is {}, which cannot be drawn yet; give --image",
                s.picture.kind
            )))
        }
        (None, None) => Appearance::Invisible,
    })
}

/// The empty signature fields of `--prepare-fields`, each on its page as shown.
fn prepared_fields(
    a: &SignArgs,
    page_index: impl Fn(usize) -> Result<usize, Failure>,
) -> Result<Vec<PreparedField>, Failure> {
    let mut prepare_fields = Vec::new();
    for (name, place) in parse_prepared(&a.prepare_fields)? {
        let (page, rect) = match place {
            Some((p, xywh)) => (page_index(p)?, FieldRect::Shown(xywh)),
            None => (0, FieldRect::Invisible),
        };
        prepare_fields.push(PreparedField { name, page, rect });
    }
    Ok(prepare_fields)
}
