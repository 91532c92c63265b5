//! The page tree (ISO 32000-2 §7.7.3): finding page N by walking `/Kids` with `/Count`, and
//! the attributes a page inherits from its ancestors (§7.7.3.4: `/Resources`, `/MediaBox`,
//! `/CropBox`, `/Rotate`).

use std::collections::HashSet;
use std::io::{Read, Seek};

use crate::error::{Error, Result};
use crate::object::{Dict, ObjRef, Object};
use crate::reader::PdfReader;

/// Deepest page tree accepted.
const MAX_TREE_DEPTH: usize = 64;
/// Most page tree nodes visited in one walk.
const MAX_NODES: usize = 1_000_000;

/// A page with its inherited attributes resolved.
#[derive(Debug, Clone)]
pub struct Page {
    /// 0-based page index.
    pub index: usize,
    pub obj_ref: ObjRef,
    pub dict: Dict,
    /// `/MediaBox` normalised to [llx lly urx ury].
    pub media_box: [f64; 4],
    /// `/CropBox` (defaults to the media box), clipped to the media box.
    pub crop_box: [f64; 4],
    /// `/Rotate` normalised to 0, 90, 180 or 270.
    pub rotate: u16,
    /// `/Resources` (possibly a reference), if any.
    pub resources: Option<Object>,
}

#[derive(Default, Clone)]
struct Inherited {
    resources: Option<Object>,
    media_box: Option<Object>,
    crop_box: Option<Object>,
    rotate: Option<Object>,
}

impl Inherited {
    fn update(&mut self, d: &Dict) {
        let take = |slot: &mut Option<Object>, key: &str| {
            if let Some(v) = d.get(key) {
                *slot = Some(v.clone());
            }
        };
        take(&mut self.resources, "Resources");
        take(&mut self.media_box, "MediaBox");
        take(&mut self.crop_box, "CropBox");
        take(&mut self.rotate, "Rotate");
    }
}

/// Reads a rectangle and normalises it to [llx lly urx ury].
pub(crate) fn rect_from<R: Read + Seek>(
    reader: &mut PdfReader<R>,
    obj: &Object,
) -> Result<Option<[f64; 4]>> {
    let Object::Array(a) = reader.resolve(obj)? else {
        return Ok(None);
    };
    if a.len() != 4 {
        return Ok(None);
    }
    let mut v = [0f64; 4];
    for (slot, item) in v.iter_mut().zip(&a) {
        match reader.resolve(item)?.as_f64() {
            Some(x) if x.is_finite() => *slot = x,
            _ => return Ok(None),
        }
    }
    Ok(Some([
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ]))
}

impl<R: Read + Seek> PdfReader<R> {
    fn pages_root(&mut self) -> Result<(ObjRef, Dict)> {
        let catalog = self.catalog()?;
        let r = catalog
            .get("Pages")
            .and_then(Object::as_reference)
            .ok_or(Error::MissingEntry {
                dict: "catalog",
                key: "Pages",
            })?;
        let d = self.resolve_dict(&Object::Reference(r), "the page tree root")?;
        Ok((r, d))
    }

    /// The number of pages (`/Count` of the page tree root).
    pub fn page_count(&mut self) -> Result<usize> {
        let (_, root) = self.pages_root()?;
        match root.get("Count").and_then(Object::as_i64) {
            Some(c) if c >= 0 => Ok(c as usize),
            _ => Err(Error::PageTree("the root has no valid /Count".into())),
        }
    }

    /// Page `index` (0-based) with inherited attributes resolved.
    pub fn page(&mut self, index: usize) -> Result<Page> {
        let count = self.page_count()?;
        if index >= count {
            return Err(Error::PageOutOfRange {
                page: index + 1,
                count,
            });
        }
        let (root_ref, root) = self.pages_root()?;
        let mut inherited = Inherited::default();
        inherited.update(&root);
        let mut node = root;
        let mut remaining = index;
        let mut seen = HashSet::from([root_ref]);
        for _depth in 0..MAX_TREE_DEPTH {
            let kids = match node.get("Kids") {
                Some(k) => self.resolve(k)?,
                None => return Err(Error::PageTree("an intermediate node has no /Kids".into())),
            };
            let Object::Array(kids) = kids else {
                return Err(Error::PageTree("/Kids is not an array".into()));
            };
            let mut next = None;
            for kid in &kids {
                let Some(kid_ref) = kid.as_reference() else {
                    return Err(Error::PageTree("a /Kids entry is not a reference".into()));
                };
                let kid_dict = self.resolve_dict(kid, "a page tree node")?;
                let is_node = kid_dict.has_name("Type", "Pages")
                    || (!kid_dict.has_name("Type", "Page") && kid_dict.contains("Kids"));
                if is_node {
                    let n = match kid_dict.get("Count").and_then(Object::as_i64) {
                        Some(c) if c >= 0 => c as usize,
                        _ => {
                            return Err(Error::PageTree(format!(
                                "node {kid_ref} has no valid /Count"
                            )))
                        }
                    };
                    if remaining < n {
                        next = Some((kid_ref, kid_dict, true));
                        break;
                    }
                    remaining -= n;
                } else if remaining == 0 {
                    next = Some((kid_ref, kid_dict, false));
                    break;
                } else {
                    remaining -= 1;
                }
            }
            let Some((kid_ref, kid_dict, is_node)) = next else {
                return Err(Error::PageTree("/Count does not match the /Kids".into()));
            };
            if !seen.insert(kid_ref) {
                return Err(Error::PageTree(format!(
                    "node {kid_ref} appears twice (a loop)"
                )));
            }
            inherited.update(&kid_dict);
            if !is_node {
                return self.finish_page(index, kid_ref, kid_dict, inherited);
            }
            node = kid_dict;
        }
        Err(Error::PageTree(format!(
            "deeper than {MAX_TREE_DEPTH} levels"
        )))
    }

    fn finish_page(
        &mut self,
        index: usize,
        obj_ref: ObjRef,
        dict: Dict,
        inh: Inherited,
    ) -> Result<Page> {
        let media_box = match &inh.media_box {
            Some(o) => rect_from(self, o)?,
            None => None,
        }
        .unwrap_or([0.0, 0.0, 612.0, 792.0]);
        let crop = match &inh.crop_box {
            Some(o) => rect_from(self, o)?,
            None => None,
        }
        .unwrap_or(media_box);
        let crop_box = [
            crop[0].max(media_box[0]),
            crop[1].max(media_box[1]),
            crop[2].min(media_box[2]),
            crop[3].min(media_box[3]),
        ];
        let crop_box = if crop_box[0] < crop_box[2] && crop_box[1] < crop_box[3] {
            crop_box
        } else {
            media_box
        };
        let rotate = match &inh.rotate {
            Some(o) => self.resolve(o)?.as_i64().unwrap_or(0),
            None => 0,
        };
        Ok(Page {
            index,
            obj_ref,
            dict,
            media_box,
            crop_box,
            rotate: rotate.rem_euclid(360) as u16 / 90 * 90,
            resources: inh.resources,
        })
    }

    /// References of all pages in order (walks the whole tree; use for mapping widgets' `/P`).
    pub fn page_refs(&mut self) -> Result<Vec<ObjRef>> {
        let (root_ref, root) = self.pages_root()?;
        let mut out = Vec::new();
        let mut seen = HashSet::from([root_ref]);
        self.collect_pages(&root, 0, &mut seen, &mut out)?;
        Ok(out)
    }

    fn collect_pages(
        &mut self,
        node: &Dict,
        depth: usize,
        seen: &mut HashSet<ObjRef>,
        out: &mut Vec<ObjRef>,
    ) -> Result<()> {
        if depth > MAX_TREE_DEPTH {
            return Err(Error::PageTree(format!(
                "deeper than {MAX_TREE_DEPTH} levels"
            )));
        }
        let Object::Array(kids) = self.resolve(node.get("Kids").unwrap_or(&Object::Null))? else {
            return Err(Error::PageTree("/Kids is not an array".into()));
        };
        for kid in &kids {
            let Some(kid_ref) = kid.as_reference() else {
                return Err(Error::PageTree("a /Kids entry is not a reference".into()));
            };
            if !seen.insert(kid_ref) || seen.len() > MAX_NODES {
                return Err(Error::PageTree(format!(
                    "node {kid_ref} appears twice (a loop)"
                )));
            }
            let d = self.resolve_dict(kid, "a page tree node")?;
            if d.has_name("Type", "Pages") || (!d.has_name("Type", "Page") && d.contains("Kids")) {
                self.collect_pages(&d, depth + 1, seen, out)?;
            } else {
                out.push(kid_ref);
            }
        }
        Ok(())
    }
}
