//! Revisions of a document (ISO 32000-2 §7.5.6 incremental updates): found from the last
//! `startxref` and the `/Prev` chain of cross-reference sections, never by scanning for `%%EOF`.
//!
//! A linearized file (Annex F) has two sections for its first revision: the first-page section
//! near the start, whose `/Prev` points *forward* to the main section at the end. A `/Prev` that
//! points forward therefore continues the same revision rather than starting an older one.

use std::collections::HashSet;
use std::io::{Read, Seek};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::object::{Dict, Object};
use crate::reader::filters;
use crate::reader::lexer::is_whitespace;
use crate::reader::source::{rfind, Source};
use crate::reader::xref::{self, StreamLayout, XrefEntry, XrefKind, XrefSection};

/// Most cross-reference sections followed through `/Prev`.
pub const MAX_SECTIONS: usize = 10_000;
/// Bytes at the end of the file searched for `startxref`.
const TAIL_LEN: usize = 2048;
/// Largest raw cross-reference stream accepted.
const MAX_XREF_STREAM_LEN: u64 = 64 * 1024 * 1024;

/// One revision: the original document or one incremental update.
#[derive(Debug, Clone)]
pub struct Revision {
    /// 0 for the original document, then 1, 2, … for each update.
    pub index: usize,
    /// The revision's cross-reference sections, the one `startxref` points to first (two for a
    /// linearized original, otherwise one).
    pub sections: Vec<XrefSection>,
    /// Byte offset just after this revision's `%%EOF` and its end-of-line marker.
    pub end_offset: u64,
    /// Whether `startxref`, the offset and `%%EOF` were found after the trailer.
    pub has_eof_marker: bool,
}

impl Revision {
    /// The offset the revision's `startxref` gives: its first cross-reference section.
    pub fn startxref(&self) -> u64 {
        self.first().offset
    }

    /// The revision's trailer (of its first section).
    pub fn trailer(&self) -> &Dict {
        &self.first().trailer
    }

    /// How the revision's cross-reference data is written.
    pub fn xref_kind(&self) -> XrefKind {
        self.first().kind
    }

    /// Whether the revision has a linearization (first-page) section in front of its main one.
    pub fn is_linearized(&self) -> bool {
        self.sections.len() > 1
    }

    /// The entry for object `num` in this revision's own sections, if any.
    pub fn entry(&self, num: u32) -> Option<XrefEntry> {
        self.sections
            .iter()
            .find_map(|s| s.entries.get(&num).copied())
    }

    fn first(&self) -> &XrefSection {
        // A revision is only built with at least one section.
        &self.sections[0]
    }
}

/// Finds the last `startxref` and returns its offset value and the end of the file's last
/// `%%EOF` line.
pub(crate) fn find_startxref<R: Read + Seek>(src: &mut Source<R>) -> Result<(u64, u64)> {
    let head = src.read_at(0, 1024)?;
    if rfind(&head, b"%PDF-").is_none() {
        return Err(Error::NotPdf("no %PDF- header"));
    }
    let tail_start = src.len().saturating_sub(TAIL_LEN as u64);
    let tail = src.read_at(tail_start, TAIL_LEN)?;
    let at = rfind(&tail, b"startxref").ok_or(Error::NotPdf("no startxref at the end"))?;
    let kw = tail_start + at as u64;
    let (value, eof_end) = parse_startxref_line(&tail[at..], kw)
        .ok_or_else(|| Error::broken_xref(kw, "startxref is not followed by an offset"))?;
    Ok((value, eof_end.unwrap_or(src.len())))
}

/// Parses `startxref <n> %%EOF<eol>` at the start of `buf` (which starts at offset `base`);
/// returns the value and, if `%%EOF` is there, the offset after it and its end-of-line.
fn parse_startxref_line(buf: &[u8], base: u64) -> Option<(u64, Option<u64>)> {
    let mut i = b"startxref".len();
    if !buf.starts_with(b"startxref") {
        return None;
    }
    while buf.get(i).is_some_and(|b| is_whitespace(*b)) {
        i += 1;
    }
    let digits_start = i;
    while buf.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == digits_start || i - digits_start > 19 {
        return None;
    }
    let value: u64 = std::str::from_utf8(&buf[digits_start..i])
        .ok()?
        .parse()
        .ok()?;
    while buf.get(i).is_some_and(|b| is_whitespace(*b)) {
        i += 1;
    }
    if !buf[i..].starts_with(b"%%EOF") {
        return Some((value, None));
    }
    i += 5;
    match &buf[i..] {
        [b'\r', b'\n', ..] => i += 2,
        [b'\r', ..] | [b'\n', ..] => i += 1,
        _ => {}
    }
    Some((value, Some(base + i as u64)))
}

/// After a section's trailer: the offset after `startxref N %%EOF<eol>`, if present.
fn find_section_eof<R: Read + Seek>(src: &mut Source<R>, after: u64) -> Result<Option<u64>> {
    let buf = src.read_at(after, 256)?;
    let start = buf
        .iter()
        .position(|b| !is_whitespace(*b))
        .unwrap_or(buf.len());
    Ok(parse_startxref_line(&buf[start..], after + start as u64).and_then(|(_, end)| end))
}

/// Loads the cross-reference section at `offset` (a table, maybe hybrid, or a stream).
pub(crate) fn load_section<R: Read + Seek>(
    src: &mut Source<R>,
    offset: u64,
) -> Result<XrefSection> {
    if offset >= src.len() {
        return Err(Error::broken_xref(
            offset,
            "points beyond the end of the file",
        ));
    }
    let head = src.read_at(offset, 16)?;
    let first = head
        .iter()
        .position(|b| !is_whitespace(*b))
        .unwrap_or(head.len());
    let rest = &head[first..];
    if rest.starts_with(b"xref") {
        let mut section = xref::parse_table(src, offset)?;
        if section.kind == XrefKind::Hybrid {
            let stm_offset = match section.trailer.get("XRefStm") {
                Some(Object::Integer(i)) if *i >= 0 => *i as u64,
                _ => return Err(Error::broken_xref(offset, "/XRefStm is not an offset")),
            };
            let stm = load_xref_stream(src, stm_offset)?;
            let entries = Arc::make_mut(&mut section.entries);
            for (num, entry) in stm.entries.iter() {
                let slot = entries.entry(*num).or_insert(*entry);
                if matches!(slot, XrefEntry::Free { .. }) {
                    *slot = *entry;
                }
            }
        }
        Ok(section)
    } else if rest.first().is_some_and(u8::is_ascii_digit) {
        load_xref_stream(src, offset)
    } else {
        Err(Error::broken_xref(
            offset,
            "startxref/Prev points neither to `xref` nor to an object",
        ))
    }
}

/// Loads a cross-reference stream object at `offset` (§7.5.8).
pub(crate) fn load_xref_stream<R: Read + Seek>(
    src: &mut Source<R>,
    offset: u64,
) -> Result<XrefSection> {
    let parsed = src.parse_indirect_at(offset).map_err(|e| match e {
        Error::Syntax { offset, what } => Error::broken_xref(offset, what),
        other => other,
    })?;
    let (Object::Dict(dict), Some(start)) = (parsed.object, parsed.stream_start) else {
        return Err(Error::broken_xref(offset, "not a cross-reference stream"));
    };
    if !dict.has_name("Type", "XRef") {
        return Err(Error::broken_xref(offset, "stream is not /Type /XRef"));
    }
    let length = match dict.get("Length") {
        Some(Object::Integer(l)) if *l >= 0 && (*l as u64) <= MAX_XREF_STREAM_LEN => *l as u64,
        Some(Object::Integer(_)) => {
            return Err(Error::LimitExceeded {
                what: "cross-reference stream /Length",
                limit: MAX_XREF_STREAM_LEN,
            })
        }
        _ => {
            return Err(Error::broken_xref(
                offset,
                "xref stream /Length must be a direct integer",
            ))
        }
    };
    if start + length > src.len() {
        return Err(Error::broken_xref(
            offset,
            "xref stream runs past the end of the file",
        ));
    }
    let end = src.check_stream_end(start, length)?.ok_or_else(|| {
        Error::broken_xref(
            start + length,
            "xref stream has no `endstream` after /Length bytes",
        )
    })?;
    // The entries are counted before anything is decoded: a few kilobytes can declare
    // millions of them.
    let layout = StreamLayout::read(&dict, offset)?;
    src.budget.charge_xref_entries(layout.declared())?;
    let raw = src.read_at(start, length as usize)?;
    // Decoded once per reading of the chain, so not kept for other readers; and only as far
    // as the rows go, so that padding after them costs nothing.
    let want = layout.data_len();
    let data = src.budget.clone().decode(|cap| {
        filters::decode_head(&dict, raw, start, cap.min(MAX_XREF_STREAM_LEN), want)
    })?;
    let entries = Arc::new(layout.entries(&data)?);
    Ok(XrefSection {
        offset,
        kind: XrefKind::Stream,
        entries,
        trailer: dict,
        end,
    })
}

/// Follows `startxref` and `/Prev` and groups the sections into revisions, oldest first.
pub(crate) fn load_revisions<R: Read + Seek>(src: &mut Source<R>) -> Result<Vec<Revision>> {
    let (startxref, eof_end) = find_startxref(src)?;
    let mut seen = HashSet::new();
    let mut chain: Vec<XrefSection> = Vec::new();
    let mut next = Some(startxref);
    while let Some(offset) = next {
        if !seen.insert(offset) {
            return Err(Error::PrevCycle { offset });
        }
        if chain.len() >= MAX_SECTIONS {
            return Err(Error::LimitExceeded {
                what: "number of cross-reference sections",
                limit: MAX_SECTIONS as u64,
            });
        }
        let section = load_section(src, offset)?;
        next = section.prev()?;
        chain.push(section);
    }
    // Group: a section reached by a forward /Prev belongs to the revision of the section
    // before it in the chain (linearized files).
    let mut groups: Vec<Vec<XrefSection>> = Vec::new();
    let mut last_offset = None;
    for section in chain {
        let forward = last_offset.is_some_and(|o| section.offset > o);
        last_offset = Some(section.offset);
        match groups.last_mut() {
            Some(group) if forward => group.push(section),
            _ => groups.push(vec![section]),
        }
    }
    let count = groups.len();
    let mut revisions = Vec::with_capacity(count);
    for (i, sections) in groups.into_iter().rev().enumerate() {
        let newest = i + 1 == count;
        let mut end = None;
        for s in &sections {
            if let Some(e) = find_section_eof(src, s.end)? {
                end = Some(end.map_or(e, |x: u64| x.max(e)));
            }
        }
        let has_eof_marker = end.is_some();
        let end_offset = if newest {
            eof_end
        } else {
            end.unwrap_or_else(|| sections.iter().map(|s| s.end).max().unwrap_or(0))
        };
        revisions.push(Revision {
            index: i,
            sections,
            end_offset,
            has_eof_marker: has_eof_marker || newest,
        });
    }
    Ok(revisions)
}
