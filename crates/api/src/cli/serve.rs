//! `eseal serve`: placeholder until the service lands.

use std::path::PathBuf;

use clap::Args;

use super::{CliResult, Failure};

#[derive(Args)]
pub struct ServeArgs {
    /// Data folder (SQLite database, keys, demo credentials).
    #[arg(long)]
    data: PathBuf,
}

pub fn run(a: ServeArgs) -> CliResult {
    Err(Failure::input(format!(
        "{}: the service is not built yet",
        a.data.display()
    )))
}
