//! Relational families: which object is closest, left/right and quadrants from the camera,
//! allocentric quadrants, which object reaches highest.

use serde_json::json;

use super::templates as t;
use super::{BenchQuestion, Context, Family, mcq, pick};
use crate::math::Vec3;
use crate::rng::SplitMix64;
use crate::scene::Object;

/// The four quadrant answers shared by the direction families.
pub const QUADRANTS: [&str; 4] = ["front-left", "front-right", "back-left", "back-right"];

/// Quadrant of a point with `forward` and `right` components, if it is clearly inside one
/// (each component at least `margin` of the planar distance).
fn quadrant(forward: f64, right: f64, margin: f64) -> Option<&'static str> {
    let n = (forward * forward + right * right).sqrt();
    if forward.abs() < margin * n || right.abs() < margin * n {
        return None;
    }
    Some(match (forward > 0.0, right > 0.0) {
        (true, false) => QUADRANTS[0],
        (true, true) => QUADRANTS[1],
        (false, false) => QUADRANTS[2],
        (false, true) => QUADRANTS[3],
    })
}

fn wrong_quadrants(correct: &str) -> Vec<String> {
    QUADRANTS
        .iter()
        .filter(|q| **q != correct)
        .map(|q| q.to_string())
        .collect()
}

/// "Which of these is closest to X?" by closest-point distance, with a clear winner.
pub fn relative_distance(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let ok: Vec<&Object> = ctx
        .unique()
        .into_iter()
        .filter(|o| ctx.vis.well_seen(o, 800))
        .collect();
    if ok.len() < 4 {
        return None;
    }
    for _ in 0..8 {
        let k = if ok.len() >= 5 && rng.next_f64() < 0.5 {
            4
        } else {
            3
        };
        let chosen = pick(&ok, k + 1, rng)?;
        let x = chosen[0];
        let mut cands: Vec<(&Object, f64)> = chosen[1..]
            .iter()
            .filter(|o| o.on_top_of != Some(x.instance_id) && x.on_top_of != Some(o.instance_id))
            .map(|o| (*o, x.closest_points(o).distance))
            .collect();
        if cands.len() < 3 {
            continue;
        }
        cands.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, d1) = cands[0];
        let d2 = cands[1].1;
        if d2 - d1 < 0.3_f64.max(0.25 * d1) {
            continue;
        }
        let q = format!(
            "{}{}? (Measure between the closest points of the objects.)",
            t::REL_DIST,
            x.label
        );
        let wrong = cands[1..].iter().map(|(o, _)| o.label.clone()).collect();
        let details = json!({
            "target": x.instance_id,
            "distances": cands.iter().map(|(o, d)| json!([o.label, d])).collect::<Vec<_>>(),
        });
        return Some(mcq(
            Family::RelativeDistance,
            q,
            best.label.clone(),
            wrong,
            details,
            rng,
        ));
    }
    None
}

/// Left/right of two objects in one image, or the quadrant of an object relative to the
/// camera at the end of a video.
pub fn relative_direction(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let ok: Vec<&Object> = ctx
        .unique()
        .into_iter()
        .filter(|o| ctx.top_visible(o) && ctx.vis.well_seen(o, 1000))
        .collect();
    if ctx.rig.kind.is_video() {
        let cam = ctx.rig.views.last()?.camera;
        let mut found = Vec::new();
        for o in &ok {
            let c = cam.world_to_camera(o.center);
            if let Some(q) = quadrant(c.z, c.x, 0.3)
                && Vec3::new(c.x, 0.0, c.z).norm() >= 0.8
            {
                found.push((*o, q, c));
            }
        }
        // Prefer objects out of the last view (behind): the question needs memory then.
        found.sort_by_key(|(_, q, _)| !q.starts_with("back"));
        let (o, q, c) = *found.get(if rng.next_f64() < 0.7 {
            0
        } else {
            rng.below(found.len().max(1))
        })?;
        let text = format!("{}{}{}", t::REL_DIR_VIDEO, o.label, t::REL_DIR_VIDEO_END);
        return Some(mcq(
            Family::RelativeDirection,
            text,
            q.to_string(),
            wrong_quadrants(q),
            json!({"object": o.instance_id, "in_last_camera": c}),
            rng,
        ));
    }
    let cam = ctx.rig.views.first()?.camera;
    for _ in 0..10 {
        let two = pick(&ok, 2, rng)?;
        let (a, b) = (two[0], two[1]);
        let (ca, cb) = (cam.world_to_camera(a.center), cam.world_to_camera(b.center));
        let (Some(pa), Some(pb)) = (cam.project(a.center), cam.project(b.center)) else {
            continue;
        };
        let (dx, du) = (ca.x - cb.x, pa.0 - pb.0);
        if dx.abs() < 0.4 || du.abs() < 40.0 || (dx > 0.0) != (du > 0.0) {
            continue;
        }
        let (yes, no) = if dx < 0.0 {
            ("left", "right")
        } else {
            ("right", "left")
        };
        let text = format!(
            "{}{}{}{}?",
            t::REL_DIR_IMAGE,
            a.label,
            t::REL_DIR_IMAGE_MID,
            b.label
        );
        return Some(mcq(
            Family::RelativeDirection,
            text,
            yes.to_string(),
            vec![no.to_string()],
            json!({"a": a.instance_id, "b": b.instance_id, "camera_dx": dx}),
            rng,
        ));
    }
    None
}

/// Standing at A facing B: the quadrant of C.
pub fn allocentric(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let ok: Vec<&Object> = ctx
        .unique()
        .into_iter()
        .filter(|o| ctx.top_visible(o) && ctx.vis.well_seen(o, 1000))
        .collect();
    for _ in 0..12 {
        let three = pick(&ok, 3, rng)?;
        let (a, b, c) = (three[0], three[1], three[2]);
        let flat = |v: Vec3| Vec3::new(v.x, 0.0, v.z);
        let ab = flat(b.center - a.center);
        let ac = flat(c.center - a.center);
        if ab.norm() < 1.0 || ac.norm() < 0.8 {
            continue;
        }
        let f = ab.normalized()?;
        let right = f.cross(Vec3::UP);
        let Some(q) = quadrant(ac.dot(f), ac.dot(right), 0.35) else {
            continue;
        };
        let text = format!(
            "{}{}{}{}{}{} relative to you?",
            t::ALLO,
            a.label,
            t::ALLO_FACING,
            b.label,
            t::ALLO_TARGET,
            c.label
        );
        return Some(mcq(
            Family::AllocentricDirection,
            text,
            q.to_string(),
            wrong_quadrants(q),
            json!({"at": a.instance_id, "facing": b.instance_id, "target": c.instance_id}),
            rng,
        ));
    }
    None
}

/// Which object's top is highest above the floor, by a clear margin.
pub fn height_comparison(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let ok: Vec<&Object> = ctx
        .unique()
        .into_iter()
        .filter(|o| ctx.vis.well_seen(o, 800))
        .collect();
    for _ in 0..8 {
        let k = if ok.len() >= 4 && rng.next_f64() < 0.5 {
            4
        } else {
            3
        };
        let mut chosen = pick(&ok, k, rng)?;
        chosen.sort_by(|a, b| b.top().total_cmp(&a.top()));
        if chosen[0].top() - chosen[1].top() < 0.12 {
            continue;
        }
        let wrong = chosen[1..].iter().map(|o| o.label.clone()).collect();
        let details = json!({
            "tops": chosen.iter().map(|o| json!([o.label, o.top()])).collect::<Vec<_>>(),
        });
        return Some(mcq(
            Family::HeightComparison,
            t::HIGHEST.to_string(),
            chosen[0].label.clone(),
            wrong,
            details,
            rng,
        ));
    }
    None
}
