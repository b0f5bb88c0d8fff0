//! Solid primitives (boxes, vertical cylinders, spheres) and exact distances between them.
//!
//! Objects are compounds of these parts. Every pairwise distance here is closed-form: boxes turn
//! only about +Y and cylinders stand upright, so both are vertical extrusions of a convex 2-D
//! shape, and the distance between two extrusions is `hypot(2-D gap, vertical gap)` (the
//! Minkowski difference of two products is the product of the differences). Spheres reduce to a
//! point query against the other solid. Exactness matters: distance answers are ground truth.

use serde::{Deserialize, Serialize};

use crate::geometry::{ClosestPoints, OrientedBox};
use crate::math::Vec3;

/// Shape of one part of an object, in the object's local frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// A box with the part's full `size`.
    Cuboid,
    /// An upright cylinder: radius `size.x / 2`, height `size.y` (`size.z` equals `size.x`).
    Cylinder,
    /// A sphere of radius `size.x / 2` (all three sizes equal).
    Sphere,
}

/// One primitive of a compound object, placed in the object's local frame (centre of the
/// object's bounding box at the origin, +Y up, +Z the object's front).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub shape: Shape,
    /// Centre of the part in the object's local frame, metres.
    pub center: Vec3,
    /// Full extents along local x, y, z, metres.
    pub size: Vec3,
    pub color: [u8; 3],
}

impl Part {
    pub fn cuboid(center: [f64; 3], size: [f64; 3], color: [u8; 3]) -> Part {
        Part {
            shape: Shape::Cuboid,
            center: center.into(),
            size: size.into(),
            color,
        }
    }

    pub fn cylinder(center: [f64; 3], radius: f64, height: f64, color: [u8; 3]) -> Part {
        Part {
            shape: Shape::Cylinder,
            center: center.into(),
            size: Vec3::new(2.0 * radius, height, 2.0 * radius),
            color,
        }
    }

    pub fn sphere(center: [f64; 3], radius: f64, color: [u8; 3]) -> Part {
        Part {
            shape: Shape::Sphere,
            center: center.into(),
            size: Vec3::new(2.0 * radius, 2.0 * radius, 2.0 * radius),
            color,
        }
    }

    /// The part in world coordinates for an object at `origin` turned by `axes` (yaw axes).
    pub fn to_world(&self, origin: Vec3, axes: &[Vec3; 3]) -> Solid {
        let c =
            origin + axes[0] * self.center.x + axes[1] * self.center.y + axes[2] * self.center.z;
        match self.shape {
            Shape::Cuboid => Solid::Cuboid(OrientedBox {
                center: c,
                axes: *axes,
                half: [
                    self.size.x.abs() * 0.5,
                    self.size.y.abs() * 0.5,
                    self.size.z.abs() * 0.5,
                ],
            }),
            Shape::Cylinder => Solid::Cylinder {
                center: c,
                radius: self.size.x.abs().min(self.size.z.abs()) * 0.5,
                half_height: self.size.y.abs() * 0.5,
            },
            Shape::Sphere => Solid::Sphere {
                center: c,
                radius: self
                    .size
                    .x
                    .abs()
                    .min(self.size.y.abs())
                    .min(self.size.z.abs())
                    * 0.5,
            },
        }
    }
}

/// A primitive in world coordinates. Boxes must have `axes[1] == +Y` (only yaw), which every
/// scene object satisfies; the extrusion formulas rely on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Solid {
    Cuboid(OrientedBox),
    Cylinder {
        /// Centre of the axis segment.
        center: Vec3,
        radius: f64,
        half_height: f64,
    },
    Sphere {
        center: Vec3,
        radius: f64,
    },
}

/// 2-D (XZ) footprint of an extruded solid.
enum Footprint {
    Rect(OrientedBox),
    Disc(Vec3, f64),
}

impl Solid {
    /// Vertical extent (min y, max y).
    pub fn y_range(&self) -> (f64, f64) {
        match *self {
            Solid::Cuboid(b) => (b.center.y - b.half[1], b.center.y + b.half[1]),
            Solid::Cylinder {
                center,
                half_height,
                ..
            } => (center.y - half_height, center.y + half_height),
            Solid::Sphere { center, radius } => (center.y - radius, center.y + radius),
        }
    }

    /// Closest point of the solid to `p` (`p` itself when inside).
    pub fn closest_point(&self, p: Vec3) -> Vec3 {
        match *self {
            Solid::Cuboid(b) => b.closest_point(p),
            Solid::Cylinder {
                center,
                radius,
                half_height,
            } => {
                let (dx, dz) = (p.x - center.x, p.z - center.z);
                let r = (dx * dx + dz * dz).sqrt();
                let s = if r > radius { radius / r } else { 1.0 };
                Vec3::new(
                    center.x + dx * s,
                    p.y.clamp(center.y - half_height, center.y + half_height),
                    center.z + dz * s,
                )
            }
            Solid::Sphere { center, radius } => {
                let d = p - center;
                let n = d.norm();
                if n <= radius {
                    p
                } else {
                    center + d * (radius / n)
                }
            }
        }
    }

    pub fn distance_to_point(&self, p: Vec3) -> f64 {
        (p - self.closest_point(p)).norm()
    }

    /// Distance from `p` to the solid's surface (positive inside too); checks that rendered
    /// pixels lie on the solid.
    pub fn distance_to_surface(&self, p: Vec3) -> f64 {
        match *self {
            Solid::Cuboid(b) => b.distance_to_surface(p),
            Solid::Cylinder {
                center,
                radius,
                half_height,
            } => {
                let r = ((p.x - center.x).powi(2) + (p.z - center.z).powi(2)).sqrt();
                let dy = (p.y - center.y).abs();
                if r <= radius && dy <= half_height {
                    (radius - r).min(half_height - dy)
                } else {
                    self.distance_to_point(p)
                }
            }
            Solid::Sphere { center, radius } => ((p - center).norm() - radius).abs(),
        }
    }

    fn footprint(&self) -> Option<Footprint> {
        match *self {
            Solid::Cuboid(b) => Some(Footprint::Rect(b)),
            Solid::Cylinder { center, radius, .. } => Some(Footprint::Disc(center, radius)),
            Solid::Sphere { .. } => None,
        }
    }

    /// Exact closest points between two solids; distance 0 when they touch or overlap.
    pub fn closest_points(&self, other: &Solid) -> ClosestPoints {
        if let Solid::Sphere { center, radius } = *self {
            return sphere_vs(center, radius, other);
        }
        if let Solid::Sphere { center, radius } = *other {
            return swap(sphere_vs(center, radius, self));
        }
        if let (Solid::Cuboid(a), Solid::Cuboid(b)) = (self, other) {
            return a.closest_points(b);
        }
        let (Some(fa), Some(fb)) = (self.footprint(), other.footprint()) else {
            unreachable!("spheres handled above")
        };
        let (pa, pb) = footprint_closest(&fa, &fb);
        let (a0, a1) = self.y_range();
        let (b0, b1) = other.y_range();
        let (ya, yb) = if a1 < b0 {
            (a1, b0)
        } else if b1 < a0 {
            (a0, b1)
        } else {
            let mid = (a0.max(b0) + a1.min(b1)) * 0.5;
            (mid, mid)
        };
        let point_a = Vec3::new(pa.x, ya, pa.z);
        let point_b = Vec3::new(pb.x, yb, pb.z);
        ClosestPoints {
            distance: (point_a - point_b).norm(),
            point_a,
            point_b,
        }
    }
}

fn swap(c: ClosestPoints) -> ClosestPoints {
    ClosestPoints {
        distance: c.distance,
        point_a: c.point_b,
        point_b: c.point_a,
    }
}

fn sphere_vs(center: Vec3, radius: f64, other: &Solid) -> ClosestPoints {
    let q = other.closest_point(center);
    let d = (q - center).norm();
    if d <= radius {
        return ClosestPoints {
            distance: 0.0,
            point_a: q,
            point_b: q,
        };
    }
    ClosestPoints {
        distance: d - radius,
        point_a: center + (q - center) * (radius / d),
        point_b: q,
    }
}

/// Closest XZ points (y of the results is meaningless) of two footprints, at least one a disc.
fn footprint_closest(a: &Footprint, b: &Footprint) -> (Vec3, Vec3) {
    match (a, b) {
        (Footprint::Disc(c, r), other) => {
            let q = footprint_point(other, *c);
            (toward(*c, q, *r), q)
        }
        (other, Footprint::Disc(c, r)) => {
            let q = footprint_point(other, *c);
            (q, toward(*c, q, *r))
        }
        (Footprint::Rect(x), Footprint::Rect(y)) => {
            let c = x.closest_points(y);
            (c.point_a, c.point_b)
        }
    }
}

/// Closest XZ point of a footprint to `p` (y copied from `p`).
fn footprint_point(f: &Footprint, p: Vec3) -> Vec3 {
    match *f {
        Footprint::Rect(b) => {
            let q = b.closest_point(Vec3::new(p.x, b.center.y, p.z));
            Vec3::new(q.x, p.y, q.z)
        }
        Footprint::Disc(c, r) => {
            let (dx, dz) = (p.x - c.x, p.z - c.z);
            let n = (dx * dx + dz * dz).sqrt();
            if n <= r {
                p
            } else {
                Vec3::new(c.x + dx * r / n, p.y, c.z + dz * r / n)
            }
        }
    }
}

/// The point of the disc (centre `c`, radius `r`) nearest to `q` in XZ, or `q` when inside.
fn toward(c: Vec3, q: Vec3, r: f64) -> Vec3 {
    let (dx, dz) = (q.x - c.x, q.z - c.z);
    let n = (dx * dx + dz * dz).sqrt();
    if n <= r {
        q
    } else {
        Vec3::new(c.x + dx * r / n, q.y, c.z + dz * r / n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::yaw_axes;
    use crate::rng::SplitMix64;

    /// Dense surface samples of a solid, independent of the distance code.
    fn samples(s: &Solid, n: usize) -> Vec<Vec3> {
        let mut out = Vec::new();
        let t = |i: usize| i as f64 / n as f64;
        match *s {
            Solid::Cuboid(b) => {
                for i in 0..=n {
                    for j in 0..=n {
                        for k in [0, n] {
                            for perm in 0..3 {
                                let mut l = [t(i), t(j), t(k)];
                                l.rotate_left(perm);
                                let loc = Vec3::new(
                                    (2.0 * l[0] - 1.0) * b.half[0],
                                    (2.0 * l[1] - 1.0) * b.half[1],
                                    (2.0 * l[2] - 1.0) * b.half[2],
                                );
                                out.push(b.to_world(loc));
                            }
                        }
                    }
                }
            }
            Solid::Cylinder {
                center,
                radius,
                half_height,
            } => {
                for i in 0..4 * n {
                    let a = std::f64::consts::TAU * i as f64 / (4 * n) as f64;
                    for j in 0..=n {
                        let y = center.y - half_height + 2.0 * half_height * t(j);
                        out.push(Vec3::new(
                            center.x + radius * a.cos(),
                            y,
                            center.z + radius * a.sin(),
                        ));
                        for cap in [-1.0, 1.0] {
                            out.push(Vec3::new(
                                center.x + radius * t(j) * a.cos(),
                                center.y + cap * half_height,
                                center.z + radius * t(j) * a.sin(),
                            ));
                        }
                    }
                }
            }
            Solid::Sphere { center, radius } => {
                for i in 0..=2 * n {
                    let th = std::f64::consts::PI * i as f64 / (2 * n) as f64;
                    for j in 0..4 * n {
                        let ph = std::f64::consts::TAU * j as f64 / (4 * n) as f64;
                        out.push(
                            center
                                + Vec3::new(th.sin() * ph.cos(), th.cos(), th.sin() * ph.sin())
                                    * radius,
                        );
                    }
                }
            }
        }
        out
    }

    fn random_solid(r: &mut SplitMix64) -> Solid {
        let c = Vec3::new(r.range(-1.0, 1.0), r.range(0.2, 1.2), r.range(-1.0, 1.0));
        match r.below(3) {
            0 => Solid::Cuboid(OrientedBox {
                center: c,
                axes: yaw_axes(r.range(0.0, 6.3)),
                half: [r.range(0.05, 0.5), r.range(0.05, 0.5), r.range(0.05, 0.5)],
            }),
            1 => Solid::Cylinder {
                center: c,
                radius: r.range(0.05, 0.4),
                half_height: r.range(0.05, 0.5),
            },
            _ => Solid::Sphere {
                center: c,
                radius: r.range(0.05, 0.4),
            },
        }
    }

    #[test]
    fn exact_distances_match_dense_sampling() {
        let mut r = SplitMix64::new(9);
        let mut separated = 0;
        for _ in 0..150 {
            let (a, b) = (random_solid(&mut r), random_solid(&mut r));
            let exact = a.closest_points(&b);
            let (sa, sb) = (samples(&a, 10), samples(&b, 10));
            let mut sampled = f64::INFINITY;
            for p in &sa {
                for q in &sb {
                    sampled = sampled.min((*p - *q).norm());
                }
            }
            assert!(exact.distance <= sampled + 1e-9, "{a:?} {b:?}");
            if exact.distance > 0.0 {
                separated += 1;
                // Sample spacing is at most ~0.1 m on these sizes.
                assert!(
                    sampled - exact.distance < 0.1,
                    "{a:?} {b:?} {exact:?} {sampled}"
                );
                assert!(a.distance_to_point(exact.point_a) < 1e-9);
                assert!(b.distance_to_point(exact.point_b) < 1e-9);
                assert!(((exact.point_a - exact.point_b).norm() - exact.distance).abs() < 1e-9);
            }
        }
        assert!(separated > 60, "{separated}");
    }

    #[test]
    fn stacked_cylinder_on_box_touches() {
        let table = Solid::Cuboid(OrientedBox::from_yaw(
            Vec3::new(0.0, 0.5, 0.0),
            Vec3::new(1.0, 1.0, 1.0),
            0.3,
        ));
        let vase = Solid::Cylinder {
            center: Vec3::new(0.1, 1.2, 0.0),
            radius: 0.1,
            half_height: 0.2,
        };
        assert_eq!(table.closest_points(&vase).distance, 0.0);
        let lifted = Solid::Cylinder {
            center: Vec3::new(0.1, 1.5, 0.0),
            radius: 0.1,
            half_height: 0.2,
        };
        assert!((table.closest_points(&lifted).distance - 0.3).abs() < 1e-12);
    }
}
