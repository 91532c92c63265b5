//! Plane geometry of seal pictures: points and paths in millimetres (origin at the seal's centre,
//! y up, as in PDF), affine transforms, and the figures a seal is made of (circle, ellipse,
//! rectangle, five-pointed star).

use std::f64::consts::{FRAC_PI_2, PI};

/// Control-point distance of a cubic Bézier approximating a quarter circle of radius 1.
const KAPPA: f64 = 0.552_284_749_830_793_4;

/// A point in millimetres.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub const ORIGIN: Point = Point { x: 0.0, y: 0.0 };

    pub fn new(x: f64, y: f64) -> Point {
        Point { x, y }
    }

    /// The point at `radius` from `centre` in direction `angle` (radians, counter-clockwise from
    /// the positive x axis).
    pub fn polar(centre: Point, radius: f64, angle: f64) -> Point {
        Point::new(
            centre.x + radius * angle.cos(),
            centre.y + radius * angle.sin(),
        )
    }

    pub fn distance(self, other: Point) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// One step of a path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Segment {
    MoveTo(Point),
    LineTo(Point),
    /// A cubic Bézier curve: two control points, then the end point.
    CubicTo(Point, Point, Point),
    Close,
}

/// A sequence of closed or open subpaths.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Path {
    pub segments: Vec<Segment>,
    current: Point,
}

impl Path {
    pub fn new() -> Path {
        Path::default()
    }

    pub fn move_to(&mut self, p: Point) {
        self.segments.push(Segment::MoveTo(p));
        self.current = p;
    }

    pub fn line_to(&mut self, p: Point) {
        self.segments.push(Segment::LineTo(p));
        self.current = p;
    }

    pub fn cubic_to(&mut self, c1: Point, c2: Point, p: Point) {
        self.segments.push(Segment::CubicTo(c1, c2, p));
        self.current = p;
    }

    /// A quadratic curve (TrueType outlines), raised to the equivalent cubic.
    pub fn quad_to(&mut self, c: Point, p: Point) {
        let p0 = self.current;
        let c1 = Point::new(
            p0.x + 2.0 / 3.0 * (c.x - p0.x),
            p0.y + 2.0 / 3.0 * (c.y - p0.y),
        );
        let c2 = Point::new(p.x + 2.0 / 3.0 * (c.x - p.x), p.y + 2.0 / 3.0 * (c.y - p.y));
        self.cubic_to(c1, c2, p);
    }

    pub fn close(&mut self) {
        self.segments.push(Segment::Close);
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Appends the subpaths of `other`.
    pub fn extend(&mut self, other: &Path) {
        self.segments.extend_from_slice(&other.segments);
        self.current = other.current;
    }

    /// This path with every point mapped through `t`.
    pub fn transformed(&self, t: &Transform) -> Path {
        let segments = self
            .segments
            .iter()
            .map(|s| match *s {
                Segment::MoveTo(p) => Segment::MoveTo(t.apply(p)),
                Segment::LineTo(p) => Segment::LineTo(t.apply(p)),
                Segment::CubicTo(a, b, p) => Segment::CubicTo(t.apply(a), t.apply(b), t.apply(p)),
                Segment::Close => Segment::Close,
            })
            .collect();
        Path {
            segments,
            current: t.apply(self.current),
        }
    }

    /// End points and control points of the path, in order.
    pub fn points(&self) -> impl Iterator<Item = Point> + '_ {
        self.segments.iter().flat_map(|s| match *s {
            Segment::MoveTo(p) | Segment::LineTo(p) => vec![p],
            Segment::CubicTo(a, b, p) => vec![a, b, p],
            Segment::Close => vec![],
        })
    }

    /// The box around all points (control points included), or `None` for an empty path.
    pub fn bounds(&self) -> Option<Bounds> {
        self.points().fold(None, |acc, p| {
            Some(match acc {
                None => Bounds { min: p, max: p },
                Some(b) => Bounds {
                    min: Point::new(b.min.x.min(p.x), b.min.y.min(p.y)),
                    max: Point::new(b.max.x.max(p.x), b.max.y.max(p.y)),
                },
            })
        })
    }
}

/// An axis-aligned box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub min: Point,
    pub max: Point,
}

impl Bounds {
    pub fn width(&self) -> f64 {
        self.max.x - self.min.x
    }

    pub fn height(&self) -> f64 {
        self.max.y - self.min.y
    }

    pub fn centre(&self) -> Point {
        Point::new(
            (self.min.x + self.max.x) / 2.0,
            (self.min.y + self.max.y) / 2.0,
        )
    }
}

/// An affine map `x' = a·x + c·y + e`, `y' = b·x + d·y + f` (the PDF matrix `[a b c d e f]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transform {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
    pub e: f64,
    pub f: f64,
}

impl Transform {
    pub const IDENTITY: Transform = Transform {
        a: 1.0,
        b: 0.0,
        c: 0.0,
        d: 1.0,
        e: 0.0,
        f: 0.0,
    };

    pub fn translate(dx: f64, dy: f64) -> Transform {
        Transform {
            e: dx,
            f: dy,
            ..Transform::IDENTITY
        }
    }

    pub fn scale(sx: f64, sy: f64) -> Transform {
        Transform {
            a: sx,
            d: sy,
            ..Transform::IDENTITY
        }
    }

    /// Rotation by `angle` radians counter-clockwise about the origin.
    pub fn rotate(angle: f64) -> Transform {
        let (s, c) = angle.sin_cos();
        Transform {
            a: c,
            b: s,
            c: -s,
            d: c,
            e: 0.0,
            f: 0.0,
        }
    }

    /// `self` first, then `next`.
    pub fn then(&self, next: &Transform) -> Transform {
        Transform {
            a: next.a * self.a + next.c * self.b,
            b: next.b * self.a + next.d * self.b,
            c: next.a * self.c + next.c * self.d,
            d: next.b * self.c + next.d * self.d,
            e: next.a * self.e + next.c * self.f + next.e,
            f: next.b * self.e + next.d * self.f + next.f,
        }
    }

    pub fn apply(&self, p: Point) -> Point {
        Point::new(
            self.a * p.x + self.c * p.y + self.e,
            self.b * p.x + self.d * p.y + self.f,
        )
    }
}

/// An ellipse with axes along x and y, as four cubic curves (counter-clockwise).
pub fn ellipse(centre: Point, rx: f64, ry: f64) -> Path {
    let (kx, ky) = (rx * KAPPA, ry * KAPPA);
    let (cx, cy) = (centre.x, centre.y);
    let mut p = Path::new();
    p.move_to(Point::new(cx + rx, cy));
    p.cubic_to(
        Point::new(cx + rx, cy + ky),
        Point::new(cx + kx, cy + ry),
        Point::new(cx, cy + ry),
    );
    p.cubic_to(
        Point::new(cx - kx, cy + ry),
        Point::new(cx - rx, cy + ky),
        Point::new(cx - rx, cy),
    );
    p.cubic_to(
        Point::new(cx - rx, cy - ky),
        Point::new(cx - kx, cy - ry),
        Point::new(cx, cy - ry),
    );
    p.cubic_to(
        Point::new(cx + kx, cy - ry),
        Point::new(cx + rx, cy - ky),
        Point::new(cx + rx, cy),
    );
    p.close();
    p
}

/// A circle as four cubic curves.
pub fn circle(centre: Point, r: f64) -> Path {
    ellipse(centre, r, r)
}

/// An axis-aligned rectangle (counter-clockwise).
pub fn rectangle(min: Point, max: Point) -> Path {
    let mut p = Path::new();
    p.move_to(min);
    p.line_to(Point::new(max.x, min.y));
    p.line_to(max);
    p.line_to(Point::new(min.x, max.y));
    p.close();
    p
}

/// A regular five-pointed star with one point straight up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Star {
    pub centre: Point,
    /// Radius of the circle through the five points (half the star's nominal size).
    pub outer_radius: f64,
}

impl Star {
    /// Ratio of the inner (concave) vertices' radius to the outer: cos 72° / cos 36°, so the
    /// edges are straight lines between alternate points.
    pub const INNER_RATIO: f64 = 0.381_966_011_250_105_1;

    pub fn inner_radius(&self) -> f64 {
        self.outer_radius * Self::INNER_RATIO
    }

    /// The five points, the first straight up, then clockwise.
    pub fn points(&self) -> [Point; 5] {
        std::array::from_fn(|i| {
            Point::polar(
                self.centre,
                self.outer_radius,
                FRAC_PI_2 - i as f64 * 2.0 * PI / 5.0,
            )
        })
    }

    /// The outline through the ten vertices (points and notches alternating), a simple polygon.
    pub fn path(&self) -> Path {
        let mut p = Path::new();
        for i in 0..10 {
            let r = if i % 2 == 0 {
                self.outer_radius
            } else {
                self.inner_radius()
            };
            let v = Point::polar(self.centre, r, FRAC_PI_2 - i as f64 * PI / 5.0);
            if i == 0 {
                p.move_to(v);
            } else {
                p.line_to(v);
            }
        }
        p.close();
        p
    }
}

/// A rotated rectangle, for overlap checks between glyph boxes and figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrientedBox {
    pub centre: Point,
    pub half_width: f64,
    pub half_height: f64,
    /// Radians counter-clockwise.
    pub rotation: f64,
}

impl OrientedBox {
    pub fn corners(&self) -> [Point; 4] {
        let t = Transform::rotate(self.rotation)
            .then(&Transform::translate(self.centre.x, self.centre.y));
        let (w, h) = (self.half_width, self.half_height);
        [
            t.apply(Point::new(-w, -h)),
            t.apply(Point::new(w, -h)),
            t.apply(Point::new(w, h)),
            t.apply(Point::new(-w, h)),
        ]
    }

    /// Whether the two boxes overlap (separating axis test).
    pub fn overlaps(&self, other: &OrientedBox) -> bool {
        let (a, b) = (self.corners(), other.corners());
        let axes = [
            self.rotation,
            self.rotation + FRAC_PI_2,
            other.rotation,
            other.rotation + FRAC_PI_2,
        ];
        axes.iter().all(|&angle| {
            let (s, c) = angle.sin_cos();
            let project = |ps: &[Point; 4]| {
                ps.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
                    let v = p.x * c + p.y * s;
                    (lo.min(v), hi.max(v))
                })
            };
            let ((a0, a1), (b0, b1)) = (project(&a), project(&b));
            a0 < b1 && b0 < a1
        })
    }

    /// Smallest distance from `p` to any corner or edge of the box, 0 inside.
    pub fn distance_to(&self, p: Point) -> f64 {
        let t = Transform::translate(-self.centre.x, -self.centre.y)
            .then(&Transform::rotate(-self.rotation));
        let q = t.apply(p);
        let dx = (q.x.abs() - self.half_width).max(0.0);
        let dy = (q.y.abs() - self.half_height).max(0.0);
        dx.hypot(dy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_then_applies_in_order() {
        let t = Transform::scale(2.0, 3.0).then(&Transform::translate(1.0, 1.0));
        assert_eq!(t.apply(Point::new(1.0, 1.0)), Point::new(3.0, 4.0));
        let r = Transform::rotate(FRAC_PI_2).apply(Point::new(1.0, 0.0));
        assert!((r.x).abs() < 1e-12 && (r.y - 1.0).abs() < 1e-12);
    }

    #[test]
    fn star_vertices_alternate_between_radii() {
        let star = Star {
            centre: Point::ORIGIN,
            outer_radius: 7.0,
        };
        let pts: Vec<Point> = star.path().points().collect();
        assert_eq!(pts.len(), 10);
        for (i, p) in pts.iter().enumerate() {
            let r = p.distance(Point::ORIGIN);
            let want = if i % 2 == 0 {
                7.0
            } else {
                7.0 * Star::INNER_RATIO
            };
            assert!((r - want).abs() < 1e-9);
        }
    }

    #[test]
    fn boxes_overlap_and_separate() {
        let a = OrientedBox {
            centre: Point::ORIGIN,
            half_width: 1.0,
            half_height: 1.0,
            rotation: 0.0,
        };
        let b = OrientedBox {
            centre: Point::new(2.5, 0.0),
            rotation: PI / 4.0,
            ..a
        };
        assert!(!a.overlaps(&b));
        let c = OrientedBox {
            centre: Point::new(2.2, 0.0),
            ..b
        };
        assert!(a.overlaps(&c));
    }
}
