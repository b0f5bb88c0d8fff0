//! SPAR-Bench extraction: MCA letters with lenient matching, numbers, and view-change (VCI) strings
//! (evals-runs.md §1.3, peers.md §3.1).

use super::boxed::{boxed_letter, first_boxed};
use super::first_letter;
use crate::scoring::mra::{ZeroPolicy, mra10_with};
use crate::scoring::pytext::{py_float, py_strip, single_ascii_letter};

lazy_regex!(
    /// `\(?([A-Da-d])\)?[.:)]`. **\[QUIRK\]** A lower-case a–d ending a word before punctuation matches:
    /// "behind." → D, "the sofa." → A.
    MARKED = r"\(?([A-Da-d])\)?[.:)]"
);

/// SPAR MCA chain:
/// 1. the first `\boxed{}`: its letter if it holds one, else its whole stripped content;
/// 2. the first `\(?([A-Da-d])\)?[.:)]`, upper-cased (fires inside words: "behind." → D);
/// 3. exactly one ASCII letter left after removing everything else → that letter, upper-cased;
/// 4. the first character of the stripped text, if it is A–D;
/// 5. otherwise the stripped text. Compared with [`lenient_match`].
pub fn spar_mca(text: &str) -> String {
    if let Some(b) = first_boxed(text) {
        return match boxed_letter(b, 'D', true) {
            Some(c) => c.to_string(),
            None => py_strip(b).to_string(),
        };
    }
    if let Some(c) = first_letter(&MARKED, text) {
        return c.to_string();
    }
    if let Some(c) = single_ascii_letter(text) {
        return c.to_ascii_uppercase().to_string();
    }
    let t = py_strip(text);
    match t.chars().next() {
        Some(c @ 'A'..='D') => c.to_string(),
        _ => t.to_string(),
    }
}

/// SPAR's lenient match on lower-cased, stripped strings: equal, or the prediction is a substring of the
/// ground truth, or the prediction's first character equals the whole ground truth.
/// An empty prediction is wrong: the reference does not say whether the original guards it (`"" in gt`
/// would be true in Python); we assume a guard, since a failed sample scoring 1 would have been flagged.
pub fn lenient_match(prediction: &str, ground_truth: &str) -> bool {
    let p = py_strip(prediction).to_lowercase();
    let g = py_strip(ground_truth).to_lowercase();
    if p.is_empty() {
        return false;
    }
    p == g
        || g.contains(&p)
        || p.chars()
            .next()
            .is_some_and(|c| g.chars().eq(std::iter::once(c)))
}

/// The five net movement axes of a view-change answer, as (positive key, negative key, aliases of both).
/// The reference names the axes move_right, move_up, move_forward, turn_right, turn_up; we accept
/// `rotate_*` as an alias of `turn_*` and `move_back` of `move_backward` (the raw key names are not given).
const AXES: [(&[&str], &[&str]); 5] = [
    (&["move_right"], &["move_left"]),
    (&["move_up"], &["move_down"]),
    (&["move_forward"], &["move_backward", "move_back"]),
    (
        &["turn_right", "rotate_right"],
        &["turn_left", "rotate_left"],
    ),
    (&["turn_up", "rotate_up"], &["turn_down", "rotate_down"]),
];

/// Parses "key:value, key:value" into the 5 net axes (positive − negative). Unparseable pairs are ignored
/// and missing keys count as 0, so a garbage prediction is the zero vector (which still scores on axes
/// whose ground truth is 0, as with SPAR's absolute-error rule).
pub fn parse_view_change(text: &str) -> [f64; 5] {
    let mut pairs: Vec<(String, f64)> = Vec::new();
    for piece in text.split(',') {
        if let Some((k, v)) = piece.split_once(':')
            && let Some(v) = py_float(v)
        {
            pairs.push((py_strip(k).to_lowercase(), v));
        }
    }
    let get = |names: &[&str]| -> f64 {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map_or(0.0, |(_, v)| *v)
    };
    AXES.map(|(pos, neg)| get(pos) - get(neg))
}

/// VCI: the mean over the 5 axes of SPAR's MRA (absolute error at a zero target).
pub fn vci_score(prediction: &str, ground_truth: &str) -> f64 {
    let p = parse_view_change(prediction);
    let g = parse_view_change(ground_truth);
    let total: f64 = p
        .iter()
        .zip(g.iter())
        .map(|(&a, &b)| mra10_with(a, b, ZeroPolicy::AbsoluteError))
        .sum();
    total / 5.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mca_chain() {
        assert_eq!(spar_mca(r"\boxed{b}"), "B");
        assert_eq!(spar_mca(r"\boxed{left}"), "left");
        assert_eq!(spar_mca("It is behind."), "D");
        assert_eq!(spar_mca("(c) is right"), "C");
        assert_eq!(spar_mca("x"), "X");
        assert_eq!(spar_mca("Behind it all"), "B");
        assert_eq!(spar_mca("near the table"), "near the table");
        assert_eq!(spar_mca("on the sofa."), "A");
        assert_eq!(spar_mca("Chair near"), "C");
    }

    #[test]
    fn lenient() {
        assert!(lenient_match("A", "a"));
        assert!(lenient_match("left", "left side"));
        assert!(lenient_match("Aardvark", "A"));
        assert!(!lenient_match("B", "A"));
        assert!(!lenient_match("", "A"));
    }

    #[test]
    fn view_change() {
        let gt = "move_right:0.5,move_left:0,move_up:0,move_down:0,move_forward:1.0,move_backward:0,turn_right:0,turn_left:30,turn_up:0,turn_down:0";
        assert_eq!(parse_view_change(gt), [0.5, 0.0, 1.0, -30.0, 0.0]);
        assert_eq!(vci_score(gt, gt), 1.0);
        // Zero vector vs gt: axes with gt 0 pass fully (|0| = 0), the other three fail.
        assert_eq!(vci_score("no idea", gt), 0.4);
    }
}
