//! `/ByteRange` (ISO 32000-2 §12.8.1, Table 255): `[0 a b c]`, the bytes `0..a` and `b..b+c`
//! that a signature covers; the gap `a..b` is exactly its `/Contents` hex string. The signer
//! writes a fixed-width placeholder and patches it; the verifier reads the numbers back and
//! refuses any shape but two ranges around one gap.

use crate::error::{Error, Result};
use crate::object::{Dict, Object};

/// Characters between `[` and `]` of the `/ByteRange` placeholder: room for four numbers of
/// up to 13 digits (files up to ~9 TB), padded with spaces.
pub const BYTE_RANGE_WIDTH: usize = 44;

/// The signed byte ranges: `0..gap_start` and `gap_end..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub gap_start: u64,
    pub gap_end: u64,
    pub end: u64,
}

impl ByteRange {
    /// The range around the `/Contents` string `[gap_start, gap_end)` in a file of `file_len`.
    pub fn around(gap_start: u64, gap_end: u64, file_len: u64) -> Self {
        ByteRange {
            gap_start,
            gap_end,
            end: file_len.max(gap_end),
        }
    }

    /// The two signed spans as (offset, length).
    pub fn spans(&self) -> [(u64, u64); 2] {
        [(0, self.gap_start), (self.gap_end, self.end - self.gap_end)]
    }

    /// The four numbers as written in the PDF.
    pub fn numbers(&self) -> [u64; 4] {
        [0, self.gap_start, self.gap_end, self.end - self.gap_end]
    }

    /// The text between `[` and `]`, padded with spaces to [`BYTE_RANGE_WIDTH`].
    pub fn placeholder_text(&self) -> Result<String> {
        let [z, a, b, c] = self.numbers();
        let s = format!("{z} {a} {b} {c}");
        if s.len() > BYTE_RANGE_WIDTH {
            return Err(Error::LimitExceeded {
                what: "/ByteRange text",
                limit: BYTE_RANGE_WIDTH as u64,
            });
        }
        Ok(format!("{s:<BYTE_RANGE_WIDTH$}"))
    }

    /// The integers of a signature dictionary's `/ByteRange`, as written; `Err` says why they
    /// cannot be read (missing, not a direct array, not all integers).
    pub fn raw_numbers(sig: &Dict) -> std::result::Result<Vec<i64>, String> {
        let arr = match sig.get("ByteRange") {
            None => return Err("/ByteRange is missing".into()),
            Some(Object::Array(a)) => a,
            Some(other) => {
                return Err(format!(
                    "/ByteRange is {}, not a direct array",
                    other.type_name()
                ))
            }
        };
        let ints: Vec<i64> = arr.iter().filter_map(Object::as_i64).collect();
        if ints.len() != arr.len() {
            return Err("/ByteRange holds something other than integers".into());
        }
        Ok(ints)
    }

    /// Reads `[0 a b c]`: exactly four non-negative integers with `0 < a < b`, `c > 0`, inside a
    /// file of `file_len` bytes. `Err` says which condition fails.
    pub fn from_numbers(ints: &[i64], file_len: u64) -> std::result::Result<Self, String> {
        let [zero, a, b, c] = ints else {
            return Err(format!(
                "/ByteRange has {} numbers; exactly 4 are required",
                ints.len()
            ));
        };
        if ints.iter().any(|v| *v < 0) {
            return Err("/ByteRange holds a negative number".into());
        }
        let (zero, a, b, c) = (*zero as u64, *a as u64, *b as u64, *c as u64);
        if zero != 0 {
            return Err("/ByteRange does not start at byte 0".into());
        }
        if a == 0 || b <= a || c == 0 {
            return Err(format!(
                "/ByteRange [0 {a} {b} {c}] does not describe two ranges around a gap"
            ));
        }
        let Some(end) = b.checked_add(c).filter(|e| *e <= file_len) else {
            return Err(format!(
                "/ByteRange [0 {a} {b} {c}] reaches beyond the end of the file ({file_len} bytes)"
            ));
        };
        Ok(ByteRange {
            gap_start: a,
            gap_end: b,
            end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_numbers_read_back() {
        let br = ByteRange::around(100, 300, 1000);
        assert_eq!(br.numbers(), [0, 100, 300, 700]);
        let text = br.placeholder_text().unwrap();
        assert_eq!(text.len(), BYTE_RANGE_WIDTH);
        let ints: Vec<i64> = text
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(ByteRange::from_numbers(&ints, 1000), Ok(br));
    }

    #[test]
    fn shapes_other_than_two_ranges_around_a_gap_are_refused() {
        for bad in [
            &[0, 10, 20][..],
            &[1, 10, 20, 5],
            &[0, 0, 20, 5],
            &[0, 20, 10, 5],
            &[0, 10, 20, 0],
            &[0, -1, 20, 5],
            &[0, 10, 20, 981],
        ] {
            assert!(ByteRange::from_numbers(bad, 1000).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn raw_numbers_need_a_direct_integer_array() {
        let d = Dict::new().with("ByteRange", Object::Array(vec![0.into(), 1.into()]));
        assert_eq!(ByteRange::raw_numbers(&d), Ok(vec![0, 1]));
        let d = Dict::new().with("ByteRange", Object::name("X"));
        assert!(ByteRange::raw_numbers(&d).is_err());
        assert!(ByteRange::raw_numbers(&Dict::new()).is_err());
    }
}
