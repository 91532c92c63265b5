//! A writer that knows its position: the offsets a cross-reference section (ISO 32000-2
//! §7.5.4) records are where each object landed in the output, which an arbitrary `Write`
//! cannot tell.

use std::io::Write;

/// Passes writes through to `inner` and counts the bytes written, from `pos`.
pub(crate) struct Counting<'a, W> {
    pub(crate) inner: &'a mut W,
    pub(crate) pos: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
