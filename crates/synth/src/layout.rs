//! The benchmark's room generator: 3–10 m rooms with 3–15 catalogue objects, wall furniture,
//! free-standing pieces, objects stacked on others, optional repeated categories (counting)
//! and an optional moving object (dynamic scenes).
//!
//! Objects never interpenetrate: bounding boxes keep a walking gap on the floor and a small
//! gap elsewhere; a stacked object touches only its support.

use crate::catalog::{CATEGORIES, Category, Placement, category};
use crate::error::SynthError;
use crate::math::Vec3;
use crate::rng::SplitMix64;
use crate::scene::{FIRST_OBJECT_INSTANCE, Motion, Object, Room, Scene};

/// Knobs of `generate_layout`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutConfig {
    /// Range of the room's width and depth, metres.
    pub room_side: (f64, f64),
    pub room_height: (f64, f64),
    /// Inclusive range of the object count (capped by floor area).
    pub objects: (usize, usize),
    /// Minimum bounding-box gap between objects standing on the floor, metres.
    pub min_gap: f64,
    /// Place this many (inclusive range) instances of one repeatable category first.
    pub repeated: Option<(usize, usize)>,
    /// Give one movable object a straight motion over this many seconds.
    pub mover_duration_s: Option<f64>,
}

impl Default for LayoutConfig {
    fn default() -> LayoutConfig {
        LayoutConfig {
            room_side: (3.0, 10.0),
            room_height: (2.5, 3.2),
            objects: (3, 15),
            min_gap: 0.3,
            repeated: None,
            mover_duration_s: None,
        }
    }
}

const ATTEMPTS: u64 = 48;
const PLACE_TRIES: usize = 60;
/// Gap between a wall-standing object and its wall, so faces never coincide.
const WALL_GAP: f64 = 0.01;
/// Clearance of free-standing objects from the walls.
const WALL_MARGIN: f64 = 0.25;
/// Clearance between a stacked object and anything but its support.
const STACK_GAP: f64 = 0.03;
/// Free space kept above every object.
const CEILING_CLEARANCE: f64 = 0.3;
/// At most this share of the floor is covered, leaving room for cameras.
const MAX_COVER: f64 = 0.35;

/// A scene for `seed` under `config`; deterministic. Fails only when every attempt could not
/// satisfy the config (e.g. a mover in a crowded room), which callers treat as "try another
/// seed".
pub fn generate_layout(config: &LayoutConfig, seed: u64) -> Result<Scene, SynthError> {
    (0..ATTEMPTS)
        .find_map(|a| try_layout(config, seed, &mut SplitMix64::derive(seed, 0x1a70 + a)))
        .ok_or(SynthError::NoValidSample {
            what: "room layout",
            seed,
            attempts: ATTEMPTS as u32,
        })
}

fn try_layout(config: &LayoutConfig, seed: u64, rng: &mut SplitMix64) -> Option<Scene> {
    let room = Room {
        width: rng.range(config.room_side.0, config.room_side.1),
        depth: rng.range(config.room_side.0, config.room_side.1),
        height: rng.range(config.room_height.0, config.room_height.1),
    };
    let area = room.width * room.depth;
    let (lo, hi) = config.objects;
    let cap = ((area / 2.0) as usize).clamp(lo, hi.max(lo));
    let target = lo + rng.below(cap - lo + 1);

    let mut picks: Vec<&'static Category> = Vec::new();
    if let Some((a, b)) = config.repeated {
        let repeatable: Vec<&Category> = CATEGORIES
            .iter()
            .filter(|c| c.multiple && c.placement == Placement::Floor)
            .collect();
        let c = repeatable[rng.below(repeatable.len())];
        let n = a + rng.below(b.saturating_sub(a) + 1);
        picks.extend(std::iter::repeat_n(c, n));
    }
    let mut guard = 0;
    while picks.len() < target && guard < 200 {
        guard += 1;
        let c = &CATEGORIES[rng.below(CATEGORIES.len())];
        let have = picks.iter().filter(|p| p.label == c.label).count();
        if have == 0 || (c.multiple && have < 3 && config.repeated.is_none()) {
            picks.push(c);
        }
    }
    // Walls first (they constrain most), then the floor, then what stands on others. The
    // repeated category keeps its lead so all its copies find room.
    let lead = config.repeated.map_or(0, |_| {
        picks
            .iter()
            .take_while(|c| c.label == picks[0].label)
            .count()
    });
    picks[lead..].sort_by_key(|c| match c.placement {
        Placement::AgainstWall => 0,
        Placement::Floor => 1,
        Placement::OnTop(_) => 2,
    });

    let mut objects: Vec<Object> = Vec::new();
    let mut cover = 0.0;
    for (k, cat) in picks.iter().enumerate() {
        let id = FIRST_OBJECT_INSTANCE + objects.len() as u16;
        let mut placed = false;
        for _ in 0..PLACE_TRIES {
            let Some(o) = sample_object(cat, id, &room, &objects, rng) else {
                break;
            };
            let footprint = if o.on_top_of.is_some() {
                0.0
            } else {
                o.size.x * o.size.z
            };
            if cover + footprint <= MAX_COVER * area && clear(&o, &room, &objects, config) {
                cover += footprint;
                objects.push(o);
                placed = true;
                break;
            }
        }
        if !placed && k < lead {
            return None; // every copy of the counted category must be in the room
        }
    }
    if objects.len() < lo {
        return None;
    }
    let mut scene = Scene {
        seed,
        room,
        objects,
    };
    if let Some(duration) = config.mover_duration_s {
        add_motion(&mut scene, duration, config, rng)?;
    }
    Some(scene)
}

fn sample_object(
    cat: &Category,
    instance_id: u16,
    room: &Room,
    placed: &[Object],
    rng: &mut SplitMix64,
) -> Option<Object> {
    use std::f64::consts::{FRAC_PI_2, PI, TAU};
    let size = cat.sample_size(rng);
    let half = size * 0.5;
    let mut on_top_of = None;
    let (center, yaw) = match cat.placement {
        Placement::Floor => {
            let x = rng.range(room.min_x() + half.x, room.max_x() - half.x);
            let z = rng.range(room.min_z() + half.z, room.max_z() - half.z);
            let yaw = if rng.next_f64() < 0.5 {
                rng.below(4) as f64 * FRAC_PI_2
            } else {
                rng.range(0.0, TAU)
            };
            (Vec3::new(x, half.y, z), yaw)
        }
        Placement::AgainstWall => {
            let back = WALL_GAP + half.z;
            let along = |lo: f64, hi: f64, rng: &mut SplitMix64| {
                let m = half.x + 0.05;
                rng.range(lo + m, (hi - m).max(lo + m))
            };
            match rng.below(4) {
                0 => (
                    Vec3::new(
                        along(room.min_x(), room.max_x(), rng),
                        half.y,
                        room.min_z() + back,
                    ),
                    0.0,
                ),
                1 => (
                    Vec3::new(
                        along(room.min_x(), room.max_x(), rng),
                        half.y,
                        room.max_z() - back,
                    ),
                    PI,
                ),
                2 => (
                    Vec3::new(
                        room.min_x() + back,
                        half.y,
                        along(room.min_z(), room.max_z(), rng),
                    ),
                    FRAC_PI_2,
                ),
                _ => (
                    Vec3::new(
                        room.max_x() - back,
                        half.y,
                        along(room.min_z(), room.max_z(), rng),
                    ),
                    -FRAC_PI_2,
                ),
            }
        }
        Placement::OnTop(under) => {
            let stands_on_box = under.contains(&"box");
            let supports: Vec<&Object> = placed
                .iter()
                .filter(|p| {
                    p.on_top_of.is_none()
                        && (under.contains(&p.label.as_str())
                            || (stands_on_box && p.label == "box"))
                        && p.size.x >= size.x + 0.06
                        && p.size.z >= size.z + 0.04
                        && !placed.iter().any(|q| q.on_top_of == Some(p.instance_id))
                })
                .collect();
            if supports.is_empty() {
                return None;
            }
            let s = supports[rng.below(supports.len())];
            let (mx, mz) = (
                (s.size.x - size.x) * 0.5 - 0.02,
                (s.size.z - size.z) * 0.5 - 0.01,
            );
            let local = Vec3::new(rng.range(-mx, mx), 0.0, rng.range(-mz, mz));
            let b = s.oriented_box();
            let c = b.to_world(local);
            on_top_of = Some(s.instance_id);
            (Vec3::new(c.x, s.top() + half.y, c.z), s.yaw)
        }
    };
    Some(Object {
        instance_id,
        label: cat.label.to_string(),
        center,
        size,
        yaw,
        color: cat.color,
        parts: cat.parts(size),
        on_top_of,
        motion: None,
    })
}

/// Inside the room, below the ceiling, and clear of every other object.
fn clear(o: &Object, room: &Room, placed: &[Object], config: &LayoutConfig) -> bool {
    let b = o.oriented_box();
    let free = category(&o.label).is_some_and(|c| c.placement == Placement::Floor);
    let m = if free { WALL_MARGIN } else { WALL_GAP * 0.5 };
    let inside = b.corners().iter().all(|c| {
        c.x >= room.min_x() + m
            && c.x <= room.max_x() - m
            && c.z >= room.min_z() + m
            && c.z <= room.max_z() - m
    });
    if !inside || o.top() > room.height - CEILING_CLEARANCE {
        return false;
    }
    placed.iter().all(|p| {
        if o.on_top_of == Some(p.instance_id) {
            return true;
        }
        let gap = if o.on_top_of.is_some() || p.on_top_of.is_some() {
            STACK_GAP
        } else {
            config.min_gap
        };
        b.closest_points(&p.oriented_box()).distance >= gap
    })
}

/// Picks a movable floor object with nothing on top and a clear straight path of 1.2–2.5 m.
fn add_motion(
    scene: &mut Scene,
    duration: f64,
    config: &LayoutConfig,
    rng: &mut SplitMix64,
) -> Option<()> {
    let candidates: Vec<usize> = (0..scene.objects.len())
        .filter(|&i| {
            let o = &scene.objects[i];
            o.on_top_of.is_none()
                && category(&o.label).is_some_and(|c| c.movable)
                && !scene
                    .objects
                    .iter()
                    .any(|q| q.on_top_of == Some(o.instance_id))
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let i = candidates[rng.below(candidates.len())];
    for _ in 0..40 {
        let (s, c) = crate::math::sin_cos(rng.range(0.0, std::f64::consts::TAU));
        let len = rng.range(1.2, 2.5);
        let o = &scene.objects[i];
        let to = o.center + Vec3::new(s, 0.0, c) * len;
        let others: Vec<Object> = scene
            .objects
            .iter()
            .filter(|q| q.instance_id != o.instance_id)
            .cloned()
            .collect();
        let ok = (0..=12).all(|k| {
            let mut moved = o.clone();
            moved.center = o.center + (to - o.center) * (k as f64 / 12.0);
            clear(&moved, &scene.room, &others, config)
        });
        if ok {
            scene.objects[i].motion = Some(Motion {
                to,
                start_s: 0.0,
                end_s: duration,
            });
            return Some(());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_respect_room_count_and_clearance() {
        let config = LayoutConfig::default();
        let mut stacked = 0;
        let mut counts = Vec::new();
        for seed in 0..40 {
            let s = generate_layout(&config, seed).unwrap();
            let r = &s.room;
            assert!((3.0..=10.0).contains(&r.width) && (3.0..=10.0).contains(&r.depth));
            assert!((3..=15).contains(&s.objects.len()), "seed {seed}");
            counts.push(s.objects.len());
            for (i, o) in s.objects.iter().enumerate() {
                assert_eq!(o.instance_id, FIRST_OBJECT_INSTANCE + i as u16);
                match o.on_top_of {
                    None => assert!((o.center.y - o.size.y * 0.5).abs() < 1e-12),
                    Some(id) => {
                        stacked += 1;
                        let base = s.object_by_instance(id).unwrap();
                        assert!((o.center.y - o.size.y * 0.5 - base.top()).abs() < 1e-9);
                    }
                }
                // No two objects' actual shapes overlap, except a stacked one on its support.
                for p in &s.objects[i + 1..] {
                    let d = o.closest_points(p).distance;
                    if o.on_top_of != Some(p.instance_id) && p.on_top_of != Some(o.instance_id) {
                        assert!(
                            d >= STACK_GAP - 1e-9,
                            "seed {seed}: {} {}",
                            o.label,
                            p.label
                        );
                    }
                }
            }
        }
        assert!(stacked >= 5, "stacked {stacked}");
        assert!(counts.iter().any(|&c| c >= 10) && counts.iter().any(|&c| c <= 5));
    }

    #[test]
    fn repeated_and_moving_objects() {
        let config = LayoutConfig {
            repeated: Some((2, 4)),
            mover_duration_s: Some(10.0),
            ..LayoutConfig::default()
        };
        for seed in 0..10 {
            let s = generate_layout(&config, seed).unwrap();
            let first = &s.objects[0].label;
            assert!(s.objects_labelled(first).count() >= 2, "seed {seed}");
            let movers: Vec<_> = s.objects.iter().filter(|o| o.motion.is_some()).collect();
            assert_eq!(movers.len(), 1);
            let m = movers[0];
            let end = m.at_time(10.0);
            assert!(((end.center - m.center).norm() - 1.2) >= -1e-9);
            assert_eq!(m.at_time(0.0).center, m.center);
        }
    }

    #[test]
    fn layout_is_deterministic() {
        let c = LayoutConfig::default();
        assert_eq!(
            generate_layout(&c, 5).unwrap(),
            generate_layout(&c, 5).unwrap()
        );
        assert_ne!(
            generate_layout(&c, 5).unwrap(),
            generate_layout(&c, 6).unwrap()
        );
    }
}
