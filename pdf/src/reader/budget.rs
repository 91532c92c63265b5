//! What reading one document may cost. A few kilobytes of Flate can expand into gigabytes, and
//! one stream can be named a thousand times; so the decoded bytes of all streams of a document
//! are counted against one budget, shared by every reader of that document (the verifier opens
//! a view per revision, each with its own reader). A single stream is capped as well.
//!
//! When the budget is spent, decoding fails with an error naming the limit, and callers that
//! swallow decoding errors (a DSS item that cannot be read) can still ask [`Budget::spent`]
//! and refuse the document as a whole instead of judging it on what happened to fit.

use std::cell::Cell;
use std::rc::Rc;

use crate::error::{Error, Result};

/// Decoded bytes one document may produce in all, by default.
pub const DEFAULT_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// The largest single decoded stream.
pub const MAX_DECODED_STREAM: u64 = 64 * 1024 * 1024;

/// The decoded bytes left to one document; clones share the count.
#[derive(Clone, Debug)]
pub struct Budget {
    state: Rc<State>,
    limit: u64,
}

#[derive(Debug)]
struct State {
    left: Cell<u64>,
    /// Set when a decoding was refused for want of budget (not merely when it reached 0).
    spent: Cell<bool>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(DEFAULT_DECODED_BYTES)
    }
}

impl Budget {
    /// A budget of `decoded_bytes` for all streams of a document together.
    pub fn new(decoded_bytes: u64) -> Self {
        Budget {
            state: Rc::new(State {
                left: Cell::new(decoded_bytes),
                spent: Cell::new(false),
            }),
            limit: decoded_bytes,
        }
    }

    /// The budget's size.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Whether a decoding was refused because the budget ran out.
    pub fn spent(&self) -> bool {
        self.state.spent.get()
    }

    /// Decodes with `decode(cap)`, where `cap` is what this stream may produce: the smaller of
    /// the per-stream cap and what is left. Charges what it produced.
    pub(crate) fn decode(&self, decode: impl FnOnce(u64) -> Result<Vec<u8>>) -> Result<Vec<u8>> {
        let State {
            left: remaining,
            spent,
        } = &*self.state;
        let left = remaining.get();
        let cap = MAX_DECODED_STREAM.min(left);
        match decode(cap) {
            Ok(data) => {
                remaining.set(left.saturating_sub(data.len() as u64));
                Ok(data)
            }
            Err(Error::LimitExceeded { .. }) if cap == left => {
                remaining.set(0);
                spent.set(true);
                Err(Error::LimitExceeded {
                    what: "decoded stream bytes of one document",
                    limit: self.limit,
                })
            }
            Err(e) => Err(e),
        }
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
        assert!(!view.spent());
        let err = view.decode(produce(60)).unwrap_err();
        assert!(err.to_string().contains("one document"), "{err}");
        assert!(budget.spent() && view.spent());
        // Once spent, nothing more decodes, however small.
        assert!(budget.decode(produce(1)).is_err());
    }

    #[test]
    fn a_stream_over_the_per_stream_cap_does_not_spend_the_budget() {
        let budget = Budget::new(10 * MAX_DECODED_STREAM);
        assert!(budget.decode(produce(MAX_DECODED_STREAM + 1)).is_err());
        assert!(!budget.spent());
        assert!(budget.decode(produce(5)).is_ok());
    }
}
