//! Reading seals and seal signatures of both versions into one view each, keeping the exact
//! bytes every signature covers (GB/T 38540-2020 §7, §8; GM/T 0031-2014 §7, §8).
//!
//! Versions are told apart by structure, not by the version fields: a version 4 `SESeal` has
//! four fields, a version 1 one two; a version 4 `TBS_Sign` carries `timeInfo` as
//! GeneralizedTime, a version 1 one as BIT STRING. The optional `[0]` fields of a seal signature
//! are accepted EXPLICIT, IMPLICIT or untagged, and the zero padding a PDF `/Contents`
//! placeholder leaves after the DER is ignored.

use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use der::asn1::{BitString, GeneralizedTime, UtcTime};
use der::Decode;
use x509_cert::Certificate;

use super::seal::{CertList, ExtData, ExtensionDatas, SesSeal, SesSealV1};
use super::{Owner, SealType, SesError};
use crate::tlv::{self, Tlv};

/// The standard a structure follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SesVersion {
    /// GM/T 0031-2014, version 1.
    V1,
    /// GB/T 38540-2020, version 4.
    V4,
}

impl std::fmt::Display for SesVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SesVersion::V1 => "GM/T 0031-2014 version 1",
            SesVersion::V4 => "GB/T 38540-2020 version 4",
        })
    }
}

/// How an optional `[0]` field was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tagging {
    Explicit,
    Implicit,
    Untagged,
}

/// The seal picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    /// "PNG", "JPG", "SVG" or "OFD" as written.
    pub kind: String,
    pub data: Vec<u8>,
    pub width_mm: i64,
    pub height_mm: i64,
}

/// A seal of either version, read.
#[derive(Clone, Debug)]
pub struct Seal {
    pub version: SesVersion,
    /// `SES_Header.ID`, "ES".
    pub header_id: String,
    /// `SES_Header.version` as written.
    pub header_version: i64,
    /// `SES_Header.Vid`.
    pub vendor_id: String,
    pub es_id: String,
    /// `SES_ESPropertyInfo.type`; see [`Seal::seal_type`].
    pub type_code: i64,
    pub name: String,
    /// `certListType` (version 4 only).
    pub cert_list_type: Option<i64>,
    pub cert_list: CertList,
    pub created: SystemTime,
    pub valid_start: SystemTime,
    pub valid_end: SystemTime,
    pub picture: Picture,
    pub ext_datas: Vec<ExtData>,
    /// The seal maker's certificate as embedded.
    pub maker_cert_der: Vec<u8>,
    pub signature_algorithm: ObjectIdentifier,
    /// The maker's signature value (DER SEQUENCE { r, s } or raw r ‖ s).
    pub signature: Vec<u8>,
    signed_bytes: Vec<u8>,
    der: Vec<u8>,
}

impl Seal {
    /// Read a DER seal of either version.
    pub fn parse(data: &[u8]) -> Result<Seal, SesError> {
        let der = tlv::strip_padding(data, "SESeal")?;
        let top = tlv::single(der, tlv::SEQUENCE, "SESeal")?;
        let kids = tlv::children(top.value, "SESeal")?;
        let tags: Vec<u8> = kids.iter().map(|k| k.tag).collect();
        match tags.as_slice() {
            [tlv::SEQUENCE, tlv::OCTET_STRING, tlv::OID, tlv::BIT_STRING] => {
                Self::from_v4(der, kids[0].raw)
            }
            [tlv::SEQUENCE, tlv::SEQUENCE] => Self::from_v1(der, &kids[0], &kids[1]),
            _ => Err(SesError::malformed(
                "SESeal",
                "neither the GB/T 38540 (four fields) nor the GM/T 0031 (two fields) structure",
            )),
        }
    }

    fn from_v4(der: &[u8], seal_info: &[u8]) -> Result<Seal, SesError> {
        let s = SesSeal::from_der(der).map_err(SesError::decoding("SESeal (version 4)"))?;
        let info = s.seal_info;
        let p = info.property;
        Ok(Seal {
            version: SesVersion::V4,
            header_id: info.header.id.to_string(),
            header_version: info.header.version,
            vendor_id: info.header.vid.to_string(),
            es_id: info.es_id.to_string(),
            type_code: p.seal_type,
            name: p.name,
            cert_list_type: Some(p.cert_list_type),
            cert_list: p.cert_list,
            created: p.create_date.to_system_time(),
            valid_start: p.valid_start.to_system_time(),
            valid_end: p.valid_end.to_system_time(),
            picture: Picture {
                kind: info.picture.kind.to_string(),
                data: info.picture.data.as_bytes().to_vec(),
                width_mm: info.picture.width,
                height_mm: info.picture.height,
            },
            ext_datas: info.ext_datas.unwrap_or_default(),
            maker_cert_der: s.cert.as_bytes().to_vec(),
            signature_algorithm: s.sign_alg_id,
            signature: whole_bytes(&s.signed_value, "SESeal signedValue")?,
            signed_bytes: seal_info.to_vec(),
            der: der.to_vec(),
        })
    }

    fn from_v1(der: &[u8], seal_info: &Tlv<'_>, sign_info: &Tlv<'_>) -> Result<Seal, SesError> {
        let s = SesSealV1::from_der(der).map_err(SesError::decoding("SESeal (version 1)"))?;
        // The maker signs SEQUENCE { sealInfo, cert, signatureAlgorithm } as written.
        let parts = tlv::children(sign_info.value, "SES_SignInfo")?;
        let mut signed = seal_info.raw.to_vec();
        for part in parts.iter().take(2) {
            signed.extend_from_slice(part.raw);
        }
        let info = s.seal_info;
        let p = info.property;
        Ok(Seal {
            version: SesVersion::V1,
            header_id: info.header.id.to_string(),
            header_version: info.header.version,
            vendor_id: info.header.vid.to_string(),
            es_id: info.es_id.to_string(),
            type_code: p.seal_type,
            name: p.name,
            cert_list_type: None,
            cert_list: CertList::Certificates(p.cert_list),
            created: p.create_date.to_system_time(),
            valid_start: p.valid_start.to_system_time(),
            valid_end: p.valid_end.to_system_time(),
            picture: Picture {
                kind: info.picture.kind.to_string(),
                data: info.picture.data.as_bytes().to_vec(),
                width_mm: info.picture.width,
                height_mm: info.picture.height,
            },
            ext_datas: info.ext_datas.unwrap_or_default(),
            maker_cert_der: s.sign_info.cert.as_bytes().to_vec(),
            signature_algorithm: s.sign_info.signature_algorithm,
            signature: whole_bytes(&s.sign_info.sign_data, "SES_SignInfo signData")?,
            signed_bytes: tlv::wrap(tlv::SEQUENCE, &signed),
            der: der.to_vec(),
        })
    }

    /// The seal's DER, as read (without padding).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The bytes the maker signed: DER(SES_SealInfo) for version 4, DER of
    /// SEQUENCE { sealInfo, cert, signatureAlgorithm } for version 1.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed_bytes
    }

    /// The seal type, if its code is one of the known ones.
    pub fn seal_type(&self) -> Option<SealType> {
        SealType::from_code(self.type_code)
    }

    /// The owner bound by eseal's owner-code extension, if the seal carries it.
    pub fn owner(&self) -> Result<Option<Owner>, SesError> {
        Owner::find(&self.ext_datas)
    }

    pub fn maker_certificate(&self) -> Result<Certificate, SesError> {
        Certificate::from_der(&self.maker_cert_der).map_err(|e| SesError::Certificate {
            whose: "seal maker",
            detail: e.to_string(),
        })
    }
}

/// A seal signature of either version, read.
#[derive(Clone, Debug)]
pub struct SealSignature {
    pub version: SesVersion,
    /// `TBS_Sign.version` as written.
    pub tbs_version: i64,
    pub seal: Seal,
    /// `timeInfo` read as a time; `None` when it cannot be read.
    pub signing_time: Option<SystemTime>,
    /// `timeInfo` as written (the DER of the time, or the BIT STRING text of version 1).
    pub time_info: Vec<u8>,
    pub data_hash: Vec<u8>,
    pub property_info: String,
    pub ext_datas: Vec<ExtData>,
    /// How `extDatas` was tagged, when present.
    pub ext_datas_tagging: Option<Tagging>,
    pub signer_cert_der: Vec<u8>,
    pub signature_algorithm: ObjectIdentifier,
    /// The signature value (DER SEQUENCE { r, s } or raw r ‖ s).
    pub signature: Vec<u8>,
    /// The RFC 3161 token (version 4 `timeStamp`), when present.
    pub time_stamp: Option<Vec<u8>>,
    pub time_stamp_tagging: Option<Tagging>,
    tbs_der: Vec<u8>,
    der: Vec<u8>,
}

impl SealSignature {
    /// Read a DER seal signature of either version; zero padding after it is ignored.
    pub fn parse(data: &[u8]) -> Result<SealSignature, SesError> {
        let der = tlv::strip_padding(data, "SES_Signature")?;
        let top = tlv::single(der, tlv::SEQUENCE, "SES_Signature")?;
        let outer = tlv::children(top.value, "SES_Signature")?;
        let tbs = outer
            .first()
            .filter(|t| t.tag == tlv::SEQUENCE)
            .ok_or_else(|| SesError::malformed("SES_Signature", "toSign is not a SEQUENCE"))?;
        let fields = tlv::children(tbs.value, "TBS_Sign")?;
        // Version 1 has seven TBS_Sign fields and two outer ones, whatever its timeInfo is
        // written as (the standard's BIT STRING text; vendors also write a UTCTime or a
        // GeneralizedTime there).
        if fields.len() == 7 && outer.len() == 2 {
            return Self::from_v1(der, tbs, &fields, &outer);
        }
        let time_tag = fields.get(2).map(|t| t.tag);
        match time_tag {
            Some(tlv::GENERALIZED_TIME | tlv::UTC_TIME) => Self::from_v4(der, tbs, &fields, &outer),
            Some(tlv::BIT_STRING) => Self::from_v1(der, tbs, &fields, &outer),
            _ => Err(SesError::malformed(
                "TBS_Sign",
                "timeInfo is neither a GeneralizedTime (version 4) nor a BIT STRING (version 1)",
            )),
        }
    }

    fn from_v4(
        der: &[u8],
        tbs: &Tlv<'_>,
        fields: &[Tlv<'_>],
        outer: &[Tlv<'_>],
    ) -> Result<SealSignature, SesError> {
        if !(5..=6).contains(&fields.len()) {
            return Err(SesError::malformed(
                "TBS_Sign",
                "expected five or six fields",
            ));
        }
        if !(4..=5).contains(&outer.len()) {
            return Err(SesError::malformed(
                "SES_Signature",
                "expected four or five fields",
            ));
        }
        let (ext_datas, ext_datas_tagging) = match fields.get(5) {
            Some(f) => {
                let (e, t) = ext_datas_field(f)?;
                (e, Some(t))
            }
            None => (Vec::new(), None),
        };
        let (time_stamp, time_stamp_tagging) = match outer.get(4) {
            Some(f) => {
                let (ts, t) = time_stamp_field(f)?;
                (Some(ts), Some(t))
            }
            None => (None, None),
        };
        Ok(SealSignature {
            version: SesVersion::V4,
            tbs_version: integer(&fields[0], "TBS_Sign version")?,
            seal: Seal::parse(fields[1].raw)?,
            signing_time: der_time(&fields[2]),
            time_info: fields[2].raw.to_vec(),
            data_hash: bit_string(&fields[3], "TBS_Sign dataHash")?,
            property_info: text(&fields[4], "TBS_Sign propertyInfo")?,
            ext_datas,
            ext_datas_tagging,
            signer_cert_der: octet_string(&outer[1], "SES_Signature cert")?,
            signature_algorithm: oid(&outer[2], "SES_Signature signatureAlgID")?,
            signature: bit_string(&outer[3], "SES_Signature signature")?,
            time_stamp,
            time_stamp_tagging,
            tbs_der: tbs.raw.to_vec(),
            der: der.to_vec(),
        })
    }

    fn from_v1(
        der: &[u8],
        tbs: &Tlv<'_>,
        fields: &[Tlv<'_>],
        outer: &[Tlv<'_>],
    ) -> Result<SealSignature, SesError> {
        if fields.len() != 7 {
            return Err(SesError::malformed(
                "TBS_Sign (version 1)",
                "expected seven fields",
            ));
        }
        if outer.len() != 2 {
            return Err(SesError::malformed(
                "SES_Signature (version 1)",
                "expected two fields",
            ));
        }
        let (time_info, signing_time) = v1_time(&fields[2])?;
        Ok(SealSignature {
            version: SesVersion::V1,
            tbs_version: integer(&fields[0], "TBS_Sign version")?,
            seal: Seal::parse(fields[1].raw)?,
            signing_time,
            time_info,
            data_hash: bit_string(&fields[3], "TBS_Sign dataHash")?,
            property_info: text(&fields[4], "TBS_Sign propertyInfo")?,
            ext_datas: Vec::new(),
            ext_datas_tagging: None,
            signer_cert_der: octet_string(&fields[5], "TBS_Sign cert")?,
            signature_algorithm: oid(&fields[6], "TBS_Sign signatureAlgorithm")?,
            signature: bit_string(&outer[1], "SES_Signature signature")?,
            time_stamp: None,
            time_stamp_tagging: None,
            tbs_der: tbs.raw.to_vec(),
            der: der.to_vec(),
        })
    }

    /// The signature's DER, as read (without padding).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The bytes the signer signed: DER(TBS_Sign) as written.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.tbs_der
    }

    pub fn signer_certificate(&self) -> Result<Certificate, SesError> {
        Certificate::from_der(&self.signer_cert_der).map_err(|e| SesError::Certificate {
            whose: "signer",
            detail: e.to_string(),
        })
    }
}

/// Whether `der` looks like a GB/T 38540 / GM/T 0031 seal signature rather than a CMS
/// ContentInfo: SEQUENCE { SEQUENCE { INTEGER, SEQUENCE, ... }, ... }, where ContentInfo starts
/// with an OBJECT IDENTIFIER. Zero padding after the DER is allowed.
pub fn looks_like_ses_signature(der: &[u8]) -> bool {
    let sniff = || -> Result<bool, SesError> {
        let der = tlv::strip_padding(der, "signature")?;
        let top = tlv::single(der, tlv::SEQUENCE, "signature")?;
        let (first, _) = tlv::read_tlv(top.value, "signature")?;
        if first.tag != tlv::SEQUENCE {
            return Ok(false);
        }
        let (version, rest) = tlv::read_tlv(first.value, "signature")?;
        let (eseal, _) = tlv::read_tlv(rest, "signature")?;
        Ok(version.tag == tlv::INTEGER && eseal.tag == tlv::SEQUENCE)
    };
    sniff().unwrap_or(false)
}

/// Read and check arbitrary bytes as a seal and as a seal signature, for fuzzing: must never
/// panic.
pub fn parse_for_fuzz(data: &[u8]) {
    if let Ok(seal) = Seal::parse(data) {
        let _ = super::check_seal(&seal, SystemTime::UNIX_EPOCH);
    }
    let _ = looks_like_ses_signature(data);
    if let Ok(sig) = SealSignature::parse(data) {
        let _ = super::verify_parsed(&sig, Some(&[0u8; 32]));
    }
}

fn integer(t: &Tlv<'_>, what: &'static str) -> Result<i64, SesError> {
    i64::from_der(t.raw).map_err(SesError::decoding(what))
}

fn bit_string(t: &Tlv<'_>, what: &'static str) -> Result<Vec<u8>, SesError> {
    let b = BitString::from_der(t.raw).map_err(SesError::decoding(what))?;
    b.as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| SesError::malformed(what, "a BIT STRING of whole bytes was expected"))
}

fn whole_bytes(b: &BitString, what: &'static str) -> Result<Vec<u8>, SesError> {
    b.as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| SesError::malformed(what, "a BIT STRING of whole bytes was expected"))
}

fn octet_string(t: &Tlv<'_>, what: &'static str) -> Result<Vec<u8>, SesError> {
    if t.tag != tlv::OCTET_STRING {
        return Err(SesError::malformed(what, "not an OCTET STRING"));
    }
    Ok(t.value.to_vec())
}

fn oid(t: &Tlv<'_>, what: &'static str) -> Result<ObjectIdentifier, SesError> {
    ObjectIdentifier::from_der(t.raw).map_err(SesError::decoding(what))
}

/// IA5String as the standard says; UTF8String and PrintableString are accepted as well.
fn text(t: &Tlv<'_>, what: &'static str) -> Result<String, SesError> {
    if !matches!(
        t.tag,
        tlv::IA5_STRING | tlv::UTF8_STRING | tlv::PRINTABLE_STRING
    ) {
        return Err(SesError::malformed(what, "not a string"));
    }
    String::from_utf8(t.value.to_vec()).map_err(|_| SesError::malformed(what, "not text"))
}

/// A DER GeneralizedTime or UTCTime; other spellings (fractions, no zone) through the text
/// reader.
fn der_time(t: &Tlv<'_>) -> Option<SystemTime> {
    match t.tag {
        tlv::GENERALIZED_TIME => GeneralizedTime::from_der(t.raw)
            .map(|g| g.to_system_time())
            .ok(),
        tlv::UTC_TIME => UtcTime::from_der(t.raw).map(|u| u.to_system_time()).ok(),
        _ => None,
    }
    .or_else(|| std::str::from_utf8(t.value).ok().and_then(parse_time_text))
}

/// Version 1 `timeInfo` as vendors write it: the standard's BIT STRING holding the time as
/// text (`YYYYMMDDHHMMSS[Z]`, `YYMMDDHHMMSSZ` as in a UTCTime, ...) or holding the DER of a
/// time; a UTCTime or GeneralizedTime element; or a string. Returns the text as written
/// (for messages) and the time, if it can be read.
fn v1_time(t: &Tlv<'_>) -> Result<(Vec<u8>, Option<SystemTime>), SesError> {
    const WHAT: &str = "TBS_Sign timeInfo";
    let text = match t.tag {
        tlv::BIT_STRING => bit_string(t, WHAT)?,
        tlv::UTC_TIME | tlv::GENERALIZED_TIME => return Ok((t.value.to_vec(), der_time(t))),
        tlv::OCTET_STRING | tlv::IA5_STRING | tlv::PRINTABLE_STRING | tlv::UTF8_STRING => {
            t.value.to_vec()
        }
        _ => {
            return Err(SesError::malformed(
                WHAT,
                "not a time, a string or a BIT STRING",
            ))
        }
    };
    let as_text = std::str::from_utf8(&text).ok().and_then(parse_time_text);
    let time = as_text.or_else(|| {
        let inner = tlv::single(&text, tlv::UTC_TIME, WHAT)
            .or_else(|_| tlv::single(&text, tlv::GENERALIZED_TIME, WHAT))
            .ok()?;
        der_time(&inner)
    });
    Ok((text, time))
}

/// A signing time written as text: `YYYYMMDDHHMMSS[.fff][Z]`, `YYMMDDHHMMSS[Z]` or
/// `YYYY-MM-DD HH:MM:SS`. Without a zone the time is taken as UTC.
pub(crate) fn parse_time_text(s: &str) -> Option<SystemTime> {
    let digits: String = s
        .trim()
        .trim_end_matches(['Z', 'z'])
        .split('.')
        .next()?
        .chars()
        .filter(|c| !matches!(c, '-' | ':' | ' ' | 'T'))
        .collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits.get(r).and_then(|d| d.parse::<u16>().ok());
    let (year, off) = match digits.len() {
        14 => (n(0..4)?, 4),
        12 => {
            let yy = n(0..2)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        _ => return None,
    };
    let field = |i: usize| n(off + 2 * i..off + 2 * i + 2).and_then(|v| u8::try_from(v).ok());
    der::DateTime::new(year, field(0)?, field(1)?, field(2)?, field(3)?, field(4)?)
        .ok()
        .map(|d| d.to_system_time())
}

/// `extDatas [0] ExtensionDatas OPTIONAL`: explicit `[0] { SEQUENCE OF ExtData }`, implicit
/// `[0] { ExtData... }`, or an untagged SEQUENCE OF ExtData.
fn ext_datas_field(f: &Tlv<'_>) -> Result<(ExtensionDatas, Tagging), SesError> {
    const WHAT: &str = "TBS_Sign extDatas";
    match f.tag {
        tlv::CONTEXT_0 => {
            let inner = tlv::children(f.value, WHAT)?;
            let explicit = match inner.as_slice() {
                [only] if only.tag == tlv::SEQUENCE => tlv::children(only.value, WHAT)?
                    .first()
                    .is_none_or(|g| g.tag == tlv::SEQUENCE),
                _ => false,
            };
            if explicit {
                let datas =
                    ExtensionDatas::from_der(inner[0].raw).map_err(SesError::decoding(WHAT))?;
                Ok((datas, Tagging::Explicit))
            } else {
                let datas = inner
                    .iter()
                    .map(|e| ExtData::from_der(e.raw).map_err(SesError::decoding(WHAT)))
                    .collect::<Result<_, _>>()?;
                Ok((datas, Tagging::Implicit))
            }
        }
        tlv::SEQUENCE => Ok((
            ExtensionDatas::from_der(f.raw).map_err(SesError::decoding(WHAT))?,
            Tagging::Untagged,
        )),
        _ => Err(SesError::malformed(WHAT, "unexpected tag")),
    }
}

/// `timeStamp [0] BIT STRING OPTIONAL`: explicit `[0] { BIT STRING }` (or, as some write it,
/// `[0] { token }`), implicit primitive `[0]`, or an untagged BIT STRING.
fn time_stamp_field(f: &Tlv<'_>) -> Result<(Vec<u8>, Tagging), SesError> {
    const WHAT: &str = "SES_Signature timeStamp";
    match f.tag {
        tlv::CONTEXT_0 => {
            let inner = tlv::single(f.value, tlv::BIT_STRING, WHAT)
                .map_err(SesError::from)
                .and_then(|b| bit_string(&b, WHAT))
                .or_else(|_| tlv::single(f.value, tlv::SEQUENCE, WHAT).map(|t| t.raw.to_vec()))?;
            Ok((inner, Tagging::Explicit))
        }
        tlv::CONTEXT_0_PRIMITIVE => {
            let mut as_bit_string = vec![tlv::BIT_STRING];
            as_bit_string.extend_from_slice(&f.raw[1..]);
            let value = tlv::single(&as_bit_string, tlv::BIT_STRING, WHAT)
                .map_err(SesError::from)
                .and_then(|b| bit_string(&b, WHAT))?;
            Ok((value, Tagging::Implicit))
        }
        tlv::BIT_STRING => Ok((bit_string(f, WHAT)?, Tagging::Untagged)),
        _ => Err(SesError::malformed(WHAT, "unexpected tag")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_time_texts() {
        let t =
            |s| parse_time_text(s).map(|t| der::DateTime::from_system_time(t).unwrap().to_string());
        assert_eq!(
            t("20240131120000Z").as_deref(),
            Some("2024-01-31T12:00:00Z")
        );
        assert_eq!(t("240131120000Z").as_deref(), Some("2024-01-31T12:00:00Z"));
        assert_eq!(
            t("2024-01-31 12:00:00").as_deref(),
            Some("2024-01-31T12:00:00Z")
        );
        assert_eq!(
            t("20240131120000.250Z").as_deref(),
            Some("2024-01-31T12:00:00Z")
        );
        assert_eq!(t("2024013112000"), None);
        assert_eq!(t("20241331120000Z"), None);
    }
}
