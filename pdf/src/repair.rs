//! Repair of files whose cross-reference data is broken (ISO 32000-2 §7.5.4 describes what is
//! being rebuilt): the objects are found by scanning for `N G obj`, object streams are indexed,
//! and the trailer is taken from the last `trailer` or xref stream dictionary (or a catalog is
//! searched for). A repaired file is written out whole, as a new file with a classic table.
//!
//! Repair is opt-in and refused when the file carries signatures: a full rewrite would break
//! them. Signing then proceeds on the rewritten file by incremental update as usual.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object, Stream, StreamData};
use crate::reader::source::{find, Source};
use crate::reader::{PdfReader, Revision, XrefEntry, XrefKind, XrefSection, MAX_STREAM_LEN};
use crate::writer::serialize::write_object;
use crate::writer::Counting;

/// Scan chunk size.
const CHUNK: usize = 1024 * 1024;
/// The repair scan may read the file this many times over (each candidate costs a parse
/// window of at least [`CANDIDATE_WINDOW`] bytes), plus [`READ_ALLOWANCE`].
const READS_PER_BYTE: u64 = 16;
const READ_ALLOWANCE: u64 = 1024 * 1024;
/// First parse window for a candidate object: small, so tiny objects cost little.
const CANDIDATE_WINDOW: usize = 512;
/// Most objects recovered.
const MAX_OBJECTS: usize = 10_000_000;

/// Opens `source` by scanning for objects instead of trusting its cross-reference data.
pub fn open_repaired<R: Read + Seek>(source: R) -> Result<PdfReader<R>> {
    let mut src = Source::new(source)?;
    if src.len() == 0 || find(&src.read_at(0, 1024)?, b"%PDF-").is_none() {
        return Err(Error::NotPdf("no %PDF- header"));
    }
    let scan = scan_objects(&mut src)?;
    let trailer = rebuilt_trailer(scan.trailer, scan.catalog, &scan.entries)?;
    let len = src.len();
    let mut revision = Revision {
        index: 0,
        sections: vec![XrefSection {
            offset: 0,
            kind: XrefKind::Table,
            entries: Arc::new(scan.entries.clone()),
            trailer,
            end: len,
        }],
        end_offset: len,
        has_eof_marker: false,
        recovered: Vec::new(),
    };
    let mut reader = PdfReader::from_parts(src, vec![revision.clone()], true);
    let mut entries = scan.entries;
    index_object_streams(&mut reader, scan.object_streams, &mut entries);
    revision.sections[0].entries = Arc::new(entries);
    let src = reader.into_parts();
    Ok(PdfReader::from_parts(src, vec![revision], true))
}

/// What the scan found: where each object lies, the last trailer (a `trailer` dictionary or
/// an xref stream's) that names a `/Root`, a catalog, and the object streams.
#[derive(Default)]
struct Scan {
    entries: BTreeMap<u32, XrefEntry>,
    trailer: Option<Dict>,
    catalog: Option<ObjRef>,
    object_streams: Vec<u32>,
}

/// Scans the whole file for `N G obj` headers and `trailer` keywords.
fn scan_objects<R: Read + Seek>(src: &mut Source<R>) -> Result<Scan> {
    let mut scan = Scan::default();
    let mut pos = 0u64;
    // The window read last: scanning resumes inside it instead of re-reading a chunk after
    // every candidate (which made the scan quadratic on files full of false `obj`s).
    let mut window: (u64, Vec<u8>) = (0, Vec::new());
    // Every candidate costs at least one small parse window, and a false one that runs to the
    // end of the file costs more: bound the total so that no input makes the scan quadratic.
    let budget = src.len().saturating_mul(READS_PER_BYTE) + READ_ALLOWANCE;
    while pos < src.len() {
        if src.bytes_read() > budget {
            return Err(Error::LimitExceeded {
                what: "bytes read while repairing",
                limit: budget,
            });
        }
        let (wstart, wlen) = (window.0, window.1.len() as u64);
        let inside = pos >= wstart && pos + 32 < wstart + wlen;
        let at_end = wlen < CHUNK as u64;
        if !(inside || (at_end && pos >= wstart && pos < wstart + wlen)) {
            window = (pos, src.read_at(pos, CHUNK)?);
        }
        let chunk = &window.1[(pos - window.0) as usize..];
        let Some(hit) = next_candidate(chunk) else {
            if window.1.len() < CHUNK {
                break;
            }
            pos = window.0 + (CHUNK - 32) as u64;
            continue;
        };
        let at = pos + hit.start as u64;
        pos = if hit.trailer {
            scan.trailer_at(src, at);
            at + 7
        } else {
            scan.object_at(src, at)?
        };
    }
    Ok(scan)
}

impl Scan {
    /// Keeps the `trailer` dictionary at `at` if it parses and names a `/Root`.
    fn trailer_at<R: Read + Seek>(&mut self, src: &mut Source<R>, at: u64) {
        if let Ok(Object::Dict(d)) = parse_trailer(src, at) {
            if d.contains("Root") {
                self.trailer = Some(d);
            }
        }
    }

    /// Records the object whose header starts at `at`, if it parses; returns where the scan
    /// goes on (after the object, or the next byte when it does not parse).
    fn object_at<R: Read + Seek>(&mut self, src: &mut Source<R>, at: u64) -> Result<u64> {
        let Ok(parsed) = src.parse_indirect_at_from(at, CANDIDATE_WINDOW) else {
            return Ok(at + 1);
        };
        if self.entries.len() >= MAX_OBJECTS {
            return Err(Error::LimitExceeded {
                what: "number of recovered objects",
                limit: MAX_OBJECTS as u64,
            });
        }
        self.entries.insert(
            parsed.id.num,
            XrefEntry::InFile {
                offset: at,
                gen: parsed.id.gen,
            },
        );
        if let Some(d) = parsed.object.as_dict() {
            if d.has_name("Type", "Catalog") {
                self.catalog = Some(parsed.id);
            }
            if d.has_name("Type", "XRef") && d.contains("Root") {
                self.trailer = Some(d.clone());
            }
            if d.has_name("Type", "ObjStm") {
                self.object_streams.push(parsed.id.num);
            }
        }
        match parsed.stream_start {
            Some(start) => stream_end(src, &parsed.object, start),
            None => Ok(parsed.end.max(at + 1)),
        }
    }
}

/// Where the data of a stream starting at `start` ends: after `/Length` bytes when `endstream`
/// follows there, else at the next `endstream`, else (none found) at `start`.
fn stream_end<R: Read + Seek>(src: &mut Source<R>, stream: &Object, start: u64) -> Result<u64> {
    let len = stream
        .as_dict()
        .and_then(|d| d.get("Length"))
        .and_then(Object::as_i64);
    let checked = match len {
        Some(l) if l >= 0 => src.check_stream_end(start, l as u64)?,
        _ => None,
    };
    Ok(match checked {
        Some(end) => end,
        None => match src.find_stream_length(start, MAX_STREAM_LEN)? {
            Some(l) => start + l,
            None => start,
        },
    })
}

/// The trailer of the repaired file: the one found (refused when it encrypts), with `/Root`
/// from a found catalog if it has none, without the keys of the cross-reference data it came
/// with, and a `/Size` after the highest object number found.
fn rebuilt_trailer(
    found: Option<Dict>,
    catalog: Option<ObjRef>,
    entries: &BTreeMap<u32, XrefEntry>,
) -> Result<Dict> {
    let mut trailer = found.unwrap_or_default();
    if trailer.contains("Encrypt") {
        return Err(Error::Encrypted);
    }
    if !trailer.contains("Root") {
        let root = catalog.ok_or(Error::MissingEntry {
            dict: "trailer",
            key: "Root",
        })?;
        trailer.set("Root", root);
    }
    for key in [
        "Prev",
        "XRefStm",
        "Type",
        "W",
        "Index",
        "Filter",
        "DecodeParms",
        "Length",
    ] {
        trailer.remove(key);
    }
    let size = entries.keys().next_back().map_or(1, |n| n + 1);
    trailer.set("Size", i64::from(size));
    Ok(trailer)
}

/// Adds the objects inside the object streams (ISO 32000-2 §7.5.7) to `entries`, unless they
/// were found directly in the file.
fn index_object_streams<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    object_streams: Vec<u32>,
    entries: &mut BTreeMap<u32, XrefEntry>,
) {
    for num in object_streams {
        if let Ok(nums) = reader.object_stream_members(num) {
            for (index, member) in nums.into_iter().enumerate() {
                entries.entry(member).or_insert(XrefEntry::InObjectStream {
                    stream: num,
                    index: index as u32,
                });
            }
        }
    }
}

struct Candidate {
    start: usize,
    trailer: bool,
}

/// The next `N G obj` header or `trailer` keyword in `chunk`.
fn next_candidate(chunk: &[u8]) -> Option<Candidate> {
    let mut i = 0;
    while i + 3 <= chunk.len() {
        if chunk[i..].starts_with(b"trailer") {
            return Some(Candidate {
                start: i,
                trailer: true,
            });
        }
        if chunk[i..].starts_with(b"obj") {
            if let Some(start) = header_start(chunk, i) {
                return Some(Candidate {
                    start,
                    trailer: false,
                });
            }
        }
        i += 1;
    }
    None
}

/// For `obj` at `i`, the start of a preceding `N G ` if there is one.
fn header_start(chunk: &[u8], i: usize) -> Option<usize> {
    let ws = |b: u8| matches!(b, b' ' | b'\r' | b'\n' | b'\t' | b'\0' | b'\x0c');
    let mut j = i;
    let skip_ws = |j: &mut usize| {
        let s = *j;
        while *j > 0 && ws(chunk[*j - 1]) {
            *j -= 1;
        }
        *j < s
    };
    let digits = |j: &mut usize| {
        let s = *j;
        while *j > 0 && chunk[*j - 1].is_ascii_digit() {
            *j -= 1;
        }
        *j < s
    };
    if !skip_ws(&mut j) || !digits(&mut j) || !skip_ws(&mut j) || !digits(&mut j) {
        return None;
    }
    if j > 0 && !ws(chunk[j - 1]) && !matches!(chunk[j - 1], b'>' | b')' | b']') {
        return None;
    }
    Some(j)
}

fn parse_trailer<R: Read + Seek>(src: &mut Source<R>, at: u64) -> Result<Object> {
    src.parse_window(at, |p| {
        p.expect_keyword(b"trailer")?;
        p.read_object()
    })
}

/// The objects a rewrite copies: every one that can be read, except object streams and xref
/// streams (the rewrite stores each object on its own, with a classic table). Fails with
/// [`Error::RepairWouldBreakSignatures`] on a signature dictionary.
fn objects_to_copy<R: Read + Seek>(reader: &mut PdfReader<R>) -> Result<Vec<ObjRef>> {
    let nums: Vec<(u32, XrefEntry)> = reader.object_numbers().collect();
    let mut objects = Vec::new();
    for (num, entry) in &nums {
        let r = match entry {
            XrefEntry::InFile { gen, .. } => ObjRef::new(*num, *gen),
            XrefEntry::InObjectStream { .. } => ObjRef::new(*num, 0),
            XrefEntry::Free { .. } => continue,
        };
        let Ok(obj) = reader.get(r) else { continue };
        if let Some(d) = obj.as_dict() {
            if d.contains("ByteRange") && d.contains("Contents") {
                return Err(Error::RepairWouldBreakSignatures);
            }
            if d.has_name("Type", "ObjStm") || d.has_name("Type", "XRef") {
                continue;
            }
        }
        objects.push(r);
    }
    Ok(objects)
}

/// Rewrites a broken, unsigned file whole, with fresh cross-reference data. Fails with
/// [`Error::RepairWouldBreakSignatures`] if it holds a signature dictionary.
pub fn rewrite_repaired<R: Read + Seek, W: Write>(input: R, output: &mut W) -> Result<()> {
    let mut reader = open_repaired(input)?;
    let objects = objects_to_copy(&mut reader)?;
    let mut out = Counting {
        inner: output,
        pos: 0,
    };
    out.write_all(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
    let mut offsets: BTreeMap<u32, (u64, u16)> = BTreeMap::new();
    for r in objects {
        let obj = match reader.get(r)? {
            Object::Stream(s) => {
                let data = reader.stream_raw(&s)?;
                Object::Stream(Stream {
                    dict: s.dict,
                    data: StreamData::Bytes(data),
                })
            }
            other => other,
        };
        offsets.insert(r.num, (out.pos, r.gen));
        let mut b = format!("{} {} obj\n", r.num, r.gen).into_bytes();
        write_object(&mut b, &obj)?;
        b.extend_from_slice(b"\nendobj\n");
        out.write_all(&b)?;
    }
    let size = offsets.keys().next_back().map_or(1, |n| n + 1);
    let startxref = out.pos;
    let mut table = format!("xref\n0 {size}\n").into_bytes();
    for num in 0..size {
        match offsets.get(&num) {
            Some((off, gen)) => {
                table.extend_from_slice(format!("{off:010} {gen:05} n\r\n").as_bytes())
            }
            None => table.extend_from_slice(b"0000000000 65535 f\r\n"),
        }
    }
    out.write_all(&table)?;
    let old = reader.trailer().clone();
    let mut trailer = Dict::new().with("Size", i64::from(size));
    for key in ["Root", "Info", "ID"] {
        if let Some(v) = old.get(key) {
            trailer.set(key, v.clone());
        }
    }
    let mut t = b"trailer\n".to_vec();
    write_object(&mut t, &Object::Dict(trailer))?;
    t.extend_from_slice(format!("\nstartxref\n{startxref}\n%%EOF\n").as_bytes());
    out.write_all(&t)?;
    out.flush()?;
    Ok(())
}
