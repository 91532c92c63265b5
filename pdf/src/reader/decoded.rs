//! Decoded streams kept for the other readers of one document, so that a stream named many
//! times, or seen from many revision views, is decoded once. A stream is known by where its data
//! lies in the file and by the filters that decode it; a failed decoding is kept too, so asking
//! again fails the same way without decoding again.
//!
//! What is kept is bounded by [`RETAINED_BYTES`]: past it, further streams are still decoded
//! (and charged) but not kept. The bound is far below the document's budget so that a document
//! that spends its budget on many distinct streams does not also hold them all.
//!
//! Written by hand: the cache is a map with a byte count, too small a job for a crate.

use std::collections::HashMap;
use std::rc::Rc;

use crate::error::Error;
use crate::object::{Dict, Object};

/// Decoded bytes kept for re-use: one largest stream ([`super::MAX_DECODED_STREAM`]).
pub const RETAINED_BYTES: u64 = 64 * 1024 * 1024;
/// What keeping one entry costs beyond its data (the key, the filters, the map's slot).
const ENTRY_OVERHEAD: u64 = 256;

/// Where a stream's raw data lies in the file: two readers of one document asking for the
/// stream at the same place ask for the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct StreamKey {
    pub offset: u64,
    pub length: u64,
}

/// How a decoding ended, kept so that the same question gets the same answer.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Data(Rc<Vec<u8>>),
    Failed(Failure),
}

/// A decoding error in a form that can be handed out again (the crate's [`Error`] holds I/O
/// errors and cannot be cloned).
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    Limit {
        what: &'static str,
        limit: u64,
    },
    Corrupt {
        offset: u64,
        reason: String,
    },
    Unsupported(String),
    WrongType {
        what: String,
        expected: &'static str,
    },
}

impl Failure {
    /// The failure to keep for `e`; `None` for errors that say nothing lasting about the stream
    /// (reading the file failed).
    pub fn of(e: &Error) -> Option<Failure> {
        Some(match e {
            Error::LimitExceeded { what, limit } => Failure::Limit {
                what,
                limit: *limit,
            },
            Error::Decompress { offset, reason } => Failure::Corrupt {
                offset: *offset,
                reason: reason.clone(),
            },
            Error::UnsupportedFilter(f) => Failure::Unsupported(f.clone()),
            Error::WrongType { what, expected } => Failure::WrongType {
                what: what.clone(),
                expected,
            },
            _ => return None,
        })
    }

    pub fn to_error(&self) -> Error {
        match self.clone() {
            Failure::Limit { what, limit } => Error::LimitExceeded { what, limit },
            Failure::Corrupt { offset, reason } => Error::Decompress { offset, reason },
            Failure::Unsupported(f) => Error::UnsupportedFilter(f),
            Failure::WrongType { what, expected } => Error::WrongType { what, expected },
        }
    }

    fn size(&self) -> u64 {
        match self {
            Failure::Limit { .. } => 0,
            Failure::Corrupt { reason, .. } => reason.len() as u64,
            Failure::Unsupported(f) => f.len() as u64,
            Failure::WrongType { what, .. } => what.len() as u64,
        }
    }
}

/// The entries that decide how a stream decodes (ISO 32000-2 §7.3.8.2).
#[derive(Debug, Clone, PartialEq)]
struct Filters {
    filter: Option<Object>,
    parms: Option<Object>,
}

impl Filters {
    fn of(dict: &Dict) -> Self {
        Filters {
            filter: dict.get("Filter").cloned(),
            parms: dict.get("DecodeParms").cloned(),
        }
    }

    fn size(&self) -> u64 {
        // A rough size: the filters of real streams are a name or two.
        [&self.filter, &self.parms]
            .iter()
            .map(|o| match o {
                Some(Object::Array(a)) => 64 * a.len() as u64,
                Some(Object::Dict(d)) => 64 * d.len() as u64,
                Some(_) => 64,
                None => 0,
            })
            .sum()
    }
}

/// The decoded streams of one document.
#[derive(Debug, Default)]
pub(crate) struct DecodedStreams {
    entries: HashMap<StreamKey, (Filters, Outcome)>,
    retained: u64,
}

impl DecodedStreams {
    /// What decoding the stream at `key` with the filters of `dict` gave before, if kept.
    pub fn get(&self, key: StreamKey, dict: &Dict) -> Option<Outcome> {
        let (filters, outcome) = self.entries.get(&key)?;
        (*filters == Filters::of(dict)).then(|| outcome.clone())
    }

    /// Keeps `outcome` for the stream at `key` while the retained bytes allow.
    pub fn keep(&mut self, key: StreamKey, dict: &Dict, outcome: Outcome) {
        let filters = Filters::of(dict);
        let size = ENTRY_OVERHEAD
            + filters.size()
            + match &outcome {
                Outcome::Data(d) => d.len() as u64,
                Outcome::Failed(f) => f.size(),
            };
        if self.retained.saturating_add(size) > RETAINED_BYTES || self.entries.contains_key(&key) {
            return;
        }
        self.retained += size;
        self.entries.insert(key, (filters, outcome));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flate() -> Dict {
        Dict::new().with("Filter", Object::name("FlateDecode"))
    }

    #[test]
    fn a_stream_is_found_by_place_and_filters() {
        let mut cache = DecodedStreams::default();
        let key = StreamKey {
            offset: 10,
            length: 5,
        };
        cache.keep(key, &flate(), Outcome::Data(Rc::new(b"abc".to_vec())));
        assert!(matches!(cache.get(key, &flate()), Some(Outcome::Data(d)) if &*d == b"abc"));
        // The same bytes read with other filters are another stream.
        assert!(cache.get(key, &Dict::new()).is_none());
        let elsewhere = StreamKey {
            offset: 11,
            length: 5,
        };
        assert!(cache.get(elsewhere, &flate()).is_none());
    }

    #[test]
    fn nothing_more_is_kept_past_the_retained_bytes() {
        let mut cache = DecodedStreams::default();
        let big = Rc::new(vec![0u8; RETAINED_BYTES as usize - 1024]);
        let first = StreamKey {
            offset: 0,
            length: 1,
        };
        let second = StreamKey {
            offset: 1,
            length: 1,
        };
        cache.keep(first, &flate(), Outcome::Data(big.clone()));
        cache.keep(second, &flate(), Outcome::Data(Rc::new(vec![0u8; 2048])));
        assert!(cache.get(first, &flate()).is_some());
        assert!(cache.get(second, &flate()).is_none());
        assert!(cache.retained <= RETAINED_BYTES);
    }
}
