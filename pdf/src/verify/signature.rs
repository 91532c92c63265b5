//! Finding signatures and checking their dictionaries (ISO 32000-2 §12.8.1, Table 255; ETSI EN
//! 319 142-1 §5): every signature field's `/V` in every revision (found through the
//! cross-reference chain, never by scanning for `%%EOF`), the revision each one signs, a
//! well-formed `/ByteRange` whose gap is exactly this signature's `/Contents` hex string, and
//! whose second range ends at the end of that revision.

use std::io::{Read, Seek, SeekFrom};

use crate::object::{Dict, ObjRef, Object};
use crate::reader::lexer::Parser;
use crate::reader::{Revision, XrefEntry};
use crate::text::decode_text_string;

use super::input::RevisionView;

/// Largest signature dictionary object read to locate `/Contents` (16 MiB reserved = 32 MiB hex).
const MAX_SIG_OBJECT: u64 = 40 * 1024 * 1024;
/// Most white space after a revision's `%%EOF` line that a byte range may cover.
const MAX_SIGNED_PADDING: u64 = 1024;
/// Most signatures examined in one document.
pub const MAX_SIGNATURES: usize = 1000;

pub use crate::sigdict::ByteRange;

/// A signature field value found in some revision.
#[derive(Debug, Clone)]
pub struct FoundSignature {
    pub field_name: String,
    /// The signature field (terminal field) object.
    pub field_ref: ObjRef,
    /// The signature dictionary object; `None` when `/V` is a direct dictionary.
    pub sig_ref: Option<ObjRef>,
    /// The signature dictionary: as of the revision it signs when that is known.
    pub dict: Dict,
    /// The revision whose end equals the end of the byte range.
    pub revision: Option<usize>,
    /// `/ByteRange` as written, if an array of integers.
    pub raw_byte_range: Option<Vec<i64>>,
    /// Set when the byte range and `/Contents` passed every structural check.
    pub byte_range: Option<ByteRange>,
    /// The decoded `/Contents` bytes, when they are a string.
    pub contents: Option<Vec<u8>>,
    /// Structural problems: any makes the signature TOTAL-FAILED / FORMAT_FAILURE.
    pub format_problems: Vec<String>,
}

impl FoundSignature {
    /// A document timestamp (ISO 32000-2 §12.8.5) by its `/Type` or by its `/SubFilter`:
    /// some producers write `/SubFilter /ETSI.RFC3161` with `/Type /Sig` or no `/Type`, and
    /// the `/Contents` is a timestamp token all the same.
    pub fn is_doc_timestamp(&self) -> bool {
        crate::sigdict::is_document_timestamp(&self.dict)
    }

    /// Where the signature sorts: by the end of what it covers.
    pub fn order_key(&self) -> (usize, u64) {
        let end = self
            .raw_byte_range
            .as_ref()
            .and_then(|b| Some(b.get(2)?.saturating_add(*b.get(3)?)))
            .unwrap_or(i64::MAX);
        (self.revision.unwrap_or(usize::MAX), end.max(0) as u64)
    }

    pub fn text(&self, key: &str) -> Option<String> {
        self.dict
            .get(key)
            .and_then(Object::as_string)
            .map(decode_text_string)
    }

    pub fn name_entry(&self, key: &str) -> Option<String> {
        self.dict
            .get(key)
            .and_then(Object::as_name)
            .map(|n| String::from_utf8_lossy(n).into_owned())
    }
}

/// Every signature field value of the newest revision, in signing order. (A signature removed
/// from the field tree by a later revision is not listed, but its removal is a disallowed change
/// for every signature before it; a document left with none is not valid.)
pub fn find_signatures<R: Read + Seek + Clone>(
    input: &R,
    newest: &mut RevisionView<R>,
    revisions: &[Revision],
    file_len: u64,
    problems: &mut Vec<String>,
) -> Vec<FoundSignature> {
    let fields = match newest.form_fields() {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("the form fields cannot be read: {e}"));
            return Vec::new();
        }
    };
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for f in fields.into_iter().filter(|f| f.is_signature()) {
        let Some(value) = f.value.clone() else {
            continue;
        };
        if let Object::Reference(r) = &value {
            if !seen.insert(*r) {
                problems.push(format!(
                    "signature dictionary {r} is the value of more than one field"
                ));
                continue;
            }
        }
        if found.len() >= MAX_SIGNATURES {
            problems.push(format!(
                "more than {MAX_SIGNATURES} signatures; the rest were not examined"
            ));
            break;
        }
        if let Some(sig) = examine(
            input,
            newest,
            revisions,
            file_len,
            f.full_name.clone(),
            f.obj_ref,
            value,
        ) {
            found.push(sig);
        }
    }
    found.sort_by_key(FoundSignature::order_key);
    found
}

/// Checks one signature field value; `None` when it is not a signature dictionary at all
/// (`/V` resolving to null).
fn examine<R: Read + Seek + Clone>(
    input: &R,
    newest: &mut RevisionView<R>,
    revisions: &[Revision],
    file_len: u64,
    field_name: String,
    field_ref: ObjRef,
    value: Object,
) -> Option<FoundSignature> {
    let sig_ref = value.as_reference();
    let dict = match signature_dict(newest, &value) {
        Ok(Some(d)) => d,
        Ok(None) => return None,
        Err(why) => return Some(malformed(field_name, field_ref, sig_ref, why)),
    };
    let mut sig = FoundSignature {
        field_name,
        field_ref,
        sig_ref,
        dict,
        revision: None,
        raw_byte_range: None,
        byte_range: None,
        contents: None,
        format_problems: Vec::new(),
    };
    check_type(&mut sig);
    let Some((br, s)) = check_byte_range(&mut sig, input, revisions, file_len) else {
        return Some(sig);
    };
    sig.revision = Some(s);
    let Some(r) = sig_ref else {
        sig.format_problems
            .push("the signature dictionary is not an indirect object".into());
        return Some(sig);
    };
    // What counts is the dictionary as stored in the revision it signs.
    let offset = match stored_offset(revisions, s, r) {
        Ok(offset) => offset,
        Err(why) => {
            sig.format_problems.push(why);
            return Some(sig);
        }
    };
    let stored = match locate_contents(input, offset, br.end, r).and_then(|mut x| {
        // In an encrypted document its strings are stored encrypted (not its /Contents).
        x.dict = newest.decrypt_dict(r, x.dict).map_err(|e| e.to_string())?;
        Ok(x)
    }) {
        Ok(x) => x,
        Err(why) => {
            sig.format_problems.push(why);
            return Some(sig);
        }
    };
    if stored.dict != sig.dict {
        // A later revision redefined it; the change analysis reports that.
        sig.dict = stored.dict.clone();
        sig.format_problems.clear();
        check_type(&mut sig);
        if check_byte_range(&mut sig, input, revisions, file_len) != Some((br, s)) {
            sig.format_problems
                .push("the signature dictionary was redefined with another /ByteRange".into());
            return Some(sig);
        }
    }
    check_contents(&mut sig, input, &revisions[s], r, br, &stored);
    if sig.format_problems.is_empty() {
        sig.byte_range = Some(br);
    }
    Some(sig)
}

/// The signature dictionary a field's `/V` resolves to; `None` for null (no signature).
fn signature_dict<R: Read + Seek + Clone>(
    newest: &mut RevisionView<R>,
    value: &Object,
) -> Result<Option<Dict>, String> {
    match newest.resolve(value) {
        Ok(Object::Dict(d)) => Ok(Some(d)),
        Ok(Object::Null) => Ok(None),
        Ok(other) => Err(format!(
            "the signature value is {}, not a dictionary",
            other.type_name()
        )),
        Err(e) => Err(format!("the signature dictionary cannot be read: {e}")),
    }
}

/// Where the signature dictionary `r` lies in the file as of revision `s`, the one it signs.
fn stored_offset(revisions: &[Revision], s: usize, r: ObjRef) -> Result<u64, String> {
    match revisions[..=s]
        .iter()
        .rev()
        .find_map(|rev| rev.entry(r.num))
    {
        Some(XrefEntry::InFile { offset, gen }) if gen == r.gen => Ok(offset),
        Some(XrefEntry::InObjectStream { .. }) => Err(
            "the signature dictionary is inside an object stream, so its /Contents cannot be \
             the gap of the byte range"
                .into(),
        ),
        _ => Err(format!(
            "the signature dictionary {r} is not part of the revision {s} it signs"
        )),
    }
}

fn malformed(
    field_name: String,
    field_ref: ObjRef,
    sig_ref: Option<ObjRef>,
    why: String,
) -> FoundSignature {
    FoundSignature {
        field_name,
        field_ref,
        sig_ref,
        dict: Dict::new(),
        revision: None,
        raw_byte_range: None,
        byte_range: None,
        contents: None,
        format_problems: vec![why],
    }
}

fn check_type(sig: &mut FoundSignature) {
    match sig.dict.get("Type") {
        None => {}
        Some(Object::Name(n)) if n == b"Sig" || n == b"DocTimeStamp" => {}
        Some(other) => sig.format_problems.push(format!(
            "/Type of the signature dictionary is {}, not /Sig or /DocTimeStamp",
            describe(other)
        )),
    }
    if !matches!(sig.dict.get("Filter"), Some(Object::Name(_))) {
        sig.format_problems
            .push("the signature dictionary has no /Filter name".into());
    }
}

fn describe(o: &Object) -> String {
    match o {
        Object::Name(n) => format!("/{}", String::from_utf8_lossy(n)),
        other => other.type_name().to_string(),
    }
}

/// `/ByteRange`: exactly four non-negative integers `[0 a b c]` with `0 < a < b`, `c > 0`,
/// inside the file, and `b + c` the end of a revision. Returns the range and that revision.
fn check_byte_range<R: Read + Seek + Clone>(
    sig: &mut FoundSignature,
    input: &R,
    revisions: &[Revision],
    file_len: u64,
) -> Option<(ByteRange, usize)> {
    let ints = match ByteRange::raw_numbers(&sig.dict) {
        Ok(ints) => ints,
        Err(why) => {
            sig.format_problems.push(why);
            return None;
        }
    };
    sig.raw_byte_range = Some(ints.clone());
    let br = match ByteRange::from_numbers(&ints, file_len) {
        Ok(br) => br,
        Err(why) => {
            sig.format_problems.push(why);
            return None;
        }
    };
    let end = br.end;
    let Some(rev) = revisions
        .iter()
        .position(|r| r.has_eof_marker && ends_revision(input, end, r.end_offset))
    else {
        sig.format_problems.push(format!(
            "the signed bytes end at byte {end}, which is not the end of any revision \
             (the signature does not cover a whole revision)"
        ));
        return None;
    };
    Some((br, rev))
}

/// Whether signed bytes ending at `end` cover the revision that ends at `revision_end`: at its
/// end; just after its `%%EOF` when only the end-of-line after it is left out (ISO 32000-2
/// §7.5.5 puts `%%EOF` on the last line; writers differ on whether that line ends); or past
/// its end over white space only (writers that end the file with blank lines, which pyHanko
/// accepts as it reads back to `%%EOF`). Nothing but that end-of-line is left unsigned, and
/// nothing but white space is signed beyond the revision.
fn ends_revision<R: Read + Seek + Clone>(input: &R, end: u64, revision_end: u64) -> bool {
    if end == revision_end {
        return true;
    }
    if end > revision_end {
        if end - revision_end > MAX_SIGNED_PADDING {
            return false;
        }
        let Ok(bytes) = read_at(input, revision_end, (end - revision_end) as usize) else {
            return false;
        };
        return bytes.len() as u64 == end - revision_end
            && bytes
                .iter()
                .all(|b| matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' '));
    }
    if revision_end - end > 2 || end < 5 {
        return false;
    }
    let Ok(bytes) = read_at(input, end - 5, (revision_end - end + 5) as usize) else {
        return false;
    };
    matches!(
        bytes.as_slice(),
        [b'%', b'%', b'E', b'O', b'F', b'\r', b'\n']
            | [b'%', b'%', b'E', b'O', b'F', b'\r' | b'\n']
    )
}

/// The gap must be exactly the `/Contents` hex string of this very dictionary, as stored at its
/// offset in the signed revision; no object of the signed revision may lie in the gap.
fn check_contents<R: Read + Seek + Clone>(
    sig: &mut FoundSignature,
    input: &R,
    revision: &Revision,
    r: ObjRef,
    br: ByteRange,
    stored: &StoredSignature,
) {
    match sig.dict.get("Contents") {
        Some(Object::String(s)) if !s.is_empty() => sig.contents = Some(s.clone()),
        Some(Object::String(_)) => {
            sig.format_problems.push("/Contents is empty".into());
            return;
        }
        None => {
            sig.format_problems.push("/Contents is missing".into());
            return;
        }
        Some(other) => {
            sig.format_problems
                .push(format!("/Contents is {}, not a string", other.type_name()));
            return;
        }
    }
    let (start, end) = stored.contents;
    if start != br.gap_start || end != br.gap_end {
        sig.format_problems.push(format!(
            "the gap of the byte range ({}..{}) is not this signature's /Contents string \
             ({start}..{end}) of object {r}",
            br.gap_start, br.gap_end
        ));
    }
    if let Err(why) = gap_is_hex(input, br) {
        sig.format_problems.push(why);
    }
    for s in &revision.sections {
        for (num, entry) in s.entries.iter() {
            if let XrefEntry::InFile { offset, .. } = entry {
                if *num != 0 && *offset >= br.gap_start && *offset < br.gap_end {
                    sig.format_problems.push(format!(
                        "object {num} of the signed revision lies inside the unsigned /Contents gap"
                    ));
                    return;
                }
            }
        }
    }
}

/// The signature dictionary as stored at its offset, with the span of its `/Contents` value.
struct StoredSignature {
    dict: Dict,
    contents: (u64, u64),
}

/// Parses the indirect object at `offset` and returns the span of its `/Contents` value.
fn locate_contents<R: Read + Seek + Clone>(
    input: &R,
    offset: u64,
    limit: u64,
    expected: ObjRef,
) -> Result<StoredSignature, String> {
    let len = limit.saturating_sub(offset).min(MAX_SIG_OBJECT) as usize;
    let buf = read_at(input, offset, len).map_err(|e| format!("cannot read the signature: {e}"))?;
    let bad = |what: &str| format!("the signature dictionary at byte {offset}: {what}");
    let mut p = Parser::new(&buf, offset, true);
    let id = p
        .read_indirect_header()
        .map_err(|_| bad("no `obj` header"))?;
    if id != expected {
        return Err(bad(&format!("object {id} found instead of {expected}")));
    }
    p.skip_ws();
    if !p.remaining().starts_with(b"<<") {
        return Err(bad("not a dictionary"));
    }
    let start = (p.offset() - offset) as usize + 2;
    let mut p = Parser::new(&buf[start..], offset + start as u64, true);
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut dict = Dict::new();
    let mut contents = None;
    loop {
        p.skip_ws();
        if p.remaining().starts_with(b">>") {
            break;
        }
        let key = match p.read_object() {
            Ok(Object::Name(n)) => n,
            _ => return Err(bad("malformed entry")),
        };
        if keys.contains(&key) {
            return Err(bad(&format!(
                "the key /{} appears twice",
                String::from_utf8_lossy(&key)
            )));
        }
        p.skip_ws();
        let v_start = p.offset();
        let value = p.read_object().map_err(|_| bad("malformed value"))?;
        if key == b"Contents" {
            if !matches!(value, Object::String(_))
                || buf.get((v_start - offset) as usize) != Some(&b'<')
            {
                return Err(bad("/Contents is not a hexadecimal string"));
            }
            contents = Some((v_start, p.offset()));
        }
        keys.push(key.clone());
        dict.set_raw(key, value);
    }
    // A missing /Contents is reported by the caller from the dictionary itself.
    Ok(StoredSignature {
        contents: contents.unwrap_or((0, 0)),
        dict,
    })
}

/// The gap holds `<`, hexadecimal digits only, `>`.
fn gap_is_hex<R: Read + Seek + Clone>(input: &R, br: ByteRange) -> Result<(), String> {
    let len = (br.gap_end - br.gap_start).min(MAX_SIG_OBJECT) as usize;
    let gap = read_at(input, br.gap_start, len).map_err(|e| e.to_string())?;
    let ok = gap.len() >= 2
        && gap.first() == Some(&b'<')
        && gap.last() == Some(&b'>')
        && gap[1..gap.len() - 1].iter().all(u8::is_ascii_hexdigit)
        && (br.gap_end - br.gap_start) as usize == gap.len();
    if ok {
        Ok(())
    } else {
        Err("the unsigned gap holds more than one hexadecimal string".into())
    }
}

pub fn read_at<R: Read + Seek + Clone>(
    input: &R,
    offset: u64,
    len: usize,
) -> std::io::Result<Vec<u8>> {
    let mut r = input.clone();
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(len.min(1 << 20));
    r.take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}
