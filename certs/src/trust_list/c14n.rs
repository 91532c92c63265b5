//! Canonical XML 1.0 (W3C REC-xml-c14n-20010315) and Exclusive XML Canonicalization 1.0
//! (REC-xml-exc-c14n-20020718) of the document subsets an enveloped XML signature uses: the
//! whole document or one element's subtree, less one excluded subtree (the signature itself).
//!
//! Written by hand because no kept pure-Rust crate fitted (see `dsig.rs`); it covers exactly
//! those subsets, which are whole subtrees, so each element's output parent is its parent and
//! a namespace declaration is rendered where its binding differs from what the output
//! ancestors rendered. C14N 1.1 and XPath-selected subsets are not supported (the caller
//! refuses them).

use std::collections::BTreeMap;

use super::xml::{Document, Element, Node, XML_NS};

/// The canonicalization algorithms an XML signature may name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Method {
    /// Canonical XML 1.0: every in-scope namespace, xml:* attributes inherited at the apex.
    Inclusive { comments: bool },
    /// Exclusive C14N: only visibly utilized namespaces, plus those of the
    /// InclusiveNamespaces PrefixList (`""` for `#default`).
    Exclusive {
        comments: bool,
        inclusive_prefixes: Vec<String>,
    },
}

pub(super) const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub(super) const C14N_COMMENTS: &str =
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
pub(super) const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub(super) const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";

impl Method {
    /// The method an `Algorithm` URI names, with the PrefixList of its InclusiveNamespaces
    /// child (exclusive only); `None` for anything else.
    pub fn from_uri(uri: &str, prefix_list: Option<&str>) -> Option<Method> {
        let prefixes = || {
            prefix_list
                .unwrap_or("")
                .split_ascii_whitespace()
                .map(|p| if p == "#default" { "" } else { p }.to_string())
                .collect()
        };
        match uri {
            C14N => Some(Method::Inclusive { comments: false }),
            C14N_COMMENTS => Some(Method::Inclusive { comments: true }),
            EXC_C14N => Some(Method::Exclusive {
                comments: false,
                inclusive_prefixes: prefixes(),
            }),
            EXC_C14N_COMMENTS => Some(Method::Exclusive {
                comments: true,
                inclusive_prefixes: prefixes(),
            }),
            _ => None,
        }
    }

    fn comments(&self) -> bool {
        match self {
            Method::Inclusive { comments } | Method::Exclusive { comments, .. } => *comments,
        }
    }
}

/// Where the canonicalized subset starts.
#[derive(Clone, Copy)]
pub(super) enum Apex<'a> {
    /// The document node: root element plus the instructions (and comments) around it.
    Document,
    /// One element and its descendants.
    Element(&'a Element),
}

/// A document subset: the nodes under `apex`, less the subtree of `excluded`; comments only
/// when `comments` holds and the method keeps them.
#[derive(Clone, Copy)]
pub(super) struct Subset<'a> {
    pub apex: Apex<'a>,
    pub excluded: Option<&'a Element>,
    pub comments: bool,
}

/// The canonical form of `subset` of `doc` under `method`.
pub(super) fn canonicalize(doc: &Document, subset: Subset<'_>, method: &Method) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        method,
        subset,
        comments: subset.comments && method.comments(),
    };
    let top = Context::default();
    match subset.apex {
        Apex::Document => {
            for n in &doc.prolog {
                if w.misc(n) {
                    w.out.push(b'\n');
                }
            }
            w.element(&doc.root, &top, Some(&BTreeMap::new()));
            for n in &doc.epilog {
                if w.wants(n) {
                    w.out.push(b'\n');
                    w.misc(n);
                }
            }
        }
        Apex::Element(_) => w.element(&doc.root, &top, None),
    }
    w.out
}

/// Namespace bindings by prefix (`""` for the default namespace, whose URI `""` means none).
type Bindings = BTreeMap<String, String>;

/// What an element inherits: its in-scope namespaces and the xml:* attributes of its
/// ancestors (C14N 1.0 copies those onto the apex).
#[derive(Clone, Default)]
struct Context {
    in_scope: Bindings,
    xml_attributes: BTreeMap<String, String>,
}

struct Writer<'a> {
    out: Vec<u8>,
    method: &'a Method,
    subset: Subset<'a>,
    comments: bool,
}

impl Writer<'_> {
    /// Visits `e` under `parent`. `rendered` is what the output ancestors rendered, `None`
    /// while the apex has not been reached (nothing is written then).
    fn element(&mut self, e: &Element, parent: &Context, rendered: Option<&Bindings>) {
        if self.subset.excluded.is_some_and(|x| std::ptr::eq(x, e)) {
            return;
        }
        let mut ctx = parent.clone();
        for (prefix, uri) in &e.ns_decls {
            ctx.in_scope
                .insert(prefix.clone().unwrap_or_default(), uri.clone());
        }
        let is_apex = matches!(self.subset.apex, Apex::Element(a) if std::ptr::eq(a, e));
        let rendered = match rendered {
            Some(r) => r,
            None if is_apex => &BTreeMap::new(),
            None => {
                for a in e.attributes.iter().filter(|a| is_xml(a.ns.as_deref())) {
                    ctx.xml_attributes.insert(a.local.clone(), a.value.clone());
                }
                for child in e.elements() {
                    self.element(child, &ctx, None);
                }
                return;
            }
        };
        let declared = self.namespaces(e, &ctx.in_scope, rendered);
        let mut now_rendered = rendered.clone();
        now_rendered.extend(declared.clone());
        self.start_tag(e, &declared, is_apex.then_some(&ctx.xml_attributes));
        for child in &e.children {
            match child {
                Node::Element(c) => self.element(c, &ctx, Some(&now_rendered)),
                Node::Text(t) => escape_text(&mut self.out, t),
                other => {
                    self.misc(other);
                }
            }
        }
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(e.qname.as_bytes());
        self.out.push(b'>');
    }

    /// The namespace declarations `e` renders, sorted by prefix (default first).
    fn namespaces(&self, e: &Element, in_scope: &Bindings, rendered: &Bindings) -> Bindings {
        let differs = |prefix: &str, uri: &str| match (prefix, rendered.get(prefix)) {
            ("", r) => r.map_or("", String::as_str) != uri,
            (_, r) => r.map(String::as_str) != Some(uri),
        };
        let candidates: Vec<String> = match self.method {
            Method::Inclusive { .. } => in_scope.keys().cloned().collect(),
            Method::Exclusive {
                inclusive_prefixes, ..
            } => {
                let mut used = vec![e.prefix.clone().unwrap_or_default()];
                used.extend(
                    e.attributes
                        .iter()
                        .filter_map(|a| a.qname.split_once(':').map(|(p, _)| p.to_string())),
                );
                used.extend(inclusive_prefixes.iter().cloned());
                used
            }
        };
        let mut out = Bindings::new();
        for prefix in candidates {
            if prefix == "xml" {
                continue;
            }
            let uri = match in_scope.get(&prefix) {
                Some(u) => u.as_str(),
                None if prefix.is_empty() => "",
                None => continue,
            };
            if differs(&prefix, uri) {
                out.insert(prefix, uri.to_string());
            }
        }
        out
    }

    /// `<name xmlns…="…" attributes…>`, attributes sorted by namespace URI then local name;
    /// at the apex of an inclusive canonicalization the inherited xml:* attributes too.
    fn start_tag(
        &mut self,
        e: &Element,
        declared: &Bindings,
        inherited_xml: Option<&BTreeMap<String, String>>,
    ) {
        self.out.push(b'<');
        self.out.extend_from_slice(e.qname.as_bytes());
        for (prefix, uri) in declared {
            self.out.extend_from_slice(b" xmlns");
            if !prefix.is_empty() {
                self.out.push(b':');
                self.out.extend_from_slice(prefix.as_bytes());
            }
            self.out.extend_from_slice(b"=\"");
            escape_attribute(&mut self.out, uri);
            self.out.push(b'"');
        }
        let mut attributes: Vec<(&str, &str, String, &str)> = e
            .attributes
            .iter()
            .map(|a| {
                (
                    a.ns.as_deref().unwrap_or(""),
                    a.local.as_str(),
                    a.qname.clone(),
                    a.value.as_str(),
                )
            })
            .collect();
        if let (Some(inherited), Method::Inclusive { .. }) = (inherited_xml, self.method) {
            for (local, value) in inherited {
                if !attributes
                    .iter()
                    .any(|(ns, l, _, _)| *ns == XML_NS && l == local)
                {
                    attributes.push((XML_NS, local, format!("xml:{local}"), value));
                }
            }
        }
        attributes.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, _, qname, value) in attributes {
            self.out.push(b' ');
            self.out.extend_from_slice(qname.as_bytes());
            self.out.extend_from_slice(b"=\"");
            escape_attribute(&mut self.out, value);
            self.out.push(b'"');
        }
        self.out.push(b'>');
    }

    /// Whether a comment or instruction is part of the output.
    fn wants(&self, n: &Node) -> bool {
        match n {
            Node::Comment(_) => self.comments,
            Node::Instruction { .. } => true,
            _ => false,
        }
    }

    /// Writes a comment or instruction if it is part of the output; whether it was.
    fn misc(&mut self, n: &Node) -> bool {
        if !self.wants(n) {
            return false;
        }
        match n {
            Node::Comment(c) => {
                self.out.extend_from_slice(b"<!--");
                self.out.extend_from_slice(c.as_bytes());
                self.out.extend_from_slice(b"-->");
            }
            Node::Instruction { target, data } => {
                self.out.extend_from_slice(b"<?");
                self.out.extend_from_slice(target.as_bytes());
                if !data.is_empty() {
                    self.out.push(b' ');
                    self.out.extend_from_slice(data.as_bytes());
                }
                self.out.extend_from_slice(b"?>");
            }
            _ => {}
        }
        true
    }
}

fn is_xml(ns: Option<&str>) -> bool {
    ns == Some(XML_NS)
}

/// Text nodes: `&`, `<`, `>` and carriage return escaped (C14N 1.0 §2.3).
fn escape_text(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
}

/// Attribute values: `&`, `<`, `"`, tab, line feed and carriage return escaped.
fn escape_attribute(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\t' => out.extend_from_slice(b"&#x9;"),
            '\n' => out.extend_from_slice(b"&#xA;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust_list::xml::parse;

    fn c14n(xml: &str, method: &Method) -> String {
        let doc = parse(xml.as_bytes()).unwrap();
        let subset = Subset {
            apex: Apex::Document,
            excluded: None,
            comments: true,
        };
        String::from_utf8(canonicalize(&doc, subset, method)).unwrap()
    }

    fn inclusive() -> Method {
        Method::Inclusive { comments: false }
    }

    fn exclusive() -> Method {
        Method::Exclusive {
            comments: false,
            inclusive_prefixes: Vec::new(),
        }
    }

    // Cases of C14N 1.0 §3 (written anew, not copied): empty elements, attribute order,
    // escaping, superfluous declarations, xml declaration and comments dropped.
    #[test]
    fn canonical_form_of_elements_attributes_and_text() {
        let xml = "<?xml version=\"1.0\"?>\n<!-- c --><?pi  data?>\n<doc xmlns:b=\"urn:b\" \
                   xmlns:a=\"urn:a\" z=\"1\" b:y=\"2\" a:x=\"3\" w='&quot;\t&#9;'>\r\n\
                   <e/><f b:q=\"1\" xmlns:b=\"urn:b\">a &lt; b &amp; c &gt; d&#13;<![CDATA[<x>]]></f>\
                   </doc><!-- after --><?end?>";
        assert_eq!(
            c14n(xml, &inclusive()),
            "<?pi data?>\n<doc xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" w=\"&quot; &#x9;\" z=\"1\" \
             a:x=\"3\" b:y=\"2\">\n<e></e><f b:q=\"1\">a &lt; b &amp; c &gt; d&#xD;&lt;x&gt;</f>\
             </doc>\n<?end?>"
        );
    }

    #[test]
    fn default_namespace_undeclared_only_where_it_changes() {
        let xml = "<a xmlns=\"urn:x\"><b xmlns=\"\"><c xmlns=\"\"/></b><d xmlns=\"urn:x\"/></a>";
        let want = "<a xmlns=\"urn:x\"><b xmlns=\"\"><c></c></b><d></d></a>";
        assert_eq!(c14n(xml, &inclusive()), want);
        assert_eq!(c14n(xml, &exclusive()), want);
    }

    #[test]
    fn exclusive_renders_only_visibly_utilized_namespaces() {
        let xml = "<p:a xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" xmlns:r=\"urn:r\">\
                   <q:b r:at=\"1\"/><p:c/></p:a>";
        assert_eq!(
            c14n(xml, &exclusive()),
            "<p:a xmlns:p=\"urn:p\"><q:b xmlns:q=\"urn:q\" xmlns:r=\"urn:r\" r:at=\"1\"></q:b>\
             <p:c></p:c></p:a>"
        );
        let with_list = Method::Exclusive {
            comments: false,
            inclusive_prefixes: vec!["r".into()],
        };
        assert_eq!(
            c14n(xml, &with_list),
            "<p:a xmlns:p=\"urn:p\" xmlns:r=\"urn:r\"><q:b xmlns:q=\"urn:q\" r:at=\"1\"></q:b>\
             <p:c></p:c></p:a>"
        );
    }

    #[test]
    fn a_subtree_carries_its_inherited_namespaces_and_xml_attributes() {
        let xml = "<a xmlns=\"urn:x\" xmlns:p=\"urn:p\" xml:lang=\"zh\"><p:b><c/></p:b></a>";
        let doc = parse(xml.as_bytes()).unwrap();
        let b = doc.root.elements().next().unwrap();
        let subset = Subset {
            apex: Apex::Element(b),
            excluded: None,
            comments: false,
        };
        assert_eq!(
            String::from_utf8(canonicalize(&doc, subset, &inclusive())).unwrap(),
            "<p:b xmlns=\"urn:x\" xmlns:p=\"urn:p\" xml:lang=\"zh\"><c></c></p:b>"
        );
        assert_eq!(
            String::from_utf8(canonicalize(&doc, subset, &exclusive())).unwrap(),
            "<p:b xmlns:p=\"urn:p\"><c xmlns=\"urn:x\"></c></p:b>"
        );
    }

    #[test]
    fn the_excluded_subtree_leaves_its_surroundings() {
        let xml = "<a>\n  <sig><x/></sig>\n</a>";
        let doc = parse(xml.as_bytes()).unwrap();
        let sig = doc.root.elements().next().unwrap();
        let subset = Subset {
            apex: Apex::Document,
            excluded: Some(sig),
            comments: false,
        };
        assert_eq!(
            String::from_utf8(canonicalize(&doc, subset, &exclusive())).unwrap(),
            "<a>\n  \n</a>"
        );
    }
}
