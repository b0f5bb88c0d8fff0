//! Procedural rooms with labelled objects.
//!
//! World frame: metres, right-handed, +Y up, floor at Y = 0, room centred on the origin in XZ.
//! The demo camera looks towards −Z with image right ≈ +X, the same orientation the agent's
//! `Reconstruct` tool gives its first camera, so ground truth needs no re-alignment beyond a
//! translation.

use serde::{Deserialize, Serialize};

use crate::camera::{Camera, Intrinsics};
use crate::catalog::{Category, Placement, category};
use crate::error::SynthError;
use crate::geometry::{ClosestPoints, OrientedBox};
use crate::math::{Vec3, yaw_axes};
use crate::mesh::Mesh;
use crate::primitives::{Part, Solid};
use crate::raster::{NO_FACE, rasterize};
use crate::rng::SplitMix64;

/// Instance id of pixels where no surface was hit (cannot happen inside a closed room, but
/// cameras are caller-provided).
pub const INSTANCE_BACKGROUND: u16 = 0;
pub const INSTANCE_FLOOR: u16 = 1;
/// All four walls share one id: "wall" is one category for segmentation.
pub const INSTANCE_WALL: u16 = 2;
pub const INSTANCE_CEILING: u16 = 3;
/// Objects are numbered from here; ids below are reserved for room structure.
pub const FIRST_OBJECT_INSTANCE: u16 = 16;

/// An axis-aligned room: floor at Y = 0, spanning X in ±width/2 and Z in ±depth/2.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Room {
    /// Extent along X, metres.
    pub width: f64,
    /// Extent along Z, metres.
    pub depth: f64,
    /// Floor to ceiling, metres.
    pub height: f64,
}

impl Room {
    pub fn min_x(&self) -> f64 {
        -self.width * 0.5
    }
    pub fn max_x(&self) -> f64 {
        self.width * 0.5
    }
    pub fn min_z(&self) -> f64 {
        -self.depth * 0.5
    }
    pub fn max_z(&self) -> f64 {
        self.depth * 0.5
    }
}

/// A labelled object in the room: a compound of primitives inside a bounding box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// Value of this object's pixels in `Frame::instance`; ≥ `FIRST_OBJECT_INSTANCE`.
    pub instance_id: u16,
    /// Category name, used verbatim in questions and segmentation prompts.
    pub label: String,
    /// Centre of the bounding box in world coordinates (at time 0 for moving objects).
    pub center: Vec3,
    /// Full bounding extents along the object's local x (width), y (height), z (depth).
    pub size: Vec3,
    /// Right-handed rotation about world +Y in radians; local +Z is the object's front.
    pub yaw: f64,
    /// Main colour (parts carry their own).
    pub color: [u8; 3],
    /// The primitives, in the local frame of the bounding box; empty means one box filling it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    /// Instance id of the object this one stands on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_top_of: Option<u16>,
    /// Straight-line motion in dynamic scenes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion: Option<Motion>,
}

/// Linear motion of an object's centre from `Object::center` to `to` between two times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Motion {
    pub to: Vec3,
    /// Seconds since the first native video frame.
    pub start_s: f64,
    pub end_s: f64,
}

impl Object {
    /// A single box: the simplest object, used by hand-built test scenes.
    pub fn cuboid(
        instance_id: u16,
        label: &str,
        center: Vec3,
        size: Vec3,
        yaw: f64,
        color: [u8; 3],
    ) -> Object {
        Object {
            instance_id,
            label: label.to_string(),
            center,
            size,
            yaw,
            color,
            parts: Vec::new(),
            on_top_of: None,
            motion: None,
        }
    }

    /// The bounding box (the object's ground-truth extent).
    pub fn oriented_box(&self) -> OrientedBox {
        OrientedBox::from_yaw(self.center, self.size, self.yaw)
    }

    /// The primitives in world coordinates.
    pub fn solids(&self) -> Vec<(Solid, [u8; 3])> {
        if self.parts.is_empty() {
            return vec![(Solid::Cuboid(self.oriented_box()), self.color)];
        }
        let axes = yaw_axes(self.yaw);
        self.parts
            .iter()
            .map(|p| (p.to_world(self.center, &axes), p.color))
            .collect()
    }

    /// Exact closest points between the two objects' actual shapes (not their boxes).
    pub fn closest_points(&self, other: &Object) -> ClosestPoints {
        let (a, b) = (self.solids(), other.solids());
        let mut best: Option<ClosestPoints> = None;
        for (sa, _) in &a {
            for (sb, _) in &b {
                let c = sa.closest_points(sb);
                if best.is_none_or(|x| c.distance < x.distance) {
                    best = Some(c);
                }
            }
        }
        best.unwrap_or(ClosestPoints {
            distance: f64::INFINITY,
            point_a: self.center,
            point_b: other.center,
        })
    }

    /// Height of the top above the floor.
    pub fn top(&self) -> f64 {
        self.center.y + self.size.y * 0.5
    }

    /// The object as it stands at time `t` seconds.
    pub fn at_time(&self, t: f64) -> Object {
        let mut o = self.clone();
        if let Some(m) = self.motion {
            let span = m.end_s - m.start_s;
            let a = if span > 0.0 {
                ((t - m.start_s) / span).clamp(0.0, 1.0)
            } else if t >= m.end_s {
                1.0
            } else {
                0.0
            };
            o.center = self.center + (m.to - self.center) * a;
        }
        o
    }
}

/// A room and its objects: everything needed to render frames and compute ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// The seed this scene was generated from (0 for hand-built scenes).
    pub seed: u64,
    pub room: Room,
    pub objects: Vec<Object>,
}

/// Knobs of the generator. The defaults make the walking-skeleton demo: a small room with
/// 3–5 box-shaped objects, all fully in view of `Scene::demo_camera`.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneConfig {
    pub room_width: (f64, f64),
    pub room_depth: (f64, f64),
    pub room_height: (f64, f64),
    /// Inclusive range of the object count.
    pub objects: (usize, usize),
    /// Minimum distance between any two objects, metres.
    pub min_gap: f64,
    /// Minimum fraction of an object's silhouette that must stay unoccluded.
    pub min_visible_fraction: f64,
    /// Minimum distance of a corner's projection from the image border, pixels.
    pub border_px: f64,
}

impl Default for SceneConfig {
    fn default() -> SceneConfig {
        SceneConfig {
            room_width: (4.0, 6.0),
            room_depth: (4.5, 6.5),
            room_height: (2.6, 3.0),
            objects: (3, 5),
            min_gap: 0.3,
            min_visible_fraction: 0.6,
            border_px: 6.0,
        }
    }
}

/// Image size and focal length of the demo camera (640×480, about 70° horizontal FOV).
pub const DEMO_WIDTH: u32 = 640;
pub const DEMO_HEIGHT: u32 = 480;
pub const DEMO_FOCAL: f64 = 460.0;
/// Eye height of the demo camera, metres.
pub const DEMO_EYE_HEIGHT: f64 = 1.5;

const SCENE_ATTEMPTS: u64 = 64;
const PLACE_TRIES: usize = 80;
/// Small gap between a wall-standing object and its wall, so their faces never coincide.
const WALL_GAP: f64 = 0.01;
/// Clearance of free-standing objects from the walls.
const WALL_MARGIN: f64 = 0.15;

/// The camera the default generator frames its objects for: standing 0.3 m in front of the
/// +Z wall at 1.5 m, looking towards −Z and about 17° down.
pub fn demo_camera(room: &Room) -> Result<Camera, SynthError> {
    let eye = Vec3::new(0.0, DEMO_EYE_HEIGHT, room.max_z() - 0.3);
    let target = eye + Vec3::new(0.0, -0.6, -2.0);
    Camera::look_at(
        eye,
        target,
        Intrinsics::centered(DEMO_WIDTH, DEMO_HEIGHT, DEMO_FOCAL),
    )
}

impl Scene {
    /// The default scene for `seed` (see `SceneConfig::default`). Deterministic: the same
    /// seed gives the same scene on every machine.
    pub fn generate(seed: u64) -> Scene {
        Scene::generate_with(&SceneConfig::default(), seed)
    }

    /// A scene for `seed` under `config`. Tries up to 64 derived streams and falls back to a
    /// fixed, known-good layout, so it always returns a scene.
    pub fn generate_with(config: &SceneConfig, seed: u64) -> Scene {
        (0..SCENE_ATTEMPTS)
            .find_map(|attempt| try_generate(config, seed, SplitMix64::derive(seed, attempt)))
            .unwrap_or_else(|| fallback_scene(seed))
    }

    /// `demo_camera` for this scene's room.
    pub fn demo_camera(&self) -> Result<Camera, SynthError> {
        demo_camera(&self.room)
    }

    pub fn object_by_label(&self, label: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.label == label)
    }

    pub fn object_by_instance(&self, id: u16) -> Option<&Object> {
        self.objects.iter().find(|o| o.instance_id == id)
    }

    /// The scene at time `t` seconds (moving objects moved); static scenes are unchanged.
    pub fn at_time(&self, t: f64) -> Scene {
        Scene {
            seed: self.seed,
            room: self.room,
            objects: self.objects.iter().map(|o| o.at_time(t)).collect(),
        }
    }

    /// Whether any object moves.
    pub fn is_dynamic(&self) -> bool {
        self.objects.iter().any(|o| o.motion.is_some())
    }

    /// Objects carrying `label`.
    pub fn objects_labelled<'a>(&'a self, label: &'a str) -> impl Iterator<Item = &'a Object> {
        self.objects.iter().filter(move |o| o.label == label)
    }
}

/// Labels of the walking-skeleton demo generator (free-standing and wall objects only).
const DEMO_LABELS: &[&str] = &[
    "chair",
    "table",
    "box",
    "stool",
    "sofa",
    "cabinet",
    "heater",
    "bookshelf",
    "door",
];

fn try_generate(config: &SceneConfig, seed: u64, mut rng: SplitMix64) -> Option<Scene> {
    let room = Room {
        width: rng.range(config.room_width.0, config.room_width.1),
        depth: rng.range(config.room_depth.0, config.room_depth.1),
        height: rng.range(config.room_height.0, config.room_height.1),
    };
    let camera = demo_camera(&room).ok()?;
    let (lo, hi) = config.objects;
    let target = lo + rng.below(hi.saturating_sub(lo) + 1);
    let mut order: Vec<&Category> = DEMO_LABELS.iter().filter_map(|l| category(l)).collect();
    rng.shuffle(&mut order);

    let mut objects: Vec<Object> = Vec::new();
    for cat in order {
        if objects.len() >= target {
            break;
        }
        let id = FIRST_OBJECT_INSTANCE + objects.len() as u16;
        for _ in 0..PLACE_TRIES {
            let o = sample_object(cat, id, &room, &mut rng);
            if fits(&o, &room, &objects, &camera, config) {
                objects.push(o);
                break;
            }
        }
    }
    let scene = Scene {
        seed,
        room,
        objects,
    };
    (scene.objects.len() >= lo && unoccluded_enough(&scene, &camera, config)).then_some(scene)
}

fn sample_object(cat: &Category, instance_id: u16, room: &Room, rng: &mut SplitMix64) -> Object {
    let size = cat.sample_size(rng);
    let y = size.y * 0.5;
    let (center, yaw) = match cat.placement {
        Placement::Floor | Placement::OnTop(_) => {
            let x = rng.range(room.min_x(), room.max_x());
            let z = rng.range(room.min_z(), room.max_z());
            // Half the time square to the room, as furniture usually is.
            let yaw = if rng.next_f64() < 0.5 {
                rng.below(4) as f64 * std::f64::consts::FRAC_PI_2
            } else {
                rng.range(0.0, std::f64::consts::TAU)
            };
            (Vec3::new(x, y, z), yaw)
        }
        Placement::AgainstWall => {
            let back = WALL_GAP + size.z * 0.5;
            let along = |lo: f64, hi: f64, rng: &mut SplitMix64| {
                let m = size.x * 0.5 + 0.05;
                rng.range(lo + m, (hi - m).max(lo + m))
            };
            // The +Z wall is behind the demo camera, so only the other three are used.
            match rng.below(3) {
                0 => (
                    Vec3::new(
                        along(room.min_x(), room.max_x(), rng),
                        y,
                        room.min_z() + back,
                    ),
                    0.0,
                ),
                1 => (
                    Vec3::new(
                        room.min_x() + back,
                        y,
                        along(room.min_z(), room.max_z(), rng),
                    ),
                    std::f64::consts::FRAC_PI_2,
                ),
                _ => (
                    Vec3::new(
                        room.max_x() - back,
                        y,
                        along(room.min_z(), room.max_z(), rng),
                    ),
                    -std::f64::consts::FRAC_PI_2,
                ),
            }
        }
    };
    Object {
        instance_id,
        label: cat.label.to_string(),
        center,
        size,
        yaw,
        color: cat.color,
        parts: cat.parts(size),
        on_top_of: None,
        motion: None,
    }
}

/// Inside the room, clear of other objects, and entirely inside the camera's image.
fn fits(o: &Object, room: &Room, placed: &[Object], camera: &Camera, config: &SceneConfig) -> bool {
    let b = o.oriented_box();
    let corners = b.corners();
    let margin = WALL_GAP * 0.5;
    let inside_room = corners.iter().all(|c| {
        c.x >= room.min_x() + margin
            && c.x <= room.max_x() - margin
            && c.z >= room.min_z() + margin
            && c.z <= room.max_z() - margin
            && c.y <= room.height - 0.05
    });
    // Free-standing objects also keep a walking margin from the walls.
    let free = category(&o.label).is_none_or(|c| c.placement == Placement::Floor);
    let clear_of_walls = !free
        || corners.iter().all(|c| {
            c.x >= room.min_x() + WALL_MARGIN
                && c.x <= room.max_x() - WALL_MARGIN
                && c.z >= room.min_z() + WALL_MARGIN
                && c.z <= room.max_z() - WALL_MARGIN
        });
    if !(inside_room && clear_of_walls) {
        return false;
    }
    if placed
        .iter()
        .any(|p| b.closest_points(&p.oriented_box()).distance < config.min_gap)
    {
        return false;
    }
    let k = camera.intrinsics();
    let (w, h, m) = (f64::from(k.width), f64::from(k.height), config.border_px);
    corners.iter().all(|&c| match camera.project(c) {
        Some((u, v, z)) => z > 0.5 && u >= m && u <= w - 1.0 - m && v >= m && v <= h - 1.0 - m,
        None => false,
    })
}

/// Every object keeps at least `min_visible_fraction` of its silhouette visible.
fn unoccluded_enough(scene: &Scene, camera: &Camera, config: &SceneConfig) -> bool {
    let full_mesh = Mesh::from_scene(scene);
    let full = rasterize(&full_mesh, camera);
    scene.objects.iter().all(|o| {
        let solo = rasterize(&Mesh::from_objects([o]), camera);
        let silhouette = solo.face.iter().filter(|&&f| f != NO_FACE).count();
        let visible = full
            .face
            .iter()
            .filter(|&&f| f != NO_FACE && full_mesh.faces[f as usize].instance == o.instance_id)
            .count();
        silhouette > 0 && visible as f64 >= config.min_visible_fraction * silhouette as f64
    })
}

/// A hand-placed layout (validated by a test) used if every random attempt fails.
fn fallback_scene(seed: u64) -> Scene {
    let obj = |i: u16, label: &str, center: Vec3, size: Vec3, yaw: f64| {
        let cat = category(label);
        let mut o = Object::cuboid(
            FIRST_OBJECT_INSTANCE + i,
            label,
            center,
            size,
            yaw,
            cat.map_or([128, 128, 128], |c| c.color),
        );
        o.parts = cat.map(|c| c.parts(size)).unwrap_or_default();
        o
    };
    Scene {
        seed,
        room: Room {
            width: 5.0,
            depth: 5.5,
            height: 2.8,
        },
        objects: vec![
            obj(
                0,
                "table",
                Vec3::new(-0.2, 0.375, -0.9),
                Vec3::new(1.2, 0.75, 0.8),
                0.0,
            ),
            obj(
                1,
                "chair",
                Vec3::new(1.1, 0.45, -0.4),
                Vec3::new(0.5, 0.9, 0.5),
                0.4,
            ),
            obj(
                2,
                "box",
                Vec3::new(-1.3, 0.2, 0.0),
                Vec3::new(0.45, 0.4, 0.45),
                0.0,
            ),
            obj(
                3,
                "cabinet",
                Vec3::new(0.6, 0.55, -2.515),
                Vec3::new(0.8, 1.1, 0.45),
                0.0,
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_scenes_satisfy_their_constraints() {
        let config = SceneConfig::default();
        for seed in 0..12 {
            let s = Scene::generate(seed);
            let cam = s.demo_camera().unwrap();
            assert!(s.objects.len() >= 3 && s.objects.len() <= 5, "seed {seed}");
            for (i, o) in s.objects.iter().enumerate() {
                assert_eq!(o.instance_id, FIRST_OBJECT_INSTANCE + i as u16);
                // On the floor.
                assert!((o.center.y - o.size.y * 0.5).abs() < 1e-12);
                assert!(
                    fits(o, &s.room, &s.objects[..i], &cam, &config),
                    "seed {seed} {}",
                    o.label
                );
                for p in &s.objects[i + 1..] {
                    assert_ne!(o.label, p.label);
                }
            }
            assert!(unoccluded_enough(&s, &cam, &config));
        }
    }

    #[test]
    fn fallback_layout_is_valid() {
        let s = fallback_scene(0);
        let cam = s.demo_camera().unwrap();
        let config = SceneConfig::default();
        for (i, o) in s.objects.iter().enumerate() {
            assert!(
                fits(o, &s.room, &s.objects[..i], &cam, &config),
                "{}",
                o.label
            );
        }
        assert!(unoccluded_enough(&s, &cam, &config));
    }

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(Scene::generate(99), Scene::generate(99));
        assert_ne!(Scene::generate(99), Scene::generate(100));
    }

    #[test]
    fn scene_json_round_trip() {
        let s = Scene::generate(5);
        let back: Scene = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(s, back);
    }
}
