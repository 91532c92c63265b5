//! Writing objects in PDF syntax (ISO 32000-2 §7.3): names with `#xx` escapes, literal or
//! hexadecimal strings, reals without exponents, dictionaries, arrays and streams.

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object, StreamData};

/// Appends `obj` in PDF syntax to `out`.
pub fn write_object(out: &mut Vec<u8>, obj: &Object) -> Result<()> {
    match obj {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => out.extend_from_slice(format_real(*r).as_bytes()),
        Object::String(s) => write_string(out, s),
        Object::Name(n) => write_name(out, n),
        Object::Array(a) => {
            out.push(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, item)?;
            }
            out.push(b']');
        }
        Object::Dict(d) => write_dict(out, d)?,
        Object::Stream(s) => {
            let StreamData::Bytes(data) = &s.data else {
                return Err(Error::InvalidOption(
                    "a stream read from the file cannot be re-emitted without its data".into(),
                ));
            };
            let mut dict = s.dict.clone();
            dict.set("Length", data.len() as i64);
            write_dict(out, &dict)?;
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(data);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference(r) => write_reference(out, *r),
    }
    Ok(())
}

pub fn write_reference(out: &mut Vec<u8>, r: ObjRef) {
    out.extend_from_slice(format!("{} {} R", r.num, r.gen).as_bytes());
}

pub fn write_dict(out: &mut Vec<u8>, d: &Dict) -> Result<()> {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        write_name(out, k);
        out.push(b' ');
        write_object(out, v)?;
    }
    out.extend_from_slice(b">>");
    Ok(())
}

/// Writes a name, escaping delimiters, white space, `#` and bytes outside `!`..`~` (§7.3.5).
pub fn write_name(out: &mut Vec<u8>, n: &[u8]) {
    out.push(b'/');
    for &b in n {
        let regular = (0x21..=0x7e).contains(&b)
            && !matches!(
                b,
                b'#' | b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
            );
        if regular {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// Writes a string: literal when it is mostly printable ASCII, hexadecimal otherwise.
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    let printable = s
        .iter()
        .all(|b| (0x20..0x7f).contains(b) || matches!(b, b'\n' | b'\r' | b'\t'));
    if printable {
        out.push(b'(');
        for &b in s {
            match b {
                b'(' | b')' | b'\\' => {
                    out.push(b'\\');
                    out.push(b);
                }
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                other => out.push(other),
            }
        }
        out.push(b')');
    } else {
        out.push(b'<');
        for b in s {
            out.extend_from_slice(format!("{b:02X}").as_bytes());
        }
        out.push(b'>');
    }
}

/// Formats a real with at most 6 decimals and no exponent.
pub fn format_real(r: f64) -> String {
    if !r.is_finite() {
        return "0".into();
    }
    let s = format!("{r:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "-0" | "" => "0".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_syntax() {
        let d = Dict::new()
            .with("Type", Object::name("Sig"))
            .with("N", Object::Name(b"A B#".to_vec()))
            .with("R", 1.5)
            .with("S", Object::String(b"a(b)\\".to_vec()))
            .with("H", Object::String(vec![0xFE, 0xFF]))
            .with("P", ObjRef::new(3, 0));
        let mut out = Vec::new();
        write_object(&mut out, &Object::Dict(d)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<</Type /Sig/N /A#20B#23/R 1.5/S (a\\(b\\)\\\\)/H <FEFF>/P 3 0 R>>"
        );
        assert_eq!(format_real(0.1 + 0.2), "0.3");
        assert_eq!(format_real(-0.0000001), "0");
        assert_eq!(format_real(100.0), "100");
    }
}
