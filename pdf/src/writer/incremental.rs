//! Incremental updates (ISO 32000-2 §7.5.6): the original bytes copied verbatim, then one new
//! revision with the new and changed objects, a cross-reference section of the same kind as
//! the file's last one (table or stream, §7.5.4 / §7.5.8), a trailer with `/Prev`, and
//! `startxref` / `%%EOF`.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object, Stream};
use crate::reader::{PdfReader, XrefKind};
use crate::writer::serialize::write_object;
use crate::writer::Counting;

/// Buffer used for copying the original bytes.
pub const COPY_BUFFER: usize = 64 * 1024;

/// What goes into an object slot of the new revision.
#[derive(Debug, Clone)]
enum Body {
    Object(Object),
    /// Pre-serialised object body (used for the signature dictionary, whose placeholder
    /// positions must be known).
    Raw(Vec<u8>),
}

/// The objects of one revision to be appended.
#[derive(Debug, Clone)]
pub struct IncrementalUpdate {
    next_num: u32,
    objects: BTreeMap<ObjRef, Body>,
    base: RevisionBase,
}

/// What the new revision continues from: the newest revision of the original file.
#[derive(Debug, Clone)]
pub struct RevisionBase {
    /// `startxref` of the newest revision (becomes `/Prev`).
    pub prev_startxref: u64,
    /// Kind of cross-reference data of the newest revision.
    pub xref_kind: XrefKind,
    /// The newest trailer.
    pub trailer: Dict,
    /// `/Size` of the newest revision.
    pub size: u32,
    /// Length of the original file.
    pub file_len: u64,
}

/// Where the appended revision's parts ended up in the output.
#[derive(Debug, Clone)]
pub struct WrittenRevision {
    /// Offset of the first byte of the new revision.
    pub start: u64,
    /// Offset of each new object's body (just after `N G obj\n`).
    pub body_offsets: BTreeMap<ObjRef, u64>,
    /// Offset of the new cross-reference section.
    pub startxref: u64,
    /// Length of the whole output (just after `%%EOF\n`).
    pub end: u64,
}

impl IncrementalUpdate {
    /// An empty update on top of the newest revision of `reader`.
    pub fn new<R: Read + Seek>(reader: &PdfReader<R>) -> Self {
        let last = reader.last_revision();
        IncrementalUpdate {
            next_num: reader.size().max(1),
            objects: BTreeMap::new(),
            base: RevisionBase {
                prev_startxref: last.startxref(),
                xref_kind: last.xref_kind(),
                trailer: last.trailer().clone(),
                size: reader.size(),
                file_len: reader.file_len(),
            },
        }
    }

    /// The revision this update continues.
    pub fn base(&self) -> &RevisionBase {
        &self.base
    }

    /// Allocates a new object number.
    pub fn reserve(&mut self) -> ObjRef {
        let r = ObjRef::new(self.next_num, 0);
        self.next_num = self.next_num.saturating_add(1);
        self.objects.insert(r, Body::Object(Object::Null));
        r
    }

    /// Adds a new object and returns its reference.
    pub fn add(&mut self, obj: impl Into<Object>) -> ObjRef {
        let r = self.reserve();
        self.objects.insert(r, Body::Object(obj.into()));
        r
    }

    /// Sets (adds or replaces) object `r` in the new revision.
    pub fn set(&mut self, r: ObjRef, obj: impl Into<Object>) {
        self.objects.insert(r, Body::Object(obj.into()));
    }

    /// Sets object `r` to a pre-serialised body.
    pub(crate) fn set_raw(&mut self, r: ObjRef, body: Vec<u8>) {
        self.objects.insert(r, Body::Raw(body));
    }

    /// The object set for `r` in this update, if any.
    pub fn get(&self, r: ObjRef) -> Option<&Object> {
        match self.objects.get(&r) {
            Some(Body::Object(o)) => Some(o),
            _ => None,
        }
    }

    /// Mutable access to the object set for `r` in this update, if any.
    pub fn get_mut(&mut self, r: ObjRef) -> Option<&mut Object> {
        match self.objects.get_mut(&r) {
            Some(Body::Object(o)) => Some(o),
            _ => None,
        }
    }

    /// The objects of the update (new and changed), by reference.
    pub fn refs(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.objects.keys().copied()
    }

    /// Writes the revision to `out`, whose current position is `start`.
    pub fn write_revision<W: Write>(&self, out: &mut W, start: u64) -> Result<WrittenRevision> {
        let mut w = Counting {
            inner: out,
            pos: start,
        };
        let mut body_offsets = BTreeMap::new();
        let mut entries: BTreeMap<u32, (u64, u16)> = BTreeMap::new();
        for (r, body) in &self.objects {
            let obj_offset = w.pos;
            let header = format!("{} {} obj\n", r.num, r.gen);
            w.write_all(header.as_bytes())?;
            body_offsets.insert(*r, w.pos);
            let bytes = match body {
                Body::Raw(b) => b.clone(),
                Body::Object(o) => {
                    let mut b = Vec::new();
                    write_object(&mut b, o)?;
                    b
                }
            };
            w.write_all(&bytes)?;
            w.write_all(b"\nendobj\n")?;
            entries.insert(r.num, (obj_offset, r.gen));
        }
        let max_num = self.objects.keys().next_back().map_or(0, |r| r.num);
        let startxref = w.pos;
        let trailer = self.trailer(startxref);
        match self.base.xref_kind {
            XrefKind::Table | XrefKind::Hybrid => {
                let size = self.base.size.max(max_num + 1);
                write_table(&mut w, &entries)?;
                let mut trailer = trailer;
                trailer.set("Size", i64::from(size));
                let mut t = b"trailer\n".to_vec();
                write_object(&mut t, &Object::Dict(trailer))?;
                // pyHanko (and the spec's grammar) want startxref on a line of its own.
                t.push(b'\n');
                w.write_all(&t)?;
            }
            XrefKind::Stream => {
                let stream_num = self.next_num.max(max_num + 1);
                entries.insert(stream_num, (startxref, 0));
                let size = self.base.size.max(stream_num + 1);
                let stream = xref_stream(&entries, trailer, size)?;
                let mut b = format!("{stream_num} 0 obj\n").into_bytes();
                write_object(&mut b, &Object::Stream(stream))?;
                b.extend_from_slice(b"\nendobj\n");
                w.write_all(&b)?;
            }
        }
        w.write_all(format!("startxref\n{startxref}\n%%EOF\n").as_bytes())?;
        Ok(WrittenRevision {
            start,
            body_offsets,
            startxref,
            end: w.pos,
        })
    }

    /// The trailer entries common to both kinds (without `/Size`).
    fn trailer(&self, startxref: u64) -> Dict {
        let old = &self.base.trailer;
        let mut t = Dict::new();
        if let Some(root) = old.get("Root") {
            t.set("Root", root.clone());
        }
        if let Some(info) = old.get("Info") {
            t.set("Info", info.clone());
        }
        t.set("Prev", self.base.prev_startxref as i64);
        let first_id = match old.get("ID") {
            Some(Object::Array(a)) => a.first().and_then(Object::as_string).map(<[u8]>::to_vec),
            _ => None,
        };
        let mut h = Sha256::new();
        h.update(first_id.as_deref().unwrap_or_default());
        h.update(self.base.file_len.to_le_bytes());
        h.update(startxref.to_le_bytes());
        h.update(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
                .to_le_bytes(),
        );
        let new_id = h.finalize()[..16].to_vec();
        let first_id = first_id.unwrap_or_else(|| new_id.clone());
        t.set(
            "ID",
            Object::Array(vec![Object::String(first_id), Object::String(new_id)]),
        );
        t
    }
}

fn write_table<W: Write>(w: &mut W, entries: &BTreeMap<u32, (u64, u16)>) -> Result<()> {
    let mut out = b"xref\n".to_vec();
    for run in runs(entries.keys().copied()) {
        out.extend_from_slice(format!("{} {}\n", run.0, run.1).as_bytes());
        for num in run.0..run.0 + run.1 {
            if let Some((offset, gen)) = entries.get(&num) {
                out.extend_from_slice(format!("{offset:010} {gen:05} n\r\n").as_bytes());
            }
        }
    }
    w.write_all(&out)?;
    Ok(())
}

/// Consecutive runs (first, count) of sorted object numbers.
fn runs(nums: impl Iterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for n in nums {
        match out.last_mut() {
            Some((first, count)) if *first + *count == n => *count += 1,
            _ => out.push((n, 1)),
        }
    }
    out
}

fn xref_stream(entries: &BTreeMap<u32, (u64, u16)>, trailer: Dict, size: u32) -> Result<Stream> {
    let max_offset = entries.values().map(|(o, _)| *o).max().unwrap_or(0);
    let width = (1..=8)
        .find(|w| *w == 8 || max_offset < 1u64 << (8 * w))
        .unwrap_or(8);
    let mut data = Vec::new();
    let mut index = Vec::new();
    for (first, count) in runs(entries.keys().copied()) {
        index.push(Object::Integer(i64::from(first)));
        index.push(Object::Integer(i64::from(count)));
        for num in first..first + count {
            let (offset, gen) = entries.get(&num).copied().unwrap_or_default();
            data.push(1);
            data.extend_from_slice(&offset.to_be_bytes()[8 - width..]);
            data.extend_from_slice(&gen.to_be_bytes());
        }
    }
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&data)?;
    let compressed = enc.finish()?;
    let mut dict = Dict::new().with("Type", Object::name("XRef"));
    dict.set("Size", i64::from(size));
    dict.set("Index", Object::Array(index));
    dict.set(
        "W",
        Object::Array(vec![1.into(), (width as i64).into(), 2.into()]),
    );
    dict.set("Filter", Object::name("FlateDecode"));
    for (k, v) in trailer.iter() {
        dict.set_raw(k.to_vec(), v.clone());
    }
    Ok(Stream::new(dict, compressed))
}

/// Copies the whole of `src` to `out` with a fixed buffer; returns the number of bytes copied
/// and the last byte.
pub(crate) fn copy_verbatim<R: Read + Seek, W: Write>(
    src: &mut R,
    out: &mut W,
    len: u64,
) -> Result<(u64, Option<u8>)> {
    src.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut copied = 0u64;
    let mut last = None;
    while copied < len {
        let want = (len - copied).min(COPY_BUFFER as u64) as usize;
        let n = src.read(&mut buf[..want])?;
        if n == 0 {
            return Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the input file shrank while it was being copied",
            )));
        }
        out.write_all(&buf[..n])?;
        last = Some(buf[n - 1]);
        copied += n as u64;
    }
    Ok((copied, last))
}

/// Writes the original file followed by the update; returns where the revision went.
///
/// The original bytes are copied verbatim; when they do not end with an end-of-line marker,
/// one `\n` is added before the new revision.
pub fn write_incremental<R: Read + Seek, W: Write>(
    reader: &mut PdfReader<R>,
    update: &IncrementalUpdate,
    out: &mut W,
) -> Result<WrittenRevision> {
    let len = reader.file_len();
    let (mut pos, last) = copy_verbatim(reader.source_mut(), out, len)?;
    if !matches!(last, Some(b'\n') | Some(b'\r')) {
        out.write_all(b"\n")?;
        pos += 1;
    }
    update.write_revision(out, pos)
}
