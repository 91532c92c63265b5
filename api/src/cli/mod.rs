//! The command line: argument definitions and dispatch. Exit codes are part of the contract:
//! 0 success (or "valid"), 1 a check ran and found the object not valid, 2 usage or input
//! errors (bad files, wrong passphrases, unknown options).

mod asic;
mod fetch;
mod files;
mod licence;
mod licence_api;
pub mod net;
mod output;
mod pades;
mod passphrase;
mod pki;
mod proof;
mod seal;
mod seal_picture;
mod serve;
mod sign;
mod trust_list;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// An error with the exit code it should produce.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Usage or input error (exit 2).
    pub fn input(e: impl std::fmt::Display) -> Self {
        Failure {
            code: 2,
            message: e.to_string(),
        }
    }

    /// The thing checked is not valid (exit 1).
    pub fn invalid(e: impl std::fmt::Display) -> Self {
        Failure {
            code: 1,
            message: e.to_string(),
        }
    }
}

impl From<eseal_certs::Error> for Failure {
    fn from(e: eseal_certs::Error) -> Self {
        Failure::input(e)
    }
}

pub type CliResult = Result<(), Failure>;

#[derive(Parser)]
#[command(
    name = "eseal",
    version,
    about = "Electronic seals for licences and documents: CAs, seal certificates, sealing and verification (P-256 and SM2).",
    long_about = "Electronic seals for licences and documents.\n\n\
        Keys written by eseal are encrypted; the passphrase comes from the environment \
        variable ESEAL_KEY_PASSPHRASE, or is asked for on the terminal.\n\n\
        Exit codes: 0 success or valid, 1 checked and not valid, 2 usage or input error.",
    after_help = "Example: a provincial hierarchy and a seal certificate\n  \
        eseal ca init --dir province --name \"Province Root CA\" --alg sm2\n  \
        eseal ca sub --dir city --parent province --name \"City CA\"\n  \
        eseal cert issue --ca city --name \"Market Regulation Bureau\" --uscc 91350100M000100Y43 --out bureau\n  \
        eseal cert verify bureau.pem --trust province/ca.pem --chain bureau.chain.pem"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Certificate authorities: create a root or a subordinate CA in a folder.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Certificates: issue seal certificates, revoke them, check them.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Sign a certificate revocation list for a CA.
    Crl(pki::CrlArgs),
    /// Electronic seals (GB/T 38540): create and inspect `.esl` files.
    #[command(subcommand)]
    Seal(SealCommand),
    /// Seal a PDF: append a PAdES signature (visible or invisible) as an incremental update.
    Sign(Box<sign::SignArgs>),
    /// Add validation data (DSS) and a fresh document timestamp to an archived PDF (PAdES
    /// B-LTA), before the last timestamp's certificates expire.
    Archive(pades::ArchiveArgs),
    /// Verify every seal in a PDF. Exit 0 all TOTAL-PASSED, 1 any not, 2 unreadable input.
    Verify(verify::VerifyArgs),
    /// Sign any file: a detached CAdES signature (.p7s), optionally also an ASiC-S container.
    SignFile(Box<files::SignFileArgs>),
    /// Verify a detached signature (FILE SIG.p7s) or an ASiC-S container; exit codes as verify.
    VerifyFile(files::VerifyFileArgs),
    /// Run the HTTP service (SQLite in the data folder, or PostgreSQL).
    Serve(serve::ServeArgs),
    /// Licences offline: render from a template, issue, annotated copies, read back.
    #[command(subcommand)]
    Licence(licence::LicenceCommand),
    /// The audit log: check proofs offline.
    #[command(subcommand)]
    Log(LogCommand),
}

#[derive(Subcommand)]
enum LogCommand {
    /// Check offline that an audit entry is in the log: exit 0 it is, 1 it is not, 2 unreadable.
    VerifyProof(proof::VerifyProofArgs),
}

#[derive(Subcommand)]
enum CaCommand {
    /// Create a root CA (a region's trust anchor): writes DIR/ca.pem and DIR/ca.key.
    Init(pki::CaInitArgs),
    /// Create a subordinate CA (city, county, department) signed by PARENT_DIR's CA.
    Sub(pki::CaSubArgs),
}

#[derive(Subcommand)]
enum SealCommand {
    /// Make a seal signed by the seal maker (SM2/SM3), bound to its owner's code.
    Create(Box<seal::SealCreateArgs>),
    /// Print a seal's contents and checks; optionally write its picture.
    Show(seal::SealShowArgs),
}

#[derive(Subcommand)]
enum CertCommand {
    /// Issue a seal certificate and key for an organisation: PREFIX.pem, PREFIX.key, PREFIX.chain.pem.
    Issue(pki::CertIssueArgs),
    /// Revoke a certificate the CA issued (it appears in the next CRL).
    Revoke(pki::CertRevokeArgs),
    /// Validate a certificate path (RFC 5280). Exit 0 valid, 1 not valid, 2 input error.
    Verify(pki::CertVerifyArgs),
    /// Print what a certificate says.
    Show {
        /// Certificate file (PEM or DER).
        cert: PathBuf,
    },
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Ca(CaCommand::Init(a)) => pki::ca_init(a),
        Command::Ca(CaCommand::Sub(a)) => pki::ca_sub(a),
        Command::Cert(CertCommand::Issue(a)) => pki::cert_issue(a),
        Command::Cert(CertCommand::Revoke(a)) => pki::cert_revoke(a),
        Command::Cert(CertCommand::Verify(a)) => pki::cert_verify(a),
        Command::Cert(CertCommand::Show { cert }) => pki::cert_show(&cert),
        Command::Crl(a) => pki::crl(a),
        Command::Seal(SealCommand::Create(a)) => seal::create(*a),
        Command::Seal(SealCommand::Show(a)) => seal::show(a),
        Command::Sign(a) => sign::run(*a),
        Command::Archive(a) => pades::archive(a),
        Command::Verify(a) => verify::run(a),
        Command::SignFile(a) => files::sign(*a),
        Command::VerifyFile(a) => files::verify(a),
        Command::Serve(a) => serve::run(a),
        Command::Licence(c) => licence::run(c),
        Command::Log(LogCommand::VerifyProof(a)) => proof::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("eseal: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
