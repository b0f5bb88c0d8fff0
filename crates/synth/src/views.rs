//! Camera rigs for the four input kinds: one image, several views around the room, a smooth
//! video path, and a static camera watching a moving object.
//!
//! Headings are angles about +Y with forward = (sin h, 0, cos h), the convention of
//! `math::yaw_axes`; increasing the heading turns the camera to its left. Only `sin_cos` and
//! IEEE arithmetic are used, so cameras are bit-identical on every machine.

use serde::{Deserialize, Serialize};

use crate::camera::{Camera, Intrinsics};
use crate::math::{Vec3, sin_cos};
use crate::rng::SplitMix64;
use crate::scene::Scene;

/// What the agent is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    SingleImage,
    /// 2–6 photos from different places in the room.
    MultiView,
    /// Frames sampled from a smooth camera path.
    Video,
    /// A video of a scene in which an object moves.
    DynamicVideo,
}

impl InputKind {
    pub const ALL: [InputKind; 4] = [
        InputKind::SingleImage,
        InputKind::MultiView,
        InputKind::Video,
        InputKind::DynamicVideo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InputKind::SingleImage => "single_image",
            InputKind::MultiView => "multi_view",
            InputKind::Video => "video",
            InputKind::DynamicVideo => "dynamic_video",
        }
    }

    pub fn from_name(s: &str) -> Option<InputKind> {
        InputKind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn is_video(self) -> bool {
        matches!(self, InputKind::Video | InputKind::DynamicVideo)
    }
}

/// One frame the agent sees: its camera and, for videos, its absolute index and time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// Absolute frame index (native video frame; image sets: 0..n).
    pub frame_index: i64,
    /// Seconds since the first native frame (0 for image sets); moving objects are placed at
    /// this time.
    pub time_s: f64,
    pub camera: Camera,
}

/// The cameras of a sample and, for videos, the native timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rig {
    pub kind: InputKind,
    pub views: Vec<View>,
    /// Native frame rate of the video (None for image sets).
    pub fps: Option<f64>,
    /// Native frame count of the video (image sets: number of images).
    pub total_frames: i64,
}

/// Frame size and field of view of generated cameras.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraSpec {
    pub width: u32,
    pub height: u32,
    /// Horizontal focal length in pixels.
    pub focal: f64,
}

impl Default for CameraSpec {
    /// 640×480 at about 70° horizontal field of view, like a phone camera.
    fn default() -> CameraSpec {
        CameraSpec {
            width: 640,
            height: 480,
            focal: 460.0,
        }
    }
}

impl CameraSpec {
    pub fn intrinsics(&self) -> Intrinsics {
        Intrinsics::centered(self.width, self.height, self.focal)
    }
}

/// Native frame rate of generated videos.
pub const NATIVE_FPS: f64 = 30.0;
/// Clearance of camera positions from walls and from objects' bounding boxes.
const CAMERA_CLEARANCE: f64 = 0.4;

/// A camera at `eye` with heading `h` (radians) and downward pitch `p` (radians).
pub fn heading_camera(eye: Vec3, h: f64, p: f64, k: Intrinsics) -> Option<Camera> {
    let (sh, ch) = sin_cos(h);
    let (sp, cp) = sin_cos(p);
    Camera::look_at(eye, eye + Vec3::new(sh * cp, -sp, ch * cp), k).ok()
}

/// Whether a camera may stand at `p` (XZ; y ignored): inside the room and clear of objects.
pub fn is_free(scene: &Scene, p: Vec3, clearance: f64) -> bool {
    let r = &scene.room;
    let inside = p.x >= r.min_x() + clearance
        && p.x <= r.max_x() - clearance
        && p.z >= r.min_z() + clearance
        && p.z <= r.max_z() - clearance;
    inside
        && scene.objects.iter().all(|o| {
            let b = o.oriented_box();
            b.distance_to_point(Vec3::new(p.x, b.center.y, p.z)) >= clearance
        })
}

/// A random free floor position (y = 0), if one is found in a few tries.
pub fn free_spot(scene: &Scene, rng: &mut SplitMix64) -> Option<Vec3> {
    let r = &scene.room;
    (0..64).find_map(|_| {
        let p = Vec3::new(
            rng.range(r.min_x(), r.max_x()),
            0.0,
            rng.range(r.min_z(), r.max_z()),
        );
        is_free(scene, p, CAMERA_CLEARANCE).then_some(p)
    })
}

fn eye_at(spot: Vec3, rng: &mut SplitMix64) -> Vec3 {
    Vec3::new(spot.x, rng.range(1.3, 1.7), spot.z)
}

/// The centre of the objects' bounding boxes on the floor: where cameras look by default.
fn focus(scene: &Scene) -> Vec3 {
    if scene.objects.is_empty() {
        return Vec3::new(0.0, 0.4, 0.0);
    }
    let n = scene.objects.len() as f64;
    let s = scene
        .objects
        .iter()
        .fold(Vec3::ZERO, |acc, o| acc + o.center);
    Vec3::new(s.x / n, 0.4, s.z / n)
}

/// A camera standing away from the room's centre, looking across it (slightly down).
fn across_the_room(scene: &Scene, k: Intrinsics, rng: &mut SplitMix64) -> Option<Camera> {
    let r = &scene.room;
    let target0 = focus(scene);
    for _ in 0..16 {
        let spot = free_spot(scene, rng)?;
        let eye = eye_at(spot, rng);
        let target = target0
            + Vec3::new(
                rng.range(-0.25, 0.25) * r.width,
                rng.range(-0.2, 0.2),
                rng.range(-0.25, 0.25) * r.depth,
            );
        let flat = Vec3::new(target.x - eye.x, 0.0, target.z - eye.z);
        if flat.norm() < 1.8 {
            continue;
        }
        if let Ok(cam) = Camera::look_at(eye, target, k) {
            return Some(cam);
        }
    }
    None
}

/// One image looking across the room.
pub fn single_image(scene: &Scene, spec: &CameraSpec, rng: &mut SplitMix64) -> Option<Rig> {
    let camera = across_the_room(scene, spec.intrinsics(), rng)?;
    Some(Rig {
        kind: InputKind::SingleImage,
        views: vec![View {
            frame_index: 0,
            time_s: 0.0,
            camera,
        }],
        fps: None,
        total_frames: 1,
    })
}

/// `n` views from places at least 1.2 m apart (or facing 45° apart).
pub fn multi_view(scene: &Scene, spec: &CameraSpec, n: usize, rng: &mut SplitMix64) -> Option<Rig> {
    let mut cams: Vec<Camera> = Vec::new();
    for _ in 0..n * 12 {
        if cams.len() == n {
            break;
        }
        let Some(c) = across_the_room(scene, spec.intrinsics(), rng) else {
            continue;
        };
        let distinct = cams.iter().all(|o| {
            (o.position() - c.position()).norm() >= 1.2 || o.forward().dot(c.forward()) < 0.7
        });
        if distinct {
            cams.push(c);
        }
    }
    (cams.len() == n).then(|| Rig {
        kind: InputKind::MultiView,
        views: cams
            .into_iter()
            .enumerate()
            .map(|(i, camera)| View {
                frame_index: i as i64,
                time_s: 0.0,
                camera,
            })
            .collect(),
        fps: None,
        total_frames: n as i64,
    })
}

/// How a video camera moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Path {
    /// Stand still and turn by a signed angle in the range (degrees, magnitudes).
    Pan { min_deg: f64, max_deg: f64 },
    /// Walk 1.5–5 m in a straight line while turning by up to `max_turn_deg` either way.
    Walk { max_turn_deg: f64 },
}

/// Sampling of a video: `frames` frames taken every `NATIVE_FPS / sample_fps` native frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoTiming {
    pub frames: usize,
    pub sample_fps: f64,
}

impl VideoTiming {
    fn stride(&self) -> i64 {
        ((NATIVE_FPS / self.sample_fps).round() as i64).max(1)
    }

    /// Absolute frame indices of the samples and the native frame count.
    pub fn indices(&self) -> (Vec<i64>, i64) {
        let s = self.stride();
        let idx: Vec<i64> = (0..self.frames as i64).map(|k| k * s).collect();
        let total = idx.last().copied().unwrap_or(0) + 1;
        (idx, total)
    }

    /// Duration of the native video in seconds (first to last native frame).
    pub fn duration_s(&self) -> f64 {
        (self.indices().1 - 1) as f64 / NATIVE_FPS
    }
}

fn smoothstep(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A smooth camera path through free space, sampled at absolute frame indices.
pub fn video(
    scene: &Scene,
    spec: &CameraSpec,
    path: Path,
    timing: VideoTiming,
    rng: &mut SplitMix64,
) -> Option<Rig> {
    let k = spec.intrinsics();
    let (indices, total) = timing.indices();
    for _ in 0..24 {
        let p0 = free_spot(scene, rng)?;
        let eye_y = rng.range(1.3, 1.7);
        let pitch = rng.range(0.2, 0.38);
        let sign = if rng.next_f64() < 0.5 { -1.0 } else { 1.0 };
        let (p1, h0, turn) = match path {
            Path::Pan { min_deg, max_deg } => {
                let h0 = rng.range(0.0, std::f64::consts::TAU);
                (p0, h0, sign * rng.range(min_deg, max_deg).to_radians())
            }
            Path::Walk { max_turn_deg } => {
                let Some(p1) = free_spot(scene, rng) else {
                    continue;
                };
                let d = p1 - p0;
                let len = d.norm();
                if !(1.5..=5.0).contains(&len) {
                    continue;
                }
                // Heading of the walking direction, from its unit vector without atan2:
                // start facing roughly along it, off by up to 40 degrees.
                let dir = d * (1.0 / len);
                let base = heading_of(dir);
                let h0 = base + rng.range(-40.0f64, 40.0).to_radians();
                (p1, h0, rng.range(-max_turn_deg, max_turn_deg).to_radians())
            }
        };
        let pose = |t: f64| {
            let s = smoothstep(t);
            let p = p0 + (p1 - p0) * s;
            (Vec3::new(p.x, eye_y, p.z), h0 + turn * s)
        };
        let path_free =
            (0..=40).all(|i| is_free(scene, pose(i as f64 / 40.0).0, CAMERA_CLEARANCE - 0.05));
        if !path_free {
            continue;
        }
        let last = (total - 1).max(1) as f64;
        let views: Option<Vec<View>> = indices
            .iter()
            .map(|&fi| {
                let (eye, h) = pose(fi as f64 / last);
                Some(View {
                    frame_index: fi,
                    time_s: fi as f64 / NATIVE_FPS,
                    camera: heading_camera(eye, h, pitch, k)?,
                })
            })
            .collect();
        if let Some(views) = views {
            return Some(Rig {
                kind: InputKind::Video,
                views,
                fps: Some(NATIVE_FPS),
                total_frames: total,
            });
        }
    }
    None
}

/// A heading angle h with (sin h, cos h) = (dir.x, dir.z) for a unit XZ vector, found by
/// bisection on our own `sin_cos` (no libm atan2: cameras must be identical everywhere).
pub fn heading_of(dir: Vec3) -> f64 {
    let n = (dir.x * dir.x + dir.z * dir.z).sqrt();
    if n < 1e-12 {
        return 0.0;
    }
    let (x, z) = (dir.x / n, dir.z / n);
    // Angle from +Z towards +X in [0, pi] via acos-by-bisection of z, then the sign of x.
    let (mut lo, mut hi) = (0.0f64, std::f64::consts::PI);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if sin_cos(mid).1 > z {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let a = 0.5 * (lo + hi);
    if x < 0.0 { -a } else { a }
}

/// A static camera filming the scene's moving object along its whole path.
pub fn dynamic_video(
    scene: &Scene,
    spec: &CameraSpec,
    timing: VideoTiming,
    rng: &mut SplitMix64,
) -> Option<Rig> {
    let mover = scene.objects.iter().find(|o| o.motion.is_some())?;
    let m = mover.motion?;
    let mid = (mover.center + m.to) * 0.5;
    let k = spec.intrinsics();
    let (indices, total) = timing.indices();
    for _ in 0..32 {
        let spot = free_spot(scene, rng)?;
        // Keep the camera out of the mover's way at every time.
        let path_clear = (0..=12).all(|i| {
            let c = mover.center + (m.to - mover.center) * (i as f64 / 12.0);
            Vec3::new(c.x - spot.x, 0.0, c.z - spot.z).norm() > 1.5
        });
        if !path_clear {
            continue;
        }
        let eye = eye_at(spot, rng);
        let Ok(camera) = Camera::look_at(eye, Vec3::new(mid.x, mover.center.y * 0.5, mid.z), k)
        else {
            continue;
        };
        let views = indices
            .iter()
            .map(|&fi| View {
                frame_index: fi,
                time_s: fi as f64 / NATIVE_FPS,
                camera,
            })
            .collect();
        return Some(Rig {
            kind: InputKind::DynamicVideo,
            views,
            fps: Some(NATIVE_FPS),
            total_frames: total,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{LayoutConfig, generate_layout};

    #[test]
    fn heading_of_inverts_sin_cos() {
        for h in [-3.0, -1.2, -0.1, 0.0, 0.4, 1.55, 2.9] {
            let (s, c) = sin_cos(h);
            assert!((heading_of(Vec3::new(s, 0.0, c)) - h).abs() < 1e-9, "{h}");
        }
    }

    #[test]
    fn video_paths_are_smooth_free_and_indexed_absolutely() {
        let scene = generate_layout(&LayoutConfig::default(), 3).unwrap();
        let mut rng = SplitMix64::new(1);
        let timing = VideoTiming {
            frames: 16,
            sample_fps: 2.0,
        };
        let rig = video(
            &scene,
            &CameraSpec::default(),
            Path::Walk { max_turn_deg: 90.0 },
            timing,
            &mut rng,
        )
        .unwrap();
        let idx: Vec<i64> = rig.views.iter().map(|v| v.frame_index).collect();
        assert_eq!(idx[..3], [0, 15, 30]);
        assert_eq!(rig.total_frames, 15 * 15 + 1);
        for w in rig.views.windows(2) {
            let step = (w[1].camera.position() - w[0].camera.position()).norm();
            assert!(step < 0.8, "jump of {step} m");
            assert!(w[0].camera.forward().dot(w[1].camera.forward()) > 0.8);
        }
        for v in &rig.views {
            assert!(is_free(&scene, v.camera.position(), 0.3));
        }
    }

    #[test]
    fn pans_turn_by_the_requested_angle() {
        let scene = generate_layout(&LayoutConfig::default(), 4).unwrap();
        let mut rng = SplitMix64::new(2);
        let timing = VideoTiming {
            frames: 16,
            sample_fps: 1.0,
        };
        let path = Path::Pan {
            min_deg: 80.0,
            max_deg: 100.0,
        };
        let rig = video(&scene, &CameraSpec::default(), path, timing, &mut rng).unwrap();
        let (a, b) = (rig.views[0].camera, rig.views[15].camera);
        let flat = |v: Vec3| Vec3::new(v.x, 0.0, v.z).normalized().unwrap();
        let cos = flat(a.forward()).dot(flat(b.forward()));
        assert!(cos.abs() < 0.18, "{cos}");
        assert_eq!(a.position(), b.position());
    }
}
