//! `eseal seal create` and `eseal seal show`: GB/T 38540 electronic seals (`.esl`, DER).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;
use eseal_certs::authority::{read_certs, write_file};
use eseal_certs::{inspect, Certificate, SoftwareKey};
use eseal_signer::ses::{self, CertListForm, Owner, OwnerCode, Picture, SealRequest, SealType};

use super::passphrase::{self, DEFAULT_VAR};
use super::pki::parse_time;
use super::{CliResult, Failure};

#[derive(Args)]
pub struct SealCreateArgs {
    /// The seal maker's (制章者) private key (SM2).
    #[arg(long)]
    maker_key: PathBuf,
    /// The seal maker's certificate.
    #[arg(long)]
    maker_cert: PathBuf,
    /// The certificate that will sign with this seal (goes into the seal's certificate list).
    #[arg(long)]
    cert: PathBuf,
    /// The seal's name, e.g. "某某公司合同专用章".
    #[arg(long)]
    name: String,
    /// Seal type: 01 法定名称章, 02 财务专用章, 03 发票专用章, 04 合同专用章, 05 法定代表人名章, 99 其他.
    #[arg(long = "type")]
    seal_type: String,
    /// Owner code: the enterprise's unified social credit code, or for 05 a resident ID number.
    #[arg(long)]
    owner_code: String,
    /// Last day of validity (default: the signer certificate's notAfter).
    #[arg(long)]
    valid_until: Option<String>,
    /// Seal picture (PNG or JPEG).
    #[arg(long, conflicts_with = "draw")]
    image: Option<PathBuf>,
    /// Draw the seal picture: round, oval or square.
    #[arg(long, value_parser = ["round", "oval", "square"])]
    draw: Option<String>,
    /// Picture size in millimetres WxH (default from the seal type).
    #[arg(long)]
    size_mm: Option<String>,
    /// Output `.esl` file.
    #[arg(long)]
    out: PathBuf,
    /// Environment variable holding the maker key's passphrase.
    #[arg(long, default_value = DEFAULT_VAR)]
    key_pass_env: String,
}

#[derive(Args)]
pub struct SealShowArgs {
    /// The `.esl` file.
    seal: PathBuf,
    /// Write the seal's picture to this PNG file.
    #[arg(long)]
    png: Option<PathBuf>,
}

/// Default picture size (mm) per seal type, from the sizes seen on real seals.
fn default_size(t: SealType) -> (i64, i64) {
    match t {
        SealType::Invoice => (40, 30),
        SealType::LegalRepresentative => (18, 18),
        SealType::Finance => (38, 38),
        _ => (40, 40),
    }
}

fn parse_size(s: &str) -> Result<(i64, i64), Failure> {
    let bad = || {
        Failure::input(format!(
            "--size-mm '{s}': expected WxH in millimetres, e.g. 40x40"
        ))
    };
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h) = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    if w <= 0 || h <= 0 || w > 200 || h > 200 {
        return Err(bad());
    }
    Ok((w, h))
}

fn picture_kind(data: &[u8]) -> Result<&'static str, Failure> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("PNG")
    } else if data.starts_with(&[0xff, 0xd8]) {
        Ok("JPG")
    } else {
        Err(Failure::input(
            "the seal picture must be a PNG or JPEG file",
        ))
    }
}

pub fn create(a: SealCreateArgs) -> CliResult {
    let seal_type: SealType = a.seal_type.parse().map_err(Failure::input)?;
    let owner = Owner {
        code: OwnerCode::for_seal_type(seal_type, &a.owner_code).map_err(Failure::input)?,
        name: None,
    };
    let maker_cert = first_cert(&a.maker_cert)?;
    let signer_cert = first_cert(&a.cert)?;
    let maker_key = load_maker_key(&a)?;
    let (width_mm, height_mm) = match &a.size_mm {
        Some(s) => parse_size(s)?,
        None => default_size(seal_type),
    };
    let picture = seal_picture(&a, seal_type, &owner, &signer_cert, (width_mm, height_mm))?;
    let now = SystemTime::now();
    let valid_end = match &a.valid_until {
        Some(d) => parse_time(d)? + Duration::from_secs(86_399),
        None => inspect::not_after(&signer_cert),
    };
    let request = SealRequest {
        vendor_id: ses::ESEAL_VENDOR_ID.into(),
        es_id: es_id(&owner, now),
        seal_type,
        name: a.name.clone(),
        owner,
        certificates: vec![signer_cert],
        list_form: CertListForm::Certificates,
        created: now,
        valid_start: now - Duration::from_secs(60),
        valid_end,
        picture,
        extra_ext_datas: Vec::new(),
    };
    let der = ses::make_seal(&maker_key, &maker_cert, &request).map_err(Failure::input)?;
    write_file(&a.out, &der, false)?;
    println!(
        "seal '{}' ({} {}) written to {} ({} bytes), id {}",
        a.name,
        format_args!("{:02}", seal_type.code()),
        seal_type.name(),
        a.out.display(),
        der.len(),
        request.es_id
    );
    Ok(())
}

/// The seal maker's key (encrypted PKCS#8, SEC1 or PKCS#12), asking for its passphrase.
fn load_maker_key(a: &SealCreateArgs) -> Result<SoftwareKey, Failure> {
    let key_data = std::fs::read(&a.maker_key)
        .map_err(|e| Failure::input(format!("{}: {e}", a.maker_key.display())))?;
    let what = a.maker_key.display().to_string();
    Ok(SoftwareKey::load(&key_data, &mut || {
        passphrase::for_existing(&a.key_pass_env, &what)
    })
    .map_err(|e| Failure::input(e.in_file(&a.maker_key)))?
    .key)
}

/// The seal's picture: the given image, or one drawn with the owner's name and code.
fn seal_picture(
    a: &SealCreateArgs,
    seal_type: SealType,
    owner: &Owner,
    signer_cert: &Certificate,
    (width_mm, height_mm): (i64, i64),
) -> Result<Picture, Failure> {
    Ok(match (&a.image, &a.draw) {
        (Some(p), _) => {
            let data =
                std::fs::read(p).map_err(|e| Failure::input(format!("{}: {e}", p.display())))?;
            Picture {
                kind: picture_kind(&data)?.into(),
                data,
                width_mm,
                height_mm,
            }
        }
        (None, Some(shape)) => {
            // The picture carries the owner's name: the person for a name seal, else the
            // organisation named in the signer certificate (the seal's own name, such as
            // 某某公司合同专用章, would repeat the centre line on the arc).
            let subject = signer_cert.tbs_certificate().subject();
            let drawn_name = if seal_type.is_personal() {
                eseal_certs::name::common_name(subject)
            } else {
                eseal_certs::name::organization(subject)
                    .or_else(|| eseal_certs::name::common_name(subject))
            }
            .unwrap_or_else(|| a.name.clone());
            super::seal_picture::draw_png(
                shape,
                seal_type,
                &drawn_name,
                owner.code.code(),
                width_mm,
                height_mm,
            )?
        }
        (None, None) => {
            return Err(Failure::input(
                "give the seal picture with --image FILE or --draw round|oval|square",
            ))
        }
    })
}

/// A seal id: the owner's code and the creation time, which is unique per owner in practice.
fn es_id(owner: &Owner, now: SystemTime) -> String {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{}-{secs}", owner.code.code())
}

fn first_cert(path: &std::path::Path) -> Result<eseal_certs::Certificate, Failure> {
    read_certs(path)?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::input(format!("{}: no certificate", path.display())))
}

pub fn show(a: SealShowArgs) -> CliResult {
    let data =
        std::fs::read(&a.seal).map_err(|e| Failure::input(format!("{}: {e}", a.seal.display())))?;
    let seal = ses::Seal::parse(&data)
        .map_err(|e| Failure::input(format!("{}: {e}", a.seal.display())))?;
    let check = ses::check_seal(&seal, SystemTime::now());
    let fmt_time = |t: SystemTime| x509_time(t);
    println!("seal:      {} ({:?})", seal.name, seal.version);
    println!("id:        {}", seal.es_id);
    match seal.seal_type() {
        Some(t) => println!("type:      {:02} {}", t.code(), t.name()),
        None => println!("type:      {} (unknown)", seal.type_code),
    }
    match seal.owner() {
        Ok(Some(o)) => println!("owner:     {} {}", o.code.kind(), o.code.code()),
        Ok(None) => println!("owner:     (no owner binding)"),
        Err(e) => println!("owner:     invalid binding: {e}"),
    }
    println!(
        "valid:     {} to {}",
        fmt_time(seal.valid_start),
        fmt_time(seal.valid_end)
    );
    println!(
        "picture:   {} {}x{} mm, {} bytes",
        seal.picture.kind,
        seal.picture.width_mm,
        seal.picture.height_mm,
        seal.picture.data.len()
    );
    if let Ok(maker) = seal.maker_certificate() {
        println!("maker:     {}", inspect::subject(&maker));
    }
    for (step, result) in check.steps() {
        println!("check:     {step}: {}", describe(result));
    }
    if let Some(out) = &a.png {
        let png = match seal.picture.kind.to_ascii_uppercase().as_str() {
            "PNG" => seal.picture.data.clone(),
            other => {
                return Err(Failure::input(format!(
                    "the seal's picture is {other}, not PNG"
                )))
            }
        };
        write_file(out, &png, false)?;
        println!("picture written to {}", out.display());
    }
    if check.is_valid() {
        Ok(())
    } else {
        Err(Failure::invalid(format!(
            "the seal is not valid: {}",
            check
                .failures()
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )))
    }
}

fn describe(c: &ses::Check) -> String {
    match c {
        ses::Check::Passed => "passed".into(),
        ses::Check::Failed(e) => format!("FAILED: {e}"),
        ses::Check::NotChecked(why) => format!("not checked ({why})"),
    }
}

fn x509_time(t: SystemTime) -> String {
    x509_cert::time::Time::try_from(t)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "?".into())
}
