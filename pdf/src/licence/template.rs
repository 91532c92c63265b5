//! Licence templates: where the licence data, the photo, the seal, the QR code and the
//! annotated-copy stamp go on the page. Coordinates are PDF points in the page's default user
//! space (origin bottom left); rectangles are `[x0, y0, x1, y1]`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::licence_error;
use crate::Result;

/// A4 landscape in points.
const A4_LANDSCAPE: [f64; 2] = [841.89, 595.28];
/// Largest page side accepted (ISO 32000 implementation limit is 14 400 units).
const MAX_PAGE_SIDE: f64 = 14_400.0;

/// A licence layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Page width and height in points (ignored when a background gives the page).
    #[serde(default = "a4_landscape")]
    pub page_size: [f64; 2],
    /// A one-page PDF drawn under everything (its first page becomes the licence page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<PathBuf>,
    /// Title drawn centred at the top, e.g. 营业执照; empty for none.
    #[serde(default)]
    pub title: String,
    #[serde(default = "default_title_size")]
    pub title_size: f64,
    /// Baseline of the title.
    #[serde(default = "default_title_y")]
    pub title_y: f64,
    #[serde(default)]
    pub texts: Vec<TextSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSlot>,
    /// Where the issuer's seal goes.
    pub seal_rect: [f64; 4],
    /// Where the QR code goes (the [`super::QR_FIELD`] widget).
    pub qr_rect: [f64; 4],
    /// Where an annotated copy's stamp goes (the [`super::ANNOTATION_FIELD`] widget).
    pub annotation_rect: [f64; 4],
    /// Empty signature fields for further departments' seals.
    #[serde(default)]
    pub department_fields: Vec<DepartmentField>,
}

/// One line (or paragraph, with `max_width`) of text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSlot {
    /// Which value: a built-in key (see [`super::LicenceContent::value`]) or a `fields` key.
    /// A value the licence does not have leaves the slot empty (the label still shows), so one
    /// template serves licences whose optional entries differ.
    pub key: String,
    /// Drawn before the value, e.g. `名称`; a full-width colon is added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Left end of the first baseline.
    pub x: f64,
    pub y: f64,
    /// Font size in points.
    pub size: f64,
    /// Wrap lines at this width (points); without it the text is one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_width: Option<f64>,
}

/// A photo or logo fitted into `rect`, keeping its aspect ratio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSlot {
    pub key: String,
    pub rect: [f64; 4],
}

/// An empty signature field for a further department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentField {
    pub name: String,
    pub rect: [f64; 4],
}

fn a4_landscape() -> [f64; 2] {
    A4_LANDSCAPE
}
fn default_title_size() -> f64 {
    36.0
}
fn default_title_y() -> f64 {
    500.0
}

impl Template {
    /// A 营业执照-like layout on A4 landscape: title, the usual entries on the left and right,
    /// QR code top right, seal over the registration authority, stamp area bottom left.
    pub fn demo_business_licence() -> Template {
        let slot = |key: &str, label: &str, x: f64, y: f64, max_width: Option<f64>| TextSlot {
            key: key.into(),
            label: Some(label.into()),
            x,
            y,
            size: 12.0,
            max_width,
        };
        Template {
            page_size: A4_LANDSCAPE,
            background: None,
            title: "营业执照".into(),
            title_size: 40.0,
            title_y: 500.0,
            texts: vec![
                TextSlot {
                    key: "holder_code".into(),
                    label: Some("统一社会信用代码".into()),
                    x: 60.0,
                    y: 530.0,
                    size: 11.0,
                    max_width: None,
                },
                slot("holder_name", "名称", 80.0, 420.0, Some(330.0)),
                slot("kind", "类型", 80.0, 390.0, Some(330.0)),
                slot("legal_representative", "法定代表人", 80.0, 360.0, None),
                slot("scope", "经营范围", 80.0, 330.0, Some(330.0)),
                slot("capital", "注册资本", 450.0, 420.0, Some(330.0)),
                slot("established", "成立日期", 450.0, 390.0, None),
                slot("term", "营业期限", 450.0, 360.0, None),
                slot("address", "住所", 450.0, 330.0, Some(330.0)),
                slot("issuer_name", "登记机关", 560.0, 190.0, Some(240.0)),
                TextSlot {
                    key: "issued_on".into(),
                    label: None,
                    x: 600.0,
                    y: 160.0,
                    size: 12.0,
                    max_width: None,
                },
                TextSlot {
                    key: "identifier".into(),
                    label: Some("证照标识".into()),
                    x: 60.0,
                    y: 28.0,
                    size: 8.0,
                    max_width: None,
                },
            ],
            image: None,
            seal_rect: [610.0, 120.0, 723.0, 233.0],
            qr_rect: [680.0, 455.0, 790.0, 565.0],
            annotation_rect: [60.0, 50.0, 400.0, 150.0],
            department_fields: Vec::new(),
        }
    }

    /// Reads a template from JSON and checks it.
    pub fn from_json(json: &str) -> Result<Template> {
        let t: Template =
            serde_json::from_str(json).map_err(|e| licence_error(format!("template JSON: {e}")))?;
        t.check()?;
        Ok(t)
    }

    /// Checks sizes and rectangles: positive, finite, on the page, field names unique.
    pub fn check(&self) -> Result<()> {
        let [w, h] = self.page_size;
        if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0)
            || w > MAX_PAGE_SIDE
            || h > MAX_PAGE_SIDE
        {
            return Err(licence_error(format!(
                "page size {w} x {h} must be positive and at most {MAX_PAGE_SIDE} points"
            )));
        }
        if !(self.title_size.is_finite() && self.title_size > 0.0) {
            return Err(licence_error("title_size must be positive"));
        }
        let mut rects: Vec<(String, [f64; 4])> = vec![
            ("seal_rect".into(), self.seal_rect),
            ("qr_rect".into(), self.qr_rect),
            ("annotation_rect".into(), self.annotation_rect),
        ];
        if let Some(img) = &self.image {
            rects.push((format!("image '{}'", img.key), img.rect));
        }
        for d in &self.department_fields {
            rects.push((format!("department field '{}'", d.name), d.rect));
        }
        for (what, r) in rects {
            let ok = r.iter().all(|v| v.is_finite()) && r[2] > r[0] && r[3] > r[1];
            if !ok {
                return Err(licence_error(format!(
                    "{what} {r:?} must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0"
                )));
            }
            // Checked against the page size only without a background (whose page decides).
            if self.background.is_none() && (r[0] < 0.0 || r[1] < 0.0 || r[2] > w || r[3] > h) {
                return Err(licence_error(format!(
                    "{what} {r:?} is outside the {w} x {h} page"
                )));
            }
        }
        for t in &self.texts {
            if t.key.is_empty()
                || !(t.size.is_finite() && t.size > 0.0 && t.size < 500.0)
                || !(t.x.is_finite() && t.y.is_finite())
                || t.max_width.is_some_and(|m| !(m.is_finite() && m > 0.0))
            {
                return Err(licence_error(format!(
                    "text slot '{}': needs a key, a size between 0 and 500 and finite \
                     positions",
                    t.key
                )));
            }
        }
        let mut names = vec![
            super::QR_FIELD.to_string(),
            super::ANNOTATION_FIELD.to_string(),
            super::ISSUER_FIELD.to_string(),
        ];
        for d in &self.department_fields {
            if d.name.is_empty() || d.name.contains('.') || names.contains(&d.name) {
                return Err(licence_error(format!(
                    "department field name '{}' must be non-empty, without '.', and unique",
                    d.name
                )));
            }
            names.push(d.name.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_template_round_trips_through_json_and_checks() {
        let t = Template::demo_business_licence();
        t.check().unwrap();
        let json = serde_json::to_string_pretty(&t).unwrap();
        assert_eq!(Template::from_json(&json).unwrap(), t);
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        let mut t = Template::demo_business_licence();
        t.qr_rect = [700.0, 500.0, 900.0, 560.0];
        assert!(t.check().unwrap_err().to_string().contains("qr_rect"));
        let mut t = Template::demo_business_licence();
        t.department_fields.push(DepartmentField {
            name: "licence-qr".into(),
            rect: [0.0, 0.0, 10.0, 10.0],
        });
        assert!(t.check().unwrap_err().to_string().contains("licence-qr"));
        let err = Template::from_json("{\"seal_rect\": [0,0,1,1]}").unwrap_err();
        assert!(err.to_string().contains("template JSON"), "{err}");
    }
}
