//! The ASN.1 of RFC 3161 (§2.4.1, §2.4.2) with der's derive. Types only.

use const_oid::ObjectIdentifier;
use std::time::{Duration, SystemTime};

use der::asn1::{BitString, GeneralizedTime, OctetString, Uint};
use der::{
    Any, Decode, DecodeValue, EncodeValue, ErrorKind, FixedTag, Header, Length, Reader, Sequence,
    Tag, Writer,
};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extensions;

/// `id-ct-TSTInfo` (RFC 3161 §2.4.2): the eContentType of a timestamp token.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// The MIME types of RFC 3161 §3.4 (HTTP transport).
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";
pub const REPLY_CONTENT_TYPE: &str = "application/timestamp-reply";

/// ```text
/// MessageImprint ::= SEQUENCE {
///      hashAlgorithm                AlgorithmIdentifier,
///      hashedMessage                OCTET STRING  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct MessageImprint {
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub hashed_message: OctetString,
}

/// ```text
/// TimeStampReq ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    messageImprint               MessageImprint,
///    reqPolicy             TSAPolicyId              OPTIONAL,
///    nonce                 INTEGER                  OPTIONAL,
///    certReq               BOOLEAN                  DEFAULT FALSE,
///    extensions            [0] IMPLICIT Extensions  OPTIONAL  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    pub version: u8,
    pub message_imprint: MessageImprint,
    pub req_policy: Option<ObjectIdentifier>,
    pub nonce: Option<Uint>,
    #[asn1(default = "bool::default")]
    pub cert_req: bool,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub extensions: Option<Extensions>,
}

/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText     OPTIONAL,
///     failInfo      PKIFailureInfo  OPTIONAL  }
/// PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo {
    pub status: u32,
    pub status_string: Option<Vec<String>>,
    pub fail_info: Option<BitString>,
}

/// PKIStatus values (RFC 3161 §2.4.2).
pub const STATUS_GRANTED: u32 = 0;
pub const STATUS_GRANTED_WITH_MODS: u32 = 1;
pub const STATUS_REJECTION: u32 = 2;

/// ```text
/// TimeStampResp ::= SEQUENCE  {
///      status                  PKIStatusInfo,
///      timeStampToken          TimeStampToken     OPTIONAL  }
/// TimeStampToken ::= ContentInfo
/// ```
/// The token is kept as it came: its signed attributes must be checked over their own bytes.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampResp {
    pub status: PkiStatusInfo,
    pub time_stamp_token: Option<Any>,
}

/// ```text
/// Accuracy ::= SEQUENCE {
///      seconds        INTEGER              OPTIONAL,
///      millis     [0] INTEGER  (1..999)    OPTIONAL,
///      micros     [1] INTEGER  (1..999)    OPTIONAL  }
/// ```
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Sequence)]
pub struct Accuracy {
    pub seconds: Option<u32>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

/// ```text
/// TSTInfo ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    policy                       TSAPolicyId,
///    messageImprint               MessageImprint,
///    serialNumber                 INTEGER,
///    genTime                      GeneralizedTime,
///    accuracy                     Accuracy                 OPTIONAL,
///    ordering                     BOOLEAN             DEFAULT FALSE,
///    nonce                        INTEGER                  OPTIONAL,
///    tsa                          [0] GeneralName          OPTIONAL,
///    extensions                   [1] IMPLICIT Extensions  OPTIONAL  }
/// ```
/// Read as TSAs write it: genTime with fractions of a second (RFC 3161 §2.4.2 allows them;
/// der's GeneralizedTime refuses them) and serial number and nonce with a needless leading
/// zero. Our TSA writes whole seconds and minimal INTEGERs.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    pub version: u8,
    pub policy: ObjectIdentifier,
    pub message_imprint: MessageImprint,
    pub serial_number: LaxUint,
    pub gen_time: GenTime,
    pub accuracy: Option<Accuracy>,
    #[asn1(default = "bool::default")]
    pub ordering: bool,
    pub nonce: Option<LaxUint>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub extensions: Option<Extensions>,
}

/// RFC 3161 genTime: `GeneralizedTime` in UTC, `YYYYMMDDhhmmss[.f+]Z` (§2.4.2), fractions of
/// a second kept. Encoded as read (our TSA makes whole seconds).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct GenTime {
    /// The characters between the tag and the end, as read or as made.
    text: Vec<u8>,
    time: SystemTime,
}

impl GenTime {
    /// The time, with its fraction of a second.
    pub fn to_system_time(&self) -> SystemTime {
        self.time
    }

    /// The time since the Unix epoch (genTime cannot be before it: der's GeneralizedTime
    /// starts in 1970).
    pub fn to_unix_duration(&self) -> Duration {
        self.time
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
    }

    /// Parses `YYYYMMDDhhmmss[.f+]Z`; the whole seconds are checked by der's
    /// GeneralizedTime, the fraction must be digits (at most nine, nanoseconds).
    pub fn from_text(text: &[u8]) -> der::Result<GenTime> {
        let bad = || der::Error::from(Tag::GeneralizedTime.value_error());
        let (whole, rest) = text.split_at_checked(14).ok_or_else(bad)?;
        let nanos = match rest {
            b"Z" => 0,
            [b'.' | b',', fraction @ .., b'Z']
                if (1..=9).contains(&fraction.len()) && fraction.iter().all(u8::is_ascii_digit) =>
            {
                fraction
                    .iter()
                    .chain(std::iter::repeat(&b'0'))
                    .take(9)
                    .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
            }
            _ => return Err(bad()),
        };
        let mut der = vec![0x18, 15];
        der.extend_from_slice(whole);
        der.push(b'Z');
        let seconds = GeneralizedTime::from_der(&der)?.to_system_time();
        Ok(GenTime {
            text: text.to_vec(),
            time: seconds + Duration::from_nanos(u64::from(nanos)),
        })
    }
}

impl From<GeneralizedTime> for GenTime {
    fn from(t: GeneralizedTime) -> GenTime {
        let mut text = der::Encode::to_der(&t).unwrap_or_default();
        text.drain(..text.len().min(2));
        GenTime {
            text,
            time: t.to_system_time(),
        }
    }
}

impl FixedTag for GenTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for GenTime {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let text = reader.read_vec(header.length())?;
        GenTime::from_text(&text)
    }
}

impl EncodeValue for GenTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.text.len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(&self.text)
    }
}

/// A non-negative INTEGER read leniently: a leading zero that is not needed (X.690 §8.3.2
/// forbids it; some TSAs write it) is accepted and dropped. Negative values are refused.
/// Encoded in DER.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct LaxUint(Uint);

impl LaxUint {
    /// Big-endian magnitude without leading zeros (one zero for zero).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<Uint> for LaxUint {
    fn from(u: Uint) -> LaxUint {
        LaxUint(u)
    }
}

impl FixedTag for LaxUint {
    const TAG: Tag = Tag::Integer;
}

impl<'a> DecodeValue<'a> for LaxUint {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_vec(header.length())?;
        match bytes.first() {
            None => return Err(Tag::Integer.length_error().into()),
            Some(b) if *b >= 0x80 => return Err(Tag::Integer.value_error().into()),
            _ => {}
        }
        let zeros = bytes.iter().take_while(|b| **b == 0).count();
        let magnitude = bytes.get(zeros..).filter(|m| !m.is_empty()).unwrap_or(&[0]);
        Uint::new(magnitude)
            .map(LaxUint)
            .map_err(|_| der::Error::from(ErrorKind::Value { tag: Tag::Integer }))
    }
}

impl EncodeValue for LaxUint {
    fn value_len(&self) -> der::Result<Length> {
        self.0.value_len()
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode_value(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    fn gen_time(text: &str) -> der::Result<GenTime> {
        let mut der = vec![0x18, text.len() as u8];
        der.extend_from_slice(text.as_bytes());
        GenTime::from_der(&der)
    }

    #[test]
    fn gen_time_keeps_fractions_of_a_second() {
        let whole = gen_time("20261207101010Z").unwrap();
        let milli = gen_time("20261207101010.123Z").unwrap();
        assert_eq!(
            milli.to_system_time(),
            whole.to_system_time() + Duration::from_millis(123)
        );
        let comma = gen_time("20261207101010,5Z").unwrap();
        assert_eq!(
            comma.to_system_time(),
            whole.to_system_time() + Duration::from_millis(500)
        );
        // Encoded as read.
        let der = milli.to_der().unwrap();
        assert_eq!(&der[2..], b"20261207101010.123Z");
        for bad in [
            "20261207101010",
            "20261207101010.Z",
            "20261207101010.1234567890Z",
            "20261207101010.12aZ",
            "20261307101010Z",
            "2026120710101Z",
            "20261207101010.5+0100",
        ] {
            assert!(gen_time(bad).is_err(), "{bad}");
        }
        let made: GenTime = GeneralizedTime::from_system_time(whole.to_system_time())
            .unwrap()
            .into();
        assert_eq!(made, whole);
    }

    #[test]
    fn lax_uint_takes_a_needless_leading_zero() {
        let read = |b: &[u8]| LaxUint::from_der(b).map(|u| u.as_bytes().to_vec());
        assert_eq!(read(&[0x02, 0x02, 0x00, 0x05]).unwrap(), [5]);
        assert_eq!(read(&[0x02, 0x03, 0x00, 0x00, 0x85]).unwrap(), [0x85]);
        assert_eq!(read(&[0x02, 0x02, 0x00, 0x85]).unwrap(), [0x85]);
        assert_eq!(read(&[0x02, 0x01, 0x00]).unwrap(), [0]);
        assert!(read(&[0x02, 0x01, 0x85]).is_err());
        assert!(read(&[0x02, 0x00]).is_err());
        // Written in DER.
        let lax = LaxUint::from_der(&[0x02, 0x02, 0x00, 0x05]).unwrap();
        assert_eq!(lax.to_der().unwrap(), [0x02, 0x01, 0x05]);
    }

    #[test]
    fn tst_info_with_fraction_and_padded_serial_and_nonce_reads() {
        let tst = TstInfo {
            version: 1,
            policy: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.1"),
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned {
                    oid: ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1"),
                    parameters: None,
                },
                hashed_message: OctetString::new([7u8; 32]).unwrap(),
            },
            serial_number: Uint::new(&[0x05]).unwrap().into(),
            gen_time: gen_time("20261207101010Z").unwrap(),
            accuracy: None,
            ordering: false,
            nonce: Some(Uint::new(&[0x11, 0x22]).unwrap().into()),
            tsa: None,
            extensions: None,
        };
        let der = tst.to_der().unwrap();
        let patch = |der: &[u8], from: &[u8], to: &[u8]| {
            let at = der.windows(from.len()).position(|w| w == from).unwrap();
            let mut out = der[..at].to_vec();
            out.extend_from_slice(to);
            out.extend_from_slice(&der[at + from.len()..]);
            let grow = (to.len() - from.len()) as u8;
            out[1] += grow; // the outer SEQUENCE's short-form length
            out
        };
        let der = patch(&der, &[0x02, 0x01, 0x05], &[0x02, 0x02, 0x00, 0x05]);
        let der = patch(
            &der,
            &[0x02, 0x02, 0x11, 0x22],
            &[0x02, 0x03, 0x00, 0x11, 0x22],
        );
        let der = patch(
            &der,
            b"\x18\x0f20261207101010Z",
            b"\x18\x1320261207101010.250Z",
        );
        let read = TstInfo::from_der(&der).unwrap();
        assert_eq!(read.serial_number.as_bytes(), [0x05]);
        assert_eq!(read.nonce.unwrap().as_bytes(), [0x11, 0x22]);
        assert_eq!(
            read.gen_time.to_system_time(),
            tst.gen_time.to_system_time() + Duration::from_millis(250)
        );
    }
}
