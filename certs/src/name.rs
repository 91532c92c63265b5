//! Distinguished names for our certificates (RFC 5280 §4.1.2.4), with CJK text as UTF8String
//! and the organisation's unified social credit code as `organizationIdentifier`
//! (2.5.4.97, ETSI EN 319 412-1 semantics: `NTRCN-<code>`).

use const_oid::{db::rfc4519, ObjectIdentifier};
use der::asn1::{PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Any, Decode, Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::{Error, Result};

/// `organizationIdentifier` (X.520).
pub const OID_ORGANIZATION_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.97");
/// Prefix of a Chinese legal-person identifier in `organizationIdentifier` (ETSI EN 319 412-1).
pub const USCC_PREFIX: &str = "NTRCN-";

/// The parts of a subject name eseal writes. Order on the wire: C, ST, L, O, OU, orgId, CN.
#[derive(Clone, Debug, Default)]
pub struct SubjectName {
    pub country: Option<String>,
    pub province: Option<String>,
    pub locality: Option<String>,
    pub organization: Option<String>,
    pub unit: Option<String>,
    pub uscc: Option<String>,
    pub common_name: String,
}

impl SubjectName {
    pub fn common(name: &str) -> Self {
        SubjectName {
            country: Some("CN".into()),
            common_name: name.into(),
            ..Default::default()
        }
    }

    pub fn to_name(&self) -> Result<Name> {
        let mut rdns = Vec::new();
        let mut push = |oid: ObjectIdentifier, value: Any| -> Result<()> {
            let atv = AttributeTypeAndValue { oid, value };
            let set = SetOfVec::try_from(vec![atv]).map_err(|e| Error::malformed("name", e))?;
            rdns.push(RelativeDistinguishedName::from(set));
            Ok(())
        };
        if let Some(c) = &self.country {
            let s = PrintableStringRef::new(c).map_err(|e| Error::malformed("country", e))?;
            push(
                rfc4519::C,
                Any::encode_from(&s).map_err(|e| Error::malformed("country", e))?,
            )?;
        }
        for (oid, value) in [
            (rfc4519::ST, &self.province),
            (rfc4519::L, &self.locality),
            (rfc4519::O, &self.organization),
            (rfc4519::OU, &self.unit),
        ] {
            if let Some(v) = value {
                push(oid, utf8(v)?)?;
            }
        }
        if let Some(code) = &self.uscc {
            push(
                OID_ORGANIZATION_IDENTIFIER,
                utf8(&format!("{USCC_PREFIX}{code}"))?,
            )?;
        }
        push(rfc4519::CN, utf8(&self.common_name)?)?;
        // Name wraps an RDNSequence with the same encoding; going through DER keeps us off
        // the crate's hazmat constructor.
        let der = RdnSequence::from(rdns)
            .to_der()
            .map_err(|e| Error::malformed("name", e))?;
        name_from_der(&der)
    }
}

fn utf8(s: &str) -> Result<Any> {
    if s.is_empty() || s.chars().count() > 128 {
        return Err(Error::InvalidInput {
            what: "name",
            value: s.into(),
            detail: "must have 1 to 128 characters".into(),
        });
    }
    let u = Utf8StringRef::new(s).map_err(|e| Error::malformed("name", e))?;
    Any::encode_from(&u).map_err(|e| Error::malformed("name", e))
}

/// The value of the first attribute of the given type, decoded from any string type.
pub fn attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.iter()
        .find(|atv| atv.oid == oid)
        .and_then(|atv| any_to_string(&atv.value))
}

fn any_to_string(value: &Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            String::from_utf8(value.value().to_vec()).ok()
        }
        Tag::BmpString => {
            let b = value.value();
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// The common name, for display.
pub fn common_name(name: &Name) -> Option<String> {
    attribute(name, rfc4519::CN)
}

/// The organisation, for display.
pub fn organization(name: &Name) -> Option<String> {
    attribute(name, rfc4519::O)
}

/// The unified social credit code from `organizationIdentifier`, without its prefix.
pub fn uscc(name: &Name) -> Option<String> {
    attribute(name, OID_ORGANIZATION_IDENTIFIER)
        .map(|v| v.strip_prefix(USCC_PREFIX).map(str::to_string).unwrap_or(v))
}

/// A readable one-line form (RFC 4514 order reversed as people read it: CN first).
pub fn display(name: &Name) -> String {
    let mut parts = Vec::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for rdn in rdns.into_iter().rev() {
        for atv in rdn.iter() {
            let key = match atv.oid {
                rfc4519::CN => "CN".to_string(),
                rfc4519::O => "O".to_string(),
                rfc4519::OU => "OU".to_string(),
                rfc4519::C => "C".to_string(),
                rfc4519::ST => "ST".to_string(),
                rfc4519::L => "L".to_string(),
                OID_ORGANIZATION_IDENTIFIER => "organizationIdentifier".to_string(),
                other => other.to_string(),
            };
            let value = any_to_string(&atv.value).unwrap_or_else(|| {
                "#".to_string() + &hex::encode(atv.value.to_der().unwrap_or_default())
            });
            parts.push(format!("{key}={value}"));
        }
    }
    parts.join(", ")
}

/// Names compare by their DER encoding (RFC 5280 §7.1 allows the simpler binary comparison
/// when the same CA writes both names, which is the case for every chain we build).
pub fn same_name(a: &Name, b: &Name) -> bool {
    match (a.to_der(), b.to_der()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Parse back a DER name (used by tests and storage).
pub fn name_from_der(der: &[u8]) -> Result<Name> {
    Name::from_der(der).map_err(|e| Error::malformed("name", e))
}
