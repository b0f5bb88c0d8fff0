//! Questions with exact answers. The walking skeleton has one family: closest distance
//! between two objects.

use serde::{Deserialize, Serialize};

use crate::camera::Camera;
use crate::error::SynthError;
use crate::frame::Frame;
use crate::geometry::ClosestPoints;
use crate::math::Vec3;
use crate::raster::render;
use crate::rng::SplitMix64;
use crate::scene::{Object, Scene};

const CLOSEST_PREFIX: &str = "What is the closest distance in metres between the ";
const CLOSEST_MIDDLE: &str = " and the ";

/// Pairs closer than this are too hard to read from one image; the family promises ≥ 0.3 m.
pub const MIN_GAP_M: f64 = 0.3;
/// Pairs further apart than this are rejected (most of the gap would be floor far away).
pub const MAX_GAP_M: f64 = 3.5;
const SAMPLE_ATTEMPTS: u32 = 32;

/// A question about a scene with its exact answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// The sentence shown to the agent.
    pub text: String,
    /// Exact minimum Euclidean distance between the two solids, metres.
    pub answer_m: f64,
    pub label_a: String,
    pub label_b: String,
    pub instance_a: u16,
    pub instance_b: u16,
    /// Points on A and B realising `answer_m`, for debugging and visual checks.
    pub closest_a: Vec3,
    pub closest_b: Vec3,
}

/// A scene, the frame the agent sees, and a question about it.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSample {
    /// The seed passed to `demo_sample`; `scene.seed` is the (possibly derived) scene seed.
    pub seed: u64,
    pub scene: Scene,
    pub frame: Frame,
    pub question: Question,
}

/// The sentence of the closest-distance family.
pub fn closest_distance_text(label_a: &str, label_b: &str) -> String {
    format!("{CLOSEST_PREFIX}{label_a}{CLOSEST_MIDDLE}{label_b}?")
}

/// Finds a closest-distance question inside `text` and returns its two labels.
/// Inverse of `closest_distance_text`; the scripted policy uses it.
pub fn parse_closest_distance(text: &str) -> Option<(String, String)> {
    let start = text.find(CLOSEST_PREFIX)? + CLOSEST_PREFIX.len();
    let rest = &text[start..];
    let end = rest.find('?')?;
    let body = &rest[..end];
    let mid = body.find(CLOSEST_MIDDLE)?;
    let a = body[..mid].trim();
    let b = body[mid + CLOSEST_MIDDLE.len()..].trim();
    (!a.is_empty() && !b.is_empty()).then(|| (a.to_string(), b.to_string()))
}

/// Closest-distance ground truth between two objects of a scene (their actual shapes).
pub fn closest_distance(a: &Object, b: &Object) -> ClosestPoints {
    a.closest_points(b)
}

/// The demo sample for `seed`: the default scene, its demo-camera frame, and a
/// closest-distance question about a pair whose gap is in view.
///
/// If no pair of the seed's scene qualifies, derived scenes are tried (deterministically);
/// after 32 failures an error is returned.
pub fn demo_sample(seed: u64) -> Result<DemoSample, SynthError> {
    for attempt in 0..SAMPLE_ATTEMPTS {
        let scene_seed = if attempt == 0 {
            seed
        } else {
            SplitMix64::derive(seed, u64::from(attempt)).next_u64()
        };
        let scene = Scene::generate(scene_seed);
        let camera = scene.demo_camera()?;
        let frame = render(&scene, &camera);
        let mut rng = SplitMix64::derive(scene_seed, 0x5157);
        if let Some(question) = pick_pair(&scene, &frame, &mut rng) {
            return Ok(DemoSample {
                seed,
                scene,
                frame,
                question,
            });
        }
    }
    Err(SynthError::NoValidSample {
        what: "closest-distance question",
        seed,
        attempts: SAMPLE_ATTEMPTS,
    })
}

fn pick_pair(scene: &Scene, frame: &Frame, rng: &mut SplitMix64) -> Option<Question> {
    let mut valid = Vec::new();
    for (i, a) in scene.objects.iter().enumerate() {
        for b in &scene.objects[i + 1..] {
            let cp = closest_distance(a, b);
            if (MIN_GAP_M..=MAX_GAP_M).contains(&cp.distance) && gap_in_view(frame, a, b, &cp) {
                valid.push((a, b, cp));
            }
        }
    }
    if valid.is_empty() {
        return None;
    }
    let (mut a, mut b, mut cp) = valid[rng.below(valid.len())];
    if rng.next_f64() < 0.5 {
        std::mem::swap(&mut a, &mut b);
        cp = ClosestPoints {
            distance: cp.distance,
            point_a: cp.point_b,
            point_b: cp.point_a,
        };
    }
    Some(Question {
        text: closest_distance_text(&a.label, &b.label),
        answer_m: cp.distance,
        label_a: a.label.clone(),
        label_b: b.label.clone(),
        instance_a: a.instance_id,
        instance_b: b.instance_id,
        closest_a: cp.point_a,
        closest_b: cp.point_b,
    })
}

/// Both closest points are seen on their objects, and nothing stands in front of the segment
/// between them, which spans at least 12 pixels on screen.
pub(crate) fn gap_in_view(frame: &Frame, a: &Object, b: &Object, cp: &ClosestPoints) -> bool {
    let cam = &frame.camera;
    if !(surface_point_visible(frame, cp.point_a, a.instance_id)
        && surface_point_visible(frame, cp.point_b, b.instance_id))
    {
        return false;
    }
    let (Some(pa), Some(pb)) = (cam.project(cp.point_a), cam.project(cp.point_b)) else {
        return false;
    };
    if ((pa.0 - pb.0).powi(2) + (pa.1 - pb.1).powi(2)).sqrt() < 12.0 {
        return false;
    }
    (1..10).all(|k| {
        let p = cp.point_a + (cp.point_b - cp.point_a) * (f64::from(k) / 10.0);
        match pixel_of(cam, p) {
            Some((u, v, z)) => frame
                .depth_at(u, v)
                .is_some_and(|d| f64::from(d) >= z - 0.02),
            None => false,
        }
    })
}

/// Rounded in-image pixel and camera depth of a world point.
fn pixel_of(cam: &Camera, p: Vec3) -> Option<(u32, u32, f64)> {
    let (u, v, z) = cam.project(p)?;
    let (u, v) = (u.round(), v.round());
    let inside = u >= 0.0 && v >= 0.0 && u < f64::from(cam.width()) && v < f64::from(cam.height());
    inside.then_some((u as u32, v as u32, z))
}

/// Some pixel within one of the point's projection shows `instance` at about its depth.
fn surface_point_visible(frame: &Frame, p: Vec3, instance: u16) -> bool {
    let Some((u, v, z)) = pixel_of(&frame.camera, p) else {
        return false;
    };
    let tol = 0.02 + 0.01 * z;
    (-1i64..=1).any(|dv| {
        (-1i64..=1).any(|du| {
            let (x, y) = (i64::from(u) + du, i64::from(v) + dv);
            if x < 0 || y < 0 {
                return false;
            }
            let (x, y) = (x as u32, y as u32);
            frame.instance_at(x, y) == Some(instance)
                && frame
                    .depth_at(x, y)
                    .is_some_and(|d| (f64::from(d) - z).abs() < tol)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_through_parser() {
        let t = closest_distance_text("chair", "coffee table");
        assert_eq!(
            t,
            "What is the closest distance in metres between the chair and the coffee table?"
        );
        assert_eq!(
            parse_closest_distance(&format!("Question: {t}\nAnswer with a number.")),
            Some(("chair".to_string(), "coffee table".to_string()))
        );
        assert_eq!(parse_closest_distance("How many chairs are there?"), None);
        assert_eq!(
            parse_closest_distance(
                "What is the closest distance in metres between the  and the x?"
            ),
            None
        );
    }

    /// What the agent can measure with perfect perception: the minimum distance between the
    /// visible surface points of A and B (the scripted policy's KD-tree query, done here with
    /// pruning by the exact boxes).
    fn visible_surface_distance(frame: &Frame, scene: &Scene, q: &Question) -> f64 {
        let (a, b) = (
            scene
                .object_by_instance(q.instance_a)
                .unwrap()
                .oriented_box(),
            scene
                .object_by_instance(q.instance_b)
                .unwrap()
                .oriented_box(),
        );
        let mut pa = Vec::new();
        let mut pb = Vec::new();
        for v in 0..frame.height {
            for u in 0..frame.width {
                let id = frame.instance_at(u, v).unwrap();
                let Some(p) = frame.world_point(u, v) else {
                    continue;
                };
                if id == q.instance_a && b.distance_to_point(p) < q.answer_m + 0.3 {
                    pa.push(p);
                } else if id == q.instance_b && a.distance_to_point(p) < q.answer_m + 0.3 {
                    pb.push(p);
                }
            }
        }
        let mut best = f64::INFINITY;
        for &p in &pa {
            for &r in &pb {
                best = best.min((p - r).norm());
            }
        }
        best
    }

    #[test]
    fn demo_questions_are_answerable_from_the_visible_surfaces() {
        for seed in [0, 1, 2, 3, 7, 42] {
            let s = demo_sample(seed).unwrap();
            let q = &s.question;
            assert_ne!(q.label_a, q.label_b);
            assert!(q.answer_m >= MIN_GAP_M && q.answer_m <= MAX_GAP_M);
            assert_eq!(
                parse_closest_distance(&q.text),
                Some((q.label_a.clone(), q.label_b.clone()))
            );
            let a = s.scene.object_by_label(&q.label_a).unwrap();
            let b = s.scene.object_by_label(&q.label_b).unwrap();
            assert_eq!(closest_distance(a, b).distance, q.answer_m);
            let seen = visible_surface_distance(&s.frame, &s.scene, q);
            assert!(
                (seen - q.answer_m).abs() < 0.03,
                "seed {seed}: visible-surface distance {seen} vs exact {}",
                q.answer_m
            );
        }
    }

    #[test]
    fn demo_sample_is_deterministic() {
        let a = demo_sample(11).unwrap();
        let b = demo_sample(11).unwrap();
        assert_eq!(a.question, b.question);
        assert_eq!(a.frame.content_hash(), b.frame.content_hash());
    }
}
