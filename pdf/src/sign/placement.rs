//! Where a new signature field's widget goes, said the way people say it (a rectangle on the
//! page as it is shown, the lower right corner, a slot in a row of seals) and resolved against
//! the page only when the update is planned, with the reader the signer opened anyway: callers
//! never open the document themselves to place a seal.
//!
//! Pages are shown through their crop box, turned by `/Rotate` (ISO 32000-2 §7.7.3.3, Table
//! 31); widget `/Rect` entries are in the page's default user space (§12.5.2).

use crate::reader::Page;

/// A new field's widget rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum FieldRect {
    /// No widget area (an invisible signature or a field placed later).
    #[default]
    Invisible,
    /// `[llx lly urx ury]` in the page's default user space, as written into `/Rect`.
    User([f64; 4]),
    /// X, Y, W, H in points from the lower-left corner of the page as shown.
    Shown([f64; 4]),
    /// A `width` × `height` box in the lower right of the page as shown, `width` from the right
    /// edge (so a second seal fits beside it) and `width` from the bottom.
    LowerRight { width: f64, height: f64 },
    /// Slot `slot` (0-based) of a row of `size`-point squares along the bottom of the page as
    /// shown, from the left, half a square from the edges, wrapping to further rows.
    BottomRow { slot: usize, size: f64 },
}

impl FieldRect {
    /// The rectangle in `page`'s default user space (`[0; 4]` for [`FieldRect::Invisible`]).
    pub fn resolve(&self, page: &Page) -> [f64; 4] {
        let (view_width, _) = page.view_size();
        let [x, y, w, h] = match *self {
            FieldRect::Invisible => return [0.0; 4],
            FieldRect::User(rect) => return rect,
            FieldRect::Shown(xywh) => xywh,
            FieldRect::LowerRight { width, height } => {
                [view_width - 2.0 * width, width, width, height]
            }
            FieldRect::BottomRow { slot, size } => {
                let pitch = size * 1.1;
                let per_row = ((view_width - size / 2.0) / pitch).floor().max(1.0) as usize;
                let (row, col) = (slot / per_row, slot % per_row);
                let margin = size / 2.0;
                [
                    margin + col as f64 * pitch,
                    margin + row as f64 * pitch,
                    size,
                    size,
                ]
            }
        };
        page.rect_from_view(x, y, w, h)
    }
}

impl Page {
    /// Width and height of the page as shown (crop box, rotation applied).
    pub fn view_size(&self) -> (f64, f64) {
        let [x0, y0, x1, y1] = self.crop_box;
        let (w, h) = (x1 - x0, y1 - y0);
        if self.rotate % 180 == 90 {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// Converts a rectangle given as the page is shown (origin at the lower-left corner of
    /// the visible, rotated page; `x`, `y`, `w`, `h` in points) into the page's default user
    /// space, which is what widget `/Rect` entries use.
    pub fn rect_from_view(&self, x: f64, y: f64, w: f64, h: f64) -> [f64; 4] {
        let [x0, y0, x1, y1] = self.crop_box;
        match self.rotate {
            90 => [x1 - y - h, y0 + x, x1 - y, y0 + x + w],
            180 => [x1 - x - w, y1 - y - h, x1 - x, y1 - y],
            270 => [x0 + y, y1 - x - w, x0 + y + h, y1 - x],
            _ => [x0 + x, y0 + y, x0 + x + w, y0 + y + h],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{Dict, ObjRef};

    fn page(crop_box: [f64; 4], rotate: u16) -> Page {
        Page {
            index: 0,
            obj_ref: ObjRef::new(1, 0),
            dict: Dict::new(),
            media_box: crop_box,
            crop_box,
            rotate,
            resources: None,
        }
    }

    #[test]
    fn the_lower_right_is_that_of_the_page_as_shown() {
        let a4 = page([0.0, 0.0, 595.0, 842.0], 0);
        let r = FieldRect::LowerRight {
            width: 100.0,
            height: 100.0,
        };
        assert_eq!(r.resolve(&a4), [395.0, 100.0, 495.0, 200.0]);
        // Turned a quarter: shown 842 wide; the box still sits at the shown lower right.
        let turned = page([0.0, 0.0, 595.0, 842.0], 90);
        assert_eq!(turned.view_size(), (842.0, 595.0));
        let [x0, y0, x1, y1] = r.resolve(&turned);
        assert_eq!([x1 - x0, y1 - y0], [100.0, 100.0]);
        assert_eq!(y0, 642.0, "642 = 842 - 2 × 100 along the shown width");
    }

    #[test]
    fn a_row_of_seals_wraps_at_the_shown_width() {
        let p = page([0.0, 0.0, 300.0, 400.0], 0);
        let first = FieldRect::BottomRow {
            slot: 0,
            size: 100.0,
        }
        .resolve(&p);
        assert_eq!(first, [50.0, 50.0, 150.0, 150.0]);
        let second = FieldRect::BottomRow {
            slot: 1,
            size: 100.0,
        }
        .resolve(&p);
        assert_eq!(second[0], 160.0);
        // Two fit in 300 points; the third starts the next row.
        let third = FieldRect::BottomRow {
            slot: 2,
            size: 100.0,
        }
        .resolve(&p);
        assert_eq!([third[0], third[1]], [50.0, 160.0]);
        assert_eq!(FieldRect::Invisible.resolve(&p), [0.0; 4]);
        assert_eq!(
            FieldRect::User([1.0, 2.0, 3.0, 4.0]).resolve(&p),
            [1.0, 2.0, 3.0, 4.0]
        );
    }
}
