//! Modification detection and prevention as a verifier reads it (ISO 32000-2 §12.8.2): the
//! DocMDP `/P` of a certification signature (§12.8.2.2, Tables 256-257) and the FieldMDP locks
//! of signatures (§12.8.2.4, Table 258) and of signature fields (`/Lock`, §12.7.5.5).

use std::io::{Read, Seek};

use crate::object::{Dict, Object};
use crate::reader::PdfReader;
use crate::text::decode_text_string;

/// What a FieldMDP lock covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldLock {
    All,
    Include(Vec<String>),
    Exclude(Vec<String>),
}

impl FieldLock {
    /// Whether the field `name` (full name) is locked; a lock on a field covers its descendants.
    pub fn locks(&self, name: &str) -> bool {
        let listed = |names: &[String]| {
            names.iter().any(|n| {
                name == n
                    || name
                        .strip_prefix(n.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        };
        match self {
            FieldLock::All => true,
            FieldLock::Include(v) => listed(v),
            FieldLock::Exclude(v) => !listed(v),
        }
    }

    fn from_params(d: &Dict) -> Option<FieldLock> {
        let names = || -> Vec<String> {
            d.get("Fields")
                .and_then(Object::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Object::as_string)
                        .map(decode_text_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        match d.get("Action").and_then(Object::as_name)? {
            b"All" => Some(FieldLock::All),
            b"Include" => Some(FieldLock::Include(names())),
            b"Exclude" => Some(FieldLock::Exclude(names())),
            // An unknown action locks everything (fail closed).
            _ => Some(FieldLock::All),
        }
    }
}

/// The signature reference dictionaries (`/Reference`) of a signature dictionary, resolved.
fn references<R: Read + Seek>(reader: &mut PdfReader<R>, sig: &Dict) -> Vec<Dict> {
    let Some(refs) = sig.get("Reference") else {
        return Vec::new();
    };
    let Ok(Object::Array(refs)) = reader.resolve(refs) else {
        return Vec::new();
    };
    refs.iter()
        .take(64)
        .filter_map(|r| reader.resolve(r).ok())
        .filter_map(|o| match o {
            Object::Dict(d) => Some(d),
            _ => None,
        })
        .collect()
}

fn params<R: Read + Seek>(reader: &mut PdfReader<R>, reference: &Dict) -> Dict {
    match reference.get("TransformParams").map(|p| reader.resolve(p)) {
        Some(Ok(Object::Dict(d))) => d,
        _ => Dict::new(),
    }
}

/// `/P` of the DocMDP transform of this signature, if it is a certification signature.
/// Absent `/P` means 2; a value other than 1, 2 or 3 is read as 1 (the strictest).
pub fn docmdp_level<R: Read + Seek>(reader: &mut PdfReader<R>, sig: &Dict) -> Option<i64> {
    for r in references(reader, sig) {
        if r.has_name("TransformMethod", "DocMDP") {
            let p = params(reader, &r)
                .get("P")
                .and_then(Object::as_i64)
                .unwrap_or(2);
            return Some(if (1..=3).contains(&p) { p } else { 1 });
        }
    }
    None
}

/// The FieldMDP locks of this signature: from its `/Reference` and from the field's `/Lock`.
pub fn field_locks<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    sig: &Dict,
    field_lock: Option<&Dict>,
) -> Vec<FieldLock> {
    let mut locks = Vec::new();
    for r in references(reader, sig) {
        if r.has_name("TransformMethod", "FieldMDP") {
            if let Some(l) = FieldLock::from_params(&params(reader, &r)) {
                locks.push(l);
            }
        }
    }
    if let Some(l) = field_lock.and_then(FieldLock::from_params) {
        if !locks.contains(&l) {
            locks.push(l);
        }
    }
    locks
}

#[cfg(test)]
mod tests {
    use super::FieldLock;

    #[test]
    fn locks_cover_descendants() {
        let l = FieldLock::Include(vec!["a".into()]);
        assert!(l.locks("a") && l.locks("a.b") && !l.locks("ab"));
        let e = FieldLock::Exclude(vec!["a".into()]);
        assert!(!e.locks("a.b") && e.locks("b"));
        assert!(FieldLock::All.locks("x"));
    }
}
