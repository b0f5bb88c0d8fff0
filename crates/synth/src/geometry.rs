//! Exact geometry on oriented boxes: the source of distance ground truth.

use serde::{Deserialize, Serialize};

use crate::math::{Vec3, yaw_axes};

/// A solid oriented box. Kept separate from `Object` so ground truth can be computed for any
/// box-like extent (object bounds today, stacked parts or room volumes later).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OrientedBox {
    pub center: Vec3,
    /// Unit, orthonormal local axes in world coordinates.
    pub axes: [Vec3; 3],
    /// Half extents along `axes`, in metres (non-negative).
    pub half: [f64; 3],
}

/// The closest pair of points between two solids.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClosestPoints {
    /// Minimum Euclidean distance in metres; 0 when the solids touch or overlap.
    pub distance: f64,
    /// A point of the first solid realising the distance (when it is > 0).
    pub point_a: Vec3,
    /// The matching point of the second solid.
    pub point_b: Vec3,
}

/// The 12 edges of a box as pairs of `corners()` indices.
const EDGES: [(usize, usize); 12] = [
    (0, 1),
    (2, 3),
    (4, 5),
    (6, 7),
    (0, 2),
    (1, 3),
    (4, 6),
    (5, 7),
    (0, 4),
    (1, 5),
    (2, 6),
    (3, 7),
];

impl OrientedBox {
    /// A box with full `size` (x, y, z) rotated by `yaw` about +Y around its centre.
    pub fn from_yaw(center: Vec3, size: Vec3, yaw: f64) -> OrientedBox {
        OrientedBox {
            center,
            axes: yaw_axes(yaw),
            half: [size.x.abs() * 0.5, size.y.abs() * 0.5, size.z.abs() * 0.5],
        }
    }

    /// Coordinates of `p` in the box's local frame.
    pub fn to_local(&self, p: Vec3) -> Vec3 {
        let d = p - self.center;
        Vec3::new(
            d.dot(self.axes[0]),
            d.dot(self.axes[1]),
            d.dot(self.axes[2]),
        )
    }

    /// World point of local coordinates.
    pub fn to_world(&self, l: Vec3) -> Vec3 {
        self.center + self.axes[0] * l.x + self.axes[1] * l.y + self.axes[2] * l.z
    }

    /// Corner `i` has sign bit 0/1/2 = +x/+y/+z half extent.
    pub fn corners(&self) -> [Vec3; 8] {
        std::array::from_fn(|i| {
            let s = |bit: usize, h: f64| if i & (1 << bit) != 0 { h } else { -h };
            self.to_world(Vec3::new(
                s(0, self.half[0]),
                s(1, self.half[1]),
                s(2, self.half[2]),
            ))
        })
    }

    /// Closest point of the solid box to `p` (p itself when inside).
    pub fn closest_point(&self, p: Vec3) -> Vec3 {
        let l = self.to_local(p);
        self.to_world(Vec3::new(
            l.x.clamp(-self.half[0], self.half[0]),
            l.y.clamp(-self.half[1], self.half[1]),
            l.z.clamp(-self.half[2], self.half[2]),
        ))
    }

    /// Distance from `p` to the solid box (0 inside).
    pub fn distance_to_point(&self, p: Vec3) -> f64 {
        (p - self.closest_point(p)).norm()
    }

    /// Distance from `p` to the box's surface (positive inside too). Used to check that
    /// rendered pixels lie on an object's faces.
    pub fn distance_to_surface(&self, p: Vec3) -> f64 {
        let l = self.to_local(p);
        let inside = (0..3).all(|i| l.axis(i).abs() <= self.half[i]);
        if inside {
            (0..3)
                .map(|i| self.half[i] - l.axis(i).abs())
                .fold(f64::INFINITY, f64::min)
        } else {
            self.distance_to_point(p)
        }
    }

    /// Separating-axis test on the 15 candidate axes; touching counts as intersecting.
    pub fn intersects(&self, other: &OrientedBox) -> bool {
        let t = other.center - self.center;
        let mut axes: Vec<Vec3> = Vec::with_capacity(15);
        axes.extend(self.axes);
        axes.extend(other.axes);
        for a in self.axes {
            for b in other.axes {
                if let Some(c) = a.cross(b).normalized() {
                    axes.push(c);
                }
            }
        }
        axes.iter().all(|&l| {
            let ra: f64 = (0..3)
                .map(|i| self.half[i] * self.axes[i].dot(l).abs())
                .sum();
            let rb: f64 = (0..3)
                .map(|i| other.half[i] * other.axes[i].dot(l).abs())
                .sum();
            t.dot(l).abs() <= ra + rb
        })
    }

    /// Exact minimum distance between two solid boxes.
    ///
    /// For disjoint convex polytopes the closest pair is realised by a vertex of one against
    /// the other solid, or by two edges; brute force over those 16 + 144 pairs is exact and
    /// cheap. Overlap is detected separately (SAT) because an edge can pierce a face with no
    /// vertex inside.
    pub fn closest_points(&self, other: &OrientedBox) -> ClosestPoints {
        let ca = self.corners();
        let cb = other.corners();
        let mut best = ClosestPoints {
            distance: f64::INFINITY,
            point_a: self.center,
            point_b: other.center,
        };
        let mut consider = |pa: Vec3, pb: Vec3| {
            let d = (pa - pb).norm();
            if d < best.distance {
                best = ClosestPoints {
                    distance: d,
                    point_a: pa,
                    point_b: pb,
                };
            }
        };
        for &v in &ca {
            consider(v, other.closest_point(v));
        }
        for &v in &cb {
            consider(self.closest_point(v), v);
        }
        for &(i, j) in &EDGES {
            for &(k, l) in &EDGES {
                let (pa, pb) = closest_points_segments(ca[i], ca[j], cb[k], cb[l]);
                consider(pa, pb);
            }
        }
        if self.intersects(other) {
            best.distance = 0.0;
        }
        best
    }
}

/// Closest points between segments [p1, q1] and [p2, q2] (Ericson, Real-Time Collision
/// Detection, 5.1.9), robust to degenerate (point) segments and parallel segments.
pub fn closest_points_segments(p1: Vec3, q1: Vec3, p2: Vec3, q2: Vec3) -> (Vec3, Vec3) {
    const EPS: f64 = 1e-18;
    let d1 = q1 - p1;
    let d2 = q2 - p2;
    let r = p1 - p2;
    let a = d1.dot(d1);
    let e = d2.dot(d2);
    let f = d2.dot(r);
    let (s, t);
    if a <= EPS && e <= EPS {
        return (p1, p2);
    }
    if a <= EPS {
        s = 0.0;
        t = (f / e).clamp(0.0, 1.0);
    } else {
        let c = d1.dot(r);
        if e <= EPS {
            t = 0.0;
            s = (-c / a).clamp(0.0, 1.0);
        } else {
            let b = d1.dot(d2);
            let denom = a * e - b * b;
            let s0 = if denom > EPS {
                ((b * f - c * e) / denom).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let t0 = (b * s0 + f) / e;
            if t0 < 0.0 {
                t = 0.0;
                s = (-c / a).clamp(0.0, 1.0);
            } else if t0 > 1.0 {
                t = 1.0;
                s = ((b - c) / a).clamp(0.0, 1.0);
            } else {
                t = t0;
                s = s0;
            }
        }
    }
    (p1 + d1 * s, p2 + d2 * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Independent check: sample both surfaces densely and take the minimum pair distance.
    fn sampled_distance(a: &OrientedBox, b: &OrientedBox, n: usize) -> f64 {
        let pa = surface_samples(a, n);
        let pb = surface_samples(b, n);
        let mut best = f64::INFINITY;
        for &p in &pa {
            for &q in &pb {
                best = best.min((p - q).norm());
            }
        }
        best
    }

    fn surface_samples(b: &OrientedBox, n: usize) -> Vec<Vec3> {
        let mut out = Vec::new();
        for axis in 0..3 {
            for sign in [-1.0, 1.0] {
                let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
                for i in 0..=n {
                    for j in 0..=n {
                        let mut l = [0.0; 3];
                        l[axis] = sign * b.half[axis];
                        l[u] = b.half[u] * (2.0 * i as f64 / n as f64 - 1.0);
                        l[v] = b.half[v] * (2.0 * j as f64 / n as f64 - 1.0);
                        out.push(b.to_world(l.into()));
                    }
                }
            }
        }
        out
    }

    fn random_box(r: &mut SplitMix64) -> OrientedBox {
        let center = Vec3::new(r.range(-1.5, 1.5), r.range(-0.5, 0.5), r.range(-1.5, 1.5));
        let size = Vec3::new(r.range(0.1, 1.2), r.range(0.1, 1.2), r.range(0.1, 1.2));
        let mut b = OrientedBox::from_yaw(center, size, r.range(0.0, 6.3));
        // Tilt some boxes too, so edge-edge cases are not all vertical/horizontal.
        if r.next_f64() < 0.5 {
            let t = r.range(-0.8, 0.8);
            let (s, c) = crate::math::sin_cos(t);
            let [x, y, z] = b.axes;
            b.axes = [x, y * c + z * s, z * c - y * s];
        }
        b
    }

    #[test]
    fn exact_distance_matches_dense_sampling_on_random_pairs() {
        let mut r = SplitMix64::new(42);
        let n = 24;
        let mut separated = 0;
        for _ in 0..60 {
            let a = random_box(&mut r);
            let b = random_box(&mut r);
            let exact = a.closest_points(&b);
            let sampled = sampled_distance(&a, &b, n);
            // Grid spacing bounds how far the sampled minimum can overshoot.
            let spacing: f64 = a
                .half
                .iter()
                .chain(b.half.iter())
                .fold(0.0_f64, |m, &h| m.max(h))
                * 2.0
                / n as f64;
            assert!(exact.distance <= sampled + 1e-9, "{exact:?} vs {sampled}");
            if exact.distance > 0.0 {
                separated += 1;
                assert!(
                    sampled - exact.distance <= 2.0 * spacing,
                    "{exact:?} vs {sampled}"
                );
                // The reported points realise the distance and lie on the solids.
                let gap = (exact.point_a - exact.point_b).norm();
                assert!((gap - exact.distance).abs() < 1e-9);
                assert!(a.distance_to_point(exact.point_a) < 1e-9);
                assert!(b.distance_to_point(exact.point_b) < 1e-9);
            } else {
                // Overlap: the surfaces cross within sampling resolution, or one box
                // contains a surface sample (the centre) of the other.
                let nested =
                    a.distance_to_point(b.center) == 0.0 || b.distance_to_point(a.center) == 0.0;
                assert!(
                    nested || sampled <= 2.0 * spacing,
                    "claimed overlap, sampled {sampled}"
                );
            }
        }
        assert!(separated >= 20, "too few separated pairs: {separated}");
    }

    #[test]
    fn axis_aligned_gap_and_overlap() {
        let a = OrientedBox::from_yaw(Vec3::ZERO, Vec3::new(1.0, 1.0, 1.0), 0.0);
        let b = OrientedBox::from_yaw(Vec3::new(2.0, 0.0, 0.0), Vec3::new(1.0, 1.0, 1.0), 0.0);
        assert!((a.closest_points(&b).distance - 1.0).abs() < 1e-12);
        // Rotated by 45 degrees the corner reaches sqrt(2)/2 towards a.
        let c = OrientedBox::from_yaw(
            Vec3::new(2.0, 0.0, 0.0),
            Vec3::new(1.0, 1.0, 1.0),
            std::f64::consts::FRAC_PI_4,
        );
        let want = 2.0 - 0.5 - std::f64::consts::SQRT_2 / 2.0;
        assert!((a.closest_points(&c).distance - want).abs() < 1e-12);
        // A thin bar piercing a box with no vertex inside it still overlaps.
        let bar = OrientedBox::from_yaw(Vec3::ZERO, Vec3::new(5.0, 0.1, 0.1), 0.0);
        let slab = OrientedBox::from_yaw(Vec3::ZERO, Vec3::new(0.2, 3.0, 3.0), 0.0);
        assert_eq!(bar.closest_points(&slab).distance, 0.0);
    }

    #[test]
    fn segment_closest_points_cases() {
        let (p, q) = closest_points_segments(
            Vec3::new(0.0, 0.0, 0.0),
            Vec3::new(1.0, 0.0, 0.0),
            Vec3::new(0.5, 1.0, -1.0),
            Vec3::new(0.5, 1.0, 1.0),
        );
        assert!((p - Vec3::new(0.5, 0.0, 0.0)).norm() < 1e-12);
        assert!((q - Vec3::new(0.5, 1.0, 0.0)).norm() < 1e-12);
        // Parallel overlapping segments: distance is the line gap.
        let (p, q) = closest_points_segments(
            Vec3::ZERO,
            Vec3::new(2.0, 0.0, 0.0),
            Vec3::new(1.0, 0.5, 0.0),
            Vec3::new(3.0, 0.5, 0.0),
        );
        assert!(((p - q).norm() - 0.5).abs() < 1e-12);
    }
}
