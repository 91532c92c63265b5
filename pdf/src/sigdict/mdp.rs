//! Modification detection and prevention (ISO 32000-2 §12.8.2): DocMDP certification
//! (§12.8.2.2, signature reference dictionaries of Table 256 with transform parameters of
//! Table 257) and FieldMDP field locks (§12.8.2.4, Table 258; the `/Lock` dictionary of a
//! signature field, §12.7.5.5 Table 236). Written by the signer, read by the signer (before
//! signing a certified document) and by the verifier, with one reading for both: whatever is
//! unclear reads as the strictest permission.

use std::io::{Read, Seek};

use serde::{Serialize, Serializer};

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object};
use crate::reader::PdfReader;
use crate::text::{decode_text_string, encode_text_string};

/// DocMDP access permissions `/P` (Table 257).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DocMdpPermission {
    /// 1: no changes to the document.
    NoChanges = 1,
    /// 2: filling in forms, instantiating page templates and signing.
    FormFillingAndSigning = 2,
    /// 3: as 2, plus annotation creation, deletion and modification.
    Annotations = 3,
}

impl DocMdpPermission {
    /// `/P` as written.
    pub fn value(self) -> u8 {
        self as u8
    }

    /// `/P` as read: absent means 2 (Table 257); a value other than 1, 2 or 3 reads as 1, the
    /// strictest (fail closed).
    pub fn read(p: Option<i64>) -> Self {
        match p.unwrap_or(2) {
            2 => DocMdpPermission::FormFillingAndSigning,
            3 => DocMdpPermission::Annotations,
            _ => DocMdpPermission::NoChanges,
        }
    }
}

/// What a caller asks for: exactly 1, 2 or 3.
impl TryFrom<u8> for DocMdpPermission {
    type Error = Error;

    fn try_from(p: u8) -> Result<Self> {
        match p {
            1 => Ok(DocMdpPermission::NoChanges),
            2 => Ok(DocMdpPermission::FormFillingAndSigning),
            3 => Ok(DocMdpPermission::Annotations),
            other => Err(Error::InvalidOption(format!(
                "certification level must be 1, 2 or 3, not {other}"
            ))),
        }
    }
}

/// Reports give `/P` as its number.
impl Serialize for DocMdpPermission {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u8(self.value())
    }
}

impl std::fmt::Display for DocMdpPermission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.value())
    }
}

/// Which form fields a signature locks (FieldMDP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldLock {
    /// Every field in the document (`/Action /All`).
    All,
    /// Only the named fields (`/Action /Include`).
    Include(Vec<String>),
    /// Every field except the named ones (`/Action /Exclude`).
    Exclude(Vec<String>),
    /// The `/P` of a signature field's `/Lock` (ISO 32000-2 Table 236, PDF 2.0): once the field
    /// is signed, the whole document is restricted as a DocMDP certification with this `/P`
    /// restricts it (Table 257). It locks no field by name; the change rules read it as a
    /// certification level.
    DocumentPermission(DocMdpPermission),
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
            FieldLock::DocumentPermission(_) => false,
        }
    }

    /// The strictest `/Lock /P` among `locks`, if any.
    pub fn strictest_permission(locks: &[FieldLock]) -> Option<DocMdpPermission> {
        locks
            .iter()
            .filter_map(|l| match l {
                FieldLock::DocumentPermission(p) => Some(*p),
                _ => None,
            })
            .min()
    }

    /// The `/P` of a `/Lock` dictionary; `None` without one. A value other than 1, 2 or 3
    /// reads as 1 (fail closed).
    pub fn permission_from_dict(d: &Dict) -> Option<FieldLock> {
        let p = d.get("P")?;
        Some(FieldLock::DocumentPermission(DocMdpPermission::read(Some(
            p.as_i64().unwrap_or(1),
        ))))
    }

    /// Reads `/Action` and `/Fields` of FieldMDP transform parameters or of a `/Lock`
    /// dictionary; `None` without `/Action`. An unknown action locks everything (fail closed).
    pub fn from_dict(d: &Dict) -> Option<FieldLock> {
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
            b"Include" => Some(FieldLock::Include(names())),
            b"Exclude" => Some(FieldLock::Exclude(names())),
            _ => Some(FieldLock::All),
        }
    }

    fn write_into(&self, dict: &mut Dict) {
        let names = |v: &[String]| {
            Object::Array(
                v.iter()
                    .map(|n| Object::String(encode_text_string(n)))
                    .collect(),
            )
        };
        match self {
            FieldLock::All => dict.set("Action", Object::name("All")),
            FieldLock::Include(v) => {
                dict.set("Action", Object::name("Include"));
                dict.set("Fields", names(v));
            }
            FieldLock::Exclude(v) => {
                dict.set("Action", Object::name("Exclude"));
                dict.set("Fields", names(v));
            }
            FieldLock::DocumentPermission(p) => dict.set("P", i64::from(p.value())),
        }
    }
}

/// The `/Reference` entry for a certification signature.
pub fn docmdp_reference(p: DocMdpPermission) -> Dict {
    let params = Dict::new()
        .with("Type", Object::name("TransformParams"))
        .with("P", i64::from(p.value()))
        .with("V", Object::name("1.2"));
    Dict::new()
        .with("Type", Object::name("SigRef"))
        .with("TransformMethod", Object::name("DocMDP"))
        .with("TransformParams", params)
}

/// The `/Reference` entry for a FieldMDP lock; `catalog` is given as `/Data`.
pub fn fieldmdp_reference(lock: &FieldLock, catalog: ObjRef) -> Dict {
    let mut params = Dict::new().with("Type", Object::name("TransformParams"));
    lock.write_into(&mut params);
    params.set("V", Object::name("1.2"));
    Dict::new()
        .with("Type", Object::name("SigRef"))
        .with("TransformMethod", Object::name("FieldMDP"))
        .with("TransformParams", params)
        .with("Data", catalog)
}

/// The `/Lock` dictionary of a signature field.
pub fn field_lock_dict(lock: &FieldLock) -> Dict {
    let mut d = Dict::new().with("Type", Object::name("SigFieldLock"));
    lock.write_into(&mut d);
    d
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

impl DocMdpPermission {
    /// The permission of the DocMDP transform of the signature dictionary `sig`; `None` when it
    /// is not a certification signature.
    pub fn of_signature<R: Read + Seek>(reader: &mut PdfReader<R>, sig: &Dict) -> Option<Self> {
        let reference = references(reader, sig)
            .into_iter()
            .find(|r| r.has_name("TransformMethod", "DocMDP"))?;
        let p = params(reader, &reference).get("P").and_then(Object::as_i64);
        Some(DocMdpPermission::read(p))
    }

    /// The document's certification, found through the catalog's `/Perms /DocMDP`; `None` when
    /// the document is not certified. A signature named there without a readable DocMDP
    /// reference counts as P=2.
    pub fn of_document<R: Read + Seek>(reader: &mut PdfReader<R>) -> Result<Option<Self>> {
        let catalog = reader.catalog()?;
        let Some(perms) = catalog.get("Perms") else {
            return Ok(None);
        };
        let Object::Dict(perms) = reader.resolve(perms)? else {
            return Ok(None);
        };
        let Some(sig) = perms.get("DocMDP") else {
            return Ok(None);
        };
        let Object::Dict(sig) = reader.resolve(sig)? else {
            return Ok(None);
        };
        Ok(Some(
            Self::of_signature(reader, &sig).unwrap_or(DocMdpPermission::FormFillingAndSigning),
        ))
    }
}

/// The FieldMDP locks of the signature dictionary `sig`: from its `/Reference` and from its
/// field's `/Lock` dictionary (its `/Action` and `/Fields`, and its `/P` as
/// [`FieldLock::DocumentPermission`]).
pub fn field_locks<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    sig: &Dict,
    field_lock: Option<&Dict>,
) -> Vec<FieldLock> {
    let mut locks = Vec::new();
    for r in references(reader, sig) {
        if r.has_name("TransformMethod", "FieldMDP") {
            if let Some(l) = FieldLock::from_dict(&params(reader, &r)) {
                locks.push(l);
            }
        }
    }
    let from_lock =
        field_lock.map(|d| (FieldLock::from_dict(d), FieldLock::permission_from_dict(d)));
    if let Some((action, permission)) = from_lock {
        for l in [action, permission].into_iter().flatten() {
            if !locks.contains(&l) {
                locks.push(l);
            }
        }
    }
    locks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_cover_descendants() {
        let l = FieldLock::Include(vec!["a".into()]);
        assert!(l.locks("a") && l.locks("a.b") && !l.locks("ab"));
        let e = FieldLock::Exclude(vec!["a".into()]);
        assert!(!e.locks("a.b") && e.locks("b"));
        assert!(FieldLock::All.locks("x"));
    }

    #[test]
    fn a_written_lock_reads_back() {
        for lock in [
            FieldLock::All,
            FieldLock::Include(vec!["城市".into(), "b".into()]),
            FieldLock::Exclude(vec!["c".into()]),
        ] {
            assert_eq!(FieldLock::from_dict(&field_lock_dict(&lock)), Some(lock));
        }
        let unknown = Dict::new().with("Action", Object::name("Some"));
        assert_eq!(FieldLock::from_dict(&unknown), Some(FieldLock::All));
        assert_eq!(FieldLock::from_dict(&Dict::new()), None);
    }

    #[test]
    fn a_lock_p_reads_as_a_document_permission() {
        let lock = |p: Object| {
            Dict::new()
                .with("Type", Object::name("SigFieldLock"))
                .with("Action", Object::name("Include"))
                .with("Fields", Object::Array(vec![Object::String(b"a".to_vec())]))
                .with("P", p)
        };
        let read = |d: &Dict| FieldLock::permission_from_dict(d);
        let doc = FieldLock::DocumentPermission;
        assert_eq!(
            read(&lock(1i64.into())),
            Some(doc(DocMdpPermission::NoChanges))
        );
        assert_eq!(
            read(&lock(3i64.into())),
            Some(doc(DocMdpPermission::Annotations))
        );
        // Out of range or not a number: the strictest.
        assert_eq!(
            read(&lock(7i64.into())),
            Some(doc(DocMdpPermission::NoChanges))
        );
        assert_eq!(
            read(&lock(Object::name("Two"))),
            Some(doc(DocMdpPermission::NoChanges))
        );
        assert_eq!(read(&Dict::new()), None);
        // The fields named stay locked as before; the permission locks no field by name.
        assert_eq!(
            FieldLock::from_dict(&lock(2i64.into())),
            Some(FieldLock::Include(vec!["a".into()]))
        );
        let p2 = doc(DocMdpPermission::FormFillingAndSigning);
        assert!(!p2.locks("a"));
        assert_eq!(read(&field_lock_dict(&p2)), Some(p2.clone()));
        assert_eq!(
            FieldLock::strictest_permission(&[
                FieldLock::All,
                p2,
                doc(DocMdpPermission::Annotations)
            ]),
            Some(DocMdpPermission::FormFillingAndSigning)
        );
    }

    #[test]
    fn unclear_permissions_read_as_the_strictest() {
        assert_eq!(
            DocMdpPermission::read(None),
            DocMdpPermission::FormFillingAndSigning
        );
        assert_eq!(
            DocMdpPermission::read(Some(3)),
            DocMdpPermission::Annotations
        );
        for odd in [0, 4, -1, 99] {
            assert_eq!(
                DocMdpPermission::read(Some(odd)),
                DocMdpPermission::NoChanges
            );
        }
        assert!(DocMdpPermission::try_from(4).is_err());
        assert_eq!(
            serde_json::to_string(&DocMdpPermission::Annotations).unwrap(),
            "3"
        );
    }
}
