//! The lean reader (ISO 32000-2 §7.5 file structure, §7.7 document structure): opens a file
//! through `Read + Seek`, reads its cross-reference chain and revisions, and loads only the
//! objects asked for, resolving through the newest cross-reference data, with a cache.
//!
//! Memory does not grow with the file: stream data stays in the file until asked for, and every
//! read, window and decompression is bounded.

mod budget;
mod crypt;
mod decoded;
mod filters;
mod forms;
pub(crate) mod lexer;
mod pages;
mod revision;
pub(crate) mod source;
mod xref;

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::rc::Rc;

pub use budget::{
    Budget, Limit, Limits, Refusal, Usage, DEFAULT_DECODED_BYTES, DEFAULT_OBJECTS,
    DEFAULT_XREF_ENTRIES, MAX_DECODED_STREAM,
};
pub use decoded::RETAINED_BYTES;
pub use forms::{FormField, Widget};
pub use pages::Page;
pub use revision::Revision;
pub use xref::{XrefEntry, XrefKind, XrefSection};

pub(crate) use source::Source;

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object, Stream, StreamData};
use decoded::StreamKey;
use lexer::{ParseError, Parser};

/// Largest stream data the reader loads into memory at once.
pub const MAX_STREAM_LEN: u64 = filters::MAX_DECODED_LEN;
/// Most objects in one object stream.
const MAX_OBJSTM_OBJECTS: u64 = 1_000_000;
/// Deepest chain of nested loads (indirect `/Length`, object streams).
const MAX_LOAD_DEPTH: usize = 16;
/// Object streams kept decoded.
const OBJSTM_CACHE: usize = 8;

/// A decoded object stream (§7.5.7): its data and where each object starts.
struct ObjectStream {
    data: Rc<Vec<u8>>,
    /// (object number, absolute offset in `data`).
    offsets: Vec<(u32, usize)>,
}

/// A PDF file opened for reading.
pub struct PdfReader<R> {
    src: Source<R>,
    revisions: Vec<Revision>,
    /// The newest entry for each object number, sorted by number (a sorted list takes half
    /// the memory of a map, and a view of each revision has one).
    xref: Vec<(u32, XrefEntry)>,
    cache: HashMap<ObjRef, Object>,
    objstm_cache: HashMap<u32, Rc<ObjectStream>>,
    loading: Vec<ObjRef>,
    repaired: bool,
    /// Set by [`Self::enable_decryption`] for an encrypted document.
    security: Option<Rc<crypt::Security>>,
    /// The object of each encrypted stream loaded, by the offset of its data.
    encrypted_streams: HashMap<u64, ObjRef>,
}

impl<R: Read + Seek> PdfReader<R> {
    /// Opens a PDF: finds `startxref`, follows the `/Prev` chain and reads every
    /// cross-reference section. Fails with [`Error::Encrypted`] for encrypted files and with
    /// [`Error::BrokenXref`] when the cross-reference data is unusable.
    pub fn open(source: R) -> Result<Self> {
        Self::open_with_budget(source, Budget::default())
    }

    /// As [`Self::open`], with the document's streams drawing on `budget`.
    pub fn open_with_budget(source: R, budget: Budget) -> Result<Self> {
        let mut src = Source::with_budget(source, budget)?;
        let revisions = revision::load_revisions(&mut src)?;
        let reader = Self::from_parts(src, revisions, false);
        if reader.trailer().contains("Encrypt") {
            return Err(Error::Encrypted);
        }
        Ok(reader)
    }

    /// As [`Self::open_with_budget`], but an encrypted document is opened too when `password`
    /// is its user password (empty for most: they open without one), and its strings and
    /// streams read decrypted. For reading only (the verifier): eseal does not update encrypted
    /// documents. Fails with [`Error::Decryption`] when the password is wrong or the encryption
    /// is not supported.
    pub fn open_decrypting(source: R, budget: Budget, password: &[u8]) -> Result<Self> {
        let mut src = Source::with_budget(source, budget)?;
        let revisions = revision::load_revisions(&mut src)?;
        let mut reader = Self::from_parts(src, revisions, false);
        reader.enable_decryption(password)?;
        Ok(reader)
    }

    /// When the newest trailer has `/Encrypt`, derives the key from the user password
    /// `password` (standard security handler, see [`crypt`]) and decrypts every object loaded
    /// from now on. Nothing happens for a document that is not encrypted.
    pub(crate) fn enable_decryption(&mut self, password: &[u8]) -> Result<()> {
        self.security = None;
        let Some(entry) = self.trailer().get("Encrypt").cloned() else {
            return Ok(());
        };
        let encrypt_ref = entry.as_reference();
        let encrypt = self.resolve_dict(&entry, "the /Encrypt dictionary")?;
        // The first /ID string; missing, the key derivation uses nothing (as other readers do).
        let id0 = match self.trailer().get("ID") {
            Some(Object::Array(a)) => a.first().and_then(Object::as_string).map(<[u8]>::to_vec),
            _ => None,
        }
        .unwrap_or_default();
        let security = crypt::Security::new(&encrypt, encrypt_ref, &id0, password)?;
        // Whatever was loaded so far (the /Encrypt dictionary) was loaded undecrypted.
        self.cache.clear();
        self.objstm_cache.clear();
        self.encrypted_streams.clear();
        self.security = Some(Rc::new(security));
        Ok(())
    }

    /// Decrypts the strings of `dict`, read from the file as object `r` by other means than
    /// [`Self::get`] (the verifier parses signature dictionaries where they are stored); the
    /// `/Contents` of a signature dictionary stays as it is. Nothing happens when the document
    /// is not read decrypted.
    pub(crate) fn decrypt_dict(&self, r: ObjRef, dict: Dict) -> Result<Dict> {
        let Some(security) = &self.security else {
            return Ok(dict);
        };
        let mut object = Object::Dict(dict);
        security.decrypt_strings(r, &mut object)?;
        match object {
            Object::Dict(d) => Ok(d),
            _ => Err(Error::Decryption(format!("object {r} changed type"))),
        }
    }

    /// Whether the document is encrypted and read decrypted.
    pub fn is_decrypting(&self) -> bool {
        self.security.is_some()
    }

    pub(crate) fn from_parts(src: Source<R>, revisions: Vec<Revision>, repaired: bool) -> Self {
        let xref = newest_entries(&revisions);
        PdfReader {
            src,
            revisions,
            xref,
            cache: HashMap::new(),
            objstm_cache: HashMap::new(),
            loading: Vec::new(),
            repaired,
            security: None,
            encrypted_streams: HashMap::new(),
        }
    }

    /// The revisions, oldest (the original document) first.
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// The newest revision.
    pub fn last_revision(&self) -> &Revision {
        // `load_revisions` and the repair scan always produce at least one revision.
        &self.revisions[self.revisions.len() - 1]
    }

    /// The newest trailer.
    pub fn trailer(&self) -> &Dict {
        self.last_revision().trailer()
    }

    /// Length of the file in bytes.
    pub fn file_len(&self) -> u64 {
        self.src.len()
    }

    /// Whether the cross-reference data was rebuilt by scanning (see [`crate::repair`]).
    pub fn is_repaired(&self) -> bool {
        self.repaired
    }

    /// The newest cross-reference entry of object `num`.
    pub fn xref_entry(&self, num: u32) -> Option<XrefEntry> {
        let i = self.xref.binary_search_by_key(&num, |(n, _)| *n).ok()?;
        Some(self.xref[i].1)
    }

    /// Object numbers with an entry in the newest cross-reference data.
    pub fn object_numbers(&self) -> impl Iterator<Item = (u32, XrefEntry)> + '_ {
        self.xref.iter().map(|(n, e)| (*n, *e))
    }

    /// `/Size` of the newest trailer, at least one more than the highest object number used.
    pub fn size(&self) -> u32 {
        let declared = self
            .trailer()
            .get("Size")
            .and_then(Object::as_i64)
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let used = self.xref.last().map_or(0, |(n, _)| n.saturating_add(1));
        declared.max(used)
    }

    /// The underlying file.
    pub fn source_mut(&mut self) -> &mut R {
        self.src.inner_mut()
    }

    pub fn into_source(self) -> R {
        self.src.into_inner()
    }

    /// Loads the object `r` (from the newest revision that defines it).
    pub fn get(&mut self, r: ObjRef) -> Result<Object> {
        if let Some(o) = self.cache.get(&r) {
            return Ok(o.clone());
        }
        if self.loading.contains(&r) || self.loading.len() >= MAX_LOAD_DEPTH {
            return Err(Error::syntax(
                0,
                format!("object {r} refers to itself while loading"),
            ));
        }
        self.loading.push(r);
        let result = self.load(r);
        self.loading.pop();
        let object = result?;
        self.cache.insert(r, object.clone());
        Ok(object)
    }

    fn load(&mut self, r: ObjRef) -> Result<Object> {
        match self.xref_entry(r.num) {
            Some(XrefEntry::InFile { offset, gen }) if gen == r.gen => {
                let object = self.load_at(offset, Some(r))?;
                self.decrypt_loaded(r, object)
            }
            Some(XrefEntry::InObjectStream { stream, index }) if r.gen == 0 => {
                self.load_from_object_stream(r, stream, index)
            }
            _ => Err(Error::MissingObject(r)),
        }
    }

    /// Parses the indirect object at `offset`; checks its number when `expected` is given.
    pub(crate) fn load_at(&mut self, offset: u64, expected: Option<ObjRef>) -> Result<Object> {
        let parsed = self.src.parse_indirect_at(offset)?;
        if let Some(r) = expected {
            if parsed.id != r {
                return Err(Error::broken_xref(
                    offset,
                    format!("expected object {r} there, found {}", parsed.id),
                ));
            }
        }
        let Some(start) = parsed.stream_start else {
            return Ok(parsed.object);
        };
        let Object::Dict(dict) = parsed.object else {
            return Err(Error::syntax(offset, "stream without a dictionary"));
        };
        let declared = match dict.get("Length") {
            Some(Object::Integer(l)) if *l >= 0 => Some(*l as u64),
            Some(Object::Reference(lr)) => match self.get(*lr) {
                Ok(Object::Integer(l)) if l >= 0 => Some(l as u64),
                _ => None,
            },
            _ => None,
        };
        let length = match declared {
            Some(l) if self.src.check_stream_end(start, l)?.is_some() => l,
            _ => self
                .src
                .find_stream_length(start, MAX_STREAM_LEN)?
                .ok_or_else(|| {
                    Error::syntax(start, "stream has no valid /Length and no `endstream`")
                })?,
        };
        Ok(Object::Stream(Stream {
            dict,
            data: StreamData::InFile {
                offset: start,
                length,
            },
        }))
    }

    /// Decrypts the strings of object `r`, and marks its data for decryption when it is an
    /// encrypted stream. Objects in object streams are not encrypted one by one (§7.5.7): the
    /// object stream is.
    fn decrypt_loaded(&mut self, r: ObjRef, mut object: Object) -> Result<Object> {
        let Some(security) = self.security.clone() else {
            return Ok(object);
        };
        if Some(r) == security.encrypt_ref() {
            return Ok(object);
        }
        if let Object::Stream(s) = &object {
            if let StreamData::InFile { offset, .. } = s.data {
                if security.encrypts_stream(r, &s.dict) {
                    self.encrypted_streams.insert(offset, r);
                }
            }
        }
        security.decrypt_strings(r, &mut object)?;
        Ok(object)
    }

    fn load_from_object_stream(&mut self, r: ObjRef, stream: u32, index: u32) -> Result<Object> {
        let objstm = self.object_stream(stream)?;
        let Some(&(num, at)) = objstm.offsets.get(index as usize) else {
            return Err(Error::broken_xref(
                0,
                format!("object {r} is not in object stream {stream}"),
            ));
        };
        if num != r.num {
            return Err(Error::broken_xref(
                0,
                format!(
                    "object stream {stream} holds object {num} at index {index}, not {}",
                    r.num
                ),
            ));
        }
        let budget = &self.src.budget;
        let mut p =
            Parser::with_allowance(&objstm.data[at..], at as u64, true, budget.objects_left());
        let object = p.read_object().map_err(|e| match e {
            ParseError::Syntax(o, what) => {
                Error::syntax(o, format!("in object stream {stream}: {what}"))
            }
            ParseError::NeedMore => Error::syntax(0, "truncated object stream"),
            ParseError::Limit(limit) => budget.refuse(limit),
        })?;
        budget.charge_objects(p.parsed())?;
        Ok(object)
    }

    fn object_stream(&mut self, num: u32) -> Result<Rc<ObjectStream>> {
        if let Some(o) = self.objstm_cache.get(&num) {
            return Ok(o.clone());
        }
        let Object::Stream(stream) = self.get(ObjRef::new(num, 0))? else {
            return Err(Error::wrong_type(
                format!("object stream {num}"),
                "a stream",
            ));
        };
        let data = self.stream_decoded(&stream)?;
        let int = |key: &'static str| -> Result<u64> {
            match stream.dict.get(key) {
                Some(Object::Integer(i)) if *i >= 0 => Ok(*i as u64),
                _ => Err(Error::MissingEntry {
                    dict: "object stream",
                    key,
                }),
            }
        };
        let n = int("N")?;
        let first = int("First")? as usize;
        if n > MAX_OBJSTM_OBJECTS || first > data.len() {
            return Err(Error::syntax(
                0,
                format!("object stream {num} has an invalid /N or /First"),
            ));
        }
        // Each member the header declares is an object's work, whether or not it is asked for:
        // a header of a million members costs a million.
        self.src.budget.charge_objects(n)?;
        let mut p = Parser::new(&data[..first], 0, true);
        let mut offsets = Vec::with_capacity((n as usize).min(first / 2 + 1));
        for _ in 0..n {
            let (Ok(obj), Ok(off)) = (p.read_unsigned(), p.read_unsigned()) else {
                return Err(Error::syntax(
                    0,
                    format!("object stream {num} has a malformed header"),
                ));
            };
            let at = first.saturating_add(off as usize);
            if at >= data.len() || obj > u64::from(u32::MAX) {
                return Err(Error::syntax(
                    0,
                    format!("object stream {num}: offset out of range"),
                ));
            }
            offsets.push((obj as u32, at));
        }
        if self.objstm_cache.len() >= OBJSTM_CACHE {
            self.objstm_cache.clear();
        }
        let objstm = Rc::new(ObjectStream { data, offsets });
        self.objstm_cache.insert(num, objstm.clone());
        Ok(objstm)
    }

    /// Object numbers held by object stream `num`, in index order.
    pub(crate) fn object_stream_members(&mut self, num: u32) -> Result<Vec<u32>> {
        Ok(self
            .object_stream(num)?
            .offsets
            .iter()
            .map(|(n, _)| *n)
            .collect())
    }

    pub(crate) fn into_parts(self) -> Source<R> {
        self.src
    }

    /// Follows a reference; a reference to a missing or free object is null (§7.3.10).
    pub fn resolve(&mut self, obj: &Object) -> Result<Object> {
        match obj {
            Object::Reference(r) => match self.get(*r) {
                Err(Error::MissingObject(_)) => Ok(Object::Null),
                other => other,
            },
            other => Ok(other.clone()),
        }
    }

    /// Resolves `obj` and requires a dictionary; `what` names it in the error.
    pub fn resolve_dict(&mut self, obj: &Object, what: &str) -> Result<Dict> {
        match self.resolve(obj)? {
            Object::Dict(d) => Ok(d),
            Object::Stream(s) => Ok(s.dict),
            other => Err(Error::wrong_type(
                format!("{what} ({})", other.type_name()),
                "a dictionary",
            )),
        }
    }

    /// The raw (encoded) data of a stream, decrypted when the document is read decrypted.
    pub fn stream_raw(&mut self, stream: &Stream) -> Result<Vec<u8>> {
        match &stream.data {
            StreamData::Bytes(b) => Ok(b.clone()),
            StreamData::InFile { offset, length } => {
                if *length > MAX_STREAM_LEN {
                    return Err(Error::LimitExceeded {
                        what: "stream length",
                        limit: MAX_STREAM_LEN,
                    });
                }
                let raw = self.src.read_at(*offset, *length as usize)?;
                match (&self.security, self.encrypted_streams.get(offset)) {
                    (Some(security), Some(r)) => security.decrypt_stream(*r, &raw),
                    _ => Ok(raw),
                }
            }
        }
    }

    /// The decoded data of a stream (FlateDecode with predictors; size capped). A stream of
    /// the file is decoded once for all readers sharing the budget, and its data shared.
    pub fn stream_decoded(&mut self, stream: &Stream) -> Result<Rc<Vec<u8>>> {
        let budget = self.src.budget.clone();
        match stream.data {
            StreamData::InFile { offset, length } => {
                let key = StreamKey { offset, length };
                budget.decode_stream(key, &stream.dict, |cap| {
                    let raw = self.stream_raw(stream)?;
                    filters::decode(&stream.dict, raw, offset, cap)
                })
            }
            StreamData::Bytes(ref raw) => budget
                .decode(|cap| filters::decode(&stream.dict, raw.clone(), 0, cap))
                .map(Rc::new),
        }
    }

    /// The `/Root` reference of the newest trailer.
    pub fn catalog_ref(&self) -> Result<ObjRef> {
        self.trailer()
            .get("Root")
            .and_then(Object::as_reference)
            .ok_or(Error::MissingEntry {
                dict: "trailer",
                key: "Root",
            })
    }

    /// The document catalog (§7.7.2).
    pub fn catalog(&mut self) -> Result<Dict> {
        let r = self.catalog_ref()?;
        self.resolve_dict(&Object::Reference(r), "the catalog")
    }
}

/// The newest entry for each object number of `revisions` (oldest first), sorted by number.
/// Within a revision the first section (what `startxref` points to) wins.
fn newest_entries(revisions: &[Revision]) -> Vec<(u32, XrefEntry)> {
    let total: usize = revisions
        .iter()
        .flat_map(|r| &r.sections)
        .map(|s| s.entries.len())
        .sum();
    let mut all = Vec::with_capacity(total);
    for rev in revisions.iter().rev() {
        for section in &rev.sections {
            all.extend(section.entries.iter().map(|(n, e)| (*n, *e)));
        }
    }
    // A stable sort keeps the newest entry of each number first; dedup keeps the first.
    all.sort_by_key(|(n, _)| *n);
    all.dedup_by_key(|(n, _)| *n);
    all.shrink_to_fit();
    all
}
