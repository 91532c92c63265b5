//! `eseal`: the electronic-seal service and its command line.

mod cli;
mod service;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
