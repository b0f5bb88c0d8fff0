//! Video families: appearance order, camera displacement and rotation, object motion.

use serde_json::json;

use super::templates as t;
use super::{BenchQuestion, Context, Family, mcq, numeric, pick};
use crate::camera::Camera;
use crate::math::Vec3;
use crate::rng::SplitMix64;
use crate::scene::Object;
use crate::views::heading_of;

/// Signed turn in degrees from camera `a` to camera `b` about world up, positive to the
/// right, in (−180, 180].
pub fn signed_turn_deg(a: &Camera, b: &Camera) -> f64 {
    let flat = |v: Vec3| Vec3::new(v.x, 0.0, v.z);
    let (fa, fb) = (flat(a.forward()), flat(b.forward()));
    let ra = fa.cross(Vec3::UP);
    // In a's frame: z = along a's forward, x = along a's right.
    heading_of(Vec3::new(fb.dot(ra), 0.0, fb.dot(fa))).to_degrees()
}

/// First sampled frame (position in the rig) showing at least `min_px` pixels of `o`.
fn first_seen(ctx: &Context, o: &Object, min_px: usize) -> Option<usize> {
    (0..ctx.frames.len()).find(|&f| ctx.vis.px(f, o) >= min_px)
}

/// Order of first appearance of three objects, robust to the visibility threshold.
pub fn appearance_order(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let mut seen: Vec<(&Object, usize, usize)> = ctx
        .unique()
        .into_iter()
        .filter_map(|o| Some((o, first_seen(ctx, o, 1)?, first_seen(ctx, o, 400)?)))
        .collect();
    seen.sort_by_key(|s| s.1);
    for _ in 0..12 {
        let mut three = pick(&seen, 3, rng)?;
        three.sort_by_key(|s| s.1);
        // Every threshold between 1 and 400 px gives the same order, two frames apart.
        let robust = three
            .windows(2)
            .all(|w| w[0].2 < w[1].1 && w[1].1 >= w[0].1 + 2);
        if !robust {
            continue;
        }
        let labels: Vec<&str> = three.iter().map(|s| s.0.label.as_str()).collect();
        let correct = labels.join(", ");
        let perms = [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        let mut wrong: Vec<String> = perms
            .iter()
            .map(|p| p.iter().map(|&i| labels[i]).collect::<Vec<_>>().join(", "))
            .collect();
        rng.shuffle(&mut wrong);
        wrong.truncate(3);
        let mut shown = labels.clone();
        rng.shuffle(&mut shown);
        let q = format!("{} Objects: {}.", t::ORDER, shown.join(", "));
        let frames: Vec<i64> = three
            .iter()
            .map(|s| ctx.rig.views[s.1].frame_index)
            .collect();
        return Some(mcq(
            Family::AppearanceOrder,
            q,
            correct,
            wrong,
            json!({"first_frames": frames}),
            rng,
        ));
    }
    None
}

/// Straight-line camera displacement between the first and last frame.
pub fn camera_displacement(ctx: &Context, _rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let (a, b) = (ctx.rig.views.first()?.camera, ctx.rig.views.last()?.camera);
    let d = (b.position() - a.position()).norm();
    if d < 1.0 {
        return None;
    }
    Some(numeric(
        Family::CameraDisplacement,
        t::DISPLACEMENT.to_string(),
        d,
        "metres",
        json!({"start": a.position(), "end": b.position()}),
    ))
}

fn turn_text(deg: f64) -> String {
    let side = if deg > 0.0 { "right" } else { "left" };
    format!("about {} degrees to the {side}", deg.abs().round() as i64)
}

/// Net turn with magnitude and side; distractors differ by side or by ≥ 40°.
pub fn camera_rotation(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let (a, b) = (ctx.rig.views.first()?.camera, ctx.rig.views.last()?.camera);
    let turn = signed_turn_deg(&a, &b);
    if !(30.0..=170.0).contains(&turn.abs()) {
        return None;
    }
    let m = (turn.abs() / 5.0).round() * 5.0;
    let s = turn.signum();
    let mut wrong = vec![turn_text(-s * m)];
    let mut others: Vec<f64> = [m - 90.0, m - 45.0, m + 45.0, m + 90.0]
        .into_iter()
        .filter(|x| (15.0..=180.0).contains(x))
        .collect();
    rng.shuffle(&mut others);
    for o in others.into_iter().take(2) {
        let side = if rng.next_f64() < 0.5 { s } else { -s };
        wrong.push(turn_text(side * o));
    }
    Some(mcq(
        Family::CameraRotation,
        t::ROTATION.to_string(),
        turn_text(s * m),
        wrong,
        json!({"turn_deg": turn}),
        rng,
    ))
}

/// Dominant direction of the moving object in the (static) camera's frame.
pub fn motion_direction(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let o = ctx.scene.objects.iter().find(|o| o.motion.is_some())?;
    if ctx.scene.objects_labelled(&o.label).count() != 1 {
        return None;
    }
    let last = ctx.frames.len().checked_sub(1)?;
    if ctx.vis.px(0, o) < 400 || ctx.vis.px(last, o) < 400 {
        return None;
    }
    let cam = ctx.rig.views.first()?.camera;
    let end = o.at_time(ctx.rig.views[last].time_s);
    let d = cam.world_to_camera(end.center) - cam.world_to_camera(o.center);
    let options = [
        "to the left",
        "to the right",
        "towards the camera",
        "away from the camera",
    ];
    let correct = if d.x.abs() >= 1.5 * d.z.abs() {
        if d.x < 0.0 { 0 } else { 1 }
    } else if d.z.abs() >= 1.5 * d.x.abs() {
        if d.z < 0.0 { 2 } else { 3 }
    } else {
        return None;
    };
    let wrong = (0..4)
        .filter(|&i| i != correct)
        .map(|i| options[i].to_string())
        .collect();
    let q = format!("{}{}{}", t::MOTION, o.label, t::MOTION_END);
    Some(mcq(
        Family::MotionDirection,
        q,
        options[correct].to_string(),
        wrong,
        json!({"object": o.instance_id, "camera_delta": d}),
        rng,
    ))
}
