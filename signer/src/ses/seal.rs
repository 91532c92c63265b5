//! The electronic seal (印章数据) of GB/T 38540-2020 §7 (version 4) and of GM/T 0031-2014 §7
//! (version 1), as ASN.1 types that mirror the standards one to one. No logic lives here:
//! making is in `make_seal`, reading in `read`, checking in `check`.
//!
//! The two versions differ in structure: version 4 signs `SES_SealInfo` alone and keeps the maker
//! certificate, algorithm and signature as three fields of `SESeal`; version 1 groups them in
//! `SES_SignInfo`, signs `SEQUENCE { sealInfo, cert, signatureAlgorithm }`, has no
//! `certListType` and writes dates as UTCTime.

use const_oid::ObjectIdentifier;
use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString, PrintableString, UtcTime};
use der::{DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag, Writer};

/// ```text
/// SES_Header ::= SEQUENCE {
///     ID       IA5String,  -- "ES"
///     version  INTEGER,    -- 4 (GB/T 38540), 1 (GM/T 0031)
///     Vid      IA5String   -- the vendor of the seal system
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesHeader {
    pub id: Ia5String,
    pub version: i64,
    pub vid: Ia5String,
}

/// One entry of a certificate list by digest.
///
/// ```text
/// CertDigestObj ::= SEQUENCE {
///     type   PrintableString,  -- the digest algorithm, e.g. "SM3"
///     value  OCTET STRING      -- the digest of the certificate's DER
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertDigestObj {
    pub kind: PrintableString,
    pub value: OctetString,
}

/// The `certList` of a version 4 seal, whose form `certListType` announces.
///
/// ```text
/// certList CHOICE-by-certListType {
///     certs        SEQUENCE OF OCTET STRING,  -- certListType 1: certificates (DER)
///     certDigests  SEQUENCE OF CertDigestObj  -- certListType 2: certificate digests
/// }
/// ```
///
/// Both are a SEQUENCE on the wire; reading tells them apart by the first element
/// (an empty list reads as `Certificates`).
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum CertList {
    Certificates(Vec<OctetString>),
    Digests(Vec<CertDigestObj>),
}

impl CertList {
    /// The `certListType` value of this form.
    pub fn list_type(&self) -> i64 {
        match self {
            CertList::Certificates(_) => 1,
            CertList::Digests(_) => 2,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            CertList::Certificates(c) => c.len(),
            CertList::Digests(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl FixedTag for CertList {
    const TAG: Tag = Tag::Sequence;
}

impl<'a> DecodeValue<'a> for CertList {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        if reader.is_finished() {
            return Ok(CertList::Certificates(Vec::new()));
        }
        if Tag::peek(reader)? == Tag::OctetString {
            Vec::<OctetString>::decode_value(reader, header).map(CertList::Certificates)
        } else {
            Vec::<CertDigestObj>::decode_value(reader, header).map(CertList::Digests)
        }
    }
}

impl EncodeValue for CertList {
    fn value_len(&self) -> der::Result<Length> {
        match self {
            CertList::Certificates(c) => c.value_len(),
            CertList::Digests(d) => d.value_len(),
        }
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        match self {
            CertList::Certificates(c) => c.encode_value(writer),
            CertList::Digests(d) => d.encode_value(writer),
        }
    }
}

/// ```text
/// SES_ESPropertyInfo ::= SEQUENCE {
///     type          INTEGER,          -- seal type code (01 法定名称章 ... 99 其他)
///     name          UTF8String,
///     certListType  INTEGER,          -- 1 certificates, 2 certificate digests
///     certList      SES_CertList,
///     createDate    GeneralizedTime,
///     validStart    GeneralizedTime,
///     validEnd      GeneralizedTime
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesEsPropertyInfo {
    pub seal_type: i64,
    pub name: String,
    pub cert_list_type: i64,
    pub cert_list: CertList,
    pub create_date: GeneralizedTime,
    pub valid_start: GeneralizedTime,
    pub valid_end: GeneralizedTime,
}

/// The seal picture (the standard's spelling "Pictrue" kept in the ASN.1 name).
///
/// ```text
/// SES_ESPictrueInfo ::= SEQUENCE {
///     type    IA5String,     -- "PNG", "JPG", "SVG", "OFD"
///     data    OCTET STRING,
///     width   INTEGER,       -- millimetres
///     height  INTEGER        -- millimetres
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesEsPictrueInfo {
    pub kind: Ia5String,
    pub data: OctetString,
    pub width: i64,
    pub height: i64,
}

/// ```text
/// ExtData ::= SEQUENCE {
///     extnID     OBJECT IDENTIFIER,
///     critical   BOOLEAN DEFAULT FALSE,
///     extnValue  OCTET STRING
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct ExtData {
    /// Carried, not interpreted: read as bytes so that arcs beyond 32 bits parse.
    pub extn_id: super::RawOid,
    #[asn1(default = "Default::default")]
    pub critical: bool,
    pub extn_value: OctetString,
}

/// ```text
/// ExtensionDatas ::= SEQUENCE OF ExtData
/// ```
pub type ExtensionDatas = Vec<ExtData>;

/// ```text
/// SES_SealInfo ::= SEQUENCE {
///     header    SES_Header,
///     esID      IA5String,
///     property  SES_ESPropertyInfo,
///     picture   SES_ESPictrueInfo,
///     extDatas  ExtensionDatas OPTIONAL
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSealInfo {
    pub header: SesHeader,
    pub es_id: Ia5String,
    pub property: SesEsPropertyInfo,
    pub picture: SesEsPictrueInfo,
    #[asn1(optional = "true")]
    pub ext_datas: Option<ExtensionDatas>,
}

/// The version 4 seal: the maker signs DER(`sealInfo`).
///
/// ```text
/// SESeal ::= SEQUENCE {
///     sealInfo     SES_SealInfo,
///     cert         OCTET STRING,       -- the seal maker's certificate (DER)
///     signAlgID    OBJECT IDENTIFIER,  -- 1.2.156.10197.1.501 SM2 with SM3
///     signedValue  BIT STRING          -- the maker's signature
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSeal {
    pub seal_info: SesSealInfo,
    pub cert: OctetString,
    pub sign_alg_id: ObjectIdentifier,
    pub signed_value: BitString,
}

/// GM/T 0031-2014 property information: no `certListType`, UTCTime dates.
///
/// ```text
/// SES_ESPropertyInfo ::= SEQUENCE {
///     type        INTEGER,
///     name        UTF8String,
///     certList    SEQUENCE OF OCTET STRING,
///     createDate  UTCTime,
///     validStart  UTCTime,
///     validEnd    UTCTime
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesEsPropertyInfoV1 {
    pub seal_type: i64,
    pub name: String,
    pub cert_list: Vec<OctetString>,
    pub create_date: UtcTime,
    pub valid_start: UtcTime,
    pub valid_end: UtcTime,
}

/// GM/T 0031-2014 seal information (same layout as version 4 with the version 1 property).
///
/// ```text
/// SES_SealInfo ::= SEQUENCE {
///     header    SES_Header,            -- version 1
///     esID      IA5String,
///     property  SES_ESPropertyInfo,
///     picture   SES_ESPictrueInfo,
///     extDatas  ExtensionDatas OPTIONAL
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSealInfoV1 {
    pub header: SesHeader,
    pub es_id: Ia5String,
    pub property: SesEsPropertyInfoV1,
    pub picture: SesEsPictrueInfo,
    #[asn1(optional = "true")]
    pub ext_datas: Option<ExtensionDatas>,
}

/// GM/T 0031-2014 maker signature information.
///
/// ```text
/// SES_SignInfo ::= SEQUENCE {
///     cert                OCTET STRING,       -- the seal maker's certificate
///     signatureAlgorithm  OBJECT IDENTIFIER,
///     signData            BIT STRING          -- over DER(SES_SealSignedPartV1)
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSignInfoV1 {
    pub cert: OctetString,
    pub signature_algorithm: ObjectIdentifier,
    pub sign_data: BitString,
}

/// What the GM/T 0031-2014 maker signs.
///
/// ```text
/// SES_SealSignedPart ::= SEQUENCE {
///     sealInfo            SES_SealInfo,
///     cert                OCTET STRING,
///     signatureAlgorithm  OBJECT IDENTIFIER
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSealSignedPartV1 {
    pub seal_info: SesSealInfoV1,
    pub cert: OctetString,
    pub signature_algorithm: ObjectIdentifier,
}

/// The GM/T 0031-2014 seal.
///
/// ```text
/// SESeal ::= SEQUENCE {
///     esealInfo  SES_SealInfo,
///     signInfo   SES_SignInfo
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSealV1 {
    pub seal_info: SesSealInfoV1,
    pub sign_info: SesSignInfoV1,
}

/// The value of eseal's owner-binding seal extension ([`super::OID_SES_OWNER_CODE`]).
///
/// ```text
/// SesOwnerCode ::= SEQUENCE {
///     codeType  PrintableString,       -- "001" unified social credit code (GB 32100),
///                                      -- "111" resident identity number (GB 11643)
///     code      PrintableString,
///     name      UTF8String OPTIONAL    -- the owner (organisation or person)
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesOwnerCode {
    pub code_type: PrintableString,
    pub code: PrintableString,
    #[asn1(optional = "true")]
    pub name: Option<String>,
}
