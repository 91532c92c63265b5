//! `eseal licence`: licences offline, without the service: render from a template, issue
//! (render, certify with DocMDP P=2, fill the QR code), make an annotated copy, read one back.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use eseal_pdf::licence::{
    annotation_sign_options, fill_qr, issuer_sign_options, read_info, render, sealed_digest,
    Annotation, LicenceContent, Template,
};
use eseal_pdf::seal::{seal, Sealer};
use eseal_pdf::sign::{Appearance, SealImage};
use eseal_signer::picture::FontSource;
use time::OffsetDateTime;

use super::sign::{Credentials, SignerArgs};
use super::{CliResult, Failure};

/// Longest validity of an annotated copy unless `--max-days` says otherwise.
const DEFAULT_MAX_DAYS: u32 = 90;

#[derive(Subcommand)]
pub enum LicenceCommand {
    /// Render a licence PDF from a template and its data (unsigned).
    Render(RenderArgs),
    /// Render, certify with the issuer's seal (DocMDP P=2) and fill the verify QR code.
    Issue(Box<IssueArgs>),
    /// Make an annotated copy (加注件): seal the prepared annotation field with a stamp.
    Annotate(Box<AnnotateArgs>),
    /// Print what a licence file says about itself (JSON), with its sealed digest.
    Info {
        /// The licence PDF.
        file: PathBuf,
    },
    /// Through a running service (--server): new, show, cancel, grant, copy, batch.
    #[command(flatten)]
    Service(super::licence_api::ServiceCommand),
}

#[derive(Args)]
pub struct RenderArgs {
    /// Template JSON; the demo 营业执照 layout when absent.
    #[arg(long)]
    template: Option<PathBuf>,
    /// Licence data JSON: identifier, type_code, type_name, issuer_name, issuer_code,
    /// holder_name, holder_code, issued_on (YYYY-MM-DD), fields {key: text}.
    #[arg(long)]
    data: PathBuf,
    /// Photo or logo (PNG or JPEG) for the template's image slot.
    #[arg(long)]
    image: Option<PathBuf>,
    /// CJK font file; else ESEAL_CJK_FONT or the system's.
    #[arg(long)]
    font: Option<PathBuf>,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct IssueArgs {
    #[command(flatten)]
    render: RenderArgs,
    #[command(flatten)]
    signer: SignerArgs,
    /// Seal picture (PNG or JPEG) at the template's seal rectangle; invisible without it.
    #[arg(long)]
    seal_image: Option<PathBuf>,
    /// The verify URL; `{identifier}` and `{digest}` are replaced.
    #[arg(long)]
    verify_url: String,
}

#[derive(Args)]
pub struct AnnotateArgs {
    /// The issued licence.
    #[arg(long = "in")]
    input: PathBuf,
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    signer: SignerArgs,
    /// The matter the copy may be used for (at most 200 characters).
    #[arg(long)]
    purpose: String,
    /// The relying agency.
    #[arg(long)]
    agency: String,
    /// Last day of validity, YYYY-MM-DD.
    #[arg(long)]
    expires: String,
    /// Copy number.
    #[arg(long, default_value_t = 1)]
    copy: u32,
    /// Longest validity in days.
    #[arg(long, default_value_t = DEFAULT_MAX_DAYS)]
    max_days: u32,
    #[arg(long)]
    font: Option<PathBuf>,
}

pub fn run(c: LicenceCommand) -> CliResult {
    match c {
        LicenceCommand::Render(a) => {
            let pdf = render_from(&a)?;
            write(&a.out, &pdf)
        }
        LicenceCommand::Issue(a) => issue(&a),
        LicenceCommand::Annotate(a) => annotate(&a),
        LicenceCommand::Service(c) => super::licence_api::run(c),
        LicenceCommand::Info { file } => {
            let data = read(&file)?;
            let info = read_info(Cursor::new(&data)).map_err(Failure::input)?;
            let mut v = serde_json::to_value(&info).map_err(Failure::input)?;
            if let Ok(d) = sealed_digest(Cursor::new(&data)) {
                v["sealed_digest"] = serde_json::Value::String(d);
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&v).map_err(Failure::input)?
            );
            Ok(())
        }
    }
}

fn read(p: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(p).map_err(|e| Failure::input(format!("{}: {e}", p.display())))
}

fn write(p: &Path, data: &[u8]) -> CliResult {
    std::fs::write(p, data).map_err(|e| Failure::input(format!("{}: {e}", p.display())))
}

fn font(p: Option<&PathBuf>) -> Result<FontSource, Failure> {
    match p {
        Some(p) => FontSource::from_path(p),
        None => FontSource::system_default(),
    }
    .map_err(Failure::input)
}

fn template(p: Option<&PathBuf>) -> Result<Template, Failure> {
    match p {
        Some(p) => {
            let text = String::from_utf8(read(p)?)
                .map_err(|_| Failure::input(format!("{}: not UTF-8", p.display())))?;
            Template::from_json(&text).map_err(|e| Failure::input(format!("{}: {e}", p.display())))
        }
        None => Ok(Template::demo_business_licence()),
    }
}

fn render_from(a: &RenderArgs) -> Result<Vec<u8>, Failure> {
    let t = template(a.template.as_ref())?;
    let mut content: LicenceContent = serde_json::from_slice(&read(&a.data)?)
        .map_err(|e| Failure::input(format!("{}: {e}", a.data.display())))?;
    if let Some(img) = &a.image {
        content.image = Some(read(img)?);
    }
    render(&t, &content, &font(a.font.as_ref())?).map_err(Failure::input)
}

fn seal_with(
    input: &[u8],
    opts: &eseal_pdf::sign::SignOptions,
    c: &Credentials,
) -> Result<Vec<u8>, Failure> {
    let sealer = Sealer {
        key: &c.key,
        certificate: &c.certificate,
        chain: &c.chain,
        reserve: None,
    };
    let mut out = Cursor::new(Vec::new());
    seal(&mut Cursor::new(input), &mut out, opts, &sealer).map_err(Failure::input)?;
    Ok(out.into_inner())
}

fn issue(a: &IssueArgs) -> CliResult {
    let creds = a.signer.load()?;
    let t = template(a.render.template.as_ref())?;
    let pdf = render_from(&a.render)?;
    let appearance = match &a.seal_image {
        Some(p) => Appearance::Image(SealImage::new(read(p)?)),
        None => Appearance::Invisible,
    };
    let sealed = seal_with(&pdf, &issuer_sign_options(&t, appearance), &creds)?;
    let digest = sealed_digest(Cursor::new(&sealed)).map_err(Failure::input)?;
    let info = read_info(Cursor::new(&sealed)).map_err(Failure::input)?;
    let url = a
        .verify_url
        .replace("{identifier}", &info.identifier.to_string())
        .replace("{digest}", &digest);
    let mut out = Cursor::new(Vec::new());
    fill_qr(&mut Cursor::new(&sealed), &mut out, &url).map_err(Failure::input)?;
    write(&a.render.out, &out.into_inner())?;
    println!("{url}");
    Ok(())
}

fn annotate(a: &AnnotateArgs) -> CliResult {
    let creds = a.signer.load()?;
    let expires_on = time::Date::parse(
        &a.expires,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| Failure::input(format!("--expires {}: {e} (YYYY-MM-DD)", a.expires)))?;
    let annotation = Annotation {
        purpose: a.purpose.clone(),
        agency: a.agency.clone(),
        expires_on,
        copy_number: a.copy,
        made_at: OffsetDateTime::now_utc(),
    };
    annotation
        .check_new(OffsetDateTime::now_utc(), a.max_days)
        .map_err(Failure::input)?;
    let input = read(&a.input)?;
    let opts =
        annotation_sign_options(&annotation, &font(a.font.as_ref())?).map_err(Failure::input)?;
    let copy = seal_with(&input, &opts, &creds)?;
    write(&a.out, &copy)
}
