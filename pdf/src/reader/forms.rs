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

/// The walk of the field tree so far: the nodes visited and the terminal fields found.
struct Walk {
    seen: HashSet<ObjRef>,
    out: Vec<FormField>,
}

impl Walk {
    /// Whether to visit node `r` at `depth`: each node once (a field listed twice or a loop),
    /// and within the depth and node limits.
    fn enter(&mut self, r: ObjRef, depth: usize) -> Result<bool> {
        if depth > MAX_FIELD_DEPTH {
            return Err(Error::LimitExceeded {
                what: "form field depth",
                limit: MAX_FIELD_DEPTH as u64,
            });
        }
        if !self.seen.insert(r) {
            return Ok(false);
        }
        if self.seen.len() > MAX_FIELD_NODES {
            return Err(Error::LimitExceeded {
                what: "number of form fields",
                limit: MAX_FIELD_NODES as u64,
            });
        }
        Ok(true)
    }
}

/// What a field inherits from its ancestors (ISO 32000-2 §12.7.4.1): the full name so far,
/// `/FT` and `/V`.
struct Inherited<'a> {
    name: &'a str,
    field_type: Option<&'a str>,
    value: Option<&'a Object>,
}

impl Inherited<'_> {
    /// The full name of a field with partial name `partial` below this one (§12.7.4.2).
    fn full_name(&self, partial: Option<&str>) -> String {
        match (partial, self.name.is_empty()) {
            (Some(t), true) => t.to_string(),
            (Some(t), false) => format!("{}.{t}", self.name),
            (None, _) => self.name.to_string(),
        }
    }
}

/// A field's kids, sorted.
struct Kids {
    /// Whether `/Kids` has any entry at all.
    any: bool,
    widgets: Vec<Widget>,
    fields: Vec<ObjRef>,
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
        const ROOT: Inherited<'static> = Inherited {
            name: "",
            field_type: None,
            value: None,
        };
        let mut walk = Walk {
            seen: HashSet::new(),
            out: Vec::new(),
        };
        for f in &fields {
            if let Some(r) = f.as_reference() {
                self.walk_field(r, &ROOT, 0, &mut walk)?;
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
        inherited: &Inherited<'_>,
        depth: usize,
        walk: &mut Walk,
    ) -> Result<()> {
        if !walk.enter(r, depth)? {
            return Ok(());
        }
        let dict = match self.resolve(&Object::Reference(r))? {
            Object::Dict(d) => d,
            _ => return Ok(()),
        };
        let partial_name = dict
            .get("T")
            .and_then(Object::as_string)
            .map(decode_text_string);
        let full_name = inherited.full_name(partial_name.as_deref());
        let field_type = match dict.get("FT").and_then(Object::as_name) {
            Some(n) => Some(String::from_utf8_lossy(n).into_owned()),
            None => inherited.field_type.map(str::to_string),
        };
        let value = dict.get("V").or(inherited.value).cloned();
        let kids = self.kids(&dict)?;
        let mut widgets = kids.widgets;
        if !kids.fields.is_empty() {
            let to_kids = Inherited {
                name: &full_name,
                field_type: field_type.as_deref(),
                value: value.as_ref(),
            };
            for kr in kids.fields {
                self.walk_field(kr, &to_kids, depth + 1, walk)?;
            }
            if widgets.is_empty() {
                return Ok(());
            }
        }
        // A field without kids may be merged with its one widget (§12.7.4.1).
        if !kids.any && (dict.has_name("Subtype", "Widget") || dict.contains("Rect")) {
            widgets.push(self.widget(r, &dict)?);
        }
        let lock = self.lock(&dict)?;
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

    /// The field's `/Kids`: those with `/T` are fields; those without are widgets of this
    /// field.
    fn kids(&mut self, dict: &Dict) -> Result<Kids> {
        let kids = match dict.get("Kids") {
            Some(k) => match self.resolve(k)? {
                Object::Array(a) => a,
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let mut out = Kids {
            any: !kids.is_empty(),
            widgets: Vec::new(),
            fields: Vec::new(),
        };
        for kid in &kids {
            let Some(kr) = kid.as_reference() else {
                continue;
            };
            let kd = match self.resolve(kid)? {
                Object::Dict(d) => d,
                _ => continue,
            };
            if kd.contains("T") {
                out.fields.push(kr);
            } else {
                out.widgets.push(self.widget(kr, &kd)?);
            }
        }
        Ok(out)
    }

    /// `/Lock` of a signature field (§12.7.5.5), resolved; anything but a dictionary is none.
    fn lock(&mut self, dict: &Dict) -> Result<Option<Dict>> {
        Ok(match dict.get("Lock") {
            Some(l) => match self.resolve(l)? {
                Object::Dict(d) => Some(d),
                _ => None,
            },
            None => None,
        })
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
