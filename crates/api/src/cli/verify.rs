//! `eseal verify`: placeholder until the verifier lands.

use std::path::PathBuf;

use clap::Args;

use super::{CliResult, Failure};

#[derive(Args)]
pub struct VerifyArgs {
    /// The PDF to verify.
    input: PathBuf,
}

pub fn run(a: VerifyArgs) -> CliResult {
    Err(Failure::input(format!(
        "{}: verification is not built yet",
        a.input.display()
    )))
}
