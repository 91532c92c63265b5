//! The signature dictionary's placeholders (ISO 32000-2 §12.8.1, Table 255): a fixed-width
//! [`ByteRange`] patched in place after writing, a `/Contents` hexadecimal string of
//! reserved size, streaming the two signed ranges to a signer, and embedding the container.

use std::io::{Read, Seek, SeekFrom, Write};

use crate::error::{Error, Result};
use crate::object::Dict;
use crate::sigdict::ByteRange;
use crate::writer::serialize::write_dict;

/// Read buffer for hashing the byte ranges.
pub const HASH_BUFFER: usize = 64 * 1024;

/// A serialised signature dictionary with the positions of its placeholders.
pub(crate) struct SigDictBody {
    pub bytes: Vec<u8>,
    /// Position of the first character after `/ByteRange [`.
    pub byte_range_at: usize,
    /// Position of the `<` of `/Contents`.
    pub contents_at: usize,
    /// Length of the `/Contents` string including `<` and `>`.
    pub contents_len: usize,
}

/// Serialises `entries` followed by `/ByteRange` and `/Contents` placeholders reserving
/// `reserved_len` bytes for the signature container.
pub(crate) fn sig_dict_body(entries: &Dict, reserved_len: usize) -> Result<SigDictBody> {
    let mut bytes = Vec::new();
    write_dict(&mut bytes, entries)?;
    bytes.truncate(bytes.len() - 2); // reopen the dictionary: drop `>>`
    bytes.extend_from_slice(b"/ByteRange [");
    let byte_range_at = bytes.len();
    bytes.extend_from_slice(ByteRange::around(0, 0, 0).placeholder_text()?.as_bytes());
    bytes.extend_from_slice(b"]/Contents ");
    let contents_at = bytes.len();
    bytes.push(b'<');
    bytes.resize(bytes.len() + reserved_len * 2, b'0');
    bytes.push(b'>');
    let contents_len = bytes.len() - contents_at;
    bytes.extend_from_slice(b">>");
    Ok(SigDictBody {
        bytes,
        byte_range_at,
        contents_at,
        contents_len,
    })
}

/// Writes the real `/ByteRange` over the placeholder at `at`.
pub(crate) fn patch_byte_range<W: Write + Seek>(
    out: &mut W,
    at: u64,
    range: &ByteRange,
) -> Result<()> {
    out.seek(SeekFrom::Start(at))?;
    out.write_all(range.placeholder_text()?.as_bytes())?;
    Ok(())
}

/// Reads the signed spans of `file` and passes them to `sink` in order, with a fixed buffer.
pub fn feed_byte_range<F: Read + Seek>(
    file: &mut F,
    range: &ByteRange,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    feed_byte_range_after(file, range, 0, sink)
}

/// As [`feed_byte_range`], leaving out the first `skip` bytes of the signed spans.
pub fn feed_byte_range_after<F: Read + Seek>(
    file: &mut F,
    range: &ByteRange,
    mut skip: u64,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    let mut buf = vec![0u8; HASH_BUFFER];
    for (offset, len) in range.spans() {
        let skipped = skip.min(len);
        skip -= skipped;
        file.seek(SeekFrom::Start(offset + skipped))?;
        let mut left = len - skipped;
        while left > 0 {
            let want = left.min(HASH_BUFFER as u64) as usize;
            let n = file.read(&mut buf[..want])?;
            if n == 0 {
                return Err(Error::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the output ended inside the signed byte range",
                )));
            }
            sink(&buf[..n]);
            left -= n as u64;
        }
    }
    Ok(())
}

/// Writes `der` hex-encoded into the `/Contents` string at `contents_at` (the `<`), whose
/// reserved capacity is `reserved_len` bytes.
pub(crate) fn write_contents<W: Write + Seek>(
    out: &mut W,
    contents_at: u64,
    reserved_len: usize,
    der: &[u8],
) -> Result<()> {
    if der.len() > reserved_len {
        return Err(Error::SignatureTooLarge {
            needed: der.len(),
            reserved: reserved_len,
        });
    }
    let mut hex = vec![0u8; der.len() * 2];
    // Both lengths are ours: the slice is exactly twice the input.
    hex::encode_to_slice(der, &mut hex).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    hex.make_ascii_uppercase();
    out.seek(SeekFrom::Start(contents_at + 1))?;
    out.write_all(&hex)?;
    Ok(())
}
