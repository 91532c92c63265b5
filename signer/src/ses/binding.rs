//! Binding a seal to its owner (issue 5, point 4): the seal type codes, and the owner code an
//! enterprise seal (unified social credit code, GB 32100-2015) or a personal seal (resident
//! identity number, GB 11643-1999) carries in a seal extension.
//!
//! GB/T 38540 defines no extension for the owner, so eseal uses its own, under a private arc:
//!
//! | OID | meaning |
//! |---|---|
//! | `1.3.6.1.4.1.32473` | IANA Private Enterprise Number reserved for documentation (RFC 5612) |
//! | `1.3.6.1.4.1.32473.38540` | eseal's GB/T 38540 seal extensions |
//! | `1.3.6.1.4.1.32473.38540.1` | [`OID_SES_OWNER_CODE`]: `SesOwnerCode` (see `seal.rs`) |
//!
//! The arc is a placeholder until the operator registers its own Private Enterprise Number
//! (free from IANA); only this constant changes then. The extension is non-critical, so other
//! readers ignore it.

use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, PrintableString};
use der::{Decode, Encode};

use super::seal::{ExtData, SesOwnerCode};
use super::SesError;

/// eseal's owner-code seal extension: `1.3.6.1.4.1.32473.38540.1`.
pub const OID_SES_OWNER_CODE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.38540.1");

/// Holder-type code of a unified social credit code (national licence metadata).
pub const CODE_TYPE_USCC: &str = "001";
/// Holder-type code of a resident identity number (national licence metadata).
pub const CODE_TYPE_RESIDENT_ID: &str = "111";

/// The seal types and their codes (`SES_ESPropertyInfo.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SealType {
    /// 01 法定名称章
    LegalName,
    /// 02 财务专用章
    Finance,
    /// 03 发票专用章
    Invoice,
    /// 04 合同专用章
    Contract,
    /// 05 法定代表人名章
    LegalRepresentative,
    /// 99 其他
    Other,
}

impl SealType {
    pub const ALL: [SealType; 6] = [
        SealType::LegalName,
        SealType::Finance,
        SealType::Invoice,
        SealType::Contract,
        SealType::LegalRepresentative,
        SealType::Other,
    ];

    pub fn code(self) -> i64 {
        match self {
            SealType::LegalName => 1,
            SealType::Finance => 2,
            SealType::Invoice => 3,
            SealType::Contract => 4,
            SealType::LegalRepresentative => 5,
            SealType::Other => 99,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SealType::LegalName => "法定名称章",
            SealType::Finance => "财务专用章",
            SealType::Invoice => "发票专用章",
            SealType::Contract => "合同专用章",
            SealType::LegalRepresentative => "法定代表人名章",
            SealType::Other => "其他",
        }
    }

    pub fn from_code(code: i64) -> Option<SealType> {
        SealType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// A personal seal (法定代表人名章) carries a resident identity number, the others a USCC.
    pub fn is_personal(self) -> bool {
        self == SealType::LegalRepresentative
    }
}

impl std::fmt::Display for SealType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02} {}", self.code(), self.name())
    }
}

impl std::str::FromStr for SealType {
    type Err = SesError;

    /// A code as written on the command line: `01`, `1`, `99`.
    fn from_str(s: &str) -> Result<Self, SesError> {
        s.trim()
            .parse::<i64>()
            .ok()
            .and_then(SealType::from_code)
            .ok_or_else(|| {
                SesError::InvalidRequest(format!(
                    "seal type \"{s}\" is not one of 01, 02, 03, 04, 05, 99"
                ))
            })
    }
}

/// An owner code, validated with its check character.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OwnerCode {
    /// Unified social credit code of an organisation (GB 32100-2015).
    Uscc(String),
    /// Resident identity number of a person (GB 11643-1999).
    ResidentId(String),
}

impl OwnerCode {
    /// An organisation's unified social credit code; the check character must be right.
    pub fn enterprise(code: &str) -> Result<OwnerCode, SesError> {
        eseal_certs::national_codes::validate_uscc(code)
            .map(OwnerCode::Uscc)
            .map_err(|e| invalid(code, e))
    }

    /// A person's resident identity number; the check character must be right.
    pub fn person(id: &str) -> Result<OwnerCode, SesError> {
        eseal_certs::national_codes::validate_resident_id(id)
            .map(OwnerCode::ResidentId)
            .map_err(|e| invalid(id, e))
    }

    /// The code a seal of this type carries: a resident ID for a personal seal, else a USCC.
    pub fn for_seal_type(seal_type: SealType, code: &str) -> Result<OwnerCode, SesError> {
        if seal_type.is_personal() {
            OwnerCode::person(code)
        } else {
            OwnerCode::enterprise(code)
        }
    }

    pub fn code(&self) -> &str {
        match self {
            OwnerCode::Uscc(c) | OwnerCode::ResidentId(c) => c,
        }
    }

    /// The holder-type code written in the extension: `001` or `111`.
    pub fn code_type(&self) -> &'static str {
        match self {
            OwnerCode::Uscc(_) => CODE_TYPE_USCC,
            OwnerCode::ResidentId(_) => CODE_TYPE_RESIDENT_ID,
        }
    }

    /// What the code is, for a report.
    pub fn kind(&self) -> &'static str {
        match self {
            OwnerCode::Uscc(_) => "unified social credit code",
            OwnerCode::ResidentId(_) => "resident identity number",
        }
    }
}

impl std::fmt::Display for OwnerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code(), self.kind())
    }
}

fn invalid(code: &str, e: eseal_certs::Error) -> SesError {
    SesError::InvalidOwnerCode {
        code: code.to_string(),
        detail: e.to_string(),
    }
}

/// The owner a seal is bound to: code and, optionally, name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub code: OwnerCode,
    pub name: Option<String>,
}

impl Owner {
    /// The seal extension carrying this owner (non-critical).
    pub fn to_extension(&self) -> Result<ExtData, SesError> {
        let value = SesOwnerCode {
            code_type: PrintableString::new(self.code.code_type()).map_err(SesError::encoding)?,
            code: PrintableString::new(self.code.code()).map_err(SesError::encoding)?,
            name: self.name.clone(),
        };
        Ok(ExtData {
            extn_id: OID_SES_OWNER_CODE.into(),
            critical: false,
            extn_value: OctetString::new(value.to_der().map_err(SesError::encoding)?)
                .map_err(SesError::encoding)?,
        })
    }

    /// Read the owner back from its extension; the code is validated again.
    pub fn from_extension(ext: &ExtData) -> Result<Owner, SesError> {
        let value = SesOwnerCode::from_der(ext.extn_value.as_bytes())
            .map_err(SesError::decoding("owner-code extension"))?;
        let code = value.code.as_str();
        let code = match value.code_type.as_str() {
            CODE_TYPE_USCC => OwnerCode::enterprise(code)?,
            CODE_TYPE_RESIDENT_ID => OwnerCode::person(code)?,
            other => {
                return Err(SesError::InvalidOwnerCode {
                    code: code.to_string(),
                    detail: format!("unknown code type \"{other}\" (expected 001 or 111)"),
                })
            }
        };
        Ok(Owner {
            code,
            name: value.name,
        })
    }

    /// The owner in a list of seal extensions, if any.
    pub fn find(ext_datas: &[ExtData]) -> Result<Option<Owner>, SesError> {
        ext_datas
            .iter()
            .find(|e| e.extn_id == OID_SES_OWNER_CODE)
            .map(Owner::from_extension)
            .transpose()
    }
}
