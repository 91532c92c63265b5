//! ASiC-S containers (ETSI EN 319 162-1 §4.3) with a CAdES signature: a zip whose first entry
//! is `mimetype` (stored, uncompressed, no extra field) holding
//! `application/vnd.etsi.asic-s+zip`, then the signed file at the root, then
//! `META-INF/signature.p7s` over it.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::Failure;

pub const MIMETYPE: &str = "application/vnd.etsi.asic-s+zip";
pub const SIGNATURE_ENTRY: &str = "META-INF/signature.p7s";
/// Largest signature entry read (a CAdES signature with chain and timestamp is a few KiB).
const MAX_SIGNATURE: u64 = 4 * 1024 * 1024;
/// Largest signed file unpacked (it is spooled to a temporary file, not kept in memory).
const MAX_CONTENT: u64 = 4 * 1024 * 1024 * 1024;

/// Does this file start like a zip?
pub fn looks_like_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

/// Writes the container to `out`: `content` is stored under `name`.
pub fn write(
    out: &mut (impl Write + Seek),
    name: &str,
    content: &mut impl Read,
    signature: &[u8],
) -> Result<(), Failure> {
    check_name(name)?;
    let zerr =
        |e: zip::result::ZipError| Failure::input(format!("writing the ASiC-S container: {e}"));
    let ioerr = |e: std::io::Error| Failure::input(format!("writing the ASiC-S container: {e}"));
    let mut zip = ZipWriter::new(out);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    zip.start_file("mimetype", stored).map_err(zerr)?;
    zip.write_all(MIMETYPE.as_bytes()).map_err(ioerr)?;
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file(name, deflated).map_err(zerr)?;
    std::io::copy(content, &mut zip).map_err(ioerr)?;
    zip.start_file(SIGNATURE_ENTRY, stored).map_err(zerr)?;
    zip.write_all(signature).map_err(ioerr)?;
    zip.finish().map_err(zerr)?;
    Ok(())
}

/// A container read back: the signed file (spooled) and the signature.
pub struct Container {
    pub name: String,
    pub content: File,
    pub signature: Vec<u8>,
}

/// Reads and checks the container's layout; any deviation is an input error (exit 2).
pub fn read(path: &Path) -> Result<Container, Failure> {
    let shown = path.display().to_string();
    let bad = |why: String| Failure::input(format!("{shown}: not an ASiC-S container: {why}"));
    let file = File::open(path).map_err(|e| Failure::input(format!("{shown}: {e}")))?;
    let mut zip = ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    {
        let mut first = zip.by_index(0).map_err(|e| bad(e.to_string()))?;
        if first.name() != "mimetype" || first.compression() != CompressionMethod::Stored {
            return Err(bad(
                "the first entry must be 'mimetype', stored uncompressed".into(),
            ));
        }
        let mut m = String::new();
        (&mut first)
            .take(256)
            .read_to_string(&mut m)
            .map_err(|e| bad(e.to_string()))?;
        if m.trim() != MIMETYPE {
            return Err(bad(format!("mimetype is '{m}', expected '{MIMETYPE}'")));
        }
    }
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let data: Vec<&String> = names
        .iter()
        .filter(|n| *n != "mimetype" && !n.starts_with("META-INF/") && !n.ends_with('/'))
        .collect();
    let [name] = data.as_slice() else {
        return Err(bad(format!(
            "it must hold exactly one signed file at its root, found {}",
            data.len()
        )));
    };
    let name = (*name).clone();
    check_name(&name).map_err(|f| bad(f.message))?;
    let signature = {
        let entry = zip
            .by_name(SIGNATURE_ENTRY)
            .map_err(|_| bad(format!("{SIGNATURE_ENTRY} is missing")))?;
        let mut sig = Vec::new();
        entry
            .take(MAX_SIGNATURE + 1)
            .read_to_end(&mut sig)
            .map_err(|e| bad(e.to_string()))?;
        if sig.len() as u64 > MAX_SIGNATURE {
            return Err(bad(format!("{SIGNATURE_ENTRY} is too large")));
        }
        sig
    };
    let mut content =
        tempfile::tempfile().map_err(|e| Failure::input(format!("temporary file: {e}")))?;
    {
        let entry = zip.by_name(&name).map_err(|e| bad(e.to_string()))?;
        let n = std::io::copy(&mut entry.take(MAX_CONTENT + 1), &mut content)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        if n > MAX_CONTENT {
            return Err(bad(format!("{name} is larger than {MAX_CONTENT} bytes")));
        }
    }
    Ok(Container {
        name,
        content,
        signature,
    })
}

/// A plain file name: no folders, nothing that could escape when unpacked.
fn check_name(name: &str) -> Result<(), Failure> {
    if name.is_empty()
        || name == "mimetype"
        || name.contains(['/', '\\', '\0'])
        || name == "."
        || name == ".."
    {
        return Err(Failure::input(format!(
            "'{name}' cannot be the signed file's name in an ASiC-S container"
        )));
    }
    Ok(())
}
