//! Small f64 vector and rotation helpers.
//!
//! Written out by hand (no linear-algebra crate) so that every operation is plain IEEE
//! arithmetic: renders and ground truth are bit-identical across machines and crate versions.

use std::ops::{Add, Mul, Neg, Sub};

use serde::{Deserialize, Serialize};

/// A point or direction in metres. Serialises as `[x, y, z]` so ground-truth JSON stays compact.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(from = "[f64; 3]", into = "[f64; 3]")]
pub struct Vec3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Vec3 {
    pub const ZERO: Vec3 = Vec3::new(0.0, 0.0, 0.0);
    /// World up (+Y, against gravity), shared by every scene and camera helper.
    pub const UP: Vec3 = Vec3::new(0.0, 1.0, 0.0);

    pub const fn new(x: f64, y: f64, z: f64) -> Vec3 {
        Vec3 { x, y, z }
    }

    pub fn dot(self, o: Vec3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    pub fn cross(self, o: Vec3) -> Vec3 {
        Vec3::new(
            self.y * o.z - self.z * o.y,
            self.z * o.x - self.x * o.z,
            self.x * o.y - self.y * o.x,
        )
    }

    pub fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }

    /// Unit vector, or `None` for (near-)zero or non-finite input.
    pub fn normalized(self) -> Option<Vec3> {
        let n = self.norm();
        (n.is_finite() && n > 1e-12).then(|| self * (1.0 / n))
    }

    pub fn is_finite(self) -> bool {
        self.x.is_finite() && self.y.is_finite() && self.z.is_finite()
    }

    pub fn to_array(self) -> [f64; 3] {
        [self.x, self.y, self.z]
    }

    /// Component by axis index 0..3 (x, y, z); indices above 2 read z.
    pub fn axis(self, i: usize) -> f64 {
        match i {
            0 => self.x,
            1 => self.y,
            _ => self.z,
        }
    }
}

impl From<[f64; 3]> for Vec3 {
    fn from(a: [f64; 3]) -> Vec3 {
        Vec3::new(a[0], a[1], a[2])
    }
}

impl From<Vec3> for [f64; 3] {
    fn from(v: Vec3) -> [f64; 3] {
        v.to_array()
    }
}

impl Add for Vec3 {
    type Output = Vec3;
    fn add(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}

impl Sub for Vec3 {
    type Output = Vec3;
    fn sub(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }
}

impl Mul<f64> for Vec3 {
    type Output = Vec3;
    fn mul(self, s: f64) -> Vec3 {
        Vec3::new(self.x * s, self.y * s, self.z * s)
    }
}

impl Neg for Vec3 {
    type Output = Vec3;
    fn neg(self) -> Vec3 {
        Vec3::new(-self.x, -self.y, -self.z)
    }
}

/// Sine and cosine from plain arithmetic (Cody–Waite reduction plus Taylor polynomials).
///
/// The platform `libm` may differ in the last bit between systems; using our own keeps yaw
/// rotations, and therefore the rendered pixels, reproducible everywhere. Accurate to about
/// 1e-16 for |x| up to a few thousand radians; non-finite input gives NaNs.
pub fn sin_cos(x: f64) -> (f64, f64) {
    if !x.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    // pi/2 split in two parts so that k * PIO2_HI is exact for moderate k.
    const PIO2_HI: f64 = 1.570_796_326_734_125_6;
    const PIO2_LO: f64 = 6.077_100_506_506_192e-11;
    let k = (x * std::f64::consts::FRAC_2_PI).round();
    let r = (x - k * PIO2_HI) - k * PIO2_LO;
    let r2 = r * r;
    // Horner forms of the Taylor series; |r| <= pi/4 so degree 17/18 is well below 1 ulp.
    let mut s = 0.0;
    let mut c = 0.0;
    for n in (0..9).rev() {
        let n = n as f64;
        s = 1.0 - s * r2 / ((2.0 * n + 2.0) * (2.0 * n + 3.0));
        c = 1.0 - c * r2 / ((2.0 * n + 1.0) * (2.0 * n + 2.0));
    }
    let s = s * r;
    match (k as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// Unit axes (local x, y, z expressed in world) of a right-handed rotation by `yaw` radians
/// about world +Y. Yaw 0 is the identity; yaw pi/2 turns local +Z onto world +X.
pub fn yaw_axes(yaw: f64) -> [Vec3; 3] {
    let (s, c) = sin_cos(yaw);
    [Vec3::new(c, 0.0, -s), Vec3::UP, Vec3::new(s, 0.0, c)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_cos_matches_libm_closely() {
        let mut x = -20.0;
        while x < 20.0 {
            let (s, c) = sin_cos(x);
            assert!((s - x.sin()).abs() < 1e-14, "sin({x})");
            assert!((c - x.cos()).abs() < 1e-14, "cos({x})");
            x += 0.0137;
        }
        assert!(sin_cos(f64::NAN).0.is_nan());
    }

    #[test]
    fn yaw_axes_are_right_handed_and_orthonormal() {
        for yaw in [0.0, 0.3, 1.7, -2.5, 6.0] {
            let [x, y, z] = yaw_axes(yaw);
            assert!((x.cross(y) - z).norm() < 1e-12);
            assert!((x.norm() - 1.0).abs() < 1e-12 && (z.norm() - 1.0).abs() < 1e-12);
        }
        let [_, _, z] = yaw_axes(std::f64::consts::FRAC_PI_2);
        assert!((z - Vec3::new(1.0, 0.0, 0.0)).norm() < 1e-12);
    }
}
