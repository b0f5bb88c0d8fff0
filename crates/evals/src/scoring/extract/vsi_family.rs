//! The multiple-choice chains of the VSI-Bench family: SPBench, VSI-Bench, OSI-Bench, SpatialTree, and
//! VSTI's first-token rule (evals-runs.md §1.3).

use super::boxed::first_boxed_letter;
use super::first_letter;
use crate::scoring::pytext::{first_token, py_strip, rstrip_dots};

lazy_regex!(
    /// `\b([A-D])\.` | `\(([A-D])\)` | `\b([A-D]):`, case-insensitive, leftmost match wins.
    MC_AD = r"(?i)\b([A-D])\.|\(([A-D])\)|\b([A-D]):"
);
lazy_regex!(MC_AK = r"(?i)\b([A-K])\.|\(([A-K])\)|\b([A-K]):");

/// A token that is a single letter in `'A'..=last` (either case), optionally followed by dots.
fn single_letter_token(token: &str, last: char) -> Option<char> {
    let t = rstrip_dots(token);
    let mut it = t.chars();
    let c = it.next()?.to_ascii_uppercase();
    (it.next().is_none() && ('A'..=last).contains(&c)).then_some(c)
}

/// Splits an option string "A. text" / "(A) text" / "A: text" into its letter and text; an option without
/// a prefix gets the letter of its position.
pub fn split_option(index: usize, option: &str) -> (char, String) {
    lazy_regex!(PREFIX = r"^\s*\(?([A-Za-z])\)?[.:)]\s*(.*)$");
    let pos_letter = char::from(b'A' + (index % 26) as u8);
    match PREFIX.captures(option) {
        Some(c) => {
            let letter = c
                .get(1)
                .and_then(|m| m.as_str().chars().next())
                .unwrap_or(pos_letter);
            (
                letter.to_ascii_uppercase(),
                py_strip(c.get(2).map_or("", |m| m.as_str())).to_string(),
            )
        }
        None => (pos_letter, py_strip(option).to_string()),
    }
}

/// SPBench MCA chain:
/// 1. the first `\boxed{}` holding a letter A–D;
/// 2. the leftmost match of `\b([A-D])\.` | `\(([A-D])\)` | `\b([A-D]):`, **case-insensitive** (so "a." in
///    prose counts; "behind." does not, because of `\b`);
/// 3. the first whitespace token, if it is a single letter A–D optionally followed by ".";
/// 4. the whole stripped prediction equals an option's text (case-insensitive) → that option's letter
///    (the full option string "A. text" also counts — our tolerance, the reference is silent);
/// 5. otherwise the whole stripped prediction. The caller compares case-insensitively.
pub fn spbench_mc(text: &str, options: &[String]) -> String {
    if let Some(c) = first_boxed_letter(text, 'D', true) {
        return c.to_string();
    }
    if let Some(c) = first_letter(&MC_AD, text) {
        return c.to_string();
    }
    if let Some(c) = single_letter_token(first_token(text), 'D') {
        return c.to_string();
    }
    let stripped = py_strip(text);
    let lower = stripped.to_lowercase();
    if !lower.is_empty() {
        for (i, opt) in options.iter().enumerate() {
            let (letter, body) = split_option(i, opt);
            if body.to_lowercase() == lower || py_strip(opt).to_lowercase() == lower {
                return letter.to_string();
            }
        }
    }
    stripped.to_string()
}

/// VSI-Bench and OSI-Bench MCA chain: steps 1–2 of [`spbench_mc`], then **the first whitespace token with
/// trailing dots stripped, whatever it is** (no option-text step). The caller compares case-insensitively.
pub fn vsi_mc(text: &str) -> String {
    if let Some(c) = first_boxed_letter(text, 'D', true) {
        return c.to_string();
    }
    if let Some(c) = first_letter(&MC_AD, text) {
        return c.to_string();
    }
    py_strip(rstrip_dots(first_token(text))).to_string()
}

/// SpatialTree multiple-choice: boxed letter → first `X.`/`(X)`/`X:` for A–K (case-insensitive, like the
/// rest of the family) → single-letter first token → otherwise the stripped text.
pub fn spatialtree_mc(text: &str) -> String {
    if let Some(c) = first_boxed_letter(text, 'K', true) {
        return c.to_string();
    }
    if let Some(c) = first_letter(&MC_AK, text) {
        return c.to_string();
    }
    if let Some(c) = single_letter_token(first_token(text), 'K') {
        return c.to_string();
    }
    py_strip(text).to_string()
}

/// VSTI-Bench: the first whitespace token with trailing dots stripped, **and nothing else** (no
/// `\boxed{}` support): "\boxed{B}" stays "\boxed{B}" and scores 0.
pub fn vsti_first_token(text: &str) -> String {
    py_strip(rstrip_dots(first_token(text))).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Vec<String> {
        vec![
            "A. left".into(),
            "B. right".into(),
            "C. behind".into(),
            "D. front".into(),
        ]
    }

    #[test]
    fn spbench_steps() {
        assert_eq!(spbench_mc(r"\boxed{c}", &opts()), "C");
        assert_eq!(spbench_mc("I pick (b) over a.", &opts()), "B");
        assert_eq!(spbench_mc("It is b: right", &opts()), "B");
        assert_eq!(
            spbench_mc("The object is behind.", &opts()),
            "The object is behind."
        );
        assert_eq!(spbench_mc("d", &opts()), "D");
        assert_eq!(spbench_mc("D.. maybe", &opts()), "D");
        assert_eq!(spbench_mc("Behind", &opts()), "C");
        assert_eq!(spbench_mc("C. behind", &opts()), "C");
        assert_eq!(spbench_mc("", &opts()), "");
    }

    #[test]
    fn vsi_falls_back_to_first_token() {
        assert_eq!(vsi_mc("B"), "B");
        assert_eq!(vsi_mc("behind the sofa"), "behind");
        assert_eq!(vsi_mc("a. the chair"), "A");
        assert_eq!(vsi_mc("Done."), "Done");
        assert_eq!(vsi_mc(""), "");
    }

    #[test]
    fn spatialtree_letters_to_k() {
        assert_eq!(spatialtree_mc("(K)"), "K");
        assert_eq!(spatialtree_mc("j"), "J");
        assert_eq!(spatialtree_mc("none of them"), "none of them");
    }

    #[test]
    fn vsti_no_boxed() {
        assert_eq!(vsti_first_token(r"\boxed{B}"), r"\boxed{B}");
        assert_eq!(vsti_first_token("B. left"), "B");
        assert_eq!(vsti_first_token("3.2 meters"), "3.2");
    }

    #[test]
    fn option_split() {
        assert_eq!(split_option(0, "A. left"), ('A', "left".into()));
        assert_eq!(split_option(2, "plain"), ('C', "plain".into()));
        assert_eq!(split_option(1, "(B) right"), ('B', "right".into()));
    }
}
