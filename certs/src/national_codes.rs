//! China's national identifier codes, checked by their check characters: the unified social
//! credit code of an organisation (GB 32100-2015) and the resident identity number (GB
//! 11643-1999), both bound into seal certificates; and the electronic licence identifier (GB/T
//! 36904) with its ISO/IEC 7064 MOD 37,36 check.

use crate::{Error, Result};

const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Check an 18-character unified social credit code and return it upper-cased.
pub fn validate_uscc(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    let invalid = |detail: String| Error::InvalidInput {
        what: "unified social credit code",
        value: code.clone(),
        detail,
    };
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return Err(invalid(format!(
            "has {} characters, expected 18",
            bytes.len()
        )));
    }
    let mut values = [0u32; 18];
    for (i, b) in bytes.iter().enumerate() {
        values[i] = USCC_ALPHABET.iter().position(|a| a == b).ok_or_else(|| {
            invalid(format!(
                "character {} ('{}') is not allowed",
                i + 1,
                *b as char
            ))
        })? as u32;
    }
    let sum: u32 = values[..17]
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    if values[17] != check {
        return Err(invalid(format!(
            "check character is '{}', expected '{}'",
            bytes[17] as char, USCC_ALPHABET[check as usize] as char
        )));
    }
    Ok(code)
}

/// Check an 18-character resident identity number and return it upper-cased.
pub fn validate_resident_id(id: &str) -> Result<String> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let id = id.trim().to_ascii_uppercase();
    let invalid = |detail: String| Error::InvalidInput {
        what: "resident identity number",
        value: id.clone(),
        detail,
    };
    let bytes = id.as_bytes();
    if bytes.len() != 18 {
        return Err(invalid(format!(
            "has {} characters, expected 18",
            bytes.len()
        )));
    }
    if !bytes[..17].iter().all(u8::is_ascii_digit) {
        return Err(invalid("the first 17 characters must be digits".into()));
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let expected = CHECK[(sum % 11) as usize];
    if bytes[17] != expected {
        return Err(invalid(format!(
            "check character is '{}', expected '{}'",
            bytes[17] as char, expected as char
        )));
    }
    Ok(id)
}

/// The fixed first segment of every licence identifier (GB/T 36904): the licence arc.
pub const LICENCE_ID_PREFIX: &str = "1.2.156.3005.2";

/// An electronic licence identifier (GB/T 36904):
/// `1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>`.
///
/// The type code is 21 characters (the defining authority's USCC and 3 digits), the issuer code
/// is the issuing agency's USCC, the serial is chosen by the issuer (digits and capital letters),
/// the version has 3 digits, and the check character is ISO/IEC 7064 MOD 37,36 over type code,
/// issuer code, serial and version concatenated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LicenceIdentifier {
    type_code: String,
    issuer_code: String,
    serial: String,
    version: u16,
    check: char,
}

/// Longest serial accepted; real ones seen are 7 to 20 characters.
const MAX_SERIAL_LEN: usize = 64;

impl LicenceIdentifier {
    /// Builds an identifier and computes its check character. `version` is 0..=999.
    pub fn new(type_code: &str, issuer_code: &str, serial: &str, version: u16) -> Result<Self> {
        let type_code = validate_type_code(type_code)?;
        let issuer_code = segment_error("issuer code", validate_uscc(issuer_code))?;
        let serial = validate_serial(serial)?;
        if version > 999 {
            return Err(Error::InvalidInput {
                what: "licence identifier version",
                value: version.to_string(),
                detail: "must be 0 to 999 (three digits)".into(),
            });
        }
        let check = mod37_36_check(&format!("{type_code}{issuer_code}{serial}{version:03}"))?;
        Ok(LicenceIdentifier {
            type_code,
            issuer_code,
            serial,
            version,
            check,
        })
    }

    /// Parses and validates the dotted form, check character included.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        let bad = |detail: String| Error::InvalidInput {
            what: "licence identifier",
            value: s.to_string(),
            detail,
        };
        let rest = s
            .strip_prefix(LICENCE_ID_PREFIX)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or_else(|| bad(format!("must start with '{LICENCE_ID_PREFIX}.'")))?;
        let parts: Vec<&str> = rest.split('.').collect();
        let [type_code, issuer, serial, version, check] = parts[..] else {
            return Err(bad(format!(
                "has {} segments after the prefix, expected 5 (type code, issuer code, serial, \
                 version, check character)",
                parts.len()
            )));
        };
        if version.len() != 3 || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("version segment '{version}' must be 3 digits")));
        }
        let version: u16 = version
            .parse()
            .map_err(|_| bad(format!("version segment '{version}' must be 3 digits")))?;
        let id = LicenceIdentifier::new(type_code, issuer, serial, version)?;
        let mut chars = check.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return Err(bad(format!(
                "check segment '{check}' must be one character"
            )));
        };
        if c.to_ascii_uppercase() != id.check {
            return Err(bad(format!(
                "check character is '{c}', expected '{}'",
                id.check
            )));
        }
        Ok(id)
    }

    /// The licence type code (21 characters).
    pub fn type_code(&self) -> &str {
        &self.type_code
    }

    /// The issuing agency's unified social credit code.
    pub fn issuer_code(&self) -> &str {
        &self.issuer_code
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    pub fn version(&self) -> u16 {
        self.version
    }

    pub fn check_character(&self) -> char {
        self.check
    }

    /// The same licence with another version (a change supersedes the old version).
    pub fn with_version(&self, version: u16) -> Result<Self> {
        LicenceIdentifier::new(&self.type_code, &self.issuer_code, &self.serial, version)
    }
}

impl std::fmt::Display for LicenceIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{LICENCE_ID_PREFIX}.{}.{}.{}.{:03}.{}",
            self.type_code, self.issuer_code, self.serial, self.version, self.check
        )
    }
}

impl std::str::FromStr for LicenceIdentifier {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        LicenceIdentifier::parse(s)
    }
}

impl serde::Serialize for LicenceIdentifier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LicenceIdentifier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        LicenceIdentifier::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Renames the `what` of a USCC error so that it names the identifier segment.
fn segment_error(segment: &'static str, r: Result<String>) -> Result<String> {
    r.map_err(|e| match e {
        Error::InvalidInput { value, detail, .. } => Error::InvalidInput {
            what: segment,
            value,
            detail: format!("{detail} (a unified social credit code)"),
        },
        other => other,
    })
}

/// A type code: the defining authority's USCC followed by 3 digits.
fn validate_type_code(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    let bad = |detail: String| Error::InvalidInput {
        what: "licence type code",
        value: code.clone(),
        detail,
    };
    if code.len() != 21 || !code.is_ascii() {
        return Err(bad(format!(
            "has {} characters, expected 21 (a USCC and 3 digits)",
            code.chars().count()
        )));
    }
    segment_error("licence type code", validate_uscc(&code[..18]))?;
    if !code[18..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("the last 3 characters must be digits".into()));
    }
    Ok(code)
}

fn validate_serial(serial: &str) -> Result<String> {
    let serial = serial.trim().to_ascii_uppercase();
    let bad = |detail: &str| Error::InvalidInput {
        what: "licence serial",
        value: serial.clone(),
        detail: detail.into(),
    };
    if serial.is_empty() || serial.len() > MAX_SERIAL_LEN {
        return Err(bad("must have 1 to 64 characters"));
    }
    if !serial
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return Err(bad("may hold only digits and the letters A-Z"));
    }
    Ok(serial)
}

/// ISO/IEC 7064 MOD 37,36 (hybrid system) check character over digits and capital letters.
pub fn mod37_36_check(data: &str) -> Result<char> {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut p: u32 = 36;
    for b in data.bytes() {
        let a = ALPHABET
            .iter()
            .position(|c| *c == b.to_ascii_uppercase())
            .ok_or_else(|| Error::InvalidInput {
                what: "MOD 37,36 input",
                value: data.to_string(),
                detail: format!("character '{}' is not a digit or a letter", b as char),
            })? as u32;
        let mut t = (p + a) % 36;
        if t == 0 {
            t = 36;
        }
        p = (2 * t) % 37;
    }
    Ok(ALPHABET[((37 - p) % 36) as usize] as char)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F";

    #[test]
    fn licence_identifier_example_from_standards_validates_and_round_trips() {
        let id = LicenceIdentifier::parse(EXAMPLE).unwrap();
        assert_eq!(id.type_code(), "11100000000013338W032");
        assert_eq!(id.issuer_code(), "11220000013544541J");
        assert_eq!(id.serial(), "2430599");
        assert_eq!(id.version(), 1);
        assert_eq!(id.check_character(), 'F');
        assert_eq!(id.to_string(), EXAMPLE);
        let built =
            LicenceIdentifier::new("11100000000013338W032", "11220000013544541J", "2430599", 1)
                .unwrap();
        assert_eq!(built, id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{EXAMPLE}\""));
        assert_eq!(
            serde_json::from_str::<LicenceIdentifier>(&json).unwrap(),
            id
        );
    }

    #[test]
    fn licence_identifier_wrong_check_names_the_expected_character() {
        let bad = EXAMPLE.replace(".F", ".G");
        let err = LicenceIdentifier::parse(&bad).unwrap_err().to_string();
        assert!(err.contains("expected 'F'"), "{err}");
        // Any single changed character of the serial changes the check.
        let other = EXAMPLE.replace("2430599", "2430598");
        assert!(LicenceIdentifier::parse(&other).is_err());
        // A new version gets a new check character and stays valid.
        let v2 = LicenceIdentifier::parse(EXAMPLE)
            .unwrap()
            .with_version(2)
            .unwrap();
        assert!(LicenceIdentifier::parse(&v2.to_string()).is_ok());
        assert_ne!(v2.to_string(), EXAMPLE);
    }

    #[test]
    fn licence_identifier_errors_name_the_bad_segment() {
        let cases = [
            (
                "1.2.156.3005.3.11100000000013338W032.11220000013544541J.2430599.001.F",
                "start with",
            ),
            (
                "1.2.156.3005.2.11100000000013338W03.11220000013544541J.2430599.001.F",
                "type code",
            ),
            (
                "1.2.156.3005.2.11100000000013338X032.11220000013544541J.2430599.001.F",
                "type code",
            ),
            (
                "1.2.156.3005.2.11100000000013338W032.11220000013544541K.2430599.001.F",
                "issuer code",
            ),
            (
                "1.2.156.3005.2.11100000000013338W032.11220000013544541J.24-0599.001.F",
                "serial",
            ),
            (
                "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.01.F",
                "version",
            ),
            (
                "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001",
                "segments",
            ),
            (
                "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.FF",
                "one character",
            ),
        ];
        for (input, want) in cases {
            let err = LicenceIdentifier::parse(input).unwrap_err().to_string();
            assert!(err.contains(want), "{input}: {err}");
        }
        assert!(
            LicenceIdentifier::new("11100000000013338W032", "11220000013544541J", "1", 1000)
                .is_err()
        );
    }

    #[test]
    fn mod37_36_matches_hand_computation() {
        // ISO/IEC 7064 hybrid system: for the empty string p stays 36 and the check is 1.
        assert_eq!(mod37_36_check("").unwrap(), '1');
        assert!(mod37_36_check("A-B").is_err());
    }

    #[test]
    fn uscc_examples_from_the_licence_identifier_validate() {
        // Both codes appear in the GB/T 36904 identifier example of standards.md.
        assert_eq!(
            validate_uscc("11220000013544541J").unwrap(),
            "11220000013544541J"
        );
        assert!(validate_uscc("91350100M000100Y43").is_ok());
    }

    #[test]
    fn uscc_with_wrong_check_character_is_rejected_with_the_expected_one() {
        let err = validate_uscc("11220000013544541K").unwrap_err().to_string();
        assert!(err.contains("expected 'J'"), "{err}");
    }

    #[test]
    fn uscc_rejects_letters_outside_the_alphabet_and_wrong_length() {
        assert!(validate_uscc("1122000001354454IJ").is_err()); // I is not in the alphabet
        assert!(validate_uscc("1122").is_err());
    }

    #[test]
    fn resident_ids_from_the_standard_validate() {
        assert!(validate_resident_id("11010519491231002X").is_ok());
        assert!(validate_resident_id("440524188001010014").is_ok());
        assert!(validate_resident_id("110105194912310021").is_err());
        assert!(validate_resident_id("11010519491231002").is_err());
    }
}
