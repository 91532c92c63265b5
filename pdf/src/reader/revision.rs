//! Revisions of a document (ISO 32000-2 §7.5.6 incremental updates): found from the last
//! `startxref` and the `/Prev` chain of cross-reference sections, never by scanning for `%%EOF`.
//! A revision ends at its `%%EOF` line; white space and comments may stand between its trailer
//! and `startxref`. Only a broken pointer is recovered, as poppler recovers it: a `startxref`
//! or `/Prev` a few bytes from its section, or a `/Prev` far off, replaced by the `startxref`
//! line that ends the revision before the update. A section that is there but broken is never
//! swapped for another.
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
/// Bytes read at a time, from the end of the file, while searching for `startxref`.
const TAIL_LEN: usize = 64 * 1024;
/// Bytes after a `startxref` keyword read to parse its line (offset, comments, `%%EOF`).
const LINE_LEN: usize = 4096;
/// How far from a broken `startxref` or `/Prev` offset a cross-reference section is looked
/// for (writers that miscount get offsets wrong by a few bytes: an end-of-line, a header line).
pub const RECOVERY_REACH: u64 = 64;
/// Most candidate sections tried around one broken offset.
const RECOVERY_CANDIDATES: usize = 64;
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
    /// How a broken pointer to this revision's sections was recovered (`startxref` or `/Prev`
    /// a few bytes off, as poppler recovers them), in plain words; empty when none was.
    pub recovered: Vec<String>,
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

/// Finds the last `startxref` followed by an offset and returns that offset and the end of
/// its `%%EOF` line (the end of the file when `%%EOF` is missing). Bytes after it that are no
/// revision (trailing data appended to a signed file) do not hide it: the search goes back
/// through them, and the verifier reports them as covered by no revision.
pub(crate) fn find_startxref<R: Read + Seek>(src: &mut Source<R>) -> Result<(u64, u64)> {
    let head = src.read_at(0, 1024)?;
    if rfind(&head, b"%PDF-").is_none() {
        return Err(Error::NotPdf("no %PDF- header"));
    }
    let mut end = src.len();
    let mut seen_keyword = None;
    while end > 0 {
        let start = end.saturating_sub(TAIL_LEN as u64);
        // Overlap the previous window so that a keyword and its line are never split.
        let buf = src.read_at(start, (end - start) as usize + LINE_LEN)?;
        // A keyword may start in this window and end in the one after it.
        let mut upto = (end - start) as usize + b"startxref".len() - 1;
        while let Some(at) = rfind(&buf[..upto.min(buf.len())], b"startxref") {
            let kw = start + at as u64;
            seen_keyword.get_or_insert(kw);
            if let Some((value, eof_end)) = parse_startxref_line(&buf[at..], kw) {
                return Ok((value, eof_end.unwrap_or(src.len())));
            }
            upto = at + b"startxref".len() - 1;
        }
        end = start;
    }
    match seen_keyword {
        Some(kw) => Err(Error::broken_xref(
            kw,
            "startxref is not followed by an offset",
        )),
        None => Err(Error::NotPdf("no startxref")),
    }
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
    i = skip_ws_and_comments(buf, i);
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

/// After a section's trailer: the offset after `startxref N %%EOF<eol>`, if present. White
/// space and comments may stand between the trailer and `startxref` (iText writes
/// `%iText-Core-x.y.z` there).
fn find_section_eof<R: Read + Seek>(src: &mut Source<R>, after: u64) -> Result<Option<u64>> {
    let buf = src.read_at(after, LINE_LEN)?;
    let start = skip_ws_and_comments(&buf, 0);
    Ok(parse_startxref_line(&buf[start..], after + start as u64).and_then(|(_, end)| end))
}

/// Skips white space and comments other than `%%EOF` from `i` on.
fn skip_ws_and_comments(buf: &[u8], mut i: usize) -> usize {
    loop {
        while buf.get(i).is_some_and(|b| is_whitespace(*b)) {
            i += 1;
        }
        if buf.get(i) != Some(&b'%') || buf[i..].starts_with(b"%%EOF") {
            return i;
        }
        while buf.get(i).is_some_and(|b| *b != b'\r' && *b != b'\n') {
            i += 1;
        }
    }
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
    let mut notes: Vec<(u64, String)> = Vec::new();
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
        let section = match load_section(src, offset) {
            Ok(section) => section,
            Err(e @ (Error::BrokenXref { .. } | Error::Syntax { .. })) => {
                if looks_like_section(src, offset)? {
                    // A section is there but broken (a bad table, a bad /XRefStm): reading
                    // another one instead would make this reader see another document.
                    return Err(e);
                }
                let near = recover_section(src, offset)?;
                let section = match (near, chain.last()) {
                    (Some(s), _) => s,
                    (None, Some(newer)) => match previous_revision_section(src, newer.offset)? {
                        Some(s) => s,
                        None => return Err(e),
                    },
                    (None, None) => return Err(e),
                };
                if !seen.insert(section.offset) {
                    return Err(Error::PrevCycle {
                        offset: section.offset,
                    });
                }
                let pointer = match chain.last() {
                    Some(s) => format!("/Prev of the section at byte {}", s.offset),
                    None => "startxref".to_string(),
                };
                notes.push((
                    section.offset,
                    format!(
                        "{pointer} points to byte {offset}, where there is no cross-reference \
                         section ({e}); the section at byte {} was used instead",
                        section.offset
                    ),
                ));
                section
            }
            Err(e) => return Err(e),
        };
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
        let recovered = notes
            .iter()
            .filter(|(o, _)| sections.iter().any(|s| s.offset == *o))
            .map(|(_, n)| n.clone())
            .collect();
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
            recovered,
        });
    }
    Ok(revisions)
}

/// Looks for the cross-reference section a broken `startxref` or `/Prev` meant: the nearest
/// `xref` keyword or cross-reference stream object within [`RECOVERY_REACH`] bytes of
/// `offset` that loads. Only the pointer is repaired: the section found is read as any other,
/// and every revision it makes is checked as any other (a signature must still cover exactly
/// its revision, and the changes after it are still analysed).
fn recover_section<R: Read + Seek>(
    src: &mut Source<R>,
    offset: u64,
) -> Result<Option<XrefSection>> {
    let start = offset.saturating_sub(RECOVERY_REACH);
    let end = offset.saturating_add(RECOVERY_REACH).min(src.len());
    if start >= end {
        return Ok(None);
    }
    let buf = src.read_at(start, (end - start) as usize + 32)?;
    let window = (end - start) as usize;
    let mut candidates: Vec<u64> = (0..window)
        .filter(|&i| i == 0 || is_whitespace(buf[i - 1]))
        .filter(|&i| {
            let rest = &buf[i..];
            (rest.starts_with(b"xref") && rest.get(4).is_some_and(|b| is_whitespace(*b)))
                || is_object_header(rest)
        })
        .map(|i| start + i as u64)
        .collect();
    candidates.sort_by_key(|c| c.abs_diff(offset));
    // The nearest section found is the one meant. A section that is there but broken is not
    // passed over for another one further away: readers would disagree on which one counts.
    for candidate in candidates.into_iter().take(RECOVERY_CANDIDATES) {
        if !looks_like_section(src, candidate)? {
            continue;
        }
        return match load_section(src, candidate) {
            Ok(section) => Ok(Some(section)),
            Err(Error::BrokenXref { .. } | Error::Syntax { .. }) => Ok(None),
            Err(e) => Err(e),
        };
    }
    Ok(None)
}

/// Whether a cross-reference section starts at `offset` (after white space): an `xref` table
/// or a `/Type /XRef` stream object, whether or not it then loads.
fn looks_like_section<R: Read + Seek>(src: &mut Source<R>, offset: u64) -> Result<bool> {
    let head = src.read_at(offset, 16)?;
    let first = head
        .iter()
        .position(|b| !is_whitespace(*b))
        .unwrap_or(head.len());
    if head[first..].starts_with(b"xref") {
        return Ok(true);
    }
    if !is_object_header(&head[first..]) {
        return Ok(false);
    }
    match src.parse_indirect_at_from(offset, 512) {
        Ok(parsed) => Ok(matches!(&parsed.object, Object::Dict(d) if d.has_name("Type", "XRef"))),
        Err(Error::BrokenXref { .. } | Error::Syntax { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `buf` starts with `N G obj`.
fn is_object_header(buf: &[u8]) -> bool {
    let digits = |i: usize| {
        buf[i.min(buf.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let spaces = |i: usize| {
        buf[i.min(buf.len())..]
            .iter()
            .take_while(|b| is_whitespace(**b))
            .count()
    };
    let n = digits(0);
    if n == 0 || n > 10 {
        return false;
    }
    let s1 = spaces(n);
    let g = digits(n + s1);
    if s1 == 0 || g == 0 || g > 5 {
        return false;
    }
    let s2 = spaces(n + s1 + g);
    s2 > 0 && buf[(n + s1 + g + s2).min(buf.len())..].starts_with(b"obj")
}

/// For a `/Prev` that points nowhere near a section: the section of the revision just before
/// the one whose section is at `newer`, as that revision's own `startxref` line (the last one
/// before `newer`) gives it. Only a section before `newer` is taken.
fn previous_revision_section<R: Read + Seek>(
    src: &mut Source<R>,
    newer: u64,
) -> Result<Option<XrefSection>> {
    let mut end = newer;
    while end > 0 {
        let start = end.saturating_sub(TAIL_LEN as u64);
        let buf = src.read_at(start, (end - start) as usize + b"startxref".len() - 1)?;
        let mut upto = buf.len();
        while let Some(at) = rfind(&buf[..upto], b"startxref") {
            let kw = start + at as u64;
            let line = src.read_at(kw, LINE_LEN)?;
            if let Some((value, Some(_))) = parse_startxref_line(&line, kw) {
                if value >= kw {
                    return Ok(None);
                }
                let section = match load_section(src, value) {
                    Ok(s) => Some(s),
                    Err(Error::BrokenXref { .. } | Error::Syntax { .. }) => {
                        recover_section(src, value)?
                    }
                    Err(e) => return Err(e),
                };
                return Ok(section.filter(|s| s.offset < kw));
            }
            upto = at + b"startxref".len() - 1;
        }
        end = start;
    }
    Ok(None)
}
