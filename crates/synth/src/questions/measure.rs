//! Metric families: counting, distances, object size, room size.

use serde_json::json;

use super::templates as t;
use super::{BenchQuestion, Context, Family, numeric, pick};
use crate::frame::Frame;
use crate::rng::SplitMix64;
use crate::scene::{INSTANCE_WALL, Room};

/// English plural of a catalogue label.
pub fn plural(label: &str) -> String {
    if label.ends_with('x')
        || label.ends_with('s')
        || label.ends_with("sh")
        || label.ends_with("ch")
    {
        format!("{label}es")
    } else {
        format!("{label}s")
    }
}

/// "How many chairs are visible?": every instance is either clearly visible or absent.
pub fn object_count(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let mut labels: Vec<&str> = ctx.scene.objects.iter().map(|o| o.label.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    // Prefer repeated categories: they make the interesting counts.
    labels.sort_by_key(|l| std::cmp::Reverse(ctx.scene.objects_labelled(l).count()));
    let top = labels
        .first()
        .map(|l| ctx.scene.objects_labelled(l).count())?;
    let label = if top > 1 && rng.next_f64() < 0.85 {
        labels[0]
    } else {
        labels[rng.below(labels.len())]
    };
    let mut count = 0;
    for o in ctx.scene.objects_labelled(label) {
        let px = ctx.vis.px(0, o);
        if px >= 600 {
            count += 1;
        } else if px > 0 {
            return None; // a sliver: ambiguous
        }
    }
    if count == 0 {
        return None;
    }
    let q = format!("{}{}{}", t::COUNT, plural(label), t::COUNT_END);
    Some(numeric(
        Family::ObjectCount,
        q,
        count as f64,
        "objects",
        json!({"label": label, "count": count}),
    ))
}

/// Centre-to-centre distance of two objects whose footprint is fully measurable.
pub fn distance_centroid(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let ok: Vec<_> = ctx
        .unique()
        .into_iter()
        .filter(|o| ctx.top_visible(o) && ctx.vis.well_seen(o, 1500))
        .collect();
    let mut pairs = Vec::new();
    for (i, a) in ok.iter().enumerate() {
        for b in &ok[i + 1..] {
            let d = (a.center - b.center).norm();
            if (0.8..=6.0).contains(&d) {
                pairs.push((*a, *b, d));
            }
        }
    }
    if pairs.is_empty() {
        return None;
    }
    let (a, b, d) = pairs[rng.below(pairs.len())];
    let q = format!("{}{}{}{}?", t::CENTROID, a.label, t::CENTROID_MID, b.label);
    Some(numeric(
        Family::DistanceCentroid,
        q,
        d,
        "metres",
        json!({"a": a.instance_id, "b": b.instance_id, "center_a": a.center, "center_b": b.center}),
    ))
}

/// Closest distance between the shapes of two objects, with the gap itself in view.
pub fn distance_closest(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let frame = ctx.frames.first()?;
    let ok: Vec<_> = ctx
        .unique()
        .into_iter()
        .filter(|o| ctx.vis.well_seen(o, 800))
        .collect();
    let mut pairs = Vec::new();
    for (i, a) in ok.iter().enumerate() {
        for b in &ok[i + 1..] {
            if a.on_top_of == Some(b.instance_id) || b.on_top_of == Some(a.instance_id) {
                continue;
            }
            let cp = a.closest_points(b);
            if (0.3..=3.5).contains(&cp.distance) && crate::question::gap_in_view(frame, a, b, &cp)
            {
                pairs.push((*a, *b, cp));
            }
        }
    }
    if pairs.is_empty() {
        return None;
    }
    let (a, b, cp) = pairs[rng.below(pairs.len())];
    let q = crate::question::closest_distance_text(&a.label, &b.label);
    Some(numeric(
        Family::DistanceClosest,
        q,
        cp.distance,
        "metres",
        json!({"a": a.instance_id, "b": b.instance_id, "point_a": cp.point_a, "point_b": cp.point_b}),
    ))
}

/// Height (any well-seen object) or longest dimension (objects whose top is in view).
pub fn object_size(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let ok: Vec<_> = ctx
        .unique()
        .into_iter()
        .filter(|o| ctx.vis.well_seen(o, 1200))
        .collect();
    let o = *pick(&ok, 1, rng)?.first()?;
    let longest = ctx.top_visible(o) && rng.next_f64() < 0.5;
    let (q, value) = if longest {
        let m = o.size.x.max(o.size.y).max(o.size.z);
        (format!("{}{}{}", t::LONGEST, o.label, t::HEIGHT_END), m)
    } else {
        (
            format!("{}{}{}", t::HEIGHT, o.label, t::HEIGHT_END),
            o.size.y,
        )
    };
    Some(numeric(
        Family::ObjectSize,
        q,
        value * 100.0,
        "centimetres",
        json!({"object": o.instance_id, "size": o.size, "measure": if longest { "longest" } else { "height" }}),
    ))
}

/// For each wall (−Z, +Z, −X, +X), the fraction of its length seen in some frame, measured
/// on a 4-pixel grid of wall pixels.
pub fn room_walls_seen(room: &Room, frames: &[Frame]) -> [f64; 4] {
    let mut lo = [f64::INFINITY; 4];
    let mut hi = [f64::NEG_INFINITY; 4];
    for f in frames {
        for v in (0..f.height).step_by(4) {
            for u in (0..f.width).step_by(4) {
                if f.instance_at(u, v) != Some(INSTANCE_WALL) {
                    continue;
                }
                let Some(p) = f.world_point(u, v) else {
                    continue;
                };
                let d = [
                    (p.z - room.min_z()).abs(),
                    (p.z - room.max_z()).abs(),
                    (p.x - room.min_x()).abs(),
                    (p.x - room.max_x()).abs(),
                ];
                let k = (0..4).min_by(|&a, &b| d[a].total_cmp(&d[b])).unwrap_or(0);
                let along = if k < 2 { p.x } else { p.z };
                lo[k] = lo[k].min(along);
                hi[k] = hi[k].max(along);
            }
        }
    }
    std::array::from_fn(|k| {
        let len = if k < 2 { room.width } else { room.depth };
        if hi[k] > lo[k] {
            (hi[k] - lo[k]) / len
        } else {
            0.0
        }
    })
}

/// Floor area, asked only when every wall is seen over most of its length.
pub fn room_size(ctx: &Context, _rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let seen = room_walls_seen(&ctx.scene.room, ctx.frames);
    if seen.iter().any(|&s| s < 0.6) {
        return None;
    }
    let r = &ctx.scene.room;
    Some(numeric(
        Family::RoomSize,
        t::ROOM.to_string(),
        r.width * r.depth,
        "square metres",
        json!({"width": r.width, "depth": r.depth, "walls_seen": seen}),
    ))
}
