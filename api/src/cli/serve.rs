//! `eseal serve`: run the HTTP service (see `crate::service`).

use std::path::PathBuf;

use clap::Args;

use super::{CliResult, Failure};

#[derive(Args)]
pub struct ServeArgs {
    /// Data folder (SQLite database, master key, demo credentials, eseal.toml).
    #[arg(long)]
    data: PathBuf,
    /// Address to listen on (default 127.0.0.1:8080; env ESEAL_LISTEN).
    #[arg(long)]
    listen: Option<String>,
    /// Database URL: sqlite://... or postgres://... (default DATA/eseal.db; env ESEAL_DATABASE_URL).
    #[arg(long)]
    database: Option<String>,
}

pub fn run(a: ServeArgs) -> CliResult {
    let config =
        crate::service::Config::load(&a.data, a.listen, a.database).map_err(Failure::input)?;
    crate::service::run(config).map_err(Failure::input)
}
