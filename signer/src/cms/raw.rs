//! The original bytes of the parts of a SignedData (RFC 5652 §5) that a signature or a hash
//! covers: each SignerInfo's `signedAttrs` (§5.4: the signature is over their DER with the SET
//! OF tag) and each certificate (ESS certHash is over its DER).
//!
//! Decoders sort SET OF elements, so re-encoding a decoded value can differ from what was
//! signed; this walker finds the spans without decoding them. It reads definite-length
//! tag-length-value headers only and fails on indefinite lengths (BER is not accepted).

use super::CmsError;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const INTEGER: u8 = 0x02;
const CONTEXT_0: u8 = 0xA0;
const CONTEXT_1: u8 = 0xA1;

/// One tag-length-value element.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    /// The whole element, header included.
    pub raw: &'a [u8],
    /// The contents.
    pub value: &'a [u8],
}

/// The spans of one SignedData.
#[derive(Debug, Default)]
pub(crate) struct SignedDataSpans<'a> {
    /// Each `Certificate` of `certificates` (other CertificateChoices are skipped).
    pub certificates: Vec<&'a [u8]>,
    pub signer_infos: Vec<SignerInfoSpans<'a>>,
}

/// The spans of one SignerInfo.
#[derive(Debug)]
pub(crate) struct SignerInfoSpans<'a> {
    /// The whole SignerInfo.
    pub raw: &'a [u8],
    /// The `[0] IMPLICIT` signedAttrs element, as it appears (tag 0xA0).
    pub signed_attrs: Option<&'a [u8]>,
}

/// Read one element from the front of `input`; returns it and the rest.
pub(crate) fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), CmsError> {
    let truncated = || CmsError::malformed_because("DER element", "truncated");
    let (&tag, after_tag) = input.split_first().ok_or_else(truncated)?;
    if tag & 0x1F == 0x1F {
        return Err(CmsError::malformed_because("DER element", "multi-byte tag"));
    }
    let (&first, after_len) = after_tag.split_first().ok_or_else(truncated)?;
    let (len, header_len) = match first {
        0x80 => return Err(CmsError::IndefiniteLength),
        n if n < 0x80 => (usize::from(n), 2),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7F);
            let bytes = after_len.get(..n).ok_or_else(truncated)?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        }
        _ => {
            return Err(CmsError::malformed_because(
                "DER element",
                "length too large",
            ))
        }
    };
    let end = header_len.checked_add(len).ok_or_else(truncated)?;
    let raw = input.get(..end).ok_or_else(truncated)?;
    let value = raw.get(header_len..).ok_or_else(truncated)?;
    let rest = input.get(end..).ok_or_else(truncated)?;
    Ok((Tlv { tag, raw, value }, rest))
}

/// Read one element that must carry `tag`.
fn expect<'a>(
    input: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), CmsError> {
    let (tlv, rest) = read_tlv(input)?;
    if tlv.tag != tag {
        return Err(CmsError::malformed_because(what, "unexpected tag"));
    }
    Ok((tlv, rest))
}

/// The elements inside a constructed value.
fn children(mut value: &[u8]) -> Result<Vec<Tlv<'_>>, CmsError> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (tlv, rest) = read_tlv(value)?;
        out.push(tlv);
        value = rest;
    }
    Ok(out)
}

/// The DER message without the zero bytes a PDF `/Contents` placeholder leaves after it.
pub(crate) fn strip_padding(input: &[u8]) -> Result<&[u8], CmsError> {
    let (tlv, rest) = read_tlv(input)?;
    if rest.iter().any(|&b| b != 0) {
        return Err(CmsError::TrailingData);
    }
    Ok(tlv.raw)
}

/// Walk `ContentInfo { contentType, [0] SignedData }` and collect the spans.
pub(crate) fn signed_data_spans(content_info: &[u8]) -> Result<SignedDataSpans<'_>, CmsError> {
    let (ci, _) = expect(content_info, SEQUENCE, "ContentInfo")?;
    let (_, rest) = expect(ci.value, OID, "ContentInfo contentType")?;
    let (explicit, _) = expect(rest, CONTEXT_0, "ContentInfo content")?;
    let (sd, _) = expect(explicit.value, SEQUENCE, "SignedData")?;
    let (_, rest) = expect(sd.value, INTEGER, "SignedData version")?;
    let (_, rest) = expect(rest, SET, "SignedData digestAlgorithms")?;
    let (_, mut rest) = expect(rest, SEQUENCE, "SignedData encapContentInfo")?;
    let mut spans = SignedDataSpans::default();
    loop {
        let (tlv, after) = read_tlv(rest)?;
        match tlv.tag {
            CONTEXT_0 => spans.certificates = certificates(tlv.value)?,
            CONTEXT_1 => {}
            SET => {
                spans.signer_infos = children(tlv.value)?
                    .into_iter()
                    .map(signer_info_spans)
                    .collect::<Result<_, _>>()?;
                return Ok(spans);
            }
            _ => {
                return Err(CmsError::malformed_because(
                    "SignedData",
                    "unexpected field",
                ))
            }
        }
        rest = after;
    }
}

fn certificates(value: &[u8]) -> Result<Vec<&[u8]>, CmsError> {
    Ok(children(value)?
        .into_iter()
        .filter(|c| c.tag == SEQUENCE)
        .map(|c| c.raw)
        .collect())
}

/// `SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] OPTIONAL, ... }`
fn signer_info_spans(si: Tlv<'_>) -> Result<SignerInfoSpans<'_>, CmsError> {
    if si.tag != SEQUENCE {
        return Err(CmsError::malformed_because("SignerInfo", "not a SEQUENCE"));
    }
    let (_, rest) = expect(si.value, INTEGER, "SignerInfo version")?;
    let (_, rest) = read_tlv(rest)?; // sid: a CHOICE
    let (_, rest) = expect(rest, SEQUENCE, "SignerInfo digestAlgorithm")?;
    let (next, _) = read_tlv(rest)?;
    Ok(SignerInfoSpans {
        raw: si.raw,
        signed_attrs: (next.tag == CONTEXT_0).then_some(next.raw),
    })
}

/// The bytes a signer signs: the signedAttrs element with its `[0]` tag replaced by SET OF.
pub(crate) fn signed_attrs_as_set(signed_attrs: &[u8]) -> Vec<u8> {
    let mut out = signed_attrs.to_vec();
    if let Some(tag) = out.first_mut() {
        *tag = SET;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let (t, rest) = read_tlv(&[0x04, 0x01, 0xAA, 0xFF]).unwrap();
        assert_eq!((t.tag, t.value, rest), (0x04, &[0xAA][..], &[0xFF][..]));
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        let (t, rest) = read_tlv(&long).unwrap();
        assert_eq!((t.value.len(), rest.len()), (0x80, 0));
    }

    #[test]
    fn refuses_indefinite_and_truncated() {
        assert!(matches!(
            read_tlv(&[0x30, 0x80, 0, 0]),
            Err(CmsError::IndefiniteLength)
        ));
        assert!(read_tlv(&[0x30, 0x05, 1]).is_err());
        assert!(read_tlv(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
        assert!(read_tlv(&[]).is_err());
    }

    #[test]
    fn strips_zero_padding_only() {
        assert_eq!(
            strip_padding(&[0x05, 0x00, 0, 0, 0]).unwrap(),
            &[0x05, 0x00]
        );
        assert!(matches!(
            strip_padding(&[0x05, 0x00, 0, 1]),
            Err(CmsError::TrailingData)
        ));
    }
}
