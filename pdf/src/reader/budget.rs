//! What reading one document may cost. A few kilobytes of Flate can expand into gigabytes, one
//! stream can be named a thousand times, a cross-reference stream of a few kilobytes can declare
//! millions of entries, and an object stream can hold millions of tiny objects. So each
//! document has one budget, shared by every reader of it (the verifier opens a view per
//! revision, each with its own reader), in three amounts:
//!
//! - decoded stream bytes, with a cap for any single stream;
//! - cross-reference entries, over all sections of all revisions;
//! - objects parsed, every value counted (an array of a million numbers is a million objects),
//!   over all readers.
//!
//! Each stream is decoded at most once per document (see [`super::decoded`]): a stream named a
//! thousand times, or seen from twenty revisions, costs its decoded size once.
//!
//! When a limit refuses some work, the work fails with an error naming the limit, and the
//! budget remembers the first refusal: callers that swallow errors (a DSS item that cannot be
//! read) can still ask [`Budget::refusal`] and refuse the document as a whole instead of judging
//! it on what happened to fit.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::object::Dict;
use crate::reader::decoded::{DecodedStreams, Failure, Outcome, StreamKey};

/// Decoded bytes one document may produce in all, by default.
pub const DEFAULT_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// The largest single decoded stream.
pub const MAX_DECODED_STREAM: u64 = 64 * 1024 * 1024;
/// Cross-reference entries of one document, over all its sections, by default: 2^20. PDFium
/// (Chrome's reader) refuses object numbers of 2^20 and above, so no file that opens there
/// needs more in one section; real documents stay far below (a 10,000-page document sealed
/// three times: about 40,000). Entries cost about 40 bytes each in memory, so the default keeps
/// one document under 50 MB, and two hostile uploads verified at once by the service under
/// 256 MB together (2^21 measured 269 MB there).
pub const DEFAULT_XREF_ENTRIES: u64 = 1 << 20;
/// Objects parsed in one document, by default: 2^20, every value counted. Verifying parses
/// the page tree, fields, DSS and changed objects once per revision view: a 10,000-page
/// Ghostscript document sealed three times parses about 330,000 (measured). An object costs
/// 48 bytes in memory, so an object stream of a million tiny objects stays near 50 MB.
pub const DEFAULT_OBJECTS: u64 = 1 << 20;

/// How much of each amount one document may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Decoded bytes of all streams together.
    pub decoded_bytes: u64,
    /// Cross-reference entries over all sections of all revisions.
    pub xref_entries: u64,
    /// Objects parsed, nested values included, over all readers of the document.
    pub objects: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            decoded_bytes: DEFAULT_DECODED_BYTES,
            xref_entries: DEFAULT_XREF_ENTRIES,
            objects: DEFAULT_OBJECTS,
        }
    }
}

/// How much of each amount a document has used so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub decoded_bytes: u64,
    pub xref_entries: u64,
    pub objects: u64,
}

/// One of the limits, as errors and refusals name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    DecodedBytes,
    DecodedStream,
    XrefEntries,
    Objects,
}

impl Limit {
    /// What the limit counts, for messages ("… exceeds the limit of N").
    pub fn what(self) -> &'static str {
        match self {
            Limit::DecodedBytes => "decoded stream bytes of one document",
            Limit::DecodedStream => "decoded bytes of one stream",
            Limit::XrefEntries => "cross-reference entries of one document",
            Limit::Objects => "objects parsed in one document",
        }
    }
}

/// The limit that first refused some work of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What the limit counts ([`Limit::what`]).
    pub what: &'static str,
    pub limit: u64,
}

/// What one document may still cost; clones share the count.
#[derive(Clone, Debug)]
pub struct Budget {
    state: Rc<State>,
}

#[derive(Debug)]
struct State {
    limits: Limits,
    used: Cell<Usage>,
    refusal: Cell<Option<Refusal>>,
    streams: RefCell<DecodedStreams>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::with_limits(Limits::default())
    }
}

impl Budget {
    /// A budget of `decoded_bytes` for all streams of a document together, and the default
    /// limits for the rest.
    pub fn new(decoded_bytes: u64) -> Self {
        Budget::with_limits(Limits {
            decoded_bytes,
            ..Limits::default()
        })
    }

    pub fn with_limits(limits: Limits) -> Self {
        Budget {
            state: Rc::new(State {
                limits,
                used: Cell::new(Usage::default()),
                refusal: Cell::new(None),
                streams: RefCell::new(DecodedStreams::default()),
            }),
        }
    }

    pub fn limits(&self) -> Limits {
        self.state.limits
    }

    /// What the document has used so far.
    pub fn used(&self) -> Usage {
        self.state.used.get()
    }

    /// The limit that first refused some work, if any did.
    pub fn refusal(&self) -> Option<Refusal> {
        self.state.refusal.get()
    }

    fn value(&self, limit: Limit) -> u64 {
        let l = self.state.limits;
        match limit {
            Limit::DecodedBytes => l.decoded_bytes,
            Limit::DecodedStream => MAX_DECODED_STREAM,
            Limit::XrefEntries => l.xref_entries,
            Limit::Objects => l.objects,
        }
    }

    fn update(&self, change: impl FnOnce(&mut Usage)) {
        let mut used = self.state.used.get();
        change(&mut used);
        self.state.used.set(used);
    }

    /// Records that `limit` refused some work and returns the error naming it. A document
    /// limit is then spent, so that nothing more of its kind is attempted; the cap of one
    /// stream leaves the document's decoded bytes as they were.
    pub(crate) fn refuse(&self, limit: Limit) -> Error {
        let value = self.value(limit);
        match limit {
            Limit::DecodedBytes => self.update(|u| u.decoded_bytes = value),
            Limit::XrefEntries => self.update(|u| u.xref_entries = value),
            Limit::Objects => self.update(|u| u.objects = value),
            Limit::DecodedStream => {}
        }
        if self.state.refusal.get().is_none() {
            self.state.refusal.set(Some(Refusal {
                what: limit.what(),
                limit: value,
            }));
        }
        Error::LimitExceeded {
            what: limit.what(),
            limit: value,
        }
    }

    /// Objects the document may still parse.
    pub(crate) fn objects_left(&self) -> u64 {
        self.state
            .limits
            .objects
            .saturating_sub(self.used().objects)
    }

    /// Charges `n` parsed objects; refuses when fewer are left.
    pub(crate) fn charge_objects(&self, n: u64) -> Result<()> {
        if n > self.objects_left() {
            return Err(self.refuse(Limit::Objects));
        }
        self.update(|u| u.objects += n);
        Ok(())
    }

    /// Cross-reference entries the document may still read.
    pub(crate) fn xref_entries_left(&self) -> u64 {
        let l = self.state.limits.xref_entries;
        l.saturating_sub(self.used().xref_entries)
    }

    /// Charges `n` cross-reference entries; refuses when fewer are left.
    pub(crate) fn charge_xref_entries(&self, n: u64) -> Result<()> {
        if n > self.xref_entries_left() {
            return Err(self.refuse(Limit::XrefEntries));
        }
        self.update(|u| u.xref_entries += n);
        Ok(())
    }

    /// Decodes with `decode(cap)`, where `cap` is what this stream may produce: the smaller of
    /// the per-stream cap and what is left. Charges what it produced. For data decoded once by
    /// its nature (cross-reference streams, streams built in memory).
    pub(crate) fn decode(&self, decode: impl FnOnce(u64) -> Result<Vec<u8>>) -> Result<Vec<u8>> {
        let left = self
            .state
            .limits
            .decoded_bytes
            .saturating_sub(self.used().decoded_bytes);
        let cap = MAX_DECODED_STREAM.min(left);
        match decode(cap) {
            Ok(data) => {
                self.update(|u| u.decoded_bytes += data.len() as u64);
                Ok(data)
            }
            Err(Error::LimitExceeded { .. }) if cap == left => {
                Err(self.refuse(Limit::DecodedBytes))
            }
            Err(Error::LimitExceeded { .. }) => Err(self.refuse(Limit::DecodedStream)),
            Err(e) => Err(e),
        }
    }

    /// As [`Self::decode`] for the stream whose raw data lies at `key` and whose dictionary is
    /// `dict`: decoded and charged the first time any reader of the document asks, answered
    /// from what was kept afterwards, failures included.
    pub(crate) fn decode_stream(
        &self,
        key: StreamKey,
        dict: &Dict,
        decode: impl FnOnce(u64) -> Result<Vec<u8>>,
    ) -> Result<Rc<Vec<u8>>> {
        if let Some(kept) = self.state.streams.borrow().get(key, dict) {
            return match kept {
                Outcome::Data(d) => Ok(d),
                Outcome::Failed(f) => Err(f.to_error()),
            };
        }
        let result = self.decode(decode).map(Rc::new);
        let outcome = match &result {
            Ok(d) => Some(Outcome::Data(d.clone())),
            Err(e) => Failure::of(e).map(Outcome::Failed),
        };
        if let Some(outcome) = outcome {
            self.state.streams.borrow_mut().keep(key, dict, outcome);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn produce(n: u64) -> impl FnOnce(u64) -> Result<Vec<u8>> {
        move |cap| {
            if n > cap {
                Err(Error::LimitExceeded {
                    what: "decompressed stream size",
                    limit: cap,
                })
            } else {
                Ok(vec![0; n as usize])
            }
        }
    }

    #[test]
    fn clones_share_one_count_until_it_is_spent() {
        let budget = Budget::new(100);
        let view = budget.clone();
        assert_eq!(budget.decode(produce(60)).unwrap().len(), 60);
        assert_eq!(view.used().decoded_bytes, 60);
        assert!(view.refusal().is_none());
        let err = view.decode(produce(60)).unwrap_err();
        assert!(err.to_string().contains("one document"), "{err}");
        let refusal = budget.refusal().unwrap();
        assert_eq!(refusal.what, Limit::DecodedBytes.what());
        assert_eq!(refusal.limit, 100);
        // Once spent, nothing more decodes, however small.
        assert!(budget.decode(produce(1)).is_err());
    }

    #[test]
    fn a_stream_over_the_per_stream_cap_is_refused_without_spending_the_budget() {
        let budget = Budget::new(10 * MAX_DECODED_STREAM);
        assert!(budget.decode(produce(MAX_DECODED_STREAM + 1)).is_err());
        assert_eq!(
            budget.refusal(),
            Some(Refusal {
                what: Limit::DecodedStream.what(),
                limit: MAX_DECODED_STREAM
            })
        );
        assert!(budget.decode(produce(5)).is_ok());
    }

    #[test]
    fn a_stream_asked_for_twice_is_decoded_and_charged_once() {
        let budget = Budget::new(100);
        let key = StreamKey {
            offset: 7,
            length: 3,
        };
        let dict = Dict::new();
        let first = budget.decode_stream(key, &dict, produce(60)).unwrap();
        let again = budget
            .clone()
            .decode_stream(key, &dict, |_| panic!("decoded twice"))
            .unwrap();
        assert!(Rc::ptr_eq(&first, &again));
        assert_eq!(budget.used().decoded_bytes, 60);
    }

    #[test]
    fn a_failed_decoding_fails_again_without_decoding() {
        let budget = Budget::new(10 * MAX_DECODED_STREAM);
        let key = StreamKey {
            offset: 7,
            length: 3,
        };
        let dict = Dict::new();
        assert!(budget
            .decode_stream(key, &dict, produce(MAX_DECODED_STREAM + 1))
            .is_err());
        let again = budget
            .decode_stream(key, &dict, |_| panic!("decoded twice"))
            .unwrap_err();
        assert!(matches!(again, Error::LimitExceeded { .. }), "{again}");
    }

    #[test]
    fn counts_are_refused_past_their_limit_and_stay_spent() {
        let budget = Budget::with_limits(Limits {
            xref_entries: 10,
            objects: 10,
            ..Limits::default()
        });
        budget.charge_xref_entries(10).unwrap();
        let err = budget.charge_xref_entries(1).unwrap_err();
        assert!(err.to_string().contains("cross-reference entries"), "{err}");
        budget.charge_objects(4).unwrap();
        assert_eq!(budget.objects_left(), 6);
        assert!(budget.charge_objects(7).is_err());
        assert_eq!(budget.objects_left(), 0);
        // The first refusal is the one reported.
        assert_eq!(budget.refusal().unwrap().what, Limit::XrefEntries.what());
    }
}
