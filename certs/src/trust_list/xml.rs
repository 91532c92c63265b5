//! A namespace-resolved XML tree of one trusted list, read with quick-xml under limits (depth,
//! node count; DOCTYPE refused, so no entity expansion). The same tree is canonicalized for the
//! signature check and read for the list's content, so what is read is exactly what was signed:
//! no second parser can see the bytes differently.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::TrustListError;

/// Deepest element nesting accepted; trusted lists nest about a dozen levels.
pub(super) const MAX_DEPTH: usize = 64;
/// Most elements, attributes, text runs, comments and instructions accepted in one list.
pub(super) const MAX_NODES: usize = 200_000;
/// Most attributes on one element, and most namespace bindings in scope at once: lists use a
/// handful. Canonicalization copies the bindings per element and checks attributes pairwise,
/// so these bounds keep a hostile list's cost linear in its size.
pub(super) const MAX_ATTRIBUTES: usize = 64;
pub(super) const MAX_BINDINGS: usize = 64;

/// The namespace of the `xml:` prefix, bound by definition.
pub(super) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// One attribute (namespace declarations are kept apart, in [`Element::ns_decls`]).
#[derive(Debug)]
pub(super) struct Attribute {
    /// The name as written (`prefix:local` or `local`).
    pub qname: String,
    pub local: String,
    /// The namespace URI of its prefix; unprefixed attributes have none.
    pub ns: Option<String>,
    /// The normalized value (XML 1.0 §3.3.3), references resolved.
    pub value: String,
}

#[derive(Debug)]
pub(super) struct Element {
    pub qname: String,
    pub prefix: Option<String>,
    pub local: String,
    pub ns: Option<String>,
    /// Namespace declarations on this element, in document order: (prefix, URI), the default
    /// namespace with prefix `None` and URI `""` for `xmlns=""`.
    pub ns_decls: Vec<(Option<String>, String)>,
    pub attributes: Vec<Attribute>,
    pub children: Vec<Node>,
}

#[derive(Debug)]
pub(super) enum Node {
    Element(Element),
    /// Character data, line ends normalized and references resolved (CDATA included).
    Text(String),
    Comment(String),
    Instruction {
        target: String,
        data: String,
    },
}

/// A parsed document: the nodes before the root element, the root, the nodes after it
/// (comments and processing instructions only).
#[derive(Debug)]
pub(super) struct Document {
    pub prolog: Vec<Node>,
    pub root: Element,
    pub epilog: Vec<Node>,
}

impl Element {
    /// Whether this element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// The child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The child elements named `{ns}local`.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(ns, local))
    }

    /// The first child element named `{ns}local`.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    /// The value of the unprefixed attribute `local`.
    pub fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.is_none() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// The character data directly inside this element, concatenated (comments excluded).
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Parses `xml` (UTF-8, an optional byte order mark) into a tree.
pub(super) fn parse(xml: &[u8]) -> Result<Document, TrustListError> {
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let text = std::str::from_utf8(xml)
        .map_err(|e| TrustListError::Xml(format!("not UTF-8 (at byte {})", e.valid_up_to())))?;
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.expand_empty_elements = false;
    let mut builder = Builder::default();
    loop {
        let event = reader.read_event().map_err(|e| {
            TrustListError::Xml(format!("{e} (at byte {})", reader.error_position()))
        })?;
        if !builder.event(event)? {
            break;
        }
    }
    builder.finish()
}

/// Builds the tree from quick-xml's events, resolving namespaces as it goes.
#[derive(Default)]
struct Builder {
    /// Open elements, innermost last.
    open: Vec<Element>,
    /// In-scope namespace bindings, innermost last: (prefix, URI, depth declared at).
    scope: Vec<(Option<String>, String, usize)>,
    prolog: Vec<Node>,
    root: Option<Element>,
    epilog: Vec<Node>,
    nodes: usize,
}

impl Builder {
    /// Takes one event; `false` at the end of the input.
    fn event(&mut self, event: Event<'_>) -> Result<bool, TrustListError> {
        self.count()?;
        match event {
            Event::Decl(d) => {
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(|e| TrustListError::Xml(e.to_string()))?;
                    if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                        return Err(TrustListError::Xml(format!(
                            "encoding '{enc}' is not read; trusted lists are UTF-8"
                        )));
                    }
                }
            }
            Event::DocType(_) => {
                // An internal subset could declare entities (billion laughs); lists have none.
                return Err(TrustListError::Xml(
                    "a DOCTYPE declaration is not accepted in a trusted list".into(),
                ));
            }
            Event::Start(s) => {
                let element = self.open_element(&s)?;
                self.open.push(element);
                if self.open.len() > MAX_DEPTH {
                    return Err(TrustListError::TooDeep(MAX_DEPTH));
                }
            }
            Event::Empty(s) => {
                let element = self.open_element(&s)?;
                self.open.push(element);
                self.close_element();
            }
            Event::End(_) => self.close_element(),
            Event::Text(t) => self.text(&t.xml10_content())?,
            Event::CData(c) => self.text(&c.xml10_content())?,
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => predefined_entity(&r).ok_or_else(|| {
                        TrustListError::Xml(format!("undeclared entity '&{};'", &*r))
                    })?,
                    Err(e) => return Err(TrustListError::Xml(e.to_string())),
                };
                self.text(c.encode_utf8(&mut [0; 4]))?;
            }
            Event::Comment(c) => self.misc(Node::Comment(c.xml10_content().into_owned()))?,
            Event::PI(p) => self.misc(Node::Instruction {
                target: p.target().to_string(),
                data: p.content().trim_start().to_string(),
            })?,
            Event::Eof => return Ok(false),
        }
        Ok(true)
    }

    fn count(&mut self) -> Result<(), TrustListError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(TrustListError::TooManyNodes(MAX_NODES));
        }
        Ok(())
    }

    fn finish(self) -> Result<Document, TrustListError> {
        if !self.open.is_empty() {
            return Err(TrustListError::Xml(
                "the document ends inside an element".into(),
            ));
        }
        let root = self
            .root
            .ok_or_else(|| TrustListError::Xml("the document has no root element".into()))?;
        Ok(Document {
            prolog: self.prolog,
            root,
            epilog: self.epilog,
        })
    }

    /// A comment or processing instruction: inside the current element, or around the root.
    fn misc(&mut self, node: Node) -> Result<(), TrustListError> {
        match (self.open.last_mut(), &self.root) {
            (Some(parent), _) => parent.children.push(node),
            (None, None) => self.prolog.push(node),
            (None, Some(_)) => self.epilog.push(node),
        }
        Ok(())
    }

    /// Character data: appended to the current element (merging adjacent runs); outside the
    /// root only white space is allowed, and it is not part of the document.
    fn text(&mut self, t: &str) -> Result<(), TrustListError> {
        let Some(parent) = self.open.last_mut() else {
            if t.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
                return Ok(());
            }
            return Err(TrustListError::Xml("text outside the root element".into()));
        };
        if let Some(Node::Text(last)) = parent.children.last_mut() {
            last.push_str(t);
        } else {
            parent.children.push(Node::Text(t.to_string()));
        }
        Ok(())
    }

    /// Reads a start tag: its namespace declarations enter the scope, then the element's and
    /// attributes' prefixes are resolved.
    fn open_element(&mut self, start: &BytesStart<'_>) -> Result<Element, TrustListError> {
        if self.open.is_empty() && self.root.is_some() {
            return Err(TrustListError::Xml(
                "a second root element after the first".into(),
            ));
        }
        let depth = self.open.len() + 1;
        let mut ns_decls = Vec::new();
        let mut raw_attributes = Vec::new();
        for (n, a) in start.attributes().with_checks(true).enumerate() {
            let a = a.map_err(|e| TrustListError::Xml(e.to_string()))?;
            self.count()?;
            if n >= MAX_ATTRIBUTES {
                return Err(TrustListError::Xml(format!(
                    "an element with more than {MAX_ATTRIBUTES} attributes"
                )));
            }
            if a.value.contains('<') {
                // quick-xml lets it through; XML 1.0 §3.1 does not.
                return Err(TrustListError::Xml(format!(
                    "'<' in the value of attribute '{}'",
                    a.key.0
                )));
            }
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| TrustListError::Xml(e.to_string()))?
                .into_owned();
            let qname = a.key.0.to_string();
            match qname.split_once(':') {
                None if qname == "xmlns" => ns_decls.push((None, value)),
                Some(("xmlns", prefix)) => {
                    check_binding(prefix, &value)?;
                    ns_decls.push((Some(prefix.to_string()), value));
                }
                _ => raw_attributes.push((qname, value)),
            }
        }
        for (prefix, uri) in &ns_decls {
            self.scope.push((prefix.clone(), uri.clone(), depth));
        }
        if self.scope.len() > MAX_BINDINGS {
            return Err(TrustListError::Xml(format!(
                "more than {MAX_BINDINGS} namespace declarations in scope"
            )));
        }
        let qname = start.name().0.to_string();
        let (prefix, local) = split(&qname);
        let ns = self.resolve(prefix.as_deref(), true, &qname)?;
        let mut attributes = Vec::with_capacity(raw_attributes.len());
        for (qname, value) in raw_attributes {
            let (prefix, local) = split(&qname);
            let ns = self.resolve(prefix.as_deref(), false, &qname)?;
            if attributes
                .iter()
                .any(|b: &Attribute| b.local == local && b.ns == ns)
            {
                return Err(TrustListError::Xml(format!(
                    "attribute '{qname}' repeats another of the same expanded name"
                )));
            }
            attributes.push(Attribute {
                qname,
                local,
                ns,
                value,
            });
        }
        Ok(Element {
            qname,
            prefix,
            local,
            ns,
            ns_decls,
            attributes,
            children: Vec::new(),
        })
    }

    /// Closes the innermost element: its declarations leave the scope, and it becomes a child
    /// of its parent (or the root).
    fn close_element(&mut self) {
        let depth = self.open.len();
        while self.scope.last().is_some_and(|(_, _, d)| *d >= depth) {
            self.scope.pop();
        }
        if let Some(element) = self.open.pop() {
            match self.open.last_mut() {
                Some(parent) => parent.children.push(Node::Element(element)),
                None => self.root = Some(element),
            }
        }
    }

    /// The namespace URI of `prefix`; the default namespace applies to elements only.
    fn resolve(
        &self,
        prefix: Option<&str>,
        element: bool,
        qname: &str,
    ) -> Result<Option<String>, TrustListError> {
        match prefix {
            Some("xml") => Ok(Some(XML_NS.to_string())),
            Some(p) => self
                .scope
                .iter()
                .rev()
                .find(|(q, _, _)| q.as_deref() == Some(p))
                .map(|(_, uri, _)| Some(uri.clone()))
                .ok_or_else(|| {
                    TrustListError::Xml(format!("undeclared namespace prefix in '{qname}'"))
                }),
            None if element => Ok(self
                .scope
                .iter()
                .rev()
                .find(|(q, _, _)| q.is_none())
                .map(|(_, uri, _)| uri.clone())
                .filter(|uri| !uri.is_empty())),
            None => Ok(None),
        }
    }
}

/// `prefix:local` into its parts.
fn split(qname: &str) -> (Option<String>, String) {
    match qname.split_once(':') {
        Some((p, l)) => (Some(p.to_string()), l.to_string()),
        None => (None, qname.to_string()),
    }
}

/// Namespaces in XML 1.0 §3: a prefix cannot be undeclared, `xml` keeps its URI and `xmlns`
/// cannot be declared.
fn check_binding(prefix: &str, uri: &str) -> Result<(), TrustListError> {
    let bad = uri.is_empty()
        || prefix == "xmlns"
        || (prefix == "xml") != (uri == XML_NS)
        || (prefix != "xml" && uri == XML_NS);
    if bad {
        return Err(TrustListError::Xml(format!(
            "namespace declaration xmlns:{prefix}=\"{uri}\" is not allowed"
        )));
    }
    Ok(())
}

/// The five entities XML predefines.
fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}
