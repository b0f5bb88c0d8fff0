//! Pinhole cameras with camera-to-world poses in the OpenCV convention.
//!
//! Pose columns: 0 = camera +X (image right) in world, 1 = camera +Y (image down), 2 = camera
//! +Z (optical axis, forward), 3 = camera centre. This is the convention the agent-facing tools
//! use (tools-perception.md §2.3), so ground-truth poses can be handed over unchanged.
//!
//! Pixel convention: pixel (u, v) = (column, row) is sampled at image coordinate (u, v)
//! exactly, i.e. integer coordinates are pixel centres. Unprojecting a depth map with
//! `x = (u - cx) / fx * z` over `np.meshgrid(arange(W), arange(H))` recovers the exact surface
//! points the rasterizer hit.

use serde::{Deserialize, Serialize};

use crate::error::SynthError;
use crate::math::Vec3;

/// Largest accepted image side; keeps buffer sizes sane for any caller-provided camera.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// Pinhole intrinsics in pixels, together with the image size they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Intrinsics {
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
    pub width: u32,
    pub height: u32,
}

impl Intrinsics {
    /// Square pixels, principal point at the image centre ((W-1)/2, (H-1)/2).
    pub fn centered(width: u32, height: u32, focal: f64) -> Intrinsics {
        Intrinsics {
            fx: focal,
            fy: focal,
            cx: (f64::from(width) - 1.0) * 0.5,
            cy: (f64::from(height) - 1.0) * 0.5,
            width,
            height,
        }
    }

    /// 3×3 K matrix, row-major.
    pub fn k_matrix(&self) -> [[f64; 3]; 3] {
        [
            [self.fx, 0.0, self.cx],
            [0.0, self.fy, self.cy],
            [0.0, 0.0, 1.0],
        ]
    }

    fn validate(&self) -> Result<(), SynthError> {
        let bad = |m: String| Err(SynthError::InvalidIntrinsics(m));
        if !(self.fx.is_finite() && self.fx > 0.0 && self.fy.is_finite() && self.fy > 0.0) {
            return bad(format!("focal lengths fx={} fy={}", self.fx, self.fy));
        }
        if !(self.cx.is_finite() && self.cy.is_finite()) {
            return bad(format!("principal point cx={} cy={}", self.cx, self.cy));
        }
        if !(1..=MAX_IMAGE_SIDE).contains(&self.width)
            || !(1..=MAX_IMAGE_SIDE).contains(&self.height)
        {
            return bad(format!("image size {}x{}", self.width, self.height));
        }
        Ok(())
    }
}

/// A validated pinhole camera. Fields are private so every `Camera` in circulation has a
/// rigid pose and usable intrinsics, which lets `render` be infallible.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCamera", into = "RawCamera")]
pub struct Camera {
    intrinsics: Intrinsics,
    /// Camera-to-world, row-major 4×4.
    pose: [[f64; 4]; 4],
}

/// Serialised form; deserialisation re-validates through `Camera::new`.
#[derive(Serialize, Deserialize)]
struct RawCamera {
    intrinsics: Intrinsics,
    /// Camera-to-world, row-major.
    camera_to_world: [[f64; 4]; 4],
}

impl TryFrom<RawCamera> for Camera {
    type Error = SynthError;
    fn try_from(r: RawCamera) -> Result<Camera, SynthError> {
        Camera::new(r.intrinsics, r.camera_to_world)
    }
}

impl From<Camera> for RawCamera {
    fn from(c: Camera) -> RawCamera {
        RawCamera {
            intrinsics: c.intrinsics,
            camera_to_world: c.pose,
        }
    }
}

impl Camera {
    /// A camera from intrinsics and a row-major camera-to-world matrix (OpenCV axes).
    pub fn new(intrinsics: Intrinsics, pose: [[f64; 4]; 4]) -> Result<Camera, SynthError> {
        intrinsics.validate()?;
        let bad = |m: &str| Err(SynthError::InvalidPose(m.to_string()));
        if pose.iter().flatten().any(|v| !v.is_finite()) {
            return bad("non-finite entry");
        }
        if pose[3] != [0.0, 0.0, 0.0, 1.0] {
            return bad("last row is not 0 0 0 1");
        }
        let col = |j: usize| Vec3::new(pose[0][j], pose[1][j], pose[2][j]);
        let (x, y, z) = (col(0), col(1), col(2));
        let tol = 1e-6;
        let unit = |v: Vec3| (v.norm() - 1.0).abs() < tol;
        if !(unit(x) && unit(y) && unit(z)) {
            return bad("rotation columns are not unit length");
        }
        if x.dot(y).abs() > tol || x.dot(z).abs() > tol || y.dot(z).abs() > tol {
            return bad("rotation columns are not orthogonal");
        }
        if (x.cross(y) - z).norm() > 1e-5 {
            return bad("rotation is a reflection (x × y must equal z)");
        }
        Ok(Camera { intrinsics, pose })
    }

    /// A camera at `eye` looking at `target`, with no roll relative to world +Y up.
    /// Fails when eye and target coincide or the view direction is vertical.
    pub fn look_at(eye: Vec3, target: Vec3, intrinsics: Intrinsics) -> Result<Camera, SynthError> {
        let forward = (target - eye)
            .normalized()
            .ok_or_else(|| SynthError::InvalidLookAt("eye and target coincide".into()))?;
        let right = forward.cross(Vec3::UP).normalized().ok_or_else(|| {
            SynthError::InvalidLookAt("view direction is parallel to world up".into())
        })?;
        let down = forward.cross(right);
        let pose = [
            [right.x, down.x, forward.x, eye.x],
            [right.y, down.y, forward.y, eye.y],
            [right.z, down.z, forward.z, eye.z],
            [0.0, 0.0, 0.0, 1.0],
        ];
        Camera::new(intrinsics, pose)
    }

    pub fn intrinsics(&self) -> &Intrinsics {
        &self.intrinsics
    }

    /// Camera-to-world, row-major 4×4 (what `recon.extrinsics[fi]` holds on the Python side).
    pub fn pose(&self) -> [[f64; 4]; 4] {
        self.pose
    }

    pub fn width(&self) -> u32 {
        self.intrinsics.width
    }

    pub fn height(&self) -> u32 {
        self.intrinsics.height
    }

    fn column(&self, j: usize) -> Vec3 {
        Vec3::new(self.pose[0][j], self.pose[1][j], self.pose[2][j])
    }

    /// Camera centre in world.
    pub fn position(&self) -> Vec3 {
        self.column(3)
    }

    /// Image right (+X) in world.
    pub fn right(&self) -> Vec3 {
        self.column(0)
    }

    /// Image down (+Y) in world.
    pub fn down(&self) -> Vec3 {
        self.column(1)
    }

    /// Optical axis (+Z) in world.
    pub fn forward(&self) -> Vec3 {
        self.column(2)
    }

    /// World point to camera coordinates (x right, y down, z forward).
    pub fn world_to_camera(&self, p: Vec3) -> Vec3 {
        let d = p - self.position();
        Vec3::new(
            d.dot(self.right()),
            d.dot(self.down()),
            d.dot(self.forward()),
        )
    }

    /// Camera coordinates to world.
    pub fn camera_to_world(&self, c: Vec3) -> Vec3 {
        self.position() + self.right() * c.x + self.down() * c.y + self.forward() * c.z
    }

    /// Pixel coordinates (u, v) and depth z of a world point; `None` when it is not in front
    /// of the camera. The pixel may lie outside the image.
    pub fn project(&self, p: Vec3) -> Option<(f64, f64, f64)> {
        let c = self.world_to_camera(p);
        (c.z > 0.0).then(|| {
            let k = &self.intrinsics;
            (k.fx * c.x / c.z + k.cx, k.fy * c.y / c.z + k.cy, c.z)
        })
    }

    /// World point seen at pixel (u, v) at camera depth z.
    pub fn unproject(&self, u: f64, v: f64, z: f64) -> Vec3 {
        let k = &self.intrinsics;
        self.camera_to_world(Vec3::new((u - k.cx) / k.fx * z, (v - k.cy) / k.fy * z, z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k() -> Intrinsics {
        Intrinsics::centered(640, 480, 500.0)
    }

    #[test]
    fn look_at_down_negative_z_has_right_plus_x() {
        let cam =
            Camera::look_at(Vec3::new(0.0, 1.5, 0.0), Vec3::new(0.0, 1.5, -1.0), k()).unwrap();
        assert!((cam.right() - Vec3::new(1.0, 0.0, 0.0)).norm() < 1e-12);
        assert!((cam.down() - Vec3::new(0.0, -1.0, 0.0)).norm() < 1e-12);
        assert!((cam.forward() - Vec3::new(0.0, 0.0, -1.0)).norm() < 1e-12);
        // A point straight ahead lands on the principal point.
        let (u, v, z) = cam.project(Vec3::new(0.0, 1.5, -3.0)).unwrap();
        assert!((u - 319.5).abs() < 1e-9 && (v - 239.5).abs() < 1e-9 && (z - 3.0).abs() < 1e-12);
        // A point above the axis appears higher in the image (smaller v).
        assert!(cam.project(Vec3::new(0.0, 2.0, -3.0)).unwrap().1 < 239.5);
        let p = Vec3::new(0.4, 0.9, -2.2);
        let (u, v, z) = cam.project(p).unwrap();
        assert!((cam.unproject(u, v, z) - p).norm() < 1e-12);
    }

    #[test]
    fn invalid_cameras_are_rejected() {
        let eye = Vec3::new(0.0, 1.0, 0.0);
        assert!(Camera::look_at(eye, eye, k()).is_err());
        assert!(Camera::look_at(eye, Vec3::ZERO, k()).is_err());
        assert!(
            Camera::look_at(
                eye,
                Vec3::ZERO + Vec3::new(0.0, 0.0, -1.0),
                Intrinsics::centered(0, 10, 5.0)
            )
            .is_err()
        );
        let mut pose = [[0.0; 4]; 4];
        pose[3][3] = 1.0;
        assert!(Camera::new(k(), pose).is_err());
        // A mirror (x × y = -z) is not a rigid pose.
        let mirror = [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, -1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        assert!(Camera::new(k(), mirror).is_err());
    }

    #[test]
    fn serde_round_trip_revalidates() {
        let cam =
            Camera::look_at(Vec3::new(0.0, 1.5, 0.0), Vec3::new(1.0, 1.0, -2.0), k()).unwrap();
        let json = serde_json::to_string(&cam).unwrap();
        let back: Camera = serde_json::from_str(&json).unwrap();
        assert_eq!(cam, back);
        let broken = json.replace("\"fx\":500.0", "\"fx\":-1.0");
        assert!(serde_json::from_str::<Camera>(&broken).is_err());
    }
}
