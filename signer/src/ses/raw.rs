//! A definite-length DER tag-length-value walker (X.690 §8.1) for the tolerant parts of
//! GB/T 38540 reading: telling version 1 from version 4 by structure, accepting `[0]` fields
//! explicit, implicit or untagged, and keeping the exact bytes each signature covers.

use super::SesError;

pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;
pub(crate) const IA5_STRING: u8 = 0x16;
pub(crate) const UTC_TIME: u8 = 0x17;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;
pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const CONTEXT_0_PRIMITIVE: u8 = 0x80;
pub(crate) const CONTEXT_0_CONSTRUCTED: u8 = 0xA0;

/// One element: its tag, the whole encoding and the contents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub raw: &'a [u8],
    pub value: &'a [u8],
}

fn truncated(what: &'static str) -> SesError {
    SesError::malformed(what, "truncated DER element")
}

/// Read one element from the front of `input`; returns it and what follows.
pub(crate) fn read_tlv<'a>(
    input: &'a [u8],
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), SesError> {
    let (&tag, after_tag) = input.split_first().ok_or_else(|| truncated(what))?;
    if tag & 0x1F == 0x1F {
        return Err(SesError::malformed(
            what,
            "multi-byte tags are not used here",
        ));
    }
    let (&first, after_len) = after_tag.split_first().ok_or_else(|| truncated(what))?;
    let (len, header_len) = match first {
        0x80 => {
            return Err(SesError::malformed(
                what,
                "indefinite length (BER); only DER is accepted",
            ))
        }
        n if n < 0x80 => (usize::from(n), 2usize),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7F);
            let bytes = after_len.get(..n).ok_or_else(|| truncated(what))?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        }
        _ => return Err(SesError::malformed(what, "length field too large")),
    };
    let end = header_len.checked_add(len).ok_or_else(|| truncated(what))?;
    let raw = input.get(..end).ok_or_else(|| truncated(what))?;
    let value = raw.get(header_len..).ok_or_else(|| truncated(what))?;
    let rest = input.get(end..).ok_or_else(|| truncated(what))?;
    Ok((Tlv { tag, raw, value }, rest))
}

/// The single element of `input`, which must carry `tag`, with nothing after it.
pub(crate) fn single<'a>(
    input: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<Tlv<'a>, SesError> {
    let (tlv, rest) = read_tlv(input, what)?;
    if tlv.tag != tag {
        return Err(SesError::malformed(
            what,
            format!("unexpected tag 0x{:02X}", tlv.tag),
        ));
    }
    if !rest.is_empty() {
        return Err(SesError::malformed(what, "bytes after the element"));
    }
    Ok(tlv)
}

/// The elements inside a constructed value.
pub(crate) fn children<'a>(
    mut value: &'a [u8],
    what: &'static str,
) -> Result<Vec<Tlv<'a>>, SesError> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (tlv, rest) = read_tlv(value, what)?;
        out.push(tlv);
        value = rest;
    }
    Ok(out)
}

/// The DER element at the front, ignoring the zero bytes a PDF `/Contents` placeholder leaves
/// after it; anything else after it is an error.
pub(crate) fn strip_padding<'a>(input: &'a [u8], what: &'static str) -> Result<&'a [u8], SesError> {
    let (tlv, rest) = read_tlv(input, what)?;
    if rest.iter().any(|&b| b != 0) {
        return Err(SesError::TrailingData);
    }
    Ok(tlv.raw)
}

/// Encode a header for `tag` and `len` bytes of contents (definite length).
pub(crate) fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out
}

/// `tag` wrapped around `contents`.
pub(crate) fn wrap(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = header(tag, contents.len());
    out.extend_from_slice(contents);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lengths_and_refuses_indefinite_or_truncated() {
        let (t, rest) = read_tlv(&[0x04, 0x01, 0xAA, 0xFF], "x").unwrap();
        assert_eq!((t.tag, t.value, rest), (0x04, &[0xAA][..], &[0xFF][..]));
        let long = wrap(0x04, &[7u8; 300]);
        let (t, rest) = read_tlv(&long, "x").unwrap();
        assert_eq!((t.value.len(), rest.len()), (300, 0));
        assert!(read_tlv(&[0x30, 0x80, 0, 0], "x").is_err());
        assert!(read_tlv(&[0x30, 0x05, 1], "x").is_err());
        assert!(read_tlv(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], "x").is_err());
        assert!(read_tlv(&[], "x").is_err());
    }

    #[test]
    fn strips_zero_padding_only() {
        assert_eq!(strip_padding(&[5, 0, 0, 0], "x").unwrap(), &[5, 0]);
        assert!(matches!(
            strip_padding(&[5, 0, 0, 1], "x"),
            Err(SesError::TrailingData)
        ));
    }
}
