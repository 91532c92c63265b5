//! Telling what a signature container holds from its outer DER structure (X.690 §8.1), before
//! anything is decoded: a CMS ContentInfo (RFC 5652 §3) or a GB/T 38540 `SES_Signature` (§8).

use crate::tlv;

/// What a signature container holds, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentsFormat {
    /// DER ContentInfo: SEQUENCE { OBJECT IDENTIFIER, [0] ... }.
    Cms,
    /// GB/T 38540 SES_Signature: SEQUENCE { TBS_Sign SEQUENCE, ... }.
    SesSignature,
    Unknown,
}

/// Sniffs the container format from its outer header and the tag of its first element. Only
/// the header must be whole: the contents are read by the parser of the format found.
pub fn sniff(contents: &[u8]) -> ContentsFormat {
    // BER indefinite length (X.690 §8.1.3.6), as Adobe and openssl -stream write a CMS.
    let header_len = match contents {
        [tlv::SEQUENCE, 0x80, ..] => 2,
        _ => match tlv::read_header(contents, "signature") {
            Ok(outer) if outer.tag == tlv::SEQUENCE => outer.header_len,
            _ => return ContentsFormat::Unknown,
        },
    };
    match contents.get(header_len) {
        Some(&tlv::OID) => ContentsFormat::Cms,
        Some(&tlv::SEQUENCE) => ContentsFormat::SesSignature,
        _ => ContentsFormat::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContentsFormat::*;

    /// The same answers as the peeking sniffer this replaced, which looked only at the first
    /// byte, the length octets and the byte after them.
    #[test]
    fn sniffs_by_the_outer_header_alone() {
        let cases: &[(&[u8], ContentsFormat)] = &[
            (&[0x30, 0x03, 0x06, 0x01, 0x00], Cms),
            (&[0x30, 0x82, 0x10, 0x00, 0x06], Cms),
            (&[0x30, 0x84, 0, 0, 0, 9, 0x30], SesSignature),
            (&[0x30, 0x02, 0x30, 0x00], SesSignature),
            // The header may announce more than there is: the parser says what is missing.
            (&[0x30, 0x7F, 0x06], Cms),
            (&[0x30, 0x80, 0x06], Cms),
            (&[0x30, 0x80, 0x30], SesSignature),
            (&[0x30, 0x80], Unknown),
            (&[0x30, 0x85, 0, 0, 0, 0, 1, 0x06], Unknown),
            (&[0x30, 0x82, 0x01], Unknown),
            (&[0x30, 0x01, 0x04], Unknown),
            (&[0x30, 0x00], Unknown),
            (&[0x31, 0x01, 0x06], Unknown),
            (&[0x30], Unknown),
            (&[], Unknown),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff(bytes), *want, "{bytes:02X?}");
        }
    }
}
