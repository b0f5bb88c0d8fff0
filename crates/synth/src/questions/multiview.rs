//! Multi-view correspondence: which views show an object.

use serde_json::json;

use super::templates as t;
use super::{BenchQuestion, Context, Family, mcq};
use crate::rng::SplitMix64;

/// Option text for a set of 1-based view numbers.
pub fn views_text(views: &[usize]) -> String {
    match views {
        [one] => format!("view {one} only"),
        _ => {
            let list: Vec<String> = views.iter().map(usize::to_string).collect();
            format!("views {}", list.join(", "))
        }
    }
}

/// "In which views is X visible?": each view shows it clearly or not at all, and it is
/// neither in every view nor in none.
pub fn views_showing(ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    let n = ctx.frames.len();
    if n < 3 {
        return None;
    }
    let mut found = Vec::new();
    for o in ctx.unique() {
        let px: Vec<usize> = (0..n).map(|f| ctx.vis.px(f, o)).collect();
        if px.iter().any(|&p| p > 0 && p < 800) {
            continue;
        }
        let views: Vec<usize> = (0..n).filter(|&f| px[f] > 0).map(|f| f + 1).collect();
        if !views.is_empty() && views.len() < n {
            found.push((o, views));
        }
    }
    if found.is_empty() {
        return None;
    }
    let (o, views) = found.swap_remove(rng.below(found.len()));
    let correct = views_text(&views);
    // Wrong sets: flip one view in or out, then random non-empty subsets.
    let mut wrong: Vec<String> = Vec::new();
    let mut tries = 0;
    while wrong.len() < 3 && tries < 200 {
        tries += 1;
        let mut set: Vec<usize> = if tries < 20 {
            let flip = 1 + rng.below(n);
            let mut s = views.clone();
            if let Some(i) = s.iter().position(|&v| v == flip) {
                s.remove(i);
            } else {
                s.push(flip);
                s.sort_unstable();
            }
            s
        } else {
            (1..=n).filter(|_| rng.next_f64() < 0.5).collect()
        };
        set.dedup();
        let text = views_text(&set);
        if !set.is_empty() && text != correct && !wrong.contains(&text) {
            wrong.push(text);
        }
    }
    let q = format!("{}{}{}", t::VIEWS, o.label, t::VIEWS_END);
    Some(mcq(
        Family::MultiviewCorrespondence,
        q,
        correct,
        wrong,
        json!({"object": o.instance_id, "views": views}),
        rng,
    ))
}
