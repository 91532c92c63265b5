//! The PDF object model (ISO 32000-2 §7.3): booleans, numbers, strings, names, arrays,
//! dictionaries, streams, null and indirect references.
//!
//! Dictionaries keep their entries in file order so that re-emitted objects read like the
//! originals. Streams read from a file keep only the position of their data; the data is read
//! when asked for (see [`crate::reader::PdfReader::stream_data`]).

use std::fmt;

/// Deepest nesting of arrays and dictionaries read or walked.
pub const MAX_DEPTH: usize = 100;

/// A reference to an indirect object: object number and generation (§7.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    pub num: u32,
    pub gen: u16,
}

impl ObjRef {
    pub const fn new(num: u32, gen: u16) -> Self {
        ObjRef { num, gen }
    }
}

impl fmt::Display for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} R", self.num, self.gen)
    }
}

/// Where the data of a stream is.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamData {
    /// Raw (still encoded) bytes in memory, e.g. a stream built by the writer.
    Bytes(Vec<u8>),
    /// Raw (still encoded) bytes in the source file.
    InFile { offset: u64, length: u64 },
}

/// A stream object: its dictionary and its (encoded) data (§7.3.8).
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub dict: Dict,
    pub data: StreamData,
}

impl Stream {
    /// A stream whose raw data is `data`; `/Length` is set when serialised.
    pub fn new(dict: Dict, data: Vec<u8>) -> Self {
        Stream {
            dict,
            data: StreamData::Bytes(data),
        }
    }
}

/// A PDF object.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Null,
    Bool(bool),
    Integer(i64),
    Real(f64),
    /// A string's bytes, already unescaped.
    String(Vec<u8>),
    /// A name without its leading `/`, `#xx` escapes resolved.
    Name(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    Stream(Stream),
    Reference(ObjRef),
}

impl Object {
    /// Whether this object must be an indirect object (streams, §7.3.8) or should be one
    /// (fonts and font descriptors, §9.8.1) when it is written.
    pub fn must_be_indirect(&self) -> bool {
        match self {
            Object::Stream(_) => true,
            Object::Dict(d) => d.has_name("Type", "Font") || d.has_name("Type", "FontDescriptor"),
            _ => false,
        }
    }

    /// Replaces what is nested in this object and [`Self::must_be_indirect`] by references to
    /// new objects that `add` writes, deepest first.
    pub fn make_nested_indirect(&mut self, add: &mut dyn FnMut(Object) -> ObjRef) {
        self.make_nested_indirect_at(add, 0);
    }

    fn make_nested_indirect_at(&mut self, add: &mut dyn FnMut(Object) -> ObjRef, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let values: Vec<&mut Object> = match self {
            Object::Array(a) => a.iter_mut().collect(),
            Object::Dict(d) => d.values_mut().collect(),
            Object::Stream(s) => s.dict.values_mut().collect(),
            _ => return,
        };
        for v in values {
            v.make_nested_indirect_at(add, depth + 1);
            if v.must_be_indirect() {
                let inner = std::mem::replace(v, Object::Null);
                *v = Object::Reference(add(inner));
            }
        }
    }

    /// A name object from text.
    pub fn name(n: &str) -> Object {
        Object::Name(n.as_bytes().to_vec())
    }

    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    pub fn as_dict_mut(&mut self) -> Option<&mut Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&mut s.dict),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Object>> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Object::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// Integer or real as a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Object::Integer(i) => Some(*i as f64),
            Object::Real(r) => Some(*r),
            _ => None,
        }
    }

    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_string(&self) -> Option<&[u8]> {
        match self {
            Object::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_reference(&self) -> Option<ObjRef> {
        match self {
            Object::Reference(r) => Some(*r),
            _ => None,
        }
    }

    /// A short word for the type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::Null => "null",
            Object::Bool(_) => "boolean",
            Object::Integer(_) => "integer",
            Object::Real(_) => "real",
            Object::String(_) => "string",
            Object::Name(_) => "name",
            Object::Array(_) => "array",
            Object::Dict(_) => "dictionary",
            Object::Stream(_) => "stream",
            Object::Reference(_) => "reference",
        }
    }
}

impl From<Dict> for Object {
    fn from(d: Dict) -> Self {
        Object::Dict(d)
    }
}

impl From<ObjRef> for Object {
    fn from(r: ObjRef) -> Self {
        Object::Reference(r)
    }
}

impl From<i64> for Object {
    fn from(i: i64) -> Self {
        Object::Integer(i)
    }
}

impl From<f64> for Object {
    fn from(r: f64) -> Self {
        Object::Real(r)
    }
}

impl From<Vec<Object>> for Object {
    fn from(a: Vec<Object>) -> Self {
        Object::Array(a)
    }
}

/// A dictionary with entries in insertion order; keys are names without the `/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dict {
    entries: Vec<(Vec<u8>, Object)>,
}

impl Dict {
    pub fn new() -> Self {
        Dict::default()
    }

    pub fn get(&self, key: &str) -> Option<&Object> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_slice() == key.as_bytes())
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Object> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.as_slice() == key.as_bytes())
            .map(|(_, v)| v)
    }

    /// A dictionary of `entries`, whose keys the caller has made unique.
    pub(crate) fn from_entries(entries: Vec<(Vec<u8>, Object)>) -> Self {
        Dict { entries }
    }

    /// Sets `key` (replacing its value in place if present, else appending).
    pub fn set(&mut self, key: &str, value: impl Into<Object>) {
        self.set_raw(key.as_bytes().to_vec(), value.into());
    }

    /// Sets an entry whose key is given as raw bytes (as read from a file).
    pub fn set_raw(&mut self, key: Vec<u8>, value: Object) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Builder-style [`Dict::set`].
    pub fn with(mut self, key: &str, value: impl Into<Object>) -> Self {
        self.set(key, value);
        self
    }

    pub fn remove(&mut self, key: &str) -> Option<Object> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_slice() == key.as_bytes())?;
        Some(self.entries.remove(i).1)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Object)> {
        self.entries.iter().map(|(k, v)| (k.as_slice(), v))
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Object> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key` if it is the name `name`.
    pub fn has_name(&self, key: &str, name: &str) -> bool {
        self.get(key).and_then(Object::as_name) == Some(name.as_bytes())
    }
}
