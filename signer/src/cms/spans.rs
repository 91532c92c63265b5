//! The original bytes of the parts of a SignedData (RFC 5652 §5) that a signature or a hash
//! covers: each SignerInfo's `signedAttrs` (§5.4: the signature is over their DER with the SET
//! OF tag) and each certificate (ESS certHash is over its DER).
//!
//! Decoders sort SET OF elements, so re-encoding a decoded value can differ from what was
//! signed; this walker finds the spans without decoding them, with the crate's one
//! tag-length-value reader ([`crate::tlv`]): definite lengths only (BER input is given DER
//! framing first by `ber.rs`, which leaves DER parts as they are).

use super::CmsError;
use crate::tlv::{
    children, expect, read_tlv, Tlv, CONTEXT_0, CONTEXT_1, INTEGER, OID, SEQUENCE, SET,
};

/// What header errors are reported about (the element's place is not known to the reader).
const ELEMENT: &str = "DER element";

/// The spans of one SignedData.
#[derive(Debug, Default)]
pub(crate) struct SignedDataSpans<'a> {
    /// Each `Certificate` of `certificates` (other CertificateChoices are skipped).
    pub certificates: Vec<&'a [u8]>,
    /// Each `other [1] IMPLICIT OtherRevocationInfoFormat` of `crls` (RFC 5652 §10.2.1): its
    /// contents, `otherRevInfoFormat OID` then `otherRevInfo`.
    pub other_revocation: Vec<&'a [u8]>,
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

/// The DER message without the zero bytes a PDF `/Contents` placeholder leaves after it.
pub(crate) fn strip_padding(input: &[u8]) -> Result<&[u8], CmsError> {
    Ok(crate::tlv::strip_padding(input, ELEMENT)?)
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
        let (tlv, after) = read_tlv(rest, ELEMENT)?;
        match tlv.tag {
            CONTEXT_0 => spans.certificates = certificates(tlv.value)?,
            CONTEXT_1 => {
                spans.other_revocation = children(tlv.value, ELEMENT)?
                    .into_iter()
                    .filter(|c| c.tag == CONTEXT_1)
                    .map(|c| c.value)
                    .collect()
            }
            SET => {
                spans.signer_infos = children(tlv.value, ELEMENT)?
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

/// The ContentInfo without the `other` entries of SignedData `crls`, when it has any: the
/// `cms` crate reads OtherRevocationInfoFormat with an AlgorithmIdentifier where RFC 5652
/// §10.2.1 has an OBJECT IDENTIFIER and an ANY, so it cannot decode RFC 5940 OCSP responses
/// there. They are read from [`SignedDataSpans::other_revocation`] instead; nothing a
/// signature covers is in this field.
pub(crate) fn without_other_revocation(content_info: &[u8]) -> Result<Option<Vec<u8>>, CmsError> {
    let (ci, _) = expect(content_info, SEQUENCE, "ContentInfo")?;
    let (oid, rest) = expect(ci.value, OID, "ContentInfo contentType")?;
    let (explicit, _) = expect(rest, CONTEXT_0, "ContentInfo content")?;
    let (sd, _) = expect(explicit.value, SEQUENCE, "SignedData")?;
    let fields = children(sd.value, ELEMENT)?;
    let mut changed = false;
    let mut out = Vec::with_capacity(sd.value.len());
    for field in fields {
        if field.tag != CONTEXT_1 {
            out.extend_from_slice(field.raw);
            continue;
        }
        let entries = children(field.value, ELEMENT)?;
        let kept: Vec<u8> = entries
            .iter()
            .filter(|c| c.tag != CONTEXT_1)
            .flat_map(|c| c.raw.iter().copied())
            .collect();
        if kept.len() == field.value.len() {
            out.extend_from_slice(field.raw);
            continue;
        }
        changed = true;
        if !kept.is_empty() {
            out.extend(crate::tlv::wrap(CONTEXT_1, &kept));
        }
    }
    if !changed {
        return Ok(None);
    }
    let sd = crate::tlv::wrap(SEQUENCE, &out);
    let mut ci = oid.raw.to_vec();
    ci.extend(crate::tlv::wrap(CONTEXT_0, &sd));
    Ok(Some(crate::tlv::wrap(SEQUENCE, &ci)))
}

fn certificates(value: &[u8]) -> Result<Vec<&[u8]>, CmsError> {
    Ok(children(value, ELEMENT)?
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
    let (_, rest) = read_tlv(rest, ELEMENT)?; // sid: a CHOICE
    let (_, rest) = expect(rest, SEQUENCE, "SignerInfo digestAlgorithm")?;
    let (next, _) = read_tlv(rest, ELEMENT)?;
    Ok(SignerInfoSpans {
        raw: si.raw,
        signed_attrs: (next.tag == CONTEXT_0).then_some(next.raw),
    })
}

/// Whether the elements of a SET OF (here the `[0]` signedAttrs) are in DER order: their
/// encodings ascending as octet strings, the shorter padded with zeros (X.690 §11.6).
pub(crate) fn in_der_order(set: &[u8]) -> Result<bool, CmsError> {
    let (tlv, _) = read_tlv(set, ELEMENT)?;
    let elements = children(tlv.value, ELEMENT)?;
    Ok(elements
        .windows(2)
        .all(|w| matches!(w, [a, b] if der_set_cmp(a.raw, b.raw).is_le())))
}

fn der_set_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let len = a.len().max(b.len());
    let pa = a.iter().copied().chain(std::iter::repeat(0)).take(len);
    let pb = b.iter().copied().chain(std::iter::repeat(0)).take(len);
    pa.cmp(pb)
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
    fn framing_errors_keep_their_cms_meaning() {
        assert!(matches!(
            strip_padding(&[0x30, 0x80, 0, 0]),
            Err(CmsError::IndefiniteLength)
        ));
        assert!(matches!(
            strip_padding(&[0x05, 0x00, 0, 1]),
            Err(CmsError::TrailingData)
        ));
        assert_eq!(strip_padding(&[0x05, 0x00, 0, 0]).unwrap(), &[0x05, 0x00]);
        let truncated = strip_padding(&[0x30, 0x05, 1]).unwrap_err().to_string();
        assert!(truncated.ends_with("DER element: truncated"), "{truncated}");
        let wrong = signed_data_spans(&[0x31, 0x00]).unwrap_err().to_string();
        assert!(wrong.ends_with("ContentInfo: unexpected tag"), "{wrong}");
    }
}
