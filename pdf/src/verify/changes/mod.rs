//! Changes after signing (ISO 32000-2 §7.5.6 incremental updates, §12.8.2 MDP; the attack
//! classes of `standards.md`): each later revision is compared, object by object, with the
//! revision before it, and every change must be explained by a [`ChangeRule`]. New objects
//! matter only where an explained change refers to them, so each rule also vets what it brings
//! in. Freed objects, changed page content, fonts, resources, redirected references and anything
//! else no rule names are disallowed.
//!
//! Work per revision is bounded by [`MAX_CHANGED_OBJECTS`].

mod rules;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek};

pub use rules::{ChangeRule, Permission};

use crate::object::{Dict, ObjRef, Object};
use crate::reader::{Budget, Revision, XrefEntry};
use crate::sigdict::is_document_timestamp;
use rules::{HARMLESS_ANNOTATIONS, MAX_NOTE_SIDE};

use super::input::{open_view, RevisionView};

/// Most objects one revision may change before the analysis gives up (fail closed).
pub const MAX_CHANGED_OBJECTS: usize = 200_000;
/// Most objects collected as part of the DSS.
const MAX_DSS_OBJECTS: usize = 100_000;

/// One change found in a revision.
#[derive(Debug, Clone)]
pub struct Change {
    pub revision: usize,
    /// The rule that explains it, with the permission it needs; `None` when no rule does.
    pub rule: Option<(ChangeRule, Permission)>,
    pub description: String,
}

/// The changes revision `k` (> 0) makes to revision `k - 1`.
pub fn analyse_revision<R: Read + Seek + Clone>(
    input: &R,
    revisions: &[Revision],
    k: usize,
    budget: &Budget,
) -> Vec<Change> {
    let mut a = Analysis {
        revision: k,
        changes: Vec::new(),
        structure: Vec::new(),
    };
    let mut entries: BTreeMap<u32, XrefEntry> = BTreeMap::new();
    for s in &revisions[k].sections {
        for (n, e) in s.entries.iter() {
            entries.entry(*n).or_insert(*e);
        }
    }
    entries.remove(&0);
    if entries.len() > MAX_CHANGED_OBJECTS {
        a.unexplained(format!(
            "the revision changes {} objects, more than the {MAX_CHANGED_OBJECTS} this verifier \
             analyses",
            entries.len()
        ));
        return a.changes;
    }
    let (mut prev, mut cur) = match (
        open_view(input, revisions, k - 1, budget),
        open_view(input, revisions, k, budget),
    ) {
        (Ok(p), Ok(c)) => (p, c),
        _ => {
            a.unexplained("the revision cannot be read".into());
            return a.changes;
        }
    };
    let roles = match Roles::build(&mut prev) {
        Ok(r) => r,
        Err(e) => {
            a.unexplained(format!(
                "the previous revision's structure cannot be read: {e}"
            ));
            return a.changes;
        }
    };
    a.trailer(&prev, &cur, &roles);
    let mut ctx = Ctx {
        prev: &mut prev,
        cur: &mut cur,
        roles: &roles,
    };
    for (num, entry) in entries {
        a.object(&mut ctx, num, entry);
    }
    a.settle_structure();
    a.settle_metadata();
    a.changes
}

struct Ctx<'a, R: Read + Seek + Clone> {
    prev: &'a mut RevisionView<R>,
    cur: &'a mut RevisionView<R>,
    roles: &'a Roles,
}

impl<R: Read + Seek + Clone> Ctx<'_, R> {
    /// Whether object `num` exists (in use) in the previous revision.
    fn existed(&self, num: u32) -> bool {
        matches!(
            self.prev.xref_entry(num),
            Some(XrefEntry::InFile { .. } | XrefEntry::InObjectStream { .. })
        )
    }

    fn cur_dict(&mut self, o: &Object) -> Option<Dict> {
        match self.cur.resolve(o).ok()? {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(s.dict),
            _ => None,
        }
    }

    fn cur_array(&mut self, o: Option<&Object>) -> Option<Vec<Object>> {
        match o {
            None => Some(Vec::new()),
            Some(o) => match self.cur.resolve(o).ok()? {
                Object::Array(a) => Some(a),
                Object::Null => Some(Vec::new()),
                _ => None,
            },
        }
    }
}

/// What the objects of the previous revision are.
#[derive(Default)]
struct Roles {
    catalog: Option<ObjRef>,
    acroform: Option<ObjRef>,
    fields_array: Option<ObjRef>,
    /// page object → 1-based page number
    pages: HashMap<u32, usize>,
    annots_arrays: HashMap<u32, usize>,
    /// terminal field object → (full name, is signature field, has value)
    fields: HashMap<u32, (String, bool, bool)>,
    /// separate widget object → its field's full name
    widgets: HashMap<u32, String>,
    signature_dicts: HashSet<u32>,
    dss: HashSet<u32>,
    info: Option<ObjRef>,
    metadata: Option<ObjRef>,
    /// `/Extensions` of the catalog, when indirect.
    extensions: Option<u32>,
    /// `/StructTreeRoot`, its `/ParentTree`, and the structure elements in its `/K`.
    struct_root: Option<u32>,
    parent_tree: Option<u32>,
    struct_top: HashSet<u32>,
}

impl Roles {
    fn build<R: Read + Seek>(v: &mut crate::reader::PdfReader<R>) -> crate::Result<Roles> {
        let mut roles = Roles {
            catalog: Some(v.catalog_ref()?),
            info: v.trailer().get("Info").and_then(Object::as_reference),
            ..Roles::default()
        };
        let catalog = v.catalog()?;
        roles.metadata = catalog.get("Metadata").and_then(Object::as_reference);
        if let Some(Object::Reference(r)) = catalog.get("AcroForm") {
            roles.acroform = Some(*r);
        }
        if let Some(acro) = v.acro_form()? {
            roles.fields_array = acro.get("Fields").and_then(Object::as_reference);
        }
        roles.extensions = catalog
            .get("Extensions")
            .and_then(Object::as_reference)
            .map(|r| r.num);
        if let Some(root) = catalog.get("StructTreeRoot") {
            roles.struct_root = root.as_reference().map(|r| r.num);
            if let Ok(Object::Dict(d)) = v.resolve(root) {
                roles.parent_tree = d
                    .get("ParentTree")
                    .and_then(Object::as_reference)
                    .map(|r| r.num);
                let top = match d.get("K") {
                    Some(Object::Array(a)) => a.clone(),
                    Some(k @ Object::Reference(_)) => vec![k.clone()],
                    _ => Vec::new(),
                };
                roles.struct_top = top
                    .iter()
                    .filter_map(Object::as_reference)
                    .map(|r| r.num)
                    .collect();
            }
        }
        for (i, r) in v.page_refs()?.into_iter().enumerate() {
            roles.pages.insert(r.num, i + 1);
            if let Ok(Object::Dict(p)) = v.get(r) {
                if let Some(Object::Reference(a)) = p.get("Annots") {
                    roles.annots_arrays.insert(a.num, i + 1);
                }
            }
        }
        for f in v.form_fields()? {
            if f.is_signature() {
                if let Some(Object::Reference(s)) = &f.value {
                    roles.signature_dicts.insert(s.num);
                }
            }
            for w in &f.widgets {
                if w.obj_ref != f.obj_ref {
                    roles.widgets.insert(w.obj_ref.num, f.full_name.clone());
                }
            }
            roles.fields.insert(
                f.obj_ref.num,
                (f.full_name.clone(), f.is_signature(), f.has_value()),
            );
        }
        if let Some(dss) = catalog.get("DSS") {
            collect_refs(v, dss, &mut roles.dss, 4);
        }
        Ok(roles)
    }
}

/// Every object reachable from `o` within `depth` levels (for the DSS: dict → arrays → streams).
fn collect_refs<R: Read + Seek>(
    v: &mut crate::reader::PdfReader<R>,
    o: &Object,
    out: &mut HashSet<u32>,
    depth: usize,
) {
    if out.len() >= MAX_DSS_OBJECTS {
        return;
    }
    let resolved = match o {
        Object::Reference(r) => {
            if !out.insert(r.num) || depth == 0 {
                return;
            }
            match v.get(*r) {
                Ok(x) => x,
                Err(_) => return,
            }
        }
        other => other.clone(),
    };
    match resolved {
        Object::Array(a) => a
            .iter()
            .for_each(|x| collect_refs(v, x, out, depth.saturating_sub(1))),
        Object::Dict(d) => d
            .iter()
            .for_each(|(_, x)| collect_refs(v, x, out, depth.saturating_sub(1))),
        _ => {}
    }
}

struct Analysis {
    revision: usize,
    changes: Vec<Change>,
    /// Structure tree and `/Tabs` updates, allowed only beside an allowed annotation or
    /// signature change of the same revision (see [`Analysis::settle_structure`]).
    structure: Vec<String>,
}

/// The rules whose changes a structure tree update may follow.
const STRUCTURE_COMPANIONS: [ChangeRule; 6] = [
    ChangeRule::PageAnnotsAppendWidget,
    ChangeRule::AnnotationUnderP3,
    ChangeRule::AnnotationRemoval,
    ChangeRule::AddSignatureField,
    ChangeRule::FillPreparedSignatureField,
    ChangeRule::AddDocTimeStamp,
];

fn key_name(k: &[u8]) -> String {
    String::from_utf8_lossy(k).into_owned()
}

/// Entries whose values differ: (key, old, new).
fn changed_keys(old: &Dict, new: &Dict) -> Vec<(String, Option<Object>, Option<Object>)> {
    let mut out = Vec::new();
    for (k, v) in old.iter() {
        let nv = new.iter().find(|(nk, _)| *nk == k).map(|(_, v)| v);
        if nv != Some(v) {
            out.push((key_name(k), Some(v.clone()), nv.cloned()));
        }
    }
    for (k, v) in new.iter() {
        if !old.iter().any(|(ok, _)| ok == k) {
            out.push((key_name(k), None, Some(v.clone())));
        }
    }
    out
}

fn rect_of(d: &Dict) -> Option<[f64; 4]> {
    let a = d.get("Rect")?.as_array()?;
    if a.len() != 4 {
        return None;
    }
    let v: Vec<f64> = a.iter().filter_map(Object::as_f64).collect();
    (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
}

/// Whether a widget or annotation shows anything: a non-empty rectangle and not hidden.
fn is_visible(d: &Dict) -> bool {
    let flags = d.get("F").and_then(Object::as_i64).unwrap_or(0);
    if flags & (2 | 32) != 0 {
        return false; // Hidden or NoView
    }
    match rect_of(d) {
        Some([x0, y0, x1, y1]) => (x1 - x0).abs() > 0.0 && (y1 - y0).abs() > 0.0,
        None => true, // no valid rectangle: cannot prove it is invisible
    }
}

fn subtype(d: &Dict) -> String {
    d.get("Subtype")
        .and_then(Object::as_name)
        .map(key_name)
        .unwrap_or_else(|| "untyped".into())
}

impl Analysis {
    fn unexplained(&mut self, description: String) {
        self.changes.push(Change {
            revision: self.revision,
            rule: None,
            description,
        });
    }

    fn allowed(&mut self, rule: ChangeRule, permission: Permission, description: String) {
        self.changes.push(Change {
            revision: self.revision,
            rule: Some((rule, permission)),
            description,
        });
    }

    /// Structure updates (tagged PDF: the new widget or annotation gets a structure element
    /// and a `/StructParent` entry in the parent tree; a page's tab order names how it is
    /// reached) are explained by the annotation or signature change they follow, and need
    /// that change's permission; alone, they are unexplained.
    fn settle_structure(&mut self) {
        let companion = self.changes.iter().find_map(|c| match &c.rule {
            Some((rule, permission)) if STRUCTURE_COMPANIONS.contains(rule) => {
                Some(permission.clone())
            }
            _ => None,
        });
        for what in std::mem::take(&mut self.structure) {
            match &companion {
                Some(permission) => self.allowed(
                    ChangeRule::StructureForAnnotation,
                    permission.clone(),
                    format!("{what}, for the annotation or signature added in this revision"),
                ),
                None => self.unexplained(format!(
                    "{what}, with no annotation or signature change it could follow"
                )),
            }
        }
    }

    /// An archiving tool that adds a DSS or a document timestamp also records itself in the
    /// document information and the XMP metadata (pyHanko does, and clears it at its
    /// LTA_UPDATES level). Beside validation data in the same revision, those updates count as
    /// part of it, so they pass a P=1 certification too; alone, they still need
    /// [`Permission::Metadata`].
    fn settle_metadata(&mut self) {
        let validation_data = self.changes.iter().any(|c| {
            matches!(
                c.rule,
                Some((ChangeRule::AddDss | ChangeRule::AddDocTimeStamp, _))
            )
        });
        if !validation_data {
            return;
        }
        for c in &mut self.changes {
            if let Some((ChangeRule::DocumentInfoUpdate | ChangeRule::MetadataUpdate, permission)) =
                &mut c.rule
            {
                *permission = Permission::ValidationData;
                c.description.push_str(", beside validation data");
            }
        }
    }

    fn trailer<R: Read + Seek>(
        &mut self,
        prev: &crate::reader::PdfReader<R>,
        cur: &crate::reader::PdfReader<R>,
        roles: &Roles,
    ) {
        let (p, c) = (prev.trailer(), cur.trailer());
        if p.get("Root") != c.get("Root") {
            self.unexplained("the trailer points to another document catalog (/Root)".into());
        }
        // Removed too: the newer revision would then read the encrypted objects undecrypted.
        if p.get("Encrypt") != c.get("Encrypt") {
            self.unexplained("the trailer adds, changes or removes /Encrypt".into());
        }
        if p.get("Info") != c.get("Info") && (roles.info.is_some() || c.get("Info").is_some()) {
            self.allowed(
                ChangeRule::DocumentInfoUpdate,
                Permission::Metadata,
                "the document information dictionary was replaced".into(),
            );
        }
    }

    fn object<R: Read + Seek + Clone>(&mut self, ctx: &mut Ctx<'_, R>, num: u32, entry: XrefEntry) {
        let existed = ctx.existed(num);
        let gen = match entry {
            XrefEntry::Free { .. } => {
                if existed {
                    self.unexplained(format!("{} was deleted", self.describe(ctx, num)));
                }
                return;
            }
            XrefEntry::InFile { gen, .. } => gen,
            XrefEntry::InObjectStream { .. } => 0,
        };
        let r = ObjRef::new(num, gen);
        let new = match ctx.cur.get(r) {
            Ok(o) => o,
            Err(e) => {
                self.unexplained(format!("object {num} of this revision cannot be read: {e}"));
                return;
            }
        };
        if !existed {
            // New objects count only where an explained change uses them, except a
            // linearization dictionary, which makes some readers take another revision.
            if new.as_dict().is_some_and(|d| d.contains("Linearized")) {
                self.unexplained(format!(
                    "a linearization dictionary (object {num}) was appended; readers that \
                     trust it read the document through another cross-reference section"
                ));
            }
            return;
        }
        let old_gen = match ctx.prev.xref_entry(num) {
            Some(XrefEntry::InFile { gen, .. }) => gen,
            _ => 0,
        };
        if old_gen != gen {
            self.unexplained(format!(
                "{} was replaced by a new generation",
                self.describe(ctx, num)
            ));
            return;
        }
        let old = match ctx.prev.get(r) {
            Ok(o) => o,
            Err(e) => {
                self.unexplained(format!(
                    "object {num} was redefined, and its earlier version cannot be read: {e}"
                ));
                return;
            }
        };
        if same_object(ctx, &old, &new) {
            return;
        }
        self.modified(ctx, num, old, new);
    }

    fn describe<R: Read + Seek + Clone>(&self, ctx: &Ctx<'_, R>, num: u32) -> String {
        let roles = ctx.roles;
        if roles.catalog.map(|c| c.num) == Some(num) {
            "the document catalog".into()
        } else if let Some(p) = roles.pages.get(&num) {
            format!("page {p}")
        } else if let Some(p) = roles.annots_arrays.get(&num) {
            format!("the annotation list of page {p}")
        } else if let Some((name, _, _)) = roles.fields.get(&num) {
            format!("form field '{name}'")
        } else if let Some(name) = roles.widgets.get(&num) {
            format!("a widget of form field '{name}'")
        } else if roles.signature_dicts.contains(&num) {
            format!("signature dictionary {num}")
        } else if roles.acroform.map(|a| a.num) == Some(num) {
            "the interactive form (/AcroForm)".into()
        } else {
            format!("object {num}")
        }
    }

    fn modified<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        num: u32,
        old: Object,
        new: Object,
    ) {
        let roles = ctx.roles;
        let what = self.describe(ctx, num);
        if roles.catalog.map(|c| c.num) == Some(num) {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n)) => self.catalog(ctx, &o, &n),
                _ => self.unexplained("the document catalog is no longer a dictionary".into()),
            };
        }
        if roles.acroform.map(|a| a.num) == Some(num) {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n)) => self.acroform(ctx, &o, &n),
                _ => self.unexplained(format!("{what} changed type")),
            };
        }
        if roles.fields_array.map(|a| a.num) == Some(num) {
            return match (old, new) {
                (Object::Array(o), Object::Array(n)) => self.fields_append(ctx, &o, &n),
                _ => self.unexplained("the form's field list changed type".into()),
            };
        }
        if let Some(&page) = roles.pages.get(&num) {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n)) => self.page(ctx, page, &o, &n),
                _ => self.unexplained(format!("page {page} changed type")),
            };
        }
        if let Some(&page) = roles.annots_arrays.get(&num) {
            return match (old, new) {
                (Object::Array(o), Object::Array(n)) => self.annots_append(ctx, page, &o, &n),
                _ => self.unexplained(format!("the annotation list of page {page} changed type")),
            };
        }
        if let Some((name, is_sig, _)) = roles.fields.get(&num).cloned() {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n)) => self.field(ctx, &name, is_sig, &o, &n),
                _ => self.unexplained(format!("form field '{name}' changed type")),
            };
        }
        if let Some(name) = roles.widgets.get(&num).cloned() {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n)) => self.widget(ctx, &name, &o, &n),
                _ => self.unexplained(format!("a widget of form field '{name}' changed type")),
            };
        }
        if roles.struct_root == Some(num) {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n)) => self.struct_root(ctx, &o, &n),
                _ => self.unexplained("the structure tree root changed type".into()),
            };
        }
        if roles.parent_tree == Some(num) {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n)) => {
                    match changed_keys(&o, &n)
                        .into_iter()
                        .find(|(k, _, _)| !matches!(k.as_str(), "Nums" | "Kids"))
                    {
                        Some((k, _, _)) => self
                            .unexplained(format!("the structure parent tree's /{k} was changed")),
                        None => self
                            .structure
                            .push("the structure parent tree (/ParentTree) was updated".into()),
                    }
                }
                _ => self.unexplained("the structure parent tree changed type".into()),
            };
        }
        if roles.struct_top.contains(&num) {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n)) => self.struct_element(ctx, num, &o, &n),
                _ => self.unexplained(format!("structure element {num} changed type")),
            };
        }
        if roles.extensions == Some(num) {
            return match (old, new) {
                (Object::Dict(o), Object::Dict(n))
                    if is_extensions(ctx.prev, &o) && is_extensions(ctx.cur, &n) =>
                {
                    self.allowed(
                        ChangeRule::CatalogVersionOrExtensions,
                        Permission::ValidationData,
                        "the catalog's developer extensions (/Extensions) were updated".into(),
                    )
                }
                _ => self.unexplained(
                    "the catalog's /Extensions object was changed into something else".into(),
                ),
            };
        }
        if roles.dss.contains(&num) {
            return self.allowed(
                ChangeRule::AddDss,
                Permission::ValidationData,
                format!("validation data in the DSS (object {num}) was extended"),
            );
        }
        // Only as what they are: an object shared with something drawn must not change under
        // these rules.
        if roles.info.map(|i| i.num) == Some(num) && matches!(new, Object::Dict(_)) {
            return self.allowed(
                ChangeRule::DocumentInfoUpdate,
                Permission::Metadata,
                "the document information (title, producer, dates) was updated".into(),
            );
        }
        let is_xmp = |o: &Object| match o {
            Object::Stream(s) => {
                s.dict.has_name("Type", "Metadata") && s.dict.has_name("Subtype", "XML")
            }
            _ => false,
        };
        if roles.metadata.map(|m| m.num) == Some(num) && is_xmp(&old) && is_xmp(&new) {
            return self.allowed(
                ChangeRule::MetadataUpdate,
                Permission::Metadata,
                "the XMP metadata stream was updated".into(),
            );
        }
        let kind = object_kind(&old);
        self.unexplained(format!("{what} ({kind}) was changed"))
    }

    fn catalog<R: Read + Seek + Clone>(&mut self, ctx: &mut Ctx<'_, R>, old: &Dict, new: &Dict) {
        for (key, o, n) in changed_keys(old, new) {
            match key.as_str() {
                "AcroForm" => match (o, n) {
                    (None, Some(n)) => self.new_acroform(ctx, &n),
                    (Some(Object::Dict(o)), Some(Object::Dict(n))) => self.acroform(ctx, &o, &n),
                    _ => self.unexplained(
                        "the catalog's /AcroForm was removed or points elsewhere".into(),
                    ),
                },
                "DSS" if n.is_some() => self.allowed(
                    ChangeRule::AddDss,
                    Permission::ValidationData,
                    "a Document Security Store (certificates, CRLs, OCSP responses) was added"
                        .into(),
                ),
                "Extensions"
                    if n.as_ref()
                        .and_then(|e| ctx.cur_dict(e))
                        .is_some_and(|d| is_extensions(ctx.cur, &d)) =>
                {
                    self.allowed(
                        ChangeRule::CatalogVersionOrExtensions,
                        Permission::ValidationData,
                        "developer extensions were declared (as PAdES validation data requires)"
                            .into(),
                    )
                }
                "Version" if n.as_ref().and_then(Object::as_name).is_some() => self.allowed(
                    ChangeRule::CatalogVersionOrExtensions,
                    Permission::ValidationData,
                    "the catalog's /Version was set".into(),
                ),
                "Metadata"
                    if n.as_ref()
                        .and_then(|m| ctx.cur.resolve(m).ok())
                        .is_some_and(|m| match m {
                            Object::Stream(s) => s.dict.has_name("Type", "Metadata"),
                            _ => false,
                        }) =>
                {
                    self.allowed(
                        ChangeRule::MetadataUpdate,
                        Permission::Metadata,
                        "the XMP metadata stream was replaced".into(),
                    )
                }
                other => self.unexplained(format!(
                    "the document catalog's /{other} was {}",
                    if n.is_none() { "removed" } else { "changed" }
                )),
            }
        }
    }

    /// An `/AcroForm` created after signing: only new signature fields in it.
    fn new_acroform<R: Read + Seek + Clone>(&mut self, ctx: &mut Ctx<'_, R>, value: &Object) {
        if let Object::Reference(r) = value {
            if ctx.existed(r.num) {
                return self.unexplained(
                    "an existing object was made the interactive form (/AcroForm)".into(),
                );
            }
        }
        let Some(d) = ctx.cur_dict(value) else {
            return self.unexplained("the new /AcroForm is not a dictionary".into());
        };
        for (k, _) in d.iter() {
            if !matches!(
                k,
                b"Fields" | b"SigFlags" | b"DA" | b"DR" | b"Q" | b"NeedAppearances"
            ) {
                return self.unexplained(format!("the new /AcroForm carries /{}", key_name(k)));
            }
        }
        let fields = match ctx.cur_array(d.get("Fields")) {
            Some(f) => f,
            None => return self.unexplained("the new /AcroForm /Fields is not an array".into()),
        };
        // Bookkeeping only: each field added is judged on its own by `fields_append`.
        self.allowed(
            ChangeRule::AcroFormUpdateForSignature,
            Permission::ValidationData,
            "an interactive form (/AcroForm) was created for a signature".into(),
        );
        if ["DA", "DR", "Q", "NeedAppearances"]
            .iter()
            .any(|k| d.contains(k))
        {
            self.allowed(
                ChangeRule::AcroFormDefaults,
                Permission::FormFilling(None),
                "the new /AcroForm carries default appearances or resources".into(),
            );
        }
        self.fields_append(ctx, &[], &fields);
    }

    fn acroform<R: Read + Seek + Clone>(&mut self, ctx: &mut Ctx<'_, R>, old: &Dict, new: &Dict) {
        for (key, o, n) in changed_keys(old, new) {
            match key.as_str() {
                "Fields" => {
                    let old_list = ctx_prev_array(ctx, o.as_ref());
                    let new_list = ctx.cur_array(n.as_ref());
                    match (old_list, new_list) {
                        (Some(a), Some(b)) => self.fields_append(ctx, &a, &b),
                        _ => self.unexplained("the form's /Fields is not an array".into()),
                    }
                }
                // Bookkeeping only (SignaturesExist, AppendOnly): the signature that goes
                // with it is judged on its own, so this is allowed wherever that one is.
                "SigFlags"
                    if n.as_ref()
                        .and_then(Object::as_i64)
                        .is_some_and(|f| (0..=3).contains(&f)) =>
                {
                    self.allowed(
                        ChangeRule::AcroFormUpdateForSignature,
                        Permission::ValidationData,
                        "the form's /SigFlags were set for signatures".into(),
                    )
                }
                "NeedAppearances" | "DA" | "DR" | "Q" => self.allowed(
                    ChangeRule::AcroFormDefaults,
                    Permission::FormFilling(None),
                    format!(
                        "the form's /{key} was {}",
                        if n.is_none() { "removed" } else { "changed" }
                    ),
                ),
                other => self.unexplained(format!("the form's /{other} was changed")),
            }
        }
    }

    /// The field list may only grow, by new signature fields; the fields it had keep their
    /// order (a new one may stand anywhere, as some writers put it first).
    fn fields_append<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        old: &[Object],
        new: &[Object],
    ) {
        let edit = match ListEdit::of(old, new) {
            Some(e) if e.removed.is_empty() => e,
            _ => {
                return self
                    .unexplained("form fields were removed from or reordered in the form".into())
            }
        };
        for item in edit.added {
            let Some(r) = item.as_reference() else {
                self.unexplained("a direct object was added as a form field".into());
                continue;
            };
            if ctx.existed(r.num) {
                self.unexplained(format!(
                    "object {} that already existed was added as a form field",
                    r.num
                ));
                continue;
            }
            let Some(d) = ctx.cur_dict(item) else {
                self.unexplained(format!("new form field {} is not a dictionary", r.num));
                continue;
            };
            let name = d
                .get("T")
                .and_then(Object::as_string)
                .map(crate::text::decode_text_string)
                .unwrap_or_default();
            if !d.has_name("FT", "Sig") {
                self.unexplained(format!(
                    "a new form field '{name}' (not a signature field) was added"
                ));
                continue;
            }
            if d.contains("Kids") {
                self.unexplained(format!(
                    "new signature field '{name}' has kids; only merged field widgets are accepted"
                ));
                continue;
            }
            let visible = is_visible(&d);
            let (rule, permission, what) = match d.get("V").map(|v| ctx.cur_dict(v)) {
                Some(Some(v)) if is_document_timestamp(&v) => (
                    ChangeRule::AddDocTimeStamp,
                    if visible {
                        Permission::NewSignatureField { visible }
                    } else {
                        Permission::ValidationData
                    },
                    "a document timestamp was added",
                ),
                Some(None) | Some(Some(_)) | None => (
                    ChangeRule::AddSignatureField,
                    Permission::NewSignatureField { visible },
                    if visible {
                        "a new visible signature field was added"
                    } else {
                        "a new invisible signature field was added"
                    },
                ),
            };
            self.allowed(rule, permission, format!("{what}: '{name}'"));
        }
    }

    fn page<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        page: usize,
        old: &Dict,
        new: &Dict,
    ) {
        for (key, o, n) in changed_keys(old, new) {
            if key == "Tabs" && n.as_ref().is_some_and(|t| t.as_name().is_some()) {
                self.structure
                    .push(format!("page {page}: the tab order (/Tabs) was set"));
                continue;
            }
            if key != "Annots" {
                self.unexplained(format!(
                    "page {page}: /{key} was {} (page content, resources or structure after \
                     signing)",
                    if n.is_none() { "removed" } else { "changed" }
                ));
                continue;
            }
            let old_list = ctx_prev_array(ctx, o.as_ref());
            if let Some(Object::Reference(r)) = &n {
                if ctx.existed(r.num) && o.as_ref() != n.as_ref() {
                    self.unexplained(format!(
                        "page {page}: /Annots now points to an object that already existed"
                    ));
                    continue;
                }
            }
            let new_list = ctx.cur_array(n.as_ref());
            match (old_list, new_list) {
                (Some(a), Some(b)) => self.annots_append(ctx, page, &a, &b),
                _ => self.unexplained(format!("page {page}: /Annots is not an array")),
            }
        }
    }

    /// The annotation list may only grow, by new signature widgets or (at P=3 or without
    /// certification) small note annotations; and lose (at P=3 or without certification)
    /// comments or invisible annotations. What it keeps stays in its signed order.
    fn annots_append<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        page: usize,
        old: &[Object],
        new: &[Object],
    ) {
        let Some(edit) = ListEdit::of(old, new) else {
            return self.unexplained(format!(
                "page {page}: annotations were reordered (this can uncover or hide content)"
            ));
        };
        for item in edit.removed {
            if let Err(why) = self.annotation_removed(ctx, page, item) {
                return self.unexplained(format!(
                    "page {page}: annotations were removed or reordered (this can uncover or \
                     hide content): {why}"
                ));
            }
        }
        for item in edit.added {
            let Some(r) = item.as_reference() else {
                self.unexplained(format!("page {page}: a direct annotation was added"));
                continue;
            };
            if ctx.existed(r.num) {
                self.unexplained(format!(
                    "page {page}: object {} that existed when signed was made an annotation \
                     (hide-and-replace)",
                    r.num
                ));
                continue;
            }
            let Some(d) = ctx.cur_dict(item) else {
                self.unexplained(format!(
                    "page {page}: new annotation {} is not a dictionary",
                    r.num
                ));
                continue;
            };
            let sub = subtype(&d);
            if sub == "Widget" {
                let is_sig = d.has_name("FT", "Sig")
                    || d.get("Parent")
                        .and_then(|p| ctx.cur_dict(p))
                        .is_some_and(|p| p.has_name("FT", "Sig"));
                let parent = d.get("Parent").and_then(|p| ctx.cur_dict(p));
                let value = d
                    .get("V")
                    .or_else(|| parent.as_ref().and_then(|p| p.get("V")))
                    .cloned();
                let doc_ts = value
                    .and_then(|v| ctx.cur_dict(&v))
                    .is_some_and(|v| is_document_timestamp(&v));
                if is_sig {
                    let visible = is_visible(&d);
                    self.allowed(
                        ChangeRule::PageAnnotsAppendWidget,
                        if doc_ts && !visible {
                            Permission::ValidationData
                        } else {
                            Permission::NewSignatureField { visible }
                        },
                        format!(
                            "page {page}: the {} widget of a new signature field was added",
                            if visible { "visible" } else { "invisible" }
                        ),
                    );
                } else {
                    self.unexplained(format!(
                        "page {page}: a widget of a new (non-signature) form field was added"
                    ));
                }
                continue;
            }
            if harmless_annotation(&d, &sub) {
                self.allowed(
                    ChangeRule::AnnotationUnderP3,
                    Permission::Annotation,
                    format!("page {page}: a {sub} annotation was added"),
                );
            } else {
                self.unexplained(format!(
                    "page {page}: a {sub} annotation that can cover page content was added"
                ));
            }
        }
    }

    /// An annotation taken off a page: allowed (needing [`Permission::Annotation`]) for a
    /// comment that covers nothing or an invisible annotation; `Err` says why not.
    fn annotation_removed<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        page: usize,
        item: &Object,
    ) -> Result<(), String> {
        let d = match ctx.prev.resolve(item) {
            Ok(Object::Dict(d)) => d,
            _ => return Err("an annotation that is not a dictionary was removed".into()),
        };
        let sub = subtype(&d);
        if sub == "Widget" || d.contains("FT") {
            return Err("a form field's widget was removed".into());
        }
        if !harmless_annotation(&d, &sub) && is_visible(&d) {
            return Err(format!(
                "a {sub} annotation that may cover content was removed"
            ));
        }
        self.allowed(
            ChangeRule::AnnotationRemoval,
            Permission::Annotation,
            format!("page {page}: a {sub} annotation was removed"),
        );
        Ok(())
    }

    /// `/StructTreeRoot` may change its `/K` (by appending), `/ParentTree` and
    /// `/ParentTreeNextKey`, beside an annotation or signature change.
    fn struct_root<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        old: &Dict,
        new: &Dict,
    ) {
        for (key, o, n) in changed_keys(old, new) {
            match key.as_str() {
                "K" => {
                    if let Err(why) = kids_appended(ctx, o.as_ref(), n.as_ref()) {
                        return self.unexplained(format!("the structure tree root: {why}"));
                    }
                    self.structure
                        .push("the structure tree root's /K was extended".into());
                }
                "ParentTree" if n.as_ref().is_some_and(|p| ctx.cur_dict(p).is_some()) => self
                    .structure
                    .push("the structure tree root's /ParentTree was replaced".into()),
                "ParentTreeNextKey" if n.as_ref().and_then(Object::as_i64).is_some() => self
                    .structure
                    .push("the structure tree root's /ParentTreeNextKey was raised".into()),
                other => {
                    return self
                        .unexplained(format!("the structure tree root's /{other} was changed"))
                }
            }
        }
    }

    /// A top-level structure element may only gain kids at the end of its `/K`.
    fn struct_element<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        num: u32,
        old: &Dict,
        new: &Dict,
    ) {
        for (key, o, n) in changed_keys(old, new) {
            if key != "K" {
                return self.unexplained(format!("structure element {num}: /{key} was changed"));
            }
            if let Err(why) = kids_appended(ctx, o.as_ref(), n.as_ref()) {
                return self.unexplained(format!("structure element {num}: {why}"));
            }
            self.structure
                .push(format!("structure element {num} gained a kid"));
        }
    }

    fn field<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        name: &str,
        is_sig: bool,
        old: &Dict,
        new: &Dict,
    ) {
        let changes = changed_keys(old, new);
        let value_changed = changes.iter().any(|(k, _, _)| k == "V");
        let mut parts = Vec::new();
        for (key, o, n) in &changes {
            match key.as_str() {
                "V" if is_sig => {
                    let was_empty = matches!(o, None | Some(Object::Null));
                    let new_sig = n.as_ref().and_then(|v| ctx.cur_dict(v));
                    let fresh = n
                        .as_ref()
                        .and_then(Object::as_reference)
                        .is_some_and(|r| !ctx.existed(r.num));
                    match (was_empty, new_sig, fresh) {
                        (true, Some(sig), true) if is_document_timestamp(&sig) => {
                            parts.push((ChangeRule::AddDocTimeStamp, "a document timestamp"))
                        }
                        (true, Some(_), true) => {
                            parts.push((ChangeRule::FillPreparedSignatureField, "signed"))
                        }
                        _ => {
                            return self.unexplained(format!(
                                "the signature in field '{name}' was replaced or removed"
                            ))
                        }
                    }
                }
                "V" => parts.push((ChangeRule::FormValueOnUnlockedField, "value changed")),
                "AP" | "AS" if value_changed => {}
                "Lock" if is_sig && value_changed && o.is_none() => {}
                "AP" | "AS" => {
                    return self.unexplained(format!(
                        "the appearance of field '{name}' changed without a change of its value"
                    ))
                }
                other => {
                    return self.unexplained(format!("form field '{name}': /{other} was changed"))
                }
            }
        }
        for (rule, what) in parts {
            let permission = match rule {
                ChangeRule::FormValueOnUnlockedField => {
                    Permission::FormFilling(Some(name.to_string()))
                }
                ChangeRule::AddDocTimeStamp => Permission::ValidationData,
                _ => Permission::Signing(Some(name.to_string())),
            };
            self.allowed(rule, permission, format!("field '{name}': {what}"));
        }
    }

    fn widget<R: Read + Seek + Clone>(
        &mut self,
        ctx: &mut Ctx<'_, R>,
        name: &str,
        old: &Dict,
        new: &Dict,
    ) {
        let value_changed = field_value_changed(ctx, name);
        for (key, _, _) in changed_keys(old, new) {
            if !(value_changed && matches!(key.as_str(), "AP" | "AS")) {
                return self.unexplained(format!(
                    "a widget of field '{name}': /{key} changed{}",
                    if value_changed {
                        ""
                    } else {
                        " without a change of the field's value"
                    }
                ));
            }
        }
        self.allowed(
            ChangeRule::FormValueOnUnlockedField,
            Permission::FormFilling(Some(name.to_string())),
            format!("field '{name}': the appearance follows the new value"),
        );
    }
}

/// A developer extensions dictionary (ISO 32000-2 §7.12): each entry an extension dictionary
/// (with `/BaseVersion` and `/ExtensionLevel`) or an array of them, and nothing else, so that
/// no object that draws anything can pass for one.
fn is_extensions<R: Read + Seek + Clone>(view: &mut RevisionView<R>, d: &Dict) -> bool {
    let one = |o: &Object, view: &mut RevisionView<R>| match view.resolve(o) {
        Ok(Object::Dict(e)) => e.contains("BaseVersion") && e.contains("ExtensionLevel"),
        _ => false,
    };
    d.iter().count() <= 64
        && d.iter().all(|(_, v)| match view.resolve(v) {
            Ok(Object::Array(a)) => a.len() <= 64 && a.iter().all(|e| one(e, view)),
            Ok(Object::Dict(_)) => one(v, view),
            _ => false,
        })
}

/// A note, popup or link that cannot hide page content: small, or a popup, or a link without
/// an appearance of its own.
/// How a later revision's array (`/Annots`, `/Fields`) differs from the signed one: entries
/// removed, and entries added anywhere, while the entries kept stay in their signed order.
/// Reordering what was signed changes which annotation is drawn over which, so it has no
/// reading here (`None`); inserting a new entry before old ones does not (pyHanko and EU DSS
/// compare these arrays as sets).
struct ListEdit<'a> {
    removed: Vec<&'a Object>,
    added: Vec<&'a Object>,
}

impl<'a> ListEdit<'a> {
    fn of(old: &'a [Object], new: &'a [Object]) -> Option<Self> {
        let mut next_old = 0;
        let mut edit = ListEdit {
            removed: Vec::new(),
            added: Vec::new(),
        };
        for item in new {
            match old.iter().position(|o| o == item) {
                Some(at) if at >= next_old => {
                    edit.removed.extend(&old[next_old..at]);
                    next_old = at + 1;
                }
                // An entry of the signed array that moved before one it followed.
                Some(_) => return None,
                None => edit.added.push(item),
            }
        }
        edit.removed.extend(&old[next_old..]);
        Some(edit)
    }
}

fn harmless_annotation(d: &Dict, sub: &str) -> bool {
    let small = rect_of(d).is_some_and(|[x0, y0, x1, y1]| {
        (x1 - x0).abs() <= MAX_NOTE_SIDE && (y1 - y0).abs() <= MAX_NOTE_SIDE
    });
    HARMLESS_ANNOTATIONS.contains(&sub.as_bytes())
        && (sub == "Popup" || small || (sub == "Link" && !d.contains("AP")))
}

/// A structure `/K` (one kid or an array of kids) that keeps its kids in order and adds only
/// new objects after them; `Err` says what else happened.
fn kids_appended<R: Read + Seek + Clone>(
    ctx: &mut Ctx<'_, R>,
    old: Option<&Object>,
    new: Option<&Object>,
) -> Result<(), String> {
    let as_list = |o: Option<&Object>| -> Vec<Object> {
        match o {
            None | Some(Object::Null) => Vec::new(),
            Some(Object::Array(a)) => a.clone(),
            Some(other) => vec![other.clone()],
        }
    };
    let (old, new) = (as_list(old), as_list(new));
    if new.len() < old.len() || new[..old.len()] != *old {
        return Err("/K lost or reordered kids".into());
    }
    for kid in &new[old.len()..] {
        match kid {
            Object::Reference(r) if !ctx.existed(r.num) => {}
            _ => return Err("/K gained a kid that is not a new structure element".into()),
        }
    }
    Ok(())
}

fn ctx_prev_array<R: Read + Seek + Clone>(
    ctx: &mut Ctx<'_, R>,
    o: Option<&Object>,
) -> Option<Vec<Object>> {
    match o {
        None => Some(Vec::new()),
        Some(o) => match ctx.prev.resolve(o).ok()? {
            Object::Array(a) => Some(a),
            Object::Null => Some(Vec::new()),
            _ => None,
        },
    }
}

fn field_value_changed<R: Read + Seek + Clone>(ctx: &mut Ctx<'_, R>, name: &str) -> bool {
    let value = |v: &mut RevisionView<R>| -> Option<Option<Object>> {
        Some(v.form_field(name).ok()??.value)
    };
    let (a, b) = (value(ctx.prev), value(ctx.cur));
    a.is_some() && b.is_some() && a != b
}

fn object_kind(o: &Object) -> String {
    let d = match o {
        Object::Dict(d) => d,
        Object::Stream(s) => &s.dict,
        other => return other.type_name().to_string(),
    };
    let ty = d.get("Type").and_then(Object::as_name).map(key_name);
    let sub = d.get("Subtype").and_then(Object::as_name).map(key_name);
    match (ty, sub, o) {
        (Some(t), Some(s), _) => format!("{t} {s}"),
        (Some(t), None, _) => t,
        (None, Some(s), _) => s,
        (None, None, Object::Stream(_)) => "a stream, e.g. page content".into(),
        _ => "a dictionary".into(),
    }
}

/// Same object, comparing stream data by its bytes rather than its position.
fn same_object<R: Read + Seek + Clone>(ctx: &mut Ctx<'_, R>, old: &Object, new: &Object) -> bool {
    match (old, new) {
        (Object::Stream(a), Object::Stream(b)) => {
            if a.dict != b.dict {
                return false;
            }
            match (ctx.prev.stream_raw(a), ctx.cur.stream_raw(b)) {
                (Ok(x), Ok(y)) => x == y,
                _ => false,
            }
        }
        _ => old == new,
    }
}
