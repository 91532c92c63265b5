//! Interactive form fields (ISO 32000-2 §12.7.4): the field tree under `/AcroForm /Fields`,
//! partial names `/T` joined into full names, inherited `/FT`, values `/V`, and the widget
//! annotations (§12.5.6.19) of each terminal field with their `/Rect` and page `/P`.

use std::collections::HashSet;
use std::io::{Read, Seek};

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object};
use crate::reader::pages::rect_from;
use crate::reader::PdfReader;
use crate::text::decode_text_string;

/// Deepest field hierarchy accepted.
const MAX_FIELD_DEPTH: usize = 32;
/// Most field-tree nodes visited.
const MAX_FIELD_NODES: usize = 100_000;

/// A widget annotation of a terminal field.
#[derive(Debug, Clone)]
pub struct Widget {
    /// The widget's object; equal to the field's when field and widget are merged.
    pub obj_ref: ObjRef,
    /// `/Rect`, normalised, if valid.
    pub rect: Option<[f64; 4]>,
    /// `/P`, the page the widget says it is on.
    pub page: Option<ObjRef>,
}

/// A terminal form field.
#[derive(Debug, Clone)]
pub struct FormField {
    pub obj_ref: ObjRef,
    /// `/T` of this field, if it has one.
    pub partial_name: Option<String>,
    /// Partial names of the field and its ancestors joined with `.` (§12.7.4.2).
    pub full_name: String,
    /// `/FT`, inherited from ancestors when absent (`Sig`, `Tx`, `Btn`, `Ch`).
    pub field_type: Option<String>,
    /// `/V` (inherited), unresolved.
    pub value: Option<Object>,
    /// `/Lock` of a signature field (§12.7.5.5), resolved.
    pub lock: Option<Dict>,
    pub widgets: Vec<Widget>,
    /// The field's dictionary.
    pub dict: Dict,
}

impl FormField {
    pub fn is_signature(&self) -> bool {
        self.field_type.as_deref() == Some("Sig")
    }

    /// Whether the field has a value (for a signature field: is signed).
    pub fn has_value(&self) -> bool {
        !matches!(self.value, None | Some(Object::Null))
    }
}

struct Walk {
    seen: HashSet<ObjRef>,
    out: Vec<FormField>,
}

impl<R: Read + Seek> PdfReader<R> {
    /// The `/AcroForm` dictionary of the catalog, if any.
    pub fn acro_form(&mut self) -> Result<Option<Dict>> {
        let catalog = self.catalog()?;
        match catalog.get("AcroForm") {
            None => Ok(None),
            Some(o) => match self.resolve(o)? {
                Object::Dict(d) => Ok(Some(d)),
                Object::Null => Ok(None),
                other => Err(Error::wrong_type(
                    format!("/AcroForm ({})", other.type_name()),
                    "a dictionary",
                )),
            },
        }
    }

    /// All terminal form fields, in field-tree order.
    pub fn form_fields(&mut self) -> Result<Vec<FormField>> {
        let Some(acro) = self.acro_form()? else {
            return Ok(Vec::new());
        };
        let fields = match acro.get("Fields") {
            Some(f) => self.resolve(f)?,
            None => return Ok(Vec::new()),
        };
        let Object::Array(fields) = fields else {
            return Err(Error::wrong_type("/AcroForm /Fields", "an array"));
        };
        let mut walk = Walk {
            seen: HashSet::new(),
            out: Vec::new(),
        };
        for f in &fields {
            if let Some(r) = f.as_reference() {
                self.walk_field(r, "", None, None, 0, &mut walk)?;
            }
        }
        Ok(walk.out)
    }

    /// The terminal field with full name `name`.
    pub fn form_field(&mut self, name: &str) -> Result<Option<FormField>> {
        Ok(self
            .form_fields()?
            .into_iter()
            .find(|f| f.full_name == name))
    }

    fn walk_field(
        &mut self,
        r: ObjRef,
        parent_name: &str,
        parent_ft: Option<&str>,
        parent_v: Option<&Object>,
        depth: usize,
        walk: &mut Walk,
    ) -> Result<()> {
        if depth > MAX_FIELD_DEPTH {
            return Err(Error::LimitExceeded {
                what: "form field depth",
                limit: MAX_FIELD_DEPTH as u64,
            });
        }
        if !walk.seen.insert(r) {
            return Ok(()); // a field listed twice or a loop: visit once
        }
        if walk.seen.len() > MAX_FIELD_NODES {
            return Err(Error::LimitExceeded {
                what: "number of form fields",
                limit: MAX_FIELD_NODES as u64,
            });
        }
        let dict = match self.resolve(&Object::Reference(r))? {
            Object::Dict(d) => d,
            _ => return Ok(()),
        };
        let partial_name = dict
            .get("T")
            .and_then(Object::as_string)
            .map(decode_text_string);
        let full_name = match (&partial_name, parent_name.is_empty()) {
            (Some(t), true) => t.clone(),
            (Some(t), false) => format!("{parent_name}.{t}"),
            (None, _) => parent_name.to_string(),
        };
        let field_type = match dict.get("FT").and_then(Object::as_name) {
            Some(n) => Some(String::from_utf8_lossy(n).into_owned()),
            None => parent_ft.map(str::to_string),
        };
        let value = dict.get("V").or(parent_v).cloned();
        // Kids with /T are fields; kids without are widgets of this field.
        let kids = match dict.get("Kids") {
            Some(k) => match self.resolve(k)? {
                Object::Array(a) => a,
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let mut widgets = Vec::new();
        let mut child_fields = Vec::new();
        for kid in &kids {
            let Some(kr) = kid.as_reference() else {
                continue;
            };
            let kd = match self.resolve(kid)? {
                Object::Dict(d) => d,
                _ => continue,
            };
            if kd.contains("T") {
                child_fields.push(kr);
            } else {
                widgets.push(self.widget(kr, &kd)?);
            }
        }
        if !child_fields.is_empty() {
            for kr in child_fields {
                self.walk_field(
                    kr,
                    &full_name,
                    field_type.as_deref(),
                    value.as_ref(),
                    depth + 1,
                    walk,
                )?;
            }
            if widgets.is_empty() {
                return Ok(());
            }
        }
        if kids.is_empty() && (dict.has_name("Subtype", "Widget") || dict.contains("Rect")) {
            widgets.push(self.widget(r, &dict)?);
        }
        let lock = match dict.get("Lock") {
            Some(l) => match self.resolve(l)? {
                Object::Dict(d) => Some(d),
                _ => None,
            },
            None => None,
        };
        walk.out.push(FormField {
            obj_ref: r,
            partial_name,
            full_name,
            field_type,
            value,
            lock,
            widgets,
            dict,
        });
        Ok(())
    }

    fn widget(&mut self, r: ObjRef, d: &Dict) -> Result<Widget> {
        let rect = match d.get("Rect") {
            Some(o) => rect_from(self, o)?,
            None => None,
        };
        Ok(Widget {
            obj_ref: r,
            rect,
            page: d.get("P").and_then(Object::as_reference),
        })
    }
}
