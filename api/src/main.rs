//! `eseal`: the electronic-seal service and its command line.

mod cli;
mod service;

use std::process::ExitCode;

/// mimalloc: each sealing allocates and frees buffers of the document's size on whichever
/// worker runs it; glibc's allocator spent ~8 % of a sealing's time on that (perf, 100 KB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::run()
}
