//! Dates: PDF date strings (ISO 32000-2 §7.9.4) as found in `/M`, and RFC 3339 for reports.

use std::time::SystemTime;

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

pub use eseal_signer::validation::rfc3339;

/// Parses `D:YYYYMMDDHHmmSSOHH'mm'` (every part after the year optional).
pub fn parse_pdf_date(s: &[u8]) -> Option<SystemTime> {
    let s = std::str::from_utf8(s).ok()?;
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |from: usize, len: usize, default: u32| -> Option<u32> {
        match s.get(from..from + len) {
            Some(part) if part.bytes().all(|b| b.is_ascii_digit()) => part.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = digits(0, 4, 0)? as i32;
    if s.len() < 4 {
        return None;
    }
    let month = digits(4, 2, 1)?;
    let day = digits(6, 2, 1)?;
    let hour = digits(8, 2, 0)?;
    let minute = digits(10, 2, 0)?;
    let second = digits(12, 2, 0)?;
    let date =
        Date::from_calendar_date(year, Month::try_from(month as u8).ok()?, day as u8).ok()?;
    let time = Time::from_hms(hour as u8, minute as u8, second as u8).ok()?;
    let rest = s.get(14..).unwrap_or("");
    let offset = match rest.as_bytes().first() {
        Some(sign @ (b'+' | b'-')) => {
            let tz: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let h: i8 = tz.get(0..2).and_then(|x| x.parse().ok()).unwrap_or(0);
            let m: i8 = tz.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
            let (h, m) = if *sign == b'-' { (-h, -m) } else { (h, m) };
            UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => UtcOffset::UTC,
    };
    Some(SystemTime::from(
        PrimitiveDateTime::new(date, time).assume_offset(offset),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        let t = parse_pdf_date(b"D:20250102030405+08'00'").unwrap();
        assert_eq!(rfc3339(t), "2025-01-01T19:04:05Z");
        assert!(parse_pdf_date(b"D:2025").is_some());
        assert!(parse_pdf_date(b"D:20251302").is_none());
        assert!(parse_pdf_date(b"garbage").is_none());
    }
}
