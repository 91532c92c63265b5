//! Cross-reference data (ISO 32000-2 §7.5.4, §7.5.5, §7.5.8): classic `xref` tables with their
//! trailers, cross-reference streams (`/Type /XRef`, `/W`, `/Index`), and the `/XRefStm`
//! entry of hybrid-reference files (§7.5.8.4).

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::object::{Dict, Object};
use crate::reader::budget::Limit;
use crate::reader::lexer::{ParseError, Parser};
use crate::reader::source::Source;

/// Most entries accepted in one cross-reference section.
pub const MAX_XREF_ENTRIES: u64 = 10_000_000;

/// One entry of a cross-reference section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefEntry {
    /// A free object number.
    Free { gen: u16 },
    /// An object stored at a byte offset in the file.
    InFile { offset: u64, gen: u16 },
    /// An object stored in an object stream (§7.5.7); its generation is 0.
    InObjectStream { stream: u32, index: u32 },
}

/// How a cross-reference section is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefKind {
    /// A classic `xref` table with a `trailer` dictionary.
    Table,
    /// A cross-reference stream whose dictionary is the trailer.
    Stream,
    /// A classic table whose trailer has `/XRefStm` (a hybrid-reference file).
    Hybrid,
}

/// One cross-reference section: what `startxref` or a `/Prev` pointed to.
#[derive(Debug, Clone)]
pub struct XrefSection {
    /// Byte offset of the section (of `xref`, or of the xref stream object).
    pub offset: u64,
    pub kind: XrefKind,
    /// Entries by object number. For hybrid files the entries of the `/XRefStm` stream are
    /// merged in where the table has none or a free one. Shared: every revision view of a
    /// document holds the sections, and a section can hold millions of entries.
    pub entries: Arc<BTreeMap<u32, XrefEntry>>,
    /// The trailer (or the xref stream's dictionary).
    pub trailer: Dict,
    /// Byte offset after the trailer dictionary (or after the xref stream's `endobj`).
    pub end: u64,
}

impl XrefSection {
    /// `/Prev` of the trailer.
    pub fn prev(&self) -> Result<Option<u64>> {
        offset_entry(&self.trailer, "Prev", self.offset)
    }
}

fn offset_entry(trailer: &Dict, key: &str, at: u64) -> Result<Option<u64>> {
    match trailer.get(key) {
        None => Ok(None),
        Some(Object::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
        Some(_) => Err(Error::broken_xref(
            at,
            format!("/{key} is not a non-negative integer"),
        )),
    }
}

/// Parses a classic table and its trailer at `offset` (which must start with `xref`); its
/// entries are charged to the document's budget.
pub(crate) fn parse_table<R: Read + Seek>(src: &mut Source<R>, offset: u64) -> Result<XrefSection> {
    let file_len = src.len();
    let allowance = src.budget.xref_entries_left();
    let (entries, trailer, end, declared) = src
        .parse_window(offset, |p| parse_table_body(p, file_len, allowance))
        .map_err(|e| match e {
            Error::Syntax { offset, what } => Error::broken_xref(offset, what),
            other => other,
        })?;
    src.budget.charge_xref_entries(declared)?;
    let entries = Arc::new(entries);
    Ok(XrefSection {
        offset,
        kind: if trailer.contains("XRefStm") {
            XrefKind::Hybrid
        } else {
            XrefKind::Table
        },
        entries,
        trailer,
        end,
    })
}

/// The entries, the trailer, the offset after it, and the number of entries the subsections
/// declare.
type TableBody = (BTreeMap<u32, XrefEntry>, Dict, u64, u64);

/// Parses `xref` … `trailer << … >>`; refuses, before reading them, more entries than
/// `allowance`.
fn parse_table_body(
    p: &mut Parser<'_>,
    file_len: u64,
    allowance: u64,
) -> Result<TableBody, ParseError> {
    let syntax = |p: &Parser<'_>, what: &str| ParseError::Syntax(p.offset(), what.to_string());
    p.expect_keyword(b"xref")?;
    let mut entries = BTreeMap::new();
    let mut total = 0u64;
    loop {
        if p.eat_keyword(b"trailer")? {
            break;
        }
        let first = p.read_unsigned()?;
        let count = p.read_unsigned()?;
        total = total.saturating_add(count);
        // Each entry takes at least 18 bytes; more entries than that cannot be in the file.
        if total > MAX_XREF_ENTRIES || count.saturating_mul(18) > file_len {
            return Err(syntax(p, "xref subsection count is too large"));
        }
        if total > allowance {
            return Err(ParseError::Limit(Limit::XrefEntries));
        }
        for i in 0..count {
            let field1 = p.read_unsigned()?;
            let field2 = p.read_unsigned()?;
            let num = first
                .checked_add(i)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| syntax(p, "object number too large"))?;
            let gen = u16::try_from(field2).map_err(|_| syntax(p, "generation too large"))?;
            let entry = if p.eat_keyword(b"n")? {
                XrefEntry::InFile {
                    offset: field1,
                    gen,
                }
            } else if p.eat_keyword(b"f")? {
                XrefEntry::Free { gen }
            } else {
                return Err(syntax(p, "xref entry is neither `n` nor `f`"));
            };
            // Within one section the first entry for a number counts.
            entries.entry(num).or_insert(entry);
        }
    }
    let trailer = match p.read_object()? {
        Object::Dict(d) => d,
        _ => return Err(syntax(p, "trailer is not a dictionary")),
    };
    Ok((entries, trailer, p.offset(), total))
}

/// How a cross-reference stream lays out its entries (§7.5.8.2): the field widths and the
/// subsections, read from its dictionary before its data is decoded.
pub(crate) struct StreamLayout {
    widths: [usize; 3],
    index: Vec<(u64, u64)>,
    offset: u64,
}

impl StreamLayout {
    /// The layout of the cross-reference stream at `offset` whose dictionary is `dict`.
    pub fn read(dict: &Dict, offset: u64) -> Result<StreamLayout> {
        let bad = |reason: &str| Error::broken_xref(offset, reason.to_string());
        let widths = match dict.get("W") {
            Some(Object::Array(a)) if a.len() == 3 => {
                let mut w = [0usize; 3];
                for (slot, v) in w.iter_mut().zip(a) {
                    *slot = match v.as_i64() {
                        Some(v @ 0..=8) => v as usize,
                        _ => return Err(bad("/W entries must be integers from 0 to 8")),
                    };
                }
                w
            }
            _ => return Err(bad("/W is missing or not an array of three integers")),
        };
        let size = match dict.get("Size").and_then(Object::as_i64) {
            Some(s) if (0..=MAX_XREF_ENTRIES as i64).contains(&s) => s as u64,
            _ => return Err(bad("/Size is missing or out of range")),
        };
        let index: Vec<(u64, u64)> = match dict.get("Index") {
            None => vec![(0, size)],
            Some(Object::Array(a)) if a.len() % 2 == 0 => a
                .chunks(2)
                .map(|pair| match (pair[0].as_i64(), pair[1].as_i64()) {
                    (Some(f), Some(c)) if f >= 0 && c >= 0 => Ok((f as u64, c as u64)),
                    _ => Err(bad("/Index holds a negative or non-integer value")),
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(bad("/Index is not an array of pairs")),
        };
        if widths.iter().sum::<usize>() == 0 {
            return Err(bad("/W describes empty entries"));
        }
        let layout = StreamLayout {
            widths,
            index,
            offset,
        };
        if layout.declared() > MAX_XREF_ENTRIES {
            return Err(bad("too many entries"));
        }
        Ok(layout)
    }

    /// The number of entries the subsections declare.
    pub fn declared(&self) -> u64 {
        self.index
            .iter()
            .fold(0u64, |total, (_, c)| total.saturating_add(*c))
    }

    /// The bytes of data the declared entries take.
    pub fn data_len(&self) -> u64 {
        let row = self.widths.iter().sum::<usize>() as u64;
        self.declared().saturating_mul(row)
    }

    /// Reads the entries from the decoded stream data (§7.5.8.3).
    pub fn entries(&self, data: &[u8]) -> Result<BTreeMap<u32, XrefEntry>> {
        let bad = |reason: &str| Error::broken_xref(self.offset, reason.to_string());
        let widths = self.widths;
        let mut rows = data.chunks_exact(widths.iter().sum::<usize>());
        let mut entries = BTreeMap::new();
        for &(first, count) in &self.index {
            for i in 0..count {
                let Some(r) = rows.next() else {
                    return Err(bad("stream data shorter than /Index and /W describe"));
                };
                let (f1, rest) = r.split_at(widths[0]);
                let (f2, f3) = rest.split_at(widths[1]);
                let kind = if widths[0] == 0 { 1 } else { be(f1) };
                let (a, b) = (be(f2), be(f3));
                let num = first
                    .checked_add(i)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad("object number too large"))?;
                let entry = match kind {
                    0 => XrefEntry::Free {
                        gen: u16::try_from(b).unwrap_or(u16::MAX),
                    },
                    1 => XrefEntry::InFile {
                        offset: a,
                        gen: u16::try_from(b).map_err(|_| bad("generation too large"))?,
                    },
                    2 => XrefEntry::InObjectStream {
                        stream: u32::try_from(a)
                            .map_err(|_| bad("object stream number too large"))?,
                        index: u32::try_from(b)
                            .map_err(|_| bad("object stream index too large"))?,
                    },
                    // Unknown types are references to the null object (§7.5.8.3).
                    _ => continue,
                };
                entries.entry(num).or_insert(entry);
            }
        }
        Ok(entries)
    }
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b))
}
