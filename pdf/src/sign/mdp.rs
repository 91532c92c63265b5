//! Modification detection and prevention (ISO 32000-2 §12.8.2): DocMDP certification
//! (§12.8.2.2, signature reference dictionaries of Table 256 with transform parameters of
//! Table 257) and FieldMDP field locks (§12.8.2.4, Table 258; the `/Lock` dictionary of a
//! signature field, §12.7.5.5 Table 236).

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object};
use crate::text::encode_text_string;

/// Which form fields a signature locks (FieldMDP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldLock {
    /// Every field in the document (`/Action /All`).
    All,
    /// Only the named fields (`/Action /Include`).
    Include(Vec<String>),
    /// Every field except the named ones (`/Action /Exclude`).
    Exclude(Vec<String>),
}

/// DocMDP access permissions `/P` (Table 257).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocMdpPermission {
    /// 1: no changes to the document.
    NoChanges = 1,
    /// 2: filling in forms, instantiating page templates and signing.
    FormFillingAndSigning = 2,
    /// 3: as 2, plus annotation creation, deletion and modification.
    Annotations = 3,
}

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

/// The `/Reference` entry for a certification signature.
pub fn docmdp_reference(p: DocMdpPermission) -> Dict {
    let params = Dict::new()
        .with("Type", Object::name("TransformParams"))
        .with("P", p as i64)
        .with("V", Object::name("1.2"));
    Dict::new()
        .with("Type", Object::name("SigRef"))
        .with("TransformMethod", Object::name("DocMDP"))
        .with("TransformParams", params)
}

fn action_entries(lock: &FieldLock, dict: &mut Dict) {
    let names = |v: &[String]| {
        Object::Array(
            v.iter()
                .map(|n| Object::String(encode_text_string(n)))
                .collect(),
        )
    };
    match lock {
        FieldLock::All => dict.set("Action", Object::name("All")),
        FieldLock::Include(v) => {
            dict.set("Action", Object::name("Include"));
            dict.set("Fields", names(v));
        }
        FieldLock::Exclude(v) => {
            dict.set("Action", Object::name("Exclude"));
            dict.set("Fields", names(v));
        }
    }
}

/// The `/Reference` entry for a FieldMDP lock; `catalog` is given as `/Data`.
pub fn fieldmdp_reference(lock: &FieldLock, catalog: ObjRef) -> Dict {
    let mut params = Dict::new().with("Type", Object::name("TransformParams"));
    action_entries(lock, &mut params);
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
    action_entries(lock, &mut d);
    d
}

/// Reads a `/Lock` dictionary of a prepared field back into a [`FieldLock`].
pub fn field_lock_from_dict(d: &Dict) -> Option<FieldLock> {
    let names = || -> Vec<String> {
        d.get("Fields")
            .and_then(Object::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Object::as_string)
                    .map(crate::text::decode_text_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    match d.get("Action").and_then(Object::as_name)? {
        b"All" => Some(FieldLock::All),
        b"Include" => Some(FieldLock::Include(names())),
        b"Exclude" => Some(FieldLock::Exclude(names())),
        _ => None,
    }
}
