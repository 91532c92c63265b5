//! Random access to the bytes of a PDF file without loading it whole: bounded reads at
//! offsets, and parsing of one indirect object (ISO 32000-2 §7.3.10) from a growing window.

use std::io::{Read, Seek, SeekFrom};

use crate::error::{Error, Result};
use crate::object::{ObjRef, Object};
use crate::reader::budget::Budget;
use crate::reader::lexer::{ParseError, Parser};

/// First window read when parsing an object.
const FIRST_WINDOW: usize = 4096;
/// Largest window read for one object without its stream data (dictionaries, arrays, xref
/// tables).
pub const MAX_WINDOW: usize = 64 * 1024 * 1024;

/// A file opened for reading, with its length.
pub(crate) struct Source<R> {
    inner: R,
    len: u64,
    /// Bytes read so far, for callers that must bound their work (the repair scan).
    read_total: u64,
    /// What decoding this document's streams may still cost.
    pub budget: Budget,
}

/// An indirect object as parsed at an offset, before the stream length is known.
pub(crate) struct ParsedObject {
    pub id: ObjRef,
    pub object: Object,
    /// For streams: absolute offset of the first data byte.
    pub stream_start: Option<u64>,
    /// Absolute offset after the object (after `endobj` if present, else after the object).
    pub end: u64,
}

impl<R: Read + Seek> Source<R> {
    pub fn new(inner: R) -> Result<Self> {
        Self::with_budget(inner, Budget::default())
    }

    /// A source whose streams draw on `budget` (shared with other readers of the document).
    pub fn with_budget(mut inner: R, budget: Budget) -> Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        Ok(Source {
            inner,
            len,
            read_total: 0,
            budget,
        })
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn bytes_read(&self) -> u64 {
        self.read_total
    }

    pub fn inner_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads up to `len` bytes at `offset` (fewer at the end of the file).
    pub fn read_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>> {
        if offset >= self.len {
            return Ok(Vec::new());
        }
        let n = (self.len - offset).min(len as u64) as usize;
        self.read_total += n as u64;
        let mut buf = vec![0u8; n];
        self.inner.seek(SeekFrom::Start(offset))?;
        self.inner.read_exact(&mut buf)?;
        Ok(buf)
    }

    /// Runs `parse` on a window at `offset`, growing the window while the parser needs more;
    /// the objects it parses are charged to the budget.
    pub fn parse_window<T>(
        &mut self,
        offset: u64,
        parse: impl FnMut(&mut Parser<'_>) -> Result<T, ParseError>,
    ) -> Result<T> {
        self.parse_window_from(offset, FIRST_WINDOW, parse)
    }

    /// As [`Self::parse_window`], starting with a window of `first` bytes.
    pub fn parse_window_from<T>(
        &mut self,
        offset: u64,
        first: usize,
        mut parse: impl FnMut(&mut Parser<'_>) -> Result<T, ParseError>,
    ) -> Result<T> {
        if offset >= self.len {
            return Err(Error::syntax(offset, "offset beyond the end of the file"));
        }
        let mut window = first.max(64);
        loop {
            let buf = self.read_at(offset, window)?;
            let complete = offset + buf.len() as u64 >= self.len;
            let allowance = self.budget.objects_left();
            let mut parser = Parser::with_allowance(&buf, offset, complete, allowance);
            match parse(&mut parser) {
                Ok(v) => {
                    // Only the successful attempt counts: a window too small was parsed in vain
                    // and dropped.
                    self.budget.charge_objects(parser.parsed())?;
                    return Ok(v);
                }
                Err(ParseError::Limit(limit)) => return Err(self.budget.refuse(limit)),
                Err(ParseError::Syntax(at, what)) => return Err(Error::syntax(at, what)),
                Err(ParseError::NeedMore) if complete => {
                    return Err(Error::syntax(self.len, "unexpected end of file"))
                }
                Err(ParseError::NeedMore) => {
                    if window >= MAX_WINDOW {
                        return Err(Error::LimitExceeded {
                            what: "size of one object",
                            limit: MAX_WINDOW as u64,
                        });
                    }
                    window = (window * 4).min(MAX_WINDOW);
                }
            }
        }
    }

    /// Parses `N G obj … ` at `offset`. For a stream, stops after the `stream` keyword and its
    /// end-of-line and reports where the data starts.
    pub fn parse_indirect_at(&mut self, offset: u64) -> Result<ParsedObject> {
        self.parse_indirect_at_from(offset, FIRST_WINDOW)
    }

    /// As [`Self::parse_indirect_at`] with a first window of `first` bytes (the repair scan
    /// tries many candidates, most of them small or false).
    pub fn parse_indirect_at_from(&mut self, offset: u64, first: usize) -> Result<ParsedObject> {
        self.parse_window_from(offset, first, |p| {
            let id = p.read_indirect_header()?;
            let object = p.read_object()?;
            if p.eat_keyword(b"stream")? {
                // `stream` is followed by CRLF or LF (a lone CR is accepted too).
                let rest = p.remaining();
                let skip = match rest {
                    [b'\r', b'\n', ..] => 2,
                    [b'\n', ..] | [b'\r', ..] => 1,
                    [] => return Err(ParseError::NeedMore),
                    _ => 0,
                };
                let start = p.offset() + skip as u64;
                return Ok(ParsedObject {
                    id,
                    object,
                    stream_start: Some(start),
                    end: start,
                });
            }
            let _ = p.eat_keyword(b"endobj")?;
            Ok(ParsedObject {
                id,
                object,
                stream_start: None,
                end: p.offset(),
            })
        })
    }

    /// Checks that `endstream` follows the stream data `[start, start+length)` and returns the
    /// offset after `endobj` (or after `endstream` when `endobj` is missing).
    pub fn check_stream_end(&mut self, start: u64, length: u64) -> Result<Option<u64>> {
        let Some(at) = start.checked_add(length) else {
            return Ok(None);
        };
        if at > self.len {
            return Ok(None);
        }
        let buf = self.read_at(at, 64)?;
        let mut p = Parser::new(&buf, at, true);
        match p.eat_keyword(b"endstream") {
            Ok(true) => {
                let _ = p.eat_keyword(b"endobj");
                Ok(Some(p.offset()))
            }
            _ => Ok(None),
        }
    }

    /// Looks for `endstream` after `start` (for streams with a wrong or missing `/Length`) and
    /// returns the data length, leaving out the end-of-line before the keyword.
    pub fn find_stream_length(&mut self, start: u64, limit: u64) -> Result<Option<u64>> {
        const CHUNK: usize = 64 * 1024;
        let mut pos = start;
        while pos < self.len && pos - start <= limit {
            let buf = self.read_at(pos, CHUNK + 16)?;
            if let Some(i) = find(&buf, b"endstream") {
                let mut end = pos + i as u64;
                let before = |e: u64, buf: &[u8]| -> Option<u8> {
                    let idx = (e - pos) as usize;
                    if idx == 0 {
                        None
                    } else {
                        buf.get(idx - 1).copied()
                    }
                };
                if end > start && before(end, &buf) == Some(b'\n') {
                    end -= 1;
                }
                if end > start && before(end, &buf) == Some(b'\r') {
                    end -= 1;
                }
                return Ok(Some(end - start));
            }
            if buf.len() <= CHUNK {
                break;
            }
            pos += CHUNK as u64;
        }
        Ok(None)
    }
}

/// Position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Position of the last `needle` in `hay`.
pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}
