//! Lexical conventions and object syntax (ISO 32000-2 §7.2 and §7.3): tokens, numbers, strings,
//! names, arrays, dictionaries and `N G R` references, parsed from a byte window.
//!
//! The parser works on a slice that may be a window of a larger file. When `complete` is false,
//! running into the end of the window reports [`ParseError::NeedMore`] so that the caller can
//! read a larger window and try again.
//!
//! Every value parsed is counted against an allowance (the objects the document may still
//! parse, see [`crate::reader::Budget`]), so that a window full of tiny objects is refused while
//! it is parsed, not after it has filled the memory.

use std::collections::HashMap;

use crate::object::{Dict, ObjRef, Object, MAX_DEPTH};
use crate::reader::budget::Limit;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParseError {
    /// The window ended inside a token or object.
    NeedMore,
    /// A syntax error at an absolute byte offset.
    Syntax(u64, String),
    /// A limit of the document's budget is reached.
    Limit(Limit),
}

pub(crate) type PResult<T> = Result<T, ParseError>;

pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

/// A parser over one window of bytes that starts at absolute offset `base`.
pub(crate) struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    complete: bool,
    /// Values this parser may still produce.
    allowance: u64,
    /// Values produced so far.
    parsed: u64,
}

impl<'a> Parser<'a> {
    /// `complete` says whether `data` holds everything there is (end of file or of a decoded
    /// stream) or is only a window.
    pub fn new(data: &'a [u8], base: u64, complete: bool) -> Self {
        Self::with_allowance(data, base, complete, u64::MAX)
    }

    /// A parser that produces at most `allowance` values, then fails with
    /// [`ParseError::Limit`].
    pub fn with_allowance(data: &'a [u8], base: u64, complete: bool, allowance: u64) -> Self {
        Parser {
            data,
            pos: 0,
            base,
            complete,
            allowance,
            parsed: 0,
        }
    }

    /// Values produced so far, nested ones included.
    pub fn parsed(&self) -> u64 {
        self.parsed
    }

    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub fn remaining(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    fn err<T>(&self, what: impl Into<String>) -> PResult<T> {
        Err(ParseError::Syntax(self.offset(), what.into()))
    }

    fn end<T>(&self, what: &str) -> PResult<T> {
        if self.complete {
            self.err(format!("unexpected end of data in {what}"))
        } else {
            Err(ParseError::NeedMore)
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Skips white space and comments.
    pub fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Reads a run of regular characters (a keyword or number) without consuming it when
    /// `consume` is false. Reports `NeedMore` if the run touches the end of an incomplete window.
    fn regular_run(&self) -> PResult<&'a [u8]> {
        let start = self.pos;
        let mut end = start;
        while end < self.data.len() && is_regular(self.data[end]) {
            end += 1;
        }
        if end == self.data.len() && !self.complete {
            return Err(ParseError::NeedMore);
        }
        Ok(&self.data[start..end])
    }

    /// Consumes the keyword `kw` if it is the next token.
    pub fn eat_keyword(&mut self, kw: &[u8]) -> PResult<bool> {
        self.skip_ws();
        if self.pos >= self.data.len() {
            return self.end("keyword");
        }
        let run = self.regular_run()?;
        if run == kw {
            self.pos += run.len();
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Requires the keyword `kw`.
    pub fn expect_keyword(&mut self, kw: &[u8]) -> PResult<()> {
        if self.eat_keyword(kw)? {
            Ok(())
        } else {
            self.err(format!("expected `{}`", String::from_utf8_lossy(kw)))
        }
    }

    /// Reads an unsigned integer token.
    pub fn read_unsigned(&mut self) -> PResult<u64> {
        self.skip_ws();
        if self.pos >= self.data.len() {
            return self.end("integer");
        }
        let run = self.regular_run()?;
        if run.is_empty() || !run.iter().all(u8::is_ascii_digit) || run.len() > 19 {
            return self.err("expected an unsigned integer");
        }
        let mut v: u64 = 0;
        for d in run {
            v = v * 10 + u64::from(d - b'0');
        }
        self.pos += run.len();
        Ok(v)
    }

    /// Parses `N G obj` and returns the reference.
    pub fn read_indirect_header(&mut self) -> PResult<ObjRef> {
        let num = self.read_unsigned()?;
        let gen = self.read_unsigned()?;
        self.expect_keyword(b"obj")?;
        let num = u32::try_from(num).or_else(|_| self.err("object number too large"))?;
        let gen = u16::try_from(gen).or_else(|_| self.err("generation number too large"))?;
        Ok(ObjRef { num, gen })
    }

    /// Parses one object (direct, or a reference `N G R`).
    pub fn read_object(&mut self) -> PResult<Object> {
        self.read_object_at_depth(0)
    }

    fn read_object_at_depth(&mut self, depth: usize) -> PResult<Object> {
        if depth > MAX_DEPTH {
            return self.err(format!("objects nested deeper than {MAX_DEPTH}"));
        }
        if self.parsed >= self.allowance {
            return Err(ParseError::Limit(Limit::Objects));
        }
        self.parsed += 1;
        self.skip_ws();
        let Some(b) = self.peek() else {
            return self.end("object");
        };
        match b {
            b'/' => self.read_name().map(Object::Name),
            b'(' => self.read_literal_string().map(Object::String),
            b'<' => {
                if self.data.get(self.pos + 1) == Some(&b'<') {
                    self.read_dict(depth).map(Object::Dict)
                } else if self.pos + 1 >= self.data.len() {
                    self.end("string or dictionary")
                } else {
                    self.read_hex_string().map(Object::String)
                }
            }
            b'[' => self.read_array(depth).map(Object::Array),
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.read_number_or_reference(),
            _ => {
                let run = self.regular_run()?;
                let obj = match run {
                    b"true" => Object::Bool(true),
                    b"false" => Object::Bool(false),
                    b"null" => Object::Null,
                    b"" => return self.err(format!("unexpected character {:?}", b as char)),
                    other => {
                        return self.err(format!(
                            "unexpected keyword `{}`",
                            String::from_utf8_lossy(&other[..other.len().min(32)])
                        ))
                    }
                };
                self.pos += run.len();
                Ok(obj)
            }
        }
    }

    fn read_number_or_reference(&mut self) -> PResult<Object> {
        let run = self.regular_run()?;
        let number = parse_number(run).ok_or_else(|| {
            ParseError::Syntax(
                self.offset(),
                format!(
                    "malformed number `{}`",
                    String::from_utf8_lossy(&run[..run.len().min(32)])
                ),
            )
        })?;
        self.pos += run.len();
        let Object::Integer(num) = number else {
            return Ok(number);
        };
        if num < 0 || !run.iter().all(u8::is_ascii_digit) {
            return Ok(number);
        }
        // Look ahead for `G R`.
        let save = self.pos;
        match self.try_reference_tail() {
            Ok(Some(gen)) => {
                if let (Ok(num), Ok(gen)) = (u32::try_from(num), u16::try_from(gen)) {
                    return Ok(Object::Reference(ObjRef { num, gen }));
                }
                self.pos = save;
                Ok(number)
            }
            Ok(None) => {
                self.pos = save;
                Ok(number)
            }
            Err(e) => Err(e),
        }
    }

    /// After an unsigned integer: `G R` → Some(G). NeedMore if the window ends in between.
    fn try_reference_tail(&mut self) -> PResult<Option<u64>> {
        self.skip_ws();
        if self.pos >= self.data.len() {
            return if self.complete {
                Ok(None)
            } else {
                Err(ParseError::NeedMore)
            };
        }
        let run = self.regular_run()?;
        if run.is_empty() || run.len() > 10 || !run.iter().all(u8::is_ascii_digit) {
            return Ok(None);
        }
        let gen: u64 = run
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        self.pos += run.len();
        self.skip_ws();
        if self.pos >= self.data.len() {
            return if self.complete {
                Ok(None)
            } else {
                Err(ParseError::NeedMore)
            };
        }
        let run = self.regular_run()?;
        if run == b"R" {
            self.pos += 1;
            Ok(Some(gen))
        } else {
            Ok(None)
        }
    }

    fn read_name(&mut self) -> PResult<Vec<u8>> {
        self.pos += 1; // '/'
        let run = self.regular_run()?;
        let mut name = Vec::with_capacity(run.len());
        let mut i = 0;
        while i < run.len() {
            if run[i] == b'#' && i + 2 < run.len() {
                if let (Some(h), Some(l)) = (hex_val(run[i + 1]), hex_val(run[i + 2])) {
                    name.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
            name.push(run[i]);
            i += 1;
        }
        self.pos += run.len();
        Ok(name)
    }

    fn read_literal_string(&mut self) -> PResult<Vec<u8>> {
        self.pos += 1; // '('
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return self.end("string");
            };
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                    out.push(b);
                }
                b'\r' => {
                    // An end-of-line in a string is read as a single line feed.
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return self.end("string");
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(b'\x08'),
                        b'f' => out.push(b'\x0c'),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }

    fn read_hex_string(&mut self) -> PResult<Vec<u8>> {
        self.pos += 1; // '<'
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(b) = self.peek() else {
                return self.end("hex string");
            };
            self.pos += 1;
            if b == b'>' {
                if let Some(h) = high {
                    out.push(h << 4);
                }
                return Ok(out);
            }
            if is_whitespace(b) {
                continue;
            }
            let Some(v) = hex_val(b) else {
                return Err(ParseError::Syntax(
                    self.offset() - 1,
                    "invalid character in hex string".into(),
                ));
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
    }

    fn read_array(&mut self, depth: usize) -> PResult<Vec<Object>> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return self.end("array"),
                Some(b']') => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.read_object_at_depth(depth + 1)?),
            }
        }
    }

    fn read_dict(&mut self, depth: usize) -> PResult<Dict> {
        self.pos += 2; // '<<'
        let mut entries = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return self.end("dictionary"),
                Some(b'>') => {
                    if self.data.get(self.pos + 1) == Some(&b'>') {
                        self.pos += 2;
                        return Ok(Dict::from_entries(without_repeated_keys(entries)));
                    }
                    if self.pos + 1 >= self.data.len() {
                        return self.end("dictionary");
                    }
                    return self.err("expected `>>`");
                }
                Some(b'/') => {
                    let key = self.read_name()?;
                    let value = self.read_object_at_depth(depth + 1)?;
                    // A null value is the same as an absent entry (§7.3.7).
                    if value != Object::Null {
                        entries.push((key, value));
                    }
                }
                Some(_) => return self.err("dictionary key is not a name"),
            }
        }
    }
}

/// The entries of a dictionary as written, a repeated key keeping its first place and its last
/// value. A map finds the repeats, so that a dictionary of a million keys is not a trillion
/// comparisons.
fn without_repeated_keys(entries: Vec<(Vec<u8>, Object)>) -> Vec<(Vec<u8>, Object)> {
    let mut place: HashMap<Vec<u8>, usize> = HashMap::with_capacity(entries.len());
    let mut out: Vec<(Vec<u8>, Object)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        match place.get(&key) {
            Some(&i) => out[i].1 = value,
            None => {
                place.insert(key.clone(), out.len());
                out.push((key, value));
            }
        }
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses an integer or real token (§7.3.3).
pub(crate) fn parse_number(tok: &[u8]) -> Option<Object> {
    let (neg, body) = match tok.first()? {
        b'-' => (true, &tok[1..]),
        b'+' => (false, &tok[1..]),
        _ => (false, tok),
    };
    if body.is_empty() || !body.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    let dots = body.iter().filter(|b| **b == b'.').count();
    if dots > 1 || body == b"." {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    if dots == 0 {
        if let Ok(v) = text.parse::<i64>() {
            return Some(Object::Integer(if neg { -v } else { v }));
        }
    }
    let v: f64 = text.parse().ok()?;
    Some(Object::Real(if neg { -v } else { v }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Object {
        Parser::new(s.as_bytes(), 0, true).read_object().unwrap()
    }

    #[test]
    fn parses_basic_objects() {
        assert_eq!(parse("42"), Object::Integer(42));
        assert_eq!(parse("-.5"), Object::Real(-0.5));
        assert_eq!(parse("/A#20B"), Object::Name(b"A B".to_vec()));
        assert_eq!(parse("(a\\(b\\)\\101)"), Object::String(b"a(b)A".to_vec()));
        assert_eq!(parse("<48 65 6>"), Object::String(b"He`".to_vec()));
        assert_eq!(parse("12 0 R"), Object::Reference(ObjRef::new(12, 0)));
        assert_eq!(
            parse("[1 2 R 3 /N]"),
            Object::Array(vec![
                Object::Reference(ObjRef::new(1, 2)),
                Object::Integer(3),
                Object::Name(b"N".to_vec())
            ])
        );
        let d = parse("<< /Type /Page /Kids [1 0 R 2 0 R] /Null null >>");
        let d = d.as_dict().unwrap();
        assert!(d.has_name("Type", "Page"));
        assert!(!d.contains("Null"));
    }

    #[test]
    fn window_end_asks_for_more() {
        let mut p = Parser::new(b"<< /A 12", 0, false);
        assert_eq!(p.read_object(), Err(ParseError::NeedMore));
        let mut p = Parser::new(b"[1 0", 0, false);
        assert_eq!(p.read_object(), Err(ParseError::NeedMore));
    }

    #[test]
    fn values_past_the_allowance_are_refused_while_parsing() {
        // An array of three numbers is four values.
        let mut p = Parser::with_allowance(b"[1 2 3]", 0, true, 4);
        assert!(p.read_object().is_ok());
        assert_eq!(p.parsed(), 4);
        let mut p = Parser::with_allowance(b"[1 2 3]", 0, true, 3);
        assert_eq!(p.read_object(), Err(ParseError::Limit(Limit::Objects)));
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        let d = parse("<< /A 1 /B 2 /A 3 /C null /B null >>");
        let d = d.as_dict().unwrap();
        let keys: Vec<&[u8]> = d.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [&b"A"[..], b"B"]);
        assert_eq!(d.get("A"), Some(&Object::Integer(3)));
        // A null value is an absent entry, so it does not replace one.
        assert_eq!(d.get("B"), Some(&Object::Integer(2)));
    }

    #[test]
    fn a_dictionary_of_many_keys_keeps_them_all() {
        let text: String = (0..20_000).map(|i| format!("/k{i} {i} ")).collect();
        let d = parse(&format!("<< {text} /k7 -1 >>"));
        let d = d.as_dict().unwrap();
        assert_eq!(d.len(), 20_000);
        assert_eq!(d.get("k7"), Some(&Object::Integer(-1)));
        assert_eq!(d.get("k19999"), Some(&Object::Integer(19_999)));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let s = "[".repeat(1000);
        assert!(matches!(
            Parser::new(s.as_bytes(), 0, true).read_object(),
            Err(ParseError::Syntax(..))
        ));
    }
}
