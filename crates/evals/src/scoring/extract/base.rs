//! The base-class extractor (evals-runs.md §2.2) and OmniSpatial's chain built on it (§1.3).

use super::boxed::{boxed_letter, first_boxed};
use super::first_letter;
use crate::scoring::pytext::{py_strip, single_ascii_letter};

lazy_regex!(
    /// `\(?([A-Za-z])\)?[.:)]` — any letter before `.`, `:` or `)`.
    PAREN_LETTER = r"\(?([A-Za-z])\)?[.:)]"
);
lazy_regex!(OMNI_ANSWER = r"(?i)Answer\s*:\s*([A-D])");

/// The default `extract_answer` used by MMSI-Video and Video-MME, and inside OmniSpatial:
/// 1. the first `\boxed{L}` holding one letter → that letter, upper-cased;
/// 2. the **first** match anywhere of optional "(", a letter, optional ")", then `.`, `:` or `)`.
///    **\[QUIRK\]** It fires on the last letter of any word before punctuation: "…moved left." → "T",
///    and "Answer: B" → "R";
/// 3. exactly one ASCII letter left after removing all non-letters → that letter, upper-cased;
/// 4. otherwise the stripped text (case kept).
pub fn base(text: &str) -> String {
    if let Some(c) = first_boxed(text).and_then(|b| boxed_letter(b, 'Z', true)) {
        return c.to_string();
    }
    if let Some(c) = first_letter(&PAREN_LETTER, text) {
        return c.to_string();
    }
    if let Some(c) = single_ascii_letter(text) {
        return c.to_ascii_uppercase().to_string();
    }
    py_strip(text).to_string()
}

/// The default `evaluate_single`: both sides go through [`base`]; correct iff the prediction's result is
/// non-empty and equal (case-sensitive for the step-4 raw text).
pub fn base_match(prediction: &str, ground_truth: &str) -> bool {
    let p = base(prediction);
    !p.is_empty() && p == base(ground_truth)
}

/// OmniSpatial's chain:
/// 1. the **last** `Answer\s*:\s*([A-D])`, case-insensitive (so "answer: b" → B);
/// 2. [`base`], accepted only if it yields a single A–D;
/// 3. the first character of the stripped text, if it is A–D;
/// 4. otherwise **"A"**. **\[QUIRK\]** This includes the empty prediction of a failed sample, which
///    therefore scores 1 whenever the ground truth is A (as the official repo does).
pub fn omnispatial(text: &str) -> char {
    if let Some(c) = super::last_letter(&OMNI_ANSWER, text) {
        return c;
    }
    let b = base(text);
    if let [c @ b'A'..=b'D'] = b.as_bytes() {
        return *c as char;
    }
    py_strip(text)
        .chars()
        .next()
        .filter(|c| ('A'..='D').contains(c))
        .unwrap_or('A')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_chain() {
        assert_eq!(base(r"I think \boxed{c}"), "C");
        assert_eq!(base("The answer is B."), "B");
        assert_eq!(base("(B) because"), "B");
        assert_eq!(base("The camera moved left."), "T");
        assert_eq!(base("Answer: B"), "R");
        assert_eq!(base("b"), "B");
        assert_eq!(base("  -> d <-  "), "D");
        assert_eq!(base("no letter 42"), "no letter 42");
        assert_eq!(base(""), "");
        assert!(base_match("B", "B"));
        assert!(!base_match("", ""));
    }

    #[test]
    fn omnispatial_chain() {
        assert_eq!(omnispatial("Answer: C ... answer: b"), 'B');
        assert_eq!(omnispatial("C"), 'C');
        assert_eq!(omnispatial("(D) the mug"), 'D');
        // base gives "T" (not A–D), first character 'D' is used.
        assert_eq!(omnispatial("Done, it moved left."), 'D');
        assert_eq!(omnispatial("the left one"), 'A');
        assert_eq!(omnispatial(""), 'A');
        assert_eq!(omnispatial("E"), 'A');
    }
}
