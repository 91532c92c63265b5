//! Check characters of the identifiers bound into seal certificates: the unified social credit
//! code of an organisation (GB 32100-2015) and the resident identity number (GB 11643-1999).

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

#[cfg(test)]
mod tests {
    use super::*;

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
