//! Object identifiers that a seal only carries (ExtData `extnID`): read as their bytes, so
//! that arcs beyond 32 bits (`2.25.<UUID>`, X.667, as some vendors name their extensions) do
//! not make a valid seal malformed. `const-oid`'s arcs are `u32`; algorithm identifiers, which
//! the verifier must understand, stay `ObjectIdentifier`.

use const_oid::ObjectIdentifier;
use der::{DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Tag, Writer};

/// An OBJECT IDENTIFIER as its content octets (X.690 §8.19), any arc size.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawOid(Vec<u8>);

impl RawOid {
    /// Validates the content octets: at least one subidentifier, each ending in an octet
    /// with bit 8 clear and not starting with 0x80 (X.690 §8.19.2).
    pub fn from_content(bytes: &[u8]) -> der::Result<RawOid> {
        let bad = || der::Error::from(Tag::ObjectIdentifier.value_error());
        if bytes.last().is_none_or(|b| b & 0x80 != 0) {
            return Err(bad());
        }
        let mut start = true;
        for &b in bytes {
            if start && b == 0x80 {
                return Err(bad());
            }
            start = b & 0x80 == 0;
        }
        Ok(RawOid(bytes.to_vec()))
    }

    /// The content octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// As a `const-oid` identifier, when every arc fits its `u32`.
    pub fn as_oid(&self) -> Option<ObjectIdentifier> {
        ObjectIdentifier::from_bytes(&self.0).ok()
    }

    /// Dotted decimal; arcs of up to 128 bits (a UUID) are written out, longer ones as
    /// `0x` and their hexadecimal octets.
    pub fn to_dotted(&self) -> String {
        let mut arcs: Vec<String> = Vec::new();
        let mut value: Option<u128> = Some(0);
        let mut octets = Vec::new();
        for &b in &self.0 {
            octets.push(b);
            value = value
                .and_then(|v| v.checked_mul(128))
                .and_then(|v| v.checked_add(u128::from(b & 0x7F)));
            if b & 0x80 != 0 {
                continue;
            }
            let text = match value {
                Some(v) if arcs.is_empty() => match v {
                    0..40 => format!("0.{v}"),
                    40..80 => format!("1.{}", v - 40),
                    _ => format!("2.{}", v - 80),
                },
                Some(v) => v.to_string(),
                None => {
                    let hex: String = octets.iter().map(|o| format!("{o:02x}")).collect();
                    format!("0x{hex}")
                }
            };
            arcs.push(text);
            value = Some(0);
            octets.clear();
        }
        arcs.join(".")
    }
}

impl std::fmt::Display for RawOid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_dotted())
    }
}

impl From<ObjectIdentifier> for RawOid {
    fn from(oid: ObjectIdentifier) -> RawOid {
        RawOid(oid.as_bytes().to_vec())
    }
}

impl PartialEq<ObjectIdentifier> for RawOid {
    fn eq(&self, other: &ObjectIdentifier) -> bool {
        self.0 == other.as_bytes()
    }
}

impl FixedTag for RawOid {
    const TAG: Tag = Tag::ObjectIdentifier;
}

impl<'a> DecodeValue<'a> for RawOid {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_vec(header.length())?;
        RawOid::from_content(&bytes)
    }
}

impl EncodeValue for RawOid {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    /// `2.25.<UUID>` encoded: 0x69 is 2.25 (2 * 40 + 25); then the UUID's 128 bits in base 128.
    fn uuid_oid_der(uuid: u128) -> Vec<u8> {
        let mut arc = vec![(uuid & 0x7F) as u8];
        let mut rest = uuid >> 7;
        while rest > 0 {
            arc.push(0x80 | (rest & 0x7F) as u8);
            rest >>= 7;
        }
        arc.reverse();
        let mut content = vec![0x69];
        content.extend(arc);
        let mut der = vec![0x06, content.len() as u8];
        der.extend(content);
        der
    }

    #[test]
    fn reads_arcs_beyond_32_bits() {
        let uuid = 0xf81d4fae_7dec_11d0_a765_00a0c91e6bf6_u128;
        let der = uuid_oid_der(uuid);
        assert!(
            <ObjectIdentifier>::from_der(&der).is_err(),
            "const-oid took it"
        );
        let oid = RawOid::from_der(&der).unwrap();
        assert_eq!(oid.to_string(), format!("2.25.{uuid}"));
        assert_eq!(oid.as_oid(), None);
        assert_eq!(oid.to_der().unwrap(), der);
    }

    #[test]
    fn small_arcs_match_const_oid() {
        let known = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.38540.1");
        let raw = RawOid::from_der(&known.to_der().unwrap()).unwrap();
        assert_eq!(raw, known);
        assert_eq!(raw.to_string(), known.to_string());
        assert_eq!(raw.as_oid(), Some(known));
        assert_eq!(RawOid::from(known), raw);
        for bad in [
            &[0x06, 0x00][..],
            &[0x06, 0x01, 0x81],
            &[0x06, 0x02, 0x80, 0x01],
        ] {
            assert!(RawOid::from_der(bad).is_err(), "{bad:02x?}");
        }
    }
}
