//! `eseal ca`, `eseal cert` and `eseal crl`: a CA hierarchy kept in folders.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::Args;
use eseal_certs::authority::{read_certs, write_file, CaFolder, NewCa};
use eseal_certs::issue::{CertKind, CertRequest};
use eseal_certs::name::SubjectName;
use eseal_certs::validate::{validate, Purpose, RevocationStatus, Validation};
use eseal_certs::{crl, inspect, national_codes, Algorithm, SigningKey, SoftwareKey};

use super::passphrase::{self, DEFAULT_VAR};
use super::{CliResult, Failure};

#[derive(Args)]
pub struct CaInitArgs {
    /// Folder for the new CA (created; must not already hold a CA).
    #[arg(long)]
    dir: PathBuf,
    /// The CA's name (its certificate's common name), e.g. "Guangdong Province Root CA".
    #[arg(long)]
    name: String,
    /// Signature suite: p256 (ECDSA P-256/SHA-256) or sm2 (SM2/SM3).
    #[arg(long, value_parser = ["p256", "sm2"])]
    alg: String,
    /// Validity in days.
    #[arg(long, default_value_t = 7300)]
    days: u32,
    /// Limit on CA levels below this root (none by default).
    #[arg(long)]
    path_len: Option<u8>,
    /// CRL URL written into certificates this CA issues.
    #[arg(long)]
    crl_url: Option<String>,
}

#[derive(Args)]
pub struct CaSubArgs {
    /// Folder for the new subordinate CA.
    #[arg(long)]
    dir: PathBuf,
    /// Folder of the CA that signs it.
    #[arg(long)]
    parent: PathBuf,
    /// The CA's name, e.g. "Shenzhen City CA".
    #[arg(long)]
    name: String,
    /// Validity in days (never beyond the parent's).
    #[arg(long, default_value_t = 3650)]
    days: u32,
    /// CA levels allowed below this one (default: one less than the parent's, or 1).
    #[arg(long)]
    path_len: Option<u8>,
    /// CRL URL written into certificates this CA issues.
    #[arg(long)]
    crl_url: Option<String>,
}

#[derive(Args)]
pub struct CertIssueArgs {
    /// Folder of the issuing CA.
    #[arg(long)]
    ca: PathBuf,
    /// The organisation the seal belongs to.
    #[arg(long)]
    name: String,
    /// Its unified social credit code (18 characters, check character verified).
    #[arg(long)]
    uscc: String,
    /// Department within the organisation, if the seal is a department's.
    #[arg(long)]
    unit: Option<String>,
    /// Output prefix: writes PREFIX.pem, PREFIX.key (encrypted) and PREFIX.chain.pem.
    #[arg(long)]
    out: PathBuf,
    /// Validity in days (never beyond the CA's).
    #[arg(long, default_value_t = 1095)]
    days: u32,
    /// What the certificate is for.
    #[arg(long, default_value = "seal", value_parser = ["seal", "tsa", "ocsp"])]
    kind: String,
    /// Also write PREFIX.p12 (PKCS#12 with key and chain, same passphrase).
    #[arg(long)]
    p12: bool,
}

#[derive(Args)]
pub struct CertRevokeArgs {
    /// Folder of the CA that issued the certificate.
    #[arg(long)]
    ca: PathBuf,
    /// Serial number in hexadecimal, as `eseal cert show` or openssl prints it.
    #[arg(long)]
    serial: String,
    /// keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation,
    /// certificateHold, privilegeWithdrawn or unspecified.
    #[arg(long, default_value = "unspecified")]
    reason: String,
}

#[derive(Args)]
pub struct CrlArgs {
    /// Folder of the CA.
    #[arg(long)]
    ca: PathBuf,
    /// Output file; PEM when it ends in .pem, else DER (or as --format says).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_parser = ["pem", "der"])]
    format: Option<String>,
    /// Days until nextUpdate.
    #[arg(long, default_value_t = 7)]
    days: u32,
}

#[derive(Args)]
pub struct CertVerifyArgs {
    /// The certificate to check (PEM or DER; in a PEM with several, the first).
    cert: PathBuf,
    /// Trust anchors: one or more root certificates (PEM), one per region if needed.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// Intermediate certificates (e.g. PREFIX.chain.pem).
    #[arg(long)]
    chain: Vec<PathBuf>,
    /// CRLs to check revocation against (PEM or DER).
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Validate at this time (RFC 3339, e.g. 2027-01-31T12:00:00Z, or a date) instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Check only the chain, not that the certificate may sign documents.
    #[arg(long)]
    any_purpose: bool,
}

fn new_ca_passphrase(dir: &Path) -> Result<zeroize::Zeroizing<String>, Failure> {
    Ok(passphrase::for_new(
        DEFAULT_VAR,
        &dir.join("ca.key").display().to_string(),
    )?)
}

fn load_ca(dir: &Path) -> Result<(CaFolder, SoftwareKey), Failure> {
    let folder = CaFolder::open(dir)?;
    let what = dir.join("ca.key").display().to_string();
    let key = folder.load_key(&mut || passphrase::for_existing(DEFAULT_VAR, &what))?;
    Ok((folder, key))
}

pub fn ca_init(a: CaInitArgs) -> CliResult {
    let alg: Algorithm = a.alg.parse()?;
    let pass = new_ca_passphrase(&a.dir)?;
    let ca = CaFolder::init_root(
        &a.dir,
        alg,
        &NewCa {
            name: &a.name,
            days: a.days,
            path_len: a.path_len,
            crl_url: a.crl_url,
        },
        &pass,
    )?;
    println!(
        "root CA '{}' ({}) created in {}\n  certificate: {}\n  key (encrypted): {}\n  serial: {}",
        a.name,
        alg,
        a.dir.display(),
        a.dir.join("ca.pem").display(),
        a.dir.join("ca.key").display(),
        inspect::serial_hex(&ca.certificate)
    );
    Ok(())
}

pub fn ca_sub(a: CaSubArgs) -> CliResult {
    let (mut parent, parent_key) = load_ca(&a.parent)?;
    let pass = new_ca_passphrase(&a.dir)?;
    let ca = CaFolder::init_sub(
        &a.dir,
        &mut parent,
        &parent_key,
        &NewCa {
            name: &a.name,
            days: a.days,
            path_len: a.path_len,
            crl_url: a.crl_url,
        },
        &pass,
    )?;
    let path_len = inspect::basic_constraints(&ca.certificate)?
        .and_then(|b| b.path_len_constraint)
        .map(|n| n.to_string())
        .unwrap_or_else(|| "none".into());
    println!(
        "subordinate CA '{}' ({}) created in {}, signed by '{}' (pathLen {path_len})",
        a.name,
        parent_key.algorithm(),
        a.dir.display(),
        parent.state.name
    );
    Ok(())
}

pub fn cert_issue(a: CertIssueArgs) -> CliResult {
    let uscc = national_codes::validate_uscc(&a.uscc)?;
    let (mut ca, ca_key) = load_ca(&a.ca)?;
    let prefix = a.out.display().to_string();
    let paths = [".pem", ".key", ".chain.pem"].map(|s| PathBuf::from(format!("{prefix}{s}")));
    if let Some(existing) = paths.iter().find(|p| p.exists()) {
        return Err(Failure::input(format!(
            "{} already exists; refusing to overwrite",
            existing.display()
        )));
    }
    let key = SoftwareKey::generate(ca_key.algorithm())?;
    let kind = match a.kind.as_str() {
        "tsa" => CertKind::TimeStamping,
        "ocsp" => CertKind::OcspSigning,
        _ => CertKind::Seal,
    };
    let subject = SubjectName {
        organization: Some(a.name.clone()),
        unit: a.unit.clone(),
        uscc: Some(uscc),
        ..SubjectName::common(&a.name)
    };
    let request = CertRequest::new(subject.to_name()?, key.public_key().clone(), kind, a.days);
    let pass = passphrase::for_new(DEFAULT_VAR, &paths[1].display().to_string())?;
    let cert = ca.issue(&ca_key, &request)?;
    let mut chain_with_leaf = vec![cert.clone()];
    chain_with_leaf.extend(ca.chain.iter().cloned());
    write_file(
        &paths[1],
        key.to_encrypted_pkcs8_pem(&pass)?.as_bytes(),
        true,
    )?;
    write_file(
        &paths[0],
        inspect::certificates_to_pem(std::slice::from_ref(&cert))?.as_bytes(),
        false,
    )?;
    write_file(
        &paths[2],
        inspect::certificates_to_pem(&ca.chain)?.as_bytes(),
        false,
    )?;
    if a.p12 {
        let p12 = key.to_pkcs12(&chain_with_leaf, &pass)?;
        write_file(Path::new(&format!("{prefix}.p12")), &p12, true)?;
    }
    println!(
        "issued {} certificate for '{}' (serial {})\n  {}\n  {} (encrypted)\n  {} (issuing CAs up to the root)",
        a.kind,
        a.name,
        inspect::serial_hex(&cert),
        paths[0].display(),
        paths[1].display(),
        paths[2].display()
    );
    Ok(())
}

pub fn cert_revoke(a: CertRevokeArgs) -> CliResult {
    let mut ca = CaFolder::open(&a.ca)?;
    ca.revoke(&a.serial, &a.reason, SystemTime::now())?;
    println!(
        "revoked {} ({}); run `eseal crl --ca {}` to publish it",
        a.serial,
        a.reason,
        a.ca.display()
    );
    Ok(())
}

pub fn crl(a: CrlArgs) -> CliResult {
    let (mut ca, key) = load_ca(&a.ca)?;
    let list = ca.crl(&key, Duration::from_secs(u64::from(a.days) * 86_400))?;
    let pem = match a.format.as_deref() {
        Some(f) => f == "pem",
        None => a.out.extension().is_some_and(|e| e == "pem"),
    };
    let bytes = if pem {
        crl::crl_to_pem(&list)?.into_bytes()
    } else {
        crl::crl_to_der(&list)?
    };
    write_file(&a.out, &bytes, false)?;
    let count = list
        .tbs_cert_list
        .revoked_certificates
        .as_ref()
        .map_or(0, Vec::len);
    println!(
        "CRL of '{}' written to {} ({}; {count} revoked)",
        ca.state.name,
        a.out.display(),
        if pem { "PEM" } else { "DER" }
    );
    Ok(())
}

/// RFC 3339 date-time, or a plain date (midnight UTC).
pub fn parse_time(s: &str) -> Result<SystemTime, Failure> {
    use time::format_description::well_known::Rfc3339;
    let bad = || {
        Failure::input(format!(
            "invalid time '{s}': use RFC 3339 (2027-01-31T12:00:00Z) or a date (2027-01-31)"
        ))
    };
    let t = match time::OffsetDateTime::parse(s, &Rfc3339) {
        Ok(t) => t,
        Err(_) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(s, &fmt)
                .map_err(|_| bad())?
                .midnight()
                .assume_utc()
        }
    };
    Ok(SystemTime::from(t))
}

/// Every certificate in the given files (PEM or DER), naming the file on error.
pub(super) fn read_all_certs(paths: &[PathBuf]) -> Result<Vec<eseal_certs::Certificate>, Failure> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(read_certs(p)?);
    }
    Ok(out)
}

/// Every CRL in the given files (PEM or DER), naming the file on error.
pub(super) fn read_all_crls(paths: &[PathBuf]) -> Result<Vec<crl::Crl>, Failure> {
    let mut out = Vec::new();
    for p in paths {
        let data = std::fs::read(p).map_err(|e| Failure::input(format!("{}: {e}", p.display())))?;
        out.extend(crl::crls_from_bytes(&data).map_err(|e| Failure::input(e.in_file(p)))?);
    }
    Ok(out)
}

pub fn cert_verify(a: CertVerifyArgs) -> CliResult {
    let leaf = read_certs(&a.cert)?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::input(format!("{}: no certificate", a.cert.display())))?;
    let anchors = read_all_certs(&a.trust)?;
    let intermediates = read_all_certs(&a.chain)?;
    let crls = read_all_crls(&a.crl)?;
    let at = match &a.at {
        Some(s) => parse_time(s)?,
        None => SystemTime::now(),
    };
    let purpose = if a.any_purpose {
        Purpose::Any
    } else {
        Purpose::DocumentSigning
    };
    let result = validate(
        &leaf,
        &Validation {
            anchors: &anchors,
            intermediates: &intermediates,
            crls: &crls,
            ocsp: &[],
            at,
            purpose,
        },
    );
    match result {
        Ok(path) => {
            println!("VALID: {}", inspect::subject(&leaf));
            for (i, c) in path.certificates.iter().enumerate() {
                let rev = match path.revocation.get(i) {
                    Some(RevocationStatus::GoodPerCrl { .. }) => "  [not revoked per CRL]",
                    Some(RevocationStatus::GoodPerOcsp { .. }) => "  [not revoked per OCSP]",
                    Some(RevocationStatus::NotChecked) => {
                        "  [revocation not checked: no CRL given]"
                    }
                    None => "  [trust anchor]",
                };
                println!("  {i}: {}{rev}", inspect::subject(c));
            }
            Ok(())
        }
        Err(e) => Err(Failure::invalid(format!("NOT VALID: {e}"))),
    }
}

pub fn cert_show(path: &Path) -> CliResult {
    for cert in read_certs(path)? {
        let tbs = cert.tbs_certificate();
        println!("subject:   {}", inspect::subject(&cert));
        println!("issuer:    {}", inspect::issuer(&cert));
        println!("serial:    {}", inspect::serial_hex(&cert));
        println!(
            "valid:     {} to {}",
            tbs.validity().not_before,
            tbs.validity().not_after
        );
        println!("algorithm: {}", inspect::public_key(&cert)?.algorithm());
        if let Some(code) = eseal_certs::name::uscc(tbs.subject()) {
            println!("USCC:      {code}");
        }
        if let Some(bc) = inspect::basic_constraints(&cert)? {
            println!(
                "CA:        {} (pathLen {:?})",
                bc.ca, bc.path_len_constraint
            );
        }
        println!("SHA-256:   {}", inspect::fingerprint_sha256(&cert)?);
        println!();
    }
    Ok(())
}
