//! The file as the verifier sees it (ISO 32000-2 §7.5.6 incremental updates): the whole input,
//! and a *view* of each revision, i.e. the file cut at that revision's `%%EOF` and read through
//! that revision's cross-reference chain only, so that later bytes can never define what an
//! earlier revision contains.
//!
//! Work is bounded: the number of revisions and the total number of cross-reference entries
//! merged over all views are capped, so a file with many revisions and many objects cannot make
//! the analysis quadratic.

use std::io::{self, Read, Seek, SeekFrom};

use crate::reader::{Budget, PdfReader, Revision, Source};

/// Most revisions analysed; a file with more is reported as too complex (fail closed).
pub const MAX_REVISIONS: usize = 512;
/// Most cross-reference entries merged over all revision views of one verification.
pub const MAX_VIEW_ENTRIES: u64 = 60_000_000;

/// The first `len` bytes of `inner`: a revision's file as it was when that revision was saved.
#[derive(Clone)]
pub struct Prefix<R> {
    inner: R,
    len: u64,
    pos: u64,
}

impl<R: Read + Seek> Prefix<R> {
    pub fn new(inner: R, len: u64) -> Self {
        Prefix { inner, len, pos: 0 }
    }
}

impl<R: Read + Seek> Read for Prefix<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len {
            return Ok(0);
        }
        let want = (self.len - self.pos).min(buf.len() as u64) as usize;
        self.inner.seek(SeekFrom::Start(self.pos))?;
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Prefix<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the revision",
            )),
        }
    }
}

/// A reader that sees revision `index` and nothing after it.
pub type RevisionView<R> = PdfReader<Prefix<R>>;

/// Opens the view of revision `index` of `revisions` (which come from the whole file).
pub fn open_view<R: Read + Seek + Clone>(
    input: &R,
    revisions: &[Revision],
    index: usize,
    budget: &Budget,
) -> io::Result<RevisionView<R>> {
    let end = revisions[index].end_offset;
    let src = Source::with_budget(Prefix::new(input.clone(), end), budget.clone())
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut view = PdfReader::from_parts(src, revisions[..=index].to_vec(), false);
    // Each revision is read decrypted as the whole document is (see `verify`).
    view.enable_decryption(b"")
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok(view)
}

/// Cross-reference entries merged when opening the view of each revision in `indices`.
pub fn view_cost(revisions: &[Revision], indices: impl Iterator<Item = usize>) -> u64 {
    let mut prefix = Vec::with_capacity(revisions.len());
    let mut total = 0u64;
    for r in revisions {
        total += r
            .sections
            .iter()
            .map(|s| s.entries.len() as u64)
            .sum::<u64>();
        prefix.push(total);
    }
    indices
        .filter_map(|i| prefix.get(i).copied())
        .fold(0u64, u64::saturating_add)
}
