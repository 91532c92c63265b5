//! A command's input and output files: standard input spooled to a seekable file, and output
//! written whole or not at all (to standard output, a file replaced by rename, or written
//! through where it cannot be renamed).

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::path::PathBuf;

use super::{CliResult, Failure};

/// The input as a seekable file; standard input is spooled to an anonymous temporary file.
pub(super) fn open_input(path: &str) -> Result<File, Failure> {
    if path == "-" {
        let mut tmp =
            tempfile::tempfile().map_err(|e| Failure::input(format!("temporary file: {e}")))?;
        io::copy(&mut io::stdin().lock(), &mut tmp)
            .map_err(|e| Failure::input(format!("standard input: {e}")))?;
        tmp.rewind()
            .map_err(|e| Failure::input(format!("temporary file: {e}")))?;
        Ok(tmp)
    } else {
        File::open(path).map_err(|e| Failure::input(format!("{path}: {e}")))
    }
}

/// Where the sealed file goes. The writer needs a readable, writable, seekable file to hash
/// back from, so output is always built in a temporary file first.
pub(super) enum Destination {
    Stdout,
    /// A regular file (or a new one): the temporary file beside it is renamed into place, so
    /// the target is either the old file or the whole new one.
    Replace(tempfile::NamedTempFile, PathBuf),
    /// Anything else (a device, a pipe, a symbolic link): written through when complete,
    /// never replaced.
    WriteThrough(PathBuf),
}

pub(super) fn create_output(path: &str) -> Result<(File, Destination), Failure> {
    let temp_err = |e: io::Error| Failure::input(format!("temporary file: {e}"));
    if path == "-" {
        return Ok((tempfile::tempfile().map_err(temp_err)?, Destination::Stdout));
    }
    let target = PathBuf::from(path);
    match std::fs::symlink_metadata(&target) {
        Ok(m) if !m.file_type().is_file() => Ok((
            tempfile::tempfile().map_err(temp_err)?,
            Destination::WriteThrough(target),
        )),
        _ => {
            let dir = match target.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let tmp = tempfile::Builder::new()
                .prefix(".eseal-")
                .suffix(".partial")
                .tempfile_in(&dir)
                .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
            let f = tmp.reopen().map_err(temp_err)?;
            Ok((f, Destination::Replace(tmp, target)))
        }
    }
}

pub(super) fn finish_output(mut f: File, dest: Destination, shown: &str) -> CliResult {
    let err = |e: io::Error| Failure::input(format!("{shown}: {e}"));
    match dest {
        Destination::Stdout => {
            f.rewind().map_err(err)?;
            let mut stdout = io::stdout().lock();
            io::copy(&mut f, &mut stdout).map_err(err)?;
            stdout.flush().map_err(err)
        }
        Destination::WriteThrough(target) => {
            f.rewind().map_err(err)?;
            let mut out = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&target)
                .map_err(err)?;
            io::copy(&mut f, &mut out).map_err(err)?;
            out.flush().map_err(err)
        }
        Destination::Replace(tmp, target) => {
            f.sync_all().map_err(err)?;
            drop(f);
            tmp.persist(&target).map_err(|e| err(e.error))?;
            Ok(())
        }
    }
}
