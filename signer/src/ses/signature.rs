//! The seal signature (电子签章数据) of GB/T 38540-2020 §8 (version 4) and of GM/T 0031-2014 §8
//! (version 1), as ASN.1 types that mirror the standards one to one. No logic lives here:
//! making is in `make_signature`, reading in `read`, checking in `check`.
//!
//! The types encode the `[0]` fields EXPLICIT, which is how eseal writes them; reading (in
//! `read`) also accepts them IMPLICIT or untagged, as other producers write them.

use const_oid::ObjectIdentifier;
use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString};
use der::Sequence;

use super::seal::{ExtensionDatas, SesSeal, SesSealV1};

/// What the signer signs (version 4).
///
/// ```text
/// TBS_Sign ::= SEQUENCE {
///     version       INTEGER,           -- 4
///     eseal         SESeal,
///     timeInfo      GeneralizedTime,   -- the signing time
///     dataHash      BIT STRING,        -- SM3 of the protected bytes (PDF: the ByteRange)
///     propertyInfo  IA5String,         -- the protected scope
///     extDatas      [0] ExtensionDatas OPTIONAL
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TbsSign {
    pub version: i64,
    pub eseal: SesSeal,
    pub time_info: GeneralizedTime,
    pub data_hash: BitString,
    pub property_info: Ia5String,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub ext_datas: Option<ExtensionDatas>,
}

/// The version 4 seal signature.
///
/// ```text
/// SES_Signature ::= SEQUENCE {
///     toSign          TBS_Sign,
///     cert            OCTET STRING,        -- the signer certificate (DER)
///     signatureAlgID  OBJECT IDENTIFIER,   -- 1.2.156.10197.1.501
///     signature       BIT STRING,          -- over DER(toSign)
///     timeStamp       [0] BIT STRING OPTIONAL  -- RFC 3161 token over the signature value
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSignature {
    pub to_sign: TbsSign,
    pub cert: OctetString,
    pub signature_alg_id: ObjectIdentifier,
    pub signature: BitString,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub time_stamp: Option<BitString>,
}

/// What the signer signs (GM/T 0031-2014).
///
/// ```text
/// TBS_Sign ::= SEQUENCE {
///     version             INTEGER,       -- 1
///     eseal               SESeal,        -- the version 1 seal
///     timeInfo            BIT STRING,    -- the signing time as text
///     dataHash            BIT STRING,
///     propertyInfo        IA5String,
///     cert                OCTET STRING,  -- the signer certificate
///     signatureAlgorithm  OBJECT IDENTIFIER
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TbsSignV1 {
    pub version: i64,
    pub eseal: SesSealV1,
    pub time_info: BitString,
    pub data_hash: BitString,
    pub property_info: Ia5String,
    pub cert: OctetString,
    pub signature_algorithm: ObjectIdentifier,
}

/// The GM/T 0031-2014 seal signature.
///
/// ```text
/// SES_Signature ::= SEQUENCE {
///     toSign     TBS_Sign,
///     signature  BIT STRING
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSignatureV1 {
    pub to_sign: TbsSignV1,
    pub signature: BitString,
}
