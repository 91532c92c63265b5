//! Text strings (ISO 32000-2 §7.9.2.2) and dates (§7.9.4).
//!
//! Text is written as PDFDocEncoding when it is printable ASCII and as UTF-16BE with a byte
//! order mark otherwise (Chinese names, reasons and locations). Reading also accepts UTF-8 with
//! its byte order mark (PDF 2.0).

use time::OffsetDateTime;

/// PDFDocEncoding code points 0x80..=0xA0 (Annex D.3); 0x9F is undefined.
const PDFDOC_HIGH: [char; 33] = [
    '\u{2022}', '\u{2020}', '\u{2021}', '\u{2026}', '\u{2014}', '\u{2013}', '\u{0192}', '\u{2044}',
    '\u{2039}', '\u{203A}', '\u{2212}', '\u{2030}', '\u{201E}', '\u{201C}', '\u{201D}', '\u{2018}',
    '\u{2019}', '\u{201A}', '\u{2122}', '\u{FB01}', '\u{FB02}', '\u{0141}', '\u{0152}', '\u{0160}',
    '\u{0178}', '\u{017D}', '\u{0131}', '\u{0142}', '\u{0153}', '\u{0161}', '\u{017E}', '\u{FFFD}',
    '\u{20AC}',
];

/// Encodes `s` as a PDF text string: PDFDocEncoding for printable ASCII, else UTF-16BE with BOM.
pub fn encode_text_string(s: &str) -> Vec<u8> {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\r' || b == b'\t')
    {
        return s.as_bytes().to_vec();
    }
    let mut out = vec![0xFE, 0xFF];
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out
}

/// Decodes a PDF text string (UTF-16BE or UTF-8 with BOM, else PDFDocEncoding).
pub fn decode_text_string(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    b.iter()
        .map(|&c| match c {
            0x80..=0xA0 => PDFDOC_HIGH[usize::from(c - 0x80)],
            0xAD => '\u{FFFD}',
            other => char::from(other),
        })
        .collect()
}

/// Formats a date as `D:YYYYMMDDHHmmSS+HH'mm'` (§7.9.4), or with `Z` for UTC.
pub fn format_pdf_date(t: OffsetDateTime) -> String {
    let offset = t.offset();
    let tz = if offset.is_utc() {
        "Z".to_string()
    } else {
        let total = offset.whole_minutes();
        let sign = if total < 0 { '-' } else { '+' };
        let total = total.unsigned_abs();
        format!("{sign}{:02}'{:02}'", total / 60, total % 60)
    };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{tz}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ascii_stays_pdfdoc_and_cjk_becomes_utf16() {
        assert_eq!(encode_text_string("Approval"), b"Approval".to_vec());
        let e = encode_text_string("合同专用章");
        assert_eq!(&e[..2], &[0xFE, 0xFF]);
        assert_eq!(decode_text_string(&e), "合同专用章");
        assert_eq!(decode_text_string(b"\x80x"), "\u{2022}x");
    }

    #[test]
    fn dates() {
        assert_eq!(
            format_pdf_date(datetime!(2024-03-05 06:07:08 UTC)),
            "D:20240305060708Z"
        );
        assert_eq!(
            format_pdf_date(datetime!(2024-03-05 06:07:08 +08:00)),
            "D:20240305060708+08'00'"
        );
    }
}
