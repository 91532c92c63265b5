//! The one DER tag-length-value reader of the crate (X.690 §8.1.2 identifier octets, §8.1.3
//! length octets, §10.1 definite form), for the places that must see an element's exact bytes
//! rather than its decoded value: the parts of a CMS SignedData a signature or hash covers
//! (RFC 5652 §5.4), the tolerant reading of GB/T 38540 / GM/T 0031 seals and seal signatures,
//! and telling the two formats apart by their outer structure.
//!
//! Why not `der`'s own `SliceReader`/`Header`: it refuses lengths that are not in their
//! shortest form (X.690 §10.1) and universal tags it has no type for, and it takes multi-byte
//! tags. This reader frames elements exactly as the three hand-written readers it replaces
//! did: single-byte tags of any class, definite lengths of up to four length octets (short or
//! long form, shortest or not), and a refusal of BER indefinite lengths. Decoding the values
//! is left to `der` (through `cms`, `x509-cert` and the `ses::seal` types).

/// INTEGER.
pub(crate) const INTEGER: u8 = 0x02;
/// BIT STRING.
pub(crate) const BIT_STRING: u8 = 0x03;
/// OCTET STRING.
pub(crate) const OCTET_STRING: u8 = 0x04;
/// OBJECT IDENTIFIER.
pub(crate) const OID: u8 = 0x06;
/// UTF8String.
pub(crate) const UTF8_STRING: u8 = 0x0C;
/// PrintableString.
pub(crate) const PRINTABLE_STRING: u8 = 0x13;
/// IA5String.
pub(crate) const IA5_STRING: u8 = 0x16;
/// UTCTime.
pub(crate) const UTC_TIME: u8 = 0x17;
/// GeneralizedTime.
pub(crate) const GENERALIZED_TIME: u8 = 0x18;
/// SEQUENCE, SEQUENCE OF (constructed).
pub(crate) const SEQUENCE: u8 = 0x30;
/// SET, SET OF (constructed).
pub(crate) const SET: u8 = 0x31;
/// `[0]`, primitive (an IMPLICIT tag on a primitive type).
pub(crate) const CONTEXT_0_PRIMITIVE: u8 = 0x80;
/// `[0]`, constructed.
pub(crate) const CONTEXT_0: u8 = 0xA0;
/// `[1]`, constructed.
pub(crate) const CONTEXT_1: u8 = 0xA1;

/// What is wrong with the framing of part `what` of a structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TlvError {
    pub what: &'static str,
    pub kind: TlvErrorKind,
}

/// The ways framing fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TlvErrorKind {
    /// The input ends inside the header or the contents.
    Truncated,
    /// A tag number of 31 or more (X.690 §8.1.2.4); none of the structures read here has one.
    MultiByteTag,
    /// BER indefinite length (X.690 §8.1.3.6); only the definite form is accepted.
    IndefiniteLength,
    /// More than four length octets.
    LengthTooLarge,
    /// After the element come bytes that are not zero padding.
    TrailingData,
    /// The element carries another tag than the one expected.
    UnexpectedTag(u8),
    /// Bytes follow an element that must stand alone.
    BytesAfter,
}

impl TlvError {
    fn new(what: &'static str, kind: TlvErrorKind) -> TlvError {
        TlvError { what, kind }
    }
}

/// Identifier and length octets of one element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub tag: u8,
    /// Bytes of the identifier and length octets.
    pub header_len: usize,
    /// Bytes of the contents, as the length octets say (not checked against the input).
    pub len: usize,
}

/// One element: its tag, the whole encoding and the contents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    /// The whole element, header included.
    pub raw: &'a [u8],
    /// The contents.
    pub value: &'a [u8],
}

/// Read the header at the front of `input` without requiring the contents to be there.
pub(crate) fn read_header(input: &[u8], what: &'static str) -> Result<Header, TlvError> {
    let fail = |kind| TlvError::new(what, kind);
    let (&tag, after_tag) = input.split_first().ok_or(fail(TlvErrorKind::Truncated))?;
    if tag & 0x1F == 0x1F {
        return Err(fail(TlvErrorKind::MultiByteTag));
    }
    let (&first, after_len) = after_tag
        .split_first()
        .ok_or(fail(TlvErrorKind::Truncated))?;
    let (len, header_len) = match first {
        0x80 => return Err(fail(TlvErrorKind::IndefiniteLength)),
        n if n < 0x80 => (usize::from(n), 2),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7F);
            let bytes = after_len.get(..n).ok_or(fail(TlvErrorKind::Truncated))?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        }
        _ => return Err(fail(TlvErrorKind::LengthTooLarge)),
    };
    Ok(Header {
        tag,
        header_len,
        len,
    })
}

/// Read one element from the front of `input`; returns it and what follows.
pub(crate) fn read_tlv<'a>(
    input: &'a [u8],
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), TlvError> {
    let truncated = || TlvError::new(what, TlvErrorKind::Truncated);
    let Header {
        tag,
        header_len,
        len,
    } = read_header(input, what)?;
    let end = header_len.checked_add(len).ok_or_else(truncated)?;
    let raw = input.get(..end).ok_or_else(truncated)?;
    let value = raw.get(header_len..).ok_or_else(truncated)?;
    let rest = input.get(end..).ok_or_else(truncated)?;
    Ok((Tlv { tag, raw, value }, rest))
}

/// Read one element that must carry `tag`; returns it and what follows.
pub(crate) fn expect<'a>(
    input: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), TlvError> {
    let (tlv, rest) = read_tlv(input, what)?;
    if tlv.tag != tag {
        return Err(TlvError::new(what, TlvErrorKind::UnexpectedTag(tlv.tag)));
    }
    Ok((tlv, rest))
}

/// The single element of `input`, which must carry `tag`, with nothing after it.
pub(crate) fn single<'a>(
    input: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<Tlv<'a>, TlvError> {
    let (tlv, rest) = expect(input, tag, what)?;
    if !rest.is_empty() {
        return Err(TlvError::new(what, TlvErrorKind::BytesAfter));
    }
    Ok(tlv)
}

/// The elements inside a constructed value.
pub(crate) fn children<'a>(
    mut value: &'a [u8],
    what: &'static str,
) -> Result<Vec<Tlv<'a>>, TlvError> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (tlv, rest) = read_tlv(value, what)?;
        out.push(tlv);
        value = rest;
    }
    Ok(out)
}

/// The element at the front, without the zero bytes a PDF `/Contents` placeholder leaves
/// after it; anything else after it is [`TlvErrorKind::TrailingData`].
pub(crate) fn strip_padding<'a>(input: &'a [u8], what: &'static str) -> Result<&'a [u8], TlvError> {
    let (tlv, rest) = read_tlv(input, what)?;
    if rest.iter().any(|&b| b != 0) {
        return Err(TlvError::new(what, TlvErrorKind::TrailingData));
    }
    Ok(tlv.raw)
}

/// Encode a header for `tag` and `len` bytes of contents (definite length, shortest form).
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

    fn kind<T>(r: Result<T, TlvError>) -> Option<TlvErrorKind> {
        r.err().map(|e| e.kind)
    }

    #[test]
    fn reads_short_and_long_lengths() {
        let (t, rest) = read_tlv(&[0x04, 0x01, 0xAA, 0xFF], "x").unwrap();
        assert_eq!((t.tag, t.value, rest), (0x04, &[0xAA][..], &[0xFF][..]));
        let long = wrap(0x04, &[7u8; 300]);
        let (t, rest) = read_tlv(&long, "x").unwrap();
        assert_eq!((t.value.len(), t.raw.len(), rest.len()), (300, 304, 0));
    }

    /// The readers this one replaced took long-form lengths that are not the shortest
    /// (`der`'s reader refuses them) and any single-byte tag; so does this one.
    #[test]
    fn keeps_the_tolerance_of_the_readers_it_replaced() {
        let (t, _) = read_tlv(&[0x04, 0x81, 0x01, 0xAA], "x").unwrap();
        assert_eq!(t.value, &[0xAA]);
        let (t, _) = read_tlv(&[0x07, 0x00], "x").unwrap();
        assert_eq!(t.tag, 0x07);
    }

    #[test]
    fn refuses_indefinite_truncated_and_oversized() {
        use TlvErrorKind::*;
        assert_eq!(
            kind(read_tlv(&[0x30, 0x80, 0, 0], "x")),
            Some(IndefiniteLength)
        );
        assert_eq!(kind(read_tlv(&[0x30, 0x05, 1], "x")), Some(Truncated));
        assert_eq!(
            kind(read_tlv(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], "x")),
            Some(Truncated)
        );
        assert_eq!(
            kind(read_tlv(&[0x30, 0x85, 0, 0, 0, 0, 1], "x")),
            Some(LengthTooLarge)
        );
        assert_eq!(kind(read_tlv(&[0x1F, 0x01, 0x00], "x")), Some(MultiByteTag));
        assert_eq!(kind(read_tlv(&[], "x")), Some(Truncated));
        assert_eq!(kind(read_tlv(&[0x30], "x")), Some(Truncated));
    }

    /// A header can be read when the contents are not all there (format sniffing peeks).
    #[test]
    fn reads_a_header_alone() {
        let h = read_header(&[0x30, 0x82, 0x01, 0x00, 0x06], "x").unwrap();
        assert_eq!((h.tag, h.header_len, h.len), (0x30, 4, 256));
        assert!(read_header(&[0x30, 0x82, 0x01], "x").is_err());
    }

    #[test]
    fn expects_tags_and_single_elements() {
        use TlvErrorKind::*;
        assert_eq!(
            kind(expect(&[0x05, 0x00], 0x04, "x")),
            Some(UnexpectedTag(0x05))
        );
        assert_eq!(
            kind(single(&[0x05, 0x00, 0x05, 0x00], 0x05, "x")),
            Some(BytesAfter)
        );
        assert_eq!(single(&[0x05, 0x00], 0x05, "x").unwrap().raw, &[0x05, 0x00]);
    }

    #[test]
    fn strips_zero_padding_only() {
        assert_eq!(strip_padding(&[5, 0, 0, 0], "x").unwrap(), &[5, 0]);
        assert_eq!(
            kind(strip_padding(&[5, 0, 0, 1], "x")),
            Some(TlvErrorKind::TrailingData)
        );
    }
}
