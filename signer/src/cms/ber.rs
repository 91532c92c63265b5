//! BER on input (X.690 §8): Adobe, `openssl cms -stream` and most national signing tools
//! write CMS with indefinite lengths (§8.1.3.6) and constructed OCTET STRINGs (§8.7.3). RFC
//! 5652 allows BER for everything but the signed attributes (§5.3), which must be DER because
//! the signature covers their encoding.
//!
//! This module turns such a message into DER framing before it is decoded: definite lengths,
//! and constructed universal strings joined into one primitive string. Everything that is
//! already framed with definite lengths and holds no BER inside is copied byte for byte:
//! certificates, the signed attributes and anything else a signature or hash covers keep their
//! exact bytes. SETs are not re-sorted (a signer's order is what it signed).
//!
//! Why not a crate: `der` 0.8 decodes BER type by type (`EncodingRules::Ber`), but has no
//! transcoder that leaves DER parts untouched, which the spans of `spans.rs` need; `bcder`
//! belongs to another ASN.1 world and re-encodes values. The walker here is small, bounded in
//! depth and output, and never panics (fuzzed through `parse_for_fuzz`).

use std::borrow::Cow;

use crate::tlv::{read_header, TlvError, TlvErrorKind};

/// Deepest nesting accepted (a CMS with certificates nests about 15 levels).
pub(crate) const MAX_DEPTH: usize = 64;

/// What is wrong with a BER input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BerError {
    #[error("truncated")]
    Truncated,
    #[error("nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
    #[error("indefinite length on a primitive element")]
    IndefinitePrimitive,
    #[error("a constructed string holds something other than segments of its own type")]
    BadStringSegment,
    #[error("multi-byte tag")]
    MultiByteTag,
    #[error("length too large")]
    LengthTooLarge,
}

impl From<TlvError> for BerError {
    fn from(e: TlvError) -> BerError {
        match e.kind {
            TlvErrorKind::MultiByteTag => BerError::MultiByteTag,
            TlvErrorKind::LengthTooLarge => BerError::LengthTooLarge,
            _ => BerError::Truncated,
        }
    }
}

/// The first element of `input` with DER framing, and the number of input bytes it took.
/// Returns the input slice itself when it needs no change.
pub(crate) fn normalize(input: &[u8]) -> Result<(Cow<'_, [u8]>, usize), BerError> {
    let element = element(input, 0)?;
    let bytes = match element.rewritten {
        None => Cow::Borrowed(input.get(..element.consumed).ok_or(BerError::Truncated)?),
        Some(bytes) => Cow::Owned(bytes),
    };
    Ok((bytes, element.consumed))
}

/// One element read: how many input bytes it spans and, if its framing had to change, its
/// new encoding.
struct Element {
    consumed: usize,
    rewritten: Option<Vec<u8>>,
}

/// Whether a constructed element with this tag is a universal string type whose segments
/// are joined (BIT STRING, OCTET STRING and the character strings, X.690 §8.21.5).
fn is_universal_string(tag: u8) -> bool {
    tag & 0xC0 == 0 && matches!(tag & 0x1F, 3 | 4 | 12 | 18..=22 | 25..=30)
}

fn element(input: &[u8], depth: usize) -> Result<Element, BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    let (&tag, _) = input.split_first().ok_or(BerError::Truncated)?;
    let constructed = tag & 0x20 != 0;
    match read_header(input, "BER element") {
        Ok(h) => {
            let end = h.header_len.checked_add(h.len).ok_or(BerError::Truncated)?;
            let contents = input.get(h.header_len..end).ok_or(BerError::Truncated)?;
            if !constructed {
                return Ok(Element {
                    consumed: end,
                    rewritten: None,
                });
            }
            let (children, changed) = children(contents, depth, false)?;
            let rewritten = if is_universal_string(tag) {
                Some(join_string(tag, &children, contents)?)
            } else if changed {
                Some(rebuild(tag, &children, contents))
            } else {
                None
            };
            Ok(Element {
                consumed: end,
                rewritten,
            })
        }
        Err(e) if e.kind == TlvErrorKind::IndefiniteLength => {
            if !constructed {
                return Err(BerError::IndefinitePrimitive);
            }
            let contents = input.get(2..).ok_or(BerError::Truncated)?;
            let (children, _) = children(contents, depth, true)?;
            // The contents end where the end-of-contents octets begin.
            let used: usize = children.iter().map(|c| c.0.len()).sum();
            let body = contents.get(..used).ok_or(BerError::Truncated)?;
            let rewritten = if is_universal_string(tag) {
                join_string(tag, &children, body)?
            } else {
                rebuild(tag, &children, body)
            };
            Ok(Element {
                consumed: 2 + used + 2,
                rewritten: Some(rewritten),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// A child: its input bytes and its rewritten encoding, if any.
type Child<'a> = (&'a [u8], Option<Vec<u8>>);

/// The children of a constructed element's contents. With `until_eoc`, reading stops at the
/// end-of-contents octets (which must be there); otherwise at the end of `contents`.
fn children(
    contents: &[u8],
    depth: usize,
    until_eoc: bool,
) -> Result<(Vec<Child<'_>>, bool), BerError> {
    let mut out = Vec::new();
    let mut changed = false;
    let mut at = 0;
    loop {
        let rest = contents.get(at..).ok_or(BerError::Truncated)?;
        if until_eoc {
            match rest {
                [0, 0, ..] => break,
                [] | [_] => return Err(BerError::Truncated),
                _ => {}
            }
        } else if rest.is_empty() {
            break;
        }
        let child = element(rest, depth + 1)?;
        changed |= child.rewritten.is_some();
        let raw = rest.get(..child.consumed).ok_or(BerError::Truncated)?;
        out.push((raw, child.rewritten));
        at += child.consumed;
    }
    Ok((out, changed))
}

/// The child's DER bytes.
fn bytes_of<'a>(child: &'a Child<'_>) -> &'a [u8] {
    child.1.as_deref().unwrap_or(child.0)
}

/// `tag` with definite length around the children's DER.
fn rebuild(tag: u8, children: &[Child<'_>], body: &[u8]) -> Vec<u8> {
    let mut contents = Vec::with_capacity(body.len());
    for c in children {
        contents.extend_from_slice(bytes_of(c));
    }
    crate::tlv::wrap(tag, &contents)
}

/// A constructed string as one primitive string (X.690 §8.7.3, §8.6.4 for BIT STRING: only
/// the last segment may have unused bits).
fn join_string(tag: u8, children: &[Child<'_>], body: &[u8]) -> Result<Vec<u8>, BerError> {
    let primitive = tag & !0x20;
    let mut joined = Vec::with_capacity(body.len());
    let bit_string = primitive == 0x03;
    let mut unused = 0u8;
    for (i, c) in children.iter().enumerate() {
        let der = bytes_of(c);
        let segment = crate::tlv::single(der, primitive, "BER string segment")
            .map_err(|_| BerError::BadStringSegment)?;
        if bit_string {
            let (&bits, data) = segment
                .value
                .split_first()
                .ok_or(BerError::BadStringSegment)?;
            if bits > 7 || (bits != 0 && i + 1 != children.len()) {
                return Err(BerError::BadStringSegment);
            }
            unused = bits;
            joined.extend_from_slice(data);
        } else {
            joined.extend_from_slice(segment.value);
        }
    }
    if bit_string {
        joined.insert(0, unused);
    }
    Ok(crate::tlv::wrap(primitive, &joined))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(input: &[u8]) -> Vec<u8> {
        let (out, used) = normalize(input).unwrap();
        assert_eq!(used, input.len());
        out.into_owned()
    }

    #[test]
    fn der_input_is_borrowed_unchanged() {
        // A SET whose elements are not in DER order stays as it is; so does a long-form
        // length that is not the shortest.
        let input = [0x31, 0x06, 0x02, 0x01, 0x09, 0x02, 0x01, 0x01];
        assert!(matches!(normalize(&input).unwrap().0, Cow::Borrowed(_)));
        let long = [0x04, 0x81, 0x01, 0xAA];
        assert_eq!(der(&long), long);
    }

    #[test]
    fn indefinite_lengths_become_definite() {
        let input = [
            0x30, 0x80, 0x02, 0x01, 0x05, 0x31, 0x80, 0x05, 0x00, 0, 0, 0, 0,
        ];
        assert_eq!(
            der(&input),
            [0x30, 0x07, 0x02, 0x01, 0x05, 0x31, 0x02, 0x05, 0x00]
        );
    }

    #[test]
    fn only_the_changed_parts_are_rebuilt() {
        // SEQUENCE { SET (unsorted, DER framed), [0] indefinite { NULL } }
        let input = [
            0x30, 0x0E, 0x31, 0x06, 0x02, 0x01, 0x09, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x05, 0x00, 0,
            0,
        ];
        let out = der(&input);
        assert_eq!(
            out,
            [0x30, 0x0C, 0x31, 0x06, 0x02, 0x01, 0x09, 0x02, 0x01, 0x01, 0xA0, 0x02, 0x05, 0x00]
        );
    }

    #[test]
    fn constructed_strings_are_joined() {
        let octets = [0x24, 0x80, 0x04, 0x02, 1, 2, 0x04, 0x01, 3, 0, 0];
        assert_eq!(der(&octets), [0x04, 0x03, 1, 2, 3]);
        let definite = [0x24, 0x07, 0x04, 0x02, 1, 2, 0x04, 0x01, 3];
        assert_eq!(der(&definite), [0x04, 0x03, 1, 2, 3]);
        let bits = [0x23, 0x80, 0x03, 0x02, 0, 0xF0, 0x03, 0x02, 4, 0xA0, 0, 0];
        assert_eq!(der(&bits), [0x03, 0x03, 4, 0xF0, 0xA0]);
        let bad_bits = [0x23, 0x08, 0x03, 0x02, 4, 0xF0, 0x03, 0x02, 0, 0xA0];
        assert_eq!(
            normalize(&bad_bits).unwrap_err(),
            BerError::BadStringSegment
        );
        let mixed = [0x24, 0x80, 0x02, 0x01, 1, 0, 0];
        assert_eq!(normalize(&mixed).unwrap_err(), BerError::BadStringSegment);
    }

    #[test]
    fn reports_what_follows_and_refuses_bad_input() {
        let (out, used) = normalize(&[0x30, 0x80, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!((&out[..], used), (&[0x30, 0x00][..], 4));
        assert_eq!(
            normalize(&[0x30, 0x80, 0x05]).unwrap_err(),
            BerError::Truncated
        );
        assert_eq!(normalize(&[0x30, 0x80]).unwrap_err(), BerError::Truncated);
        assert_eq!(
            normalize(&[0x04, 0x80, 0, 0]).unwrap_err(),
            BerError::IndefinitePrimitive
        );
        let mut deep = Vec::new();
        for _ in 0..=MAX_DEPTH + 1 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        deep.resize(deep.len() * 2, 0);
        assert_eq!(normalize(&deep).unwrap_err(), BerError::TooDeep);
    }
}
